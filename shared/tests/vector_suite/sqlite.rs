//! A SQLite database with every D1 migration applied, as the exact vector
//! index's row store (`VectorRows`, M32): the index's own statements run
//! here as the worker runs them on D1 (writes in one transaction).

use std::fs;
use std::ops::Deref;
use std::path::Path;

use connvo_shared::matching::vector_sql::{CandidateRow, VectorRows};
use connvo_shared::sql::{SqlValue, Statement};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

/// Any handle on a connection (`&Connection`, `Rc<Connection>`).
pub struct SqliteRows<C>(pub C);

/// An in-memory database with every migration of `d1-migrations/`, in order.
pub fn migrated() -> Connection {
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

/// A statement's parameters as rusqlite values.
pub fn bind(s: &Statement) -> Vec<Value> {
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

fn read(conn: &Connection, s: &Statement, out: &mut Vec<CandidateRow>) -> Result<(), String> {
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
    Ok(())
}

impl<C: Deref<Target = Connection>> VectorRows for SqliteRows<C> {
    async fn candidates(&self, statements: &[Statement]) -> Result<Vec<CandidateRow>, String> {
        let mut out = Vec::new();
        for s in statements {
            read(&self.0, s, &mut out)?;
        }
        Ok(out)
    }

    async fn write(&self, statements: &[Statement]) -> Result<(), String> {
        let tx = self.0.unchecked_transaction().map_err(|e| e.to_string())?;
        for s in statements {
            tx.execute(s.sql, rusqlite::params_from_iter(bind(s)))
                .map_err(|e| format!("{}: {e}", s.name))?;
        }
        tx.commit().map_err(|e| e.to_string())
    }
}
