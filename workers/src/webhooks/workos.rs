//! `POST /v1/webhooks/workos`: WorkOS events keeping users, memberships and
//! sessions in step (docs/api.md, "`POST /v1/webhooks/workos`").
//!
//! 1. Verify `WorkOS-Signature` (`connvo_shared::signature::workos`, 180 s
//!    window) with `WORKOS_WEBHOOK_SECRET`. A bad one: 401, nothing changes
//!    (one audit row records the attempt).
//! 2. Decode the envelope (unknown event types: 200, logged).
//! 3. Claim the event id (`webhooks::claim`, the one idempotency policy): a
//!    replay answers 200 `duplicate`; one in progress 409
//!    `IDEMPOTENCY_IN_PROGRESS`; the id with another body 409
//!    `IDEMPOTENCY_KEY_REUSED`.
//! 4. Run the core's plan (`connvo_shared::workos_events::plan`): a revoked
//!    session to KV first, then the change and the id's completion in one
//!    D1 batch. On failure the claim is released and the 500 makes WorkOS
//!    retry.
//! 5. Audit what changed, and push revocations to the affected MeetingRooms
//!    after the response (`webhooks::rooms`).

use connvo_rooms::d1::D1;
use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::idempotency::{Decision, Idempotent};
use connvo_shared::limits::max_body_bytes;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::signature::{verify_workos_webhook, WORKOS_DEFAULT_TOLERANCE_MS};
use connvo_shared::workos_events::plan::{delivery, load, plan, Settled};
use connvo_shared::workos_events::{decode, Delivery};
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Request, Response};

use super::claim::{claim, refusal};
use super::rooms::revoke_later;
use crate::audit::record;
use crate::auth::revocation;
use crate::clock::now_ms;
use crate::config::var;
use crate::request::{read_body, RequestCtx};
use crate::{logging, respond, users};

pub async fn handle(ctx: &RequestCtx, mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let body = read_body(&mut req, max_body_bytes(ctx.route_class)).await?;
    let secret = var(env, "WORKOS_WEBHOOK_SECRET").unwrap_or_default();
    let header = req.headers().get("workos-signature").ok().flatten();
    let now = now_ms();
    if let Err(err) = verify_workos_webhook(
        &secret,
        header.as_deref(),
        &body,
        u64::try_from(now).unwrap_or(0),
        WORKOS_DEFAULT_TOLERANCE_MS,
    ) {
        record(
            ctx,
            AuditEvent::new(actions::WORKOS_WEBHOOK, Outcome::Failure, "webhook")
                .meta("reason", err.code()),
        );
        return Err(err.into());
    }
    let d = decode(&body)?;
    let d1 = D1::from_env(env)?;
    let work = delivery(&d, &body);
    let decision = claim(&d1, &work, now).await?;
    if let Some(refused) = refusal(&decision) {
        return Ok(refused);
    }
    if let Decision::Replay { .. } = decision {
        log(ctx, Level::Info, "workos webhook replay ignored", &d);
        return Ok(respond::json(
            200,
            &json!({ "status": "duplicate", "id": d.id }),
        ));
    }
    match apply(env, &d1, &d, &work, now).await {
        Ok(settled) => {
            if let Some((level, msg)) = settled.note {
                log(ctx, level, msg, &d);
            }
            for event in settled.audit {
                record(ctx, event);
            }
            if let Some(revocation) = settled.revocation {
                revoke_later(ctx, env, revocation);
            }
            Ok(respond::json(
                200,
                &json!({ "status": settled.status, "id": d.id }),
            ))
        }
        Err(err) => {
            let _ = d1.run(work.release()).await;
            Err(err)
        }
    }
}

/// Load → plan → execute: what the delivery came to.
async fn apply(
    env: &Env,
    d1: &D1,
    d: &Delivery,
    work: &Idempotent,
    now: i64,
) -> Result<Settled, ApiError> {
    let before: Option<StoredUser> = match load(d) {
        Some(statement) => d1.first(statement).await?,
        None => None,
    };
    let plan = plan(d, before, work, now);
    // KV first: if it fails, nothing is completed and WorkOS retries.
    if let Some(session_id) = &plan.revoke_session {
        revocation::revoke(env, session_id, u64::try_from(now).unwrap_or(0))
            .await
            .map_err(|e| ApiError::internal(format!("revoking the session failed: {e}")))?;
    }
    let outcomes = d1.batch(&plan.batch).await?;
    if let Some(user_id) = &plan.forget_user {
        users::forget(user_id);
    }
    let changes: Vec<usize> = outcomes.iter().map(|o| o.changes).collect();
    Ok(plan.settle(&changes))
}

fn log(ctx: &RequestCtx, level: Level, msg: &str, d: &Delivery) {
    logging::emit(
        &LogLine::new(level, msg, &ctx.request_id)
            .field("event_id", d.id.as_str())
            .field("event", d.event_type.as_str()),
        level,
    );
}
