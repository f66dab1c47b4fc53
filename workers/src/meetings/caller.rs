//! Who is calling a meeting route: the authenticated user (a WorkOS access
//! token verified by `crate::auth`, which also upserts the user row and
//! settles the effective org role) reduced to what meeting access needs.

use connvo_shared::meeting::access::Caller;
use connvo_shared::ApiError;
use worker::{Env, Request};

use crate::request::RequestCtx;

/// Authenticates the request. Every meeting route but the WebSocket entry
/// (whose credential is its ticket) calls this first.
pub async fn authenticate(req: &Request, env: &Env, ctx: &RequestCtx) -> Result<Caller, ApiError> {
    let authed = crate::auth::authenticate(req, env, ctx).await?;
    Ok(Caller {
        user_id: authed.identity.user_id,
        org_id: authed.org_id,
        org_role: authed.org_role,
    })
}
