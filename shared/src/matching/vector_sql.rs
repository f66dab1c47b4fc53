//! The exact `VectorIndex` over stored `embeddings` rows (rule M32): the
//! default backend, in D1 in the worker and in SQLite in the native tests,
//! through one small executor trait ([`VectorRows`]) so the statements it
//! runs are the same in both.
//!
//! **M32 — the exact index over D1.** A query reads at most
//! [`EXACT_CANDIDATE_LIMIT`] rows of the index's model for each wanted
//! source type (all five when the filter names none), newest-computed
//! first (`EMBEDDING_INDEX_CANDIDATES`, or `…_IN_ORG` when the filter has
//! an org; indexes of migration 0013), filtered by language in SQL,
//! keeps the newest `EXACT_CANDIDATE_LIMIT` of them, decodes them and ranks
//! them with [`rank_exact`], the same ranking as [`ExactIndex`]. The rows
//! read for one (org, language, source types) are kept for the life of the
//! index value, so a cycle's seeds share one read; `upsert` and
//! `delete_source` drop them. Newest-computed first because profiles are
//! embedded when their owner saves them or enters the queue (M26, M28):
//! the people a cycle can propose are the freshest rows. Upserts write
//! `EMBEDDING_INDEX_UPSERT` (nothing changes when the embed job already
//! stored that vector); deletes `EMBEDDING_DELETE_FOR_SOURCE_MODEL`.
//!
//! [`ExactIndex`]: super::vector_index::ExactIndex

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;

use super::embedder::{content_hash, ModelInfo, SourceType};
use super::profile_vector::EMBEDDING_PREFIX;
use super::vector_codec::encode_blob;
use super::vector_index::{
    check_vector, rank_exact, VectorFilter, VectorHit, VectorIndex, VectorIndexError, VectorKey,
    VectorRecord, EXACT_CANDIDATE_LIMIT,
};
use crate::sql::embeddings::{
    EmbeddingDeleteForSourceModel, EmbeddingIndexCandidates, EmbeddingIndexCandidatesInOrg,
    EmbeddingIndexUpsert,
};
use crate::sql::Statement;

/// A row of `EMBEDDING_INDEX_CANDIDATES` (and `…_IN_ORG`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CandidateRow {
    pub source_type: String,
    pub source_id: String,
    pub org_id: Option<String>,
    pub language: Option<String>,
    pub dim: i64,
    pub vector_hex: String,
    pub last_computed_at: i64,
}

impl CandidateRow {
    fn record(&self) -> Result<VectorRecord, VectorIndexError> {
        let source_type = SourceType::parse(&self.source_type).ok_or_else(|| {
            VectorIndexError::Backend(format!("unknown source_type {}", self.source_type))
        })?;
        let vector = super::profile_vector::StoredVector {
            source_id: self.source_id.clone(),
            dim: self.dim,
            version: String::new(),
            vector_hex: self.vector_hex.clone(),
        }
        .decode()
        .ok_or_else(|| VectorIndexError::Backend(format!("bad vector of {}", self.source_id)))?;
        Ok(VectorRecord {
            key: VectorKey::new(source_type, self.source_id.clone()),
            org_id: self.org_id.clone(),
            language: self.language.clone(),
            vector,
        })
    }
}

/// What the exact index needs of a SQL store: read candidate rows, and
/// run writes atomically. Errors are the store's message.
#[allow(async_fn_in_trait)] // Workers futures are !Send.
pub trait VectorRows {
    async fn candidates(&self, statements: &[Statement]) -> Result<Vec<CandidateRow>, String>;
    async fn write(&self, statements: &[Statement]) -> Result<(), String>;
}

/// The filter attributes a query's candidate read depends on.
type ScopeKey = (Option<String>, Option<String>, Vec<SourceType>);

/// M32: the exact index over the `embeddings` rows of one model.
pub struct SqlExactIndex<R> {
    rows: R,
    model: ModelInfo,
    now_ms: i64,
    read: RefCell<BTreeMap<ScopeKey, Rc<Vec<VectorRecord>>>>,
}

impl<R: VectorRows> SqlExactIndex<R> {
    /// `now_ms` stamps the rows upserts write.
    pub fn new(rows: R, model: ModelInfo, now_ms: i64) -> SqlExactIndex<R> {
        SqlExactIndex {
            rows,
            model,
            now_ms,
            read: RefCell::new(BTreeMap::new()),
        }
    }

    /// The statements reading a filter's candidates (one per source type).
    pub fn candidate_statements(&self, filter: &VectorFilter) -> Vec<Statement> {
        let kinds: Vec<SourceType> = if filter.source_types.is_empty() {
            SourceType::ALL.to_vec()
        } else {
            filter.source_types.clone()
        };
        let limit = i64::try_from(EXACT_CANDIDATE_LIMIT).unwrap_or(i64::MAX);
        kinds
            .into_iter()
            .map(|kind| match &filter.org_id {
                Some(org) => EmbeddingIndexCandidatesInOrg {
                    model: &self.model.name,
                    source_type: kind.as_str(),
                    org_id: org,
                    language: filter.language.as_deref(),
                    limit,
                }
                .statement(),
                None => EmbeddingIndexCandidates {
                    model: &self.model.name,
                    source_type: kind.as_str(),
                    language: filter.language.as_deref(),
                    limit,
                }
                .statement(),
            })
            .collect()
    }

    async fn scope(
        &self,
        filter: &VectorFilter,
    ) -> Result<Rc<Vec<VectorRecord>>, VectorIndexError> {
        let mut kinds = filter.source_types.clone();
        kinds.sort();
        kinds.dedup();
        let key = (filter.org_id.clone(), filter.language.clone(), kinds);
        if let Some(hit) = self.read.borrow().get(&key) {
            return Ok(hit.clone());
        }
        let mut rows = self
            .rows
            .candidates(&self.candidate_statements(filter))
            .await
            .map_err(VectorIndexError::Backend)?;
        // Several source types: the newest EXACT_CANDIDATE_LIMIT of them all.
        rows.sort_by_key(|r| std::cmp::Reverse(r.last_computed_at));
        rows.truncate(EXACT_CANDIDATE_LIMIT);
        let records = Rc::new(
            rows.iter()
                .map(CandidateRow::record)
                .collect::<Result<Vec<_>, _>>()?,
        );
        self.read.borrow_mut().insert(key, records.clone());
        Ok(records)
    }

    /// The id a row inserted by an upsert gets: stable per key and model,
    /// so a retried upsert collides with itself.
    fn row_id(&self, key: &VectorKey) -> String {
        let digest = content_hash(&format!("{}\n{}", self.model.name, key.to_id()));
        format!("{EMBEDDING_PREFIX}_{}", &digest[..26])
    }

    fn check(&self, vector: &[f32]) -> Result<(), VectorIndexError> {
        check_vector(vector, self.model.dim)
    }
}

impl<R: VectorRows> VectorIndex for SqlExactIndex<R> {
    fn dim(&self) -> usize {
        self.model.dim
    }

    async fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<(), VectorIndexError> {
        for r in &records {
            self.check(&r.vector)?;
        }
        let dim = i64::try_from(self.model.dim).unwrap_or(i64::MAX);
        let blobs: Vec<Vec<u8>> = records.iter().map(|r| encode_blob(&r.vector)).collect();
        let ids: Vec<String> = records.iter().map(|r| self.row_id(&r.key)).collect();
        let statements: Vec<Statement> = records
            .iter()
            .zip(&blobs)
            .zip(&ids)
            .map(|((r, blob), id)| {
                EmbeddingIndexUpsert {
                    id,
                    source_type: r.key.source_type.as_str(),
                    source_id: &r.key.source_id,
                    org_id: r.org_id.as_deref(),
                    language: r.language.as_deref(),
                    model: &self.model.name,
                    dim,
                    version: &self.model.version,
                    vector: blob,
                    now_ms: self.now_ms,
                }
                .statement()
            })
            .collect();
        if statements.is_empty() {
            return Ok(());
        }
        self.read.borrow_mut().clear();
        self.rows
            .write(&statements)
            .await
            .map_err(VectorIndexError::Backend)
    }

    async fn delete_source(&mut self, key: &VectorKey) -> Result<(), VectorIndexError> {
        self.read.borrow_mut().clear();
        let statement = EmbeddingDeleteForSourceModel {
            source_type: key.source_type.as_str(),
            source_id: &key.source_id,
            model: &self.model.name,
        }
        .statement();
        self.rows
            .write(&[statement])
            .await
            .map_err(VectorIndexError::Backend)
    }

    async fn query(
        &self,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, VectorIndexError> {
        self.check(vector)?;
        let candidates = self.scope(filter).await?;
        rank_exact(vector, candidates.iter(), filter, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::local_embedder::LocalEmbedder;
    use crate::matching::ready::now_or_never;
    use std::cell::Cell;

    /// Counts reads; answers no rows.
    #[derive(Default)]
    struct Empty {
        reads: Cell<usize>,
        writes: RefCell<Vec<&'static str>>,
    }

    impl VectorRows for &Empty {
        async fn candidates(&self, _: &[Statement]) -> Result<Vec<CandidateRow>, String> {
            self.reads.set(self.reads.get() + 1);
            Ok(Vec::new())
        }
        async fn write(&self, statements: &[Statement]) -> Result<(), String> {
            self.writes
                .borrow_mut()
                .extend(statements.iter().map(|s| s.name));
            Ok(())
        }
    }

    #[test]
    fn m32_one_read_per_scope_until_a_write() {
        let store = Empty::default();
        let mut index = SqlExactIndex::new(&store, LocalEmbedder::model_info(), 1);
        let q = LocalEmbedder.embed_one("rust");
        let filter = VectorFilter {
            source_types: vec![SourceType::Profile],
            ..VectorFilter::default()
        };
        for _ in 0..3 {
            now_or_never(index.query(&q, 5, &filter)).unwrap().unwrap();
        }
        assert_eq!(store.reads.get(), 1);
        let other = VectorFilter {
            org_id: Some("org_1".into()),
            ..filter.clone()
        };
        now_or_never(index.query(&q, 5, &other)).unwrap().unwrap();
        assert_eq!(store.reads.get(), 2);
        now_or_never(index.delete_source(&VectorKey::new(SourceType::Profile, "u")))
            .unwrap()
            .unwrap();
        now_or_never(index.query(&q, 5, &filter)).unwrap().unwrap();
        assert_eq!(store.reads.get(), 3);
        assert_eq!(
            *store.writes.borrow(),
            ["EMBEDDING_DELETE_FOR_SOURCE_MODEL"]
        );
    }

    #[test]
    fn m32_reads_each_wanted_source_type_in_or_out_of_an_org() {
        let store = Empty::default();
        let index = SqlExactIndex::new(&store, LocalEmbedder::model_info(), 1);
        let all = index.candidate_statements(&VectorFilter::default());
        assert_eq!(all.len(), SourceType::ALL.len());
        assert!(all.iter().all(|s| s.name == "EMBEDDING_INDEX_CANDIDATES"));
        let org = index.candidate_statements(&VectorFilter {
            org_id: Some("o".into()),
            source_types: vec![SourceType::Profile],
            ..VectorFilter::default()
        });
        assert_eq!(org.len(), 1);
        assert_eq!(org[0].name, "EMBEDDING_INDEX_CANDIDATES_IN_ORG");
    }

    #[test]
    fn m32_upsert_refuses_a_wrong_dimension_and_writes_nothing() {
        let store = Empty::default();
        let mut index = SqlExactIndex::new(&store, LocalEmbedder::model_info(), 1);
        let bad = VectorRecord {
            key: VectorKey::new(SourceType::Profile, "u"),
            org_id: None,
            language: None,
            vector: vec![1.0; 3],
        };
        let err = now_or_never(index.upsert(vec![bad])).unwrap().unwrap_err();
        assert_eq!(err.code(), "VECTOR_DIMENSION_MISMATCH");
        assert!(store.writes.borrow().is_empty());
    }
}
