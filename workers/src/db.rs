//! D1 access with the registry's statements (`connvo_shared::sql`): binding
//! typed arguments, reading rows as JSON values (decoded into the core's row
//! types), and the `changes` count every guarded write is judged by.

use connvo_shared::ApiError;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::config;

/// One bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    /// Times, counts, 0/1 flags. Below 2^53, so exact as a JS number.
    Int(i64),
    Null,
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_owned())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Int(n)
    }
}
impl From<bool> for Arg {
    fn from(b: bool) -> Arg {
        Arg::Int(i64::from(b))
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Arg {
        v.map_or(Arg::Null, Into::into)
    }
}

impl Arg {
    fn to_js(&self) -> JsValue {
        match self {
            Arg::Text(s) => JsValue::from_str(s),
            // Exact: every integer we bind is a time, a count or a flag.
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Null => JsValue::null(),
        }
    }
}

/// `args![a, b, c]`: a `Vec<Arg>` from anything convertible.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => {
        vec![$($crate::db::Arg::from($x)),*]
    };
}

fn db_error(e: worker::Error) -> ApiError {
    ApiError::internal(format!("database error: {e}"))
}

pub fn database(env: &Env) -> Result<D1Database, ApiError> {
    env.d1(config::DB)
        .map_err(|e| ApiError::internal(format!("D1 binding: {e}")))
}

/// A prepared statement with its arguments bound.
pub fn stmt(db: &D1Database, sql: &str, args: Vec<Arg>) -> Result<D1PreparedStatement, ApiError> {
    let values: Vec<JsValue> = args.iter().map(Arg::to_js).collect();
    db.prepare(sql).bind(&values).map_err(db_error)
}

/// The first row, if any.
pub async fn first(
    db: &D1Database,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Option<serde_json::Value>, ApiError> {
    stmt(db, sql, args)?.first(None).await.map_err(db_error)
}

/// Every row.
pub async fn all(
    db: &D1Database,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let result = stmt(db, sql, args)?.all().await.map_err(db_error)?;
    rows(&result)
}

/// Runs a write; returns how many rows it changed.
pub async fn run(db: &D1Database, sql: &str, args: Vec<Arg>) -> Result<usize, ApiError> {
    let result = stmt(db, sql, args)?.run().await.map_err(db_error)?;
    Ok(changes(&result))
}

/// Runs statements as one transaction: all of them, or (on any error) none.
pub async fn batch(
    db: &D1Database,
    statements: Vec<D1PreparedStatement>,
) -> Result<Vec<D1Result>, ApiError> {
    db.batch(statements).await.map_err(db_error)
}

pub fn rows(result: &D1Result) -> Result<Vec<serde_json::Value>, ApiError> {
    result.results().map_err(db_error)
}

pub fn changes(result: &D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

/// Decodes a row into one of the core's row types.
pub fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::internal(format!("row decode: {e}")))
}
