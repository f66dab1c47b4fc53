//! `aggregate_transcript`: after a meeting ends and is finalized (its
//! room's final flush is in D1: `finalize_meeting` records that; until then
//! the job waits with backoff, and on its last attempt goes ahead anyway),
//! read the meeting's transcript chunks in bounded pages, group
//! them into speaker-turn segments (`connvo_shared::segments`), and upsert
//! them into `transcript_segments` in D1 batches. Idempotent: segment ids
//! and keys are derived from the chunks, so a repeated job rewrites the
//! same rows.

use connvo_shared::jobs::JobMessage;
use connvo_shared::log::Level;
use connvo_shared::segments::{self, ChunkRow, SegmentConfig};
use connvo_shared::sql::{segments as seg_sql, transcripts};
use serde_json::Value;
use worker::Env;

use super::{log, records, JobCtx, JobResult};
use crate::args;
use crate::db;
use crate::logging;
use crate::meetings::ending::finalize_key;
use crate::stream::config::job_backoff;
use crate::sys::{now_ms, random_u32};
use connvo_shared::jobs::RetryDecision;

/// Chunks read per D1 query.
const PAGE: i64 = 500;
/// A meeting's transcript is read up to this many chunks (about 14 hours
/// of speech at one chunk a second); the rest is logged, not lost, in D1.
const MAX_CHUNKS: usize = 50_000;
/// Statements per D1 batch (each batch is one transaction).
const BATCH: usize = 50;

fn chunk_of(row: &Value) -> Option<ChunkRow> {
    Some(ChunkRow {
        seq: row["seq"].as_u64()?,
        speaker_id: row["speaker_id"].as_str().map(str::to_owned),
        text: row["text"].as_str()?.to_owned(),
        start_ms: row["start_ms"].as_u64()?,
        end_ms: row["end_ms"].as_u64()?,
        is_final: row["kind"].as_str() == Some("final"),
    })
}

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    let backoff = job_backoff(env);
    let retry = || match backoff.after_failure(jc.attempt, random_u32()) {
        RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
        RetryDecision::GiveUp => JobResult::Done,
    };
    let last_attempt = jc.attempt >= backoff.max_attempts;
    match finalized(env, meeting_id).await {
        Ok(true) => {}
        Ok(false) if !last_attempt => return retry(),
        Ok(false) => {}
        Err(err) => {
            logging::emit(
                &log(
                    jc,
                    Level::Warn,
                    "aggregation could not read the finalize record",
                    msg,
                )
                .field("error", err.message.as_str()),
                Level::Warn,
            );
            return retry();
        }
    }
    let outcome = match aggregate(env, meeting_id).await {
        // The job ledger (idempotency_keys, scope `job`) records the result
        // once, like every other job's.
        Ok((chunks, segments)) => {
            let result = serde_json::json!({
                "status": "aggregated", "stub": false, "meeting_id": meeting_id,
                "chunks": chunks, "segments": segments,
            });
            match db::database(env) {
                Ok(db) => records::record_once(&db, &msg.idempotency_key, &result, now_ms())
                    .await
                    .map(|_| (chunks, segments)),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok((chunks, segments)) => {
            logging::emit(
                &log(jc, Level::Info, "transcript aggregated", msg)
                    .field("chunks", chunks)
                    .field("segments", segments),
                Level::Info,
            );
            JobResult::Done
        }
        Err(err) => {
            logging::emit(
                &log(
                    jc,
                    Level::Warn,
                    "transcript aggregation failed; will retry",
                    msg,
                )
                .field("error", err.message.as_str()),
                Level::Warn,
            );
            retry()
        }
    }
}

async fn finalized(env: &Env, meeting_id: &str) -> Result<bool, connvo_shared::ApiError> {
    let db = db::database(env)?;
    Ok(records::get(&db, &finalize_key(meeting_id))
        .await?
        .is_some())
}

async fn aggregate(env: &Env, meeting_id: &str) -> Result<(usize, usize), connvo_shared::ApiError> {
    let db = db::database(env)?;
    let mut chunks = Vec::new();
    let mut after: i64 = 0;
    while chunks.len() < MAX_CHUNKS {
        let rows = db::all(
            &db,
            transcripts::TRANSCRIPT_LIST_AFTER_SEQ,
            args![meeting_id, after, PAGE],
        )
        .await?;
        let page_len = rows.len();
        for row in &rows {
            if let Some(chunk) = chunk_of(row) {
                after = after.max(i64::try_from(chunk.seq).unwrap_or(i64::MAX));
                chunks.push(chunk);
            }
        }
        if page_len < PAGE as usize {
            break;
        }
    }
    let segs = segments::build(meeting_id, &chunks, &SegmentConfig::default());
    let now = now_ms();
    for group in segs.chunks(BATCH) {
        let mut statements = Vec::with_capacity(group.len());
        for s in group {
            let speakers = serde_json::to_string(&s.speakers).unwrap_or_else(|_| "[]".into());
            let topics = serde_json::to_string(&s.topics).unwrap_or_else(|_| "[]".into());
            statements.push(db::stmt(
                &db,
                seg_sql::SEGMENT_UPSERT,
                args![
                    s.id.as_str(),
                    meeting_id,
                    s.speaker_id.as_str(),
                    speakers,
                    s.text.as_str(),
                    topics,
                    Option::<i64>::None,
                    "[]",
                    i64::try_from(s.start_ms).unwrap_or(0),
                    i64::try_from(s.end_ms).unwrap_or(0),
                    i64::try_from(s.first_seq).unwrap_or(0),
                    i64::try_from(s.last_seq).unwrap_or(0),
                    now,
                ],
            )?);
        }
        db::batch(&db, statements).await?;
    }
    Ok((chunks.len(), segs.len()))
}
