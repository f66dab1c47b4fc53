//! Who is calling a meeting route: the authenticated user (WorkOS access
//! token, verified by `crate::auth`) reduced to what meeting access needs.

use connvo_shared::meeting::access::Caller;
use connvo_shared::ApiError;
use worker::{Env, Request};

use crate::router::RequestCtx;

/// Authenticates the request. Every meeting route but the WebSocket entry
/// (whose credential is its ticket) calls this first.
pub async fn authenticate(
    _req: &Request,
    _env: &Env,
    _ctx: &RequestCtx,
) -> Result<Caller, ApiError> {
    // Replaced by `crate::auth::authenticate` when the auth module lands.
    Err(ApiError::unauthorized(
        "authentication is not available yet",
    ))
}
