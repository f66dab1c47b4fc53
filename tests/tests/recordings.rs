//! Issue 14, recordings and transcript files against the real local runtime
//! and the fake Stream (docs/recordings.md):
//!
//! - a withdrawn (or missing) recording consent blocks the start and writes
//!   nothing (F18); with everyone's consent the host starts the recording
//!   and the transcription through the fake (F19, F21), a participant may
//!   not stop it, the host stops it (F20), and `call.recording_ready`
//!   completes the job (F7);
//! - the recording's signed URL redirects to the file while valid, and is
//!   refused once expired, tampered with, or moved to another file (F1–F6);
//! - the transcript exports as SRT and WebVTT that third-party parsers
//!   (`srt-parser-2`, `webvtt-parser`) read back with the right cues,
//!   timings and speakers (F10–F17);
//! - a withdrawn data-processing consent refuses a matching queue entry (P21).

use std::time::Duration;

use connvo_e2e::fakes::stream::webhook_event;
use connvo_e2e::meet::World;
use connvo_e2e::room::{connect, User};
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";
const NOSY: &str = "user_01NOSY";

/// An active, provisioned meeting of HOST and GUEST; returns (id, cid).
async fn live_meeting(w: &World) -> (String, String) {
    w.live_meeting("Recorded", HOST, GUEST).await
}

async fn consent(w: &World, user: &str, consented: bool) {
    let a = w
        .call(
            "POST",
            "/v1/me/consents",
            Some(user),
            Some(
                &json!({"consent_type": "recording", "version": "2026-01", "consented": consented}),
            ),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

fn jobs(w: &World, id: &str) -> Vec<Value> {
    w.d1(&format!(
        "SELECT status, error FROM recording_jobs WHERE meeting_id = '{id}' ORDER BY created_at"
    ))
}

fn provider_calls(w: &World) -> usize {
    w.stream
        .requests()
        .iter()
        .filter(|r| r.path.contains("recordings/") || r.path.contains("_transcription"))
        .count()
}

#[tokio::test]
async fn f18_f19_f20_withdrawn_consent_blocks_then_start_stop_through_the_fake_and_the_file_completes_the_job(
) {
    let w = World::start(&[HOST, GUEST, NOSY]).await;
    let (id, cid) = live_meeting(&w).await;
    let start = format!("/v1/meetings/{id}/recording/start");
    let stop = format!("/v1/meetings/{id}/recording/stop");

    // Nobody consented yet.
    let a = w.call("POST", &start, Some(HOST), None).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(
        a.body["error"]["details"]["reason"], "RECORDING_CONSENT_REQUIRED",
        "{}",
        a.body
    );

    // The guest consents, then withdraws: blocked, nothing written or sent.
    consent(&w, HOST, true).await;
    consent(&w, GUEST, true).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    consent(&w, GUEST, false).await;
    let a = w.call("POST", &start, Some(HOST), None).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(
        a.body["error"]["details"]["withdrawn"],
        json!([GUEST]),
        "{}",
        a.body
    );
    assert!(jobs(&w, &id).is_empty());
    assert_eq!(provider_calls(&w), 0);

    // Consent again: a participant may not start, the host may.
    tokio::time::sleep(Duration::from_millis(5)).await;
    consent(&w, GUEST, true).await;
    let a = w.call("POST", &start, Some(GUEST), None).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w.call("POST", &start, Some(HOST), None).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["job"]["status"], "recording");
    assert_eq!(w.stream.recording_state(&cid), (true, true));
    let a = w.call("POST", &start, Some(HOST), None).await;
    assert_eq!(a.status, 409);
    assert_eq!(
        a.body["error"]["details"]["reason"],
        "RECORDING_IN_PROGRESS"
    );

    // Stop: the guest may not, the host does; the job is processing.
    let a = w.call("POST", &stop, Some(GUEST), None).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w.call("POST", &stop, Some(HOST), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["job"]["status"], "processing");
    assert_eq!(w.stream.recording_state(&cid), (false, false));
    assert_eq!(provider_calls(&w), 4);

    // Stream announces the file: the job completes, the file is listed.
    let file_url = "https://files.stream-io-cdn.example/rec/composite.mp4";
    let event = webhook_event(
        "call.recording_ready",
        &cid,
        json!({"egress_id": "eg_1", "recording_type": "composite",
               "call_recording": {"filename": "composite.mp4", "url": file_url,
                                  "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:10:00Z",
                                  "session_id": "s1"}}),
    );
    let a = w.webhook(&event, "wh_rec_ready_1").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(jobs(&w, &id)[0]["status"], "completed");

    let a = w
        .call(
            "GET",
            &format!("/v1/meetings/{id}/recordings"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["jobs"][0]["status"], "completed");
    let rec = &a.body["recordings"][0];
    assert_eq!(rec["filename"], "composite.mp4");
    assert!(
        rec.get("url").is_none(),
        "Stream's URL stays on the server: {rec}"
    );
    let rec_id = rec["id"].as_str().unwrap().to_owned();

    // One recording: members only.
    let a = w
        .call(
            "GET",
            &format!("/v1/recordings/{rec_id}?ttl_secs=3"),
            Some(NOSY),
            None,
        )
        .await;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = w
        .call(
            "GET",
            &format!("/v1/recordings/{rec_id}?ttl_secs=3"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let url = a.body["recording"]["download_url"]
        .as_str()
        .unwrap()
        .to_owned();

    // The signed URL: valid → redirect to the file; tampered → 403.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |u: String| {
        let client = client.clone();
        async move { client.get(u).send().await.unwrap() }
    };
    let resp = get(url.clone()).await;
    assert_eq!(resp.status().as_u16(), 302);
    assert_eq!(resp.headers()["location"], file_url);
    let exp: i64 = url
        .split("exp=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let later = url.replace(&format!("exp={exp}"), &format!("exp={}", exp + 3_600_000));
    assert_eq!(get(later).await.status().as_u16(), 403, "extended");
    let other_file = url.replace(&rec_id, "rec_someone_elses_file");
    assert_eq!(get(other_file).await.status().as_u16(), 403, "another file");
    let other_user = url.replace(&format!("u={GUEST}"), &format!("u={NOSY}"));
    assert_eq!(get(other_user).await.status().as_u16(), 403, "another user");
    let sig = url.split("sig=").nth(1).unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    assert_eq!(
        get(url.replace(&sig, &flipped)).await.status().as_u16(),
        403,
        "tampered"
    );
    // Expired.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let resp = get(url).await;
    assert_eq!(resp.status().as_u16(), 403, "expired");
}

#[tokio::test]
async fn f15_f16_f17_srt_and_vtt_exports_parse_with_third_party_parsers() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, _cid) = live_meeting(&w).await;
    let host = User {
        id: HOST.into(),
        token: w.token(HOST),
    };
    let mut s = connect(&w.backend, &host, &id).await;
    s.hello("c_export", json!({})).await;
    let lines = [
        (1_500u64, 4_000u64, "Hello and welcome"),
        (3_720_000, 3_725_250, "A late answer --> with an arrow"),
    ];
    for (start, end, text) in lines {
        s.send(
            json!({"type": "transcript.append", "chunk": {"text": text, "confidence": 0.9,
            "start_ms": start, "end_ms": end, "final": true, "language": "en"}}),
        )
        .await;
    }
    let mut got = 0;
    while got < lines.len() {
        let f = s.until(|f| f["type"] == "transcript.chunks").await;
        got += f["chunks"].as_array().map_or(0, Vec::len);
    }

    let client = reqwest::Client::new();
    let export = |format: &str| {
        let req = client
            .get(w.backend.url(&format!(
                "/v1/meetings/{id}/transcript/export?format={format}"
            )))
            .bearer_auth(w.token(GUEST));
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
            (status, ctype, resp.text().await.unwrap())
        }
    };

    let (status, ctype, srt) = export("srt").await;
    assert_eq!(status, 200, "{srt}");
    assert!(ctype.starts_with("application/x-subrip"));
    let parsed = connvo_e2e::fakes::sdk::run("subtitles.mjs", "srt", &json!({"text": srt}));
    let cues = parsed["cues"].as_array().unwrap();
    assert_eq!(cues.len(), 2, "{parsed}");
    assert_eq!(cues[0]["start"], 1.5);
    assert_eq!(cues[0]["end"], 4.0);
    assert_eq!(cues[0]["text"], format!("{HOST}: Hello and welcome"));
    assert_eq!(cues[1]["end"], 3725.25, "hours are kept: {srt}");
    assert_eq!(cues[1]["start"], 3720.0);
    assert_eq!(
        cues[1]["text"],
        format!("{HOST}: A late answer -> with an arrow")
    );

    let (status, ctype, vtt) = export("vtt").await;
    assert_eq!(status, 200, "{vtt}");
    assert!(ctype.starts_with("text/vtt"));
    let parsed = connvo_e2e::fakes::sdk::run("subtitles.mjs", "vtt", &json!({"text": vtt}));
    assert_eq!(parsed["errors"], json!([]), "{vtt}");
    let cues = parsed["cues"].as_array().unwrap();
    assert_eq!(cues.len(), 2, "{parsed}");
    assert_eq!(cues[0]["voice"], HOST);
    assert_eq!(cues[0]["text"], "Hello and welcome");
    assert_eq!(cues[0]["start"], 1.5);
    assert_eq!(cues[1]["end"], 3725.25);

    let (status, _, txt) = export("txt").await;
    assert_eq!(status, 200);
    assert!(
        txt.starts_with(&format!("[00:00:01] {HOST}: Hello and welcome\n")),
        "{txt}"
    );
    let (status, _, body) = export("json").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["lines"].as_array().unwrap().len(), 2);
    let (status, _, body) = export("docx").await;
    assert_eq!(status, 400, "{body}");
    // Not a member: nothing.
    let a = w
        .call(
            "GET",
            &format!("/v1/meetings/{id}/transcript/export?format=srt"),
            None,
            None,
        )
        .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn f18_consent_changes_are_validated_and_nothing_is_written_on_refusal() {
    let w = World::start(&[HOST]).await;
    for bad in [
        json!({"consent_type": "marketing", "version": "1", "consented": true}),
        json!({"consent_type": "recording", "version": "", "consented": true}),
        json!({"consent_type": "recording", "version": "1"}),
        json!({"consent_type": "recording", "version": "1", "consented": true, "x": 1}),
    ] {
        let a = w
            .call("POST", "/v1/me/consents", Some(HOST), Some(&bad))
            .await;
        assert_eq!(a.status, 400, "{bad} → {}", a.body);
    }
    assert!(w.d1("SELECT id FROM user_consents").is_empty());
    consent(&w, HOST, true).await;
    let a = w.call("GET", "/v1/me/consents", Some(HOST), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["consents"]["recording"]["state"], "granted");
    assert_eq!(a.body["consents"]["data_processing"]["state"], "missing");
}

#[tokio::test]
async fn p21_withdrawn_data_processing_consent_refuses_a_matching_queue_entry() {
    let w = World::start_with(
        &[HOST],
        connvo_e2e::BackendOptions::default().seed_sql(
            "INSERT INTO feature_flags (key, env, enabled, created_at, updated_at) \
             VALUES ('matching', 'local', 1, 1, 1)",
        ),
    )
    .await;
    let now = connvo_e2e::fakes::workos::now_ms() as i64;
    let window = json!({"available_from": now, "available_to": now + 3 * 3_600_000});
    let set = |consented: bool| json!({"consent_type": "data_processing", "version": "2026-01", "consented": consented});
    let a = w
        .call("POST", "/v1/me/consents", Some(HOST), Some(&set(false)))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let a = w
        .call("POST", "/v1/matching/queue", Some(HOST), Some(&window))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        a.body["error"]["details"]["reason"],
        "DATA_PROCESSING_WITHDRAWN"
    );
    assert!(w.d1("SELECT id FROM matching_queue").is_empty());
    assert!(w.d1("SELECT id FROM embeddings").is_empty());
    // Granted again: the entry is accepted.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let a = w
        .call("POST", "/v1/me/consents", Some(HOST), Some(&set(true)))
        .await;
    assert_eq!(a.status, 201);
    let a = w
        .call("POST", "/v1/matching/queue", Some(HOST), Some(&window))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}
