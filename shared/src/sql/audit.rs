//! `audit_logs`: the append-only trail and the admin queries over it.
//!
//! Every list is newest first with a keyset cursor on (created_at, id) and a
//! LIMIT. The cursor doubles as the exclusive upper time bound:
//! first page: `before_at = to_ms` (exclusive), `before_id = ''`; next pages:
//! the last row's (created_at, id). `from_ms` is the inclusive lower bound
//! (0 for "since the beginning"). All parameters are required (never NULL),
//! so every list is an index range scan.

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

/// Params: ?1 id.
pub const AUDIT_GET: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_logs WHERE id = ?1"
);

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

/// Pseudonymise an erased user in the trail: replace the actor id and drop
/// IP and user agent. Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 actor_user_id, ?2 pseudonym, ?3 limit.
pub const AUDIT_REDACT_ACTOR: &str = "\
UPDATE audit_logs SET actor_user_id = ?2, ip = NULL, user_agent = NULL
WHERE rowid IN (SELECT rowid FROM audit_logs WHERE actor_user_id = ?1 LIMIT ?3)";

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
