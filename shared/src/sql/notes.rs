//! `meeting_notes` (the materialised document) and `note_ops` (the archived
//! operation log), both flushed from the MeetingRoom Durable Object.

use crate::params;

/// Params: ?1 meeting_id.
pub const NOTES_GET: &str = "\
SELECT meeting_id, content, version, last_rebased_at, last_author_id, created_at, updated_at
FROM meeting_notes WHERE meeting_id = ?1";
params! {
    /// Parameters of [`NOTES_GET`], `?1..?1` in order.
    NOTES_GET => NotesGet<'a> { meeting_id: &'a str }
}

/// Store the document at a version. Versions only move forward: a flush that
/// is late or retried (version not newer) changes nothing, so flushes may be
/// retried and reordered freely.
///
/// Params: ?1 meeting_id, ?2 content, ?3 version, ?4 last_rebased_at,
/// ?5 last_author_id, ?6 now_ms.
pub const NOTES_UPSERT: &str = "\
INSERT INTO meeting_notes (meeting_id, content, version, last_rebased_at, last_author_id, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
ON CONFLICT (meeting_id) DO UPDATE SET
  content = excluded.content,
  version = excluded.version,
  last_rebased_at = excluded.last_rebased_at,
  last_author_id = excluded.last_author_id,
  updated_at = excluded.updated_at
WHERE excluded.version > meeting_notes.version";
params! {
    /// Parameters of [`NOTES_UPSERT`], `?1..?6` in order.
    NOTES_UPSERT => NotesUpsert<'a> { meeting_id: &'a str, content: &'a str, version: i64, last_rebased_at: Option<i64>, last_author_id: Option<&'a str>, now_ms: i64 }
}

/// Archive one committed op. Batch one per op (a flush is one D1 `batch`, one
/// transaction); a retried flush collides on (meeting_id, version) and changes
/// nothing.
///
/// Params: ?1 meeting_id, ?2 version, ?3 base_version, ?4 author_id, ?5 client_id,
/// ?6 client_seq, ?7 op_kind, ?8 op (JSON), ?9 authored_at, ?10 now_ms.
pub const NOTE_OP_INSERT: &str = "\
INSERT INTO note_ops (meeting_id, version, base_version, author_id, client_id, client_seq, op_kind, op,
                      authored_at, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (meeting_id, version) DO NOTHING";
params! {
    /// Parameters of [`NOTE_OP_INSERT`], `?1..?10` in order.
    NOTE_OP_INSERT => NoteOpInsert<'a> { meeting_id: &'a str, version: i64, base_version: i64, author_id: &'a str, client_id: &'a str, client_seq: i64, op_kind: &'a str, op: &'a str, authored_at: Option<i64>, now_ms: i64 }
}

/// Ops after a version, in order (room rehydration, debugging, audit).
///
/// Params: ?1 meeting_id, ?2 after version, ?3 limit.
pub const NOTE_OP_LIST_AFTER: &str = "\
SELECT version, base_version, author_id, client_id, client_seq, op_kind, op, authored_at, created_at
FROM note_ops
WHERE meeting_id = ?1 AND version > ?2
ORDER BY version
LIMIT ?3";
params! {
    /// Parameters of [`NOTE_OP_LIST_AFTER`], `?1..?3` in order.
    NOTE_OP_LIST_AFTER => NoteOpListAfter<'a> { meeting_id: &'a str, after_version: i64, limit: i64 }
}

/// The newest archived version (0 when none): where a flush resumes.
///
/// Params: ?1 meeting_id.
pub const NOTE_OP_MAX_VERSION: &str = "\
SELECT coalesce(max(version), 0) AS version FROM note_ops WHERE meeting_id = ?1";
params! {
    /// Parameters of [`NOTE_OP_MAX_VERSION`], `?1..?1` in order.
    NOTE_OP_MAX_VERSION => NoteOpMaxVersion<'a> { meeting_id: &'a str }
}

/// Compaction after materialisation: drop a meeting's ops up to a version
/// already folded into `meeting_notes`. Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 meeting_id, ?2 up to version (inclusive), ?3 limit.
pub const NOTE_OP_COMPACT: &str = "\
DELETE FROM note_ops WHERE rowid IN (
  SELECT rowid FROM note_ops WHERE meeting_id = ?1 AND version <= ?2 ORDER BY version LIMIT ?3
)";
params! {
    /// Parameters of [`NOTE_OP_COMPACT`], `?1..?3` in order.
    NOTE_OP_COMPACT => NoteOpCompact<'a> { meeting_id: &'a str, up_to_version: i64, limit: i64 }
}
