//! A small HTTP client for tests: one call returns status, headers and the
//! JSON body (or `Null`), with optional bearer token and extra headers.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::Backend;

/// What a call returned.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.details.reason`, or `Null`.
    pub fn reason(&self) -> &Value {
        &self.body["error"]["details"]["reason"]
    }
}

/// Sends `method path` with an optional bearer token, extra headers and JSON body.
pub async fn call(
    b: &Backend,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, b.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// `GET path` with a bearer token.
pub async fn get(b: &Backend, path: &str, token: &str) -> Answer {
    call(b, "GET", path, Some(token), &[], None).await
}

/// A dev token (`POST /v1/dev/token`) from a local backend.
pub async fn dev_token(b: &Backend, body: &Value) -> String {
    let a = call(b, "POST", "/v1/dev/token", None, &[], Some(body)).await;
    assert_eq!(a.status, 200, "dev token: {}", a.text);
    a.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}
