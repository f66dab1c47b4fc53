//! `messages`: meeting chat, sequenced per meeting by the room and flushed in
//! batches.

use crate::params;

/// Archive one message. A retried flush collides on (meeting_id, seq) and
/// changes nothing.
///
/// Params: ?1 meeting_id, ?2 seq, ?3 id (client message id), ?4 user_id, ?5 content,
/// ?6 attachments (JSON array or NULL), ?7 created_at ms.
pub const MESSAGE_INSERT: &str = "\
INSERT INTO messages (meeting_id, seq, id, user_id, content, attachments, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (meeting_id, seq) DO NOTHING";
params! {
    /// Parameters of [`MESSAGE_INSERT`], `?1..?7` in order.
    MESSAGE_INSERT => MessageInsert<'a> { meeting_id: &'a str, seq: i64, id: &'a str, user_id: &'a str, content: &'a str, attachments: Option<&'a str>, created_at_ms: i64 }
}

/// Messages after a sequence number, oldest first (reconnect catch-up).
///
/// Params: ?1 meeting_id, ?2 after seq, ?3 limit.
pub const MESSAGE_LIST_AFTER_SEQ: &str = "\
SELECT seq, id, user_id, content, attachments, created_at
FROM messages
WHERE meeting_id = ?1 AND seq > ?2
ORDER BY seq
LIMIT ?3";
params! {
    /// Parameters of [`MESSAGE_LIST_AFTER_SEQ`], `?1..?3` in order.
    MESSAGE_LIST_AFTER_SEQ => MessageListAfterSeq<'a> { meeting_id: &'a str, after_seq: i64, limit: i64 }
}

/// Messages before a sequence number, newest first (scroll-back). First page:
/// ?2 = i64::MAX.
///
/// Params: ?1 meeting_id, ?2 before seq, ?3 limit.
pub const MESSAGE_LIST_BEFORE_SEQ: &str = "\
SELECT seq, id, user_id, content, attachments, created_at
FROM messages
WHERE meeting_id = ?1 AND seq < ?2
ORDER BY seq DESC
LIMIT ?3";
params! {
    /// Parameters of [`MESSAGE_LIST_BEFORE_SEQ`], `?1..?3` in order.
    MESSAGE_LIST_BEFORE_SEQ => MessageListBeforeSeq<'a> { meeting_id: &'a str, before_seq: i64, limit: i64 }
}

/// The newest archived seq (-1 when none).
///
/// Params: ?1 meeting_id.
pub const MESSAGE_MAX_SEQ: &str = "\
SELECT coalesce(max(seq), -1) AS seq FROM messages WHERE meeting_id = ?1";
params! {
    /// Parameters of [`MESSAGE_MAX_SEQ`], `?1..?1` in order.
    MESSAGE_MAX_SEQ => MessageMaxSeq<'a> { meeting_id: &'a str }
}

/// Per-org retention: drop one meeting's messages older than a cutoff.
/// Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 meeting_id, ?2 created before ms, ?3 limit.
pub const MESSAGE_PURGE_FOR_MEETING: &str = "\
DELETE FROM messages WHERE rowid IN (
  SELECT rowid FROM messages WHERE meeting_id = ?1 AND created_at < ?2 ORDER BY seq LIMIT ?3
)";
params! {
    /// Parameters of [`MESSAGE_PURGE_FOR_MEETING`], `?1..?3` in order.
    MESSAGE_PURGE_FOR_MEETING => MessagePurgeForMeeting<'a> { meeting_id: &'a str, created_before_ms: i64, limit: i64 }
}
