//! Puts the room's in-call generation jobs (`Output::Job`, docs/intelligence.md
//! "The room's pipeline") on the `JOBS` queue. Best effort: a job that
//! cannot be queued is logged and that detection produces no prompt; the
//! meeting goes on.

use connvo_shared::jobs::JobMessage;
use worker::{Env, MessageBuilder};

/// The queue producer binding (wrangler.toml `[[queues.producers]]`).
const JOBS: &str = "JOBS";

pub async fn send(env: &Env, message: &JobMessage) -> Result<(), String> {
    let queue = env.queue(JOBS).map_err(|e| format!("JOBS binding: {e}"))?;
    queue
        .send(MessageBuilder::new(message).build())
        .await
        .map_err(|e| format!("queue send failed: {e}"))
}
