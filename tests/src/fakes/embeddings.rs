//! A fake OpenAI-compatible embeddings server for end-to-end tests,
//! speaking the wire format the remote embedder uses (docs/matching.md, M3):
//!
//! - `POST /v1/embeddings` with `{"model", "input": [...],
//!   "encoding_format": "float"}` answers OpenAI's list object
//!   (`object: "list"`, `data[{object: "embedding", index, embedding}]`,
//!   `model`, `usage{prompt_tokens, total_tokens}`), one vector of
//!   [`DIM`] floats per input: word counts hashed into buckets and
//!   L2-normalised, so similar texts get similar vectors;
//! - it requires `Authorization: Bearer <key>` (401 with OpenAI's error
//!   body otherwise);
//! - it can be told to answer the next requests with a status and OpenAI's
//!   error body ([`FakeEmbeddings::fail_next`]), to test the fallback;
//! - it records every request.
//!
//! Checked against the vendor: `tests/tests/embeddings_flow.rs` drives it
//! with the `openai` npm package (`tests/js/openai_embeddings_sdk.mjs`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::http::{FakeRequest, FakeResponse, FakeServer};
use crate::BackendOptions;

/// The API key the backend is configured with.
pub const API_KEY: &str = "sk-fake-embed-0123456789";
/// The model name the backend asks for.
pub const MODEL: &str = "fake-embedding-e2e";
/// The dimension of every vector.
pub const DIM: usize = 16;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub authorization: Option<String>,
    pub body: Value,
    pub status: u16,
}

#[derive(Default)]
struct State {
    failures: VecDeque<u16>,
    requests: Vec<Seen>,
}

/// The fake server.
pub struct FakeEmbeddings {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

fn lock(state: &Arc<Mutex<State>>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeEmbeddings {
    pub async fn start() -> FakeEmbeddings {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            async move {
                let failure = lock(&state).failures.pop_front();
                let resp = answer(&req, failure);
                lock(&state).requests.push(Seen {
                    authorization: req.header("authorization").map(str::to_owned),
                    body: serde_json::from_slice(&req.body).unwrap_or(Value::Null),
                    status: resp.status,
                });
                resp
            }
        })
        .await;
        FakeEmbeddings { server, state }
    }

    /// The base URL clients are given (`…/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.base_url)
    }

    /// Backend options selecting the `openai-compatible` embedder at this
    /// fake, with a short timeout.
    pub fn backend_options(&self) -> BackendOptions {
        BackendOptions::default()
            .var("EMBEDDINGS_PROVIDER", "openai-compatible")
            .var("EMBEDDINGS_BASE_URL", self.base_url())
            .var("EMBEDDINGS_MODEL", MODEL)
            .var("EMBEDDINGS_DIM", DIM.to_string())
            .var("EMBEDDINGS_API_KEY", API_KEY)
            .var("EMBEDDINGS_TIMEOUT_MS", "1500")
    }

    /// The next `n` requests are answered `status` with OpenAI's error body.
    pub fn fail_next(&self, n: usize, status: u16) {
        lock(&self.state)
            .failures
            .extend(std::iter::repeat_n(status, n));
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state).requests.clone()
    }
}

/// OpenAI's error body.
fn error(status: u16, kind: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        &json!({"error": {"message": message, "type": kind, "param": null, "code": kind}}),
    )
}

/// Word counts hashed (FNV-1a) into [`DIM`] buckets, L2-normalised.
fn vector(text: &str) -> Vec<f64> {
    let mut v = vec![0.0f64; DIM];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in word.to_lowercase().bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        v[usize::try_from(h % DIM as u64).unwrap_or(0)] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn answer(req: &FakeRequest, failure: Option<u16>) -> FakeResponse {
    let path = req.path.split('?').next().unwrap_or_default();
    if req.method != "POST" || path != "/v1/embeddings" {
        return error(404, "invalid_request_error", "unknown route");
    }
    if req.header("authorization") != Some(&format!("Bearer {API_KEY}")) {
        return error(401, "invalid_api_key", "Incorrect API key provided");
    }
    if let Some(status) = failure {
        return error(status, "server_error", "The server had an error");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, "invalid_request_error", "the body is not JSON");
    };
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => {
            return error(
                400,
                "invalid_request_error",
                "input must be a string or an array of strings",
            )
        }
    };
    let model = body["model"].as_str().unwrap_or_default();
    if model.is_empty() || inputs.is_empty() {
        return error(400, "invalid_request_error", "model and input are required");
    }
    let tokens: usize = inputs.iter().map(|i| i.split_whitespace().count()).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": vector(text)}))
        .collect();
    FakeResponse::json(
        200,
        &json!({
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }),
    )
}
