//! Rate limiting per client IP and per user, by route class, with the
//! limits from configuration (`RATE_LIMITS`, see README.md) and the
//! counters in the [`limiter::RateLimiter`] Durable Object.
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

pub mod limiter;

use std::cell::RefCell;
use std::collections::HashMap;

use connvo_shared::log::{Level, LogLine};
use connvo_shared::rate_limit::{class_name, Decision, Limit, RateLimits};
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Date, Env, Headers, Method, Request, RequestInit};

use crate::config::var;
use crate::logging;
use crate::request::RequestCtx;

/// The Durable Object binding.
pub const BINDING: &str = "RATE_LIMITER";
const MAX_DENIALS_REMEMBERED: usize = 10_000;

thread_local! {
    /// Parsed `RATE_LIMITS`, by the raw text it came from.
    static CONFIG: RefCell<Option<(String, RateLimits)>> = const { RefCell::new(None) };
    /// Subjects refused recently: (subject, class) → (until ms, the decision).
    static DENIED: RefCell<HashMap<String, (u64, Decision)>> = RefCell::new(HashMap::new());
}

/// The configured limits (defaults where `RATE_LIMITS` says nothing; the
/// defaults entirely, logged once per isolate, when it is malformed).
pub fn limits(env: &Env, ctx: &RequestCtx) -> RateLimits {
    let raw = var(env, "RATE_LIMITS").unwrap_or_default();
    if let Some(cached) = CONFIG.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(r, _)| *r == raw)
            .map(|(_, l)| *l)
    }) {
        return cached;
    }
    let parsed = if raw.trim().is_empty() {
        RateLimits::default()
    } else {
        RateLimits::from_json(&raw).unwrap_or_else(|e| {
            logging::emit(
                &LogLine::new(
                    Level::Error,
                    "RATE_LIMITS refused; using the defaults",
                    &ctx.request_id,
                )
                .field("error", e.to_string()),
                Level::Error,
            );
            RateLimits::default()
        })
    };
    CONFIG.with(|c| *c.borrow_mut() = Some((raw, parsed)));
    parsed
}

/// The per-IP limit of the request's route class.
pub async fn check_ip(ctx: &RequestCtx, env: &Env) -> Result<(), ApiError> {
    let limit = limits(env, ctx).for_class(ctx.route_class).per_ip;
    let ip = ctx.client_ip.as_deref().unwrap_or("unknown");
    check(ctx, env, "ip", &format!("ip:{ip}"), limit).await
}

/// The per-user limit of the request's route class (if the class has one).
pub async fn check_user(ctx: &RequestCtx, env: &Env, user_id: &str) -> Result<(), ApiError> {
    match limits(env, ctx).for_class(ctx.route_class).per_user {
        Some(limit) => check(ctx, env, "user", &format!("user:{user_id}"), limit).await,
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
