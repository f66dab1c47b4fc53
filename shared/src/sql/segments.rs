//! `transcript_segments`: aggregated, searchable spans built after the call.
//! The FTS5 index follows every write through triggers (migration 0005).

use crate::params;

/// Write a segment. Re-running aggregation collides on
/// (meeting_id, start_ms, speaker_id) and replaces the text and analysis, so
/// the job is idempotent and can improve its output.
///
/// Params: ?1 id, ?2 meeting_id, ?3 speaker_id ('' if unknown), ?4 speakers (JSON array),
/// ?5 text, ?6 topics (JSON array), ?7 sentiment, ?8 prompt_ids (JSON array),
/// ?9 start_ms, ?10 end_ms, ?11 first_seq, ?12 last_seq, ?13 now_ms.
pub const SEGMENT_UPSERT: &str = "\
INSERT INTO transcript_segments (id, meeting_id, speaker_id, speakers, text, topics, sentiment, prompt_ids,
                                 start_ms, end_ms, first_seq, last_seq, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
ON CONFLICT (meeting_id, start_ms, speaker_id) DO UPDATE SET
  speakers = excluded.speakers,
  text = excluded.text,
  topics = excluded.topics,
  sentiment = excluded.sentiment,
  prompt_ids = excluded.prompt_ids,
  end_ms = excluded.end_ms,
  first_seq = excluded.first_seq,
  last_seq = excluded.last_seq,
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`SEGMENT_UPSERT`], `?1..?13` in order.
    SEGMENT_UPSERT => SegmentUpsert<'a> { id: &'a str, meeting_id: &'a str, speaker_id: Option<&'a str>, speakers: &'a str, text: &'a str, topics: &'a str, sentiment: Option<&'a str>, prompt_ids: &'a str, start_ms: i64, end_ms: i64, first_seq: i64, last_seq: i64, now_ms: i64 }
}

/// Params: ?1 id.
pub const SEGMENT_GET: &str = "\
SELECT id, meeting_id, speaker_id, speakers, text, topics, sentiment, prompt_ids, start_ms, end_ms,
       first_seq, last_seq, created_at, updated_at
FROM transcript_segments WHERE id = ?1";
params! {
    /// Parameters of [`SEGMENT_GET`], `?1..?1` in order.
    SEGMENT_GET => SegmentGet<'a> { id: &'a str }
}

/// A meeting's segments in time order, keyset on (start_ms, speaker_id).
/// First page: ?2 = -1, ?3 = ''.
///
/// Params: ?1 meeting_id, ?2 after start_ms, ?3 after speaker_id, ?4 limit.
pub const SEGMENT_LIST_BY_MEETING: &str = "\
SELECT id, meeting_id, speaker_id, speakers, text, topics, sentiment, prompt_ids, start_ms, end_ms
FROM transcript_segments
WHERE meeting_id = ?1 AND (start_ms, speaker_id) > (?2, ?3)
ORDER BY start_ms, speaker_id
LIMIT ?4";
params! {
    /// Parameters of [`SEGMENT_LIST_BY_MEETING`], `?1..?4` in order.
    SEGMENT_LIST_BY_MEETING => SegmentListByMeeting<'a> { meeting_id: &'a str, after_start_ms: i64, after_speaker_id: &'a str, limit: i64 }
}

/// Segments starting in [from, to).
///
/// Params: ?1 meeting_id, ?2 from_ms, ?3 to_ms, ?4 limit.
pub const SEGMENT_LIST_BY_TIME: &str = "\
SELECT id, meeting_id, speaker_id, speakers, text, topics, sentiment, prompt_ids, start_ms, end_ms
FROM transcript_segments
WHERE meeting_id = ?1 AND start_ms >= ?2 AND start_ms < ?3
ORDER BY start_ms, speaker_id
LIMIT ?4";
params! {
    /// Parameters of [`SEGMENT_LIST_BY_TIME`], `?1..?4` in order.
    SEGMENT_LIST_BY_TIME => SegmentListByTime<'a> { meeting_id: &'a str, from_ms: i64, to_ms: i64, limit: i64 }
}

/// One speaker's segments from a time on.
///
/// Params: ?1 meeting_id, ?2 speaker_id, ?3 from_ms, ?4 limit.
pub const SEGMENT_LIST_BY_SPEAKER: &str = "\
SELECT id, meeting_id, speaker_id, speakers, text, topics, sentiment, prompt_ids, start_ms, end_ms
FROM transcript_segments
WHERE meeting_id = ?1 AND speaker_id = ?2 AND start_ms >= ?3
ORDER BY start_ms
LIMIT ?4";
params! {
    /// Parameters of [`SEGMENT_LIST_BY_SPEAKER`], `?1..?4` in order.
    SEGMENT_LIST_BY_SPEAKER => SegmentListBySpeaker<'a> { meeting_id: &'a str, speaker_id: Option<&'a str>, from_ms: i64, limit: i64 }
}

/// Params: ?1 meeting_id.
pub const SEGMENT_DELETE_FOR_MEETING: &str = "\
DELETE FROM transcript_segments WHERE meeting_id = ?1";
params! {
    /// Parameters of [`SEGMENT_DELETE_FOR_MEETING`], `?1..?1` in order.
    SEGMENT_DELETE_FOR_MEETING => SegmentDeleteForMeeting<'a> { meeting_id: &'a str }
}
