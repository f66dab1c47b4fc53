//! `generate_insights`: a **stub** (insight generation is a later issue;
//! transcript aggregation is real, in `aggregate.rs`). For now the job
//! waits until the meeting is finalized (the room flushed, see
//! `finalize_meeting`; on its last attempt it goes ahead anyway), then
//! records, once per meeting (its idempotency key, scope `job`), that the
//! work is pending, and acks. A repeated job finds the record and does
//! nothing.

use connvo_shared::jobs::{Job, JobMessage, RetryDecision};
use connvo_shared::log::Level;
use connvo_shared::ApiError;
use serde_json::json;
use worker::Env;

use super::{log, records, JobCtx, JobResult};
use crate::db;
use crate::logging;
use crate::meetings::ending::finalize_key;
use crate::stream::config::job_backoff;
use crate::sys::{now_ms, random_u32};

pub async fn run(env: &Env, msg: &JobMessage, jc: &JobCtx) -> JobResult {
    let backoff = job_backoff(env);
    match attempt(msg, env, jc.attempt >= backoff.max_attempts).await {
        Ok(Some(first_time)) => {
            logging::emit(
                &log(
                    jc,
                    Level::Info,
                    "post-call job recorded as pending (stub)",
                    msg,
                )
                .field("first_time", first_time),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(None) => match backoff.after_failure(jc.attempt, random_u32()) {
            RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
            RetryDecision::GiveUp => JobResult::Done,
        },
        Err(err) => {
            logging::emit(
                &log(jc, Level::Error, "post-call job failed", msg)
                    .field("error", err.message.as_str()),
                Level::Error,
            );
            match backoff.after_failure(jc.attempt, random_u32()) {
                RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
                RetryDecision::GiveUp => JobResult::Done,
            }
        }
    }
}

/// `Ok(None)`: the meeting is not finalized yet (and this is not the last
/// attempt). `Ok(Some(first_time))`: recorded (or recorded before).
async fn attempt(
    msg: &JobMessage,
    env: &Env,
    last_attempt: bool,
) -> Result<Option<bool>, ApiError> {
    let db = db::database(env)?;
    let meeting_id = msg.job.meeting_id();
    let finalized = records::get(&db, &finalize_key(meeting_id)).await?;
    if finalized.is_none() && !last_attempt {
        return Ok(None);
    }
    let status = match msg.job {
        Job::AggregateTranscript { .. } => "aggregation_pending",
        Job::GenerateInsights { .. } => "insights_pending",
        Job::ProvisionCall { .. } | Job::FinalizeMeeting { .. } => "pending",
    };
    let result = json!({
        "status": status,
        "stub": true,
        "meeting_id": meeting_id,
        "finalization": finalized.map_or(json!("unknown"), |f| f["status"].clone()),
    });
    records::record_once(&db, &msg.idempotency_key, &result, now_ms())
        .await
        .map(Some)
}
