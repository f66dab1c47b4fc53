//! `meeting_recordings`: files announced by Stream's `call.recording_ready`
//! and `call.transcription_ready` webhooks.

use crate::params;

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
params! {
    /// Parameters of [`RECORDING_INSERT`], `?1..?12` in order.
    RECORDING_INSERT => RecordingInsert<'a> { id: &'a str, meeting_id: &'a str, kind: &'a str, recording_type: Option<&'a str>, call_cid: Option<&'a str>, session_id: Option<&'a str>, egress_id: Option<&'a str>, filename: Option<&'a str>, url: Option<&'a str>, start_time_ms: Option<i64>, end_time_ms: Option<i64>, now_ms: i64 }
}

/// Params: ?1 id.
pub const RECORDING_GET: &str = "\
SELECT id, meeting_id, kind, recording_type, call_cid, session_id, egress_id, filename, url,
       start_time, end_time, created_at
FROM meeting_recordings WHERE id = ?1";
params! {
    /// Parameters of [`RECORDING_GET`], `?1..?1` in order.
    RECORDING_GET => RecordingGet<'a> { id: &'a str }
}

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
params! {
    /// Parameters of [`RECORDING_LIST_BY_MEETING`], `?1..?2` in order.
    RECORDING_LIST_BY_MEETING => RecordingListByMeeting<'a> { meeting_id: &'a str, limit: i64 }
}
