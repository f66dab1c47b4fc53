//! Retention: bounded deletes of rows older than a cutoff, run by cron.
//!
//! Defaults (docs/data-model.md, "Retention"; the cutoffs are config): messages 90
//! days, transcript chunks 30–90 days, note ops 90 days, transcript segments,
//! notes, prompts, insights and audit logs 1 year. Each statement deletes at
//! most `limit` rows, oldest first, through the table's time index; repeat
//! while `changes() == limit` (keeps every call far below D1's 30 s limit and
//! never holds the single writer for long). Cascades and triggers clean up
//! dependants (FTS rows, embeddings, prompt feedback).
//!
//! Params of every statement: ?1 cutoff ms (rows strictly older are deleted), ?2 limit.

use crate::params;

/// Chat messages by `created_at`.
pub const RETENTION_PURGE_MESSAGES: &str = "\
DELETE FROM messages WHERE rowid IN (
  SELECT rowid FROM messages WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_MESSAGES`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_MESSAGES => RetentionPurgeMessages { cutoff_ms: i64, limit: i64 }
}

/// Raw transcript chunks by `created_at`.
pub const RETENTION_PURGE_TRANSCRIPTS: &str = "\
DELETE FROM transcripts WHERE rowid IN (
  SELECT rowid FROM transcripts WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_TRANSCRIPTS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_TRANSCRIPTS => RetentionPurgeTranscripts { cutoff_ms: i64, limit: i64 }
}

/// Transcript segments by `created_at` (FTS rows and embeddings follow via triggers).
pub const RETENTION_PURGE_TRANSCRIPT_SEGMENTS: &str = "\
DELETE FROM transcript_segments WHERE rowid IN (
  SELECT rowid FROM transcript_segments WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_TRANSCRIPT_SEGMENTS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_TRANSCRIPT_SEGMENTS => RetentionPurgeTranscriptSegments { cutoff_ms: i64, limit: i64 }
}

/// Archived notes ops by `created_at`.
pub const RETENTION_PURGE_NOTE_OPS: &str = "\
DELETE FROM note_ops WHERE rowid IN (
  SELECT rowid FROM note_ops WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_NOTE_OPS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_NOTE_OPS => RetentionPurgeNoteOps { cutoff_ms: i64, limit: i64 }
}

/// Notes documents not edited since the cutoff (`updated_at`).
pub const RETENTION_PURGE_MEETING_NOTES: &str = "\
DELETE FROM meeting_notes WHERE rowid IN (
  SELECT rowid FROM meeting_notes WHERE updated_at < ?1 ORDER BY updated_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_MEETING_NOTES`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_MEETING_NOTES => RetentionPurgeMeetingNotes { cutoff_ms: i64, limit: i64 }
}

/// Prompts by `created_at` (their feedback rows cascade).
pub const RETENTION_PURGE_PROMPTS: &str = "\
DELETE FROM prompts WHERE rowid IN (
  SELECT rowid FROM prompts WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_PROMPTS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_PROMPTS => RetentionPurgePrompts { cutoff_ms: i64, limit: i64 }
}

/// Insights by `created_at`.
pub const RETENTION_PURGE_INSIGHTS: &str = "\
DELETE FROM insights WHERE rowid IN (
  SELECT rowid FROM insights WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_INSIGHTS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_INSIGHTS => RetentionPurgeInsights { cutoff_ms: i64, limit: i64 }
}

/// Audit logs by `created_at`.
pub const RETENTION_PURGE_AUDIT_LOGS: &str = "\
DELETE FROM audit_logs WHERE rowid IN (
  SELECT rowid FROM audit_logs WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_AUDIT_LOGS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_AUDIT_LOGS => RetentionPurgeAuditLogs { cutoff_ms: i64, limit: i64 }
}

/// Notifications by `created_at`.
pub const RETENTION_PURGE_NOTIFICATIONS: &str = "\
DELETE FROM notifications WHERE rowid IN (
  SELECT rowid FROM notifications WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_NOTIFICATIONS`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_NOTIFICATIONS => RetentionPurgeNotifications { cutoff_ms: i64, limit: i64 }
}

/// Finished queue entries (expired, cancelled, matched) whose window ended
/// before the cutoff.
pub const RETENTION_PURGE_MATCHING_QUEUE: &str = "\
DELETE FROM matching_queue WHERE rowid IN (
  SELECT rowid FROM matching_queue
  WHERE status IN ('expired', 'cancelled', 'matched') AND available_to < ?1
  LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_PURGE_MATCHING_QUEUE`]: rows strictly older than `cutoff_ms` go, at most `limit`.
    RETENTION_PURGE_MATCHING_QUEUE => RetentionPurgeMatchingQueue { cutoff_ms: i64, limit: i64 }
}
