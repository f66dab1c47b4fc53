//! The Cloudflare Vectorize backend of the `VectorIndex` contract (rule
//! M33), speaking Vectorize's v2 REST wire format through a transport the
//! shell supplies (the worker's `fetch`; a fake server in the tests).
//!
//! **M33 — Vectorize.** Requests go to
//! `{base}/accounts/{account_id}/vectorize/v2/indexes/{index_name}/{op}`:
//!
//! - `upsert`: NDJSON (`application/x-ndjson`), one line per vector,
//!   `{"id", "values", "metadata": {"source_type", "org_id"?, "language"?}}`;
//!   ids are [`VectorKey::to_id`] (`profile:user_1`);
//! - `delete_by_ids`: `{"ids": [...]}`;
//! - `query`: `{"vector", "topK", "returnValues": false,
//!   "returnMetadata": "indexed", "filter"}` with the filter of
//!   [`vectorize_filter`]; `topK` is `k + exclude.len()` capped at
//!   [`MAX_TOP_K`] (Vectorize's own cap without values), the excluded keys
//!   are dropped from the answer and it is cut to `k`.
//!
//! Every answer is Cloudflare's envelope `{"success", "errors": [{"code",
//! "message"}], "messages", "result"}`; the mutations' `result` is
//! `{"mutationId"}` and the query's `{"count", "matches": [{"id", "score",
//! "metadata"}]}`. A non-2xx status, `success: false` or a malformed body
//! is `VECTOR_BACKEND_ERROR` with the provider's message. Matches whose id
//! is not one of our keys are ignored; the rest are ordered by descending
//! score, ties by key (the contract's order, M6), scores clamped to
//! [-1, 1]. Vectorize applies mutations asynchronously (seconds): a vector
//! upserted just now may be missing from a query, which matching
//! tolerates (the next cycle finds it). The index must be created with
//! the model's dimension and metric `cosine`, and with metadata indexes on
//! `org_id`, `language` and `source_type` (docs/matching.md).

use serde::Deserialize;
use serde_json::{json, Value};

use super::vector_index::{
    check_vector, vectorize_filter, VectorFilter, VectorHit, VectorIndex, VectorIndexError,
    VectorKey, VectorRecord, MAX_TOP_K,
};

/// The Cloudflare API base the REST calls go to by default.
pub const VECTORIZE_API_BASE: &str = "https://api.cloudflare.com/client/v4";

/// The three operations the index uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorizeOp {
    Upsert,
    Query,
    DeleteByIds,
}

impl VectorizeOp {
    pub fn path(self) -> &'static str {
        match self {
            VectorizeOp::Upsert => "upsert",
            VectorizeOp::Query => "query",
            VectorizeOp::DeleteByIds => "delete_by_ids",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            VectorizeOp::Upsert => "application/x-ndjson",
            VectorizeOp::Query | VectorizeOp::DeleteByIds => "application/json",
        }
    }
}

/// The URL of one operation on one index.
pub fn vectorize_url(base: &str, account_id: &str, index_name: &str, op: VectorizeOp) -> String {
    format!(
        "{}/accounts/{account_id}/vectorize/v2/indexes/{index_name}/{}",
        base.trim_end_matches('/'),
        op.path()
    )
}

/// Sends one request and returns the status and body. Errors are the
/// transport's message (no answer at all).
#[allow(async_fn_in_trait)] // Workers futures are !Send.
pub trait VectorizeTransport {
    async fn send(&self, op: VectorizeOp, body: String) -> Result<(u16, Vec<u8>), String>;
}

/// The NDJSON body of an upsert.
pub fn upsert_body(records: &[VectorRecord]) -> String {
    let mut out = String::new();
    for r in records {
        let mut metadata = serde_json::Map::new();
        metadata.insert("source_type".into(), json!(r.key.source_type.as_str()));
        if let Some(org) = &r.org_id {
            metadata.insert("org_id".into(), json!(org));
        }
        if let Some(lang) = &r.language {
            metadata.insert("language".into(), json!(lang));
        }
        let line = json!({"id": r.key.to_id(), "values": r.vector, "metadata": metadata});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// The body of a query for `k` hits matching `filter`.
pub fn query_body(vector: &[f32], k: usize, filter: &VectorFilter) -> Value {
    let top_k = k.saturating_add(filter.exclude.len()).clamp(1, MAX_TOP_K);
    json!({
        "vector": vector,
        "topK": top_k,
        "returnValues": false,
        "returnMetadata": "indexed",
        "filter": vectorize_filter(filter),
    })
}

/// The body deleting one key.
pub fn delete_body(key: &VectorKey) -> Value {
    json!({ "ids": [key.to_id()] })
}

#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    errors: Vec<ApiMessage>,
    #[serde(default)]
    result: Option<Value>,
}

#[derive(Deserialize)]
struct ApiMessage {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct QueryResult {
    #[serde(default)]
    matches: Vec<Match>,
}

#[derive(Deserialize)]
struct Match {
    id: String,
    score: f64,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, Value>>,
}

fn backend(what: impl Into<String>) -> VectorIndexError {
    VectorIndexError::Backend(what.into())
}

/// The envelope's `result`, or the provider's error.
fn result(status: u16, body: &[u8]) -> Result<Value, VectorIndexError> {
    let envelope: Option<Envelope> = serde_json::from_slice(body).ok();
    let message = |e: &Envelope| {
        e.errors
            .first()
            .map(|m| format!("{} ({})", m.message, m.code.unwrap_or(0)))
            .unwrap_or_default()
    };
    match envelope {
        Some(e) if (200..300).contains(&status) && e.success => Ok(e.result.unwrap_or(Value::Null)),
        Some(e) => Err(backend(format!("vectorize {status}: {}", message(&e)))),
        None => Err(backend(format!("vectorize {status}: malformed answer"))),
    }
}

/// A mutation's answer: its `mutationId`.
pub fn parse_mutation(status: u16, body: &[u8]) -> Result<String, VectorIndexError> {
    let result = result(status, body)?;
    result
        .get("mutationId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| backend("vectorize: no mutationId"))
}

/// A query's answer as hits: ours only, excluded keys dropped, in the
/// contract's order, at most `min(k, MAX_TOP_K)`.
pub fn parse_query(
    status: u16,
    body: &[u8],
    k: usize,
    filter: &VectorFilter,
) -> Result<Vec<VectorHit>, VectorIndexError> {
    let result: QueryResult = serde_json::from_value(result(status, body)?)
        .map_err(|e| backend(format!("vectorize: malformed matches: {e}")))?;
    let text = |m: &Match, field: &str| {
        m.metadata
            .as_ref()
            .and_then(|md| md.get(field))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut hits: Vec<VectorHit> = result
        .matches
        .iter()
        .filter(|m| m.score.is_finite())
        .filter_map(|m| {
            let key = VectorKey::parse_id(&m.id)?;
            (!filter.exclude.contains(&key)).then(|| VectorHit {
                org_id: text(m, "org_id"),
                language: text(m, "language"),
                score: (m.score as f32).clamp(-1.0, 1.0),
                key,
            })
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    hits.truncate(k.min(MAX_TOP_K));
    Ok(hits)
}

/// M33: the Vectorize index of one model (one dimension).
pub struct VectorizeIndex<T> {
    transport: T,
    dim: usize,
}

impl<T: VectorizeTransport> VectorizeIndex<T> {
    pub fn new(transport: T, dim: usize) -> VectorizeIndex<T> {
        VectorizeIndex { transport, dim }
    }

    fn check(&self, vector: &[f32]) -> Result<(), VectorIndexError> {
        check_vector(vector, self.dim)
    }

    async fn send(
        &self,
        op: VectorizeOp,
        body: String,
    ) -> Result<(u16, Vec<u8>), VectorIndexError> {
        self.transport
            .send(op, body)
            .await
            .map_err(|e| backend(format!("vectorize unreachable: {e}")))
    }
}

impl<T: VectorizeTransport> VectorIndex for VectorizeIndex<T> {
    fn dim(&self) -> usize {
        self.dim
    }

    async fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<(), VectorIndexError> {
        for r in &records {
            self.check(&r.vector)?;
        }
        if records.is_empty() {
            return Ok(());
        }
        let (status, body) = self
            .send(VectorizeOp::Upsert, upsert_body(&records))
            .await?;
        parse_mutation(status, &body).map(|_| ())
    }

    async fn delete_source(&mut self, key: &VectorKey) -> Result<(), VectorIndexError> {
        let (status, body) = self
            .send(VectorizeOp::DeleteByIds, delete_body(key).to_string())
            .await?;
        parse_mutation(status, &body).map(|_| ())
    }

    async fn query(
        &self,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, VectorIndexError> {
        self.check(vector)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let (status, body) = self
            .send(
                VectorizeOp::Query,
                query_body(vector, k, filter).to_string(),
            )
            .await?;
        parse_query(status, &body, k, filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::embedder::SourceType;

    fn key(id: &str) -> VectorKey {
        VectorKey::new(SourceType::Profile, id)
    }

    #[test]
    fn m33_upsert_is_one_ndjson_line_per_vector_with_its_metadata() {
        let body = upsert_body(&[
            VectorRecord {
                key: key("u1"),
                org_id: Some("org_1".into()),
                language: None,
                vector: vec![0.5, -0.25],
            },
            VectorRecord {
                key: VectorKey::new(SourceType::Note, "m1"),
                org_id: None,
                language: Some("en".into()),
                vector: vec![1.0, 0.0],
            },
        ]);
        let lines: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                json!({"id": "profile:u1", "values": [0.5, -0.25],
                       "metadata": {"source_type": "profile", "org_id": "org_1"}}),
                json!({"id": "note:m1", "values": [1.0, 0.0],
                       "metadata": {"source_type": "note", "language": "en"}}),
            ]
        );
        assert!(body.ends_with('\n'));
    }

    #[test]
    fn m33_query_asks_for_the_exclusions_too_within_the_cap() {
        let filter = VectorFilter {
            org_id: Some("o".into()),
            exclude: vec![key("me")],
            ..VectorFilter::default()
        };
        let body = query_body(&[1.0, 0.0], 5, &filter);
        assert_eq!(body["topK"], 6);
        assert_eq!(body["returnValues"], false);
        assert_eq!(body["returnMetadata"], "indexed");
        assert_eq!(body["filter"], json!({"org_id": {"$eq": "o"}}));
        assert_eq!(query_body(&[1.0], 500, &filter)["topK"], 100);
        assert_eq!(
            vectorize_url(VECTORIZE_API_BASE, "acc", "people", VectorizeOp::DeleteByIds),
            "https://api.cloudflare.com/client/v4/accounts/acc/vectorize/v2/indexes/people/delete_by_ids"
        );
    }

    #[test]
    fn m33_answers_drop_exclusions_and_foreign_ids_and_keep_the_contract_order() {
        let answer = json!({"success": true, "errors": [], "messages": [],
        "result": {"count": 4, "matches": [
            {"id": "profile:b", "score": 0.5, "metadata": {"org_id": "o"}},
            {"id": "profile:me", "score": 0.99},
            {"id": "someone-elses", "score": 0.9},
            {"id": "profile:a", "score": 0.5},
            {"id": "profile:c", "score": 1.2},
        ]}});
        let filter = VectorFilter {
            exclude: vec![key("me")],
            ..VectorFilter::default()
        };
        let hits = parse_query(200, answer.to_string().as_bytes(), 2, &filter).unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| h.key.source_id.as_str()).collect();
        assert_eq!(ids, ["c", "a"]);
        assert_eq!(hits[0].score, 1.0);
        let all = parse_query(200, answer.to_string().as_bytes(), 10, &filter).unwrap();
        assert_eq!(all[2].org_id.as_deref(), Some("o"));
    }

    #[test]
    fn m33_failures_carry_the_providers_message() {
        let refused = json!({"success": false, "messages": [],
            "errors": [{"code": 40006, "message": "vector dimension mismatch"}], "result": null});
        let err = parse_mutation(400, refused.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.code(), "VECTOR_BACKEND_ERROR");
        assert!(err.to_string().contains("dimension mismatch"), "{err}");
        assert!(parse_mutation(502, b"<html>").is_err());
        let ok = json!({"success": true, "errors": [], "messages": [],
                        "result": {"mutationId": "m-1"}});
        assert_eq!(
            parse_mutation(200, ok.to_string().as_bytes()).unwrap(),
            "m-1"
        );
        assert!(
            parse_query(200, ok.to_string().as_bytes(), 3, &VectorFilter::default())
                .unwrap()
                .is_empty()
        );
    }
}
