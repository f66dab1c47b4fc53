//! The privacy module's R2 objects (binding `FILES`, private): the export
//! parts and documents, and deleting them (after an export is assembled,
//! and when a user is erased).

use connvo_shared::ApiError;
use worker::{Bucket, Env};

/// The R2 binding (wrangler.toml `[[r2_buckets]]`).
pub const FILES: &str = "FILES";
/// Objects deleted per list page.
const LIST_PAGE: u32 = 500;

pub fn bucket(env: &Env) -> Result<Bucket, ApiError> {
    env.bucket(FILES)
        .map_err(|e| ApiError::internal(format!("FILES binding: {e}")))
}

pub fn r2_error(e: worker::Error) -> ApiError {
    ApiError::internal(format!("R2: {e}"))
}

/// Deletes every object under `prefix`; how many went.
pub async fn delete_under(files: &Bucket, prefix: &str) -> Result<usize, ApiError> {
    let mut deleted = 0;
    loop {
        let listed = files
            .list()
            .prefix(prefix)
            .limit(LIST_PAGE)
            .execute()
            .await
            .map_err(r2_error)?;
        let keys: Vec<String> = listed.objects().iter().map(|o| o.key()).collect();
        if keys.is_empty() {
            return Ok(deleted);
        }
        deleted += keys.len();
        files.delete_multiple(keys).await.map_err(r2_error)?;
        if !listed.truncated() {
            return Ok(deleted);
        }
    }
}
