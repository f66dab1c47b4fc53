//! `connections`: user-to-user requests and relationships, one row per
//! unordered pair.

use crate::params;

/// Send a request. A pair that already has a row (either direction) is left
/// alone: `changes() == 0` means "already connected/requested/blocked"; read it
/// with [`CONNECTION_GET_BETWEEN`].
///
/// Params: ?1 id, ?2 requester_id, ?3 addressee_id, ?4 message, ?5 now_ms.
pub const CONNECTION_INSERT: &str = "\
INSERT INTO connections (id, requester_id, addressee_id, status, message, created_at, updated_at)
VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?5)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`CONNECTION_INSERT`], `?1..?5` in order.
    CONNECTION_INSERT => ConnectionInsert<'a> { id: &'a str, requester_id: &'a str, addressee_id: &'a str, message: Option<&'a str>, now_ms: i64 }
}

/// Params: ?1 id.
pub const CONNECTION_GET: &str = "\
SELECT id, requester_id, addressee_id, status, message, blocked_by, responded_at, created_at, updated_at
FROM connections WHERE id = ?1";
params! {
    /// Parameters of [`CONNECTION_GET`], `?1..?1` in order.
    CONNECTION_GET => ConnectionGet<'a> { id: &'a str }
}

/// The row for a pair, whichever of the two asked.
///
/// Params: ?1 user a, ?2 user b.
pub const CONNECTION_GET_BETWEEN: &str = "\
SELECT id, requester_id, addressee_id, status, message, blocked_by, responded_at, created_at, updated_at
FROM connections
WHERE min(requester_id, addressee_id) = min(?1, ?2)
  AND max(requester_id, addressee_id) = max(?1, ?2)";
params! {
    /// Parameters of [`CONNECTION_GET_BETWEEN`], `?1..?2` in order.
    CONNECTION_GET_BETWEEN => ConnectionGetBetween<'a> { user_a: &'a str, user_b: &'a str }
}

/// Move a connection from an expected status (accept, decline, block, unblock).
/// `changes() == 0`: not found, or the status moved meanwhile.
///
/// Params: ?1 id, ?2 expected status, ?3 new status, ?4 blocked_by (NULL unless
/// blocking), ?5 now_ms.
pub const CONNECTION_SET_STATUS: &str = "\
UPDATE connections
SET status = ?3, blocked_by = ?4, responded_at = ?5, updated_at = ?5
WHERE id = ?1 AND status = ?2";
params! {
    /// Parameters of [`CONNECTION_SET_STATUS`], `?1..?5` in order.
    CONNECTION_SET_STATUS => ConnectionSetStatus<'a> { id: &'a str, expected_status: &'a str, new_status: &'a str, blocked_by: Option<&'a str>, now_ms: i64 }
}

/// Requests a user received, newest first. Keyset on (updated_at, id);
/// first page: ?3 = i64::MAX, ?4 = ''.
///
/// Params: ?1 addressee_id, ?2 status, ?3 before updated_at, ?4 before id, ?5 limit.
pub const CONNECTION_LIST_INCOMING: &str = "\
SELECT id, requester_id, addressee_id, status, message, created_at, updated_at
FROM connections
WHERE addressee_id = ?1 AND status = ?2 AND (updated_at, id) < (?3, ?4)
ORDER BY updated_at DESC, id DESC
LIMIT ?5";
params! {
    /// Parameters of [`CONNECTION_LIST_INCOMING`], `?1..?5` in order.
    CONNECTION_LIST_INCOMING => ConnectionListIncoming<'a> { addressee_id: &'a str, status: &'a str, before_updated_at: i64, before_id: &'a str, limit: i64 }
}

/// Requests a user sent, newest first. Same cursor as [`CONNECTION_LIST_INCOMING`].
///
/// Params: ?1 requester_id, ?2 status, ?3 before updated_at, ?4 before id, ?5 limit.
pub const CONNECTION_LIST_OUTGOING: &str = "\
SELECT id, requester_id, addressee_id, status, message, created_at, updated_at
FROM connections
WHERE requester_id = ?1 AND status = ?2 AND (updated_at, id) < (?3, ?4)
ORDER BY updated_at DESC, id DESC
LIMIT ?5";
params! {
    /// Parameters of [`CONNECTION_LIST_OUTGOING`], `?1..?5` in order.
    CONNECTION_LIST_OUTGOING => ConnectionListOutgoing<'a> { requester_id: &'a str, status: &'a str, before_updated_at: i64, before_id: &'a str, limit: i64 }
}

/// A user's accepted connections in both directions, newest first, with the
/// other person's id as `peer_id`. Same cursor as [`CONNECTION_LIST_INCOMING`].
///
/// Params: ?1 user_id, ?2 before updated_at, ?3 before id, ?4 limit.
pub const CONNECTION_LIST_ACCEPTED: &str = "\
SELECT id, peer_id, updated_at FROM (
  SELECT id, addressee_id AS peer_id, updated_at FROM connections
  WHERE requester_id = ?1 AND status = 'accepted' AND (updated_at, id) < (?2, ?3)
  UNION ALL
  SELECT id, requester_id AS peer_id, updated_at FROM connections
  WHERE addressee_id = ?1 AND status = 'accepted' AND (updated_at, id) < (?2, ?3)
)
ORDER BY updated_at DESC, id DESC
LIMIT ?4";
params! {
    /// Parameters of [`CONNECTION_LIST_ACCEPTED`], `?1..?4` in order.
    CONNECTION_LIST_ACCEPTED => ConnectionListAccepted<'a> { user_id: &'a str, before_updated_at: i64, before_id: &'a str, limit: i64 }
}

/// Params: ?1 id.
pub const CONNECTION_DELETE: &str = "DELETE FROM connections WHERE id = ?1";
params! {
    /// Parameters of [`CONNECTION_DELETE`], `?1..?1` in order.
    CONNECTION_DELETE => ConnectionDelete<'a> { id: &'a str }
}

/// A new row in any starting status (a request is `pending`, a block of a
/// stranger `blocked`). A pair that already has a row is left alone:
/// `changes() == 0` means someone else wrote the pair first.
///
/// Params: ?1 id, ?2 requester_id, ?3 addressee_id, ?4 status, ?5 message,
/// ?6 blocked_by, ?7 now_ms.
pub const CONNECTION_CREATE: &str = "\
INSERT INTO connections (id, requester_id, addressee_id, status, message, blocked_by, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`CONNECTION_CREATE`], `?1..?7` in order.
    CONNECTION_CREATE => ConnectionCreate<'a> { id: &'a str, requester_id: &'a str, addressee_id: &'a str, status: &'a str, message: Option<&'a str>, blocked_by: Option<&'a str>, now_ms: i64 }
}

/// Rewrite a row the plan read (roles may swap on a renewed request),
/// guarded by the status it read: `changes() == 0` = it moved meanwhile.
/// `?9 keep_message` = 1 keeps the stored note (accept, decline, block).
///
/// Params: ?1 id, ?2 expected status, ?3 requester_id, ?4 addressee_id, ?5 status,
/// ?6 blocked_by, ?7 responded_at, ?8 message, ?9 keep_message, ?10 now_ms.
pub const CONNECTION_REWRITE: &str = "\
UPDATE connections
SET requester_id = ?3, addressee_id = ?4, status = ?5, blocked_by = ?6, responded_at = ?7,
    message = CASE WHEN ?9 = 1 THEN message ELSE ?8 END, updated_at = ?10
WHERE id = ?1 AND status = ?2";
params! {
    /// Parameters of [`CONNECTION_REWRITE`], `?1..?10` in order.
    CONNECTION_REWRITE => ConnectionRewrite<'a> { id: &'a str, expected_status: &'a str, requester_id: &'a str, addressee_id: &'a str, status: &'a str, blocked_by: Option<&'a str>, responded_at: Option<i64>, message: Option<&'a str>, keep_message: bool, now_ms: i64 }
}

/// Delete a row the plan read (withdraw, remove, unblock), guarded by the
/// status it read.
///
/// Params: ?1 id, ?2 expected status.
pub const CONNECTION_DELETE_GUARDED: &str = "DELETE FROM connections WHERE id = ?1 AND status = ?2";
params! {
    /// Parameters of [`CONNECTION_DELETE_GUARDED`], `?1..?2` in order.
    CONNECTION_DELETE_GUARDED => ConnectionDeleteGuarded<'a> { id: &'a str, expected_status: &'a str }
}

/// Every row involving a user (either side), newest first, optionally one
/// status; a block set by the other side is not shown (it would reveal who
/// blocked whom). Keyset on (updated_at, id); first page: ?3 = i64::MAX, ?4 = ''.
///
/// Params: ?1 user_id, ?2 status (NULL = any), ?3 before updated_at, ?4 before id, ?5 limit.
pub const CONNECTION_LIST_FOR_USER: &str = "\
SELECT id, requester_id, addressee_id, status, message, blocked_by, responded_at, created_at, updated_at
FROM (
  SELECT * FROM connections WHERE requester_id = ?1
  UNION ALL
  SELECT * FROM connections WHERE addressee_id = ?1
)
WHERE (?2 IS NULL OR status = ?2) AND (status <> 'blocked' OR blocked_by = ?1)
  AND (updated_at, id) < (?3, ?4)
ORDER BY updated_at DESC, id DESC
LIMIT ?5";
params! {
    /// Parameters of [`CONNECTION_LIST_FOR_USER`], `?1..?5` in order.
    CONNECTION_LIST_FOR_USER => ConnectionListForUser<'a> { user_id: &'a str, status: Option<&'a str>, before_updated_at: i64, before_id: &'a str, limit: i64 }
}

/// Blocked pairs within a set of users (the matcher's block check, M8).
///
/// Params: ?1 user ids (JSON array).
pub const CONNECTION_BLOCKS_AMONG: &str = "\
SELECT requester_id, addressee_id
FROM connections
WHERE requester_id IN (SELECT value FROM json_each(?1))
  AND addressee_id IN (SELECT value FROM json_each(?1))
  AND status = 'blocked'";
params! {
    /// Parameters of [`CONNECTION_BLOCKS_AMONG`], `?1..?1` in order.
    CONNECTION_BLOCKS_AMONG => ConnectionBlocksAmong<'a> { user_ids: &'a str }
}
