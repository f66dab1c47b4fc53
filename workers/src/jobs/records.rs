//! Job records (scope `job`, `connvo_shared::jobs::records`): the shell's
//! half, running the core's statements on D1.

use connvo_rooms::d1::D1;
use connvo_shared::idempotency::StoredKey;
use connvo_shared::jobs::records::{self, first_time};
use connvo_shared::sql::Statement;
use connvo_shared::ApiError;
use serde_json::Value;

/// Runs a record's write batch (`records::write`); `Ok(false)` when the
/// work was recorded before.
pub async fn write(d1: &D1, batch: &[Statement]) -> Result<bool, ApiError> {
    let outcomes = d1.batch(batch).await?;
    let changes: Vec<usize> = outcomes.iter().map(|o| o.changes).collect();
    Ok(first_time(&changes))
}

/// The recorded result under `key`, if the work is done.
pub async fn get(d1: &D1, key: &str) -> Result<Option<Value>, ApiError> {
    let row: Option<StoredKey> = d1.first(records::read(key)).await?;
    Ok(records::recorded(key, row.as_ref()))
}
