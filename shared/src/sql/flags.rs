//! `feature_flags`: server-side toggles per environment. Changes are also
//! written to `audit_logs` by the caller (operator + reason).

use crate::params;

/// Params: ?1 key, ?2 env.
pub const FLAG_GET: &str = "\
SELECT key, env, enabled, value, rollout_percentage, description, updated_by, reason, updated_at
FROM feature_flags WHERE key = ?1 AND env = ?2";
params! {
    /// Parameters of [`FLAG_GET`], `?1..?2` in order.
    FLAG_GET => FlagGet<'a> { key: &'a str, env: &'a str }
}

/// Every flag of an environment (the flag cache refresh).
///
/// Params: ?1 env.
pub const FLAG_LIST_FOR_ENV: &str = "\
SELECT key, env, enabled, value, rollout_percentage, description, updated_by, reason, updated_at
FROM feature_flags WHERE env = ?1
ORDER BY key
LIMIT 1000";
params! {
    /// Parameters of [`FLAG_LIST_FOR_ENV`], `?1..?1` in order.
    FLAG_LIST_FOR_ENV => FlagListForEnv<'a> { env: &'a str }
}

/// Params: ?1 key, ?2 env, ?3 enabled (0/1), ?4 value (JSON), ?5 rollout_percentage,
/// ?6 description, ?7 updated_by, ?8 reason, ?9 now_ms.
pub const FLAG_UPSERT: &str = "\
INSERT INTO feature_flags (key, env, enabled, value, rollout_percentage, description, updated_by, reason,
                           created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
ON CONFLICT (key, env) DO UPDATE SET
  enabled = excluded.enabled,
  value = excluded.value,
  rollout_percentage = excluded.rollout_percentage,
  description = coalesce(excluded.description, feature_flags.description),
  updated_by = excluded.updated_by,
  reason = excluded.reason,
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`FLAG_UPSERT`], `?1..?9` in order.
    FLAG_UPSERT => FlagUpsert<'a> { key: &'a str, env: &'a str, enabled: bool, value: Option<&'a str>, rollout_percentage: i64, description: Option<&'a str>, updated_by: Option<&'a str>, reason: Option<&'a str>, now_ms: i64 }
}

/// Params: ?1 key, ?2 env.
pub const FLAG_DELETE: &str = "DELETE FROM feature_flags WHERE key = ?1 AND env = ?2";
params! {
    /// Parameters of [`FLAG_DELETE`], `?1..?2` in order.
    FLAG_DELETE => FlagDelete<'a> { key: &'a str, env: &'a str }
}

/// The live meetings a change of the in-call flag is pushed to, oldest
/// scheduled first (bounded: rooms beyond it pick the change up from the
/// flag cache within its TTL).
///
/// Params: ?1 limit.
pub const FLAG_LIVE_MEETINGS: &str = "\
SELECT id, org_id FROM meetings
WHERE state = 'active'
ORDER BY scheduled_at, id
LIMIT ?1";
params! {
    /// Parameters of [`FLAG_LIVE_MEETINGS`], `?1..?1` in order.
    FLAG_LIVE_MEETINGS => FlagLiveMeetings { limit: i64 }
}
