//! What a handler is given about its request: [`RequestCtx`] (request id,
//! route class, caller address, the fetch context, the audit buffer and the
//! rate-limit decision) and bounded body reading. It lives apart from the
//! router so handlers depend on it and the router depends on handlers,
//! never both ways.

use connvo_shared::rate_limit::Decision;
use connvo_shared::route::RouteClass;
use connvo_shared::{ApiError, ErrorCode};
use std::cell::{Cell, RefCell};
use worker::{Context, Request};

use crate::audit;

/// What every handler knows about the request it serves.
pub struct RequestCtx {
    pub request_id: String,
    /// The matched route's class (`Default` when none matched): body and rate limits.
    pub route_class: RouteClass,
    /// The caller's address: `cf-connecting-ip` (set by Cloudflare, not
    /// forgeable there), else the first `x-forwarded-for` hop (local only).
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The fetch event's context, for work that outlives the response
    /// (`wait_until`). `None` outside a fetch event.
    pub worker_ctx: Option<Context>,
    /// Audit events recorded by this request (`audit::record`), written
    /// after the response.
    pub audit: audit::Buffer,
    /// The tightest rate-limit decision so far, for the `X-RateLimit-*` headers.
    pub rate_limit: RefCell<Option<Decision>>,
    /// Set by the pipeline on meeting routes: the per-user limit waits for
    /// the access decision, whose meeting role picks the tier
    /// (`rate_limit::check_user`).
    pub user_limit_deferred: Cell<bool>,
}

impl RequestCtx {
    pub(crate) fn new(
        request_id: String,
        req: &Request,
        route_class: RouteClass,
        worker_ctx: Option<Context>,
    ) -> Self {
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let client_ip = header("cf-connecting-ip")
            .or_else(|| {
                header("x-forwarded-for").and_then(|v| v.split(',').next().map(str::to_owned))
            })
            .map(|ip| ip.trim().to_owned())
            .filter(|ip| !ip.is_empty() && ip.len() <= 64);
        RequestCtx {
            request_id,
            route_class,
            client_ip,
            user_agent: header("user-agent").map(|ua| ua.chars().take(256).collect()),
            worker_ctx,
            audit: audit::Buffer::default(),
            rate_limit: RefCell::new(None),
            user_limit_deferred: Cell::new(false),
        }
    }
}

/// Reads a request body, enforcing the limit on what actually arrived
/// (a chunked body declares no length).
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

pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the request body is over the {limit}-byte limit"),
    )
    .with_details(serde_json::json!({ "limit_bytes": limit }))
}
