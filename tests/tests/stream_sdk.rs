//! Issue 5, checked with the vendor's SDK (`@stream-io/node-sdk`, run by
//! `tests/js/stream_sdk.mjs` on the project's Node 22):
//!
//! - webhook signatures: the SDK's `verifyWebhook` accepts the signatures
//!   our fake Stream computes, `verifyAndParseWebhook` accepts the gzip form,
//!   and our route accepts a body signed the SDK's way;
//! - tokens: the video token our API mints verifies with the SDK's JWT
//!   library (HS256, our secret) and carries the claims the SDK's own
//!   `generateCallToken` puts in;
//! - the fake Stream server accepts the SDK's own `getOrCreate` request, so
//!   the fake speaks the real wire format;
//! - and the SDK's own recording and transcription start/stop requests
//!   (issue 14), on the paths and bodies our worker sends
//!   (`recordings::control::ProviderOp`).

use connvo_e2e::fakes::stream::{participant, sign_webhook, webhook_event, API_KEY, API_SECRET};
use connvo_e2e::fakes::workos::now_ms;
use connvo_e2e::meet::{meeting_body, World};
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";

/// Runs a command of the SDK script with `input` on stdin.
fn sdk(command: &str, input: &Value) -> Value {
    connvo_e2e::fakes::sdk::run("stream_sdk.mjs", command, input)
}

#[test]
fn the_sdk_verifies_our_webhook_signatures() {
    for body in [
        r#"{"type":"call.ended","created_at":"2024-10-16T04:15:01.911604755Z","call_cid":"default:abc"}"#,
        r#"{"type":"call.closed_caption","closed_caption":{"text":"héllo — ünïcode ✓"}}"#,
    ] {
        let out = sdk("sign-webhook", &json!({"secret": API_SECRET, "body": body}));
        assert_eq!(out["signature"], sign_webhook(API_SECRET, body.as_bytes()));
        assert_eq!(out["verified"], true);
        assert_eq!(out["tampered_accepted"], false);
        let ty: Value = serde_json::from_str(body).unwrap();
        assert_eq!(out["gzip_parsed_type"], ty["type"]);
    }
}

#[tokio::test]
async fn our_route_accepts_what_the_sdk_signs_and_our_tokens_pass_the_sdk() {
    let w = World::start(&[HOST, GUEST]).await;
    let m = w
        .create_meeting(HOST, meeting_body("SDK", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap();
    let m = w.wait_provisioned(HOST, id).await;
    let cid = m["video"]["call_cid"].as_str().unwrap().to_owned();

    // A webhook body signed the SDK's way reaches our route and is applied.
    let body = webhook_event(
        "call.session_participant_joined",
        &cid,
        json!({"participant": participant(GUEST)}),
    )
    .to_string();
    let signed = sdk("sign-webhook", &json!({"secret": API_SECRET, "body": body}));
    let a = w
        .raw_webhook(
            body.into_bytes(),
            signed["signature"].as_str().unwrap(),
            "wh-sdk-1",
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "applied");

    // The video token we mint verifies with the SDK's JWT library and has
    // the SDK's own call-token claims.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/video-token"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.body["token"].as_str().unwrap();
    let out = sdk(
        "verify-token",
        &json!({"secret": API_SECRET, "api_key": API_KEY, "token": token,
                "user_id": GUEST, "call_cids": [cid]}),
    );
    assert_eq!(out["wrong_secret_accepted"], false);
    assert_eq!(out["header"], json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(out["header"], out["reference_header"]);
    let claims = &out["claims"];
    let reference = &out["reference_claims"];
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(claims), keys(reference));
    assert_eq!(claims["user_id"], GUEST);
    assert_eq!(claims["call_cids"], reference["call_cids"]);
    // Same lifetime convention: iat backdated by a second, exp an hour on.
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        reference["exp"].as_i64().unwrap() - reference["iat"].as_i64().unwrap()
    );
    assert!((claims["iat"].as_i64().unwrap() - reference["iat"].as_i64().unwrap()).abs() <= 60);
}

// Multi-threaded: the fake serves on this runtime while `sdk` blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_stream_accepts_the_sdks_own_get_or_create() {
    let fake = connvo_e2e::fakes::stream::FakeStream::start().await;
    let starts_at = connvo_shared::time::format_rfc3339_ms(now_ms() as i64 + 3_600_000).unwrap();
    let input = json!({
        "base": fake.base_url(), "api_key": API_KEY, "secret": API_SECRET,
        "type": "default", "id": "mtg_sdk_check",
        "data": {"created_by_id": HOST, "members": [{"user_id": HOST, "role": "host"}],
                 "custom": {"meeting_id": "mtg_sdk_check"}, "starts_at": starts_at},
    });
    let first = sdk("get-or-create", &input);
    assert_eq!(first["created"], true);
    assert_eq!(first["call"]["cid"], "default:mtg_sdk_check");
    let second = sdk("get-or-create", &input);
    assert_eq!(second["created"], false);
    assert_eq!(fake.creations(), 1);
    let call = fake.call("default:mtg_sdk_check").unwrap();
    assert_eq!(call.created_by_id, HOST);
    // The SDK sends what our worker sends: the raw server JWT and jwt auth.
    let r = &fake.requests()[0];
    assert_eq!(r.header("stream-auth-type"), Some("jwt"));
    assert!(!r.header("authorization").unwrap().starts_with("Bearer"));
    assert_eq!(
        r.path,
        format!("/api/v2/video/call/default/mtg_sdk_check?api_key={API_KEY}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_serves_the_sdks_recording_requests_on_our_paths() {
    use connvo_shared::recordings::control::ProviderOp;
    let fake = connvo_e2e::fakes::stream::FakeStream::start().await;
    let create = json!({
        "base": fake.base_url(), "api_key": API_KEY, "secret": API_SECRET,
        "type": "default", "id": "mtg_rec_sdk",
        "data": {"created_by_id": HOST, "members": [{"user_id": HOST, "role": "host"}],
                 "custom": {}, "starts_at": "2026-01-01T00:00:00.000Z"},
    });
    sdk("get-or-create", &create);
    let out = sdk(
        "recording",
        &json!({"base": fake.base_url(), "api_key": API_KEY, "secret": API_SECRET,
                "type": "default", "id": "mtg_rec_sdk"}),
    );
    let steps = out["steps"].as_array().unwrap();
    let ok: Vec<bool> = steps.iter().map(|s| s["ok"] == true).collect();
    assert_eq!(ok, vec![true, true, true, true, false], "{out}");
    assert_eq!(fake.recording_state("default:mtg_rec_sdk"), (false, false));
    // The SDK's paths are the ones our worker builds.
    let paths: Vec<String> = fake
        .requests()
        .iter()
        .skip(1)
        .map(|r| r.path.split('?').next().unwrap().to_owned())
        .collect();
    let ours = [
        ProviderOp::StartRecording,
        ProviderOp::StartTranscription,
        ProviderOp::StopRecording,
        ProviderOp::StopTranscription,
        ProviderOp::StopRecording,
    ]
    .map(|op| op.path("default", "mtg_rec_sdk"));
    assert_eq!(paths, ours);
}
