//! The WorkOS webhook's use case, pure. After the worker verified the
//! signature and decoded the [`Delivery`], and claimed its event id
//! ([`delivery`], the one idempotency policy), [`plan`] says what to write:
//! the user or membership change (guarded by the row's `updated_at`, so an
//! out-of-order event changes nothing) and the id's completion, in one D1
//! batch. A revoked session goes to KV first ([`WorkosPlan::revoke_session`]):
//! if KV fails, nothing is completed and WorkOS retries the whole event.
//! Once the batch ran, [`WorkosPlan::settle`] gives the answer's status, the
//! audit rows for what actually changed, and the live rooms to tell.

use serde_json::json;

use super::revocation::Revocation;
use super::{Delivery, WorkosEvent};
use crate::audit::{actions, AuditEvent, Outcome};
use crate::auth::membership::StoredUser;
use crate::idempotency::Idempotent;
use crate::log::Level;
use crate::signature::sha256_hex;
use crate::sql::users::{
    UserApplyMembershipEvent, UserApplyWorkosEvent, UserClearMembershipEvent, UserGetForAuth,
    UserSoftDelete,
};
use crate::sql::Statement;

/// The `idempotency_keys.scope` of WorkOS event ids.
pub const SCOPE: &str = "workos_webhook";
/// While one delivery is being applied, a concurrent duplicate is answered
/// "in progress" for at most this long (then the claim is reclaimable).
const LEASE_MS: i64 = 60_000;
/// WorkOS retries failed deliveries for days; a replay within this is a no-op.
const DEDUPE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The idempotent unit of one delivery: its event id, fingerprinted by the
/// body (a retry is re-signed, but its body is the same).
pub fn delivery(d: &Delivery, body: &[u8]) -> Idempotent {
    Idempotent {
        scope: SCOPE.to_owned(),
        key: d.id.clone(),
        request_hash: Some(sha256_hex(body)),
        claim_ttl_ms: LEASE_MS,
        keep_ms: DEDUPE_MS,
    }
}

/// The row the plan compares against (the user before the change), when
/// the event is about a user.
pub fn load(d: &Delivery) -> Option<Statement> {
    d.event
        .user_id()
        .map(|id| UserGetForAuth { id }.statement())
}

/// One delivery's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkosPlan {
    /// A session to mark revoked in KV before anything else.
    pub revoke_session: Option<String>,
    /// One D1 batch: the change (if any), then the completion.
    pub batch: Vec<Statement>,
    /// The user whose cached row is stale after the batch.
    pub forget_user: Option<String>,
    delivery: Delivery,
    before: Option<StoredUser>,
    has_change: bool,
}

/// What the delivery came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// The answer's `status`: `processed`, `superseded` or `ignored`.
    pub status: &'static str,
    pub audit: Vec<AuditEvent>,
    pub revocation: Option<Revocation>,
    /// A line for the log, when nothing was done.
    pub note: Option<(Level, &'static str)>,
}

/// The plan for `d`, with the user as stored before it (`before`, from
/// [`load`]) and the claimed `work`.
pub fn plan(
    d: &Delivery,
    before: Option<StoredUser>,
    work: &Idempotent,
    now_ms: i64,
) -> WorkosPlan {
    let change: Option<Statement> = match &d.event {
        WorkosEvent::UserUpsert {
            user_id,
            email,
            display_name,
            avatar_url,
            updated_at_ms,
        } => Some(
            UserApplyWorkosEvent {
                id: user_id,
                email: email.as_deref(),
                display_name: display_name.as_deref(),
                avatar_url: avatar_url.as_deref(),
                event_updated_at: *updated_at_ms,
                now_ms,
            }
            .statement(),
        ),
        WorkosEvent::UserDeleted { user_id } => Some(
            UserSoftDelete {
                id: user_id,
                now_ms,
            }
            .statement(),
        ),
        WorkosEvent::MembershipActive {
            user_id,
            org_id,
            role,
            updated_at_ms,
        } => Some(
            UserApplyMembershipEvent {
                user_id,
                org_id: Some(org_id),
                org_role: Some(role),
                event_updated_at: *updated_at_ms,
                now_ms,
            }
            .statement(),
        ),
        WorkosEvent::MembershipRemoved {
            user_id,
            org_id,
            updated_at_ms,
        } => Some(
            UserClearMembershipEvent {
                user_id,
                org_id: Some(org_id),
                event_updated_at: *updated_at_ms,
                now_ms,
            }
            .statement(),
        ),
        WorkosEvent::SessionRevoked { .. }
        | WorkosEvent::RoleUpdated { .. }
        | WorkosEvent::Unknown { .. } => None,
    };
    let has_change = change.is_some();
    let mut batch: Vec<Statement> = change.into_iter().collect();
    batch.push(work.complete(Some(&json!({ "event": d.event_type })), now_ms));
    WorkosPlan {
        revoke_session: match &d.event {
            WorkosEvent::SessionRevoked { session_id, .. } => Some(session_id.clone()),
            _ => None,
        },
        batch,
        forget_user: d.event.user_id().map(str::to_owned),
        delivery: d.clone(),
        before,
        has_change,
    }
}

impl WorkosPlan {
    /// The outcome, from the batch's per-statement `changes`: the change
    /// (the first statement, when there is one) applied or not.
    pub fn settle(self, changes: &[usize]) -> Settled {
        let applied = self.has_change && changes.first().copied().unwrap_or(0) > 0;
        let d = &self.delivery;
        let audit = |action: &str, user_id: &str, org: Option<String>| {
            AuditEvent::new(action, Outcome::Success, "user")
                .resource(user_id)
                .org(org)
                .meta("event_id", d.id.clone())
                .meta("event", d.event_type.clone())
        };
        let revoke = |user_id: &str, org_id: Option<&str>| Revocation {
            user_id: user_id.to_owned(),
            org_id: org_id.map(str::to_owned),
            cause: d.event_type.clone(),
        };
        let done = |audit: Vec<AuditEvent>, revocation: Option<Revocation>| Settled {
            status: "processed",
            audit,
            revocation,
            note: None,
        };
        match &d.event {
            WorkosEvent::Unknown { .. } => Settled {
                status: "ignored",
                audit: Vec::new(),
                revocation: None,
                note: Some((
                    Level::Warn,
                    "workos webhook of an unknown type acknowledged",
                )),
            },
            WorkosEvent::RoleUpdated { slug } => done(
                vec![
                    AuditEvent::new(actions::WORKOS_WEBHOOK, Outcome::Success, "role")
                        .resource(slug.clone())
                        .meta("event", d.event_type.clone()),
                ],
                None,
            ),
            WorkosEvent::SessionRevoked {
                session_id,
                user_id,
            } => done(
                vec![audit(actions::SESSION_REVOKED, user_id, None)
                    .meta("session_id", session_id.clone())],
                Some(revoke(user_id, None)),
            ),
            // Out of order (an event newer than this one was applied), or
            // about a user we have never seen: nothing to do.
            _ if !applied => Settled {
                status: "superseded",
                audit: Vec::new(),
                revocation: None,
                note: Some((
                    Level::Info,
                    "workos webhook superseded or about an unknown user",
                )),
            },
            WorkosEvent::UserUpsert { .. } => done(Vec::new(), None),
            WorkosEvent::UserDeleted { user_id } => done(
                vec![audit(
                    actions::USER_DELETED,
                    user_id,
                    self.before.as_ref().and_then(|b| b.org_id.clone()),
                )],
                Some(revoke(user_id, None)),
            ),
            WorkosEvent::MembershipActive {
                user_id,
                org_id,
                role,
                ..
            } => {
                let previous = self
                    .before
                    .as_ref()
                    .filter(|b| b.org_id.as_deref() == Some(org_id.as_str()))
                    .and_then(|b| b.org_role.clone());
                // No room notice: org roles grant nothing inside a room
                // (`crate::room::meeting_room`); the effective role of REST
                // calls drops at once (`crate::auth::membership`).
                let audit = if previous.as_deref() == Some(role.as_str()) {
                    Vec::new()
                } else {
                    vec![
                        audit(actions::ORG_ROLE_CHANGE, user_id, Some(org_id.clone()))
                            .meta("from", previous)
                            .meta("to", role.clone()),
                    ]
                };
                done(audit, None)
            }
            WorkosEvent::MembershipRemoved {
                user_id, org_id, ..
            } => done(
                vec![audit(
                    actions::ORG_MEMBERSHIP_REMOVED,
                    user_id,
                    Some(org_id.clone()),
                )],
                Some(revoke(user_id, Some(org_id))),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
