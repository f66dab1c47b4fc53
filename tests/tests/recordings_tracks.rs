//! Issue 14, recordings beyond start and stop, against the real local
//! runtime and the fake Stream (docs/recordings.md F22–F26):
//!
//! - a `recording_enabled` meeting starts recording when its host starts
//!   it, through the consent gate: refused, it leaves a `failed` job with
//!   the reason (and an audit row), and nothing is asked of Stream; with
//!   everyone's consent it records through the fake (F22);
//! - `call.recording_ready` and `call.transcription_ready` complete the job
//!   with its tracks (composite, screen share, transcript), each with its
//!   duration and its size (probed from the fake file store), and
//!   `GET /v1/recordings/{id}` answers the job and every track with its own
//!   signed URL (F23–F25);
//! - `call.recording_failed` fails the unfinished job with Stream's error
//!   (F26).

use std::time::Duration;

use connvo_e2e::fakes::stream::{webhook_event, FILE_BYTES};
use connvo_e2e::meet::{meeting_body, World};
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";

async fn consent(w: &World, user: &str) {
    let body = json!({"consent_type": "recording", "version": "2026-01", "consented": true});
    let a = w
        .call("POST", "/v1/me/consents", Some(user), Some(&body))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

fn provider_calls(w: &World) -> usize {
    w.stream
        .requests()
        .iter()
        .filter(|r| r.path.contains("/recordings/") || r.path.contains("_transcription"))
        .count()
}

/// A provisioned `recording_enabled` meeting of HOST and GUEST, started by
/// its host; returns (id, cid).
async fn recorded_meeting(w: &World, title: &str) -> (String, String) {
    let mut body = meeting_body(title, &[(GUEST, "participant")]);
    body["recording_enabled"] = json!(true);
    let m = w.create_meeting(HOST, body).await;
    let id = m["id"].as_str().unwrap().to_owned();
    let m = w.wait_provisioned(HOST, &id).await;
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(
        a.status, 200,
        "the start never fails for recording: {}",
        a.body
    );
    (id, m["video"]["call_cid"].as_str().unwrap().to_owned())
}

async fn recordings(w: &World, id: &str) -> Value {
    let a = w
        .call(
            "GET",
            &format!("/v1/meetings/{id}/recordings"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

/// A world where everyone consented, with a live meeting; (world, id, cid).
async fn recording_meeting(title: &str) -> (World, String, String) {
    let w = World::start(&[HOST, GUEST]).await;
    consent(&w, HOST).await;
    consent(&w, GUEST).await;
    let (id, cid) = w.live_meeting(title, HOST, GUEST).await;
    (w, id, cid)
}

/// The host starts the recording: 201 `{job}`.
async fn start_recording(w: &World, id: &str) -> Value {
    let path = format!("/v1/meetings/{id}/recording/start");
    let a = w.call("POST", &path, Some(HOST), None).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body
}

#[tokio::test]
async fn f22_a_recording_enabled_meeting_records_from_its_start_or_keeps_why_not() {
    let w = World::start(&[HOST, GUEST]).await;

    // Nobody consented: the meeting starts, the refusal is kept as a job.
    let (id, cid) = recorded_meeting(&w, "Refused").await;
    let body = recordings(&w, &id).await;
    let job = &body["jobs"][0];
    assert_eq!(job["status"], "failed", "{body}");
    assert!(job["started_by"].is_null());
    let error = job["error"].as_str().unwrap();
    assert!(
        error.starts_with("automatic start refused: RECORDING_CONSENT_REQUIRED"),
        "{error}"
    );
    assert!(error.contains(HOST) && error.contains(GUEST), "{error}");
    assert_eq!(provider_calls(&w), 0, "nothing asked of Stream");
    assert_eq!(w.stream.recording_state(&cid), (false, false));
    let audit = w
        .wait_row(
            &format!(
                "SELECT outcome, metadata FROM audit_logs \
                 WHERE action = 'meeting.recording.auto_start' AND resource_id = '{id}'"
            ),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(audit["outcome"], "failure");
    assert!(
        audit["metadata"]
            .as_str()
            .unwrap()
            .contains("RECORDING_CONSENT_REQUIRED"),
        "{audit}"
    );

    // Everyone consents: the next such meeting records from its start.
    consent(&w, HOST).await;
    consent(&w, GUEST).await;
    let (id, cid) = recorded_meeting(&w, "Recorded").await;
    let body = recordings(&w, &id).await;
    assert_eq!(body["jobs"][0]["status"], "recording", "{body}");
    assert!(body["jobs"][0]["error"].is_null());
    assert_eq!(w.stream.recording_state(&cid), (true, true));
    assert_eq!(
        provider_calls(&w),
        2,
        "start recording + start transcription"
    );
}

#[tokio::test]
async fn f23_f24_f25_files_complete_the_job_with_tracks_sizes_durations_and_signed_urls() {
    let (w, id, cid) = recording_meeting("Tracks").await;
    let job_id = start_recording(&w, &id).await["job"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let store = format!("{}/files", w.stream.base_url());
    let files = [
        (
            "call.recording_ready",
            "wh_tr_1",
            json!({"egress_id": "eg_1", "recording_type": "composite",
                   "call_recording": {"filename": "composite.mp4", "url": format!("{store}/composite.mp4"),
                                      "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:10:00Z",
                                      "session_id": "s1"}}),
        ),
        (
            "call.recording_ready",
            "wh_tr_2",
            json!({"egress_id": "eg_2", "recording_type": "individual",
                   "call_recording": {"filename": "host_screenshare_audio_video.mp4",
                                      "url": format!("{store}/screen.mp4"),
                                      "start_time": "2026-01-01T00:02:00Z", "end_time": "2026-01-01T00:03:00Z",
                                      "session_id": "s1"}}),
        ),
        (
            "call.transcription_ready",
            "wh_tr_3",
            json!({"egress_id": "eg_3",
                   "call_transcription": {"filename": "transcript.jsonl", "url": format!("{store}/t.jsonl"),
                                          "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:10:00Z",
                                          "session_id": "s1"}}),
        ),
    ];
    for (kind, webhook_id, extra) in files {
        let a = w
            .webhook(&webhook_event(kind, &cid, extra), webhook_id)
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["status"], "applied", "{}", a.body);
    }

    let body = recordings(&w, &id).await;
    let job = &body["jobs"][0];
    assert_eq!(job["id"], job_id.as_str());
    assert_eq!(job["status"], "completed", "{body}");
    let tracks = job["tracks"].as_array().unwrap();
    let by_track = |t: &str| -> &Value {
        tracks
            .iter()
            .find(|x| x["track"] == t)
            .unwrap_or_else(|| panic!("no {t} track in {body}"))
    };
    assert_eq!(tracks.len(), 3, "{body}");
    assert_eq!(by_track("composite")["duration_ms"], 600_000);
    assert_eq!(by_track("screen_share")["duration_ms"], 60_000);
    assert_eq!(by_track("transcript")["kind"], "transcription");
    for t in tracks {
        assert_eq!(t["job_id"], job_id.as_str());
        assert_eq!(t["size_bytes"], FILE_BYTES as i64, "probed: {t}");
        assert!(t.get("url").is_none(), "Stream's URL stays on the server");
        assert!(t["download_url"].as_str().unwrap().contains("/v1/files/"));
    }

    // One recording: its job and every track, each with its own signed URL.
    let rec_id = by_track("composite")["id"].as_str().unwrap().to_owned();
    let a = w
        .call(
            "GET",
            &format!("/v1/recordings/{rec_id}"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["job"]["id"], job_id.as_str());
    let urls: Vec<String> = a.body["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["download_url"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(urls.len(), 3);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut locations = Vec::new();
    for url in &urls {
        let resp = client.get(url).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 302, "{url}");
        locations.push(resp.headers()["location"].to_str().unwrap().to_owned());
    }
    locations.sort();
    assert_eq!(
        locations,
        vec![
            format!("{store}/composite.mp4"),
            format!("{store}/screen.mp4"),
            format!("{store}/t.jsonl"),
        ]
    );
    // A track's URL does not open another track (F2).
    let other = urls[0].replace(
        urls[0]
            .split("/v1/files/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap(),
        a.body["tracks"][1]["id"].as_str().unwrap(),
    );
    assert_eq!(
        client.get(other).send().await.unwrap().status().as_u16(),
        403
    );
}

#[tokio::test]
async fn f26_a_provider_failure_fails_the_job_and_keeps_the_error() {
    let (w, id, cid) = recording_meeting("Failing").await;
    start_recording(&w, &id).await;
    w.stream.fail_recording(&cid);
    let event = webhook_event(
        "call.recording_failed",
        &cid,
        json!({"egress_id": "eg_7", "recording_type": "composite"}),
    );
    let a = w.webhook(&event, "wh_fail_1").await;
    assert_eq!(a.body["status"], "applied", "{}", a.body);
    let body = recordings(&w, &id).await;
    assert_eq!(body["jobs"][0]["status"], "failed");
    assert_eq!(
        body["jobs"][0]["error"],
        "call.recording_failed (composite), egress eg_7"
    );
    // Redelivered under another id: nothing unfinished to fail.
    let a = w.webhook(&event, "wh_fail_2").await;
    assert_eq!(a.body["status"], "ignored", "{}", a.body);
    // A new start is allowed after the failure.
    start_recording(&w, &id).await;
}
