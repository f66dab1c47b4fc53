//! `aggregate_transcript` (the plan is `connvo_shared::jobs::aggregate`):
//! wait for the finalize record, read the transcript in pages, upsert the
//! segments in batches, record the job once.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::aggregate::{next_after, page, record, upserts, TranscriptRow};
use connvo_shared::jobs::records::finalize_key;
use connvo_shared::jobs::{wait_for_finalize, Backoff, JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::segments::ChunkRow;
use connvo_shared::ApiError;
use worker::Env;

use super::{log, records, JobCtx};
use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::logging;
use crate::stream::config::job_backoff;

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    let backoff = job_backoff(env);
    let outcome = match D1::from_env(env) {
        Ok(d1) => attempt(&d1, &backoff, msg, meeting_id, jc).await,
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(Some((chunks, segments))) => {
            logging::emit(
                &log(jc, Level::Info, "transcript aggregated", msg)
                    .field("chunks", chunks)
                    .field("segments", segments),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(None) => backoff.retry_or_done(jc.attempt, random_u32()),
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
            backoff.retry_or_done(jc.attempt, random_u32())
        }
    }
}

/// `Ok(None)`: not finalized yet, come back. `Ok(Some((chunks, segments)))`: done.
async fn attempt(
    d1: &D1,
    backoff: &Backoff,
    msg: &JobMessage,
    meeting_id: &str,
    jc: &JobCtx,
) -> Result<Option<(usize, usize)>, ApiError> {
    let finalized = records::get(d1, &finalize_key(meeting_id)).await?.is_some();
    if wait_for_finalize(finalized, backoff, jc.attempt, 0).is_some() {
        return Ok(None);
    }
    let mut chunks: Vec<ChunkRow> = Vec::new();
    let mut after = 0;
    loop {
        let rows: Vec<TranscriptRow> = d1.all(page(meeting_id, after)).await?;
        let next = next_after(&rows, chunks.len() + rows.len());
        chunks.extend(rows.into_iter().map(ChunkRow::from));
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    let now = now_ms();
    let (batches, segments) = upserts(meeting_id, &chunks, now);
    for batch in &batches {
        d1.batch(batch).await?;
    }
    records::write(
        d1,
        &record(
            &msg.idempotency_key,
            meeting_id,
            chunks.len(),
            segments,
            now,
        ),
    )
    .await?;
    Ok(Some((chunks.len(), segments)))
}
