//! Rate limiting per client IP and per user, by route class and caller
//! tier, with the limits from configuration (`RATE_LIMITS`, see README.md)
//! and the operators' run-time settings (`admin`, `operator_limits` in D1;
//! rules O11–O13), and the counters in the [`limiter::RateLimiter`]
//! Durable Object. Allow-listed addresses are never limited.
//!
//! - [`check_ip`] runs in the router before any handler;
//! - [`check_user`] runs inside `authenticate`, after the token is verified
//!   and before anything is written;
//! - [`decorate`] puts `X-RateLimit-Limit/Remaining/Reset` on every
//!   response (the tightest limit seen) and `Retry-After` on a 429.
//!
//! A refused request costs no D1 or KV write. An isolate that saw a refusal
//! remembers it until `Retry-After` and refuses repeats without asking the
//! object. If the object cannot be reached the request is allowed and the
//! failure logged: rate limiting protects capacity, it is not access control.

pub mod admin;
pub mod limiter;

use std::cell::RefCell;
use std::collections::HashMap;

use connvo_rooms::d1::D1;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::operator_limits::{allowed, parse_allow_list, Cidr, Effective, Settings, Tier};
use connvo_shared::rate_limit::{class_name, Decision, Limit, RateLimits};
use connvo_shared::sql::operations::OperatorLimitsGet;
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Date, Env, Headers, Method, Request, RequestInit};

use crate::clock::now_ms;
use crate::config::var;
use crate::intelligence::flags::env_name;
use crate::logging;
use crate::request::RequestCtx;

/// The Durable Object binding.
pub const BINDING: &str = "RATE_LIMITER";
const MAX_DENIALS_REMEMBERED: usize = 10_000;

thread_local! {
    /// The limits in force, by the raw configuration they came from.
    static CONFIG: RefCell<Option<(String, Effective)>> = const { RefCell::new(None) };
    /// The stored run-time settings and when they were read (ms).
    static STORED: RefCell<Option<(i64, Option<Settings>)>> = const { RefCell::new(None) };
    /// Subjects refused recently: (subject, class) → (until ms, the decision).
    static DENIED: RefCell<HashMap<String, (u64, Decision)>> = RefCell::new(HashMap::new());
}

/// How long an isolate trusts its copy of the stored run-time settings: a
/// change applies everywhere within this (at once in the isolate that made it).
pub const SETTINGS_TTL_MS: i64 = 5_000;

/// `RATE_LIMITS` over the defaults, and `RATE_LIMIT_ALLOW_IPS` (each logged
/// and ignored when malformed).
pub fn configured(env: &Env, request_id: &str) -> (RateLimits, Vec<Cidr>) {
    let raw = var(env, "RATE_LIMITS").unwrap_or_default();
    let limits = if raw.trim().is_empty() {
        RateLimits::default()
    } else {
        RateLimits::from_json(&raw).unwrap_or_else(|e| {
            log_error(
                request_id,
                "RATE_LIMITS refused; using the defaults",
                e.to_string(),
            );
            RateLimits::default()
        })
    };
    let allow = parse_allow_list(&var(env, "RATE_LIMIT_ALLOW_IPS").unwrap_or_default())
        .unwrap_or_else(|e| {
            log_error(request_id, "RATE_LIMIT_ALLOW_IPS refused", e);
            Vec::new()
        });
    (limits, allow)
}

fn log_error(request_id: &str, msg: &str, error: String) {
    logging::emit(
        &LogLine::new(Level::Error, msg, request_id).field("error", error),
        Level::Error,
    );
}

/// The stored settings of this environment (cached `SETTINGS_TTL_MS`).
async fn stored(env: &Env, ctx: &RequestCtx) -> Option<Settings> {
    let now = now_ms();
    if let Some(s) = STORED.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|(at, _)| now - at < SETTINGS_TTL_MS)
            .map(|(_, v)| v.clone())
    }) {
        return s;
    }
    let read = async {
        let db = D1::from_env(env)?;
        db.first::<admin::StoredRow>(OperatorLimitsGet { env: env_name(env) })
            .await
    };
    let value = match read.await {
        Ok(row) => row.and_then(|r| serde_json::from_str::<Settings>(&r.config).ok()),
        Err(e) => {
            // Unreadable: keep the last copy (or none) and try again later.
            log_error(
                &ctx.request_id,
                "rate-limit settings not read",
                e.to_string(),
            );
            STORED.with(|s| s.borrow().as_ref().and_then(|(_, v)| v.clone()))
        }
    };
    STORED.with(|s| *s.borrow_mut() = Some((now, value.clone())));
    value
}

/// Drops this isolate's copy of the stored settings (after a change here).
pub fn forget() {
    STORED.with(|s| *s.borrow_mut() = None);
}

/// The limits in force (O12): defaults, `RATE_LIMITS`, then the stored
/// settings (ignored, and logged, if they no longer validate).
pub async fn effective(env: &Env, ctx: &RequestCtx) -> Effective {
    let settings = stored(env, ctx).await;
    let raw = format!(
        "{}|{}|{}",
        var(env, "RATE_LIMITS").unwrap_or_default(),
        var(env, "RATE_LIMIT_ALLOW_IPS").unwrap_or_default(),
        settings
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok())
            .unwrap_or_default()
    );
    if let Some(cached) = CONFIG.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(r, _)| *r == raw)
            .map(|(_, e)| e.clone())
    }) {
        return cached;
    }
    let (base, allow) = configured(env, &ctx.request_id);
    let settings = settings.unwrap_or_default();
    let effective = settings.apply(base, &allow).unwrap_or_else(|e| {
        log_error(
            &ctx.request_id,
            "stored rate-limit settings refused",
            e.message,
        );
        Effective {
            limits: base,
            tiers: Default::default(),
            allow,
        }
    });
    CONFIG.with(|c| *c.borrow_mut() = Some((raw, effective.clone())));
    effective
}

/// The per-IP limit of the request's route class; an anonymous caller's
/// (public, webhook and dev routes) is scaled by the anonymous tier (O11).
/// An allow-listed address is not limited (O13).
pub async fn check_ip(ctx: &RequestCtx, env: &Env, anonymous: bool) -> Result<(), ApiError> {
    let e = effective(env, ctx).await;
    if allowed(&e.allow, ctx.client_ip.as_deref()) {
        return Ok(());
    }
    let mut limit = e.limits.for_class(ctx.route_class).per_ip;
    if anonymous {
        limit = e.tiers.scale(limit, Tier::Anonymous);
    }
    let ip = ctx.client_ip.as_deref().unwrap_or("unknown");
    check(ctx, env, "ip", &format!("ip:{ip}"), limit).await
}

/// The per-user limit of the request's route class (if the class has one),
/// scaled by the caller's tier (O11). On a meeting route the pipeline
/// defers it until the meeting role is known (`after_decision`).
pub async fn check_user(
    ctx: &RequestCtx,
    env: &Env,
    user_id: &str,
    tier: Tier,
    after_decision: bool,
) -> Result<(), ApiError> {
    if ctx.user_limit_deferred.get() && !after_decision {
        return Ok(());
    }
    let e = effective(env, ctx).await;
    if allowed(&e.allow, ctx.client_ip.as_deref()) {
        return Ok(());
    }
    match e.limits.for_class(ctx.route_class).per_user {
        Some(limit) => {
            let limit = e.tiers.scale(limit, tier);
            check(ctx, env, "user", &format!("user:{user_id}"), limit).await
        }
        None => Ok(()),
    }
}

async fn check(
    ctx: &RequestCtx,
    env: &Env,
    scope: &str,
    subject: &str,
    limit: Limit,
) -> Result<(), ApiError> {
    let class = class_name(ctx.route_class);
    let key = format!("{subject}|{class}|{}|{}", limit.limit, limit.window_secs);
    let now_ms = Date::now().as_millis();
    let remembered = DENIED.with(|d| {
        d.borrow()
            .get(&key)
            .filter(|(until, _)| *until > now_ms)
            .map(|(until, dec)| (*until, *dec))
    });
    let decision = match remembered {
        Some((until, dec)) => Decision {
            retry_after_secs: until.saturating_sub(now_ms).div_ceil(1000).max(1),
            ..dec
        },
        None => match ask(env, subject, class, limit).await {
            Ok(decision) => decision,
            Err(e) => {
                logging::emit(
                    &LogLine::new(
                        Level::Error,
                        "rate limiter unreachable; allowing",
                        &ctx.request_id,
                    )
                    .field("scope", scope)
                    .field("error", e),
                    Level::Error,
                );
                return Ok(());
            }
        },
    };
    note(ctx, decision);
    if decision.allowed {
        return Ok(());
    }
    if remembered.is_none() {
        DENIED.with(|d| {
            let mut d = d.borrow_mut();
            if d.len() >= MAX_DENIALS_REMEMBERED {
                d.retain(|_, (until, _)| *until > now_ms);
            }
            d.insert(key, (now_ms + decision.retry_after_secs * 1000, decision));
        });
    }
    Err(ApiError::new(
        ErrorCode::RateLimited,
        format!(
            "too many requests; retry after {} s",
            decision.retry_after_secs
        ),
    )
    .with_details(json!({
        "scope": scope,
        "class": class,
        "limit": limit.limit,
        "window_secs": limit.window_secs,
        "retry_after_secs": decision.retry_after_secs,
    })))
}

/// Keeps the tightest decision for the response headers.
fn note(ctx: &RequestCtx, decision: Decision) {
    let mut slot = ctx.rate_limit.borrow_mut();
    let tighter = match *slot {
        None => true,
        Some(seen) => {
            (!decision.allowed && seen.allowed)
                || (decision.allowed == seen.allowed && decision.remaining < seen.remaining)
        }
    };
    if tighter {
        *slot = Some(decision);
    }
}

async fn ask(env: &Env, subject: &str, class: &str, limit: Limit) -> Result<Decision, String> {
    let ns = env.durable_object(BINDING).map_err(|e| e.to_string())?;
    let stub = ns
        .id_from_name(subject)
        .and_then(|id| id.get_stub())
        .map_err(|e| e.to_string())?;
    let body = json!({ "class": class, "limit": limit.limit, "window_secs": limit.window_secs });
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(body.to_string().into()));
    let req =
        Request::new_with_init("https://rate-limiter/hit", &init).map_err(|e| e.to_string())?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())?;
    if resp.status_code() != 200 {
        return Err(format!("limiter answered {}", resp.status_code()));
    }
    resp.json::<Decision>().await.map_err(|e| e.to_string())
}

/// Adds the rate-limit headers for the tightest decision of the request.
pub fn decorate(ctx: &RequestCtx, headers: &Headers) {
    let Some(d) = *ctx.rate_limit.borrow() else {
        return;
    };
    let _ = headers.set("x-ratelimit-limit", &d.limit.to_string());
    let _ = headers.set("x-ratelimit-remaining", &d.remaining.to_string());
    let _ = headers.set("x-ratelimit-reset", &d.reset_secs.to_string());
    if !d.allowed {
        let _ = headers.set("retry-after", &d.retry_after_secs.to_string());
    }
}
