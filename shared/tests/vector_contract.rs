//! The `VectorIndex` contract (rule M6), as one suite run against every
//! implementation that can run natively:
//!
//! - `ExactIndex`, the in-memory exact index;
//! - `RowsIndex`, a model of the worker's D1-backed default: vectors kept
//!   as stored rows (`embeddings` columns, the vector as its little-endian
//!   BLOB), a query pre-filters rows the way the SQL does, bounded by
//!   `EXACT_CANDIDATE_LIMIT`, decodes them and calls `rank_exact`.
//!
//! A new backend joins by adding one `#[test]` that calls [`contract`] with
//! its factory. Vectorize cannot run here; its shell reuses
//! `vectorize_filter` and `VectorKey::to_id`, which are unit-tested.

use connvo_shared::matching::embedder::SourceType;
use connvo_shared::matching::local_embedder::{LocalEmbedder, LOCAL_EMBEDDER_DIM};
use connvo_shared::matching::ready::now_or_never;
use connvo_shared::matching::vector_codec::{decode_blob, encode_blob};
use connvo_shared::matching::vector_index::{
    rank_exact, ExactIndex, VectorFilter, VectorHit, VectorIndex, VectorIndexError, VectorKey,
    VectorRecord, EXACT_CANDIDATE_LIMIT, MAX_TOP_K,
};

/// One stored `embeddings` row, as the D1 shell would hold it.
#[derive(Clone)]
struct Row {
    source_type: String,
    source_id: String,
    org_id: Option<String>,
    language: Option<String>,
    dim: usize,
    vector: Vec<u8>,
}

/// A model of the D1-backed exact index.
struct RowsIndex {
    dim: usize,
    rows: Vec<Row>,
}

impl RowsIndex {
    fn new(dim: usize) -> RowsIndex {
        RowsIndex {
            dim,
            rows: Vec::new(),
        }
    }
}

impl VectorIndex for RowsIndex {
    fn dim(&self) -> usize {
        self.dim
    }

    async fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<(), VectorIndexError> {
        for r in &records {
            if r.vector.len() != self.dim {
                return Err(VectorIndexError::DimensionMismatch {
                    expected: self.dim,
                    got: r.vector.len(),
                });
            }
            if r.vector.iter().any(|x| !x.is_finite()) {
                return Err(VectorIndexError::NonFinite);
            }
        }
        for r in records {
            // INSERT … ON CONFLICT (source_type, source_id, model) DO UPDATE
            self.rows.retain(|row| {
                !(row.source_type == r.key.source_type.as_str() && row.source_id == r.key.source_id)
            });
            self.rows.push(Row {
                source_type: r.key.source_type.as_str().to_owned(),
                source_id: r.key.source_id,
                org_id: r.org_id,
                language: r.language,
                dim: self.dim,
                vector: encode_blob(&r.vector),
            });
        }
        Ok(())
    }

    async fn delete_source(&mut self, key: &VectorKey) -> Result<(), VectorIndexError> {
        self.rows.retain(|row| {
            !(row.source_type == key.source_type.as_str() && row.source_id == key.source_id)
        });
        Ok(())
    }

    async fn query(
        &self,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, VectorIndexError> {
        if vector.len() != self.dim {
            return Err(VectorIndexError::DimensionMismatch {
                expected: self.dim,
                got: vector.len(),
            });
        }
        // SELECT … WHERE source_type IN (…) AND org_id = ? AND language = ? LIMIT ?
        let candidates = self
            .rows
            .iter()
            .filter(|row| {
                (filter.source_types.is_empty()
                    || filter
                        .source_types
                        .iter()
                        .any(|t| t.as_str() == row.source_type))
                    && filter
                        .org_id
                        .as_ref()
                        .is_none_or(|o| row.org_id.as_ref() == Some(o))
                    && filter
                        .language
                        .as_ref()
                        .is_none_or(|l| row.language.as_ref() == Some(l))
            })
            .take(EXACT_CANDIDATE_LIMIT)
            .map(|row| {
                let source_type = SourceType::parse(&row.source_type)
                    .ok_or_else(|| VectorIndexError::Backend("bad source_type".into()))?;
                let vector = decode_blob(&row.vector, row.dim)
                    .map_err(|e| VectorIndexError::Backend(e.to_string()))?;
                Ok(VectorRecord {
                    key: VectorKey::new(source_type, row.source_id.clone()),
                    org_id: row.org_id.clone(),
                    language: row.language.clone(),
                    vector,
                })
            })
            .collect::<Result<Vec<_>, VectorIndexError>>()?;
        rank_exact(vector, &candidates, filter, k)
    }
}

// ---- the contract ---------------------------------------------------------

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    match now_or_never(f) {
        Some(v) => v,
        None => panic!("an in-process index must not wait"),
    }
}

fn key(t: SourceType, id: &str) -> VectorKey {
    VectorKey::new(t, id)
}

fn record(
    t: SourceType,
    id: &str,
    org: Option<&str>,
    lang: Option<&str>,
    vector: Vec<f32>,
) -> VectorRecord {
    VectorRecord {
        key: key(t, id),
        org_id: org.map(str::to_owned),
        language: lang.map(str::to_owned),
        vector,
    }
}

fn embed(text: &str) -> Vec<f32> {
    LocalEmbedder.embed_one(text)
}

fn ids(hits: &[VectorHit]) -> Vec<String> {
    hits.iter().map(|h| h.key.to_id()).collect()
}

/// The whole contract against indexes made by `make(dim)`.
fn contract<I: VectorIndex>(make: impl Fn(usize) -> I) {
    empty_index_returns_nothing(&make);
    nearest_first_with_scores(&make);
    upsert_replaces_and_delete_removes(&make);
    filters_by_org_language_and_source_type(&make);
    top_k_is_bounded_and_ties_are_ordered(&make);
    dimension_and_finiteness_are_enforced(&make);
    local_embeddings_retrieve_the_related_profile(&make);
}

fn empty_index_returns_nothing<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let index = make(3);
    assert_eq!(index.dim(), 3);
    assert!(
        run(index.query(&[1.0, 0.0, 0.0], 5, &VectorFilter::default()))
            .unwrap()
            .is_empty()
    );
}

fn nearest_first_with_scores<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let mut index = make(3);
    run(index.upsert(vec![
        record(SourceType::Profile, "a", None, None, vec![1.0, 0.0, 0.0]),
        record(SourceType::Profile, "b", None, None, vec![0.6, 0.8, 0.0]),
        record(SourceType::Profile, "c", None, None, vec![-1.0, 0.0, 0.0]),
        record(SourceType::Profile, "d", None, None, vec![0.0, 0.0, 2.0]),
    ]))
    .unwrap();
    let hits = run(index.query(&[2.0, 0.0, 0.0], 10, &VectorFilter::default())).unwrap();
    assert_eq!(
        ids(&hits),
        ["profile:a", "profile:b", "profile:d", "profile:c"]
    );
    let scores: Vec<f32> = hits.iter().map(|h| h.score).collect();
    for (got, want) in scores.iter().zip([1.0, 0.6, 0.0, -1.0]) {
        assert!((got - want).abs() < 1e-5, "{scores:?}");
    }
    let top = run(index.query(&[2.0, 0.0, 0.0], 2, &VectorFilter::default())).unwrap();
    assert_eq!(ids(&top), ["profile:a", "profile:b"]);
    assert!(
        run(index.query(&[1.0, 0.0, 0.0], 0, &VectorFilter::default()))
            .unwrap()
            .is_empty()
    );
}

fn upsert_replaces_and_delete_removes<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let mut index = make(2);
    run(index.upsert(vec![
        record(SourceType::Profile, "a", None, None, vec![1.0, 0.0]),
        record(SourceType::Note, "a", None, None, vec![0.0, 1.0]),
    ]))
    .unwrap();
    // Same source id, other type: another key.
    assert_eq!(
        run(index.query(&[1.0, 0.0], 10, &VectorFilter::default()))
            .unwrap()
            .len(),
        2
    );
    // Re-upserting a key replaces its vector and attributes.
    run(index.upsert(vec![record(
        SourceType::Profile,
        "a",
        Some("org"),
        None,
        vec![0.0, -1.0],
    )]))
    .unwrap();
    let hits = run(index.query(&[1.0, 0.0], 10, &VectorFilter::default())).unwrap();
    assert_eq!(hits.len(), 2);
    let a = hits
        .iter()
        .find(|h| h.key == key(SourceType::Profile, "a"))
        .unwrap();
    assert!(a.score.abs() < 1e-6);
    assert_eq!(a.org_id.as_deref(), Some("org"));
    // Deleting a source removes it; deleting an absent one is fine.
    run(index.delete_source(&key(SourceType::Profile, "a"))).unwrap();
    run(index.delete_source(&key(SourceType::Profile, "zzz"))).unwrap();
    assert_eq!(
        ids(&run(index.query(&[1.0, 0.0], 10, &VectorFilter::default())).unwrap()),
        ["note:a"]
    );
}

fn filters_by_org_language_and_source_type<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let mut index = make(2);
    run(index.upsert(vec![
        record(
            SourceType::Profile,
            "p1",
            Some("o1"),
            Some("en"),
            vec![1.0, 0.0],
        ),
        record(
            SourceType::Profile,
            "p2",
            Some("o2"),
            Some("en"),
            vec![1.0, 0.1],
        ),
        record(SourceType::Profile, "p3", None, Some("fr"), vec![1.0, 0.2]),
        record(
            SourceType::Note,
            "n1",
            Some("o1"),
            Some("en"),
            vec![1.0, 0.3],
        ),
        record(
            SourceType::TranscriptSegment,
            "s1",
            Some("o1"),
            None,
            vec![1.0, 0.4],
        ),
    ]))
    .unwrap();
    let q = |filter: VectorFilter| ids(&run(index.query(&[1.0, 0.0], 10, &filter)).unwrap());
    assert_eq!(
        q(VectorFilter {
            org_id: Some("o1".into()),
            ..VectorFilter::default()
        }),
        ["profile:p1", "note:n1", "transcript_segment:s1"]
    );
    assert_eq!(
        q(VectorFilter {
            language: Some("fr".into()),
            ..VectorFilter::default()
        }),
        ["profile:p3"]
    );
    assert_eq!(
        q(VectorFilter {
            source_types: vec![SourceType::Profile],
            ..VectorFilter::default()
        }),
        ["profile:p1", "profile:p2", "profile:p3"]
    );
    assert_eq!(
        q(VectorFilter {
            org_id: Some("o1".into()),
            language: Some("en".into()),
            source_types: vec![SourceType::Note, SourceType::TranscriptSegment],
            exclude: vec![],
        }),
        ["note:n1"]
    );
    assert_eq!(
        q(VectorFilter {
            exclude: vec![key(SourceType::Profile, "p1")],
            source_types: vec![SourceType::Profile],
            ..VectorFilter::default()
        }),
        ["profile:p2", "profile:p3"]
    );
    assert!(q(VectorFilter {
        org_id: Some("nobody".into()),
        ..VectorFilter::default()
    })
    .is_empty());
}

fn top_k_is_bounded_and_ties_are_ordered<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let mut index = make(2);
    let records: Vec<VectorRecord> = (0..MAX_TOP_K + 20)
        .rev()
        .map(|i| {
            record(
                SourceType::User,
                &format!("u{i:03}"),
                None,
                None,
                vec![1.0, 1.0],
            )
        })
        .collect();
    run(index.upsert(records)).unwrap();
    let hits = run(index.query(&[3.0, 3.0], usize::MAX, &VectorFilter::default())).unwrap();
    assert_eq!(hits.len(), MAX_TOP_K);
    // All tie at 1.0: ascending key order, deterministically.
    assert_eq!(hits[0].key.source_id, "u000");
    assert!(hits.windows(2).all(|w| w[0].key < w[1].key));
    let again = run(index.query(&[3.0, 3.0], usize::MAX, &VectorFilter::default())).unwrap();
    assert_eq!(hits, again);
}

fn dimension_and_finiteness_are_enforced<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let mut index = make(2);
    let err = run(index.upsert(vec![
        record(SourceType::User, "ok", None, None, vec![1.0, 0.0]),
        record(SourceType::User, "bad", None, None, vec![1.0, 0.0, 0.0]),
    ]))
    .unwrap_err();
    assert_eq!(err.code(), "VECTOR_DIMENSION_MISMATCH");
    // Refused whole: not even the good record was stored.
    assert!(run(index.query(&[1.0, 0.0], 5, &VectorFilter::default()))
        .unwrap()
        .is_empty());
    let err = run(index.upsert(vec![record(
        SourceType::User,
        "nan",
        None,
        None,
        vec![f32::NAN, 0.0],
    )]))
    .unwrap_err();
    assert_eq!(err.code(), "VECTOR_NON_FINITE");
    let err = run(index.query(&[1.0], 5, &VectorFilter::default())).unwrap_err();
    assert_eq!(
        err,
        VectorIndexError::DimensionMismatch {
            expected: 2,
            got: 1
        }
    );
}

fn local_embeddings_retrieve_the_related_profile<I: VectorIndex>(make: &impl Fn(usize) -> I) {
    let mut index = make(LOCAL_EMBEDDER_DIM);
    let bios = [
        (
            "rust",
            "Rust engineer building WebAssembly services on Cloudflare Workers",
        ),
        ("baker", "Pastry chef baking sourdough bread and croissants"),
        (
            "climate",
            "Climate scientist modelling ocean temperatures and carbon",
        ),
        (
            "vc",
            "Venture investor funding early-stage fintech startups",
        ),
    ];
    run(index.upsert(
        bios.iter()
            .map(|(id, bio)| record(SourceType::Profile, id, None, Some("en"), embed(bio)))
            .collect(),
    ))
    .unwrap();
    let cases = [
        (
            "Looking for a WebAssembly and Rust developer",
            "profile:rust",
        ),
        ("I love baking bread", "profile:baker"),
        ("carbon and ocean climate models", "profile:climate"),
        (
            "raising money from investors for my fintech startup",
            "profile:vc",
        ),
    ];
    for (query, want) in cases {
        let hits = run(index.query(&embed(query), 1, &VectorFilter::default())).unwrap();
        assert_eq!(ids(&hits), [want], "{query}");
        assert!(hits[0].score > 0.0);
    }
}

#[test]
fn m6_contract_exact_index() {
    contract(ExactIndex::new);
}

#[test]
fn m6_contract_d1_rows_model() {
    contract(RowsIndex::new);
}
