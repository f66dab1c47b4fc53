//! The `VectorIndex` contract (rule M6, suite in `vector_suite/`) against
//! every implementation that runs in this crate:
//!
//! - `ExactIndex`, the in-memory exact index;
//! - `SqlExactIndex` (M32), the worker's default backend, here over a
//!   SQLite database with every D1 migration applied
//!   (`vector_suite/sqlite.rs`), running the very statements the worker
//!   sends to D1.
//!
//! The Vectorize index (M33) runs the same suite in the e2e crate against
//! the fake Vectorize (`tests/tests/vectorize_contract.rs`).

#[path = "vector_suite/sqlite.rs"]
mod sqlite_rows;
mod vector_suite;

use std::rc::Rc;

use connvo_shared::matching::embedder::{ModelInfo, SourceType};
use connvo_shared::matching::local_embedder::LocalEmbedder;
use connvo_shared::matching::vector_index::{ExactIndex, VectorFilter, VectorIndex, VectorKey};
use connvo_shared::matching::vector_sql::{SqlExactIndex, VectorRows};
use rusqlite::Connection;
use sqlite_rows::{migrated, SqliteRows};
use vector_suite::{contract, run};

fn model(dim: usize) -> ModelInfo {
    ModelInfo {
        dim,
        ..LocalEmbedder::model_info()
    }
}

fn sql_index(dim: usize) -> SqlExactIndex<SqliteRows<Rc<Connection>>> {
    SqlExactIndex::new(
        SqliteRows(Rc::new(migrated())),
        model(dim),
        1_800_000_000_000,
    )
}

#[test]
fn m6_contract_exact_index() {
    contract(ExactIndex::new);
}

#[test]
fn m6_m32_contract_exact_index_over_d1_statements() {
    contract(sql_index);
}

#[test]
fn m32_an_upsert_keeps_the_embed_jobs_provenance_and_other_models_apart() {
    use connvo_shared::matching::vector_codec::encode_blob;
    use connvo_shared::matching::vector_index::VectorRecord;
    use connvo_shared::sql::embeddings::EmbeddingUpsert;
    let conn = Rc::new(migrated());
    let mut index = SqlExactIndex::new(SqliteRows(conn.clone()), model(2), 5);
    // The embed job stored u1's vector with its text's hash and provenance,
    // and another model has a vector of u1 too.
    for (model_name, hash) in [("connvo-local-lexical", "h1"), ("other-model", "h2")] {
        let s = EmbeddingUpsert {
            id: &format!("emb_{model_name}"),
            source_type: "profile",
            source_id: "u1",
            org_id: Some("org_1"),
            language: None,
            model: model_name,
            dim: 2,
            version: "1",
            vector: &encode_blob(&[1.0, 0.0]),
            content_hash: hash,
            metadata: Some(r#"{"provenance":"job"}"#),
            now_ms: 1,
        }
        .statement();
        run(SqliteRows(conn.clone()).write(&[s])).unwrap();
    }
    let record = |v: Vec<f32>| VectorRecord {
        key: VectorKey::new(SourceType::Profile, "u1"),
        org_id: Some("org_1".into()),
        language: None,
        vector: v,
    };
    let state = || -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare("SELECT model, content_hash, metadata FROM embeddings ORDER BY model")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        rows.map(Result::unwrap).collect()
    };
    let before = state();
    run(index.upsert(vec![record(vec![1.0, 0.0])])).unwrap();
    assert_eq!(state(), before, "the same vector again writes nothing");
    run(index.upsert(vec![record(vec![0.0, 1.0])])).unwrap();
    assert_eq!(
        state(),
        before,
        "a new vector keeps the job's hash and provenance"
    );
    let hits = run(index.query(&[0.0, 1.0], 5, &VectorFilter::default())).unwrap();
    assert_eq!(hits.len(), 1);
    assert!((hits[0].score - 1.0).abs() < 1e-6);
    assert_eq!(hits[0].org_id.as_deref(), Some("org_1"));
    run(index.delete_source(&VectorKey::new(SourceType::Profile, "u1"))).unwrap();
    let left: Vec<String> = state().into_iter().map(|r| r.0).collect();
    assert_eq!(left, ["other-model"], "only the index's model is deleted");
}
