//! Building responses: the one JSON error body, and the headers every
//! response carries (request id, security headers).

use connvo_shared::ApiError;
use serde::Serialize;
use worker::{Headers, Response};

/// Headers on every response, errors included. The API serves JSON only, so
/// the CSP forbids everything.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("referrer-policy", "no-referrer"),
];

pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    match Response::from_json(body) {
        Ok(r) => r.with_status(status),
        Err(_) => plain_internal(),
    }
}

pub fn error(err: &ApiError) -> Response {
    json(err.status(), &err.body())
}

/// The last resort when even serialising failed: still the one error shape.
fn plain_internal() -> Response {
    let body = r#"{"error":{"code":"INTERNAL","message":"internal error","details":null}}"#;
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    match Response::ok(body) {
        Ok(r) => r.with_status(500).with_headers(headers),
        Err(_) => Response::builder().with_status(500).empty(),
    }
}

/// Adds the request id and the security headers. A WebSocket upgrade (101)
/// keeps its headers untouched: the runtime owns that handshake.
pub fn finish(mut resp: Response, request_id: &str) -> Response {
    if resp.status_code() == 101 {
        return resp;
    }
    let headers = resp.headers_mut();
    let _ = headers.set("x-request-id", request_id);
    for (name, value) in SECURITY_HEADERS {
        let _ = headers.set(name, value);
    }
    resp
}
