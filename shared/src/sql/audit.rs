//! `audit_logs`: the append-only trail and the admin queries over it.
//!
//! Every list is newest first with a keyset cursor on (created_at, id) and a
//! LIMIT. The cursor doubles as the exclusive upper time bound:
//! first page: `before_at = to_ms` (exclusive), `before_id = ''`; next pages:
//! the last row's (created_at, id). `from_ms` is the inclusive lower bound
//! (0 for "since the beginning"). All parameters are required (never NULL),
//! so every list is an index range scan.

use crate::params;

/// The columns every audit list returns, in order.
macro_rules! audit_columns {
    () => {
        "id, actor_user_id, org_id, resource_type, resource_id, action, outcome, request_id, ip, \
         user_agent, metadata, created_at"
    };
}

/// Params: ?1 id, ?2 actor_user_id, ?3 org_id, ?4 resource_type, ?5 resource_id, ?6 action,
/// ?7 outcome ('allow' | 'deny' | 'success' | 'failure' | 'error'), ?8 request_id, ?9 ip,
/// ?10 user_agent, ?11 metadata (JSON object), ?12 created_at ms.
pub const AUDIT_INSERT: &str = "\
INSERT INTO audit_logs (id, actor_user_id, org_id, resource_type, resource_id, action, outcome, request_id,
                        ip, user_agent, metadata, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
params! {
    /// Parameters of [`AUDIT_INSERT`], `?1..?12` in order.
    AUDIT_INSERT => AuditInsert<'a> { id: &'a str, actor_user_id: Option<&'a str>, org_id: Option<&'a str>, resource_type: &'a str, resource_id: Option<&'a str>, action: &'a str, outcome: &'a str, request_id: Option<&'a str>, ip: Option<&'a str>, user_agent: Option<&'a str>, metadata: Option<&'a str>, created_at_ms: i64 }
}

/// Params: ?1 id.
pub const AUDIT_GET: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs WHERE id = ?1"
);
params! {
    /// Parameters of [`AUDIT_GET`], `?1..?1` in order.
    AUDIT_GET => AuditGet<'a> { id: &'a str }
}

/// By actor (user).
///
/// Params: ?1 actor_user_id, ?2 from_ms, ?3 before created_at, ?4 before id, ?5 limit.
pub const AUDIT_LIST_BY_ACTOR: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE actor_user_id = ?1 AND created_at >= ?2 AND (created_at, id) < (?3, ?4) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?5"
);
params! {
    /// Parameters of [`AUDIT_LIST_BY_ACTOR`], `?1..?5` in order.
    AUDIT_LIST_BY_ACTOR => AuditListByActor<'a> { actor_user_id: Option<&'a str>, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// By resource (type + id).
///
/// Params: ?1 resource_type, ?2 resource_id, ?3 from_ms, ?4 before created_at, ?5 before id, ?6 limit.
pub const AUDIT_LIST_BY_RESOURCE: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE resource_type = ?1 AND resource_id = ?2 AND created_at >= ?3 AND (created_at, id) < (?4, ?5) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?6"
);
params! {
    /// Parameters of [`AUDIT_LIST_BY_RESOURCE`], `?1..?6` in order.
    AUDIT_LIST_BY_RESOURCE => AuditListByResource<'a> { resource_type: &'a str, resource_id: Option<&'a str>, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// By meeting: meeting-scoped events are logged with resource_type 'meeting'.
///
/// Params: ?1 meeting_id, ?2 from_ms, ?3 before created_at, ?4 before id, ?5 limit.
pub const AUDIT_LIST_BY_MEETING: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE resource_type = 'meeting' AND resource_id = ?1 AND created_at >= ?2 \
       AND (created_at, id) < (?3, ?4) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?5"
);
params! {
    /// Parameters of [`AUDIT_LIST_BY_MEETING`], `?1..?5` in order.
    AUDIT_LIST_BY_MEETING => AuditListByMeeting<'a> { meeting_id: &'a str, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// By action type.
///
/// Params: ?1 action, ?2 from_ms, ?3 before created_at, ?4 before id, ?5 limit.
pub const AUDIT_LIST_BY_ACTION: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE action = ?1 AND created_at >= ?2 AND (created_at, id) < (?3, ?4) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?5"
);
params! {
    /// Parameters of [`AUDIT_LIST_BY_ACTION`], `?1..?5` in order.
    AUDIT_LIST_BY_ACTION => AuditListByAction<'a> { action: &'a str, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// By org.
///
/// Params: ?1 org_id, ?2 from_ms, ?3 before created_at, ?4 before id, ?5 limit.
pub const AUDIT_LIST_BY_ORG: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE org_id = ?1 AND created_at >= ?2 AND (created_at, id) < (?3, ?4) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?5"
);
params! {
    /// Parameters of [`AUDIT_LIST_BY_ORG`], `?1..?5` in order.
    AUDIT_LIST_BY_ORG => AuditListByOrg<'a> { org_id: Option<&'a str>, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// By time range only (also the export endpoint, page by page).
///
/// Params: ?1 from_ms, ?2 before created_at, ?3 before id, ?4 limit.
pub const AUDIT_LIST_BY_TIME: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE created_at >= ?1 AND (created_at, id) < (?2, ?3) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?4"
);
params! {
    /// Parameters of [`AUDIT_LIST_BY_TIME`], `?1..?4` in order.
    AUDIT_LIST_BY_TIME => AuditListByTime<'a> { from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// Pseudonymise an erased user in the trail: replace the actor id and drop
/// IP and user agent. Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 actor_user_id, ?2 pseudonym, ?3 limit.
pub const AUDIT_REDACT_ACTOR: &str = "\
UPDATE audit_logs SET actor_user_id = ?2, ip = NULL, user_agent = NULL
WHERE rowid IN (SELECT rowid FROM audit_logs WHERE actor_user_id = ?1 LIMIT ?3)";
params! {
    /// Parameters of [`AUDIT_REDACT_ACTOR`], `?1..?3` in order.
    AUDIT_REDACT_ACTOR => AuditRedactActor<'a> { actor_user_id: Option<&'a str>, pseudonym: &'a str, limit: i64 }
}

/// An organisation's trail for one meeting, for its admins, optionally also
/// by actor and action. `INDEXED BY`: without statistics the planner would
/// pick the org index and walk the whole org's range; the meeting's own
/// range is the selective one.
///
/// Params: ?1 org_id, ?2 meeting_id, ?3 actor_user_id (NULL = any), ?4 action (NULL = any),
/// ?5 from_ms, ?6 before created_at, ?7 before id, ?8 limit.
pub const AUDIT_ORG_LIST_BY_MEETING: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs INDEXED BY audit_logs_resource_time \
     WHERE resource_type = 'meeting' AND resource_id = ?2 AND org_id = ?1 \
       AND (?3 IS NULL OR actor_user_id = ?3) AND (?4 IS NULL OR action = ?4) \
       AND created_at >= ?5 AND (created_at, id) < (?6, ?7) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?8"
);
params! {
    /// Parameters of [`AUDIT_ORG_LIST_BY_MEETING`], `?1..?8` in order.
    AUDIT_ORG_LIST_BY_MEETING => AuditOrgListByMeeting<'a> { org_id: Option<&'a str>, meeting_id: &'a str, actor_user_id: Option<&'a str>, action: Option<&'a str>, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// An organisation's trail for one actor, for its admins, optionally also by
/// action. `INDEXED BY` the actor index, for the same reason.
///
/// Params: ?1 org_id, ?2 actor_user_id, ?3 action (NULL = any), ?4 from_ms,
/// ?5 before created_at, ?6 before id, ?7 limit.
pub const AUDIT_ORG_LIST_BY_ACTOR: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs INDEXED BY audit_logs_actor_time \
     WHERE actor_user_id = ?2 AND org_id = ?1 AND (?3 IS NULL OR action = ?3) \
       AND created_at >= ?4 AND (created_at, id) < (?5, ?6) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?7"
);
params! {
    /// Parameters of [`AUDIT_ORG_LIST_BY_ACTOR`], `?1..?7` in order.
    AUDIT_ORG_LIST_BY_ACTOR => AuditOrgListByActor<'a> { org_id: Option<&'a str>, actor_user_id: Option<&'a str>, action: Option<&'a str>, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// An organisation's whole trail for its admins (the org index), optionally by action.
///
/// Params: ?1 org_id, ?2 action (NULL = any), ?3 from_ms, ?4 before created_at,
/// ?5 before id, ?6 limit.
pub const AUDIT_ORG_LIST: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs \
     WHERE org_id = ?1 AND (?2 IS NULL OR action = ?2) \
       AND created_at >= ?3 AND (created_at, id) < (?4, ?5) \
     ORDER BY created_at DESC, id DESC \
     LIMIT ?6"
);
params! {
    /// Parameters of [`AUDIT_ORG_LIST`], `?1..?6` in order.
    AUDIT_ORG_LIST => AuditOrgList<'a> { org_id: Option<&'a str>, action: Option<&'a str>, from_ms: i64, before_created_at: i64, before_id: &'a str, limit: i64 }
}
