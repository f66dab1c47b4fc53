//! `meeting_recordings`: files announced by Stream's `call.recording_ready`
//! and `call.transcription_ready` webhooks.

use crate::params;

/// Record a file as one track of the meeting's newest recording job that
/// has started (recording, processing or completed: a transcription file may
/// follow the recording's completion). A redelivered webhook collides on
/// (meeting_id, kind, filename) and changes nothing.
///
/// Params: ?1 id, ?2 meeting_id, ?3 kind ('recording' | 'transcription'),
/// ?4 recording_type, ?5 call_cid, ?6 session_id, ?7 egress_id, ?8 filename, ?9 url,
/// ?10 start_time ms, ?11 end_time ms, ?12 now_ms, ?13 track, ?14 duration_ms.
pub const RECORDING_INSERT: &str = "\
INSERT INTO meeting_recordings (id, meeting_id, kind, recording_type, call_cid, session_id, egress_id,
                                filename, url, start_time, end_time, created_at, updated_at,
                                track, duration_ms, job_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14,
        (SELECT j.id FROM recording_jobs j
         WHERE j.meeting_id = ?2 AND j.status IN ('recording', 'processing', 'completed')
         ORDER BY j.created_at DESC, j.id DESC LIMIT 1))
ON CONFLICT (meeting_id, kind, filename) DO NOTHING";
params! {
    /// Parameters of [`RECORDING_INSERT`], `?1..?14` in order.
    RECORDING_INSERT => RecordingInsert<'a> { id: &'a str, meeting_id: &'a str, kind: &'a str, recording_type: Option<&'a str>, call_cid: Option<&'a str>, session_id: Option<&'a str>, egress_id: Option<&'a str>, filename: Option<&'a str>, url: Option<&'a str>, start_time_ms: Option<i64>, end_time_ms: Option<i64>, now_ms: i64, track: &'a str, duration_ms: Option<i64> }
}

/// Params: ?1 id.
pub const RECORDING_GET: &str = "\
SELECT id, meeting_id, kind, recording_type, call_cid, session_id, egress_id, filename, url,
       start_time, end_time, created_at, job_id, track, duration_ms, size_bytes
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
       start_time, end_time, created_at, job_id, track, duration_ms, size_bytes
FROM meeting_recordings
WHERE meeting_id = ?1
ORDER BY kind, filename
LIMIT ?2";
params! {
    /// Parameters of [`RECORDING_LIST_BY_MEETING`], `?1..?2` in order.
    RECORDING_LIST_BY_MEETING => RecordingListByMeeting<'a> { meeting_id: &'a str, limit: i64 }
}

/// A recording job's tracks (0016), recordings before transcriptions.
///
/// Params: ?1 job_id, ?2 limit.
pub const RECORDING_LIST_BY_JOB: &str = "\
SELECT id, meeting_id, kind, recording_type, call_cid, session_id, egress_id, filename, url,
       start_time, end_time, created_at, job_id, track, duration_ms, size_bytes
FROM meeting_recordings
WHERE job_id = ?1
ORDER BY kind, filename
LIMIT ?2";
params! {
    /// Parameters of [`RECORDING_LIST_BY_JOB`], `?1..?2` in order.
    RECORDING_LIST_BY_JOB => RecordingListByJob<'a> { job_id: &'a str, limit: i64 }
}

/// A file's size, once known (the probe after `call.recording_ready`);
/// never overwrites a known size.
///
/// Params: ?1 id, ?2 size_bytes, ?3 now_ms.
pub const RECORDING_SET_SIZE: &str = "\
UPDATE meeting_recordings SET size_bytes = ?2, updated_at = ?3
WHERE id = ?1 AND size_bytes IS NULL";
params! {
    /// Parameters of [`RECORDING_SET_SIZE`], `?1..?3` in order.
    RECORDING_SET_SIZE => RecordingSetSize<'a> { id: &'a str, size_bytes: i64, now_ms: i64 }
}

// --- recording jobs (0012) ----------------------------------------------------

/// Open a job in `pending`; collides with a live one (`changes() == 0`: a
/// recording is already running).
///
/// Params: ?1 id, ?2 meeting_id, ?3 call_cid, ?4 started_by, ?5 now_ms.
pub const RECORDING_JOB_CREATE: &str = "\
INSERT INTO recording_jobs (id, meeting_id, status, call_cid, started_by, created_at, updated_at)
VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?5)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`RECORDING_JOB_CREATE`], `?1..?5` in order.
    RECORDING_JOB_CREATE => RecordingJobCreate<'a> { id: &'a str, meeting_id: &'a str, call_cid: &'a str, started_by: Option<&'a str>, now_ms: i64 }
}

/// Move a job from `from` to `to` (guarded by `from`), keeping the provider
/// error and stamping the time column of the new status.
///
/// Params: ?1 id, ?2 from, ?3 to, ?4 error, ?5 now_ms.
pub const RECORDING_JOB_MOVE: &str = "\
UPDATE recording_jobs
SET status = ?3, error = coalesce(?4, error),
    started_at = CASE WHEN ?3 = 'recording' THEN ?5 ELSE started_at END,
    stopped_at = CASE WHEN ?3 = 'processing' THEN ?5 ELSE stopped_at END,
    completed_at = CASE WHEN ?3 IN ('completed', 'failed') THEN ?5 ELSE completed_at END,
    updated_at = ?5
WHERE id = ?1 AND status = ?2";
params! {
    /// Parameters of [`RECORDING_JOB_MOVE`], `?1..?5` in order.
    RECORDING_JOB_MOVE => RecordingJobMove<'a> { id: &'a str, from: &'a str, to: &'a str, error: Option<&'a str>, now_ms: i64 }
}

/// A meeting's jobs, newest first (`limit` 1: the newest, which is the
/// live one if any).
///
/// Params: ?1 meeting_id, ?2 limit.
pub const RECORDING_JOB_LIST: &str = "\
SELECT id, meeting_id, status, recording_type, call_cid, started_by, error,
       started_at, stopped_at, completed_at, created_at
FROM recording_jobs
WHERE meeting_id = ?1
ORDER BY created_at DESC, id DESC
LIMIT ?2";
params! {
    /// Parameters of [`RECORDING_JOB_LIST`], `?1..?2` in order.
    RECORDING_JOB_LIST => RecordingJobList<'a> { meeting_id: &'a str, limit: i64 }
}

/// `call.recording_ready`: the meeting's recording or processing jobs are
/// complete (F7: files may overtake the stop). A redelivery changes nothing.
///
/// Params: ?1 meeting_id, ?2 now_ms.
pub const RECORDING_JOB_FILES_READY: &str = "\
UPDATE recording_jobs
SET status = 'completed', completed_at = ?2, updated_at = ?2,
    stopped_at = coalesce(stopped_at, ?2)
WHERE meeting_id = ?1 AND status IN ('recording', 'processing')";
params! {
    /// Parameters of [`RECORDING_JOB_FILES_READY`], `?1..?2` in order.
    RECORDING_JOB_FILES_READY => RecordingJobFilesReady<'a> { meeting_id: &'a str, now_ms: i64 }
}

/// One job.
///
/// Params: ?1 id.
pub const RECORDING_JOB_GET: &str = "\
SELECT id, meeting_id, status, recording_type, call_cid, started_by, error,
       started_at, stopped_at, completed_at, created_at
FROM recording_jobs WHERE id = ?1";
params! {
    /// Parameters of [`RECORDING_JOB_GET`], `?1..?1` in order.
    RECORDING_JOB_GET => RecordingJobGet<'a> { id: &'a str }
}

/// A start that was refused before anything was asked of Stream (the
/// automatic start of a `recording_enabled` meeting, F22): recorded as a
/// `failed` job with the reason, so members see why nothing is recording.
///
/// Params: ?1 id, ?2 meeting_id, ?3 call_cid ('' when no call is provisioned),
/// ?4 error, ?5 now_ms.
pub const RECORDING_JOB_REFUSED: &str = "\
INSERT INTO recording_jobs (id, meeting_id, status, call_cid, started_by, error,
                            completed_at, created_at, updated_at)
VALUES (?1, ?2, 'failed', ?3, NULL, ?4, ?5, ?5, ?5)";
params! {
    /// Parameters of [`RECORDING_JOB_REFUSED`], `?1..?5` in order.
    RECORDING_JOB_REFUSED => RecordingJobRefused<'a> { id: &'a str, meeting_id: &'a str, call_cid: &'a str, error: &'a str, now_ms: i64 }
}

/// `call.recording_failed` / `call.transcription_failed`: the meeting's
/// unfinished jobs fail with the provider's error (F9: a redelivery finds
/// none unfinished and changes nothing).
///
/// Params: ?1 meeting_id, ?2 error, ?3 now_ms.
pub const RECORDING_JOB_PROVIDER_FAILED: &str = "\
UPDATE recording_jobs
SET status = 'failed', error = ?2, completed_at = ?3, updated_at = ?3
WHERE meeting_id = ?1 AND status IN ('pending', 'recording', 'processing')";
params! {
    /// Parameters of [`RECORDING_JOB_PROVIDER_FAILED`], `?1..?3` in order.
    RECORDING_JOB_PROVIDER_FAILED => RecordingJobProviderFailed<'a> { meeting_id: &'a str, error: &'a str, now_ms: i64 }
}
