//! Direct access to a backend's local D1 database file (the SQLite file
//! miniflare keeps under the state folder), for test setup and for
//! asserting on rows no route shows (queue jobs' records, idempotency keys).
//!
//! Setup writes (`BackendOptions::seed_sql`) run before `wrangler dev`
//! starts. Reads while it runs open the file read-only; SQLite's own locking
//! makes that safe, and a read sees every committed write.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};

/// The D1 database file inside a state folder.
pub fn d1_file(state_dir: &Path) -> PathBuf {
    let dir = state_dir.join("v3/d1/miniflare-D1DatabaseObject");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no D1 state in {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        // `<hash>.sqlite` is the database; miniflare keeps `metadata.sqlite` beside it.
        .find(|p| {
            p.extension().is_some_and(|x| x == "sqlite")
                && p.file_stem().is_some_and(|s| s.len() == 64)
        })
        .unwrap_or_else(|| panic!("no .sqlite file in {}", dir.display()))
}

/// Runs `sql` (any number of statements) against the database.
pub fn execute(state_dir: &Path, sql: &str) {
    let conn = Connection::open(d1_file(state_dir)).expect("open D1 file");
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("seed SQL failed: {e}\n{sql}"));
}

/// The rows of a query, as JSON objects.
pub fn query(state_dir: &Path, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<Value> {
    let conn = Connection::open_with_flags(
        d1_file(state_dir),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open D1 file read-only");
    conn.busy_timeout(std::time::Duration::from_secs(5)).ok();
    let mut stmt = conn.prepare(sql).expect("prepare");
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let rows = stmt
        .query_map(params, |row| {
            let mut obj = Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(f) => Value::from(f),
                    ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::from(b.to_vec()),
                };
                obj.insert(name.clone(), v);
            }
            Ok(Value::Object(obj))
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}
