//! `meetings`: metadata, lifecycle transitions and Stream call provisioning.
//!
//! Every statement that reads a whole meeting returns the columns of
//! `meeting_columns!`, in that order, so one row decoder serves them all.

use crate::params;

/// The column list every meeting read returns (prefixed with `m.`).
macro_rules! meeting_columns {
    () => {
        "m.id, m.organizer_id, m.org_id, m.title, m.description, m.scheduled_at, m.duration_ms, \
         m.state, m.started_at, m.concluded_at, m.cancelled_at, m.participant_count, \
         m.recording_enabled, m.transcription_enabled, m.stream_call_type, m.stream_call_id, \
         m.stream_call_cid, m.provisioning_status, m.provisioning_error, m.provisioning_attempts, \
         m.provisioned_at, m.version, m.created_at, m.updated_at"
    };
}

/// Create a meeting in state `scheduled`, provisioning `pending`. Batch it with
/// one `PARTICIPANT_INSERT` per member (the organizer as `host`); the
/// participant triggers keep `participant_count`.
///
/// Params: ?1 id, ?2 organizer_id, ?3 org_id, ?4 title, ?5 description, ?6 scheduled_at,
/// ?7 duration_ms, ?8 recording_enabled (0/1), ?9 transcription_enabled (0/1), ?10 now_ms.
pub const MEETING_INSERT: &str = "\
INSERT INTO meetings (id, organizer_id, org_id, title, description, scheduled_at, duration_ms,
                      recording_enabled, transcription_enabled, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)";
params! {
    /// Parameters of [`MEETING_INSERT`], `?1..?10` in order.
    MEETING_INSERT => MeetingInsert<'a> { id: &'a str, organizer_id: &'a str, org_id: Option<&'a str>, title: &'a str, description: Option<&'a str>, scheduled_at: i64, duration_ms: i64, recording_enabled: bool, transcription_enabled: bool, now_ms: i64 }
}

/// Params: ?1 id.
pub const MEETING_GET: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings m WHERE m.id = ?1"
);
params! {
    /// Parameters of [`MEETING_GET`], `?1..?1` in order.
    MEETING_GET => MeetingGet<'a> { id: &'a str }
}

/// Route a Stream webhook (`call_cid`) to its meeting.
///
/// Params: ?1 call cid ("<type>:<id>").
pub const MEETING_GET_BY_STREAM_CID: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings m WHERE m.stream_call_cid = ?1"
);
params! {
    /// Parameters of [`MEETING_GET_BY_STREAM_CID`], `?1..?1` in order.
    MEETING_GET_BY_STREAM_CID => MeetingGetByStreamCid<'a> { call_cid: Option<&'a str> }
}

/// The caller's meetings, oldest first (upcoming view). Keyset on
/// (scheduled_at, id): first page ?3 = from_ms, ?4 = '' (so `scheduled_at >= from`);
/// next pages pass the last row's (scheduled_at, id). ?5 is the exclusive upper bound.
///
/// Params: ?1 user_id, ?2 state filter (NULL = any), ?3 after scheduled_at,
/// ?4 after id, ?5 to_ms (exclusive), ?6 limit.
pub const MEETING_LIST_FOR_USER_ASC: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", mp.role, mp.presence \
     FROM meeting_participants mp \
     JOIN meetings m ON m.id = mp.meeting_id \
     WHERE mp.user_id = ?1 \
       AND (?2 IS NULL OR m.state = ?2) \
       AND (m.scheduled_at, m.id) > (?3, ?4) \
       AND m.scheduled_at < ?5 \
     ORDER BY m.scheduled_at, m.id \
     LIMIT ?6"
);
params! {
    /// Parameters of [`MEETING_LIST_FOR_USER_ASC`], `?1..?6` in order.
    MEETING_LIST_FOR_USER_ASC => MeetingListForUserAsc<'a> { user_id: &'a str, state_filter: Option<&'a str>, after_scheduled_at: i64, after_id: &'a str, to_ms: i64, limit: i64 }
}

/// The caller's meetings, newest first (history view). Keyset on
/// (scheduled_at, id): first page ?3 = to_ms (exclusive), ?4 = ''; next pages
/// pass the last row's (scheduled_at, id). ?5 is the inclusive lower bound.
///
/// Params: ?1 user_id, ?2 state filter (NULL = any), ?3 before scheduled_at,
/// ?4 before id, ?5 from_ms (inclusive), ?6 limit.
pub const MEETING_LIST_FOR_USER_DESC: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", mp.role, mp.presence \
     FROM meeting_participants mp \
     JOIN meetings m ON m.id = mp.meeting_id \
     WHERE mp.user_id = ?1 \
       AND (?2 IS NULL OR m.state = ?2) \
       AND (m.scheduled_at, m.id) < (?3, ?4) \
       AND m.scheduled_at >= ?5 \
     ORDER BY m.scheduled_at DESC, m.id DESC \
     LIMIT ?6"
);
params! {
    /// Parameters of [`MEETING_LIST_FOR_USER_DESC`], `?1..?6` in order.
    MEETING_LIST_FOR_USER_DESC => MeetingListForUserDesc<'a> { user_id: &'a str, state_filter: Option<&'a str>, before_scheduled_at: i64, before_id: &'a str, from_ms: i64, limit: i64 }
}

/// An org's meetings, newest first (admin). Cursor as in [`MEETING_LIST_FOR_USER_DESC`].
///
/// Params: ?1 org_id, ?2 before scheduled_at, ?3 before id, ?4 limit.
pub const MEETING_LIST_BY_ORG: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings m \
     WHERE m.org_id = ?1 AND (m.scheduled_at, m.id) < (?2, ?3) \
     ORDER BY m.scheduled_at DESC, m.id DESC \
     LIMIT ?4"
);
params! {
    /// Parameters of [`MEETING_LIST_BY_ORG`], `?1..?4` in order.
    MEETING_LIST_BY_ORG => MeetingListByOrg<'a> { org_id: Option<&'a str>, before_scheduled_at: i64, before_id: &'a str, limit: i64 }
}

/// Meetings in a state whose planned start falls in a window, soonest first
/// (cron: reminders, pre-provisioning, pre-call generation, stale-active sweep).
///
/// Params: ?1 state, ?2 from_ms (inclusive), ?3 to_ms (exclusive), ?4 limit.
pub const MEETING_LIST_BY_STATE_SCHEDULED: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings m \
     WHERE m.state = ?1 AND m.scheduled_at >= ?2 AND m.scheduled_at < ?3 \
     ORDER BY m.scheduled_at, m.id \
     LIMIT ?4"
);
params! {
    /// Parameters of [`MEETING_LIST_BY_STATE_SCHEDULED`], `?1..?4` in order.
    MEETING_LIST_BY_STATE_SCHEDULED => MeetingListByStateScheduled<'a> { state: &'a str, from_ms: i64, to_ms: i64, limit: i64 }
}

/// Replace the editable fields, guarded by the version the caller read
/// (optimistic concurrency) and refused once the meeting is over. No row
/// returned = conflict (re-read and retry) or not editable.
///
/// Params: ?1 id, ?2 expected version, ?3 title, ?4 description, ?5 scheduled_at,
/// ?6 duration_ms, ?7 recording_enabled, ?8 transcription_enabled, ?9 now_ms.
/// Returns: the new `version`.
pub const MEETING_UPDATE_DETAILS: &str = "\
UPDATE meetings
SET title = ?3, description = ?4, scheduled_at = ?5, duration_ms = ?6,
    recording_enabled = ?7, transcription_enabled = ?8,
    version = version + 1, updated_at = ?9
WHERE id = ?1 AND version = ?2 AND state IN ('scheduled', 'active')
RETURNING version";
params! {
    /// Parameters of [`MEETING_UPDATE_DETAILS`], `?1..?9` in order.
    MEETING_UPDATE_DETAILS => MeetingUpdateDetails<'a> { id: &'a str, expected_version: i64, title: &'a str, description: Option<&'a str>, scheduled_at: i64, duration_ms: Option<i64>, recording_enabled: bool, transcription_enabled: bool, now_ms: i64 }
}

/// Move a meeting from the state the caller saw to the next one, stamping
/// `started_at` / `concluded_at` / `cancelled_at`. The caller checks that the
/// transition is legal (shared core); the guard makes racing transitions safe:
/// no row returned = the state moved meanwhile (CONFLICT) or no such meeting.
///
/// Params: ?1 id, ?2 expected state, ?3 new state, ?4 now_ms.
/// Returns: `version`, `state`.
pub const MEETING_TRANSITION_STATE: &str = "\
UPDATE meetings
SET state = ?3,
    started_at = CASE WHEN ?3 = 'active' THEN coalesce(started_at, ?4) ELSE started_at END,
    concluded_at = CASE WHEN ?3 = 'concluded' THEN ?4 ELSE concluded_at END,
    cancelled_at = CASE WHEN ?3 = 'cancelled' THEN ?4 ELSE cancelled_at END,
    version = version + 1,
    updated_at = ?4
WHERE id = ?1 AND state = ?2
RETURNING version, state";
params! {
    /// Parameters of [`MEETING_TRANSITION_STATE`], `?1..?4` in order.
    MEETING_TRANSITION_STATE => MeetingTransitionState<'a> { id: &'a str, expected_state: &'a str, new_state: &'a str, now_ms: i64 }
}

/// Claim the provisioning job: `pending`/`failed` -> `provisioning`, counting the
/// attempt and recording the call id/type/cid the job will create. Ids already
/// recorded by an earlier attempt are kept (Stream's create call is
/// get-or-create, so a retry reuses the same call); read them back with
/// `MEETING_GET`. A claim left in `provisioning` by a job that died is taken
/// over once it is older than the lease (`updated_at < ?6`).
/// `changes() == 0`: another live job holds it, or it is already `ready`.
///
/// Params: ?1 id, ?2 call type, ?3 call id, ?4 call cid ("<type>:<id>"), ?5 now_ms,
/// ?6 lease cutoff ms (now_ms minus the lease).
pub const MEETING_PROVISIONING_CLAIM: &str = "\
UPDATE meetings
SET provisioning_status = 'provisioning',
    provisioning_attempts = provisioning_attempts + 1,
    stream_call_type = coalesce(stream_call_type, ?2),
    stream_call_id = coalesce(stream_call_id, ?3),
    stream_call_cid = coalesce(stream_call_cid, ?4),
    updated_at = ?5
WHERE id = ?1
  AND (provisioning_status IN ('pending', 'failed')
       OR (provisioning_status = 'provisioning' AND updated_at < ?6))";
params! {
    /// Parameters of [`MEETING_PROVISIONING_CLAIM`], `?1..?6` in order.
    MEETING_PROVISIONING_CLAIM => MeetingProvisioningClaim<'a> { id: &'a str, call_type: &'a str, call_id: &'a str, call_cid: Option<&'a str>, now_ms: i64, lease_cutoff_ms: i64 }
}

/// The provider answered: `provisioning` -> `ready`.
///
/// Params: ?1 id, ?2 now_ms.
pub const MEETING_PROVISIONING_READY: &str = "\
UPDATE meetings
SET provisioning_status = 'ready', provisioning_error = NULL, provisioned_at = ?2, updated_at = ?2
WHERE id = ?1 AND provisioning_status = 'provisioning'";
params! {
    /// Parameters of [`MEETING_PROVISIONING_READY`], `?1..?2` in order.
    MEETING_PROVISIONING_READY => MeetingProvisioningReady<'a> { id: &'a str, now_ms: i64 }
}

/// The provider failed: `provisioning` -> `failed`, keeping its error.
///
/// Params: ?1 id, ?2 error (text/JSON), ?3 now_ms.
pub const MEETING_PROVISIONING_FAILED: &str = "\
UPDATE meetings
SET provisioning_status = 'failed', provisioning_error = ?2, updated_at = ?3
WHERE id = ?1 AND provisioning_status = 'provisioning'";
params! {
    /// Parameters of [`MEETING_PROVISIONING_FAILED`], `?1..?3` in order.
    MEETING_PROVISIONING_FAILED => MeetingProvisioningFailed<'a> { id: &'a str, error: Option<&'a str>, now_ms: i64 }
}

/// A transient failure (5xx, 429, timeout) that will be retried:
/// `provisioning` -> `pending`, keeping the error so callers see why it waits.
///
/// Params: ?1 id, ?2 error (text/JSON), ?3 now_ms.
pub const MEETING_PROVISIONING_RETRY: &str = "\
UPDATE meetings
SET provisioning_status = 'pending', provisioning_error = ?2, updated_at = ?3
WHERE id = ?1 AND provisioning_status = 'provisioning'";
params! {
    /// Parameters of [`MEETING_PROVISIONING_RETRY`], `?1..?3` in order.
    MEETING_PROVISIONING_RETRY => MeetingProvisioningRetry<'a> { id: &'a str, error: Option<&'a str>, now_ms: i64 }
}

/// Provisioning rows not touched since a cutoff (a crashed job, or a failure to
/// retry), oldest first.
///
/// Params: ?1 status ('pending' | 'provisioning' | 'failed'), ?2 updated before ms, ?3 limit.
pub const MEETING_PROVISIONING_STALE: &str = "\
SELECT id, provisioning_status, provisioning_attempts, provisioning_error, updated_at
FROM meetings
WHERE provisioning_status = ?1 AND updated_at < ?2
ORDER BY updated_at
LIMIT ?3";
params! {
    /// Parameters of [`MEETING_PROVISIONING_STALE`], `?1..?3` in order.
    MEETING_PROVISIONING_STALE => MeetingProvisioningStale<'a> { status: &'a str, updated_before_ms: i64, limit: i64 }
}

/// Recompute `participant_count` from the membership rows (repair; the
/// triggers normally keep it exact).
///
/// Params: ?1 id.
pub const MEETING_REFRESH_PARTICIPANT_COUNT: &str = "\
UPDATE meetings
SET participant_count = (SELECT count(*) FROM meeting_participants WHERE meeting_id = ?1)
WHERE id = ?1";
params! {
    /// Parameters of [`MEETING_REFRESH_PARTICIPANT_COUNT`], `?1..?1` in order.
    MEETING_REFRESH_PARTICIPANT_COUNT => MeetingRefreshParticipantCount<'a> { id: &'a str }
}

/// Delete a meeting and everything that hangs off it (participants, state,
/// notes, ops, transcripts, segments, messages, prompts, insights, recordings,
/// search index rows, embeddings).
///
/// Params: ?1 id.
pub const MEETING_DELETE: &str = "DELETE FROM meetings WHERE id = ?1";
params! {
    /// Parameters of [`MEETING_DELETE`], `?1..?1` in order.
    MEETING_DELETE => MeetingDelete<'a> { id: &'a str }
}
