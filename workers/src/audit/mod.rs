//! The audit trail's Worker half. Any module records events with
//! [`record`]; they are buffered on the request and written in one D1 batch
//! after the response has gone (`wait_until`), so auditing never adds
//! latency. The admin routes that read the trail are in [`admin`].
//!
//! ```ignore
//! audit::record(ctx, AuditEvent::new("meeting.end", Outcome::Success, "meeting")
//!     .actor(authed.user_id()).org(authed.org_id.clone()).resource(meeting_id));
//! ```

pub mod admin;

use std::cell::RefCell;

pub use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::signature::to_hex;
use connvo_shared::sql::audit::AUDIT_INSERT;
use serde_json::Value;
use worker::{Date, Env};

use crate::request::RequestCtx;
use crate::{config, logging, sqlbind};

/// The events a request has recorded so far.
#[derive(Debug, Default)]
pub struct Buffer(RefCell<Vec<AuditEvent>>);

/// Records `event` for this request: written after the response, with the
/// request id, client IP, user agent and time attached.
pub fn record(ctx: &RequestCtx, event: AuditEvent) {
    ctx.audit.0.borrow_mut().push(event);
}

/// Writes the buffered events in one D1 batch, after the response
/// (`wait_until`). Called once per request by the router.
pub fn flush(ctx: &RequestCtx, env: &Env) {
    let events: Vec<AuditEvent> = ctx.audit.0.borrow_mut().drain(..).collect();
    if events.is_empty() {
        return;
    }
    let now_ms = Date::now().as_millis();
    let rows: Vec<Vec<Value>> = events
        .into_iter()
        .map(|e| {
            vec![
                Value::from(new_id()),
                e.actor_user_id.map(Value::from).unwrap_or(Value::Null),
                e.org_id.map(Value::from).unwrap_or(Value::Null),
                Value::from(e.resource_type),
                e.resource_id.map(Value::from).unwrap_or(Value::Null),
                Value::from(e.action),
                Value::from(e.outcome.as_str()),
                Value::from(ctx.request_id.clone()),
                ctx.client_ip
                    .clone()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                ctx.user_agent
                    .clone()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                Value::from(Value::Object(e.metadata).to_string()),
                Value::from(now_ms),
            ]
        })
        .collect();
    let env = env.clone();
    let request_id = ctx.request_id.clone();
    let write = async move {
        if let Err(e) = write_rows(&env, &rows).await {
            logging::emit(
                &LogLine::new(Level::Error, "audit write failed", &request_id)
                    .field("rows", rows.len())
                    .field("error", e.to_string()),
                Level::Error,
            );
        }
    };
    match &ctx.worker_ctx {
        Some(worker_ctx) => worker_ctx.wait_until(write),
        // Only the router builds contexts, always with the fetch event's.
        None => logging::emit(
            &LogLine::new(
                Level::Error,
                "audit events dropped: no fetch context",
                &ctx.request_id,
            ),
            Level::Error,
        ),
    }
}

async fn write_rows(env: &Env, rows: &[Vec<Value>]) -> worker::Result<()> {
    let db = env.d1(config::DB)?;
    let statements = rows
        .iter()
        .map(|params| sqlbind::prepare(&db, AUDIT_INSERT, params))
        .collect::<worker::Result<Vec<_>>>()?;
    db.batch(statements).await?;
    Ok(())
}

fn new_id() -> String {
    let mut bytes = [0u8; 12];
    let _ = getrandom::getrandom(&mut bytes);
    format!("aud_{}", to_hex(&bytes))
}
