//! The cron safety net of the privacy jobs (P30, P36): an open export or
//! erasure whose job went quiet (its message ran out of deliveries while
//! continuing, the queue refused it, or it waits for a legal hold) is
//! queued again. The jobs resume from their recorded progress and are
//! idempotent, so a duplicate costs one run that finds nothing to do.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::Job;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::privacy::export_run::document_key;
use connvo_shared::sql::privacy::{
    DeletionRequestStale, ExportRequestExpire, ExportRequestExpired, ExportRequestStale,
};
use connvo_shared::sql::Statement;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::Env;

use super::files::{bucket, r2_error};
use crate::clock::now_ms;
use crate::jobs::send::enqueue;
use crate::logging;

/// A request untouched this long lost its job (every run touches it).
const STALE_MS: i64 = 10 * 60 * 1000;
/// An erasure waiting for a legal hold is looked at again this often.
const HELD_RECHECK_MS: i64 = 60 * 60 * 1000;
const BATCH: i64 = 50;

#[derive(Deserialize)]
struct Stale {
    id: String,
}

pub async fn tick(env: &Env) {
    if let Err(err) = sweep(env).await {
        logging::emit(
            &LogLine::new(Level::Error, "privacy sweep failed", "cron")
                .field("error", err.message.as_str()),
            Level::Error,
        );
    }
}

/// The ids a stale-request query found.
async fn ids(db: &D1, statement: Statement) -> Result<Vec<String>, ApiError> {
    let rows: Vec<Stale> = db.all(statement).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

async fn sweep(env: &Env) -> Result<(), ApiError> {
    let db = D1::from_env(env)?;
    let now = now_ms();
    let mut jobs = Vec::new();
    for status in ["pending", "processing"] {
        let exports = ExportRequestStale {
            status,
            updated_before_ms: now - STALE_MS,
            limit: BATCH,
        };
        for export_id in ids(&db, exports.statement()).await? {
            jobs.push(Job::PrivacyExport { export_id });
        }
        // A pending erasure is usually one waiting for a legal hold, which
        // touches its row each time it looks: the longer cutoff spaces
        // those checks (a lost pending one is found as late).
        let cutoff = if status == "pending" {
            HELD_RECHECK_MS
        } else {
            STALE_MS
        };
        let erasures = DeletionRequestStale {
            status,
            updated_before_ms: now - cutoff,
            limit: BATCH,
        };
        for request_id in ids(&db, erasures.statement()).await? {
            jobs.push(Job::EraseUser {
                request_id,
                session_id: None,
            });
        }
    }
    let expired = ids(
        &db,
        ExportRequestExpired {
            now_ms: now,
            limit: BATCH,
        }
        .statement(),
    )
    .await?;
    if !expired.is_empty() {
        let files = bucket(env)?;
        for id in &expired {
            files.delete(document_key(id)).await.map_err(r2_error)?;
            db.run(ExportRequestExpire { id, now_ms: now }).await?;
        }
        logging::emit(
            &LogLine::new(Level::Info, "expired exports deleted", "cron")
                .field("count", expired.len()),
            Level::Info,
        );
    }
    let count = jobs.len();
    for job in jobs {
        enqueue(env, job, "cron").await;
    }
    if count > 0 {
        logging::emit(
            &LogLine::new(Level::Info, "privacy jobs re-queued", "cron").field("count", count),
            Level::Info,
        );
    }
    Ok(())
}
