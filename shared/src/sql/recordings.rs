//! `meeting_recordings`: files announced by Stream's `call.recording_ready`
//! and `call.transcription_ready` webhooks.

/// Record a file. A redelivered webhook collides on (meeting_id, kind, filename)
/// and changes nothing.
///
/// Params: ?1 id, ?2 meeting_id, ?3 kind ('recording' | 'transcription'),
/// ?4 recording_type, ?5 call_cid, ?6 session_id, ?7 egress_id, ?8 filename, ?9 url,
/// ?10 start_time ms, ?11 end_time ms, ?12 now_ms.
pub const RECORDING_INSERT: &str = "\
INSERT INTO meeting_recordings (id, meeting_id, kind, recording_type, call_cid, session_id, egress_id,
                                filename, url, start_time, end_time, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
ON CONFLICT (meeting_id, kind, filename) DO NOTHING";

/// Params: ?1 id.
pub const RECORDING_GET: &str = "\
SELECT id, meeting_id, kind, recording_type, call_cid, session_id, egress_id, filename, url,
       start_time, end_time, created_at
FROM meeting_recordings WHERE id = ?1";

/// A meeting's files, recordings before transcriptions.
///
/// Params: ?1 meeting_id, ?2 limit.
pub const RECORDING_LIST_BY_MEETING: &str = "\
SELECT id, meeting_id, kind, recording_type, call_cid, session_id, egress_id, filename, url,
       start_time, end_time, created_at
FROM meeting_recordings
WHERE meeting_id = ?1
ORDER BY kind, filename
LIMIT ?2";
