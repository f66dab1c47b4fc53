//! `GET /v1/admin/metrics` (organisation admins; O9) and `GET /v1/metrics`
//! (the Prometheus exposition, O7; the `METRICS_TOKEN` secret as a bearer).
//! Both read the configured source (`METRICS_SOURCE`, `source.rs`).

use connvo_shared::metrics::prometheus::render;
use connvo_shared::metrics::report::{admin_body, parse_window, window_bounds};
use connvo_shared::signature::hmac::constant_time_eq;
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Headers, Request, Response};

use super::source::{load, source};
use crate::clock::now_ms;
use crate::config::var;
use crate::intelligence::flags::env_name;
use crate::respond;

/// `GET /v1/admin/metrics?window=15m`
pub async fn admin(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let window = url
        .query_pairs()
        .find(|(k, _)| k == "window")
        .map(|(_, v)| v.into_owned());
    let minutes = parse_window(window.as_deref())?;
    let source = source(env)?;
    let now = now_ms();
    let (from, to) = window_bounds(minutes, now);
    let stored = load(env, &source, from, to).await?;
    Ok(respond::json(
        200,
        &admin_body(&stored.minutes, minutes, now, env_name(env)),
    ))
}

/// `GET /v1/metrics`: the last 5 minutes as Prometheus text. 404 when no
/// `METRICS_TOKEN` is configured (the route is off), 401 for a missing or
/// wrong bearer.
pub async fn prometheus(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let Some(token) = env
        .secret("METRICS_TOKEN")
        .ok()
        .map(|s| s.to_string())
        .or_else(|| var(env, "METRICS_TOKEN"))
        .filter(|t| !t.is_empty())
    else {
        return Err(ApiError::not_found("no route for GET /v1/metrics"));
    };
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned));
    match given {
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => {}
        Some(_) => {
            return Err(ApiError::unauthorized("wrong metrics token")
                .with_details(json!({ "reason": "METRICS_TOKEN_WRONG" })))
        }
        None => {
            return Err(ApiError::unauthorized(
                "a metrics token is required (Authorization: Bearer)",
            )
            .with_details(json!({ "reason": "METRICS_TOKEN_MISSING" })))
        }
    }
    let source = source(env)?;
    let (from, to) = window_bounds(5, now_ms());
    let stored = load(env, &source, from, to).await?;
    let text = render(&stored.minutes.summary(from, to));
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/plain; version=0.0.4; charset=utf-8");
    Ok(Response::ok(text)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .with_headers(headers))
}
