//! The queue consumer: decodes each message into a typed job
//! (`connvo_shared::jobs::JobMessage`), runs it, and acks or retries it one
//! by one, so one bad message never holds up a batch.
//!
//! A message that is not a job we know is logged and acked (no retry can fix
//! it). A job that fails transiently asks for a retry after a backoff delay,
//! which is the runtime's `message.retry` with that delay; the delivery
//! count comes from D1 (`JOB_ATTEMPT_NEXT`, keyed by the message id), since
//! workers-rs does not expose `message.attempts`. After `JOB_MAX_ATTEMPTS` a
//! job records its failure and acks; the queue's `max_retries` and
//! dead-letter queue (wrangler.toml) catch whatever escapes that, so keep
//! `JOB_MAX_ATTEMPTS` ≤ `max_retries + 1`.
//!
//! Jobs never send to this queue themselves (see `connvo_shared::jobs`).
//! Every subrequest's response body is read to its end: an unread body
//! keeps the queue invocation open, and its batch is never acknowledged.

mod aggregate;
mod finalize;
mod incall;
mod insights;
mod precall;
pub mod provision;
pub mod records;
pub mod send;

use connvo_rooms::d1::D1;
use connvo_shared::jobs::{Job, JobMessage, JobResult};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::sql::jobs::JobAttemptNext;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::logging;
use crate::stream::config::job_backoff;

/// One delivery of a job.
pub struct JobCtx {
    /// The runtime's message id; stands in for a request id in logs.
    pub message_id: String,
    /// 1 on the first delivery of this message.
    pub attempt: u32,
}

/// How long a message's delivery count is kept (longer than any retry run).
const ATTEMPT_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Counts this delivery. If D1 cannot say, assume the first: the job's
/// own D1 access will fail the same way and retry.
async fn attempt_number(env: &Env, message_id: &str) -> u32 {
    #[derive(Deserialize)]
    struct Counted {
        attempt: u32,
    }
    let now = now_ms();
    let next = JobAttemptNext {
        message_id,
        now_ms: now,
        expires_at_ms: now + ATTEMPT_TTL_MS,
    };
    let counted: Option<Counted> = match D1::from_env(env) {
        Ok(d1) => d1.first(next).await.ok().flatten(),
        Err(_) => None,
    };
    counted.map_or(1, |c| c.attempt)
}

async fn run(env: &Env, msg: &JobMessage, jc: &JobCtx) -> JobResult {
    match &msg.job {
        Job::ProvisionCall { meeting_id } => provision::run(env, msg, meeting_id, jc).await,
        Job::FinalizeMeeting { meeting_id } => finalize::run(env, msg, meeting_id, jc).await,
        Job::AggregateTranscript { meeting_id } => aggregate::run(env, msg, meeting_id, jc).await,
        Job::GenerateInsights { meeting_id } => insights::run(env, msg, meeting_id, jc).await,
        Job::GeneratePrecall { meeting_id } => precall::run(env, msg, meeting_id, jc).await,
        Job::GenerateIncall {
            meeting_id,
            request,
            ..
        } => incall::run(env, msg, meeting_id, request, jc).await,
        Job::SendEmail { notification_id } => {
            crate::notifications::email::run(env, msg, notification_id, jc).await
        }
        Job::EmbedProfile { .. } | Job::EmbedMeeting { .. } => {
            crate::embeddings::job::run(env, msg, jc).await
        }
        Job::AnnounceBatch {
            announcement_id,
            batch_no,
        } => crate::notifications::announce::run(env, msg, announcement_id, *batch_no, jc).await,
        Job::MatchingPostCall { meeting_id } => {
            crate::matching::post_call::run(env, msg, meeting_id, jc).await
        }
        Job::PrivacyExport { export_id } => {
            crate::privacy::export::run(env, msg, export_id, jc).await
        }
        Job::EraseUser {
            request_id,
            session_id,
        } => crate::privacy::erasure::run(env, msg, request_id, session_id.as_deref(), jc).await,
    }
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env) {
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            logging::emit(
                &LogLine::new(Level::Error, "queue batch undecodable", "queue")
                    .field("error", e.to_string()),
                Level::Error,
            );
            batch.retry_all();
            return;
        }
    };
    for message in messages {
        let message_id = message.id();
        let msg = match JobMessage::decode(message.body().clone()) {
            Ok(msg) => msg,
            Err(err) => {
                logging::emit(
                    &LogLine::new(Level::Warn, "unknown job acked", &message_id)
                        .field("queue", batch.queue())
                        .field("error", err.to_string()),
                    Level::Warn,
                );
                message.ack();
                continue;
            }
        };
        let jc = JobCtx {
            attempt: attempt_number(&env, &message_id).await,
            message_id,
        };
        match run(&env, &msg, &jc).await {
            JobResult::Done => message.ack(),
            JobResult::Retry { delay_secs } => {
                logging::emit(
                    &log(&jc, Level::Info, "job retry scheduled", &msg)
                        .field("delay_secs", delay_secs),
                    Level::Info,
                );
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(delay_secs)
                        .build(),
                );
            }
        }
    }
}

/// An attempt that failed on D1 or configuration: logged, and retried
/// like a provider outage (or acked once out of attempts).
pub fn failed(env: &Env, jc: &JobCtx, job: &JobMessage, what: &str, err: &ApiError) -> JobResult {
    logging::emit(
        &log(jc, Level::Error, what, job).field("error", err.message.as_str()),
        Level::Error,
    );
    job_backoff(env).retry_or_done(jc.attempt, random_u32())
}

/// One log line about a job delivery.
pub fn log(jc: &JobCtx, level: Level, msg: &str, job: &JobMessage) -> LogLine {
    LogLine::new(level, msg, &jc.message_id)
        .field("job", job.job.kind())
        .field("meeting_id", job.job.meeting_id())
        .field("attempt", jc.attempt)
}
