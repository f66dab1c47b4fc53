//! Putting jobs on the `JOBS` queue.

use connvo_shared::jobs::{Job, JobMessage, MAX_QUEUE_DELAY_SECS};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::ApiError;
use worker::{Env, MessageBuilder};

use crate::logging;

/// The queue producer binding (wrangler.toml `[[queues.producers]]`).
pub const JOBS: &str = "JOBS";

/// Sends `message`, delivered no sooner than `delay_secs` from now.
pub async fn send(env: &Env, message: &JobMessage, delay_secs: u32) -> Result<(), ApiError> {
    let queue = env
        .queue(JOBS)
        .map_err(|e| ApiError::internal(format!("JOBS binding: {e}")))?;
    let mut builder = MessageBuilder::new(message);
    if delay_secs > 0 {
        builder = builder.delay_seconds(delay_secs.min(MAX_QUEUE_DELAY_SECS));
    }
    queue
        .send(builder.build())
        .await
        .map_err(|e| ApiError::internal(format!("queue send failed: {e}")))
}

/// Queues the first attempt of `job`. A failure is logged, not returned:
/// the callers' D1 writes are already done, and every job has a safety net
/// (the cron sweep re-queues stale provisioning; a repeated request re-queues
/// the rest), so the request itself still succeeded.
pub async fn enqueue(env: &Env, job: Job, request_id: &str) {
    let message = JobMessage::new(job);
    if let Err(err) = send(env, &message, 0).await {
        logging::emit(
            &LogLine::new(Level::Error, "job not queued", request_id)
                .field("job", message.job.kind())
                .field("meeting_id", message.job.meeting_id())
                .field("error", err.message.as_str()),
            Level::Error,
        );
    }
}
