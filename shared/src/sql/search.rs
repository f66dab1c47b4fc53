//! Full-text search (FTS5) over transcript segments and meeting notes, always
//! scoped to the caller's meetings and bounded by a LIMIT.
//!
//! The MATCH parameter is an FTS5 query string. Build it from user input by
//! quoting each term (`"term"`, doubling any `"`), or FTS5 will reject
//! operators and punctuation with a syntax error.

use crate::params;

/// Segments matching a query inside one meeting (the caller's ACL already
/// checked), best first.
///
/// Params: ?1 FTS5 query, ?2 meeting_id, ?3 limit.
pub const SEARCH_SEGMENTS_IN_MEETING: &str = "\
SELECT s.id, s.meeting_id, s.speaker_id, s.start_ms, s.end_ms,
       snippet(transcript_segments_fts, 0, '[', ']', '…', 16) AS snippet,
       bm25(transcript_segments_fts) AS score
FROM transcript_segments_fts
JOIN transcript_segments s ON s.segment_no = transcript_segments_fts.rowid
WHERE transcript_segments_fts MATCH ?1 AND s.meeting_id = ?2
ORDER BY score
LIMIT ?3";
params! {
    /// Parameters of [`SEARCH_SEGMENTS_IN_MEETING`], `?1..?3` in order.
    SEARCH_SEGMENTS_IN_MEETING => SearchSegmentsInMeeting<'a> { fts5_query: &'a str, meeting_id: &'a str, limit: i64 }
}

/// Segments matching a query across every meeting the user belongs to, best first.
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 limit.
pub const SEARCH_SEGMENTS_FOR_USER: &str = "\
SELECT s.id, s.meeting_id, s.speaker_id, s.start_ms, s.end_ms,
       snippet(transcript_segments_fts, 0, '[', ']', '…', 16) AS snippet,
       bm25(transcript_segments_fts) AS score
FROM transcript_segments_fts
JOIN transcript_segments s ON s.segment_no = transcript_segments_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = s.meeting_id AND mp.user_id = ?2
WHERE transcript_segments_fts MATCH ?1
ORDER BY score
LIMIT ?3";
params! {
    /// Parameters of [`SEARCH_SEGMENTS_FOR_USER`], `?1..?3` in order.
    SEARCH_SEGMENTS_FOR_USER => SearchSegmentsForUser<'a> { fts5_query: &'a str, user_id: &'a str, limit: i64 }
}

/// Meeting notes matching a query across the user's meetings, best first.
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 limit.
pub const SEARCH_NOTES_FOR_USER: &str = "\
SELECT n.meeting_id, n.version, n.updated_at,
       snippet(meeting_notes_fts, 0, '[', ']', '…', 24) AS snippet,
       bm25(meeting_notes_fts) AS score
FROM meeting_notes_fts
JOIN meeting_notes n ON n.doc_id = meeting_notes_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = n.meeting_id AND mp.user_id = ?2
WHERE meeting_notes_fts MATCH ?1
ORDER BY score
LIMIT ?3";
params! {
    /// Parameters of [`SEARCH_NOTES_FOR_USER`], `?1..?3` in order.
    SEARCH_NOTES_FOR_USER => SearchNotesForUser<'a> { fts5_query: &'a str, user_id: &'a str, limit: i64 }
}

/// Transcript segments matching a query in the caller's meetings (S10: the
/// membership join is part of the query, so another meeting's segment is
/// never a candidate). Optional filters: meeting, speaker. Each hit has a
/// highlighted snippet, the segment's whole text as context, and its time
/// offset. Bounded offset pagination (S7).
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 meeting_id or NULL, ?4 speaker_id
/// or NULL, ?5 limit, ?6 offset.
pub const SEARCH_TRANSCRIPTS: &str = "\
SELECT s.id, s.meeting_id, m.title AS meeting_title, s.speaker_id, s.start_ms, s.end_ms, s.text,
       snippet(transcript_segments_fts, 0, '<mark>', '</mark>', '…', 16) AS snippet,
       bm25(transcript_segments_fts) AS score
FROM transcript_segments_fts
JOIN transcript_segments s ON s.segment_no = transcript_segments_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = s.meeting_id AND mp.user_id = ?2
JOIN meetings m ON m.id = s.meeting_id
WHERE transcript_segments_fts MATCH ?1
  AND (?3 IS NULL OR s.meeting_id = ?3)
  AND (?4 IS NULL OR s.speaker_id = ?4)
ORDER BY score, s.segment_no
LIMIT ?5 OFFSET ?6";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPTS`], `?1..?6` in order.
    SEARCH_TRANSCRIPTS => SearchTranscripts<'a> { fts5_query: &'a str, user_id: &'a str, meeting_id: Option<&'a str>, speaker_id: Option<&'a str>, limit: i64, offset: i64 }
}

/// How many transcript segments match, in the caller's meetings (S10).
///
/// Params: ?1 FTS5 query, ?2 user_id.
pub const SEARCH_TRANSCRIPTS_COUNT: &str = "\
SELECT count(*) AS n
FROM transcript_segments_fts
JOIN transcript_segments s ON s.segment_no = transcript_segments_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = s.meeting_id AND mp.user_id = ?2
WHERE transcript_segments_fts MATCH ?1";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPTS_COUNT`], `?1..?2` in order.
    SEARCH_TRANSCRIPTS_COUNT => SearchTranscriptsCount<'a> { fts5_query: &'a str, user_id: &'a str }
}

/// Meetings matching a query among the caller's meetings (S10), with
/// optional state, host and date-range filters; title and description
/// highlighted.
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 state or NULL, ?4 host (organizer)
/// or NULL, ?5 from (scheduled_at >=) or NULL, ?6 to (scheduled_at <) or
/// NULL, ?7 limit, ?8 offset.
pub const SEARCH_MEETINGS: &str = "\
SELECT m.id, m.title, m.state, m.organizer_id, m.scheduled_at, m.participant_count,
       highlight(meetings_fts, 0, '<mark>', '</mark>') AS title_highlight,
       snippet(meetings_fts, 1, '<mark>', '</mark>', '…', 16) AS description_snippet,
       bm25(meetings_fts) AS score
FROM meetings_fts
JOIN meetings m ON m.rowid = meetings_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = m.id AND mp.user_id = ?2
WHERE meetings_fts MATCH ?1
  AND (?3 IS NULL OR m.state = ?3)
  AND (?4 IS NULL OR m.organizer_id = ?4)
  AND (?5 IS NULL OR m.scheduled_at >= ?5)
  AND (?6 IS NULL OR m.scheduled_at < ?6)
ORDER BY score, m.id
LIMIT ?7 OFFSET ?8";
params! {
    /// Parameters of [`SEARCH_MEETINGS`], `?1..?8` in order.
    SEARCH_MEETINGS => SearchMeetings<'a> { fts5_query: &'a str, user_id: &'a str, state: Option<&'a str>, host_id: Option<&'a str>, from_ms: Option<i64>, to_ms: Option<i64>, limit: i64, offset: i64 }
}

/// Matching meetings per state among the caller's meetings (the facet, S10).
///
/// Params: ?1 FTS5 query, ?2 user_id.
pub const SEARCH_MEETINGS_FACETS: &str = "\
SELECT m.state, count(*) AS n
FROM meetings_fts
JOIN meetings m ON m.rowid = meetings_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = m.id AND mp.user_id = ?2
WHERE meetings_fts MATCH ?1
GROUP BY m.state";
params! {
    /// Parameters of [`SEARCH_MEETINGS_FACETS`], `?1..?2` in order.
    SEARCH_MEETINGS_FACETS => SearchMeetingsFacets<'a> { fts5_query: &'a str, user_id: &'a str }
}

/// Active people of the caller's organisation (S10) whose profile matches.
///
/// Params: ?1 FTS5 query, ?2 org_id, ?3 limit, ?4 offset.
pub const SEARCH_USERS: &str = "\
SELECT p.user_id, p.display_name, p.headline,
       highlight(profiles_fts, 0, '<mark>', '</mark>') AS name_highlight,
       snippet(profiles_fts, -1, '<mark>', '</mark>', '…', 12) AS snippet,
       bm25(profiles_fts) AS score
FROM profiles_fts
JOIN profiles p ON p.rowid = profiles_fts.rowid
JOIN users u ON u.id = p.user_id AND u.org_id = ?2 AND u.is_active = 1 AND u.deleted_at IS NULL
WHERE profiles_fts MATCH ?1
ORDER BY score, p.user_id
LIMIT ?3 OFFSET ?4";
params! {
    /// Parameters of [`SEARCH_USERS`], `?1..?4` in order.
    SEARCH_USERS => SearchUsers<'a> { fts5_query: &'a str, org_id: &'a str, limit: i64, offset: i64 }
}

/// How many people of the caller's organisation match (S10).
///
/// Params: ?1 FTS5 query, ?2 org_id.
pub const SEARCH_USERS_COUNT: &str = "\
SELECT count(*) AS n
FROM profiles_fts
JOIN profiles p ON p.rowid = profiles_fts.rowid
JOIN users u ON u.id = p.user_id AND u.org_id = ?2 AND u.is_active = 1 AND u.deleted_at IS NULL
WHERE profiles_fts MATCH ?1";
params! {
    /// Parameters of [`SEARCH_USERS_COUNT`], `?1..?2` in order.
    SEARCH_USERS_COUNT => SearchUsersCount<'a> { fts5_query: &'a str, org_id: &'a str }
}

/// How many notes match in the caller's meetings (S10).
///
/// Params: ?1 FTS5 query, ?2 user_id.
pub const SEARCH_NOTES_COUNT: &str = "\
SELECT count(*) AS n
FROM meeting_notes_fts
JOIN meeting_notes n ON n.doc_id = meeting_notes_fts.rowid
JOIN meeting_participants mp ON mp.meeting_id = n.meeting_id AND mp.user_id = ?2
WHERE meeting_notes_fts MATCH ?1";
params! {
    /// Parameters of [`SEARCH_NOTES_COUNT`], `?1..?2` in order.
    SEARCH_NOTES_COUNT => SearchNotesCount<'a> { fts5_query: &'a str, user_id: &'a str }
}

/// Indexed transcript terms starting with `?1` (the first letter of a
/// word), of length `?2..=?3`, most frequent first: the candidates of the
/// typo rewrite (S4). Terms only: results still go through the ACL.
///
/// Params: ?1 from (inclusive), ?2 to (exclusive), ?3 min length, ?4 max length.
pub const SEARCH_TRANSCRIPT_VOCAB: &str = "\
SELECT term FROM transcript_vocab
WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 AND ?4
ORDER BY doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPT_VOCAB`], `?1..?4` in order.
    SEARCH_TRANSCRIPT_VOCAB => SearchTranscriptVocab<'a> { from: &'a str, to: &'a str, min_len: i64, max_len: i64 }
}

/// As [`SEARCH_TRANSCRIPT_VOCAB`], over meeting titles and descriptions.
///
/// Params: ?1 from, ?2 to, ?3 min length, ?4 max length.
pub const SEARCH_MEETINGS_VOCAB: &str = "\
SELECT term FROM meetings_vocab
WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 AND ?4
ORDER BY doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_MEETINGS_VOCAB`], `?1..?4` in order.
    SEARCH_MEETINGS_VOCAB => SearchMeetingsVocab<'a> { from: &'a str, to: &'a str, min_len: i64, max_len: i64 }
}

/// As [`SEARCH_TRANSCRIPT_VOCAB`], over profiles.
///
/// Params: ?1 from, ?2 to, ?3 min length, ?4 max length.
pub const SEARCH_PROFILES_VOCAB: &str = "\
SELECT term FROM profiles_vocab
WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 AND ?4
ORDER BY doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_PROFILES_VOCAB`], `?1..?4` in order.
    SEARCH_PROFILES_VOCAB => SearchProfilesVocab<'a> { from: &'a str, to: &'a str, min_len: i64, max_len: i64 }
}

/// Rebuilds one index from its content table (S9, the admin reindex).
pub const SEARCH_REBUILD_TRANSCRIPTS: &str =
    "INSERT INTO transcript_segments_fts (transcript_segments_fts) VALUES ('rebuild')";
params! {
    /// No parameters.
    SEARCH_REBUILD_TRANSCRIPTS => SearchRebuildTranscripts {}
}

/// See [`SEARCH_REBUILD_TRANSCRIPTS`].
pub const SEARCH_REBUILD_MEETINGS: &str =
    "INSERT INTO meetings_fts (meetings_fts) VALUES ('rebuild')";
params! {
    /// No parameters.
    SEARCH_REBUILD_MEETINGS => SearchRebuildMeetings {}
}

/// See [`SEARCH_REBUILD_TRANSCRIPTS`].
pub const SEARCH_REBUILD_NOTES: &str =
    "INSERT INTO meeting_notes_fts (meeting_notes_fts) VALUES ('rebuild')";
params! {
    /// No parameters.
    SEARCH_REBUILD_NOTES => SearchRebuildNotes {}
}

/// See [`SEARCH_REBUILD_TRANSCRIPTS`].
pub const SEARCH_REBUILD_USERS: &str = "INSERT INTO profiles_fts (profiles_fts) VALUES ('rebuild')";
params! {
    /// No parameters.
    SEARCH_REBUILD_USERS => SearchRebuildUsers {}
}

/// Records a reindex run (S9).
///
/// Params: ?1 id, ?2 entity, ?3 requested_by, ?4 now_ms.
pub const SEARCH_INDEX_JOB_INSERT: &str = "\
INSERT INTO search_index_jobs (id, entity, requested_by, status, created_at, finished_at)
VALUES (?1, ?2, ?3, 'done', ?4, ?4)";
params! {
    /// Parameters of [`SEARCH_INDEX_JOB_INSERT`], `?1..?4` in order.
    SEARCH_INDEX_JOB_INSERT => SearchIndexJobInsert<'a> { id: &'a str, entity: &'a str, requested_by: &'a str, now_ms: i64 }
}
