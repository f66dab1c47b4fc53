//! `transcripts`: append-only chunks, partitioned by meeting and 5-minute
//! bucket (`bucket_ms = start_ms - start_ms % 300000`, see [`BUCKET_MS`]).
//! Every read is bounded by a LIMIT.

use crate::params;

/// Width of a transcript time bucket.
pub const BUCKET_MS: i64 = 300_000;

/// Append one chunk. Batch one per chunk in a flush; a retried flush collides
/// on (meeting_id, seq) and changes nothing.
///
/// Params: ?1 meeting_id, ?2 seq, ?3 bucket_ms, ?4 kind ('interim' | 'final'),
/// ?5 source ('client' | 'stream' | 'provider'), ?6 speaker_id, ?7 text, ?8 confidence,
/// ?9 language, ?10 start_ms, ?11 end_ms, ?12 now_ms.
pub const TRANSCRIPT_INSERT: &str = "\
INSERT INTO transcripts (meeting_id, seq, bucket_ms, kind, source, speaker_id, text, confidence, language,
                         start_ms, end_ms, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (meeting_id, seq) DO NOTHING";
params! {
    /// Parameters of [`TRANSCRIPT_INSERT`], `?1..?12` in order.
    TRANSCRIPT_INSERT => TranscriptInsert<'a> { meeting_id: &'a str, seq: i64, bucket_ms: i64, kind: &'a str, source: &'a str, speaker_id: Option<&'a str>, text: &'a str, confidence: Option<f64>, language: Option<&'a str>, start_ms: i64, end_ms: i64, now_ms: i64 }
}

/// Resume after a sequence number (reconnect catch-up, aggregation).
///
/// Params: ?1 meeting_id, ?2 after seq, ?3 limit.
pub const TRANSCRIPT_LIST_AFTER_SEQ: &str = "\
SELECT seq, bucket_ms, kind, source, speaker_id, text, confidence, language, start_ms, end_ms
FROM transcripts
WHERE meeting_id = ?1 AND seq > ?2
ORDER BY seq
LIMIT ?3";
params! {
    /// Parameters of [`TRANSCRIPT_LIST_AFTER_SEQ`], `?1..?3` in order.
    TRANSCRIPT_LIST_AFTER_SEQ => TranscriptListAfterSeq<'a> { meeting_id: &'a str, after_seq: i64, limit: i64 }
}

/// A closed sequence range.
///
/// Params: ?1 meeting_id, ?2 from seq (inclusive), ?3 to seq (inclusive), ?4 limit.
pub const TRANSCRIPT_LIST_SEQ_RANGE: &str = "\
SELECT seq, bucket_ms, kind, source, speaker_id, text, confidence, language, start_ms, end_ms
FROM transcripts
WHERE meeting_id = ?1 AND seq BETWEEN ?2 AND ?3
ORDER BY seq
LIMIT ?4";
params! {
    /// Parameters of [`TRANSCRIPT_LIST_SEQ_RANGE`], `?1..?4` in order.
    TRANSCRIPT_LIST_SEQ_RANGE => TranscriptListSeqRange<'a> { meeting_id: &'a str, from_seq: i64, to_seq: i64, limit: i64 }
}

/// Chunks starting in [from, to), through the bucket index: only the buckets
/// overlapping the range are read.
///
/// Params: ?1 meeting_id, ?2 from_ms (inclusive), ?3 to_ms (exclusive), ?4 limit.
pub const TRANSCRIPT_LIST_BY_TIME: &str = "\
SELECT seq, bucket_ms, kind, source, speaker_id, text, confidence, language, start_ms, end_ms
FROM transcripts
WHERE meeting_id = ?1
  AND bucket_ms >= ?2 - ?2 % 300000 AND bucket_ms < ?3
  AND start_ms >= ?2 AND start_ms < ?3
ORDER BY bucket_ms, seq
LIMIT ?4";
params! {
    /// Parameters of [`TRANSCRIPT_LIST_BY_TIME`], `?1..?4` in order.
    TRANSCRIPT_LIST_BY_TIME => TranscriptListByTime<'a> { meeting_id: &'a str, from_ms: i64, to_ms: i64, limit: i64 }
}

/// One bucket, after a sequence number (the live-window read).
///
/// Params: ?1 meeting_id, ?2 bucket_ms, ?3 after seq, ?4 limit.
pub const TRANSCRIPT_LIST_BUCKET: &str = "\
SELECT seq, bucket_ms, kind, source, speaker_id, text, confidence, language, start_ms, end_ms
FROM transcripts
WHERE meeting_id = ?1 AND bucket_ms = ?2 AND seq > ?3
ORDER BY seq
LIMIT ?4";
params! {
    /// Parameters of [`TRANSCRIPT_LIST_BUCKET`], `?1..?4` in order.
    TRANSCRIPT_LIST_BUCKET => TranscriptListBucket<'a> { meeting_id: &'a str, bucket_ms: i64, after_seq: i64, limit: i64 }
}

/// The newest archived seq (-1 when none): where a flush resumes.
///
/// Params: ?1 meeting_id.
pub const TRANSCRIPT_MAX_SEQ: &str = "\
SELECT coalesce(max(seq), -1) AS seq FROM transcripts WHERE meeting_id = ?1";
params! {
    /// Parameters of [`TRANSCRIPT_MAX_SEQ`], `?1..?1` in order.
    TRANSCRIPT_MAX_SEQ => TranscriptMaxSeq<'a> { meeting_id: &'a str }
}
