//! Consents, erasure and export (`docs/privacy.md`): `user_consents`,
//! `data_deletion_requests`, `data_export_requests`, and the statements of
//! the erasure and export plans (`crate::privacy`).
//!
//! Erasure renames the user to a pseudonym in other people's meetings and
//! deletes what is theirs alone. Every erasure statement is idempotent (a
//! re-run after a crash changes nothing already done); the bounded ones are
//! repeated while `changes() == limit`.

use crate::params;

// --- consents ---------------------------------------------------------------

/// Append one consent event (a grant, or a withdrawal with `consented` = 0).
/// Params: ?1 id, ?2 user_id, ?3 consent_type, ?4 version, ?5 consented, ?6 now_ms.
pub const CONSENT_RECORD: &str = "\
INSERT INTO user_consents (id, user_id, consent_type, version, consented, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (id) DO NOTHING";
params! {
    /// Parameters of [`CONSENT_RECORD`], `?1..?6` in order.
    CONSENT_RECORD => ConsentRecord<'a> { id: &'a str, user_id: &'a str, consent_type: &'a str, version: &'a str, consented: bool, now_ms: i64 }
}

/// A user's consent history, oldest first (bounded; a user has a handful).
/// Params: ?1 user_id, ?2 limit.
pub const CONSENT_LIST_FOR_USER: &str = "\
SELECT user_id, consent_type, version, consented, created_at
FROM user_consents
WHERE user_id = ?1
ORDER BY consent_type, created_at, id
LIMIT ?2";
params! {
    /// Parameters of [`CONSENT_LIST_FOR_USER`], `?1..?2` in order.
    CONSENT_LIST_FOR_USER => ConsentListForUser<'a> { user_id: &'a str, limit: i64 }
}

/// One consent type's history for every member of a meeting, with a row
/// (NULL consent columns) for members who never answered: the input of
/// `recording_allowed`. Params: ?1 meeting_id, ?2 consent_type, ?3 limit.
pub const CONSENT_LIST_FOR_MEETING: &str = "\
SELECT mp.user_id, c.consent_type, c.version, c.consented, c.created_at
FROM meeting_participants mp
LEFT JOIN user_consents c ON c.user_id = mp.user_id AND c.consent_type = ?2
WHERE mp.meeting_id = ?1
ORDER BY mp.user_id, c.created_at
LIMIT ?3";
params! {
    /// Parameters of [`CONSENT_LIST_FOR_MEETING`], `?1..?3` in order.
    CONSENT_LIST_FOR_MEETING => ConsentListForMeeting<'a> { meeting_id: &'a str, consent_type: &'a str, limit: i64 }
}

// --- deletion and export requests -------------------------------------------

/// Open a deletion request; collides with an open one for the same user
/// (`changes() == 0`: one is already under way).
/// Params: ?1 id, ?2 user_id, ?3 pseudonym, ?4 now_ms.
pub const DELETION_REQUEST_CREATE: &str = "\
INSERT INTO data_deletion_requests (id, user_id, pseudonym, status, requested_at, created_at, updated_at)
VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?4)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`DELETION_REQUEST_CREATE`], `?1..?4` in order.
    DELETION_REQUEST_CREATE => DeletionRequestCreate<'a> { id: &'a str, user_id: &'a str, pseudonym: &'a str, now_ms: i64 }
}

/// The user's open deletion request, if any (blocks a new export).
/// Params: ?1 user_id.
pub const DELETION_REQUEST_OPEN_FOR_USER: &str = "\
SELECT id, pseudonym, status, requested_at
FROM data_deletion_requests
WHERE user_id = ?1 AND status IN ('pending', 'processing')
LIMIT 1";
params! {
    /// Parameters of [`DELETION_REQUEST_OPEN_FOR_USER`], `?1..?1` in order.
    DELETION_REQUEST_OPEN_FOR_USER => DeletionRequestOpenForUser<'a> { user_id: &'a str }
}

/// Move an open request to processing or failed. Params: ?1 id, ?2 status, ?3 error, ?4 now_ms.
pub const DELETION_REQUEST_SET_STATUS: &str = "\
UPDATE data_deletion_requests SET status = ?2, error = ?3, updated_at = ?4
WHERE id = ?1 AND status IN ('pending', 'processing', 'failed') AND ?2 IN ('processing', 'failed')";
params! {
    /// Parameters of [`DELETION_REQUEST_SET_STATUS`], `?1..?4` in order.
    DELETION_REQUEST_SET_STATUS => DeletionRequestSetStatus<'a> { id: &'a str, status: &'a str, error: Option<&'a str>, now_ms: i64 }
}

/// Finish a request: the user id is dropped, the pseudonym stays.
/// Params: ?1 id, ?2 now_ms.
pub const DELETION_REQUEST_COMPLETE: &str = "\
UPDATE data_deletion_requests
SET status = 'completed', user_id = NULL, error = NULL, processed_at = ?2, updated_at = ?2
WHERE id = ?1 AND status <> 'completed'";
params! {
    /// Parameters of [`DELETION_REQUEST_COMPLETE`], `?1..?2` in order.
    DELETION_REQUEST_COMPLETE => DeletionRequestComplete<'a> { id: &'a str, now_ms: i64 }
}

/// Open an export request; collides with an open one (`changes() == 0`).
/// Params: ?1 id, ?2 user_id, ?3 now_ms.
pub const EXPORT_REQUEST_CREATE: &str = "\
INSERT INTO data_export_requests (id, user_id, status, requested_at, created_at, updated_at)
VALUES (?1, ?2, 'pending', ?3, ?3, ?3)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`EXPORT_REQUEST_CREATE`], `?1..?3` in order.
    EXPORT_REQUEST_CREATE => ExportRequestCreate<'a> { id: &'a str, user_id: &'a str, now_ms: i64 }
}

/// One of the user's exports (owner-scoped), with its progress counters.
/// Params: ?1 id, ?2 user_id.
pub const EXPORT_REQUEST_GET: &str = "\
SELECT id, user_id, status, object_key, error, requested_at, completed_at, expires_at,
       progress, rows_exported, parts, sets_done
FROM data_export_requests WHERE id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`EXPORT_REQUEST_GET`], `?1..?2` in order.
    EXPORT_REQUEST_GET => ExportRequestGet<'a> { id: &'a str, user_id: &'a str }
}

/// Mark an export ready. Params: ?1 id, ?2 object_key, ?3 expires_at, ?4 now_ms.
pub const EXPORT_REQUEST_READY: &str = "\
UPDATE data_export_requests
SET status = 'ready', object_key = ?2, expires_at = ?3, completed_at = ?4, error = NULL, updated_at = ?4
WHERE id = ?1 AND status IN ('pending', 'processing')";
params! {
    /// Parameters of [`EXPORT_REQUEST_READY`], `?1..?4` in order.
    EXPORT_REQUEST_READY => ExportRequestReady<'a> { id: &'a str, object_key: &'a str, expires_at: i64, now_ms: i64 }
}

/// The user's open export, if any (P12: one at a time). Params: ?1 user_id.
pub const EXPORT_REQUEST_OPEN_FOR_USER: &str = "\
SELECT id, status, requested_at
FROM data_export_requests
WHERE user_id = ?1 AND status IN ('pending', 'processing')
LIMIT 1";
params! {
    /// Parameters of [`EXPORT_REQUEST_OPEN_FOR_USER`], `?1..?1` in order.
    EXPORT_REQUEST_OPEN_FOR_USER => ExportRequestOpenForUser<'a> { user_id: &'a str }
}

/// An export as its job loads it (by id alone: the job is not a caller).
/// Params: ?1 id.
pub const EXPORT_REQUEST_LOAD: &str = "\
SELECT id, user_id, status, object_key, error, requested_at, completed_at, expires_at,
       progress, rows_exported, parts, sets_done
FROM data_export_requests WHERE id = ?1";
params! {
    /// Parameters of [`EXPORT_REQUEST_LOAD`], `?1..?1` in order.
    EXPORT_REQUEST_LOAD => ExportRequestLoad<'a> { id: &'a str }
}

/// Record one run's progress, compare-and-set on the progress the run
/// started from (`changes() == 0`: another delivery moved on first, and
/// this run's part is discarded). Params: ?1 id, ?2 progress before (NULL
/// on the first run), ?3 progress after, ?4 rows this run, ?5 parts written,
/// ?6 sets done, ?7 now_ms.
pub const EXPORT_REQUEST_ADVANCE: &str = "\
UPDATE data_export_requests
SET status = 'processing', progress = ?3, rows_exported = rows_exported + ?4, parts = ?5,
    sets_done = ?6, updated_at = ?7
WHERE id = ?1 AND status IN ('pending', 'processing') AND progress IS ?2";
params! {
    /// Parameters of [`EXPORT_REQUEST_ADVANCE`], `?1..?7` in order.
    EXPORT_REQUEST_ADVANCE => ExportRequestAdvance<'a> { id: &'a str, progress_before: Option<&'a str>, progress_after: &'a str, rows: i64, parts: i64, sets_done: i64, now_ms: i64 }
}

/// Give up on an export (its job ran out of attempts on an error); the user
/// may ask again. Params: ?1 id, ?2 error, ?3 now_ms.
pub const EXPORT_REQUEST_FAIL: &str = "\
UPDATE data_export_requests SET status = 'failed', error = ?2, updated_at = ?3
WHERE id = ?1 AND status IN ('pending', 'processing')";
params! {
    /// Parameters of [`EXPORT_REQUEST_FAIL`], `?1..?3` in order.
    EXPORT_REQUEST_FAIL => ExportRequestFail<'a> { id: &'a str, error: &'a str, now_ms: i64 }
}

/// The ids of a user's exports, oldest first: erasure deletes their files.
/// Params: ?1 user_id, ?2 limit.
pub const EXPORT_REQUEST_IDS_FOR_USER: &str = "\
SELECT id FROM data_export_requests WHERE user_id = ?1 ORDER BY created_at, id LIMIT ?2";
params! {
    /// Parameters of [`EXPORT_REQUEST_IDS_FOR_USER`], `?1..?2` in order.
    EXPORT_REQUEST_IDS_FOR_USER => ExportRequestIdsForUser<'a> { user_id: &'a str, limit: i64 }
}

/// Open exports in `status` untouched since ?2 (the cron sweep re-queues
/// them). Params: ?1 status, ?2 updated before (ms), ?3 limit.
pub const EXPORT_REQUEST_STALE: &str = "\
SELECT id FROM data_export_requests
WHERE status = ?1 AND status IN ('pending', 'processing') AND updated_at < ?2
ORDER BY updated_at
LIMIT ?3";
params! {
    /// Parameters of [`EXPORT_REQUEST_STALE`], `?1..?3` in order.
    EXPORT_REQUEST_STALE => ExportRequestStale<'a> { status: &'a str, updated_before_ms: i64, limit: i64 }
}

/// Ready exports whose 30 days are over (the sweep deletes their files).
/// Params: ?1 now_ms, ?2 limit.
pub const EXPORT_REQUEST_EXPIRED: &str = "\
SELECT id FROM data_export_requests
WHERE status = 'ready' AND expires_at <= ?1
ORDER BY expires_at
LIMIT ?2";
params! {
    /// Parameters of [`EXPORT_REQUEST_EXPIRED`], `?1..?2` in order.
    EXPORT_REQUEST_EXPIRED => ExportRequestExpired { now_ms: i64, limit: i64 }
}

/// An expired export, its files deleted: the row stays without its key.
/// Params: ?1 id, ?2 now_ms.
pub const EXPORT_REQUEST_EXPIRE: &str = "\
UPDATE data_export_requests SET status = 'expired', object_key = NULL, updated_at = ?2
WHERE id = ?1 AND status = 'ready'";
params! {
    /// Parameters of [`EXPORT_REQUEST_EXPIRE`], `?1..?2` in order.
    EXPORT_REQUEST_EXPIRE => ExportRequestExpire<'a> { id: &'a str, now_ms: i64 }
}

/// One deletion request (the job's load, and the status route's, which
/// checks the owner itself: a completed request keeps only the pseudonym).
/// Params: ?1 id.
pub const DELETION_REQUEST_GET: &str = "\
SELECT id, user_id, pseudonym, status, error, waiting_for, steps_done, steps_total,
       rows_changed, requested_at, processed_at, updated_at
FROM data_deletion_requests WHERE id = ?1";
params! {
    /// Parameters of [`DELETION_REQUEST_GET`], `?1..?1` in order.
    DELETION_REQUEST_GET => DeletionRequestGet<'a> { id: &'a str }
}

/// Record one erasure run's progress (steps finished of the plan's total,
/// rows changed), clearing any wait. Params: ?1 id, ?2 steps_done,
/// ?3 steps_total, ?4 rows this run, ?5 now_ms.
pub const DELETION_REQUEST_ADVANCE: &str = "\
UPDATE data_deletion_requests
SET status = 'processing', waiting_for = NULL, error = NULL, steps_done = ?2, steps_total = ?3,
    rows_changed = rows_changed + ?4, updated_at = ?5
WHERE id = ?1 AND status IN ('pending', 'processing')";
params! {
    /// Parameters of [`DELETION_REQUEST_ADVANCE`], `?1..?5` in order.
    DELETION_REQUEST_ADVANCE => DeletionRequestAdvance<'a> { id: &'a str, steps_done: i64, steps_total: i64, rows: i64, now_ms: i64 }
}

/// The request waits (P10: a legal hold), and says why.
/// Params: ?1 id, ?2 waiting_for, ?3 now_ms.
pub const DELETION_REQUEST_WAIT: &str = "\
UPDATE data_deletion_requests SET waiting_for = ?2, updated_at = ?3
WHERE id = ?1 AND status IN ('pending', 'processing')";
params! {
    /// Parameters of [`DELETION_REQUEST_WAIT`], `?1..?3` in order.
    DELETION_REQUEST_WAIT => DeletionRequestWait<'a> { id: &'a str, waiting_for: &'a str, now_ms: i64 }
}

/// Open deletion requests in `status` untouched since ?2 (the cron sweep
/// re-queues them, so a held one is looked at again).
/// Params: ?1 status, ?2 updated before (ms), ?3 limit.
pub const DELETION_REQUEST_STALE: &str = "\
SELECT id FROM data_deletion_requests
WHERE status = ?1 AND status IN ('pending', 'processing') AND updated_at < ?2
ORDER BY updated_at
LIMIT ?3";
params! {
    /// Parameters of [`DELETION_REQUEST_STALE`], `?1..?3` in order.
    DELETION_REQUEST_STALE => DeletionRequestStale<'a> { status: &'a str, updated_before_ms: i64, limit: i64 }
}

// --- erasure ----------------------------------------------------------------

/// The soft-deleted account that stands in for the erased user in other
/// people's meetings: inactive, no email, no name, id = the pseudonym.
/// Params: ?1 pseudonym, ?2 now_ms.
pub const ERASURE_TOMBSTONE_INSERT: &str = "\
INSERT INTO users (id, is_active, deleted_at, created_at, updated_at)
VALUES (?1, 0, ?2, ?2, ?2)
ON CONFLICT (id) DO NOTHING";
params! {
    /// Parameters of [`ERASURE_TOMBSTONE_INSERT`], `?1..?2` in order.
    ERASURE_TOMBSTONE_INSERT => ErasureTombstoneInsert<'a> { pseudonym: &'a str, now_ms: i64 }
}

/// Memberships move to the pseudonym (meeting rosters and counts stay whole).
/// Params: ?1 user_id, ?2 pseudonym, ?3 limit.
pub const ERASURE_RENAME_PARTICIPANTS: &str = "\
UPDATE meeting_participants SET user_id = ?2, stream_session_id = NULL
WHERE rowid IN (SELECT rowid FROM meeting_participants WHERE user_id = ?1 LIMIT ?3)";
params! {
    /// Parameters of [`ERASURE_RENAME_PARTICIPANTS`], `?1..?3` in order.
    ERASURE_RENAME_PARTICIPANTS => ErasureRenameParticipants<'a> { user_id: &'a str, pseudonym: &'a str, limit: i64 }
}

/// `invited_by` provenance. Params: ?1 user_id, ?2 pseudonym, ?3 limit.
pub const ERASURE_RENAME_INVITED_BY: &str = "\
UPDATE meeting_participants SET invited_by = ?2
WHERE rowid IN (SELECT rowid FROM meeting_participants WHERE invited_by = ?1 LIMIT ?3)";
params! {
    /// Parameters of [`ERASURE_RENAME_INVITED_BY`], `?1..?3` in order.
    ERASURE_RENAME_INVITED_BY => ErasureRenameInvitedBy<'a> { user_id: &'a str, pseudonym: &'a str, limit: i64 }
}

/// Chat author. Params: ?1 user_id, ?2 pseudonym, ?3 limit.
pub const ERASURE_RENAME_MESSAGES: &str = "\
UPDATE messages SET user_id = ?2
WHERE rowid IN (SELECT rowid FROM messages WHERE user_id = ?1 LIMIT ?3)";
params! {
    /// Parameters of [`ERASURE_RENAME_MESSAGES`], `?1..?3` in order.
    ERASURE_RENAME_MESSAGES => ErasureRenameMessages<'a> { user_id: &'a str, pseudonym: &'a str, limit: i64 }
}

/// Notes ops author. Params: ?1 user_id, ?2 pseudonym, ?3 limit.
pub const ERASURE_RENAME_NOTE_OPS: &str = "\
UPDATE note_ops SET author_id = ?2
WHERE rowid IN (SELECT rowid FROM note_ops WHERE author_id = ?1 LIMIT ?3)";
params! {
    /// Parameters of [`ERASURE_RENAME_NOTE_OPS`], `?1..?3` in order.
    ERASURE_RENAME_NOTE_OPS => ErasureRenameNoteOps<'a> { user_id: &'a str, pseudonym: &'a str, limit: i64 }
}

/// Meetings they organised stay with the others. Params: ?1 user_id, ?2 pseudonym, ?3 limit.
pub const ERASURE_RENAME_ORGANIZER: &str = "\
UPDATE meetings SET organizer_id = ?2
WHERE rowid IN (SELECT rowid FROM meetings WHERE organizer_id = ?1 LIMIT ?3)";
params! {
    /// Parameters of [`ERASURE_RENAME_ORGANIZER`], `?1..?3` in order.
    ERASURE_RENAME_ORGANIZER => ErasureRenameOrganizer<'a> { user_id: &'a str, pseudonym: &'a str, limit: i64 }
}

/// Speaker labels of one meeting's raw transcript.
/// Params: ?1 meeting_id, ?2 user_id, ?3 pseudonym.
pub const ERASURE_RENAME_TRANSCRIPT_SPEAKER: &str = "\
UPDATE transcripts SET speaker_id = ?3 WHERE meeting_id = ?1 AND speaker_id = ?2";
params! {
    /// Parameters of [`ERASURE_RENAME_TRANSCRIPT_SPEAKER`], `?1..?3` in order.
    ERASURE_RENAME_TRANSCRIPT_SPEAKER => ErasureRenameTranscriptSpeaker<'a> { meeting_id: &'a str, user_id: &'a str, pseudonym: &'a str }
}

/// Speaker labels of one meeting's segments, main speaker and `speakers` list.
/// Params: ?1 meeting_id, ?2 user_id, ?3 pseudonym, ?4 now_ms.
pub const ERASURE_RENAME_SEGMENT_SPEAKER: &str = "\
UPDATE transcript_segments
SET speaker_id = CASE WHEN speaker_id = ?2 THEN ?3 ELSE speaker_id END,
    speakers = (SELECT json_group_array(CASE WHEN value = ?2 THEN ?3 ELSE value END)
                FROM json_each(transcript_segments.speakers)),
    updated_at = ?4
WHERE meeting_id = ?1
  AND (speaker_id = ?2 OR EXISTS (SELECT 1 FROM json_each(transcript_segments.speakers) WHERE value = ?2))";
params! {
    /// Parameters of [`ERASURE_RENAME_SEGMENT_SPEAKER`], `?1..?4` in order.
    ERASURE_RENAME_SEGMENT_SPEAKER => ErasureRenameSegmentSpeaker<'a> { meeting_id: &'a str, user_id: &'a str, pseudonym: &'a str, now_ms: i64 }
}

/// The notes document's last author, in one meeting.
/// Params: ?1 meeting_id, ?2 user_id, ?3 pseudonym.
pub const ERASURE_RENAME_NOTES_AUTHOR: &str = "\
UPDATE meeting_notes SET last_author_id = ?3 WHERE meeting_id = ?1 AND last_author_id = ?2";
params! {
    /// Parameters of [`ERASURE_RENAME_NOTES_AUTHOR`], `?1..?3` in order.
    ERASURE_RENAME_NOTES_AUTHOR => ErasureRenameNotesAuthor<'a> { meeting_id: &'a str, user_id: &'a str, pseudonym: &'a str }
}

/// Personal insights. Params: ?1 user_id, ?2 limit.
pub const ERASURE_DELETE_INSIGHTS: &str = "\
DELETE FROM insights WHERE rowid IN (SELECT rowid FROM insights WHERE user_id = ?1 LIMIT ?2)";
params! {
    /// Parameters of [`ERASURE_DELETE_INSIGHTS`], `?1..?2` in order.
    ERASURE_DELETE_INSIGHTS => ErasureDeleteInsights<'a> { user_id: &'a str, limit: i64 }
}

/// Notifications. Params: ?1 user_id, ?2 limit.
pub const ERASURE_DELETE_NOTIFICATIONS: &str = "\
DELETE FROM notifications WHERE rowid IN (SELECT rowid FROM notifications WHERE user_id = ?1 LIMIT ?2)";
params! {
    /// Parameters of [`ERASURE_DELETE_NOTIFICATIONS`], `?1..?2` in order.
    ERASURE_DELETE_NOTIFICATIONS => ErasureDeleteNotifications<'a> { user_id: &'a str, limit: i64 }
}

/// Matching queue entries. Params: ?1 user_id, ?2 limit.
pub const ERASURE_DELETE_QUEUE_ENTRIES: &str = "\
DELETE FROM matching_queue WHERE rowid IN (SELECT rowid FROM matching_queue WHERE user_id = ?1 LIMIT ?2)";
params! {
    /// Parameters of [`ERASURE_DELETE_QUEUE_ENTRIES`], `?1..?2` in order.
    ERASURE_DELETE_QUEUE_ENTRIES => ErasureDeleteQueueEntries<'a> { user_id: &'a str, limit: i64 }
}

/// Prompt reactions. Params: ?1 user_id, ?2 limit.
pub const ERASURE_DELETE_PROMPT_FEEDBACK: &str = "\
DELETE FROM prompt_feedback WHERE rowid IN (SELECT rowid FROM prompt_feedback WHERE user_id = ?1 LIMIT ?2)";
params! {
    /// Parameters of [`ERASURE_DELETE_PROMPT_FEEDBACK`], `?1..?2` in order.
    ERASURE_DELETE_PROMPT_FEEDBACK => ErasureDeletePromptFeedback<'a> { user_id: &'a str, limit: i64 }
}

// --- export -----------------------------------------------------------------

/// Chat messages the user wrote, keyset on rowid; first page ?2 = 0.
/// Params: ?1 user_id, ?2 after rowid, ?3 limit.
pub const EXPORT_MESSAGES_BY_USER: &str = "\
SELECT rowid AS cursor, meeting_id, seq, id, content, attachments, created_at
FROM messages
WHERE user_id = ?1 AND rowid > ?2
ORDER BY rowid
LIMIT ?3";
params! {
    /// Parameters of [`EXPORT_MESSAGES_BY_USER`], `?1..?3` in order.
    EXPORT_MESSAGES_BY_USER => ExportMessagesByUser<'a> { user_id: &'a str, after_rowid: i64, limit: i64 }
}

/// Notes ops the user authored, keyset on rowid; first page ?2 = 0.
/// Params: ?1 user_id, ?2 after rowid, ?3 limit.
pub const EXPORT_NOTE_OPS_BY_AUTHOR: &str = "\
SELECT rowid AS cursor, meeting_id, version, op_kind, op, authored_at, created_at
FROM note_ops
WHERE author_id = ?1 AND rowid > ?2
ORDER BY rowid
LIMIT ?3";
params! {
    /// Parameters of [`EXPORT_NOTE_OPS_BY_AUTHOR`], `?1..?3` in order.
    EXPORT_NOTE_OPS_BY_AUTHOR => ExportNoteOpsByAuthor<'a> { user_id: &'a str, after_rowid: i64, limit: i64 }
}

/// Transcript lines the user spoke in one meeting, keyset on seq; first page ?3 = -1.
/// Params: ?1 meeting_id, ?2 user_id, ?3 after seq, ?4 limit.
pub const EXPORT_TRANSCRIPT_BY_SPEAKER: &str = "\
SELECT meeting_id, seq, text, language, start_ms, end_ms, created_at
FROM transcripts
WHERE meeting_id = ?1 AND speaker_id = ?2 AND kind = 'final' AND seq > ?3
ORDER BY seq
LIMIT ?4";
params! {
    /// Parameters of [`EXPORT_TRANSCRIPT_BY_SPEAKER`], `?1..?4` in order.
    EXPORT_TRANSCRIPT_BY_SPEAKER => ExportTranscriptBySpeaker<'a> { meeting_id: &'a str, user_id: &'a str, after_seq: i64, limit: i64 }
}

/// The user's memberships, keyset on meeting_id; first page ?2 = ''.
/// Params: ?1 user_id, ?2 after meeting_id, ?3 limit.
pub const EXPORT_MEMBERSHIPS: &str = "\
SELECT mp.meeting_id, mp.role, mp.presence, mp.joined_at, mp.left_at, mp.created_at,
       m.title, m.scheduled_at, m.state
FROM meeting_participants mp
JOIN meetings m ON m.id = mp.meeting_id
WHERE mp.user_id = ?1 AND mp.meeting_id > ?2
ORDER BY mp.meeting_id
LIMIT ?3";
params! {
    /// Parameters of [`EXPORT_MEMBERSHIPS`], `?1..?3` in order.
    EXPORT_MEMBERSHIPS => ExportMemberships<'a> { user_id: &'a str, after_meeting_id: &'a str, limit: i64 }
}

/// The user's prompt reactions, keyset on rowid; first page ?2 = 0.
/// Params: ?1 user_id, ?2 after rowid, ?3 limit.
pub const EXPORT_PROMPT_FEEDBACK_BY_USER: &str = "\
SELECT pf.rowid AS cursor, pf.prompt_id, pf.feedback, pf.created_at, p.meeting_id, p.type
FROM prompt_feedback pf
JOIN prompts p ON p.id = pf.prompt_id
WHERE pf.user_id = ?1 AND pf.rowid > ?2
ORDER BY pf.rowid
LIMIT ?3";
params! {
    /// Parameters of [`EXPORT_PROMPT_FEEDBACK_BY_USER`], `?1..?3` in order.
    EXPORT_PROMPT_FEEDBACK_BY_USER => ExportPromptFeedbackByUser<'a> { user_id: &'a str, after_rowid: i64, limit: i64 }
}

/// The user's matching outcomes, keyset on rowid; first page ?2 = 0.
/// Params: ?1 user_id, ?2 after rowid, ?3 limit.
pub const EXPORT_MATCH_OUTCOMES_BY_USER: &str = "\
SELECT rowid AS cursor, id, match_id, peer_user_id, meeting_id, outcome, score, rating, feedback,
       created_at
FROM matching_analytics
WHERE user_id = ?1 AND rowid > ?2
ORDER BY rowid
LIMIT ?3";
params! {
    /// Parameters of [`EXPORT_MATCH_OUTCOMES_BY_USER`], `?1..?3` in order.
    EXPORT_MATCH_OUTCOMES_BY_USER => ExportMatchOutcomesByUser<'a> { user_id: &'a str, after_rowid: i64, limit: i64 }
}

/// Released user holds keep their record with the pseudonym as subject
/// (an active hold stops the erasure before this runs, P10).
/// Params: ?1 user_id, ?2 pseudonym.
pub const ERASURE_RENAME_RELEASED_HOLDS: &str = "\
UPDATE legal_holds SET subject_id = ?2
WHERE scope = 'user' AND subject_id = ?1 AND released_at IS NOT NULL";
params! {
    /// Parameters of [`ERASURE_RENAME_RELEASED_HOLDS`], `?1..?2` in order.
    ERASURE_RENAME_RELEASED_HOLDS => ErasureRenameReleasedHolds<'a> { user_id: &'a str, pseudonym: &'a str }
}
