//! Structured JSON log lines. Every line carries the request id; no line ever
//! carries a token or a secret: fields with sensitive names, and values shaped
//! like a JWT, are redacted here, before anything reaches the console.

use serde_json::{Map, Value};

const REDACTED: &str = "[redacted]";

/// Field names whose values are never logged.
const SENSITIVE: [&str; 9] = [
    "authorization",
    "token",
    "secret",
    "password",
    "cookie",
    "ticket",
    "signature",
    "api_key",
    "apikey",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One log line under construction.
#[derive(Debug, Clone)]
pub struct LogLine {
    fields: Map<String, Value>,
}

impl LogLine {
    pub fn new(level: Level, msg: &str, request_id: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("level".into(), Value::from(level.as_str()));
        fields.insert("msg".into(), Value::from(msg));
        fields.insert("request_id".into(), Value::from(request_id));
        LogLine { fields }
    }

    pub fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields
            .insert(key.to_owned(), redact(key, value.into()));
        self
    }

    pub fn to_json(&self) -> String {
        Value::Object(self.fields.clone()).to_string()
    }
}

fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| key.contains(s))
}

/// A compact JWS (`xxx.yyy.zzz` of base64url, header starting `eyJ`).
fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && s.starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Redacts a value by its key, and recursively redacts JWT-shaped strings and
/// sensitive keys inside objects and arrays.
pub fn redact(key: &str, value: Value) -> Value {
    if is_sensitive_key(key) {
        return Value::from(REDACTED);
    }
    match value {
        Value::String(s) if looks_like_jwt(&s) => Value::from(REDACTED),
        Value::String(s) if s.contains("Bearer ") || s.contains("bearer ") => Value::from(REDACTED),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = redact(&k, v);
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| redact("", v)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";

    #[test]
    fn sensitive_keys_are_redacted() {
        let line = LogLine::new(Level::Info, "m", "req_1")
            .field("Authorization", "Bearer abc")
            .field("stream_api_secret", "s3cr3t")
            .field("ws_ticket", "t")
            .field("path", "/v1/health")
            .to_json();
        assert!(!line.contains("abc"));
        assert!(!line.contains("s3cr3t"));
        assert!(line.contains("/v1/health"));
        assert!(line.contains("\"request_id\":\"req_1\""));
    }

    #[test]
    fn jwt_shaped_values_are_redacted_anywhere() {
        let nested = serde_json::json!({"a": [JWT, {"b": JWT}], "c": "ok"});
        let line = LogLine::new(Level::Warn, "m", "r")
            .field("ctx", nested)
            .to_json();
        assert!(!line.contains(JWT));
        assert!(line.contains("\"c\":\"ok\""));
    }
}
