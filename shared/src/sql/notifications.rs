//! `notifications`: the per-user in-app inbox.

use crate::params;

/// Params: ?1 id, ?2 user_id, ?3 kind, ?4 category, ?5 priority, ?6 meeting_id, ?7 title,
/// ?8 body, ?9 data (JSON object), ?10 dedupe_key, ?11 expires_at, ?12 now_ms.
/// A retried delivery job collides on (user_id, dedupe_key) and changes nothing.
pub const NOTIFICATION_INSERT: &str = "\
INSERT INTO notifications (id, user_id, kind, category, priority, meeting_id, title, body, data, dedupe_key,
                           expires_at, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
ON CONFLICT (user_id, dedupe_key) DO NOTHING";
params! {
    /// Parameters of [`NOTIFICATION_INSERT`], `?1..?12` in order.
    NOTIFICATION_INSERT => NotificationInsert<'a> { id: &'a str, user_id: &'a str, kind: &'a str, category: &'a str, priority: &'a str, meeting_id: &'a str, title: &'a str, body: &'a str, data: Option<&'a str>, dedupe_key: Option<&'a str>, expires_at: Option<i64>, now_ms: i64 }
}

/// A user's inbox, newest first. Keyset on (created_at, id); first page:
/// ?2 = i64::MAX, ?3 = ''.
///
/// Params: ?1 user_id, ?2 before created_at, ?3 before id, ?4 limit.
pub const NOTIFICATION_LIST_FOR_USER: &str = "\
SELECT id, kind, category, priority, meeting_id, title, body, data, read_at, created_at
FROM notifications
WHERE user_id = ?1 AND (created_at, id) < (?2, ?3)
ORDER BY created_at DESC, id DESC
LIMIT ?4";
params! {
    /// Parameters of [`NOTIFICATION_LIST_FOR_USER`], `?1..?4` in order.
    NOTIFICATION_LIST_FOR_USER => NotificationListForUser<'a> { user_id: &'a str, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// Params: ?1 user_id.
pub const NOTIFICATION_UNREAD_COUNT: &str = "\
SELECT count(*) AS n FROM notifications WHERE user_id = ?1 AND read_at IS NULL";
params! {
    /// Parameters of [`NOTIFICATION_UNREAD_COUNT`], `?1..?1` in order.
    NOTIFICATION_UNREAD_COUNT => NotificationUnreadCount<'a> { user_id: &'a str }
}

/// Params: ?1 id, ?2 user_id (owner), ?3 now_ms.
pub const NOTIFICATION_MARK_READ: &str = "\
UPDATE notifications SET read_at = ?3, updated_at = ?3
WHERE id = ?1 AND user_id = ?2 AND read_at IS NULL";
params! {
    /// Parameters of [`NOTIFICATION_MARK_READ`], `?1..?3` in order.
    NOTIFICATION_MARK_READ => NotificationMarkRead<'a> { id: &'a str, user_id: &'a str, now_ms: i64 }
}

/// Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 user_id, ?2 now_ms, ?3 limit.
pub const NOTIFICATION_MARK_ALL_READ: &str = "\
UPDATE notifications SET read_at = ?2, updated_at = ?2
WHERE rowid IN (SELECT rowid FROM notifications WHERE user_id = ?1 AND read_at IS NULL LIMIT ?3)";
params! {
    /// Parameters of [`NOTIFICATION_MARK_ALL_READ`], `?1..?3` in order.
    NOTIFICATION_MARK_ALL_READ => NotificationMarkAllRead<'a> { user_id: &'a str, now_ms: i64, limit: i64 }
}

/// Params: ?1 id, ?2 user_id (owner).
pub const NOTIFICATION_DELETE: &str = "DELETE FROM notifications WHERE id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`NOTIFICATION_DELETE`], `?1..?2` in order.
    NOTIFICATION_DELETE => NotificationDelete<'a> { id: &'a str, user_id: &'a str }
}
