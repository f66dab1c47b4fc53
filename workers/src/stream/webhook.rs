//! `POST /v1/webhooks/stream`: GetStream Video events. Not user-
//! authenticated; trusted only after, in this order:
//!
//! 1. the body is read (1 MiB at most) and, when it starts with the gzip
//!    magic, inflated (1 MiB at most inflated): Stream signs the
//!    *uncompressed* JSON (`connvo_shared::gzip::inflate_if_gzip`);
//! 2. `X-Api-Key` must be ours and `X-Signature` the HMAC-SHA256 of that
//!    JSON with our API secret (`connvo_shared::signature::stream`):
//!    otherwise 401, nothing read further, nothing written;
//! 3. `X-Webhook-Id` must be present; the event must parse and be fresh
//!    (`created_at` within `STREAM_WEBHOOK_MAX_AGE_SECS` of now);
//! 4. the id is claimed (`webhooks::claim`, the one idempotency policy): a
//!    redelivery of an applied event answers 200 `duplicate`; one still
//!    being applied 409 `IDEMPOTENCY_IN_PROGRESS`; the id reused with
//!    another body 409 `IDEMPOTENCY_KEY_REUSED`;
//! 5. the event is applied (`apply`), its writes and the id's completion in
//!    one batch; if that fails the claim is released and the 500 makes
//!    Stream retry.
//!
//! Everything slow (the end-of-meeting flush) is on the queue, so this
//! answers well within Stream's 6 s.

use connvo_rooms::d1::D1;
use connvo_shared::gzip::inflate_if_gzip;
use connvo_shared::idempotency::Decision;
use connvo_shared::limits::max_body_bytes;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::route::RouteClass;
use connvo_shared::signature::verify_stream_webhook;
use connvo_shared::stream::plan::{delivery, Applied};
use connvo_shared::stream::webhook::{check_fresh, parse_event, valid_webhook_id};
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Request, Response};

use super::apply::apply;
use super::config::StreamConfig;
use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::now_ms;
use crate::logging;
use crate::request::{read_body, RequestCtx};
use crate::respond;
use crate::webhooks::claim::{claim, refusal};

/// The audit action of a Stream webhook delivery (`success`, or `failure`
/// when its signature or API key was refused).
const AUDIT_ACTION: &str = "webhook.stream";

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub async fn handle(ctx: &RequestCtx, mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let cfg = StreamConfig::from_env(env)?;
    let limit = max_body_bytes(RouteClass::Webhook);
    let body = inflate_if_gzip(read_body(&mut req, limit).await?, limit)?;
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

    let d1 = D1::from_env(env)?;
    let work = delivery(&webhook_id, &body, cfg.webhook_max_age_ms);
    let decision = claim(&d1, &work, now).await?;
    if let Some(refused) = refusal(&decision) {
        return Ok(refused);
    }
    if let Decision::Replay { .. } = decision {
        return Ok(respond::json(
            200,
            &json!({ "status": "duplicate", "event": event.event_type }),
        ));
    }
    match apply(ctx, env, &d1, &cfg, &event, &work, &webhook_id, now).await {
        Ok(applied) => {
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
            // Nothing was written (the batch is atomic): let the retry claim it.
            let _ = d1.run(work.release()).await;
            Err(err)
        }
    }
}
