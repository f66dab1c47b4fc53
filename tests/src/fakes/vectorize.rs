//! A fake Cloudflare Vectorize (v2 REST API) for the tests, speaking the
//! wire format the worker's Vectorize index uses (docs/matching.md, M33):
//!
//! - `POST /client/v4/accounts/{account}/vectorize/v2/indexes/{index}/upsert`
//!   takes NDJSON (`{"id", "values", "metadata"?}` per line) and replaces
//!   those vectors whole; `…/delete_by_ids` takes `{"ids": [...]}`; both
//!   answer `{"result": {"mutationId"}}` in Cloudflare's envelope
//!   (`success`, `errors`, `messages`) and apply at once (the real service
//!   applies them within seconds);
//! - `…/query` takes `{"vector", "topK", "returnValues"?, "returnMetadata"?,
//!   "filter"?}`, filters first (`$eq`, `$ne`, `$in`, `$nin`, or a bare
//!   value for `$eq`, on metadata), then ranks by cosine similarity (the
//!   index's metric) and answers `{"result": {"count", "matches": [{"id",
//!   "score", "metadata"?, "values"?}]}}`. `topK` is 1–100, and at most 50
//!   with values or all metadata, as Vectorize enforces;
//! - a vector of another dimension than the index's, a malformed body or
//!   an unknown index is an error in the envelope (`success: false`);
//! - it requires `Authorization: Bearer <token>`;
//! - [`FakeVectorize::fail_next`] makes the next requests answer a status.
//!
//! The logic is [`VectorizeStore::handle`] (pure, one index), so the
//! contract suite can run against it without HTTP
//! (`tests/tests/vectorize_contract.rs`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::http::{FakeRequest, FakeResponse, FakeServer};
use crate::BackendOptions;

/// The account id the tests configure.
pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
/// The bearer token the backend is given.
pub const TOKEN: &str = "vectorize-fake-token-0123456789";

/// One index: its dimension, and its vectors by id.
pub struct VectorizeStore {
    pub name: String,
    pub dim: usize,
    vectors: BTreeMap<String, (Vec<f64>, Map<String, Value>)>,
    mutations: u64,
}

fn envelope_error(status: u16, code: i64, message: &str) -> (u16, Value) {
    (
        status,
        json!({"success": false, "errors": [{"code": code, "message": message}],
               "messages": [], "result": null}),
    )
}

fn ok(result: Value) -> (u16, Value) {
    (
        200,
        json!({"success": true, "errors": [], "messages": [], "result": result}),
    )
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Does `metadata` satisfy one field's condition?
fn condition(value: Option<&Value>, cond: &Value) -> Result<bool, String> {
    let Value::Object(ops) = cond else {
        return Ok(value == Some(cond));
    };
    let mut all = true;
    for (op, arg) in ops {
        all &= match op.as_str() {
            "$eq" => value == Some(arg),
            "$ne" => value != Some(arg),
            "$in" => arg
                .as_array()
                .ok_or("$in needs an array")?
                .iter()
                .any(|a| value == Some(a)),
            "$nin" => !arg
                .as_array()
                .ok_or("$nin needs an array")?
                .iter()
                .any(|a| value == Some(a)),
            other => return Err(format!("unsupported filter operator {other}")),
        };
    }
    Ok(all)
}

impl VectorizeStore {
    pub fn new(name: &str, dim: usize) -> VectorizeStore {
        VectorizeStore {
            name: name.to_owned(),
            dim,
            vectors: BTreeMap::new(),
            mutations: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    pub fn ids(&self) -> Vec<String> {
        self.vectors.keys().cloned().collect()
    }

    fn mutation(&mut self) -> (u16, Value) {
        self.mutations += 1;
        ok(json!({"mutationId": format!("mut-{:08}", self.mutations)}))
    }

    /// One request to this index: the operation (the last path segment)
    /// and the body; the status and the envelope.
    pub fn handle(&mut self, op: &str, body: &[u8]) -> (u16, Value) {
        match op {
            "upsert" => self.upsert(body),
            "delete_by_ids" => self.delete(body),
            "query" => self.query(body),
            _ => envelope_error(404, 7003, "No route for that URI"),
        }
    }

    fn upsert(&mut self, body: &[u8]) -> (u16, Value) {
        let Ok(text) = std::str::from_utf8(body) else {
            return envelope_error(400, 40001, "body is not UTF-8");
        };
        let mut batch = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                return envelope_error(400, 40001, "invalid NDJSON line");
            };
            let (Some(id), Some(values)) = (v["id"].as_str(), v["values"].as_array()) else {
                return envelope_error(400, 40001, "each vector needs id and values");
            };
            let values: Option<Vec<f64>> = values.iter().map(Value::as_f64).collect();
            let Some(values) = values else {
                return envelope_error(400, 40001, "values must be numbers");
            };
            if values.len() != self.dim {
                return envelope_error(
                    400,
                    40006,
                    &format!(
                        "vector dimension mismatch: got {}, index has {}",
                        values.len(),
                        self.dim
                    ),
                );
            }
            let metadata = v["metadata"].as_object().cloned().unwrap_or_default();
            batch.push((id.to_owned(), values, metadata));
        }
        if batch.is_empty() {
            return envelope_error(400, 40001, "no vectors");
        }
        for (id, values, metadata) in batch {
            self.vectors.insert(id, (values, metadata));
        }
        self.mutation()
    }

    fn delete(&mut self, body: &[u8]) -> (u16, Value) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return envelope_error(400, 40001, "body is not JSON");
        };
        let Some(ids) = v["ids"].as_array() else {
            return envelope_error(400, 40001, "ids is required");
        };
        for id in ids.iter().filter_map(Value::as_str) {
            self.vectors.remove(id);
        }
        self.mutation()
    }

    fn query(&self, body: &[u8]) -> (u16, Value) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return envelope_error(400, 40001, "body is not JSON");
        };
        let Some(vector) = v["vector"]
            .as_array()
            .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
        else {
            return envelope_error(400, 40001, "vector is required");
        };
        if vector.len() != self.dim {
            return envelope_error(400, 40006, "query vector dimension mismatch");
        }
        let return_values = v["returnValues"].as_bool().unwrap_or(false);
        let return_metadata = match &v["returnMetadata"] {
            Value::String(s) => s.clone(),
            Value::Bool(true) => "all".to_owned(),
            _ => "none".to_owned(),
        };
        let max = if return_values || return_metadata == "all" {
            50
        } else {
            100
        };
        let top_k = v["topK"].as_u64().unwrap_or(5);
        if top_k == 0 || top_k > max {
            return envelope_error(400, 40025, &format!("topK must be 1..={max}"));
        }
        let filter = v["filter"].as_object().cloned().unwrap_or_default();
        let mut matches = Vec::new();
        for (id, (values, metadata)) in &self.vectors {
            let mut keep = true;
            for (field, cond) in &filter {
                match condition(metadata.get(field), cond) {
                    Ok(k) => keep &= k,
                    Err(e) => return envelope_error(400, 40001, &e),
                }
            }
            if keep {
                matches.push((cosine(&vector, values), id, values, metadata));
            }
        }
        matches.sort_by(|a, b| b.0.total_cmp(&a.0));
        matches.truncate(usize::try_from(top_k).unwrap_or(100));
        let matches: Vec<Value> = matches
            .into_iter()
            .map(|(score, id, values, metadata)| {
                let mut m = json!({"id": id, "score": score});
                if return_values {
                    m["values"] = json!(values);
                }
                if return_metadata != "none" {
                    m["metadata"] = Value::Object(metadata.clone());
                }
                m
            })
            .collect();
        ok(json!({"count": matches.len(), "matches": matches}))
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub op: String,
    pub content_type: Option<String>,
    pub body: String,
    pub status: u16,
}

struct State {
    store: VectorizeStore,
    failures: VecDeque<u16>,
    requests: Vec<Seen>,
}

/// The fake server, with one index.
pub struct FakeVectorize {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

fn lock(state: &Arc<Mutex<State>>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn answer(state: &mut State, req: &FakeRequest) -> FakeResponse {
    let path = req.path.split('?').next().unwrap_or_default();
    let prefix = format!(
        "/client/v4/accounts/{ACCOUNT}/vectorize/v2/indexes/{}/",
        state.store.name
    );
    let reply = |(status, body): (u16, Value)| FakeResponse::json(status, &body);
    if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return reply(envelope_error(401, 10000, "Authentication error"));
    }
    let Some(op) = path.strip_prefix(&prefix).filter(|_| req.method == "POST") else {
        return reply(envelope_error(404, 3000, "vectorize.index.not_found"));
    };
    if let Some(status) = state.failures.pop_front() {
        return reply(envelope_error(status, 1000, "internal error"));
    }
    reply(state.store.handle(op, &req.body))
}

impl FakeVectorize {
    /// A fake with one empty index `name` of `dim` dimensions.
    pub async fn start(name: &str, dim: usize) -> FakeVectorize {
        let state = Arc::new(Mutex::new(State {
            store: VectorizeStore::new(name, dim),
            failures: VecDeque::new(),
            requests: Vec::new(),
        }));
        let shared = state.clone();
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            async move {
                let mut s = lock(&state);
                let resp = answer(&mut s, &req);
                let path = req.path.split('?').next().unwrap_or_default();
                s.requests.push(Seen {
                    op: path.rsplit('/').next().unwrap_or_default().to_owned(),
                    content_type: req.header("content-type").map(str::to_owned),
                    body: String::from_utf8_lossy(&req.body).into_owned(),
                    status: resp.status,
                });
                resp
            }
        })
        .await;
        FakeVectorize { server, state }
    }

    /// The API base the worker is given (`VECTORIZE_API_BASE`).
    pub fn api_base(&self) -> String {
        format!("{}/client/v4", self.server.base_url)
    }

    /// Backend options pointing Vectorize calls here, and the SQL of the
    /// active `vector_index_meta` row choosing this index for `model`.
    pub fn backend_options(&self, model: &str) -> BackendOptions {
        let s = lock(&self.state);
        BackendOptions::default()
            .var("VECTORIZE_API_BASE", self.api_base())
            .var("VECTORIZE_API_TOKEN", TOKEN)
            .var("VECTORIZE_TIMEOUT_MS", "1500")
            .seed_sql(format!(
                "INSERT INTO vector_index_meta (id, provider, index_name, model, dim, metric, config, \
                 status, created_at, updated_at) VALUES ('vim_e2e', 'vectorize', '{}', '{model}', {}, \
                 'cosine', '{{\"account_id\": \"{ACCOUNT}\"}}', 'active', 1, 1)",
                s.store.name, s.store.dim
            ))
    }

    pub fn fail_next(&self, n: usize, status: u16) {
        lock(&self.state)
            .failures
            .extend(std::iter::repeat_n(status, n));
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state).requests.clone()
    }

    /// The ids the index holds.
    pub fn ids(&self) -> Vec<String> {
        lock(&self.state).store.ids()
    }
}
