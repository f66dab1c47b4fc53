//! Users: `GET /v1/me`, the caller as the token and the database know them.

use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Request, Response};

use crate::auth::authenticate;
use crate::respond;
use crate::router::RequestCtx;

/// `GET /v1/me`.
pub async fn me(ctx: &RequestCtx, req: Request, env: &Env) -> Result<Response, ApiError> {
    let authed = authenticate(&req, env, ctx).await?;
    let id = &authed.identity;
    Ok(respond::json(
        200,
        &json!({
            "user_id": id.user_id,
            "org_id": authed.org_id,
            "org_role": authed.org_role.as_str(),
            "roles": id.roles,
            "permissions": id.permissions,
            "entitlements": id.entitlements,
            "email": id.email,
            "session_id": id.session_id,
            "impersonator": id.impersonator,
            "expires_at": id.exp,
            "dev_token": authed.dev_token,
        }),
    ))
}
