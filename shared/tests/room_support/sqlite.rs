//! `SqlExec` over rusqlite, standing in for the Durable Object's
//! `ctx.storage.sql` (the same SQLite engine, bundled), plus helpers to
//! apply the D1 migrations.

use std::path::Path;
use std::rc::Rc;

use connvo_shared::room::{Row, SqlExec, SqlRoomStore, SqlValue, StoreError};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

/// A shared connection: cloning it clones the handle, as a Durable Object's
/// storage outlives the room object that uses it.
#[derive(Clone)]
pub struct Sqlite(pub Rc<Connection>);

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sqlite")
    }
}

impl Sqlite {
    pub fn memory() -> Self {
        Sqlite(Rc::new(Connection::open_in_memory().unwrap()))
    }
}

fn sql_err(e: rusqlite::Error) -> StoreError {
    StoreError::Sql(e.to_string())
}

fn to_sql(value: &SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(v) => Value::Integer(*v),
        SqlValue::Real(v) => Value::Real(*v),
        SqlValue::Text(v) => Value::Text(v.clone()),
        SqlValue::Blob(v) => Value::Blob(v.clone()),
    }
}

fn from_sql(value: ValueRef<'_>) -> SqlValue {
    match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(v) => SqlValue::Integer(v),
        ValueRef::Real(v) => SqlValue::Real(v),
        ValueRef::Text(v) => SqlValue::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Blob(v) => SqlValue::Blob(v.to_vec()),
    }
}

impl SqlExec for Sqlite {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(sql_err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(sql_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(from_sql(row.get_ref(i).map_err(sql_err)?));
            }
            out.push(values);
        }
        Ok(out)
    }

    /// Outside a Durable Object there is no implicit transaction, so this
    /// host makes one with a savepoint.
    fn atomically(
        &self,
        body: &mut dyn FnMut() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.0
            .execute_batch("SAVEPOINT room_atomic")
            .map_err(sql_err)?;
        match body() {
            Ok(()) => self.0.execute_batch("RELEASE room_atomic").map_err(sql_err),
            Err(err) => {
                self.0
                    .execute_batch("ROLLBACK TO room_atomic; RELEASE room_atomic")
                    .map_err(sql_err)?;
                Err(err)
            }
        }
    }
}

pub fn sql_store() -> SqlRoomStore<Sqlite> {
    SqlRoomStore::open(Sqlite::memory()).unwrap()
}

/// A fresh D1 database: every migration in `d1-migrations/`, in order,
/// with foreign keys on as D1 has them.
pub fn d1() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        conn.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    conn
}
