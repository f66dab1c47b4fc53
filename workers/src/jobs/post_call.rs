//! `aggregate_transcript` and `generate_insights`: **stubs**. Transcript
//! aggregation and insight generation are later issues; for now each job
//! records, once per meeting (its idempotency key claimed in
//! `idempotency_keys`, scope `job`), that the work is pending, and acks. A
//! repeated job finds the key and does nothing.

use connvo_shared::jobs::{Job, JobMessage, RetryDecision};
use connvo_shared::log::Level;
use connvo_shared::sql::idempotency;
use connvo_shared::ApiError;
use serde_json::json;
use worker::Env;

use super::{log, JobCtx, JobResult};
use crate::args;
use crate::db;
use crate::logging;
use crate::stream::config::job_backoff;
use crate::sys::{now_ms, random_u32};

/// The `idempotency_keys.scope` of queue jobs.
pub const JOB_SCOPE: &str = "job";
/// How long a job's key (and its "pending" record) is kept.
const KEY_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub async fn run(env: &Env, msg: &JobMessage, jc: &JobCtx) -> JobResult {
    match record_pending(env, msg).await {
        Ok(first_time) => {
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
        Err(err) => {
            logging::emit(
                &log(jc, Level::Error, "post-call job failed", msg)
                    .field("error", err.message.as_str()),
                Level::Error,
            );
            match job_backoff(env).after_failure(msg.attempt, random_u32()) {
                RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
                RetryDecision::GiveUp => JobResult::Done,
            }
        }
    }
}

/// Claims the job's key and completes it with a "pending" result, in one
/// batch. `Ok(false)`: it was recorded before.
async fn record_pending(env: &Env, msg: &JobMessage) -> Result<bool, ApiError> {
    let status = match msg.job {
        Job::AggregateTranscript { .. } => "aggregation_pending",
        Job::GenerateInsights { .. } => "insights_pending",
        Job::ProvisionCall { .. } | Job::FinalizeMeeting { .. } => "pending",
    };
    let result = json!({
        "status": status,
        "stub": true,
        "meeting_id": msg.job.meeting_id(),
    })
    .to_string();
    let db = db::database(env)?;
    let now = now_ms();
    let key = msg.idempotency_key.as_str();
    let results = db::batch(
        &db,
        vec![
            db::stmt(
                &db,
                idempotency::IDEMPOTENCY_CLAIM,
                args![JOB_SCOPE, key, None::<String>, now, now + KEY_TTL_MS],
            )?,
            db::stmt(
                &db,
                idempotency::IDEMPOTENCY_COMPLETE,
                args![JOB_SCOPE, key, result, now, now + KEY_TTL_MS],
            )?,
        ],
    )
    .await?;
    Ok(results.first().map(db::changes) == Some(1))
}
