//! The `VectorIndex` contract (rule M6) as one suite, shared by every
//! backend's test: `shared/tests/vector_contract.rs` runs it against
//! `ExactIndex` and the exact index over SQLite with the D1 migrations
//! (M32); `tests/tests/vectorize_contract.rs` against the Vectorize index
//! (M33) talking to the fake Vectorize of `tests/src/fakes/vectorize.rs`.
//! Every index the factory makes must be empty.

use connvo_shared::matching::embedder::SourceType;
use connvo_shared::matching::local_embedder::{LocalEmbedder, LOCAL_EMBEDDER_DIM};
use connvo_shared::matching::ready::now_or_never;
use connvo_shared::matching::vector_index::{
    VectorFilter, VectorHit, VectorIndex, VectorIndexError, VectorKey, VectorRecord, MAX_TOP_K,
};

pub fn run<T>(f: impl std::future::Future<Output = T>) -> T {
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
pub fn contract<I: VectorIndex>(make: impl Fn(usize) -> I) {
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
