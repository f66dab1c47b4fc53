//! Issue 5, Stream webhooks against the real local runtime: a bad
//! signature (or API key) is refused with nothing changed; gzip bodies are
//! accepted (the signature covers the inflated JSON) and bombs refused; a
//! duplicate `X-Webhook-Id` is applied once; stale events are refused;
//! unknown events are acknowledged; presence ignores out-of-order events;
//! sessions and files land in D1; ending by `call.ended` gives the same
//! final state as ending by the host; and events that race provisioning
//! are applied (issue 11, fault 3).

use std::io::Write;
use std::time::Duration;

use connvo_e2e::fakes::stream::{created_at, participant, sign_webhook, webhook_event, API_SECRET};
use connvo_e2e::fakes::workos::now_ms;
use connvo_e2e::meet::{eventually, meeting_body, World};
use connvo_e2e::BackendOptions;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";

/// An active, provisioned meeting of HOST and GUEST; returns (id, cid).
async fn live_meeting(w: &World) -> (String, String) {
    w.live_meeting("Live", HOST, GUEST).await
}

fn presence(w: &World, id: &str, user: &str) -> String {
    w.d1(&format!(
        "SELECT presence FROM meeting_participants WHERE meeting_id = '{id}' AND user_id = '{user}'"
    ))[0]["presence"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Everything a webhook may touch.
fn snapshot(w: &World) -> Value {
    json!({
        "meetings": w.d1("SELECT * FROM meetings ORDER BY id"),
        "participants": w.d1("SELECT * FROM meeting_participants ORDER BY meeting_id, user_id"),
        "state": w.d1("SELECT * FROM meeting_state ORDER BY meeting_id"),
        "recordings": w.d1("SELECT * FROM meeting_recordings ORDER BY id"),
        "keys": w.d1("SELECT scope, key, status FROM idempotency_keys WHERE scope = 'stream_webhook' ORDER BY key"),
    })
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_nothing_changes() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, cid) = live_meeting(&w).await;
    let event = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST)}),
    );
    let body = event.to_string();
    let good = sign_webhook(API_SECRET, body.as_bytes());
    let before = snapshot(&w);
    let wrong_secret = sign_webhook("not-the-secret", body.as_bytes());
    let tampered = body.replace(GUEST, HOST);
    // (body, signature, extra headers, expected reason)
    type Case<'a> = (Vec<u8>, String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            body.clone().into_bytes(),
            wrong_secret,
            vec![],
            "SIGNATURE_MISMATCH",
        ),
        (
            tampered.into_bytes(),
            good.clone(),
            vec![],
            "SIGNATURE_MISMATCH",
        ),
        (
            body.clone().into_bytes(),
            "zz".into(),
            vec![],
            "SIGNATURE_MALFORMED",
        ),
        (
            body.clone().into_bytes(),
            good.clone(),
            vec![("x-api-key", "someone_elses_key")],
            "API_KEY_MISMATCH",
        ),
    ];
    for (i, (bytes, signature, extra, reason)) in cases.into_iter().enumerate() {
        let a = w
            .raw_webhook(bytes, &signature, &format!("wh-bad-{i}"), &extra)
            .await;
        assert_eq!(a.status, 401, "case {i}: {}", a.body);
        assert_eq!(a.body["error"]["code"], "UNAUTHORIZED");
        assert_eq!(a.body["error"]["details"]["reason"], reason, "case {i}");
    }
    // No signature header at all.
    let resp = reqwest::Client::new()
        .post(w.backend.url("/v1/webhooks/stream"))
        .header("x-api-key", connvo_e2e::fakes::stream::API_KEY)
        .header("x-webhook-id", "wh-bad-none")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(snapshot(&w), before, "a refused webhook changed something");
    // Refused deliveries are audited (never with the signature).
    let refused = w
        .wait_rows(
            "SELECT metadata FROM audit_logs WHERE action = 'webhook.stream' AND outcome = 'failure'",
            5,
            std::time::Duration::from_secs(10),
        )
        .await;
    assert!(refused.iter().any(|r| r["metadata"]
        .as_str()
        .unwrap()
        .contains("SIGNATURE_MISMATCH")));
    assert_eq!(presence(&w, &id, GUEST), "invited");
    // The genuine one is applied.
    let a = w.webhook(&event, "wh-good").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "applied");
    assert_eq!(presence(&w, &id, GUEST), "joined");
}

#[tokio::test]
async fn a_duplicate_webhook_id_is_applied_once() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, cid) = live_meeting(&w).await;
    let t0 = now_ms() as i64 - 10_000;
    let mut joined = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST)}),
    );
    joined["created_at"] = json!(created_at(t0));
    let mut left = webhook_event(
        "call.session_participant_left",
        &cid,
        json!({"participant": participant(GUEST), "duration_seconds": 5}),
    );
    left["created_at"] = json!(created_at(t0 + 5_000));
    assert_eq!(
        w.webhook(&joined, "wh-join").await.body["status"],
        "applied"
    );
    assert_eq!(w.webhook(&left, "wh-left").await.body["status"], "applied");
    assert_eq!(presence(&w, &id, GUEST), "left");
    // Stream retries the join (same id): acknowledged, not applied again.
    let a = w.webhook(&joined, "wh-join").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "duplicate");
    assert_eq!(presence(&w, &id, GUEST), "left");
    // A file announced twice under one id: one row.
    let rec = webhook_event(
        "call.recording_ready",
        &cid,
        json!({"egress_id": "eg1", "recording_type": "composite",
               "call_recording": {"filename": "r.mp4", "url": "https://cdn.example/r.mp4",
               "start_time": created_at(t0), "end_time": created_at(t0 + 5_000), "session_id": "s1"}}),
    );
    for _ in 0..3 {
        assert_eq!(w.webhook(&rec, "wh-rec").await.status, 200);
    }
    let rows = w.d1(&format!(
        "SELECT kind, filename, url, start_time, end_time, egress_id FROM meeting_recordings WHERE meeting_id = '{id}'"
    ));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "recording");
    assert_eq!(rows[0]["start_time"], t0);
    // Even under another id, the same file is one row.
    let a = w.webhook(&rec, "wh-rec-again").await;
    assert_eq!(a.body["status"], "ignored");
    assert_eq!(
        w.d1(&format!(
            "SELECT id FROM meeting_recordings WHERE meeting_id = '{id}'"
        ))
        .len(),
        1
    );
}

#[tokio::test]
async fn presence_ignores_events_older_than_the_last_applied() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, cid) = live_meeting(&w).await;
    let now = now_ms() as i64;
    let event = |kind: &str, at: i64| {
        let mut e = webhook_event(kind, &cid, json!({"participant": participant(GUEST)}));
        e["created_at"] = json!(created_at(at));
        e
    };
    // Left (newer) arrives before joined (older).
    let a = w
        .webhook(&event("call.session_participant_left", now - 1_000), "wh-l")
        .await;
    assert_eq!(a.body["status"], "applied");
    let a = w
        .webhook(
            &event("call.session_participant_joined", now - 5_000),
            "wh-j",
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["status"], "ignored");
    assert_eq!(presence(&w, &id, GUEST), "left");
    // Someone who is not a member: acknowledged, nothing changes.
    let mut stranger = event("call.session_participant_joined", now);
    stranger["participant"] = participant("user_01NOBODY");
    let a = w.webhook(&stranger, "wh-s").await;
    assert_eq!(a.body["status"], "ignored");
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_bombs_are_not() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, cid) = live_meeting(&w).await;
    let event = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST)}),
    );
    let body = event.to_string();
    let signature = sign_webhook(API_SECRET, body.as_bytes());
    let a = w
        .raw_webhook(
            gzip(body.as_bytes()),
            &signature,
            "wh-gz",
            &[("content-encoding", "gzip")],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "applied");
    assert_eq!(presence(&w, &id, GUEST), "joined");
    // Signed over the compressed bytes instead: refused.
    let packed = gzip(body.as_bytes());
    let wrong = sign_webhook(API_SECRET, &packed);
    let a = w.raw_webhook(packed, &wrong, "wh-gz-2", &[]).await;
    assert_eq!(a.status, 401, "{}", a.body);
    // A small body that inflates past the cap: refused before any check.
    let bomb = gzip(&vec![b' '; 4 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    let a = w.raw_webhook(bomb, &signature, "wh-bomb", &[]).await;
    assert_eq!(a.status, 413, "{}", a.body);
    let a = w
        .raw_webhook(vec![0x1f, 0x8b, 8, 0, 1, 2, 3], &signature, "wh-junk", &[])
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test]
async fn stale_unknown_and_incomplete_events() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, cid) = live_meeting(&w).await;
    let before = snapshot(&w);
    let mut stale = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST)}),
    );
    stale["created_at"] = json!(created_at(now_ms() as i64 - 10 * 60 * 1000));
    let a = w.webhook(&stale, "wh-stale").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "created_at");
    let mut future = stale.clone();
    future["created_at"] = json!(created_at(now_ms() as i64 + 10 * 60 * 1000));
    assert_eq!(w.webhook(&future, "wh-future").await.status, 400);
    // No X-Webhook-Id: nothing to deduplicate by, refused.
    let body = webhook_event("call.ended", &cid, json!({})).to_string();
    let sig = sign_webhook(API_SECRET, body.as_bytes());
    let a = w.raw_webhook(body.into_bytes(), &sig, "", &[]).await;
    assert_eq!(a.status, 400, "{}", a.body);
    // A known type missing what we need: 400.
    let broken = webhook_event("call.session_participant_joined", &cid, json!({}));
    let a = w.webhook(&broken, "wh-broken").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "participant.user.id");
    assert_eq!(snapshot(&w), before);
    // Unknown types and unknown calls: 200, logged, nothing changes.
    let a = w
        .webhook(
            &webhook_event("call.reaction_new", &cid, json!({"reaction": {}})),
            "wh-r",
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "ignored");
    let a = w
        .webhook(
            &webhook_event("call.ended", "default:no_such_call", json!({})),
            "wh-u",
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "ignored");
    assert_eq!(w.get_meeting(HOST, &id).await.body["state"], "active");
}

#[tokio::test]
async fn sessions_and_files_land_in_d1() {
    let w = World::start(&[HOST, GUEST]).await;
    let (id, cid) = live_meeting(&w).await;
    let t = now_ms() as i64 - 20_000;
    let mut started = webhook_event(
        "call.session_started",
        &cid,
        json!({"session_id": "sess-1", "call": {}}),
    );
    started["created_at"] = json!(created_at(t));
    assert_eq!(w.webhook(&started, "wh-s1").await.body["status"], "applied");
    let state = w.d1(&format!(
        "SELECT * FROM meeting_state WHERE meeting_id = '{id}'"
    ));
    assert_eq!(state[0]["active"], 1);
    assert_eq!(state[0]["started_at"], t);
    assert_eq!(state[0]["stream_session_id"], "sess-1");
    let mut joined = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST), "session_id": "sess-1"}),
    );
    joined["created_at"] = json!(created_at(t + 1_000));
    w.webhook(&joined, "wh-j1").await;
    let tr = webhook_event(
        "call.transcription_ready",
        &cid,
        json!({"call_transcription": {"filename": "t.jsonl", "url": "https://cdn.example/t.jsonl"}}),
    );
    assert_eq!(w.webhook(&tr, "wh-t1").await.body["status"], "applied");
    let mut ended = webhook_event(
        "call.session_ended",
        &cid,
        json!({"session_id": "sess-1", "call": {}}),
    );
    ended["created_at"] = json!(created_at(t + 9_000));
    assert_eq!(w.webhook(&ended, "wh-e1").await.body["status"], "applied");
    let state = w.d1(&format!(
        "SELECT * FROM meeting_state WHERE meeting_id = '{id}'"
    ));
    assert_eq!(state[0]["active"], 0);
    assert_eq!(state[0]["ended_at"], t + 9_000);
    assert_eq!(presence(&w, &id, GUEST), "left");
    let files = w.d1(&format!(
        "SELECT kind, recording_type, call_cid FROM meeting_recordings WHERE meeting_id = '{id}'"
    ));
    assert_eq!(
        files,
        vec![json!({"kind": "transcription", "recording_type": null, "call_cid": cid})]
    );
    // A session ending is not the meeting ending.
    assert_eq!(w.get_meeting(HOST, &id).await.body["state"], "active");
}

/// What "ended" looks like, minus the ids and times that must differ.
fn final_state(w: &World, id: &str) -> Value {
    let m = &w.d1(&format!(
        "SELECT state, started_at, concluded_at FROM meetings WHERE id = '{id}'"
    ))[0];
    let presences: Vec<Value> = w
        .d1(&format!(
            "SELECT user_id, presence, left_at IS NOT NULL AS has_left_at FROM meeting_participants \
             WHERE meeting_id = '{id}' ORDER BY user_id"
        ))
        .into_iter()
        .collect();
    let live = &w.d1(&format!(
        "SELECT active, ended_at IS NOT NULL AS has_ended_at FROM meeting_state WHERE meeting_id = '{id}'"
    ))[0];
    let jobs: Vec<Value> = w
        .d1(&format!(
            "SELECT substr(key, 1, instr(key, ':') - 1) AS job, status, result FROM idempotency_keys \
             WHERE scope = 'job' AND key LIKE '%:{id}' ORDER BY key"
        ))
        .into_iter()
        .map(|mut r| {
            let result: Value = serde_json::from_str(r["result"].as_str().unwrap_or("null")).unwrap();
            r["result"] = result["status"].clone();
            r
        })
        .collect();
    json!({
        "state": m["state"],
        "concluded_after_start": m["concluded_at"].as_i64() >= m["started_at"].as_i64(),
        "presences": presences,
        "live": live,
        "jobs": jobs,
    })
}

#[tokio::test]
async fn ending_by_call_ended_matches_ending_by_the_host() {
    let w = World::start_with(
        &[HOST, GUEST],
        BackendOptions::default().var("JOB_MAX_ATTEMPTS", "2"),
    )
    .await;
    let (by_host, cid_host) = live_meeting(&w).await;
    let (by_stream, cid_stream) = live_meeting(&w).await;
    for (cid, tag) in [(&cid_host, "h"), (&cid_stream, "s")] {
        let joined = webhook_event(
            "call.session_participant_joined",
            cid,
            json!({"participant": participant(GUEST)}),
        );
        assert_eq!(
            w.webhook(&joined, &format!("wh-join-{tag}")).await.status,
            200
        );
    }
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{by_host}/end"),
            Some(HOST),
            None,
        )
        .await;
    assert!(a.status == 200 || a.status == 202, "{}", a.body);
    let ended = webhook_event(
        "call.ended",
        &cid_stream,
        json!({"call": {}, "reason": "ended by host"}),
    );
    let a = w.webhook(&ended, "wh-call-ended").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "applied");
    // Stream sends call.ended for the host's end too: nothing more happens.
    let echo = webhook_event("call.ended", &cid_host, json!({"call": {}}));
    assert_eq!(w.webhook(&echo, "wh-call-ended-echo").await.status, 200);

    for id in [&by_host, &by_stream] {
        for job in ["generate_insights", "finalize_meeting"] {
            w.wait_row(
                &format!(
                    "SELECT 1 FROM idempotency_keys WHERE scope = 'job' AND key = '{job}:{id}'"
                ),
                Duration::from_secs(45),
            )
            .await;
        }
        w.wait_log(
            &format!("\"meeting_id\":\"{id}\",\"msg\":\"transcript aggregated\""),
            Duration::from_secs(45),
        )
        .await;
    }
    let host_final = final_state(&w, &by_host);
    let stream_final = final_state(&w, &by_stream);
    assert_eq!(host_final["state"], "concluded");
    assert_eq!(host_final["concluded_after_start"], true);
    assert_eq!(host_final["live"]["active"], 0);
    assert_eq!(host_final, stream_final);
    // Both are over for their members too.
    for id in [&by_host, &by_stream] {
        let a = w
            .call(
                "POST",
                &format!("/v1/meetings/{id}/ws-ticket"),
                Some(GUEST),
                None,
            )
            .await;
        assert_eq!(a.status, 409, "{}", a.body);
    }
}

/// The one idempotency policy (docs/api.md, "Idempotency of webhooks and
/// jobs"): a webhook id being applied is `409 IDEMPOTENCY_IN_PROGRESS` with
/// `Retry-After` (was `409 WEBHOOK_IN_PROGRESS`), and an id reused with
/// another body is `409 IDEMPOTENCY_KEY_REUSED` with nothing applied (was a
/// logged `200 duplicate`).
#[tokio::test]
async fn webhook_ids_follow_the_one_idempotency_policy() {
    let now = now_ms() as i64;
    // A body known before the backend starts, so its claim can be seeded.
    let busy = webhook_event("call.reaction_new", "default:whatever", json!({}));
    let claimed = format!(
        "INSERT INTO idempotency_keys (scope, key, status, request_hash, result, created_at, updated_at, expires_at) \
         VALUES ('stream_webhook', 'wh-busy', 'claimed', '{}', NULL, {now}, {now}, {})",
        connvo_shared::signature::sha256_hex(busy.to_string().as_bytes()),
        now + 3_600_000
    );
    let w = World::start_with(&[HOST, GUEST], BackendOptions::default().seed_sql(claimed)).await;
    let a = w.webhook(&busy, "wh-busy").await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "CONFLICT");
    assert_eq!(
        a.body["error"]["details"]["reason"],
        "IDEMPOTENCY_IN_PROGRESS"
    );
    assert_eq!(
        a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );

    let (id, cid) = live_meeting(&w).await;
    let joined = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST)}),
    );
    assert_eq!(
        w.webhook(&joined, "wh-once").await.body["status"],
        "applied"
    );
    let left = webhook_event(
        "call.session_participant_left",
        &cid,
        json!({"participant": participant(GUEST)}),
    );
    let a = w.webhook(&left, "wh-once").await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(
        a.body["error"]["details"]["reason"],
        "IDEMPOTENCY_KEY_REUSED"
    );
    assert_eq!(presence(&w, &id, GUEST), "joined");
    let a = w.webhook(&joined, "wh-once").await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("duplicate"))
    );
}

// ---- Issue 11, fault 3: Stream events that race provisioning -------------
//
// A meeting's call id is its meeting id, so an event for one of our calls is
// ours whatever the provisioning job has recorded so far: it is applied
// before the job claimed the meeting (no `stream_call_cid` yet), while the
// create-call request is in flight, and after the call is ready. Never
// `ignored`.
//
// Two meetings are created back to back, so their provisioning jobs share
// one queue batch; the fake Stream holds the first create-call request for
// a few seconds, so one meeting sits in `provisioning` (the request in
// flight) while the other still waits in `pending` (not yet claimed).

fn presence_event(kind: &str, id: &str, at: i64) -> Value {
    let mut e = webhook_event(
        kind,
        &format!("default:{id}"),
        json!({"participant": participant(GUEST)}),
    );
    e["created_at"] = json!(created_at(at));
    e
}

async fn video_status(w: &World, id: &str) -> String {
    let m = w.get_meeting(HOST, id).await;
    m.body["video"]["status"].as_str().unwrap_or("").to_owned()
}

#[tokio::test]
async fn events_before_during_and_after_provisioning_are_applied() {
    let w = World::start_with(
        &[HOST, GUEST],
        // The held create-call request must not time out.
        BackendOptions::default().var("STREAM_TIMEOUT_MS", "20000"),
    )
    .await;
    w.stream.delay_next(Duration::from_secs(6));
    let t0 = now_ms() as i64;
    let first = w
        .create_meeting(HOST, meeting_body("First", &[(GUEST, "participant")]))
        .await;
    let second = w
        .create_meeting(HOST, meeting_body("Second", &[(GUEST, "participant")]))
        .await;
    let ids = [
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    ];

    // Before: sent at once, before any job looked at the meetings.
    for (i, id) in ids.iter().enumerate() {
        let mut started = webhook_event(
            "call.session_started",
            &format!("default:{id}"),
            json!({"session_id": format!("sess-{i}"), "call": {}}),
        );
        started["created_at"] = json!(created_at(t0));
        let a = w.webhook(&started, &format!("wh-start-{i}")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.body["status"], "applied",
            "before provisioning: {}",
            a.body
        );
        let a = w
            .webhook(
                &presence_event("call.session_participant_joined", id, t0 + 1),
                &format!("wh-join-{i}"),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.body["status"], "applied",
            "before provisioning: {}",
            a.body
        );
        assert_eq!(presence(&w, id, GUEST), "joined");
        let state = w.d1(&format!(
            "SELECT active, stream_session_id FROM meeting_state WHERE meeting_id = '{id}'"
        ));
        assert_eq!(
            state,
            vec![json!({"active": 1, "stream_session_id": format!("sess-{i}")})]
        );
    }

    // During: one meeting's create-call request is held by the fake Stream.
    let during = eventually(
        "a meeting in provisioning",
        Duration::from_secs(20),
        || async {
            for id in &ids {
                if video_status(&w, id).await == "provisioning" {
                    return Some(id.clone());
                }
            }
            None
        },
    )
    .await;
    let a = w
        .webhook(
            &presence_event("call.session_participant_left", &during, t0 + 2),
            "wh-left-during",
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["status"], "applied",
        "during provisioning: {}",
        a.body
    );
    assert_eq!(presence(&w, &during, GUEST), "left");

    // After: both calls exist, under the cid the events already used.
    for (i, id) in ids.iter().enumerate() {
        let m = w.wait_provisioned(HOST, id).await;
        assert_eq!(m["video"]["call_cid"], format!("default:{id}"));
        let a = w
            .webhook(
                &presence_event("call.session_participant_joined", id, t0 + 3),
                &format!("wh-join-after-{i}"),
            )
            .await;
        assert_eq!(
            a.body["status"], "applied",
            "after provisioning: {}",
            a.body
        );
        assert_eq!(presence(&w, id, GUEST), "joined");
    }
    assert_eq!(w.stream.creations(), 2);

    // A call of another type, or of a meeting we do not have, is not ours.
    for (cid, tag) in [
        (format!("livestream:{}", ids[0]), "type"),
        ("default:mtg_no_such_meeting".to_owned(), "id"),
    ] {
        let e = webhook_event("call.ended", &cid, json!({"call": {}}));
        let a = w.webhook(&e, &format!("wh-foreign-{tag}")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["status"], "ignored", "{cid}: {}", a.body);
    }
}
