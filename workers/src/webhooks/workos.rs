//! `POST /v1/webhooks/workos`: WorkOS events keeping users, memberships and
//! sessions in step (CONTRACTS.md, "Webhooks").
//!
//! 1. Verify `WorkOS-Signature` (HMAC-SHA256 over `"<t>.<raw body>"`, 180 s
//!    window) with `WORKOS_WEBHOOK_SECRET`. A bad one: 401, nothing changes
//!    (one audit row records the attempt).
//! 2. Decode the envelope (unknown event types: 200, logged).
//! 3. Deduplicate by event id: claim `idempotency_keys` (scope
//!    `workos_webhook`) with a one-minute lease; a replay answers 200 and
//!    changes nothing.
//! 4. Apply: each change and the idempotency completion in one D1 batch
//!    (one transaction). Out-of-order events are ignored by the statements'
//!    `updated_at` guards. On failure the claim is released and 500 makes
//!    WorkOS retry.
//! 5. Push what must reach live sockets (revocations) to the affected
//!    MeetingRooms after the response.

use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::limits::max_body_bytes;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::signature::{sha256_hex, verify_workos_webhook, WORKOS_DEFAULT_TOLERANCE_MS};
use connvo_shared::sql::idempotency::{
    IDEMPOTENCY_CLAIM, IDEMPOTENCY_COMPLETE, IDEMPOTENCY_GET, IDEMPOTENCY_RELEASE,
};
use connvo_shared::sql::users::{
    USER_APPLY_MEMBERSHIP_EVENT, USER_APPLY_WORKOS_EVENT, USER_CLEAR_MEMBERSHIP_EVENT,
    USER_GET_FOR_AUTH, USER_SOFT_DELETE,
};
use connvo_shared::workos_events::{decode, Delivery, WorkosEvent};
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{D1Database, Date, Env, Request, Response};

use super::rooms::{revoke_later, Revocation};
use crate::audit::record;
use crate::auth::revocation;
use crate::config::var;
use crate::request::{read_body, RequestCtx};
use crate::{config, logging, respond, sqlbind, users};

const SCOPE: &str = "workos_webhook";
/// While one delivery is being applied, a concurrent duplicate waits this long.
const LEASE_MS: u64 = 60_000;
/// WorkOS retries failed deliveries for days; a replay within this is a no-op.
const DEDUPE_MS: u64 = 7 * 24 * 60 * 60 * 1000;

pub async fn handle(ctx: &RequestCtx, mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let body = read_body(&mut req, max_body_bytes(ctx.route_class)).await?;
    let secret = var(env, "WORKOS_WEBHOOK_SECRET").unwrap_or_default();
    let header = req.headers().get("workos-signature").ok().flatten();
    let now_ms = Date::now().as_millis();
    if let Err(err) = verify_workos_webhook(
        &secret,
        header.as_deref(),
        &body,
        now_ms,
        WORKOS_DEFAULT_TOLERANCE_MS,
    ) {
        record(
            ctx,
            AuditEvent::new(actions::WORKOS_WEBHOOK, Outcome::Failure, "webhook")
                .meta("reason", err.code()),
        );
        return Err(err.into());
    }
    let delivery = decode(&body)?;
    let db = env.d1(config::DB).map_err(internal)?;
    let hash = sha256_hex(&body);
    if !claim(&db, &delivery.id, &hash, now_ms).await? {
        log(ctx, Level::Info, "workos webhook replay ignored", &delivery);
        return Ok(respond::json(
            200,
            &json!({ "status": "duplicate", "id": delivery.id }),
        ));
    }
    match apply(ctx, env, &db, &delivery, now_ms).await {
        Ok(status) => Ok(respond::json(
            200,
            &json!({ "status": status, "id": delivery.id }),
        )),
        Err(err) => {
            let _ = run(
                &db,
                IDEMPOTENCY_RELEASE,
                &[Value::from(SCOPE), Value::from(delivery.id.clone())],
            )
            .await;
            Err(err)
        }
    }
}

/// True when this delivery is ours to apply; false for a replay.
async fn claim(db: &D1Database, id: &str, hash: &str, now_ms: u64) -> Result<bool, ApiError> {
    let claimed = run(
        db,
        IDEMPOTENCY_CLAIM,
        &[
            Value::from(SCOPE),
            Value::from(id),
            Value::from(hash),
            Value::from(now_ms),
            Value::from(now_ms + LEASE_MS),
        ],
    )
    .await?;
    if claimed > 0 {
        return Ok(true);
    }
    // Someone has it. Completed: a replay. Still claimed: being applied by a
    // concurrent delivery, so ask WorkOS to come back rather than drop it.
    let row: Option<Value> =
        sqlbind::prepare(db, IDEMPOTENCY_GET, &[Value::from(SCOPE), Value::from(id)])
            .map_err(internal)?
            .first(None)
            .await
            .map_err(internal)?;
    match row
        .as_ref()
        .and_then(|r| r.get("status"))
        .and_then(Value::as_str)
    {
        Some("completed") => Ok(false),
        _ => Err(
            ApiError::provider_unavailable("this event is being processed; retry later")
                .with_details(json!({ "reason": "WEBHOOK_IN_PROGRESS" })),
        ),
    }
}

/// Applies the event with its completion in one batch; returns the status word.
async fn apply(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1Database,
    delivery: &Delivery,
    now_ms: u64,
) -> Result<&'static str, ApiError> {
    let complete = [
        Value::from(SCOPE),
        Value::from(delivery.id.clone()),
        json!({ "event": delivery.event_type }).to_string().into(),
        Value::from(now_ms),
        Value::from(now_ms + DEDUPE_MS),
    ];
    let before = match delivery.event.user_id() {
        Some(user_id) => read_user(db, user_id).await?,
        None => None,
    };
    let change: Option<(&str, Vec<Value>)> = match &delivery.event {
        WorkosEvent::UserUpsert {
            user_id,
            email,
            display_name,
            avatar_url,
            updated_at_ms,
        } => Some((
            USER_APPLY_WORKOS_EVENT,
            vec![
                user_id.clone().into(),
                opt(email),
                opt(display_name),
                opt(avatar_url),
                (*updated_at_ms).into(),
                now_ms.into(),
            ],
        )),
        WorkosEvent::UserDeleted { user_id } => Some((
            USER_SOFT_DELETE,
            vec![user_id.clone().into(), now_ms.into()],
        )),
        WorkosEvent::MembershipActive {
            user_id,
            org_id,
            role,
            updated_at_ms,
        } => Some((
            USER_APPLY_MEMBERSHIP_EVENT,
            vec![
                user_id.clone().into(),
                org_id.clone().into(),
                role.clone().into(),
                (*updated_at_ms).into(),
                now_ms.into(),
            ],
        )),
        WorkosEvent::MembershipRemoved {
            user_id,
            org_id,
            updated_at_ms,
        } => Some((
            USER_CLEAR_MEMBERSHIP_EVENT,
            vec![
                user_id.clone().into(),
                org_id.clone().into(),
                (*updated_at_ms).into(),
                now_ms.into(),
            ],
        )),
        WorkosEvent::SessionRevoked { .. }
        | WorkosEvent::RoleUpdated { .. }
        | WorkosEvent::Unknown { .. } => None,
    };

    // Revocations go to KV first: if KV fails, nothing is completed and
    // WorkOS retries the whole event.
    if let WorkosEvent::SessionRevoked { session_id, .. } = &delivery.event {
        revocation::revoke(env, session_id, now_ms)
            .await
            .map_err(internal)?;
    }

    let mut statements = Vec::new();
    if let Some((sql, params)) = &change {
        statements.push(sqlbind::prepare(db, sql, params).map_err(internal)?);
    }
    statements.push(sqlbind::prepare(db, IDEMPOTENCY_COMPLETE, &complete).map_err(internal)?);
    let results = db.batch(statements).await.map_err(internal)?;
    let applied = change.is_some()
        && results
            .first()
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .unwrap_or(0)
            > 0;
    if let Some(user_id) = delivery.event.user_id() {
        users::forget(user_id);
    }
    Ok(after_apply(ctx, env, delivery, before.as_ref(), applied))
}

/// Audit rows and room pushes for what actually changed.
fn after_apply(
    ctx: &RequestCtx,
    env: &Env,
    delivery: &Delivery,
    before: Option<&StoredUser>,
    applied: bool,
) -> &'static str {
    let audit = |action: &str, user_id: &str, org: Option<String>| {
        AuditEvent::new(action, Outcome::Success, "user")
            .resource(user_id)
            .org(org)
            .meta("event_id", delivery.id.clone())
            .meta("event", delivery.event_type.clone())
    };
    match &delivery.event {
        WorkosEvent::Unknown { .. } => {
            log(
                ctx,
                Level::Warn,
                "workos webhook of an unknown type acknowledged",
                delivery,
            );
            "ignored"
        }
        WorkosEvent::RoleUpdated { slug } => {
            record(
                ctx,
                AuditEvent::new(actions::WORKOS_WEBHOOK, Outcome::Success, "role")
                    .resource(slug.clone())
                    .meta("event", delivery.event_type.clone()),
            );
            "processed"
        }
        WorkosEvent::SessionRevoked {
            session_id,
            user_id,
        } => {
            record(
                ctx,
                audit(actions::SESSION_REVOKED, user_id, None)
                    .meta("session_id", session_id.clone()),
            );
            revoke_later(
                ctx,
                env,
                Revocation {
                    user_id: user_id.clone(),
                    org_id: None,
                    cause: delivery.event_type.clone(),
                },
            );
            "processed"
        }
        _ if !applied => {
            // Out of order (an event newer than this one was applied), or
            // about a user we have never seen: nothing to do.
            log(
                ctx,
                Level::Info,
                "workos webhook superseded or about an unknown user",
                delivery,
            );
            "superseded"
        }
        WorkosEvent::UserUpsert { .. } => "processed",
        WorkosEvent::UserDeleted { user_id } => {
            record(
                ctx,
                audit(
                    actions::USER_DELETED,
                    user_id,
                    before.and_then(|b| b.org_id.clone()),
                ),
            );
            revoke_later(
                ctx,
                env,
                Revocation {
                    user_id: user_id.clone(),
                    org_id: None,
                    cause: delivery.event_type.clone(),
                },
            );
            "processed"
        }
        WorkosEvent::MembershipActive {
            user_id,
            org_id,
            role,
            ..
        } => {
            let previous = before
                .filter(|b| b.org_id.as_deref() == Some(org_id.as_str()))
                .and_then(|b| b.org_role.clone());
            if previous.as_deref() != Some(role.as_str()) {
                record(
                    ctx,
                    audit(actions::ORG_ROLE_CHANGE, user_id, Some(org_id.clone()))
                        .meta("from", previous.clone())
                        .meta("to", role.clone()),
                );
                // No room notice: org roles grant nothing inside a room
                // (see webhooks::rooms); the effective role of REST calls
                // drops at once (connvo_shared::auth::membership).
            }
            "processed"
        }
        WorkosEvent::MembershipRemoved {
            user_id, org_id, ..
        } => {
            record(
                ctx,
                audit(
                    actions::ORG_MEMBERSHIP_REMOVED,
                    user_id,
                    Some(org_id.clone()),
                ),
            );
            revoke_later(
                ctx,
                env,
                Revocation {
                    user_id: user_id.clone(),
                    org_id: Some(org_id.clone()),
                    cause: delivery.event_type.clone(),
                },
            );
            "processed"
        }
    }
}

async fn read_user(db: &D1Database, user_id: &str) -> Result<Option<StoredUser>, ApiError> {
    sqlbind::prepare(db, USER_GET_FOR_AUTH, &[Value::from(user_id)])
        .map_err(internal)?
        .first(None)
        .await
        .map_err(internal)
}

/// Runs one statement; returns `changes`.
async fn run(db: &D1Database, sql: &str, params: &[Value]) -> Result<usize, ApiError> {
    let result = sqlbind::prepare(db, sql, params)
        .map_err(internal)?
        .run()
        .await
        .map_err(internal)?;
    Ok(result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0))
}

fn opt(v: &Option<String>) -> Value {
    v.clone().map(Value::from).unwrap_or(Value::Null)
}

fn internal(e: worker::Error) -> ApiError {
    ApiError::internal(format!("applying a WorkOS event failed: {e}"))
}

fn log(ctx: &RequestCtx, level: Level, msg: &str, delivery: &Delivery) {
    logging::emit(
        &LogLine::new(level, msg, &ctx.request_id)
            .field("event_id", delivery.id.as_str())
            .field("event", delivery.event_type.as_str()),
        level,
    );
}
