//! Writes what the room hands off to D1: flush batches (transcript chunks,
//! note ops, the notes snapshot, chat, activity) and audit entries. Each
//! flush is one D1 batch of registered statements with natural keys, so a
//! retried flush writes nothing twice.

use connvo_shared::room::store::SqlValue;
use connvo_shared::room::{AuditEvent, D1Statement, FlushBatch};
use connvo_shared::sql::audit::AUDIT_INSERT;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

const DB: &str = "DB";

fn js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Null => JsValue::NULL,
        SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(f) => JsValue::from_f64(*f),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Blob(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
    }
}

async fn run(db: &D1Database, statements: &[D1Statement]) -> Result<(), String> {
    let mut prepared = Vec::with_capacity(statements.len());
    for s in statements {
        let params: Vec<JsValue> = s.params.iter().map(js).collect();
        let stmt = db
            .prepare(s.sql)
            .bind(&params)
            .map_err(|e| format!("{}: {e}", s.name))?;
        prepared.push(stmt);
    }
    let results = db.batch(prepared).await.map_err(|e| e.to_string())?;
    match results.iter().find_map(|r| r.error()) {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

pub async fn flush(env: &Env, batch: &FlushBatch, now_ms: u64) -> Result<usize, String> {
    let statements = batch.d1_statements(now_ms).map_err(|e| e.to_string())?;
    if statements.is_empty() {
        return Ok(0);
    }
    let db = env.d1(DB).map_err(|e| e.to_string())?;
    run(&db, &statements).await?;
    Ok(statements.len())
}

pub async fn audit(env: &Env, events: &[AuditEvent], ids: &[String]) -> Result<(), String> {
    if events.is_empty() {
        return Ok(());
    }
    let statements: Vec<D1Statement> = events
        .iter()
        .zip(ids)
        .map(|(e, id)| D1Statement {
            name: "AUDIT_INSERT",
            sql: AUDIT_INSERT,
            params: vec![
                SqlValue::Text(id.clone()),
                SqlValue::Text(e.user_id.clone()),
                e.org_id.clone().map_or(SqlValue::Null, SqlValue::Text),
                SqlValue::Text("meeting".into()),
                SqlValue::Text(e.meeting_id.clone()),
                SqlValue::Text(e.action.clone()),
                SqlValue::Text(e.outcome.as_str().into()),
                SqlValue::Null,
                e.ip.clone().map_or(SqlValue::Null, SqlValue::Text),
                e.user_agent.clone().map_or(SqlValue::Null, SqlValue::Text),
                SqlValue::Text(e.metadata().to_string()),
                SqlValue::Integer(i64::try_from(e.at_ms).unwrap_or(0)),
            ],
        })
        .collect();
    let db = env.d1(DB).map_err(|e| e.to_string())?;
    run(&db, &statements).await
}
