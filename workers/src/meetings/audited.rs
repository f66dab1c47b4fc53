//! The meeting routes' audit trail (`crate::audit`, written after the
//! response): every refused meeting action (`access.denied`, with the ACL
//! action and the reason), and every change and every credential handed out
//! (`meeting.*`, `success`). Rows are meeting-scoped (`resource_type =
//! "meeting"`), so a meeting's log and the admin filters find them.

use connvo_shared::acl::Action;
use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::meeting::access::Caller;
use connvo_shared::meeting::plan::AuditNote;
use connvo_shared::ApiError;

use crate::audit;
use crate::request::RequestCtx;

fn event(action: &str, outcome: Outcome, caller: &Caller, meeting_id: &str) -> AuditEvent {
    AuditEvent::new(action, outcome, "meeting")
        .actor(caller.user_id.clone())
        .org(caller.org_id.clone())
        .resource(meeting_id.to_owned())
}

/// A refused meeting action (403 or 409 from the access check).
pub(crate) fn denied(
    ctx: &RequestCtx,
    caller: &Caller,
    meeting_id: &str,
    acl: Action,
    err: &ApiError,
) {
    let reason = err
        .details
        .as_ref()
        .and_then(|d| d.get("reason"))
        .cloned()
        .unwrap_or_else(|| serde_json::Value::from(err.code.as_str()));
    audit::record(
        ctx,
        event(actions::ACCESS_DENIED, Outcome::Deny, caller, meeting_id)
            .meta("action", acl.as_str())
            .meta("reason", reason),
    );
}

/// A change (or a credential handed out) that succeeded, with details.
pub fn done(
    ctx: &RequestCtx,
    caller: &Caller,
    meeting_id: &str,
    action: &str,
    meta: &[(&str, serde_json::Value)],
) {
    let mut e = event(action, Outcome::Success, caller, meeting_id);
    for (key, value) in meta {
        e = e.meta(key, value.clone());
    }
    audit::record(ctx, e);
}

/// A plan's audit events.
pub fn notes(ctx: &RequestCtx, caller: &Caller, meeting_id: &str, notes: &[AuditNote]) {
    for note in notes {
        done(ctx, caller, meeting_id, note.action, &note.meta);
    }
}
