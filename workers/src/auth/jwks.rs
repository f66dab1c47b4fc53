//! The WorkOS JWKS, fetched and cached: in isolate memory (a thread-local;
//! a wasm isolate runs one thread) and in KV (`CACHE`), shared by every
//! isolate. The timing rules are the core's [`JwksCachePolicy`]; this file
//! only moves bytes.
//!
//! Fail closed: with nothing usable cached and the JWKS unreachable, the
//! caller gets 503 `PROVIDER_ERROR`, never a pass. Which key set to trust
//! (a local run's dev key set, or a JWKS URL) is the core's
//! `KeySource`; the dev key set is never fetched, and an unknown `kid`
//! never refetches it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use connvo_shared::auth::dev::DevAuth;
use connvo_shared::auth::jwks_cache::{Freshness, JwksCachePolicy};
use connvo_shared::auth::KeySet;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::ApiError;
use futures::future::{select, Either};
use serde::{Deserialize, Serialize};
use worker::{Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use super::settings::AuthSettings;
use crate::config;
use crate::logging;
use crate::request::RequestCtx;

/// A JWKS document larger than this is not WorkOS's (it serves one or two keys).
const MAX_JWKS_BYTES: usize = 64 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// A key set and when it was fetched.
#[derive(Clone)]
struct Cached {
    url: String,
    keys: Rc<KeySet>,
    fetched_at_ms: u64,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    last_unknown_kid_refetch_ms: Option<u64>,
    last_failure_ms: Option<u64>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// The KV record: the raw document, so every isolate parses what WorkOS sent.
#[derive(Serialize, Deserialize)]
struct KvRecord {
    fetched_at_ms: u64,
    jwks: String,
}

fn kv_key(url: &str) -> String {
    format!("jwks:v1:{url}")
}

fn memory(url: &str) -> Option<Cached> {
    STATE.with(|s| s.borrow().cached.clone().filter(|c| c.url == url))
}

fn remember(cached: Cached) {
    STATE.with(|s| s.borrow_mut().cached = Some(cached));
}

/// The current key set: memory, else KV, else WorkOS.
pub async fn keys(
    env: &Env,
    ctx: &RequestCtx,
    settings: &AuthSettings,
    now_ms: u64,
) -> Result<Rc<KeySet>, ApiError> {
    let policy = settings.policy;
    let Some(url) = settings.keys.url() else {
        // A local run with dev auth: the development key set, no fetch.
        return super::dev::key_set(DevAuth::On);
    };
    let mut fallback = None;
    if let Some(mem) = memory(url) {
        match policy.freshness(mem.fetched_at_ms, now_ms) {
            Freshness::Fresh => return Ok(mem.keys),
            Freshness::Stale => fallback = Some(mem),
            Freshness::Expired => {}
        }
    }
    if let Some(from_kv) = read_kv(env, url).await {
        match policy.freshness(from_kv.fetched_at_ms, now_ms) {
            Freshness::Fresh => {
                remember(from_kv.clone());
                return Ok(from_kv.keys);
            }
            Freshness::Stale
                if fallback
                    .as_ref()
                    .is_none_or(|f| f.fetched_at_ms < from_kv.fetched_at_ms) =>
            {
                fallback = Some(from_kv)
            }
            Freshness::Stale | Freshness::Expired => {}
        }
    }
    let last_failure = STATE.with(|s| s.borrow().last_failure_ms);
    let fetched = if policy.may_retry_after_failure(last_failure, now_ms) {
        fetch_and_store(env, ctx, url, &policy, now_ms).await
    } else {
        Err("backing off after a failed fetch".to_owned())
    };
    match (fetched, fallback) {
        (Ok(keys), _) => Ok(keys),
        (Err(why), Some(stale)) => {
            warn(ctx, "jwks refresh failed; using the stale key set", &why);
            remember(stale.clone());
            Ok(stale.keys)
        }
        (Err(why), None) => {
            warn(ctx, "jwks unavailable and nothing cached", &why);
            Err(ApiError::provider_unavailable(
                "the identity provider's signing keys are unavailable; retry later",
            )
            .with_details(serde_json::json!({ "reason": "JWKS_UNAVAILABLE" })))
        }
    }
}

/// A token named `kid`, which the current key set lacks: WorkOS may have
/// rotated its keys. Refetches at most once per policy interval per isolate
/// (checking KV first, where another isolate may already have the new set)
/// and returns the new set if it has `kid`.
pub async fn refetch_for_unknown_kid(
    env: &Env,
    ctx: &RequestCtx,
    settings: &AuthSettings,
    kid: &str,
    now_ms: u64,
) -> Option<Rc<KeySet>> {
    let policy = settings.policy;
    if !settings.keys.refetches_unknown_kids() {
        return None;
    }
    let url = settings.keys.url()?;
    let allowed = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let ok = policy.may_refetch_unknown_kid(s.last_unknown_kid_refetch_ms, now_ms);
        if ok {
            s.last_unknown_kid_refetch_ms = Some(now_ms);
        }
        ok
    });
    if !allowed {
        return None;
    }
    let newest_known = memory(url).map(|c| c.fetched_at_ms).unwrap_or(0);
    if let Some(from_kv) = read_kv(env, url).await {
        if from_kv.fetched_at_ms > newest_known && from_kv.keys.get(kid).is_some() {
            remember(from_kv.clone());
            return Some(from_kv.keys);
        }
    }
    match fetch_and_store(env, ctx, url, &policy, now_ms).await {
        Ok(keys) => keys.get(kid).is_some().then_some(keys),
        Err(why) => {
            warn(ctx, "jwks refetch for an unknown kid failed", &why);
            None
        }
    }
}

async fn read_kv(env: &Env, url: &str) -> Option<Cached> {
    let kv = env.kv(config::KV).ok()?;
    let record: KvRecord = kv.get(&kv_key(url)).json().await.ok()??;
    let keys = KeySet::from_jwks_json(&record.jwks).ok()?;
    Some(Cached {
        url: url.to_owned(),
        keys: Rc::new(keys),
        fetched_at_ms: record.fetched_at_ms,
    })
}

async fn fetch_and_store(
    env: &Env,
    ctx: &RequestCtx,
    url: &str,
    policy: &JwksCachePolicy,
    now_ms: u64,
) -> Result<Rc<KeySet>, String> {
    let result = fetch(url).await;
    let (keys, raw) = match result {
        Ok(ok) => ok,
        Err(why) => {
            STATE.with(|s| s.borrow_mut().last_failure_ms = Some(now_ms));
            return Err(why);
        }
    };
    let keys = Rc::new(keys);
    STATE.with(|s| s.borrow_mut().last_failure_ms = None);
    remember(Cached {
        url: url.to_owned(),
        keys: keys.clone(),
        fetched_at_ms: now_ms,
    });
    logging::emit(
        &LogLine::new(Level::Info, "jwks fetched", &ctx.request_id)
            .field("keys", keys.len())
            .field("kids", keys.kids().collect::<Vec<_>>()),
        Level::Info,
    );
    // Shared with other isolates. A failed write (KV allows one write per
    // second per key) only costs them a fetch of their own.
    if let Ok(kv) = env.kv(config::KV) {
        let record = KvRecord {
            fetched_at_ms: now_ms,
            jwks: raw,
        };
        if let Ok(put) = kv.put(&kv_key(url), &record) {
            let _ = put
                .expiration_ttl(policy.kv_expiration_ttl_secs())
                .execute()
                .await;
        }
    }
    Ok(keys)
}

/// GETs and parses the JWKS, with a timeout. The error is for logs only.
async fn fetch(url: &str) -> Result<(KeySet, String), String> {
    let headers = Headers::new();
    let _ = headers.set("accept", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(url, &init).map_err(|e| format!("bad JWKS URL: {e}"))?;
    let send = Box::pin(async move { Fetch::Request(req).send().await });
    let timeout = Box::pin(Delay::from(FETCH_TIMEOUT));
    let mut resp = match select(send, timeout).await {
        Either::Left((resp, _)) => resp.map_err(|e| format!("fetch failed: {e}"))?,
        Either::Right(_) => return Err("fetch timed out".to_owned()),
    };
    if resp.status_code() != 200 {
        return Err(format!("JWKS answered {}", resp.status_code()));
    }
    let body = resp
        .bytes()
        .await
        .map_err(|e| format!("reading the JWKS failed: {e}"))?;
    if body.len() > MAX_JWKS_BYTES {
        return Err("JWKS too large".to_owned());
    }
    let text = String::from_utf8(body).map_err(|_| "JWKS is not UTF-8".to_owned())?;
    let keys = KeySet::from_jwks_json(&text).map_err(|e| e.code().to_owned())?;
    Ok((keys, text))
}

fn warn(ctx: &RequestCtx, msg: &str, why: &str) {
    logging::emit(
        &LogLine::new(Level::Warn, msg, &ctx.request_id).field("error", why),
        Level::Warn,
    );
}
