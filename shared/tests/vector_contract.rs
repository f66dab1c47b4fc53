//! The `VectorIndex` contract (rule M6, suite in `vector_suite/`) against
//! every implementation that runs in this crate:
//!
//! - `ExactIndex`, the in-memory exact index;
//! - `SqlExactIndex` (M32), the worker's default backend, here over a
//!   SQLite database with every D1 migration applied, running the very
//!   statements the worker sends to D1.
//!
//! The Vectorize index (M33) runs the same suite in the e2e crate against
//! the fake Vectorize (`tests/tests/vectorize_contract.rs`).

mod vector_suite;

use std::cell::RefCell;
use std::fs;
use std::path::Path;
use std::rc::Rc;

use connvo_shared::matching::embedder::{ModelInfo, SourceType};
use connvo_shared::matching::local_embedder::LocalEmbedder;
use connvo_shared::matching::vector_index::{ExactIndex, VectorFilter, VectorIndex, VectorKey};
use connvo_shared::matching::vector_sql::{CandidateRow, SqlExactIndex, VectorRows};
use connvo_shared::sql::{SqlValue, Statement};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;
use vector_suite::{contract, run};

/// A SQLite database with the D1 migrations, as a [`VectorRows`] store.
struct Sqlite(Rc<RefCell<Connection>>);

fn migrated() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations");
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for f in files {
        conn.execute_batch(&fs::read_to_string(&f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    conn
}

fn bind(s: &Statement) -> Vec<Value> {
    s.params
        .iter()
        .map(|v| match v {
            SqlValue::Null => Value::Null,
            SqlValue::Integer(i) => Value::Integer(*i),
            SqlValue::Real(r) => Value::Real(*r),
            SqlValue::Text(t) => Value::Text(t.clone()),
            SqlValue::Blob(b) => Value::Blob(b.clone()),
        })
        .collect()
}

impl VectorRows for Sqlite {
    async fn candidates(&self, statements: &[Statement]) -> Result<Vec<CandidateRow>, String> {
        let conn = self.0.borrow();
        let mut out = Vec::new();
        for s in statements {
            let mut stmt = conn.prepare(s.sql).map_err(|e| e.to_string())?;
            let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
            let mut rows = stmt
                .query(rusqlite::params_from_iter(bind(s)))
                .map_err(|e| e.to_string())?;
            while let Some(row) = rows.next().map_err(|e| e.to_string())? {
                let mut obj = serde_json::Map::new();
                for (i, name) in names.iter().enumerate() {
                    let v = match row.get_ref(i).map_err(|e| e.to_string())? {
                        ValueRef::Null => serde_json::Value::Null,
                        ValueRef::Integer(n) => n.into(),
                        ValueRef::Real(r) => r.into(),
                        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                        ValueRef::Blob(_) => serde_json::Value::Null,
                    };
                    obj.insert(name.clone(), v);
                }
                out.push(serde_json::from_value(obj.into()).map_err(|e| e.to_string())?);
            }
        }
        Ok(out)
    }

    async fn write(&self, statements: &[Statement]) -> Result<(), String> {
        let mut conn = self.0.borrow_mut();
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        for s in statements {
            tx.execute(s.sql, rusqlite::params_from_iter(bind(s)))
                .map_err(|e| format!("{}: {e}", s.name))?;
        }
        tx.commit().map_err(|e| e.to_string())
    }
}

fn model(dim: usize) -> ModelInfo {
    ModelInfo {
        dim,
        ..LocalEmbedder::model_info()
    }
}

fn sql_index(dim: usize) -> SqlExactIndex<Sqlite> {
    SqlExactIndex::new(
        Sqlite(Rc::new(RefCell::new(migrated()))),
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
    let conn = Rc::new(RefCell::new(migrated()));
    let mut index = SqlExactIndex::new(Sqlite(conn.clone()), model(2), 5);
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
        run(Sqlite(conn.clone()).write(&[s])).unwrap();
    }
    let record = |v: Vec<f32>| VectorRecord {
        key: VectorKey::new(SourceType::Profile, "u1"),
        org_id: Some("org_1".into()),
        language: None,
        vector: v,
    };
    let state = || -> Vec<(String, String, String)> {
        let c = conn.borrow();
        let mut stmt = c
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
    assert_eq!(state(), before, "a new vector keeps the job's hash and provenance");
    let hits = run(index.query(&[0.0, 1.0], 5, &VectorFilter::default())).unwrap();
    assert_eq!(hits.len(), 1);
    assert!((hits[0].score - 1.0).abs() < 1e-6);
    assert_eq!(hits[0].org_id.as_deref(), Some("org_1"));
    run(index.delete_source(&VectorKey::new(SourceType::Profile, "u1"))).unwrap();
    let left: Vec<String> = state().into_iter().map(|r| r.0).collect();
    assert_eq!(left, ["other-model"], "only the index's model is deleted");
}
