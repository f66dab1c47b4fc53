//! The cron safety net for provisioning: a meeting whose job was never
//! queued (the queue refused it) or whose job died mid-call stays `pending`
//! or `provisioning`; every tick re-queues the stale ones. Jobs are
//! idempotent, so a duplicate costs one claim that fails.

use connvo_shared::jobs::Job;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::ApiError;
use worker::Env;

use connvo_rooms::d1::D1;
use connvo_shared::sql::meetings::MeetingProvisioningStale;
use serde::Deserialize;

use crate::clock::now_ms;
use crate::jobs::provision::LEASE_MS;
use crate::jobs::send::enqueue;
use crate::logging;

#[derive(Deserialize)]
struct Stale {
    id: String,
}

/// A `pending` row untouched this long lost its job (retries re-touch it).
const PENDING_STALE_MS: i64 = 10 * 60 * 1000;
const BATCH: i64 = 50;

pub async fn provisioning(env: &Env) {
    if let Err(err) = sweep(env).await {
        logging::emit(
            &LogLine::new(Level::Error, "provisioning sweep failed", "cron")
                .field("error", err.message.as_str()),
            Level::Error,
        );
    }
}

async fn sweep(env: &Env) -> Result<(), ApiError> {
    let db = D1::from_env(env)?;
    let now = now_ms();
    let mut requeued = 0usize;
    for (status, cutoff) in [
        ("pending", now - PENDING_STALE_MS),
        ("provisioning", now - LEASE_MS),
    ] {
        let rows: Vec<Stale> = db
            .all(MeetingProvisioningStale {
                status,
                updated_before_ms: cutoff,
                limit: BATCH,
            })
            .await?;
        for row in rows {
            enqueue(env, Job::ProvisionCall { meeting_id: row.id }, "cron").await;
            requeued += 1;
        }
    }
    if requeued > 0 {
        logging::emit(
            &LogLine::new(Level::Info, "provisioning re-queued", "cron").field("count", requeued),
            Level::Info,
        );
    }
    Ok(())
}
