//! A fake OpenAI-compatible chat-completions server for end-to-end tests,
//! speaking the wire format the `openai_compatible` provider uses
//! (docs/intelligence.md, I19–I20):
//!
//! - `POST /v1/chat/completions` with `{"model", "messages", …}` answers a
//!   `chat.completion` object (`id`, `object`, `created`, `model`,
//!   `choices[{index, message{role, content, refusal}, logprobs,
//!   finish_reason}]`, `usage`, `system_fingerprint`). By default the
//!   content is a real answer to the request: the user message's `input` run
//!   through the heuristic generator, each prompt tagged [`AI_TAG`] so a test
//!   can tell the fake's answer from our own fallback;
//! - with an API key configured it requires `Authorization: Bearer <key>`
//!   (401 with OpenAI's error body otherwise);
//! - it can be scripted ([`Script`]) to answer the next requests with a
//!   status and OpenAI's error body (429, 5xx), a body that is not JSON,
//!   prose instead of JSON content, or to hang past any timeout;
//! - it records every request.
//!
//! Checked against the vendor: `tests/tests/intelligence_openai_sdk.rs`
//! drives this fake with the `openai` npm package (`tests/js/openai_sdk.mjs`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connvo_shared::intelligence::generator::{IncallInput, InsightsInput, PrecallInput, MAX_TAGS};
use connvo_shared::intelligence::heuristic::Heuristic;
use serde_json::{json, Value};

use super::http::{FakeRequest, FakeResponse, FakeServer};
use crate::BackendOptions;

/// The API key the backend is configured with.
pub const API_KEY: &str = "sk-fake-e2e-0123456789";
/// The model name the backend asks for.
pub const MODEL: &str = "fake-gpt-e2e";
/// The tag the fake adds to every prompt it generates.
pub const AI_TAG: &str = "fake-ai";

/// What the next requests meet, in order (then the default answer).
#[derive(Debug, Clone)]
pub enum Script {
    /// This status with OpenAI's error body.
    Status(u16),
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200, a well-formed completion whose content is prose, not JSON.
    Prose,
    /// Answer nothing for this long (longer than the backend's timeout).
    Hang(Duration),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
    pub status: u16,
}

#[derive(Default)]
struct State {
    script: VecDeque<Script>,
    requests: Vec<Seen>,
    served: u64,
}

/// The fake server.
pub struct FakeOpenAi {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

impl FakeOpenAi {
    pub async fn start() -> FakeOpenAi {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            async move {
                let next = lock(&state).script.pop_front();
                let resp = match next {
                    Some(Script::Hang(d)) => {
                        tokio::time::sleep(d).await;
                        error(504, "timeout", "the fake hung")
                    }
                    other => answer(&state, &req, other),
                };
                lock(&state).requests.push(Seen {
                    path: req.path.clone(),
                    authorization: req.header("authorization").map(str::to_owned),
                    body: serde_json::from_slice(&req.body).unwrap_or(Value::Null),
                    status: resp.status,
                });
                resp
            }
        })
        .await;
        FakeOpenAi { server, state }
    }

    /// The base URL clients are given (`…/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.base_url)
    }

    /// Backend options selecting the `openai_compatible` provider at this
    /// fake, with a short timeout.
    pub fn backend_options(&self) -> BackendOptions {
        BackendOptions::default()
            .var("AI_PROVIDER", "openai_compatible")
            .var("AI_BASE_URL", self.base_url())
            .var("AI_MODEL", MODEL)
            .var("AI_API_KEY", API_KEY)
            .var("AI_TIMEOUT_MS", "1500")
    }

    /// The next requests meet `script`, in order.
    pub fn script(&self, script: impl IntoIterator<Item = Script>) {
        lock(&self.state).script.extend(script);
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state).requests.clone()
    }
}

fn lock(state: &Arc<Mutex<State>>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// OpenAI's error body.
fn error(status: u16, kind: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        &json!({"error": {"message": message, "type": kind, "param": null, "code": kind}}),
    )
}

fn completion(state: &Arc<Mutex<State>>, model: &str, content: &str) -> FakeResponse {
    let n = {
        let mut s = lock(state);
        s.served += 1;
        s.served
    };
    FakeResponse::json(
        200,
        &json!({
            "id": format!("chatcmpl-fake{n:08}"),
            "object": "chat.completion",
            "created": 1_767_225_600 + n,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
            "system_fingerprint": "fp_fake_e2e",
        }),
    )
}

fn answer(state: &Arc<Mutex<State>>, req: &FakeRequest, scripted: Option<Script>) -> FakeResponse {
    let path = req.path.split('?').next().unwrap_or_default();
    if req.method != "POST" || path != "/v1/chat/completions" {
        return error(404, "invalid_request_error", "unknown route");
    }
    if req.header("authorization") != Some(&format!("Bearer {API_KEY}")) {
        return error(401, "invalid_api_key", "Incorrect API key provided");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, "invalid_request_error", "the body is not JSON");
    };
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if model.is_empty() || !body["messages"].is_array() {
        return error(
            400,
            "invalid_request_error",
            "model and messages are required",
        );
    }
    match scripted {
        Some(Script::Status(429)) => {
            return error(
                429,
                "rate_limit_exceeded",
                "Rate limit reached for requests",
            )
        }
        Some(Script::Status(status)) => {
            return error(status, "server_error", "The server had an error")
        }
        Some(Script::Garbage) => {
            return FakeResponse {
                status: 200,
                content_type: "application/json",
                body: b"{\"choices\": [oops".to_vec(),
            }
        }
        Some(Script::Prose) => {
            return completion(
                state,
                &model,
                "Sure! Here are some great ideas for your call.",
            )
        }
        Some(Script::Hang(_)) | None => {}
    }
    // The user message is {"input": …, "task": …} (I19).
    let user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .unwrap_or(Value::Null);
    let Some(content) = generate(&user) else {
        // A plain chat request (the SDK check): echo as JSON.
        let echo = json!({"echo": body["messages"]}).to_string();
        return completion(state, &model, &echo);
    };
    completion(state, &model, &content)
}

/// A real answer to one of our requests, from its input.
fn generate(user: &Value) -> Option<String> {
    let h = Heuristic::default();
    let hash = "fakefakefakefake";
    let tag = |tags: &mut Vec<String>| {
        if tags.len() >= MAX_TAGS {
            tags.pop();
        }
        tags.push(AI_TAG.to_owned());
    };
    let out = match user["task"].as_str()? {
        "precall" => {
            let input: PrecallInput = serde_json::from_value(user["input"].clone()).ok()?;
            let mut out = h.precall_now(&input, hash);
            out.ideas.iter_mut().for_each(|i| tag(&mut i.tags));
            serde_json::to_value(out).ok()?
        }
        "incall" => {
            let input: IncallInput = serde_json::from_value(user["input"].clone()).ok()?;
            let mut out = h.incall_now(&input, hash);
            out.prompts.iter_mut().for_each(|i| tag(&mut i.tags));
            serde_json::to_value(out).ok()?
        }
        "insights" => {
            let input: InsightsInput = serde_json::from_value(user["input"].clone()).ok()?;
            serde_json::to_value(h.insights_now(&input, hash)).ok()?
        }
        _ => return None,
    };
    Some(out.to_string())
}
