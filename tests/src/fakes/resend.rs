//! A fake of Resend's email API (`POST /emails`, docs/notifications.md
//! "Email"): checks the bearer key and the body's shape, records every
//! accepted email with its `Idempotency-Key`, and answers like Resend
//! (`{"id": …}`). A repeated idempotency key gets the first answer and is
//! not recorded twice, as Resend does. `resend_sdk.rs` checks this fake
//! against Resend's own Node SDK.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::http::{FakeRequest, FakeResponse, FakeServer};
use crate::BackendOptions;

pub const API_KEY: &str = "re_test_0123456789";

/// One email the fake accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: String,
    pub idempotency_key: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct State {
    sent: Vec<Sent>,
    /// Every POST seen, accepted or not (retries included).
    requests: usize,
}

pub struct FakeResend {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

fn error(status: u16, name: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        &json!({"statusCode": status, "name": name, "message": message}),
    )
}

fn handle(state: &Mutex<State>, req: &FakeRequest) -> FakeResponse {
    if req.method != "POST" || req.path != "/emails" {
        return error(404, "not_found", "no such route");
    }
    state.lock().unwrap().requests += 1;
    if req.header("authorization") != Some(&format!("Bearer {API_KEY}")) {
        return error(401, "missing_api_key", "bad key");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return error(422, "validation_error", "body is not JSON");
    };
    let to_ok = body["to"].is_string()
        || body["to"]
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string));
    if !body["from"].is_string() || !to_ok || !body["subject"].is_string() {
        return error(422, "validation_error", "from, to and subject are required");
    }
    if !body["text"].is_string() && !body["html"].is_string() {
        return error(422, "validation_error", "text or html is required");
    }
    let key = req.header("idempotency-key").map(str::to_owned);
    let mut s = state.lock().unwrap();
    if let Some(first) = key.as_ref().and_then(|k| {
        s.sent
            .iter()
            .find(|e| e.idempotency_key.as_ref() == Some(k))
    }) {
        return FakeResponse::json(200, &json!({ "id": first.id }));
    }
    let id = format!("re_{:08}", s.sent.len() + 1);
    s.sent.push(Sent {
        id: id.clone(),
        idempotency_key: key,
        body,
    });
    FakeResponse::json(200, &json!({ "id": id }))
}

impl FakeResend {
    pub async fn start() -> FakeResend {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            async move { handle(&state, &req) }
        })
        .await;
        FakeResend { server, state }
    }

    pub fn base_url(&self) -> &str {
        &self.server.base_url
    }

    /// Points the backend's email at this fake.
    pub fn backend_options(&self) -> BackendOptions {
        BackendOptions::default()
            .var("EMAIL_PROVIDER", "resend")
            .var("RESEND_BASE_URL", self.base_url())
            .var("RESEND_API_KEY", API_KEY)
            .var("EMAIL_FROM", "Connvo <notifications@connvo.test>")
    }

    /// The emails accepted so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sent.clone()
    }

    /// Every POST seen (including repeats answered from the first).
    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }
}
