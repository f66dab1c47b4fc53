//! Issue 13, the email fake checked with Resend's own SDK (the `resend` npm
//! package, run by `tests/js/resend_sdk.mjs` on the project's Node 22):
//!
//! - the SDK's `emails.send` is accepted by the fake and parses its answer
//!   (`data.id`), and a repeated `idempotencyKey` gets the first id without
//!   a second email, as Resend does;
//! - a wrong key is an SDK error, not an id;
//! - the body our provider sends (`connvo_shared::notifications::email`) has
//!   exactly the fields the SDK sends for the same email, and the fake
//!   accepts it the same way.

use std::collections::BTreeSet;

use connvo_e2e::fakes::resend::{FakeResend, API_KEY};
use connvo_shared::notifications::email::{idempotency_key, resend_body, Message};
use serde_json::{json, Value};

async fn sdk(input: Value) -> Value {
    tokio::task::spawn_blocking(move || {
        connvo_e2e::fakes::sdk::run("resend_sdk.mjs", "send", &input)
    })
    .await
    .expect("the SDK script ran")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn n5_the_resend_fake_answers_like_resend_for_its_sdk() {
    let fake = FakeResend::start().await;
    let email = json!({"from": "Connvo <n@connvo.test>", "to": ["a@example.com"],
                       "subject": "Hi", "text": "Body", "idempotency_key": "notification/ntf_1"});
    let out = sdk(json!({"base": fake.base_url(), "api_key": API_KEY,
                         "emails": [email, email]}))
    .await;
    let results = out["results"].as_array().unwrap();
    assert!(results[0]["error"].is_null(), "{out}");
    assert!(results[0]["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(results[1]["id"], results[0]["id"], "same key, same answer");
    assert_eq!(fake.sent().len(), 1, "one email for one key");
    assert_eq!(fake.requests(), 2);
    let sdk_body = fake.sent()[0].body.clone();
    assert_eq!(
        fake.sent()[0].idempotency_key.as_deref(),
        Some("notification/ntf_1")
    );

    // A wrong key: the SDK reports an error.
    let bad = sdk(json!({"base": fake.base_url(), "api_key": "re_wrong",
                         "emails": [{"from": "x@y.z", "to": "a@example.com", "subject": "s", "text": "t"}]}))
    .await;
    assert!(bad["results"][0]["id"].is_null());
    assert!(!bad["results"][0]["error"].is_null(), "{bad}");

    // Our provider's request, as the worker builds it.
    let m = Message {
        id: "ntf_2",
        from: "Connvo <n@connvo.test>",
        to: "a@example.com",
        subject: "Hi",
        text: "Body",
    };
    let ours = resend_body(&m);
    assert_eq!(
        keys(&ours),
        keys(&sdk_body),
        "ours {ours} vs the SDK's {sdk_body}"
    );
    assert_eq!(ours["to"], sdk_body["to"]);
    let resp = reqwest::Client::new()
        .post(format!("{}/emails", fake.base_url()))
        .header("authorization", format!("Bearer {API_KEY}"))
        .header("idempotency-key", idempotency_key(&m))
        .json(&ours)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert!(answer["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(fake.sent().len(), 2);
}
