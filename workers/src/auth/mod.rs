//! Authentication in the Worker: who is calling, proven by a WorkOS AuthKit
//! access token (or, in local development only, a dev token).
//!
//! [`authenticate`] is the one entry point, called by the request pipeline
//! (`crate::pipeline`) for every route the table marks as authenticated:
//!
//! 1. parse `Authorization: Bearer …`;
//! 2. a first pass against the dev key set (empty unless dev mode is on)
//!    refuses malformed tokens, `alg: none`, HS256 and missing `kid`s
//!    without touching the network;
//! 3. verify against the WorkOS JWKS (memory → KV → fetch), refetching once
//!    when the `kid` is unknown (key rotation, throttled); the signature is
//!    checked by the runtime's WebCrypto (`webcrypto.rs`);
//! 4. refuse revoked sessions (`session.revoked` webhook);
//! 5. upsert the user (no write when nothing changed) and settle the
//!    effective org role;
//! 6. apply the per-user rate limit of the route's class;
//! 7. audit the outcome.

pub mod dev;
mod jwks;
pub mod revocation;
pub mod settings;
pub mod webcrypto;

use connvo_shared::acl::{MeetingRole, OrgRole, Subject};
use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::auth::dev::DevAuth;
use connvo_shared::auth::membership::{effective, StoredUser, TokenMembership};
use connvo_shared::auth::verified_cache::{CachedVerification, VerifiedCache};
use connvo_shared::auth::{parse_bearer, AuthError, Identity, VerifiedToken};
use connvo_shared::meeting::access::Caller;
use connvo_shared::{ApiError, ErrorCode};
use std::cell::RefCell;
use worker::{Date, Env, Request};

use crate::audit;
use crate::request::RequestCtx;
use crate::users;
use settings::AuthSettings;

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authed {
    /// What the token says, verified.
    pub identity: Identity,
    /// The organisation the caller acts in: the token's, unless a newer
    /// WorkOS membership event removed the caller from it.
    pub org_id: Option<String>,
    /// The caller's effective role in [`Authed::org_id`]: the token's,
    /// lowered (never raised) by a WorkOS membership event newer than the
    /// token. See `connvo_shared::auth::membership`.
    pub org_role: OrgRole,
    /// The caller's user row, as of this request (or up to 30 s older).
    pub user: StoredUser,
    /// True for a local dev token (never outside `ENVIRONMENT=local`).
    pub dev_token: bool,
}

impl Authed {
    pub fn user_id(&self) -> &str {
        &self.identity.user_id
    }

    /// The caller, as far as meeting access cares.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.identity.user_id.clone(),
            org_id: self.org_id.clone(),
            org_role: self.org_role,
        }
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
/// Errors: 401 `UNAUTHORIZED` (with `details.reason`, e.g. `TOKEN_EXPIRED`,
/// `SESSION_REVOKED`, `USER_DISABLED`) for any credential problem; 503
/// `PROVIDER_ERROR` when the WorkOS keys cannot be had; 429 `RATE_LIMITED`
/// over the caller's per-user limit for the route's class; 500 `INTERNAL`
/// on misconfiguration. Never a pass on doubt. Outcomes are audited
/// (successes once per new session per isolate, failures always).
pub async fn authenticate(req: &Request, env: &Env, ctx: &RequestCtx) -> Result<Authed, ApiError> {
    let now_ms = Date::now().as_millis();
    match authenticate_inner(req, env, ctx, now_ms).await {
        Ok((authed, first_seen)) => {
            if first_seen {
                audit::record(
                    ctx,
                    AuditEvent::new(actions::AUTHENTICATE, Outcome::Success, "session")
                        .actor(authed.user_id())
                        .org(authed.org_id.clone())
                        .resource(authed.identity.session_id.clone().unwrap_or_default())
                        .meta("org_role", authed.org_role.as_str())
                        .meta("impersonator", authed.identity.impersonator.clone())
                        .meta("dev_token", authed.dev_token),
                );
            }
            Ok(authed)
        }
        Err((err, actor)) => {
            // Rate-limit refusals are not audited: they must cost no write.
            if err.code == ErrorCode::Unauthorized {
                let reason = err
                    .details
                    .as_ref()
                    .and_then(|d| d.get("reason"))
                    .cloned()
                    .unwrap_or_default();
                let mut event = AuditEvent::new(actions::AUTHENTICATE, Outcome::Failure, "session")
                    .meta("reason", reason);
                if let Some(actor) = actor {
                    event = event.actor(actor);
                }
                audit::record(ctx, event);
            }
            Err(err)
        }
    }
}

/// The failure, and the verified user id when the token itself was good.
type Failure = (ApiError, Option<String>);

async fn authenticate_inner(
    req: &Request,
    env: &Env,
    ctx: &RequestCtx,
    now_ms: u64,
) -> Result<(Authed, bool), Failure> {
    let header = req.headers().get("authorization").ok().flatten();
    let token = parse_bearer(header.as_deref()).map_err(|e| (ApiError::from(e), None))?;
    let settings = AuthSettings::from_env(env).map_err(|e| (e, None))?;
    let (verified, dev_token) = verify(token, env, ctx, &settings, now_ms)
        .await
        .map_err(|e| (e, None))?;
    let VerifiedToken {
        identity,
        issued_at,
    } = verified;
    let user_id = identity.user_id.clone();
    // Before anything is written: a refused request costs no D1 write.
    let tier = connvo_shared::operator_limits::Tier::of(identity.is_org_admin(), None);
    crate::rate_limit::check_user(ctx, env, &user_id, tier, false)
        .await
        .map_err(|e| (e, None))?;
    let refuse = |reason: &str, message: &str| {
        (
            ApiError::unauthorized(message).with_details(serde_json::json!({ "reason": reason })),
            Some(user_id.clone()),
        )
    };
    let revoked = async {
        match &identity.session_id {
            Some(sid) => revocation::is_revoked(env, ctx, sid, now_ms).await,
            None => false,
        }
    };
    let (revoked, synced) = futures::join!(revoked, users::sync(env, &identity, issued_at, now_ms));
    if revoked {
        return Err(refuse("SESSION_REVOKED", "the session was revoked"));
    }
    let (user, first_seen) = synced.map_err(|e| (e, Some(user_id.clone())))?;
    if user.is_disabled() {
        return Err(refuse("USER_DISABLED", "the user account is disabled"));
    }
    let eff = effective(
        TokenMembership {
            org_id: identity.org_id.as_deref(),
            role: identity.role.as_deref(),
            roles: &identity.roles,
            issued_at_ms: issued_at.unwrap_or(0).saturating_mul(1000),
        },
        Some(&user),
    );
    Ok((
        Authed {
            org_id: eff.org_id,
            org_role: eff.org_role,
            identity,
            user,
            dev_token,
        },
        first_seen,
    ))
}

thread_local! {
    /// Tokens this isolate already verified (see `connvo_shared::auth::verified_cache`).
    static VERIFIED: RefCell<VerifiedCache> = RefCell::new(VerifiedCache::default());
}

/// Steps 2 and 3: the token, verified (or verified before by this isolate
/// and not yet expired), and whether it was a dev token.
async fn verify(
    token: &str,
    env: &Env,
    ctx: &RequestCtx,
    settings: &AuthSettings,
    now_ms: u64,
) -> Result<(VerifiedToken, bool), ApiError> {
    let now_secs = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let leeway = settings.verify.leeway_secs();
    if let Some(hit) = VERIFIED.with(|c| c.borrow().get(token, now_secs, leeway)) {
        return Ok((hit.verified, hit.dev));
    }
    let (verified, dev) = verify_uncached(token, env, ctx, settings, now_secs, now_ms).await?;
    VERIFIED.with(|c| {
        c.borrow_mut().insert(
            token,
            CachedVerification {
                verified: verified.clone(),
                dev,
            },
            now_secs,
        )
    });
    Ok((verified, dev))
}

async fn verify_uncached(
    token: &str,
    env: &Env,
    ctx: &RequestCtx,
    settings: &AuthSettings,
    now_secs: i64,
    now_ms: u64,
) -> Result<(VerifiedToken, bool), ApiError> {
    // The dev key set is empty unless dev mode is on, so this pass also
    // refuses every structurally bad token before any JWKS fetch.
    let dev_keys = dev::key_set(settings.dev)?;
    match webcrypto::verify_access_token(token, &dev_keys, &dev::verify_config(), now_secs).await {
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
    match webcrypto::verify_access_token(token, &keys, &settings.verify, now_secs).await {
        Err(AuthError::UnknownKeyId { kid }) => {
            match jwks::refetch_for_unknown_kid(env, ctx, settings, &kid, now_ms).await {
                Some(keys) => {
                    webcrypto::verify_access_token(token, &keys, &settings.verify, now_secs)
                        .await
                        .map(|v| (v, false))
                        .map_err(ApiError::from)
                }
                None => Err(AuthError::UnknownKeyId { kid }.into()),
            }
        }
        other => other.map(|v| (v, false)).map_err(ApiError::from),
    }
}

/// For the in-Worker benchmark: the dev key set and config, exposed.
pub(crate) fn verification_for_bench() -> Result<
    (
        std::rc::Rc<connvo_shared::auth::KeySet>,
        connvo_shared::auth::VerifyConfig,
    ),
    ApiError,
> {
    Ok((dev::key_set(DevAuth::On)?, dev::verify_config()))
}
