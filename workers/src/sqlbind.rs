//! Binding registry statements' parameters, given as JSON values (text,
//! integers below 2^53, NULL), to D1 prepared statements.

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// `sql` prepared on `db` with `params` bound as `?1..?N`.
pub fn prepare(
    db: &D1Database,
    sql: &str,
    params: &[Value],
) -> worker::Result<D1PreparedStatement> {
    let values: Vec<JsValue> = params.iter().map(to_js).collect();
    db.prepare(sql).bind(&values)
}

fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_f64(if *b { 1.0 } else { 0.0 }),
        // Every integer we bind is below 2^53 (times in ms, counts), where f64 is exact.
        Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}
