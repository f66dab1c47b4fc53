//! `POST /v1/webhooks/stream`: GetStream Video events. Not user-
//! authenticated; trusted only after, in this order:
//!
//! 1. the body is read (1 MiB at most) and, when it starts with the gzip
//!    magic, inflated (1 MiB at most inflated): Stream signs the
//!    *uncompressed* JSON;
//! 2. `X-Api-Key` must be ours and `X-Signature` the HMAC-SHA256 of that
//!    JSON with our API secret (constant-time): otherwise 401, nothing read
//!    further, nothing written;
//! 3. `X-Webhook-Id` must be present; the event must parse and be fresh
//!    (`created_at` within `STREAM_WEBHOOK_MAX_AGE_SECS` of now);
//! 4. the id is claimed in `idempotency_keys` (scope `stream_webhook`): a
//!    redelivery of an applied event answers 200 `duplicate` and changes
//!    nothing; one still being applied answers 409 (Stream retries are
//!    seconds apart, so this only happens while the first is in flight);
//! 5. the event is applied (`apply`), and the key completed; if applying
//!    failed the key is released and the 500 makes Stream retry.
//!
//! Everything slow (the end-of-meeting flush) is on the queue, so this
//! answers well within Stream's 6 s.

use connvo_shared::gzip::{gunzip_capped, GunzipError};
use connvo_shared::limits::max_body_bytes;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::route::RouteClass;
use connvo_shared::signature::{is_gzip, sha256_hex, verify_stream_webhook};
use connvo_shared::sql::idempotency;
use connvo_shared::stream::webhook::{check_fresh, parse_event, valid_webhook_id};
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Request, Response};

use super::apply::{apply, Applied};
use super::config::StreamConfig;
use crate::args;
use crate::audit::{self, AuditEvent, Outcome};
use crate::db;
use crate::logging;
use crate::request::{read_body, RequestCtx};
use crate::respond;
use crate::sys::now_ms;

/// The audit action of a Stream webhook delivery (`success`, or `failure`
/// when its signature or API key was refused).
const AUDIT_ACTION: &str = "webhook.stream";

/// The `idempotency_keys.scope` of webhook ids.
pub const SCOPE: &str = "stream_webhook";
/// A claim not completed within this is a crashed attempt: retryable.
const CLAIM_TTL_MS: i64 = 10_000;
/// Applied ids are remembered at least this long (and never less than the
/// freshness window, after which the event is refused as stale anyway).
const DEDUP_TTL_MS: i64 = 24 * 60 * 60 * 1000;

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub async fn handle(ctx: &RequestCtx, mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let cfg = StreamConfig::from_env(env)?;
    let limit = max_body_bytes(RouteClass::Webhook);
    let raw = read_body(&mut req, limit).await?;
    let body = if is_gzip(&raw) {
        gunzip_capped(&raw, limit).map_err(|e| match e {
            GunzipError::TooLarge(_) => ApiError::new(ErrorCode::PayloadTooLarge, e.to_string())
                .with_details(json!({ "limit_bytes": limit })),
            GunzipError::Corrupt => ApiError::validation(e.to_string())
                .with_details(json!({ "field": "body", "reason": "BAD_GZIP" })),
        })?
    } else {
        raw
    };
    if let Err(err) = verify_stream_webhook(
        &cfg.api_key,
        &cfg.api_secret,
        header(&req, "x-api-key").as_deref(),
        header(&req, "x-signature").as_deref(),
        &body,
    ) {
        audit::record(
            ctx,
            AuditEvent::new(AUDIT_ACTION, Outcome::Failure, "webhook").meta("reason", err.code()),
        );
        return Err(err.into());
    }
    let webhook_id = header(&req, "x-webhook-id")
        .filter(|id| valid_webhook_id(id))
        .ok_or_else(|| {
            ApiError::validation("X-Webhook-Id is missing or malformed")
                .with_details(json!({ "field": "X-Webhook-Id", "reason": "required" }))
        })?;
    let event = parse_event(&body)?;
    let now = now_ms();
    check_fresh(event.created_at_ms, now, cfg.webhook_max_age_ms)?;

    let db = db::database(env)?;
    let hash = sha256_hex(&body);
    let claimed = db::run(
        &db,
        idempotency::IDEMPOTENCY_CLAIM,
        args![
            SCOPE,
            webhook_id.as_str(),
            hash.as_str(),
            now,
            now + CLAIM_TTL_MS
        ],
    )
    .await?;
    if claimed == 0 {
        let row = db::first(
            &db,
            idempotency::IDEMPOTENCY_GET,
            args![SCOPE, webhook_id.as_str()],
        )
        .await?;
        let status = row
            .as_ref()
            .and_then(|r| r["status"].as_str().map(str::to_owned));
        if status.as_deref() == Some("completed") {
            if row.as_ref().and_then(|r| r["request_hash"].as_str()) != Some(hash.as_str()) {
                logging::emit(
                    &LogLine::new(
                        Level::Warn,
                        "webhook id reused with another body",
                        &ctx.request_id,
                    )
                    .field("webhook_id", webhook_id.as_str())
                    .field("event", event.event_type.as_str()),
                    Level::Warn,
                );
            }
            return Ok(respond::json(
                200,
                &json!({ "status": "duplicate", "event": event.event_type }),
            ));
        }
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this webhook is being applied; retry later",
        )
        .with_details(json!({ "reason": "WEBHOOK_IN_PROGRESS" })));
    }

    match apply(ctx, env, &db, &event, &webhook_id, now).await {
        Ok(applied) => {
            let ttl = DEDUP_TTL_MS.max(2 * cfg.webhook_max_age_ms);
            let result = json!({ "status": applied.as_str() }).to_string();
            if let Err(err) = db::run(
                &db,
                idempotency::IDEMPOTENCY_COMPLETE,
                args![SCOPE, webhook_id.as_str(), result, now_ms(), now + ttl],
            )
            .await
            {
                // Applied, but not remembered: a redelivery would apply
                // again, which every effect tolerates (guarded writes,
                // ON CONFLICT, caption ids). Log it.
                logging::emit(
                    &LogLine::new(
                        Level::Warn,
                        "webhook applied but not recorded",
                        &ctx.request_id,
                    )
                    .field("error", err.message.as_str()),
                    Level::Warn,
                );
            }
            audit::record(
                ctx,
                AuditEvent::new(AUDIT_ACTION, Outcome::Success, "webhook")
                    .resource(webhook_id.clone())
                    .meta("event", event.event_type.as_str())
                    .meta("status", applied.as_str())
                    .meta("call_cid", event.call_cid.as_ref().map(|c| c.as_string())),
            );
            if applied == Applied::Ignored {
                logging::emit(
                    &LogLine::new(Level::Info, "stream event ignored", &ctx.request_id)
                        .field("event", event.event_type.as_str())
                        .field("webhook_id", webhook_id.as_str()),
                    Level::Info,
                );
            }
            Ok(respond::json(
                200,
                &json!({ "status": applied.as_str(), "event": event.event_type }),
            ))
        }
        Err(err) => {
            let _ = db::run(
                &db,
                idempotency::IDEMPOTENCY_RELEASE,
                args![SCOPE, webhook_id.as_str()],
            )
            .await;
            Err(err)
        }
    }
}
