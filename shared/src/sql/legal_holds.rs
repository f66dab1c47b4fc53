//! `legal_holds`, and the hold-aware retention deletes
//! (`docs/privacy.md`, rules P13–P18).
//!
//! Every `RETENTION_HELD_PURGE_*` deletes at most `?2` rows strictly older
//! than the cutoff `?1`, oldest first through the table's time index, and
//! skips any row under an active hold, checked in the same statement, so a
//! hold placed while a run is under way is honoured by the next batch:
//! - a meeting hold keeps every row of that meeting;
//! - a user hold keeps the user's own rows (author, speaker, owner, actor)
//!   and every row of the meetings they took part in.
//!
//! Held rows stay at the old end of the index and are stepped over by every
//! later run (a cost proportional to the held rows, not the table).

use crate::params;

/// `NOT EXISTS` clauses: the meeting in column `$col` is neither held nor
/// attended by a held user.
macro_rules! meeting_not_held {
    ($col:literal) => {
        concat!(
            "    AND NOT EXISTS (SELECT 1 FROM legal_holds h\n",
            "                    WHERE h.scope = 'meeting' AND h.subject_id = ",
            $col,
            " AND h.released_at IS NULL)\n",
            "    AND NOT EXISTS (SELECT 1 FROM meeting_participants mp\n",
            "                    JOIN legal_holds h ON h.scope = 'user' AND h.subject_id = mp.user_id AND h.released_at IS NULL\n",
            "                    WHERE mp.meeting_id = ",
            $col,
            ")\n"
        )
    };
}

/// `NOT EXISTS` clause: the user in column `$col` is not held.
macro_rules! user_not_held {
    ($col:literal) => {
        concat!(
            "    AND NOT EXISTS (SELECT 1 FROM legal_holds h\n",
            "                    WHERE h.scope = 'user' AND h.subject_id = ",
            $col,
            " AND h.released_at IS NULL)\n"
        )
    };
}

/// Place a hold. Params: ?1 id, ?2 scope ('meeting' | 'user'), ?3 subject_id,
/// ?4 reason, ?5 placed_by, ?6 now_ms.
pub const LEGAL_HOLD_PLACE: &str = "\
INSERT INTO legal_holds (id, scope, subject_id, reason, placed_by, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
ON CONFLICT (id) DO NOTHING";
params! {
    /// Parameters of [`LEGAL_HOLD_PLACE`], `?1..?6` in order.
    LEGAL_HOLD_PLACE => LegalHoldPlace<'a> { id: &'a str, scope: &'a str, subject_id: &'a str, reason: &'a str, placed_by: Option<&'a str>, now_ms: i64 }
}

/// Release a hold (the row stays). Params: ?1 id, ?2 now_ms.
pub const LEGAL_HOLD_RELEASE: &str = "\
UPDATE legal_holds SET released_at = ?2, updated_at = ?2 WHERE id = ?1 AND released_at IS NULL";
params! {
    /// Parameters of [`LEGAL_HOLD_RELEASE`], `?1..?2` in order.
    LEGAL_HOLD_RELEASE => LegalHoldRelease<'a> { id: &'a str, now_ms: i64 }
}

/// Active holds on one subject (erasure refuses a held user).
/// Params: ?1 scope, ?2 subject_id.
pub const LEGAL_HOLD_ACTIVE_FOR: &str = "\
SELECT id, scope, subject_id, reason, placed_by, created_at
FROM legal_holds
WHERE scope = ?1 AND subject_id = ?2 AND released_at IS NULL
LIMIT 10";
params! {
    /// Parameters of [`LEGAL_HOLD_ACTIVE_FOR`], `?1..?2` in order.
    LEGAL_HOLD_ACTIVE_FOR => LegalHoldActiveFor<'a> { scope: &'a str, subject_id: &'a str }
}

/// Every hold, newest first, keyset on (created_at, id); first page:
/// ?1 = i64::MAX, ?2 = ''. Params: ?1 before created_at, ?2 before id, ?3 limit.
pub const LEGAL_HOLD_LIST: &str = "\
SELECT id, scope, subject_id, reason, placed_by, released_at, created_at
FROM legal_holds
WHERE (created_at, id) < (?1, ?2)
ORDER BY created_at DESC, id DESC
LIMIT ?3";
params! {
    /// Parameters of [`LEGAL_HOLD_LIST`], `?1..?3` in order.
    LEGAL_HOLD_LIST => LegalHoldList<'a> { before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// Chat messages, except in meetings of the orgs listed in ?3 (a JSON array
/// of org ids with their own message retention, purged by
/// [`RETENTION_HELD_PURGE_MESSAGES_FOR_ORG`]). Params: ?1 cutoff, ?2 limit, ?3 JSON array.
pub const RETENTION_HELD_PURGE_MESSAGES: &str = concat!(
    "DELETE FROM messages WHERE rowid IN (\n",
    "  SELECT t.rowid FROM messages t\n",
    "  WHERE t.created_at < ?1\n",
    "    AND NOT EXISTS (SELECT 1 FROM meetings m\n",
    "                    WHERE m.id = t.meeting_id AND m.org_id IN (SELECT value FROM json_each(?3)))\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.user_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_MESSAGES`], `?1..?3` in order.
    RETENTION_HELD_PURGE_MESSAGES => RetentionHeldPurgeMessages<'a> { cutoff_ms: i64, limit: i64, excluded_orgs_json: &'a str }
}

/// Chat messages of one org's meetings (its own retention).
/// Params: ?1 cutoff, ?2 limit, ?3 org_id.
pub const RETENTION_HELD_PURGE_MESSAGES_FOR_ORG: &str = concat!(
    "DELETE FROM messages WHERE rowid IN (\n",
    "  SELECT t.rowid FROM messages t\n",
    "  WHERE t.created_at < ?1\n",
    "    AND EXISTS (SELECT 1 FROM meetings m WHERE m.id = t.meeting_id AND m.org_id = ?3)\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.user_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_MESSAGES_FOR_ORG`], `?1..?3` in order.
    RETENTION_HELD_PURGE_MESSAGES_FOR_ORG => RetentionHeldPurgeMessagesForOrg<'a> { cutoff_ms: i64, limit: i64, org_id: &'a str }
}

/// Recording files (0016, `meeting_recordings` rows; the file itself stays
/// in Stream's storage), except those of orgs with their own recordings
/// policy (JSON array of org ids, [`RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG`]).
/// A recording shows everyone in the meeting, so a meeting hold or a user
/// hold on any participant keeps it. Params: ?1 cutoff, ?2 limit, ?3 JSON array.
pub const RETENTION_HELD_PURGE_RECORDINGS: &str = concat!(
    "DELETE FROM meeting_recordings WHERE rowid IN (\n",
    "  SELECT t.rowid FROM meeting_recordings t\n",
    "  WHERE t.created_at < ?1\n",
    "    AND NOT EXISTS (SELECT 1 FROM meetings m\n",
    "                    WHERE m.id = t.meeting_id AND m.org_id IN (SELECT value FROM json_each(?3)))\n",
    meeting_not_held!("t.meeting_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_RECORDINGS`], `?1..?3` in order.
    RETENTION_HELD_PURGE_RECORDINGS => RetentionHeldPurgeRecordings<'a> { cutoff_ms: i64, limit: i64, excluded_orgs_json: &'a str }
}

/// Recording files of one org's meetings (its storage policy, P22).
/// Params: ?1 cutoff, ?2 limit, ?3 org_id.
pub const RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG: &str = concat!(
    "DELETE FROM meeting_recordings WHERE rowid IN (\n",
    "  SELECT t.rowid FROM meeting_recordings t\n",
    "  WHERE t.created_at < ?1\n",
    "    AND EXISTS (SELECT 1 FROM meetings m WHERE m.id = t.meeting_id AND m.org_id = ?3)\n",
    meeting_not_held!("t.meeting_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG`], `?1..?3` in order.
    RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG => RetentionHeldPurgeRecordingsForOrg<'a> { cutoff_ms: i64, limit: i64, org_id: &'a str }
}

/// Raw transcript chunks. Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_TRANSCRIPTS: &str = concat!(
    "DELETE FROM transcripts WHERE rowid IN (\n",
    "  SELECT t.rowid FROM transcripts t\n",
    "  WHERE t.created_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.speaker_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_TRANSCRIPTS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_TRANSCRIPTS => RetentionHeldPurgeTranscripts { cutoff_ms: i64, limit: i64 }
}

/// Transcript segments (FTS rows and embeddings follow via triggers).
/// Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_TRANSCRIPT_SEGMENTS: &str = concat!(
    "DELETE FROM transcript_segments WHERE rowid IN (\n",
    "  SELECT t.rowid FROM transcript_segments t\n",
    "  WHERE t.created_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.speaker_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_TRANSCRIPT_SEGMENTS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_TRANSCRIPT_SEGMENTS => RetentionHeldPurgeTranscriptSegments { cutoff_ms: i64, limit: i64 }
}

/// Archived notes ops. Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_NOTE_OPS: &str = concat!(
    "DELETE FROM note_ops WHERE rowid IN (\n",
    "  SELECT t.rowid FROM note_ops t\n",
    "  WHERE t.created_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.author_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_NOTE_OPS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_NOTE_OPS => RetentionHeldPurgeNoteOps { cutoff_ms: i64, limit: i64 }
}

/// Notes documents not edited since the cutoff. Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_MEETING_NOTES: &str = concat!(
    "DELETE FROM meeting_notes WHERE rowid IN (\n",
    "  SELECT t.rowid FROM meeting_notes t\n",
    "  WHERE t.updated_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    "  ORDER BY t.updated_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_MEETING_NOTES`], `?1..?2` in order.
    RETENTION_HELD_PURGE_MEETING_NOTES => RetentionHeldPurgeMeetingNotes { cutoff_ms: i64, limit: i64 }
}

/// Prompts (their feedback rows cascade). Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_PROMPTS: &str = concat!(
    "DELETE FROM prompts WHERE rowid IN (\n",
    "  SELECT t.rowid FROM prompts t\n",
    "  WHERE t.created_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_PROMPTS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_PROMPTS => RetentionHeldPurgePrompts { cutoff_ms: i64, limit: i64 }
}

/// Insights. Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_INSIGHTS: &str = concat!(
    "DELETE FROM insights WHERE rowid IN (\n",
    "  SELECT t.rowid FROM insights t\n",
    "  WHERE t.created_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.user_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_INSIGHTS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_INSIGHTS => RetentionHeldPurgeInsights { cutoff_ms: i64, limit: i64 }
}

/// Notifications. Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_NOTIFICATIONS: &str = concat!(
    "DELETE FROM notifications WHERE rowid IN (\n",
    "  SELECT t.rowid FROM notifications t\n",
    "  WHERE t.created_at < ?1\n",
    meeting_not_held!("t.meeting_id"),
    user_not_held!("t.user_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_NOTIFICATIONS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_NOTIFICATIONS => RetentionHeldPurgeNotifications { cutoff_ms: i64, limit: i64 }
}

/// Audit logs: a held actor's rows, and rows about a held meeting, stay.
/// Params: ?1 cutoff, ?2 limit.
pub const RETENTION_HELD_PURGE_AUDIT_LOGS: &str = concat!(
    "DELETE FROM audit_logs WHERE rowid IN (\n",
    "  SELECT t.rowid FROM audit_logs t\n",
    "  WHERE t.created_at < ?1\n",
    "    AND NOT EXISTS (SELECT 1 FROM legal_holds h\n",
    "                    WHERE t.resource_type = 'meeting' AND h.scope = 'meeting'\n",
    "                      AND h.subject_id = t.resource_id AND h.released_at IS NULL)\n",
    user_not_held!("t.actor_user_id"),
    "  ORDER BY t.created_at LIMIT ?2\n",
    ")"
);
params! {
    /// Parameters of [`RETENTION_HELD_PURGE_AUDIT_LOGS`], `?1..?2` in order.
    RETENTION_HELD_PURGE_AUDIT_LOGS => RetentionHeldPurgeAuditLogs { cutoff_ms: i64, limit: i64 }
}

/// One hold, for its release. Params: ?1 id.
pub const LEGAL_HOLD_GET: &str = "\
SELECT id, scope, subject_id, reason, placed_by, released_at, created_at
FROM legal_holds WHERE id = ?1";
params! {
    /// Parameters of [`LEGAL_HOLD_GET`], `?1..?1` in order.
    LEGAL_HOLD_GET => LegalHoldGet<'a> { id: &'a str }
}
