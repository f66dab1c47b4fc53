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

/// Who may read a meeting in search (S10, S14), part of every statement
/// below, never a post-filter: a member of the meeting (`mp.user_id = ?`),
/// or, when the caller is an org admin who asked for `scope=org`, any
/// meeting of their organisation (the admin-org parameter; NULL otherwise,
/// and `m.org_id = NULL` is never true).
///
/// Transcript hits (S8, S12) in the meetings the caller may read: the
/// aggregated segments, and the live transcript's final chunks of meetings
/// whose segments are not built yet (so a meeting's words come from one of
/// the two, never both). Optional filters: meeting, speaker, language (the
/// chunk's own, else the meeting's; `en` matches `en-us`). Each hit has
/// its source, a highlighted snippet, the text as context and its time
/// offset. Bounded offset pagination (S7).
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 admin org or NULL, ?4 meeting_id
/// or NULL, ?5 speaker_id or NULL, ?6 language or NULL, ?7 limit, ?8 offset.
pub const SEARCH_TRANSCRIPTS: &str = "\
SELECT * FROM (
SELECT 'segment' AS source, s.id, NULL AS seq, s.meeting_id, m.title AS meeting_title, s.speaker_id,
       s.start_ms, s.end_ms, s.text, m.language,
       snippet(transcript_segments_fts, 0, '<mark>', '</mark>', '…', 16) AS snippet,
       bm25(transcript_segments_fts) AS score, s.segment_no AS ord
FROM transcript_segments_fts
JOIN transcript_segments s ON s.segment_no = transcript_segments_fts.rowid
JOIN meetings m ON m.id = s.meeting_id
WHERE transcript_segments_fts MATCH ?1
  AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3)
  AND (?4 IS NULL OR s.meeting_id = ?4)
  AND (?5 IS NULL OR s.speaker_id = ?5)
  AND (?6 IS NULL OR m.language = ?6 OR m.language LIKE ?6 || '-%')
UNION ALL
SELECT 'live', NULL, t.seq, t.meeting_id, m.title, t.speaker_id,
       t.start_ms, t.end_ms, t.text, coalesce(lower(t.language), m.language),
       snippet(transcripts_fts, 0, '<mark>', '</mark>', '…', 16),
       bm25(transcripts_fts), t.rowid
FROM transcripts_fts
JOIN transcripts t ON t.rowid = transcripts_fts.rowid
JOIN meetings m ON m.id = t.meeting_id
WHERE transcripts_fts MATCH ?1
  AND t.kind = 'final'
  AND NOT EXISTS (SELECT 1 FROM transcript_segments s2 WHERE s2.meeting_id = t.meeting_id)
  AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3)
  AND (?4 IS NULL OR t.meeting_id = ?4)
  AND (?5 IS NULL OR t.speaker_id = ?5)
  AND (?6 IS NULL OR coalesce(lower(t.language), m.language) = ?6
       OR coalesce(lower(t.language), m.language) LIKE ?6 || '-%')
)
ORDER BY score, source, ord
LIMIT ?7 OFFSET ?8";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPTS`], `?1..?8` in order.
    SEARCH_TRANSCRIPTS => SearchTranscripts<'a> { fts5_query: &'a str, user_id: &'a str, admin_org: Option<&'a str>, meeting_id: Option<&'a str>, speaker_id: Option<&'a str>, language: Option<&'a str>, limit: i64, offset: i64 }
}

/// How many transcript hits [`SEARCH_TRANSCRIPTS`] has without filters
/// (the same access rule and the same segments-or-live choice).
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 admin org or NULL.
pub const SEARCH_TRANSCRIPTS_COUNT: &str = "\
SELECT (SELECT count(*)
        FROM transcript_segments_fts
        JOIN transcript_segments s ON s.segment_no = transcript_segments_fts.rowid
        JOIN meetings m ON m.id = s.meeting_id
        WHERE transcript_segments_fts MATCH ?1
          AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3))
     + (SELECT count(*)
        FROM transcripts_fts
        JOIN transcripts t ON t.rowid = transcripts_fts.rowid
        JOIN meetings m ON m.id = t.meeting_id
        WHERE transcripts_fts MATCH ?1
          AND t.kind = 'final'
          AND NOT EXISTS (SELECT 1 FROM transcript_segments s2 WHERE s2.meeting_id = t.meeting_id)
          AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3)) AS n";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPTS_COUNT`], `?1..?3` in order.
    SEARCH_TRANSCRIPTS_COUNT => SearchTranscriptsCount<'a> { fts5_query: &'a str, user_id: &'a str, admin_org: Option<&'a str> }
}

/// Meetings matching a query (title, description, the host's and the
/// members' names: S11) among those the caller may read (S10, S14), with
/// optional state, host, language (S13) and date-range filters; title and
/// description highlighted, the names' snippet.
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 admin org or NULL, ?4 state or
/// NULL, ?5 host (organizer) or NULL, ?6 language or NULL, ?7 from
/// (scheduled_at >=) or NULL, ?8 to (scheduled_at <) or NULL, ?9 limit,
/// ?10 offset.
pub const SEARCH_MEETINGS: &str = "\
SELECT m.id, m.title, m.state, m.organizer_id, m.scheduled_at, m.participant_count, m.language,
       highlight(meetings_fts, 0, '<mark>', '</mark>') AS title_highlight,
       snippet(meetings_fts, 1, '<mark>', '</mark>', '…', 16) AS description_snippet,
       highlight(meetings_fts, 2, '<mark>', '</mark>') AS host_highlight,
       snippet(meetings_fts, 3, '<mark>', '</mark>', '…', 8) AS participants_snippet,
       bm25(meetings_fts) AS score
FROM meetings_fts
JOIN meetings m ON m.rowid = meetings_fts.rowid
WHERE meetings_fts MATCH ?1
  AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3)
  AND (?4 IS NULL OR m.state = ?4)
  AND (?5 IS NULL OR m.organizer_id = ?5)
  AND (?6 IS NULL OR m.language = ?6 OR m.language LIKE ?6 || '-%')
  AND (?7 IS NULL OR m.scheduled_at >= ?7)
  AND (?8 IS NULL OR m.scheduled_at < ?8)
ORDER BY score, m.id
LIMIT ?9 OFFSET ?10";
params! {
    /// Parameters of [`SEARCH_MEETINGS`], `?1..?10` in order.
    SEARCH_MEETINGS => SearchMeetings<'a> { fts5_query: &'a str, user_id: &'a str, admin_org: Option<&'a str>, state: Option<&'a str>, host_id: Option<&'a str>, language: Option<&'a str>, from_ms: Option<i64>, to_ms: Option<i64>, limit: i64, offset: i64 }
}

/// Matching meetings per state among those the caller may read (the
/// facet, S10, S14).
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 admin org or NULL.
pub const SEARCH_MEETINGS_FACETS: &str = "\
SELECT m.state, count(*) AS n
FROM meetings_fts
JOIN meetings m ON m.rowid = meetings_fts.rowid
WHERE meetings_fts MATCH ?1
  AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3)
GROUP BY m.state";
params! {
    /// Parameters of [`SEARCH_MEETINGS_FACETS`], `?1..?3` in order.
    SEARCH_MEETINGS_FACETS => SearchMeetingsFacets<'a> { fts5_query: &'a str, user_id: &'a str, admin_org: Option<&'a str> }
}

/// Active people of the caller's organisation (S10) whose profile matches.
/// Their email only when the caller is an org admin (?5 = 1, S14).
///
/// Params: ?1 FTS5 query, ?2 org_id, ?3 limit, ?4 offset, ?5 show_email.
pub const SEARCH_USERS: &str = "\
SELECT p.user_id, p.display_name, p.headline,
       CASE WHEN ?5 THEN u.email END AS email,
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
    /// Parameters of [`SEARCH_USERS`], `?1..?5` in order.
    SEARCH_USERS => SearchUsers<'a> { fts5_query: &'a str, org_id: &'a str, limit: i64, offset: i64, show_email: bool }
}

/// Org admins only (S14): active people of the organisation whose email
/// contains the text (lowercased), first page only. The organisation's
/// members are read through `users_org_active`; the email is not in any
/// index, so members' search never sees it.
///
/// Params: ?1 org_id, ?2 text (lowercase), ?3 limit.
pub const SEARCH_USERS_BY_EMAIL: &str = "\
SELECT u.id AS user_id, coalesce(p.display_name, u.display_name) AS display_name, p.headline, u.email
FROM users u
LEFT JOIN profiles p ON p.user_id = u.id
WHERE u.org_id = ?1 AND u.is_active = 1 AND u.deleted_at IS NULL
  AND instr(lower(u.email), ?2) > 0
ORDER BY u.id
LIMIT ?3";
params! {
    /// Parameters of [`SEARCH_USERS_BY_EMAIL`], `?1..?3` in order.
    SEARCH_USERS_BY_EMAIL => SearchUsersByEmail<'a> { org_id: &'a str, text: &'a str, limit: i64 }
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

/// How many notes match in the meetings the caller may read (S10, S14).
///
/// Params: ?1 FTS5 query, ?2 user_id, ?3 admin org or NULL.
pub const SEARCH_NOTES_COUNT: &str = "\
SELECT count(*) AS n
FROM meeting_notes_fts
JOIN meeting_notes n ON n.doc_id = meeting_notes_fts.rowid
JOIN meetings m ON m.id = n.meeting_id
WHERE meeting_notes_fts MATCH ?1
  AND (EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ?2) OR m.org_id = ?3)";
params! {
    /// Parameters of [`SEARCH_NOTES_COUNT`], `?1..?3` in order.
    SEARCH_NOTES_COUNT => SearchNotesCount<'a> { fts5_query: &'a str, user_id: &'a str, admin_org: Option<&'a str> }
}

/// Indexed transcript terms (segments and live chunks) starting with `?1`
/// (the first letter of a word), of length `?3..=?4`, most frequent first:
/// the candidates of the typo rewrite (S4). Terms only: results still go
/// through the ACL.
///
/// Params: ?1 from (inclusive), ?2 to (exclusive), ?3 min length, ?4 max length.
pub const SEARCH_TRANSCRIPT_VOCAB: &str = "\
SELECT term FROM (
  SELECT term, doc FROM transcript_vocab
  WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 AND ?4
  UNION ALL
  SELECT term, doc FROM transcript_chunks_vocab
  WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 AND ?4
)
ORDER BY doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPT_VOCAB`], `?1..?4` in order.
    SEARCH_TRANSCRIPT_VOCAB => SearchTranscriptVocab<'a> { from: &'a str, to: &'a str, min_len: i64, max_len: i64 }
}

/// As [`SEARCH_TRANSCRIPT_VOCAB`], over meeting titles, descriptions and names.
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

/// Which of the given terms (a JSON array: the first-letter typo
/// candidates, S15) are indexed in the transcripts (segments or live),
/// most frequent first. One seek per candidate (`term = ?`).
///
/// Params: ?1 JSON array of terms.
pub const SEARCH_TRANSCRIPT_TERMS: &str = "\
SELECT term FROM (
  SELECT v.term, v.doc FROM json_each(?1) j JOIN transcript_vocab v ON v.term = j.value
  UNION ALL
  SELECT v.term, v.doc FROM json_each(?1) j JOIN transcript_chunks_vocab v ON v.term = j.value
)
ORDER BY doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_TRANSCRIPT_TERMS`], `?1`.
    SEARCH_TRANSCRIPT_TERMS => SearchTranscriptTerms<'a> { terms_json: &'a str }
}

/// As [`SEARCH_TRANSCRIPT_TERMS`], over meetings.
///
/// Params: ?1 JSON array of terms.
pub const SEARCH_MEETINGS_TERMS: &str = "\
SELECT v.term FROM json_each(?1) j JOIN meetings_vocab v ON v.term = j.value
ORDER BY v.doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_MEETINGS_TERMS`], `?1`.
    SEARCH_MEETINGS_TERMS => SearchMeetingsTerms<'a> { terms_json: &'a str }
}

/// As [`SEARCH_TRANSCRIPT_TERMS`], over profiles.
///
/// Params: ?1 JSON array of terms.
pub const SEARCH_PROFILES_TERMS: &str = "\
SELECT v.term FROM json_each(?1) j JOIN profiles_vocab v ON v.term = j.value
ORDER BY v.doc DESC LIMIT 200";
params! {
    /// Parameters of [`SEARCH_PROFILES_TERMS`], `?1`.
    SEARCH_PROFILES_TERMS => SearchProfilesTerms<'a> { terms_json: &'a str }
}

/// Rebuilds one index from its content table (S9, the admin reindex).
pub const SEARCH_REBUILD_TRANSCRIPTS: &str =
    "INSERT INTO transcript_segments_fts (transcript_segments_fts) VALUES ('rebuild')";
params! {
    /// No parameters.
    SEARCH_REBUILD_TRANSCRIPTS => SearchRebuildTranscripts {}
}

/// The meetings index keeps its own copy of its documents (S11), so it is
/// rebuilt by rowid range: one range's documents dropped, then refilled
/// from `meeting_search_docs` (the reindex walks the ranges up to
/// [`SEARCH_MEETINGS_MAX_ROWID`]).
///
/// Params: ?1 after (exclusive rowid), ?2 last (inclusive rowid).
pub const SEARCH_REBUILD_MEETINGS_CLEAR: &str =
    "DELETE FROM meetings_fts WHERE rowid > ?1 AND rowid <= ?2";
params! {
    /// Parameters of [`SEARCH_REBUILD_MEETINGS_CLEAR`], `?1..?2` in order.
    SEARCH_REBUILD_MEETINGS_CLEAR => SearchRebuildMeetingsClear { after: i64, last: i64 }
}

/// See [`SEARCH_REBUILD_MEETINGS_CLEAR`].
///
/// Params: ?1 after (exclusive rowid), ?2 last (inclusive rowid).
pub const SEARCH_REBUILD_MEETINGS_FILL: &str = "\
INSERT INTO meetings_fts (rowid, title, description, host, participants)
SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs
WHERE doc_rowid > ?1 AND doc_rowid <= ?2";
params! {
    /// Parameters of [`SEARCH_REBUILD_MEETINGS_FILL`], `?1..?2` in order.
    SEARCH_REBUILD_MEETINGS_FILL => SearchRebuildMeetingsFill { after: i64, last: i64 }
}

/// The highest meeting rowid: the end of the reindex's ranges.
pub const SEARCH_MEETINGS_MAX_ROWID: &str =
    "SELECT coalesce((SELECT max(rowid) FROM meetings), 0) AS n";
params! {
    /// No parameters.
    SEARCH_MEETINGS_MAX_ROWID => SearchMeetingsMaxRowid {}
}

/// The live transcript's index (S12), rebuilt with the segments'.
pub const SEARCH_REBUILD_TRANSCRIPT_CHUNKS: &str =
    "INSERT INTO transcripts_fts (transcripts_fts) VALUES ('rebuild')";
params! {
    /// No parameters.
    SEARCH_REBUILD_TRANSCRIPT_CHUNKS => SearchRebuildTranscriptChunks {}
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
