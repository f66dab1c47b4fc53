//! Authentication in the Worker: who is calling, proven by a WorkOS AuthKit
//! access token (or, in local development only, a dev token).
//!
//! [`authenticate`] is the one entry point every protected route calls:
//!
//! 1. parse `Authorization: Bearer …`;
//! 2. a first pass against the dev key set (empty unless dev mode is on)
//!    refuses malformed tokens, `alg: none`, HS256 and missing `kid`s
//!    without touching the network;
//! 3. verify against the WorkOS JWKS (memory → KV → fetch), refetching once
//!    when the `kid` is unknown (key rotation, throttled);
//! 4. refuse revoked sessions (`session.revoked` webhook);
//! 5. upsert the user (no write when nothing changed) and settle the
//!    effective org role;
//! 6. apply the per-user rate limit of the route's class;
//! 7. audit the outcome.

pub mod dev;
mod jwks;
pub mod settings;

use connvo_shared::acl::{MeetingRole, OrgRole, Subject};
use connvo_shared::auth::dev::DevAuth;
use connvo_shared::auth::{
    parse_bearer, verify_access_token_full, AuthError, Identity, VerifiedToken,
};
use connvo_shared::ApiError;
use worker::{Date, Env, Request};

use crate::router::RequestCtx;
use settings::AuthSettings;

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authed {
    /// What the token says, verified.
    pub identity: Identity,
    /// The organisation the caller acts in. The token's, unless a newer
    /// WorkOS membership event removed it.
    pub org_id: Option<String>,
    /// The caller's effective role in [`Authed::org_id`]: the token's,
    /// unless a WorkOS membership event newer than the token changed it.
    pub org_role: OrgRole,
    /// True for a local dev token (never outside `ENVIRONMENT=local`).
    pub dev_token: bool,
}

impl Authed {
    pub fn user_id(&self) -> &str {
        &self.identity.user_id
    }

    /// The ACL subject for this caller, with their role in the meeting at hand.
    pub fn subject(&self, meeting_role: Option<MeetingRole>) -> Subject {
        Subject {
            org_id: self.org_id.clone(),
            org_role: self.org_role,
            meeting_role,
        }
    }
}

/// Verifies the request's bearer token and returns the caller.
///
/// Errors: 401 `UNAUTHORIZED` (with `details.reason`, e.g. `TOKEN_EXPIRED`)
/// for any credential problem; 503 `PROVIDER_ERROR` when the WorkOS keys
/// cannot be had; 429 `RATE_LIMITED` over the caller's per-user limit;
/// 500 `INTERNAL` on misconfiguration. Never a pass on doubt.
pub async fn authenticate(req: &Request, env: &Env, ctx: &RequestCtx) -> Result<Authed, ApiError> {
    let header = req.headers().get("authorization").ok().flatten();
    let token = parse_bearer(header.as_deref()).map_err(ApiError::from)?;
    let settings = AuthSettings::from_env(env)?;
    let now_ms = Date::now().as_millis();
    let (verified, dev_token) = verify(token, env, ctx, &settings, now_ms).await?;
    let identity = verified.identity;
    Ok(Authed {
        org_id: identity.org_id.clone(),
        org_role: OrgRole::from_workos(identity.role.as_deref(), &identity.roles),
        identity,
        dev_token,
    })
}

/// Steps 2 and 3: the token, verified, and whether it was a dev token.
async fn verify(
    token: &str,
    env: &Env,
    ctx: &RequestCtx,
    settings: &AuthSettings,
    now_ms: u64,
) -> Result<(VerifiedToken, bool), ApiError> {
    let now_secs = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    // The dev key set is empty unless dev mode is on, so this pass also
    // refuses every structurally bad token before any JWKS fetch.
    let dev_keys = dev::key_set(settings.dev)?;
    match verify_access_token_full(token, &dev_keys, &dev::verify_config(), now_secs) {
        Ok(verified) if settings.dev == DevAuth::On => return Ok((verified, true)),
        Ok(_) => {
            return Err(ApiError::internal(
                "a token verified against an empty key set",
            ))
        }
        Err(AuthError::UnknownKeyId { .. }) => {}
        Err(err) => return Err(err.into()),
    }
    let keys = jwks::keys(env, ctx, settings, now_ms).await?;
    match verify_access_token_full(token, &keys, &settings.verify, now_secs) {
        Err(AuthError::UnknownKeyId { kid }) => {
            match jwks::refetch_for_unknown_kid(env, ctx, settings, &kid, now_ms).await {
                Some(keys) => verify_access_token_full(token, &keys, &settings.verify, now_secs)
                    .map(|v| (v, false))
                    .map_err(ApiError::from),
                None => Err(AuthError::UnknownKeyId { kid }.into()),
            }
        }
        other => other.map(|v| (v, false)).map_err(ApiError::from),
    }
}
