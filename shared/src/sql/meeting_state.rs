//! `meeting_state`: the derived state of a live meeting. Three writers own
//! disjoint columns, so each has its own upsert and none clobbers another.

use crate::params;

/// Params: ?1 meeting_id.
pub const MEETING_STATE_GET: &str = "\
SELECT meeting_id, active, started_at, ended_at, stream_session_id, recording_active,
       transcription_active, speaking_stats, lull_state, topics, last_event_at, updated_at
FROM meeting_state WHERE meeting_id = ?1";
params! {
    /// Parameters of [`MEETING_STATE_GET`], `?1..?1` in order.
    MEETING_STATE_GET => MeetingStateGet<'a> { meeting_id: &'a str }
}

/// Session activity from Stream (`call.session_started`, `call.session_ended`,
/// `call.ended`) or the room. Ignored when older than the newest event applied.
/// `started_at` keeps the first start; `ended_at` is cleared by a new start.
///
/// Params: ?1 meeting_id, ?2 active (0/1), ?3 started_at, ?4 ended_at,
/// ?5 stream session id, ?6 event time ms, ?7 now_ms.
pub const MEETING_STATE_UPSERT_ACTIVITY: &str = "\
INSERT INTO meeting_state (meeting_id, active, started_at, ended_at, stream_session_id, last_event_at,
                           created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
ON CONFLICT (meeting_id) DO UPDATE SET
  active = excluded.active,
  started_at = coalesce(meeting_state.started_at, excluded.started_at),
  ended_at = excluded.ended_at,
  stream_session_id = coalesce(excluded.stream_session_id, meeting_state.stream_session_id),
  last_event_at = excluded.last_event_at,
  updated_at = excluded.updated_at
WHERE meeting_state.last_event_at IS NULL OR meeting_state.last_event_at <= excluded.last_event_at";
params! {
    /// Parameters of [`MEETING_STATE_UPSERT_ACTIVITY`], `?1..?7` in order.
    MEETING_STATE_UPSERT_ACTIVITY => MeetingStateUpsertActivity<'a> { meeting_id: &'a str, active: bool, started_at: Option<i64>, ended_at: Option<i64>, stream_session_id: Option<&'a str>, event_time_ms: i64, now_ms: i64 }
}

/// Recording / transcription flags (Stream `call.recording_*`,
/// `call.transcription_*`). NULL keeps a flag as it is.
///
/// Params: ?1 meeting_id, ?2 recording_active (0/1/NULL), ?3 transcription_active (0/1/NULL), ?4 now_ms.
pub const MEETING_STATE_UPSERT_RECORDING: &str = "\
INSERT INTO meeting_state (meeting_id, recording_active, transcription_active, created_at, updated_at)
VALUES (?1, coalesce(?2, 0), coalesce(?3, 0), ?4, ?4)
ON CONFLICT (meeting_id) DO UPDATE SET
  recording_active = coalesce(?2, meeting_state.recording_active),
  transcription_active = coalesce(?3, meeting_state.transcription_active),
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`MEETING_STATE_UPSERT_RECORDING`], `?1..?4` in order.
    MEETING_STATE_UPSERT_RECORDING => MeetingStateUpsertRecording<'a> { meeting_id: &'a str, recording_active: Option<bool>, transcription_active: Option<bool>, now_ms: i64 }
}

/// The room's engagement tracker: speaking stats, lull detector, topics (all JSON).
///
/// Params: ?1 meeting_id, ?2 speaking_stats (object), ?3 lull_state (JSON or NULL),
/// ?4 topics (array), ?5 now_ms.
pub const MEETING_STATE_UPSERT_ENGAGEMENT: &str = "\
INSERT INTO meeting_state (meeting_id, speaking_stats, lull_state, topics, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?5)
ON CONFLICT (meeting_id) DO UPDATE SET
  speaking_stats = excluded.speaking_stats,
  lull_state = excluded.lull_state,
  topics = excluded.topics,
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`MEETING_STATE_UPSERT_ENGAGEMENT`], `?1..?5` in order.
    MEETING_STATE_UPSERT_ENGAGEMENT => MeetingStateUpsertEngagement<'a> { meeting_id: &'a str, speaking_stats: &'a str, lull_state: Option<&'a str>, topics: &'a str, now_ms: i64 }
}

/// Meetings still marked active whose state has not moved since a cutoff
/// (cron: close rooms that went quiet without `call.ended`).
///
/// Params: ?1 updated before ms, ?2 limit.
pub const MEETING_STATE_LIST_STALE_ACTIVE: &str = "\
SELECT meeting_id, started_at, last_event_at, updated_at
FROM meeting_state
WHERE active = 1 AND updated_at < ?1
ORDER BY updated_at
LIMIT ?2";
params! {
    /// Parameters of [`MEETING_STATE_LIST_STALE_ACTIVE`], `?1..?2` in order.
    MEETING_STATE_LIST_STALE_ACTIVE => MeetingStateListStaleActive { updated_before_ms: i64, limit: i64 }
}
