//! Feature flags as the shells read them (rules I13–I14, I26): the
//! environment's `feature_flags` rows, read from D1 through an isolate cache
//! of `flag_admin::CACHE_TTL_MS` (a few seconds) and evaluated by
//! `connvo_shared::intelligence::flags::FlagSet`. A change made anywhere
//! holds in every isolate within that time, without a redeploy; the isolate
//! that made it drops its copy at once ([`forget`]).
//!
//! If D1 cannot be read, the last copy keeps answering (however old); with
//! no copy at all the error is returned and the caller retries — a feature
//! is never turned on by a failed read.

use std::cell::RefCell;

use connvo_rooms::d1::D1;
use connvo_shared::flag_admin::{StoredFlag, CACHE_TTL_MS};
use connvo_shared::intelligence::flags::{FlagDecision, FlagKey, FlagSet};
use connvo_shared::sql::flags::FlagListForEnv;
use connvo_shared::ApiError;
use worker::Env;

use crate::clock::now_ms;
use crate::config::Config;

struct Cached {
    env: &'static str,
    rows: Vec<StoredFlag>,
    fetched_at_ms: i64,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// The `feature_flags.env` of this deployment (`ENVIRONMENT`).
pub fn env_name(env: &Env) -> &'static str {
    Config::from_env(env).environment.as_str()
}

/// Drops the isolate's copy (after this isolate changed a flag).
pub fn forget() {
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// The environment's stored flag rows, from the cache when fresh.
pub async fn stored(env: &Env) -> Result<Vec<StoredFlag>, ApiError> {
    let name = env_name(env);
    let now = now_ms();
    let fresh = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|e| e.env == name && now.saturating_sub(e.fetched_at_ms) < CACHE_TTL_MS)
            .map(|e| e.rows.clone())
    });
    if let Some(rows) = fresh {
        return Ok(rows);
    }
    let read = async {
        D1::from_env(env)?
            .all::<StoredFlag>(FlagListForEnv { env: name })
            .await
            .map_err(ApiError::from)
    };
    match read.await {
        Ok(rows) => {
            CACHE.with(|c| {
                *c.borrow_mut() = Some(Cached {
                    env: name,
                    rows: rows.clone(),
                    fetched_at_ms: now,
                })
            });
            Ok(rows)
        }
        Err(err) => CACHE
            .with(|c| {
                c.borrow()
                    .as_ref()
                    .filter(|e| e.env == name)
                    .map(|e| e.rows.clone())
            })
            .ok_or(err),
    }
}

/// The decision for `key`, with its reason (for logs).
pub async fn decide(
    env: &Env,
    key: FlagKey,
    org_id: Option<&str>,
    subject: &str,
) -> Result<FlagDecision, ApiError> {
    let rows = stored(env).await?;
    Ok(FlagSet::new(rows.iter().map(StoredFlag::to_row)).evaluate(key, org_id, subject))
}

/// Whether `key` is on for `subject` (the meeting id for the intelligence
/// flags, the user id for matching) in `org_id`.
pub async fn is_on(
    env: &Env,
    key: FlagKey,
    org_id: Option<&str>,
    subject: &str,
) -> Result<bool, ApiError> {
    Ok(decide(env, key, org_id, subject).await?.on)
}
