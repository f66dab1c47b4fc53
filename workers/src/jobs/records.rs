//! Records of finished job work, in `idempotency_keys` (scope `job`, key
//! the job's idempotency key): written once per meeting, read by the jobs
//! that must come after (the post-call jobs wait for `finalize_meeting`).

use connvo_shared::sql::idempotency;
use connvo_shared::ApiError;
use serde_json::Value;
use worker::D1Database;

use crate::args;
use crate::db;

/// The `idempotency_keys.scope` of job records.
pub const JOB_SCOPE: &str = "job";
/// How long a record is kept.
const RECORD_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Writes `result` under `key` unless a record exists; `Ok(false)` when one
/// did (the work was recorded before).
pub async fn record_once(
    db: &D1Database,
    key: &str,
    result: &Value,
    now: i64,
) -> Result<bool, ApiError> {
    let results = db::batch(
        db,
        vec![
            db::stmt(
                db,
                idempotency::IDEMPOTENCY_CLAIM,
                args![JOB_SCOPE, key, None::<String>, now, now + RECORD_TTL_MS],
            )?,
            db::stmt(
                db,
                idempotency::IDEMPOTENCY_COMPLETE,
                args![JOB_SCOPE, key, result.to_string(), now, now + RECORD_TTL_MS],
            )?,
        ],
    )
    .await?;
    Ok(results.first().map(db::changes) == Some(1))
}

/// The recorded result under `key`, if the work is done.
pub async fn get(db: &D1Database, key: &str) -> Result<Option<Value>, ApiError> {
    let row = db::first(db, idempotency::IDEMPOTENCY_GET, args![JOB_SCOPE, key]).await?;
    Ok(row.filter(|r| r["status"] == "completed").and_then(|r| {
        r["result"]
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
    }))
}
