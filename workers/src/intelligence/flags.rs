//! Feature flags as the shells read them (rules I13–I14): the environment's
//! `feature_flags` rows, evaluated by `connvo_shared::intelligence::flags`.
//!
//! INTERFACE SKELETON: today every flag answers its default (no rows read);
//! the D1 read through an isolate cache with a short TTL comes behind the
//! same function.

use connvo_shared::intelligence::flags::{FlagKey, FlagSet};
use connvo_shared::ApiError;
use worker::Env;

/// Whether `key` is on for `subject` (the meeting id for the intelligence
/// flags, the user id for matching) in `org_id`.
pub async fn is_on(
    _env: &Env,
    key: FlagKey,
    org_id: Option<&str>,
    subject: &str,
) -> Result<bool, ApiError> {
    Ok(FlagSet::new(Vec::new()).is_on(key, org_id, subject))
}
