//! Issue 5, provisioning the Stream call from the queue, against the fake
//! Stream: the request matches the contract; transient failures (503s, a
//! timeout) are retried with backoff until the call exists, exactly once;
//! a permanent 4xx marks the meeting failed with Stream's error; running
//! out of attempts marks it failed too; a repeated job does no harm.

use std::time::Duration;

use connvo_e2e::fakes::stream::{Recorded, API_KEY, API_SECRET};
use connvo_e2e::meet::{meeting_body, World};
use connvo_e2e::BackendOptions;
use connvo_shared::auth::stream_token::decode_stream_token;
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";

fn creates_for<'a>(requests: &'a [Recorded], id: &str) -> Vec<&'a Recorded> {
    requests
        .iter()
        .filter(|r| {
            r.path
                .starts_with(&format!("/api/v2/video/call/default/{id}?"))
        })
        .collect()
}

async fn wait_status(w: &World, id: &str, status: &str) -> Value {
    w.wait_for_meeting(HOST, id, Duration::from_secs(40), |m| {
        m["video"]["status"] == status
    })
    .await
}

#[tokio::test]
async fn the_request_matches_the_contract() {
    let w = World::start(&[HOST, GUEST]).await;
    let m = w
        .create_meeting(HOST, meeting_body("Contract", &[(GUEST, "observer")]))
        .await;
    let id = m["id"].as_str().unwrap();
    let m = w.wait_provisioned(HOST, id).await;
    assert_eq!(m["video"]["call_type"], "default");
    assert_eq!(m["video"]["call_id"], id);
    assert_eq!(m["video"]["attempts"], 1);
    assert!(m["video"]["provisioned_at"].is_i64());
    let requests = w.stream.requests();
    let sent = creates_for(&requests, id);
    assert_eq!(sent.len(), 1);
    let r = sent[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        format!("/api/v2/video/call/default/{id}?api_key={API_KEY}")
    );
    assert_eq!(r.status, 201);
    // The raw server JWT, not "Bearer …"; HS256 over {"server":true}.
    let auth = r.header("authorization").unwrap();
    assert!(!auth.starts_with("Bearer"));
    assert_eq!(
        decode_stream_token(API_SECRET, auth).unwrap(),
        json!({"server": true})
    );
    assert_eq!(r.header("stream-auth-type"), Some("jwt"));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let data = &r.body["data"];
    let mut keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["created_by_id", "custom", "members", "starts_at"]);
    assert_eq!(data["created_by_id"], HOST);
    assert_eq!(
        data["members"],
        json!([{"user_id": GUEST, "role": "call_member"}, {"user_id": HOST, "role": "host"}])
    );
    assert_eq!(data["custom"]["meeting_id"], id);
    // Nothing else in the body, and no token ever in the worker's log.
    assert_eq!(r.body.as_object().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sig = auth.split('.').nth(2).unwrap();
    assert!(
        !w.backend.log().contains(sig),
        "the server token reached the log"
    );
}

#[tokio::test]
async fn transient_failures_are_retried_until_the_call_exists_once() {
    let w = World::start(&[HOST]).await;
    w.stream.fail_next(3, 503);
    let m = w.create_meeting(HOST, meeting_body("Flaky", &[])).await;
    let id = m["id"].as_str().unwrap();
    // While it waits, the meeting says why.
    let pending = w
        .wait_for_meeting(HOST, id, Duration::from_secs(20), |m| {
            m["video"]["status"] == "pending" && m["video"]["error"]["status"] == 503
        })
        .await;
    assert_eq!(pending["video"]["error"]["code"], -1);
    let m = wait_status(&w, id, "ready").await;
    assert_eq!(m["video"]["error"], Value::Null);
    assert_eq!(m["video"]["attempts"], 4);
    let requests = w.stream.requests();
    let statuses: Vec<u16> = creates_for(&requests, id)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 503, 503, 201]);
    assert_eq!(w.stream.creations(), 1);
    // Starting re-queues provisioning only when it is not ready: nothing new.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(creates_for(&w.stream.requests(), id).len(), 4);
}

#[tokio::test]
async fn a_repeated_job_does_no_harm() {
    // A slower retry, so the second job surely overlaps the first's wait.
    let w = World::start_with(
        &[HOST],
        BackendOptions::default().var("JOB_RETRY_BASE_SECS", "4"),
    )
    .await;
    // The first job fails once and waits; starting queues a second job.
    w.stream.fail_next(1, 502);
    let m = w.create_meeting(HOST, meeting_body("Twice", &[])).await;
    let id = m["id"].as_str().unwrap();
    w.wait_for_meeting(HOST, id, Duration::from_secs(20), |m| {
        m["video"]["error"]["status"] == 502
    })
    .await;
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    wait_status(&w, id, "ready").await;
    // Let the first job's retry run too: it finds the call ready.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(w.stream.creations(), 1);
    let m = w.get_meeting(HOST, id).await.body;
    assert_eq!(m["video"]["status"], "ready");
    assert_eq!(m["video"]["call_cid"], format!("default:{id}"));
}

#[tokio::test]
async fn a_timeout_is_transient() {
    let w = World::start_with(
        &[HOST],
        BackendOptions::default().var("STREAM_TIMEOUT_MS", "500"),
    )
    .await;
    w.stream.delay_next(Duration::from_secs(2));
    let m = w.create_meeting(HOST, meeting_body("Slow", &[])).await;
    let id = m["id"].as_str().unwrap();
    let m = wait_status(&w, id, "ready").await;
    assert_eq!(m["video"]["attempts"], 2);
    // The slow request still reached Stream; get-or-create made it harmless.
    assert_eq!(w.stream.creations(), 1);
}

#[tokio::test]
async fn a_permanent_error_marks_the_meeting_failed_with_streams_error() {
    let w = World::start(&[HOST, GUEST]).await;
    w.stream
        .reject_next(400, 4, "GetOrCreateCall failed with error: \"bad members\"");
    let m = w
        .create_meeting(HOST, meeting_body("Refused", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap();
    let m = wait_status(&w, id, "failed").await;
    assert_eq!(
        m["video"]["error"],
        json!({"status": 400, "code": 4, "message": "GetOrCreateCall failed with error: \"bad members\""})
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        creates_for(&w.stream.requests(), id).len(),
        1,
        "a 4xx is not retried"
    );
    // Asking for a video token says so, and tries again; this time Stream agrees.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/video-token"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "PROVIDER_ERROR");
    assert_eq!(
        a.body["error"]["details"]["reason"],
        "CALL_PROVISIONING_FAILED"
    );
    assert_eq!(a.body["error"]["details"]["error"]["code"], 4);
    wait_status(&w, id, "ready").await;
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/video-token"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn out_of_attempts_is_failed_for_good() {
    let w = World::start_with(
        &[HOST],
        BackendOptions::default().var("JOB_MAX_ATTEMPTS", "2"),
    )
    .await;
    w.stream.fail_next(10, 503);
    let m = w.create_meeting(HOST, meeting_body("Down", &[])).await;
    let id = m["id"].as_str().unwrap();
    let m = wait_status(&w, id, "failed").await;
    assert_eq!(m["video"]["error"]["status"], 503);
    assert_eq!(m["video"]["error"]["gave_up_after_attempts"], 2);
    assert_eq!(creates_for(&w.stream.requests(), id).len(), 2);
}
