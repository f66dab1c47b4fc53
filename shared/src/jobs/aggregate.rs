//! `aggregate_transcript`, pure: once the meeting is finalized (its room's
//! final flush is in D1; until then the job waits with backoff, and on its
//! last attempt goes ahead anyway, [`super::wait_for_finalize`]), read the
//! meeting's transcript chunks in bounded pages ([`page`], [`next_after`]),
//! group them into speaker-turn segments (`crate::segments`), upsert them
//! into `transcript_segments` in batches ([`upserts`]), and record the job
//! once ([`record`]). Idempotent: segment ids and keys are derived from the
//! chunks, so a repeated job rewrites the same rows.

use serde::Deserialize;
use serde_json::{json, Value};

use super::records;
use crate::segments::{build, ChunkRow, SegmentConfig};
use crate::sql::segments::SegmentUpsert;
use crate::sql::transcripts::TranscriptListAfterSeq;
use crate::sql::Statement;

/// Chunks read per D1 query.
pub const PAGE: i64 = 500;
/// A meeting's transcript is read up to this many chunks (about 14 hours
/// of speech at one chunk a second); the rest is logged, not lost, in D1.
pub const MAX_CHUNKS: usize = 50_000;
/// Statements per D1 batch (each batch is one transaction).
const BATCH: usize = 50;

/// A row of `TRANSCRIPT_LIST_AFTER_SEQ`, the columns aggregation reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TranscriptRow {
    pub seq: u64,
    pub kind: String,
    pub speaker_id: Option<String>,
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl From<TranscriptRow> for ChunkRow {
    fn from(r: TranscriptRow) -> ChunkRow {
        ChunkRow {
            seq: r.seq,
            speaker_id: r.speaker_id,
            text: r.text,
            start_ms: r.start_ms,
            end_ms: r.end_ms,
            is_final: r.kind == "final",
        }
    }
}

/// The page of chunks after sequence `after`.
pub fn page(meeting_id: &str, after: u64) -> Statement {
    TranscriptListAfterSeq {
        meeting_id,
        after_seq: i64::try_from(after).unwrap_or(i64::MAX),
        limit: PAGE,
    }
    .statement()
}

/// Where the next page starts, or `None` when this page was the last (short)
/// or the bound is reached.
pub fn next_after(rows: &[TranscriptRow], read_so_far: usize) -> Option<u64> {
    let full = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
    if !full || read_so_far >= MAX_CHUNKS {
        return None;
    }
    rows.iter().map(|r| r.seq).max()
}

/// The segments of `chunks` as upserts, in atomic batches; and how many
/// segments there are.
pub fn upserts(meeting_id: &str, chunks: &[ChunkRow], now_ms: i64) -> (Vec<Vec<Statement>>, usize) {
    let segments = build(meeting_id, chunks, &SegmentConfig::default());
    let to_i64 = |v: u64| i64::try_from(v).unwrap_or(0);
    let statements: Vec<Statement> = segments
        .iter()
        .map(|s| {
            let speakers = serde_json::to_string(&s.speakers).unwrap_or_else(|_| "[]".into());
            let topics = serde_json::to_string(&s.topics).unwrap_or_else(|_| "[]".into());
            SegmentUpsert {
                id: &s.id,
                meeting_id,
                speaker_id: Some(&s.speaker_id),
                speakers: &speakers,
                text: &s.text,
                topics: &topics,
                sentiment: None,
                prompt_ids: "[]",
                start_ms: to_i64(s.start_ms),
                end_ms: to_i64(s.end_ms),
                first_seq: to_i64(s.first_seq),
                last_seq: to_i64(s.last_seq),
                now_ms,
            }
            .statement()
        })
        .collect();
    let batches = statements
        .chunks(BATCH)
        .map(<[Statement]>::to_vec)
        .collect();
    (batches, segments.len())
}

/// The job's record (scope `job`), written once the segments are in.
pub fn record(
    key: &str,
    meeting_id: &str,
    chunks: usize,
    segments: usize,
    now_ms: i64,
) -> Vec<Statement> {
    let result: Value = json!({
        "status": "aggregated", "stub": false, "meeting_id": meeting_id,
        "chunks": chunks, "segments": segments,
    });
    records::write(key, &result, now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: u64, speaker: &str, text: &str, kind: &str) -> TranscriptRow {
        TranscriptRow {
            seq,
            kind: kind.into(),
            speaker_id: Some(speaker.into()),
            text: text.into(),
            start_ms: seq * 1000,
            end_ms: seq * 1000 + 900,
        }
    }

    #[test]
    fn rows_decode_from_the_registry_columns() {
        let v = serde_json::json!({"seq": 3, "bucket_ms": 0, "kind": "interim", "source": "client",
            "speaker_id": null, "text": "hi", "confidence": null, "language": null,
            "start_ms": 10, "end_ms": 20});
        let r: TranscriptRow = serde_json::from_value(v).unwrap();
        let c = ChunkRow::from(r);
        assert_eq!((c.seq, c.is_final, c.speaker_id), (3, false, None));
    }

    #[test]
    fn pages_continue_only_after_a_full_one() {
        let short = vec![row(1, "a", "x", "final"), row(2, "a", "y", "final")];
        assert_eq!(next_after(&short, 2), None);
        let full: Vec<_> = (1..=500).map(|s| row(s, "a", "x", "final")).collect();
        assert_eq!(next_after(&full, 500), Some(500));
        assert_eq!(next_after(&full, MAX_CHUNKS), None);
        assert_eq!(page("m", 500).params[1], crate::sql::SqlValue::Integer(500));
    }

    #[test]
    fn segments_are_upserted_in_bounded_batches_and_recorded() {
        // Alternating speakers: one segment per chunk.
        let chunks: Vec<ChunkRow> = (1..=120)
            .map(|s| row(s, if s % 2 == 0 { "a" } else { "b" }, "words here", "final").into())
            .collect();
        let (batches, n) = upserts("m1", &chunks, 7);
        assert_eq!(n, 120);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [50, 50, 20]
        );
        assert!(batches.iter().flatten().all(|s| s.name == "SEGMENT_UPSERT"));
        let rec = record("aggregate_transcript:m1", "m1", 120, n, 7);
        let crate::sql::SqlValue::Text(text) = &rec[1].params[2] else {
            panic!()
        };
        assert!(text.contains("\"status\":\"aggregated\""));
        assert!(text.contains("\"segments\":120"));
    }
}
