//! Issue 10, the fake provider checked with the vendor's SDK (the `openai`
//! npm package, run by `tests/js/openai_sdk.mjs` on the project's Node 22),
//! the way `stream_sdk.rs` checks the fake Stream:
//!
//! - the SDK's own `chat.completions.create` (with `response_format:
//!   json_object`, as our provider sends) parses the fake's answer, and the
//!   answer to one of our real requests is JSON of our shape;
//! - the fake's 429, 5xx and 401 are the SDK's `RateLimitError`,
//!   `InternalServerError` and `AuthenticationError`, and a garbage body is
//!   an error, so the failures our provider falls back on are the ones a
//!   real server produces.

use connvo_e2e::fakes::openai::{FakeOpenAi, Script, AI_TAG, API_KEY, MODEL};
use connvo_shared::intelligence::generator::{GenerationParams, PrecallInput, Task};
use connvo_shared::intelligence::openai_compatible::{parse_precall, request_body};
use connvo_shared::intelligence::profile::{InterestRef, ParticipantProfile};
use serde_json::{json, Value};

/// Runs a command of the SDK script with `input` on stdin.
fn sdk(command: &str, input: &Value) -> Value {
    connvo_e2e::fakes::sdk::run("openai_sdk.mjs", command, input)
}

fn person(id: &str, name: &str, interest: &str) -> ParticipantProfile {
    ParticipantProfile {
        user_id: id.into(),
        display_name: name.into(),
        headline: None,
        bio: None,
        goals: None,
        experience: None,
        languages: vec![],
        skills: vec![],
        interests: vec![InterestRef {
            key: interest.into(),
            label: "Real-time systems".into(),
            category: "engineering".into(),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_parses_the_fakes_completions() {
    let fake = FakeOpenAi::start().await;
    let input = PrecallInput {
        meeting_id: "mtg_sdk".into(),
        title: Some("Realtime sync".into()),
        description: None,
        participants: vec![
            person("u_a", "Ada", "realtime"),
            person("u_b", "Ben", "realtime"),
        ],
        weights: Default::default(),
    };
    let params = GenerationParams::default();
    // Our exact request body, sent by the SDK.
    let body = request_body(Task::Precall, &input, MODEL, &params, "00ff00ff").unwrap();
    let out = sdk(
        "chat",
        &json!({"base": fake.base_url(), "api_key": API_KEY, "model": MODEL,
                "messages": body["messages"]}),
    );
    assert_eq!(out["object"], "chat.completion");
    assert_eq!(out["model"], MODEL);
    assert_eq!(out["role"], "assistant");
    assert_eq!(out["finish_reason"], "stop");
    assert!(out["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(out["usage"]["total_tokens"].as_u64().unwrap() > 0);
    // The content the SDK got is what our parser accepts.
    let content = out["content"].as_str().unwrap();
    let envelope = json!({"choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": content}}]})
    .to_string();
    let parsed = parse_precall(&envelope, &input, &params).unwrap();
    assert!(parsed
        .ideas
        .iter()
        .all(|i| i.tags.iter().any(|t| t == AI_TAG)));
    assert!(
        parsed
            .ideas
            .iter()
            .any(|i| i.content.contains("Real-time systems")
                || i.tags.iter().any(|t| t.contains("realtime"))),
        "{parsed:?}"
    );
    // The fake saw the SDK's bearer key.
    let seen = fake.requests();
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert_eq!(seen[0].body["response_format"]["type"], "json_object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fakes_failures_are_the_sdks_errors() {
    let fake = FakeOpenAi::start().await;
    fake.script([
        Script::Status(429),
        Script::Status(500),
        Script::Status(503),
        Script::Garbage,
    ]);
    let out = sdk(
        "errors",
        &json!({"base": fake.base_url(), "api_key": API_KEY, "model": MODEL, "calls": 5}),
    );
    let r = out["results"].as_array().unwrap();
    let class = |i: usize| (r[i]["status"].clone(), r[i]["error_class"].clone());
    assert_eq!(class(0), (json!(429), json!("RateLimitError")));
    assert_eq!(class(1), (json!(500), json!("InternalServerError")));
    assert_eq!(class(2), (json!(503), json!("InternalServerError")));
    assert_eq!(r[3]["ok"], false, "a garbage body is an error: {}", r[3]);
    // The script is used up: a normal answer.
    assert_eq!(r[4]["ok"], true, "{}", r[4]);
    assert_eq!(class(5), (json!(401), json!("AuthenticationError")));
}
