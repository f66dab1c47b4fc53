//! The request pipeline: request id, route matching, body limits,
//! dispatch, the one error shape, security headers and one access-log line.
//! Handlers return `Result<Response, ApiError>`; nothing here can panic on input.

use connvo_shared::limits::max_body_bytes;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::request_id;
use connvo_shared::route::{match_route, Route, RouteMatch};
use connvo_shared::{ApiError, ErrorCode};
use worker::{Date, Env, Request, Response};

use crate::{health, logging, respond};

/// What every handler knows about the request it serves.
pub struct RequestCtx {
    pub request_id: String,
}

pub async fn handle(req: Request, env: Env) -> Response {
    let started_ms = Date::now().as_millis();
    let request_id = inbound_request_id(&req).unwrap_or_else(new_request_id);
    let ctx = RequestCtx { request_id };
    let method = req.method().to_string();
    let path = req.path();

    let (route_name, result) = match match_route(&method, &path) {
        RouteMatch::Found(route) => (route.name(), dispatch(route, &ctx, req, &env).await),
        RouteMatch::MethodNotAllowed { allowed } => (
            "method_not_allowed",
            Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not allowed here; use {}", allowed.join(", ")),
            )
            .with_details(serde_json::json!({ "allowed": allowed }))),
        ),
        RouteMatch::NotFound => (
            "not_found",
            Err(ApiError::not_found(format!("no route for {method} {path}"))),
        ),
    };

    let resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            if err.code == ErrorCode::Internal {
                logging::emit(
                    &LogLine::new(Level::Error, "internal error", &ctx.request_id)
                        .field("route", route_name)
                        .field("error", err.message.as_str()),
                    Level::Error,
                );
            }
            respond::error(&err)
        }
    };
    let status = resp.status_code();
    logging::emit(
        &LogLine::new(Level::Info, "request", &ctx.request_id)
            .field("method", method.as_str())
            .field("route", route_name)
            .field("status", status)
            .field(
                "duration_ms",
                Date::now().as_millis().saturating_sub(started_ms),
            ),
        Level::Info,
    );
    respond::finish(resp, &ctx.request_id)
}

async fn dispatch(
    route: Route,
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
) -> Result<Response, ApiError> {
    check_declared_length(&req, max_body_bytes(route.class()))?;
    match route {
        Route::Health => health::health(ctx, env).await,
        Route::Version => Ok(respond::json(
            200,
            &serde_json::json!({ "version": connvo_shared::VERSION }),
        )),
        Route::Meeting(route) => crate::meetings::dispatch(route, ctx, req, env).await,
        Route::StreamWebhook => crate::stream::webhook::handle(ctx, req, env).await,
    }
}

/// Refuses a body whose declared length is over the route's limit before a
/// byte of it is read. Bodies are also measured after reading (see `read_body`).
fn check_declared_length(req: &Request, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// Reads a request body, enforcing the limit on what actually arrived
/// (a chunked body declares no length).
#[allow(dead_code)]
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::validation("the request body could not be read"))?;
    if bytes.len() > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the request body is over the {limit}-byte limit"),
    )
    .with_details(serde_json::json!({ "limit_bytes": limit }))
}

fn inbound_request_id(req: &Request) -> Option<String> {
    let value = req.headers().get("x-request-id").ok().flatten()?;
    request_id::accept_inbound(&value).map(str::to_owned)
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    // crypto.getRandomValues cannot fail for 16 bytes; if it ever did, a
    // zero id is still a valid (if unhelpful) id rather than a failed request.
    let _ = getrandom::getrandom(&mut bytes);
    request_id::from_random(bytes)
}
