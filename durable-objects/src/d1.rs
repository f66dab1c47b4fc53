//! The one D1 executor. Every D1 read and write in the system (the API
//! worker's handlers and jobs, the room's flush and audit writes) runs
//! registry [`Statement`]s through [`D1`]: it binds their typed parameters,
//! reads rows back as the core's row types, and reports `meta.changes`,
//! which every guarded write is judged by.
//!
//! It lives in this crate, not the worker's, because the room's flush needs it
//! and the worker already depends on this crate (never the other way).

use connvo_shared::sql::{SqlValue, Statement};
use connvo_shared::ApiError;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

/// The D1 binding's name in wrangler.toml.
pub const BINDING: &str = "DB";

/// A failed D1 call: which statement, and D1's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("D1 {statement}: {message}")]
pub struct D1Error {
    pub statement: &'static str,
    pub message: String,
}

impl D1Error {
    fn new(statement: &'static str, err: impl std::fmt::Display) -> D1Error {
        D1Error {
            statement,
            message: err.to_string(),
        }
    }

    /// True when a write broke a foreign key (a user id that is not a user).
    pub fn is_foreign_key(&self) -> bool {
        self.message.contains("FOREIGN KEY constraint failed")
    }
}

impl From<D1Error> for ApiError {
    fn from(err: D1Error) -> ApiError {
        ApiError::internal(format!("database error: {err}"))
    }
}

/// One statement's outcome inside a batch.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub rows: Vec<serde_json::Value>,
    /// Rows changed (`meta.changes`); 0 for reads.
    pub changes: usize,
}

impl Outcome {
    /// The rows, decoded into one of the core's row types.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Vec<T>, D1Error> {
        self.rows.iter().cloned().map(decode).collect()
    }

    /// The first row, decoded.
    pub fn first<T: DeserializeOwned>(&self) -> Result<Option<T>, D1Error> {
        self.rows.first().cloned().map(decode).transpose()
    }
}

/// The D1 database, with the registry's statements.
pub struct D1 {
    db: D1Database,
}

impl D1 {
    pub fn new(db: D1Database) -> D1 {
        D1 { db }
    }

    /// The `DB` binding.
    pub fn from_env(env: &Env) -> Result<D1, D1Error> {
        env.d1(BINDING)
            .map(D1::new)
            .map_err(|e| D1Error::new("binding", e))
    }

    fn prepare(&self, statement: &Statement) -> Result<D1PreparedStatement, D1Error> {
        let values: Vec<JsValue> = statement.params.iter().map(to_js).collect();
        self.db
            .prepare(statement.sql)
            .bind(&values)
            .map_err(|e| D1Error::new(statement.name, e))
    }

    /// The first row, if any, decoded.
    pub async fn first<T: DeserializeOwned>(
        &self,
        statement: impl Into<Statement>,
    ) -> Result<Option<T>, D1Error> {
        let statement = statement.into();
        let row: Option<serde_json::Value> = self
            .prepare(&statement)?
            .first(None)
            .await
            .map_err(|e| D1Error::new(statement.name, e))?;
        row.map(decode).transpose()
    }

    /// Every row, decoded.
    pub async fn all<T: DeserializeOwned>(
        &self,
        statement: impl Into<Statement>,
    ) -> Result<Vec<T>, D1Error> {
        let statement = statement.into();
        let result = self
            .prepare(&statement)?
            .all()
            .await
            .map_err(|e| D1Error::new(statement.name, e))?;
        outcome(statement.name, &result)?.decode()
    }

    /// Runs a write; returns how many rows it changed.
    pub async fn run(&self, statement: impl Into<Statement>) -> Result<usize, D1Error> {
        let statement = statement.into();
        let result = self
            .prepare(&statement)?
            .run()
            .await
            .map_err(|e| D1Error::new(statement.name, e))?;
        Ok(changes(&result))
    }

    /// Runs `statements` as one transaction (D1 batches are atomic): all of
    /// them, or on any error none. One [`Outcome`] per statement, in order.
    pub async fn batch(&self, statements: &[Statement]) -> Result<Vec<Outcome>, D1Error> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = statements
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;
        let results = self
            .db
            .batch(prepared)
            .await
            .map_err(|e| D1Error::new("batch", e))?;
        statements
            .iter()
            .zip(results.iter())
            .map(|(s, r)| match r.error() {
                Some(err) => Err(D1Error::new(s.name, err)),
                None => outcome(s.name, r),
            })
            .collect()
    }
}

fn outcome(name: &'static str, result: &D1Result) -> Result<Outcome, D1Error> {
    Ok(Outcome {
        rows: result.results().map_err(|e| D1Error::new(name, e))?,
        changes: changes(result),
    })
}

fn changes(result: &D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, D1Error> {
    serde_json::from_value(value).map_err(|e| D1Error::new("row decode", e))
}

fn to_js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Null => JsValue::NULL,
        // Exact: every integer we bind is a time, a count or a flag (< 2^53).
        SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(f) => JsValue::from_f64(*f),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Blob(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
    }
}
