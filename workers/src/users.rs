//! Users: the row behind every authenticated caller, kept in step with the
//! token (`USER_UPSERT_FROM_TOKEN`, which writes nothing when nothing
//! changed), a short per-isolate cache that skips D1 entirely for repeat
//! callers, and `GET /v1/me`.

use std::cell::RefCell;
use std::collections::HashMap;

use connvo_rooms::d1::D1;
use connvo_shared::auth::membership::{token_fingerprint, StoredUser};
use connvo_shared::auth::Identity;
use connvo_shared::sql::users::{UserGetForAuth, UserUpsertFromToken};
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Response};

use crate::pipeline::Call;
use crate::respond;

/// How long an isolate trusts its copy of a user row. A WorkOS demotion
/// handled by another isolate reaches this one within this time.
const CACHE_TTL_MS: u64 = 30_000;
const MAX_CACHE_ENTRIES: usize = 10_000;

struct Cached {
    fingerprint: String,
    user: StoredUser,
    checked_at_ms: u64,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Cached>> = RefCell::new(HashMap::new());
}

/// Drops the cached row (after a webhook changed it).
pub fn forget(user_id: &str) {
    CACHE.with(|c| c.borrow_mut().remove(user_id));
}

/// Makes the user row reflect the token and returns it, with `true` when
/// D1 was consulted (a new or changed session, or a cold cache).
pub async fn sync(
    env: &Env,
    identity: &Identity,
    issued_at_secs: Option<i64>,
    now_ms: u64,
) -> Result<(StoredUser, bool), ApiError> {
    let fingerprint = token_fingerprint(
        &identity.user_id,
        identity.org_id.as_deref(),
        identity.role.as_deref(),
        identity.email.as_deref(),
    );
    let hit = CACHE.with(|c| {
        c.borrow()
            .get(&identity.user_id)
            .filter(|e| {
                e.fingerprint == fingerprint
                    && now_ms.saturating_sub(e.checked_at_ms) < CACHE_TTL_MS
            })
            .map(|e| e.user.clone())
    });
    if let Some(user) = hit {
        return Ok((user, false));
    }
    let iat_ms = issued_at_secs.unwrap_or(0).saturating_mul(1000);
    let d1 = D1::from_env(env)?;
    let outcomes = d1
        .batch(&[
            UserUpsertFromToken {
                id: &identity.user_id,
                org_id: identity.org_id.as_deref(),
                org_role: identity.role.as_deref(),
                email: identity.email.as_deref(),
                token_iat_in_ms: iat_ms,
                now_ms,
            }
            .statement(),
            UserGetForAuth {
                id: &identity.user_id,
            }
            .statement(),
        ])
        .await?;
    let user: StoredUser = outcomes
        .get(1)
        .map(|o| o.first::<StoredUser>())
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::internal("the user row is missing after its upsert"))?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_CACHE_ENTRIES {
            c.clear();
        }
        c.insert(
            identity.user_id.clone(),
            Cached {
                fingerprint,
                user: user.clone(),
                checked_at_ms: now_ms,
            },
        );
    });
    Ok((user, true))
}

/// `GET /v1/me`: the caller, as the token and the database know them.
pub fn me(call: &Call) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let id = &authed.identity;
    let user = &authed.user;
    Ok(respond::json(
        200,
        &json!({
            "user_id": id.user_id,
            "org_id": authed.org_id,
            "org_role": authed.org_role.as_str(),
            "roles": id.roles,
            "permissions": id.permissions,
            "entitlements": id.entitlements,
            "email": user.email,
            "display_name": user.display_name,
            "avatar_url": user.avatar_url,
            "session_id": id.session_id,
            "impersonator": id.impersonator,
            "expires_at": id.exp,
            "created_at": user.created_at,
            "dev_token": authed.dev_token,
        }),
    ))
}
