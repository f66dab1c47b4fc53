//! Similarity search behind one trait (13.5;
//! rule M6), so no caller changes when the backend does.
//!
//! - [`VectorIndex`]: upsert vectors keyed by their source, delete a
//!   source's vector, and query the top `k` by cosine similarity with
//!   filters on org, language and source type. Results carry their score.
//! - [`ExactIndex`]: the exact implementation over an in-memory store.
//!   The worker's D1-backed default mirrors it: it loads at most
//!   [`EXACT_CANDIDATE_LIMIT`] rows pre-filtered in SQL (index
//!   `embeddings_scope`: model, source type, org) and calls the same
//!   [`rank_exact`], so both rank identically.
//! - A Cloudflare Vectorize implementation lives in the worker; it
//!   translates [`VectorFilter`] with [`vectorize_filter`] and keys
//!   vectors by [`VectorKey::to_id`].
//!
//! Which backend serves a model is the active `vector_index_meta` row; the
//! contract every backend meets is `shared/tests/vector_contract.rs`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::embedder::SourceType;

/// The most results one query returns; larger `k` is clamped.
pub const MAX_TOP_K: usize = 100;
/// The most candidate rows the exact backend scores per query.
pub const EXACT_CANDIDATE_LIMIT: usize = 5_000;

/// What a vector is of. One vector per key per model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct VectorKey {
    pub source_type: SourceType,
    pub source_id: String,
}

impl VectorKey {
    pub fn new(source_type: SourceType, source_id: impl Into<String>) -> VectorKey {
        VectorKey {
            source_type,
            source_id: source_id.into(),
        }
    }

    /// The id of this key in an external index: `source_type:source_id`.
    pub fn to_id(&self) -> String {
        format!("{}:{}", self.source_type.as_str(), self.source_id)
    }

    pub fn parse_id(id: &str) -> Option<VectorKey> {
        let (kind, source_id) = id.split_once(':')?;
        Some(VectorKey::new(SourceType::parse(kind)?, source_id))
    }
}

/// A vector with the attributes queries filter on.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorRecord {
    pub key: VectorKey,
    pub org_id: Option<String>,
    pub language: Option<String>,
    pub vector: Vec<f32>,
}

/// Which records a query may return. Every set field must match exactly;
/// an unset field (or empty `source_types`) does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VectorFilter {
    pub org_id: Option<String>,
    pub language: Option<String>,
    pub source_types: Vec<SourceType>,
    /// Keys never returned (typically the querying user's own vector).
    pub exclude: Vec<VectorKey>,
}

impl VectorFilter {
    pub fn matches(&self, record: &VectorRecord) -> bool {
        self.org_id
            .as_ref()
            .is_none_or(|org| record.org_id.as_ref() == Some(org))
            && self
                .language
                .as_ref()
                .is_none_or(|lang| record.language.as_ref() == Some(lang))
            && (self.source_types.is_empty() || self.source_types.contains(&record.key.source_type))
            && !self.exclude.contains(&record.key)
    }
}

/// One result: the key, its cosine similarity in `[-1, 1]`, and its attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VectorHit {
    pub key: VectorKey,
    pub score: f32,
    pub org_id: Option<String>,
    pub language: Option<String>,
}

/// Why an index operation failed. `code()` is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorIndexError {
    #[error("vector has {got} dimensions, the index {expected}")]
    DimensionMismatch { expected: usize, got: usize },
    #[error("vector has a non-finite component")]
    NonFinite,
    /// The backend itself failed (D1, Vectorize); carries its message.
    #[error("vector backend failed: {0}")]
    Backend(String),
}

impl VectorIndexError {
    pub fn code(&self) -> &'static str {
        match self {
            VectorIndexError::DimensionMismatch { .. } => "VECTOR_DIMENSION_MISMATCH",
            VectorIndexError::NonFinite => "VECTOR_NON_FINITE",
            VectorIndexError::Backend(_) => "VECTOR_BACKEND_ERROR",
        }
    }
}

/// A similarity index over vectors of one model (one dimension).
///
/// Contract (rule M6, `shared/tests/vector_contract.rs`):
/// - `upsert` stores each record under its key, replacing any earlier
///   vector of that key; a batch with a wrong-dimension or non-finite
///   vector is refused whole.
/// - `delete_source` removes the key's vector (absent keys are fine).
/// - `query` returns at most `min(k, MAX_TOP_K)` records matching the
///   filter, by descending cosine similarity, ties by ascending key; a query
///   vector of the wrong dimension is refused.
#[allow(async_fn_in_trait)] // Workers futures are !Send; no Send bound wanted.
pub trait VectorIndex {
    /// The dimension every vector in this index has.
    fn dim(&self) -> usize;
    async fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<(), VectorIndexError>;
    async fn delete_source(&mut self, key: &VectorKey) -> Result<(), VectorIndexError>;
    async fn query(
        &self,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, VectorIndexError>;
}

/// Cosine similarity in `[-1, 1]`; 0 if either vector is zero or the
/// lengths differ.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    ((dot / (na.sqrt() * nb.sqrt())) as f32).clamp(-1.0, 1.0)
}

/// A vector every backend accepts: `dim` components, all finite.
pub fn check_vector(vector: &[f32], dim: usize) -> Result<(), VectorIndexError> {
    if vector.len() != dim {
        return Err(VectorIndexError::DimensionMismatch {
            expected: dim,
            got: vector.len(),
        });
    }
    if vector.iter().any(|x| !x.is_finite()) {
        return Err(VectorIndexError::NonFinite);
    }
    Ok(())
}

/// The exact ranking every exact backend uses: the top `min(k, MAX_TOP_K)`
/// of `candidates` that match `filter`, by descending cosine similarity to
/// `query`, ties by ascending key. A candidate of another dimension than
/// the query is an error (the caller loaded rows of another model).
pub fn rank_exact<'a>(
    query: &[f32],
    candidates: impl IntoIterator<Item = &'a VectorRecord>,
    filter: &VectorFilter,
    k: usize,
) -> Result<Vec<VectorHit>, VectorIndexError> {
    let k = k.min(MAX_TOP_K);
    let mut hits = Vec::new();
    for record in candidates {
        check_vector(&record.vector, query.len())?;
        if filter.matches(record) {
            hits.push(VectorHit {
                key: record.key.clone(),
                score: cosine(query, &record.vector),
                org_id: record.org_id.clone(),
                language: record.language.clone(),
            });
        }
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    hits.truncate(k);
    Ok(hits)
}

/// The exact in-memory index.
#[derive(Debug, Clone)]
pub struct ExactIndex {
    dim: usize,
    records: BTreeMap<VectorKey, VectorRecord>,
}

impl ExactIndex {
    pub fn new(dim: usize) -> ExactIndex {
        ExactIndex {
            dim,
            records: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl VectorIndex for ExactIndex {
    fn dim(&self) -> usize {
        self.dim
    }

    async fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<(), VectorIndexError> {
        for record in &records {
            check_vector(&record.vector, self.dim)?;
        }
        for record in records {
            self.records.insert(record.key.clone(), record);
        }
        Ok(())
    }

    async fn delete_source(&mut self, key: &VectorKey) -> Result<(), VectorIndexError> {
        self.records.remove(key);
        Ok(())
    }

    async fn query(
        &self,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, VectorIndexError> {
        check_vector(vector, self.dim)?;
        rank_exact(vector, self.records.values(), filter, k)
    }
}

/// The Vectorize metadata filter equivalent to `filter` (`$eq` on
/// `org_id` and `language`, `$in` on `source_type`). Exclusions are not
/// expressible there: the Vectorize shell asks for `k + exclude.len()` and
/// drops them.
pub fn vectorize_filter(filter: &VectorFilter) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(org) = &filter.org_id {
        out.insert("org_id".into(), serde_json::json!({ "$eq": org }));
    }
    if let Some(lang) = &filter.language {
        out.insert("language".into(), serde_json::json!({ "$eq": lang }));
    }
    if !filter.source_types.is_empty() {
        let kinds: Vec<&str> = filter.source_types.iter().map(|t| t.as_str()).collect();
        out.insert("source_type".into(), serde_json::json!({ "$in": kinds }));
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_handles_zero_and_mismatch() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 1.0], &[2.0, 2.0]) - 1.0).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[-1.0, 0.0]) + 1.0).abs() < 1e-6);
    }

    #[test]
    fn m6_keys_round_trip_as_external_ids() {
        let key = VectorKey::new(SourceType::TranscriptSegment, "seg:1");
        assert_eq!(key.to_id(), "transcript_segment:seg:1");
        assert_eq!(VectorKey::parse_id(&key.to_id()), Some(key));
        assert_eq!(VectorKey::parse_id("bio:1"), None);
    }

    #[test]
    fn m6_rank_exact_refuses_candidates_of_another_dimension() {
        let rec = VectorRecord {
            key: VectorKey::new(SourceType::User, "u"),
            org_id: None,
            language: None,
            vector: vec![1.0, 0.0, 0.0],
        };
        let err = rank_exact(&[1.0, 0.0], [&rec], &VectorFilter::default(), 3).unwrap_err();
        assert_eq!(err.code(), "VECTOR_DIMENSION_MISMATCH");
    }

    #[test]
    fn m6_vectorize_filter_translates_every_field() {
        let filter = VectorFilter {
            org_id: Some("org_1".into()),
            language: Some("en".into()),
            source_types: vec![SourceType::Profile, SourceType::Note],
            exclude: vec![],
        };
        assert_eq!(
            vectorize_filter(&filter),
            serde_json::json!({
                "org_id": {"$eq": "org_1"},
                "language": {"$eq": "en"},
                "source_type": {"$in": ["profile", "note"]},
            })
        );
        assert_eq!(
            vectorize_filter(&VectorFilter::default()),
            serde_json::json!({})
        );
    }
}
