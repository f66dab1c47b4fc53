//! Where the rows go: D1, behind [`D1Target`] (I/O only).
//!
//! - [`SqliteD1`] writes the local D1 of `wrangler dev`: the SQLite file
//!   miniflare keeps under the persist folder
//!   (`<persist>/v3/d1/miniflare-D1DatabaseObject/<64 hex>.sqlite`), with
//!   foreign keys on as D1 has them. Run it while `wrangler dev` is stopped
//!   (miniflare caches nothing across restarts, so the next start sees the rows).
//! - [`HttpD1`] is the staging/production path: D1's HTTP API
//!   (`POST /client/v4/accounts/{account}/d1/database/{db}/query` with an API
//!   token that has D1 edit rights). A batch is sent as one request of
//!   several statements, which D1 runs as one transaction. Implemented, not
//!   run here (no account); see docs/migration.md.

use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};

use crate::value::Val;
use crate::writes::Stmt;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A statement broke a constraint (the new schema refused a row).
    #[error("constraint: {0}")]
    Constraint(String),
    #[error("{0}")]
    Other(String),
}

/// A D1 database the migration reads and writes.
pub trait D1Target {
    /// Rows of one query.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, TargetError>;
    /// Runs the statements as one atomic unit: all or nothing.
    fn batch(&mut self, stmts: &[Stmt]) -> Result<(), TargetError>;
}

/// The D1 file inside a `wrangler dev` persist folder (`--persist-to`).
pub fn d1_file_in(persist: &Path) -> Result<PathBuf, String> {
    let dir = persist.join("v3/d1/miniflare-D1DatabaseObject");
    let found = std::fs::read_dir(&dir)
        .map_err(|e| format!("no local D1 in {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "sqlite")
                && p.file_stem().is_some_and(|s| s.len() == 64)
        })
        .collect::<Vec<_>>();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no D1 database file in {}", dir.display())),
        _ => Err(format!(
            "several D1 databases in {}; pass --d1-file",
            dir.display()
        )),
    }
}

pub struct SqliteD1 {
    conn: Connection,
}

impl SqliteD1 {
    pub fn open(path: &Path) -> Result<SqliteD1, TargetError> {
        let conn = Connection::open(path).map_err(other)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(other)?;
        // Foreign keys on, as D1 enforces them. A 256 MiB page cache: the
        // old rows arrive in updated_at order, so inserts land all over the
        // (meeting_id, seq) index, and the default 2 MiB cache thrashes.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA cache_size = -262144;")
            .map_err(other)?;
        let has_map: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'legacy_id_map'",
                [],
                |r| r.get(0),
            )
            .map_err(other)?;
        if has_map == 0 {
            return Err(TargetError::Other(format!(
                "{} has no legacy_id_map: apply the D1 migrations first (wrangler d1 migrations apply DB --local)",
                path.display()
            )));
        }
        Ok(SqliteD1 { conn })
    }
}

fn other(e: impl std::fmt::Display) -> TargetError {
    TargetError::Other(e.to_string())
}

fn classify(e: rusqlite::Error) -> TargetError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => TargetError::Constraint(e.to_string()),
        _ => TargetError::Other(e.to_string()),
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Val::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn from_ref(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(n) => Val::Int(n),
        ValueRef::Real(f) => Val::Real(f),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Text(format!("<blob {} bytes>", b.len())),
    }
}

impl D1Target for SqliteD1 {
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, TargetError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(classify)?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                (0..n).map(|i| r.get_ref(i).map(from_ref)).collect()
            })
            .map_err(classify)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(classify)
    }

    fn batch(&mut self, stmts: &[Stmt]) -> Result<(), TargetError> {
        let tx = self.conn.transaction().map_err(other)?;
        for s in stmts {
            let mut prepared = tx.prepare_cached(&s.sql).map_err(classify)?;
            prepared
                .execute(rusqlite::params_from_iter(s.params.iter()))
                .map_err(classify)?;
        }
        tx.commit().map_err(classify)
    }
}

/// D1 over Cloudflare's HTTP API (staging and production): `/raw` for
/// reads (rows as arrays, in column order), `/query` with a `batch` of
/// statements for writes. Not exercised by the tests (no account here).
pub struct HttpD1 {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl HttpD1 {
    /// `account/database` ids and an API token with D1 edit rights.
    pub fn new(account: &str, database: &str, token: &str) -> HttpD1 {
        HttpD1 {
            base: format!(
                "https://api.cloudflare.com/client/v4/accounts/{account}/d1/database/{database}"
            ),
            token: token.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    fn post(
        &self,
        endpoint: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, TargetError> {
        let req = self
            .client
            .post(format!("{}/{endpoint}", self.base))
            .bearer_auth(&self.token)
            .json(&body);
        let res = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                let r = req.send().await.map_err(other)?;
                r.json::<serde_json::Value>().await.map_err(other)
            })
        })?;
        if res["success"].as_bool() == Some(true) {
            Ok(res)
        } else {
            let msg = res["errors"].to_string();
            if msg.contains("constraint") {
                Err(TargetError::Constraint(msg))
            } else {
                Err(TargetError::Other(msg))
            }
        }
    }
}

fn json_param(v: &Val) -> serde_json::Value {
    match v {
        Val::Null => serde_json::Value::Null,
        Val::Int(n) => (*n).into(),
        Val::Real(f) => (*f).into(),
        Val::Text(s) => s.clone().into(),
    }
}

impl D1Target for HttpD1 {
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, TargetError> {
        let res = self.post("raw", serde_json::json!({"sql": sql, "params": params.iter().map(json_param).collect::<Vec<_>>()}))?;
        let rows = res["result"][0]["results"]["rows"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(rows
            .iter()
            .map(|r| {
                r.as_array()
                    .map(|cells| {
                        cells
                            .iter()
                            .map(|v| match v {
                                serde_json::Value::Null => Val::Null,
                                serde_json::Value::Number(n) => n
                                    .as_i64()
                                    .map_or_else(|| Val::Real(n.as_f64().unwrap_or(0.0)), Val::Int),
                                serde_json::Value::String(s) => Val::Text(s.clone()),
                                other => Val::Text(other.to_string()),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect())
    }

    fn batch(&mut self, stmts: &[Stmt]) -> Result<(), TargetError> {
        // D1 runs the statements of one batch request as one transaction.
        let body: Vec<serde_json::Value> = stmts
            .iter()
            .map(|s| serde_json::json!({"sql": s.sql, "params": s.params.iter().map(json_param).collect::<Vec<_>>()}))
            .collect();
        self.post("query", serde_json::json!({ "batch": body }))
            .map(|_| ())
    }
}
