//! The queue consumer: decodes each message into a typed job, runs it, and
//! acks or retries it one by one, so one bad message never holds up a batch.
//! After `max_retries` (wrangler.toml) a message goes to the dead-letter queue.

use connvo_shared::log::{Level, LogLine};
use worker::{Env, MessageBatch, MessageExt};

use crate::logging;

pub async fn consume(batch: MessageBatch<serde_json::Value>, _env: Env) {
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
        // No job kinds are defined yet: an unknown message is logged and
        // acked, never retried forever.
        logging::emit(
            &LogLine::new(Level::Warn, "unknown job acked", "queue")
                .field("queue", batch.queue())
                .field("message_id", message.id()),
            Level::Warn,
        );
        message.ack();
    }
}
