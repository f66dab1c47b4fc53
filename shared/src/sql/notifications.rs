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
    NOTIFICATION_INSERT => NotificationInsert<'a> { id: &'a str, user_id: &'a str, kind: &'a str, category: &'a str, priority: &'a str, meeting_id: Option<&'a str>, title: &'a str, body: Option<&'a str>, data: &'a str, dedupe_key: &'a str, expires_at: Option<i64>, now_ms: i64 }
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

/// The inbox route's page (`GET /v1/notifications`): as
/// [`NOTIFICATION_LIST_FOR_USER`] without expired ones, and only unread
/// ones when `?5` is true.
///
/// Params: ?1 user_id, ?2 before created_at, ?3 before id, ?4 limit,
/// ?5 unread only, ?6 now_ms.
pub const NOTIFICATION_INBOX: &str = "\
SELECT id, kind, category, priority, meeting_id, title, body, data, read_at, expires_at, created_at, updated_at
FROM notifications
WHERE user_id = ?1 AND (created_at, id) < (?2, ?3)
  AND (?5 = 0 OR read_at IS NULL)
  AND (expires_at IS NULL OR expires_at > ?6)
ORDER BY created_at DESC, id DESC
LIMIT ?4";
params! {
    /// Parameters of [`NOTIFICATION_INBOX`], `?1..?6` in order.
    NOTIFICATION_INBOX => NotificationInbox<'a> { user_id: &'a str, before_created_at: i64, before_id: &'a str, limit: i64, unread_only: bool, now_ms: i64 }
}

/// How many notifications the user got since `?2` (the hourly cap, N3).
///
/// Params: ?1 user_id, ?2 since created_at.
pub const NOTIFICATION_COUNT_SINCE: &str = "\
SELECT count(*) AS n FROM notifications WHERE user_id = ?1 AND created_at >= ?2";
params! {
    /// Parameters of [`NOTIFICATION_COUNT_SINCE`], `?1..?2` in order.
    NOTIFICATION_COUNT_SINCE => NotificationCountSince<'a> { user_id: &'a str, since: i64 }
}

/// The newest unread notification with this group key created since `?3`
/// (grouping, N2). The key is kept in `data.group_key`.
///
/// Params: ?1 user_id, ?2 group key, ?3 since created_at.
pub const NOTIFICATION_SIMILAR: &str = "\
SELECT id, created_at, CAST(coalesce(json_extract(data, '$.count'), 1) AS INTEGER) AS count
FROM notifications
WHERE user_id = ?1 AND read_at IS NULL AND created_at >= ?3
  AND json_extract(data, '$.group_key') = ?2
ORDER BY created_at DESC
LIMIT 1";
params! {
    /// Parameters of [`NOTIFICATION_SIMILAR`], `?1..?3` in order.
    NOTIFICATION_SIMILAR => NotificationSimilar<'a> { user_id: &'a str, group_key: &'a str, since: i64 }
}

/// Folds one more event into a grouped notification (N2): its count and
/// title. (D1 binds numbers as JS numbers, REAL in SQLite: the cast keeps
/// the JSON count an integer.)
///
/// Params: ?1 id, ?2 user_id, ?3 count, ?4 title, ?5 now_ms.
pub const NOTIFICATION_GROUP_BUMP: &str = "\
UPDATE notifications SET data = json_set(data, '$.count', CAST(?3 AS INTEGER)), title = ?4, updated_at = ?5
WHERE id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`NOTIFICATION_GROUP_BUMP`], `?1..?5` in order.
    NOTIFICATION_GROUP_BUMP => NotificationGroupBump<'a> { id: &'a str, user_id: &'a str, count: i64, title: &'a str, now_ms: i64 }
}

/// One notification (the email job reads what to send).
///
/// Params: ?1 id.
pub const NOTIFICATION_GET: &str = "\
SELECT id, user_id, kind, category, priority, meeting_id, title, body, data, read_at, expires_at,
       created_at, updated_at
FROM notifications WHERE id = ?1";
params! {
    /// Parameters of [`NOTIFICATION_GET`], `?1..?1` in order.
    NOTIFICATION_GET => NotificationGet<'a> { id: &'a str }
}

/// Recomputes the user's unread counter (N10). Every batch that creates,
/// marks or deletes a user's notifications ends with this statement, so the
/// counter is computed inside the same transaction as the change and cannot
/// drift under concurrent requests.
///
/// Params: ?1 user_id, ?2 now_ms.
pub const NOTIFICATION_COUNTER_SYNC: &str = "\
INSERT INTO notification_counters (user_id, unread, updated_at)
VALUES (?1, (SELECT count(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL), ?2)
ON CONFLICT (user_id) DO UPDATE SET unread = excluded.unread, updated_at = excluded.updated_at";
params! {
    /// Parameters of [`NOTIFICATION_COUNTER_SYNC`], `?1..?2` in order.
    NOTIFICATION_COUNTER_SYNC => NotificationCounterSync<'a> { user_id: &'a str, now_ms: i64 }
}

/// Params: ?1 user_id.
pub const NOTIFICATION_COUNTER_GET: &str = "\
SELECT unread FROM notification_counters WHERE user_id = ?1";
params! {
    /// Parameters of [`NOTIFICATION_COUNTER_GET`], `?1..?1` in order.
    NOTIFICATION_COUNTER_GET => NotificationCounterGet<'a> { user_id: &'a str }
}

/// The user's saved preferences (absent: defaults).
///
/// Params: ?1 user_id.
pub const NOTIFICATION_PREFS_GET: &str = "\
SELECT prefs FROM notification_preferences WHERE user_id = ?1";
params! {
    /// Parameters of [`NOTIFICATION_PREFS_GET`], `?1..?1` in order.
    NOTIFICATION_PREFS_GET => NotificationPrefsGet<'a> { user_id: &'a str }
}

/// Params: ?1 user_id, ?2 prefs (JSON object), ?3 now_ms.
pub const NOTIFICATION_PREFS_PUT: &str = "\
INSERT INTO notification_preferences (user_id, prefs, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at";
params! {
    /// Parameters of [`NOTIFICATION_PREFS_PUT`], `?1..?3` in order.
    NOTIFICATION_PREFS_PUT => NotificationPrefsPut<'a> { user_id: &'a str, prefs: &'a str, now_ms: i64 }
}

/// The one email of a notification (N5): a second insert changes nothing,
/// and none is written when the notification itself was a duplicate.
///
/// Params: ?1 notification_id, ?2 user_id, ?3 to_address, ?4 subject, ?5 body,
/// ?6 send_after, ?7 now_ms.
pub const EMAIL_OUTBOX_INSERT: &str = "\
INSERT INTO email_outbox (notification_id, user_id, to_address, subject, body, send_after, created_at, updated_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7
WHERE EXISTS (SELECT 1 FROM notifications WHERE id = ?1)
ON CONFLICT (notification_id) DO NOTHING";
params! {
    /// Parameters of [`EMAIL_OUTBOX_INSERT`], `?1..?7` in order.
    EMAIL_OUTBOX_INSERT => EmailOutboxInsert<'a> { notification_id: &'a str, user_id: &'a str, to_address: &'a str, subject: &'a str, body: &'a str, send_after: i64, now_ms: i64 }
}

/// Params: ?1 notification_id.
pub const EMAIL_OUTBOX_GET: &str = "\
SELECT notification_id, user_id, to_address, subject, body, send_after, status, attempts,
       provider, provider_id, last_error, sent_at, created_at
FROM email_outbox WHERE notification_id = ?1";
params! {
    /// Parameters of [`EMAIL_OUTBOX_GET`], `?1..?1` in order.
    EMAIL_OUTBOX_GET => EmailOutboxGet<'a> { notification_id: &'a str }
}

/// Records a delivery attempt that failed (`?2` the error).
///
/// Params: ?1 notification_id, ?2 error, ?3 now_ms.
pub const EMAIL_OUTBOX_FAILED: &str = "\
UPDATE email_outbox SET attempts = attempts + 1, last_error = ?2, updated_at = ?3
WHERE notification_id = ?1 AND status = 'pending'";
params! {
    /// Parameters of [`EMAIL_OUTBOX_FAILED`], `?1..?3` in order.
    EMAIL_OUTBOX_FAILED => EmailOutboxFailed<'a> { notification_id: &'a str, error: &'a str, now_ms: i64 }
}

/// pending → sent, once: `changes() == 0` means it was already sent.
///
/// Params: ?1 notification_id, ?2 provider, ?3 provider_id, ?4 now_ms.
pub const EMAIL_OUTBOX_SENT: &str = "\
UPDATE email_outbox SET status = 'sent', attempts = attempts + 1, provider = ?2, provider_id = ?3,
       sent_at = ?4, updated_at = ?4
WHERE notification_id = ?1 AND status = 'pending'";
params! {
    /// Parameters of [`EMAIL_OUTBOX_SENT`], `?1..?4` in order.
    EMAIL_OUTBOX_SENT => EmailOutboxSent<'a> { notification_id: &'a str, provider: &'a str, provider_id: &'a str, now_ms: i64 }
}

/// pending → dead after the last attempt (the dead letter, N5).
///
/// Params: ?1 notification_id, ?2 error, ?3 now_ms.
pub const EMAIL_OUTBOX_DEAD: &str = "\
UPDATE email_outbox SET status = 'dead', last_error = ?2, updated_at = ?3
WHERE notification_id = ?1 AND status = 'pending'";
params! {
    /// Parameters of [`EMAIL_OUTBOX_DEAD`], `?1..?3` in order.
    EMAIL_OUTBOX_DEAD => EmailOutboxDead<'a> { notification_id: &'a str, error: &'a str, now_ms: i64 }
}

/// The local outbox (`GET /v1/dev/outbox`): mail the local provider
/// "sent", newest first.
///
/// Params: ?1 limit.
pub const EMAIL_OUTBOX_LIST_SENT: &str = "\
SELECT notification_id, user_id, to_address, subject, body, send_after, status, attempts,
       provider, provider_id, last_error, sent_at, created_at
FROM email_outbox WHERE status = 'sent' ORDER BY sent_at DESC LIMIT ?1";
params! {
    /// Parameters of [`EMAIL_OUTBOX_LIST_SENT`], `?1..?1` in order.
    EMAIL_OUTBOX_LIST_SENT => EmailOutboxListSent { limit: i64 }
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

/// Scheduled meetings starting in `[?1, ?2)`: the "meeting starting" sweep
/// (N15). Its notifications carry a dedupe key, so a meeting seen by
/// several cron runs is notified once.
///
/// Params: ?1 from scheduled_at, ?2 to scheduled_at, ?3 limit.
pub const NOTIFICATION_MEETINGS_STARTING: &str = "\
SELECT id, title, scheduled_at FROM meetings
WHERE state = 'scheduled' AND scheduled_at >= ?1 AND scheduled_at < ?2
ORDER BY scheduled_at, id
LIMIT ?3";
params! {
    /// Parameters of [`NOTIFICATION_MEETINGS_STARTING`], `?1..?3` in order.
    NOTIFICATION_MEETINGS_STARTING => NotificationMeetingsStarting { from_ms: i64, to_ms: i64, limit: i64 }
}

/// A system announcement (N16): the text every batch job sends.
///
/// Params: ?1 id, ?2 org_id, ?3 created_by, ?4 title, ?5 body, ?6 priority,
/// ?7 batches_total, ?8 now_ms.
pub const ANNOUNCEMENT_INSERT: &str = "\
INSERT INTO announcements (id, org_id, created_by, title, body, priority, batches_total, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
params! {
    /// Parameters of [`ANNOUNCEMENT_INSERT`], `?1..?8` in order.
    ANNOUNCEMENT_INSERT => AnnouncementInsert<'a> { id: &'a str, org_id: &'a str, created_by: &'a str, title: &'a str, body: Option<&'a str>, priority: &'a str, batches_total: i64, now_ms: i64 }
}

/// One batch of an announcement: the members with `after_id < id <= last_id` (N16).
///
/// Params: ?1 announcement_id, ?2 batch_no, ?3 after_id, ?4 last_id.
pub const ANNOUNCEMENT_BATCH_INSERT: &str = "\
INSERT INTO announcement_batches (announcement_id, batch_no, after_id, last_id)
VALUES (?1, ?2, ?3, ?4)";
params! {
    /// Parameters of [`ANNOUNCEMENT_BATCH_INSERT`], `?1..?4` in order.
    ANNOUNCEMENT_BATCH_INSERT => AnnouncementBatchInsert<'a> { announcement_id: &'a str, batch_no: i64, after_id: &'a str, last_id: &'a str }
}

/// The last member id of every batch of `?2` active members of the
/// organisation, in id order (and the last member's): the batches' bounds
/// (N16). Reads the organisation's slice of `users_org_active` once.
///
/// Params: ?1 org_id, ?2 batch size.
pub const ANNOUNCEMENT_BOUNDS: &str = "\
SELECT id FROM (
  SELECT id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
  FROM users WHERE org_id = ?1 AND is_active = 1
)
WHERE rn % ?2 = 0 OR rn = total
ORDER BY id";
params! {
    /// Parameters of [`ANNOUNCEMENT_BOUNDS`], `?1..?2` in order.
    ANNOUNCEMENT_BOUNDS => AnnouncementBounds<'a> { org_id: &'a str, batch_size: i64 }
}

/// One batch with its announcement, for the batch job (N16).
///
/// Params: ?1 announcement_id, ?2 batch_no.
pub const ANNOUNCEMENT_BATCH_GET: &str = "\
SELECT a.id, a.org_id, a.title, a.body, a.priority, b.batch_no, b.after_id, b.last_id, b.status
FROM announcement_batches b
JOIN announcements a ON a.id = b.announcement_id
WHERE b.announcement_id = ?1 AND b.batch_no = ?2";
params! {
    /// Parameters of [`ANNOUNCEMENT_BATCH_GET`], `?1..?2` in order.
    ANNOUNCEMENT_BATCH_GET => AnnouncementBatchGet<'a> { announcement_id: &'a str, batch_no: i64 }
}

/// The active members of one batch's range, bounded (N16).
///
/// Params: ?1 org_id, ?2 after_id (exclusive), ?3 last_id (inclusive), ?4 limit.
pub const ANNOUNCEMENT_BATCH_MEMBERS: &str = "\
SELECT id FROM users
WHERE org_id = ?1 AND is_active = 1 AND id > ?2 AND id <= ?3
ORDER BY id
LIMIT ?4";
params! {
    /// Parameters of [`ANNOUNCEMENT_BATCH_MEMBERS`], `?1..?4` in order.
    ANNOUNCEMENT_BATCH_MEMBERS => AnnouncementBatchMembers<'a> { org_id: &'a str, after_id: &'a str, last_id: &'a str, limit: i64 }
}

/// Marks a batch done, once (a redelivered job changes nothing) (N16).
///
/// Params: ?1 announcement_id, ?2 batch_no, ?3 recipients, ?4 now_ms.
pub const ANNOUNCEMENT_BATCH_DONE: &str = "\
UPDATE announcement_batches SET status = 'done', recipients = ?3, finished_at = ?4
WHERE announcement_id = ?1 AND batch_no = ?2 AND status = 'pending'";
params! {
    /// Parameters of [`ANNOUNCEMENT_BATCH_DONE`], `?1..?4` in order.
    ANNOUNCEMENT_BATCH_DONE => AnnouncementBatchDone<'a> { announcement_id: &'a str, batch_no: i64, recipients: i64, now_ms: i64 }
}

/// An announcement's progress, to an admin of its organisation (N16).
///
/// Params: ?1 id, ?2 org_id.
pub const ANNOUNCEMENT_PROGRESS: &str = "\
SELECT a.id, a.title, a.priority, a.batches_total, a.created_at,
       (SELECT count(*) FROM announcement_batches b WHERE b.announcement_id = a.id AND b.status = 'done') AS batches_done,
       (SELECT coalesce(sum(b.recipients), 0) FROM announcement_batches b WHERE b.announcement_id = a.id) AS recipients
FROM announcements a
WHERE a.id = ?1 AND a.org_id = ?2";
params! {
    /// Parameters of [`ANNOUNCEMENT_PROGRESS`], `?1..?2` in order.
    ANNOUNCEMENT_PROGRESS => AnnouncementProgress<'a> { id: &'a str, org_id: &'a str }
}
