//! The room store's one host requirement, [`SqlExec`], over the Durable
//! Object's synchronous SQLite API (`ctx.storage.sql`).
//!
//! No `await` happens between the statements of one room input, so the
//! runtime commits them as one implicit transaction, and its output gate
//! holds every message we send until those writes are durable: "stored
//! before acknowledged" comes from the platform, not from us.

use connvo_shared::room::store::{Row, SqlExec, SqlValue, StoreError};
use worker::{SqlStorage, SqlStorageValue};

pub struct DoSql {
    sql: SqlStorage,
}

impl DoSql {
    pub fn new(sql: SqlStorage) -> DoSql {
        DoSql { sql }
    }
}

fn to_js(value: &SqlValue) -> SqlStorageValue {
    match value {
        SqlValue::Null => SqlStorageValue::Null,
        SqlValue::Integer(i) => SqlStorageValue::Integer(*i),
        SqlValue::Real(f) => SqlStorageValue::Float(*f),
        SqlValue::Text(s) => SqlStorageValue::String(s.clone()),
        SqlValue::Blob(b) => SqlStorageValue::Blob(b.clone()),
    }
}

fn from_js(value: SqlStorageValue) -> SqlValue {
    match value {
        SqlStorageValue::Null => SqlValue::Null,
        SqlStorageValue::Boolean(b) => SqlValue::Integer(i64::from(b)),
        SqlStorageValue::Integer(i) => SqlValue::Integer(i),
        // SQLite integers arrive as JS numbers; the store's integers are all
        // below 2^53, so an integral float is an integer.
        SqlStorageValue::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            SqlValue::Integer(f as i64)
        }
        SqlStorageValue::Float(f) => SqlValue::Real(f),
        SqlStorageValue::String(s) => SqlValue::Text(s),
        SqlStorageValue::Blob(b) => SqlValue::Blob(b),
    }
}

impl SqlExec for DoSql {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let bindings: Vec<SqlStorageValue> = params.iter().map(to_js).collect();
        let cursor = self
            .sql
            .exec(sql, bindings)
            .map_err(|e| StoreError::Sql(e.to_string()))?;
        cursor
            .raw()
            .map(|row| {
                row.map(|values| values.into_iter().map(from_js).collect())
                    .map_err(|e| StoreError::Sql(e.to_string()))
            })
            .collect()
    }
}
