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
