//! The queue consumer: decodes each message into a typed job
//! (`connvo_shared::jobs::JobMessage`), runs it, and acks or retries it one
//! by one, so one bad message never holds up a batch.
//!
//! A message that is not a job we know is logged and acked (no retry can fix
//! it). A job that fails transiently asks for a retry after a backoff delay:
//! the next attempt is sent with that delay and this one acked (workers-rs
//! does not expose `message.attempts`, so the attempt travels in the body);
//! if that send fails, the runtime's own retry (`message.retry` with the
//! delay) takes over, and after `max_retries` the dead-letter queue.

mod finalize;
mod post_call;
pub mod provision;
pub mod send;

use connvo_shared::jobs::{Job, JobMessage};
use connvo_shared::log::{Level, LogLine};
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use crate::logging;

/// What a job asks the consumer to do with its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    /// Done, or failed for good (the job recorded why): ack.
    Done,
    /// Failed transiently: run the next attempt after this many seconds.
    Retry { delay_secs: u32 },
}

/// The log context of a job: the queue message id stands in for a request id.
pub struct JobCtx {
    pub message_id: String,
}

async fn run(env: &Env, msg: &JobMessage, jc: &JobCtx) -> JobResult {
    match &msg.job {
        Job::ProvisionCall { meeting_id } => provision::run(env, msg, meeting_id, jc).await,
        Job::FinalizeMeeting { meeting_id } => finalize::run(env, msg, meeting_id, jc).await,
        Job::AggregateTranscript { .. } | Job::GenerateInsights { .. } => {
            post_call::run(env, msg, jc).await
        }
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
        let jc = JobCtx {
            message_id: message.id(),
        };
        let msg = match JobMessage::decode(message.body().clone()) {
            Ok(msg) => msg,
            Err(err) => {
                logging::emit(
                    &LogLine::new(Level::Warn, "unknown job acked", &jc.message_id)
                        .field("queue", batch.queue())
                        .field("error", err.to_string()),
                    Level::Warn,
                );
                message.ack();
                continue;
            }
        };
        match run(&env, &msg, &jc).await {
            JobResult::Done => message.ack(),
            JobResult::Retry { delay_secs } => {
                match send::send(&env, &msg.next_attempt(), delay_secs).await {
                    Ok(()) => message.ack(),
                    Err(err) => {
                        logging::emit(
                            &LogLine::new(
                                Level::Warn,
                                "retry not queued; runtime retry",
                                &jc.message_id,
                            )
                            .field("job", msg.job.kind())
                            .field("error", err.message.as_str()),
                            Level::Warn,
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
    }
}

/// One log line about a job.
pub fn log(jc: &JobCtx, level: Level, msg: &str, job: &JobMessage) -> LogLine {
    LogLine::new(level, msg, &jc.message_id)
        .field("job", job.job.kind())
        .field("meeting_id", job.job.meeting_id())
        .field("attempt", job.attempt)
}
