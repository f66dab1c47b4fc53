//! CORS in the Worker: answers preflights and decorates responses, with the
//! allow-list from `CORS_ALLOWED_ORIGINS` (see `connvo_shared::cors`).

use connvo_shared::cors::{CorsPolicy, ALLOW_HEADERS, ALLOW_METHODS, EXPOSE_HEADERS, MAX_AGE_SECS};
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Headers, Response};

use crate::config::var;

pub fn policy(env: &Env) -> CorsPolicy {
    CorsPolicy::from_csv(&var(env, "CORS_ALLOWED_ORIGINS").unwrap_or_default())
}

/// The answer to a preflight: 204 with the allowances for an allowed
/// origin, 403 (and no CORS headers, so the browser refuses) for any other.
pub fn preflight(policy: &CorsPolicy, origin: &str) -> Result<Response, ApiError> {
    if !policy.allows(origin) {
        return Err(ApiError::forbidden("origin not allowed")
            .with_details(json!({ "reason": "CORS_ORIGIN_NOT_ALLOWED" })));
    }
    let headers = Headers::new();
    let _ = headers.set("access-control-allow-methods", ALLOW_METHODS);
    let _ = headers.set("access-control-allow-headers", ALLOW_HEADERS);
    let _ = headers.set("access-control-max-age", &MAX_AGE_SECS.to_string());
    Ok(Response::empty()
        .map_err(|e| ApiError::internal(format!("building a preflight answer failed: {e}")))?
        .with_status(204)
        .with_headers(headers))
}

/// `Vary: Origin` always (a cache must not serve one origin's answer to
/// another); the allow headers only for an allowed origin.
pub fn decorate(policy: &CorsPolicy, origin: Option<&str>, headers: &Headers) {
    let _ = headers.append("vary", "Origin");
    if let Some(origin) = origin.filter(|o| policy.allows(o)) {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    }
}
