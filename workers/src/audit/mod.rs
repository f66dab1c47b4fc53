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

use connvo_rooms::d1::{D1Error, D1};
pub use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::audit::{AuditContext, AUDIT_ID_BYTES};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::sql::Statement;
use worker::{Date, Env};

use crate::logging;
use crate::request::RequestCtx;

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
    let context = AuditContext {
        request_id: Some(ctx.request_id.clone()),
        ip: ctx.client_ip.clone(),
        user_agent: ctx.user_agent.clone(),
        at_ms: i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX),
    };
    let rows: Vec<Statement> = events
        .iter()
        .map(|event| event.statement(&random_id_bytes(), &context))
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

async fn write_rows(env: &Env, rows: &[Statement]) -> Result<(), D1Error> {
    D1::from_env(env)?.batch(rows).await?;
    Ok(())
}

fn random_id_bytes() -> [u8; AUDIT_ID_BYTES] {
    let mut bytes = [0u8; AUDIT_ID_BYTES];
    let _ = getrandom::getrandom(&mut bytes);
    bytes
}
