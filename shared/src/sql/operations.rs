//! Operations (docs/operations.md, docs/security.md): the organisation
//! admins an alert notifies, and `operator_limits`, the run-time rate-limit
//! settings of an environment.

use crate::params;

/// Active organisation admins (alert recipients), by id.
///
/// Params: ?1 limit.
pub const USERS_ORG_ADMINS: &str = "\
SELECT id FROM users
WHERE org_role = 'admin' AND is_active = 1 AND deleted_at IS NULL
ORDER BY id
LIMIT ?1";
params! {
    /// Parameters of [`USERS_ORG_ADMINS`], `?1..?1` in order.
    USERS_ORG_ADMINS => UsersOrgAdmins { limit: i64 }
}

/// Params: ?1 env.
pub const OPERATOR_LIMITS_GET: &str = "\
SELECT env, config, updated_by, reason, updated_at FROM operator_limits WHERE env = ?1";
params! {
    /// Parameters of [`OPERATOR_LIMITS_GET`], `?1..?1` in order.
    OPERATOR_LIMITS_GET => OperatorLimitsGet<'a> { env: &'a str }
}

/// Params: ?1 env, ?2 config (JSON), ?3 updated_by, ?4 reason, ?5 now_ms.
pub const OPERATOR_LIMITS_PUT: &str = "\
INSERT INTO operator_limits (env, config, updated_by, reason, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?5)
ON CONFLICT (env) DO UPDATE SET
  config = excluded.config,
  updated_by = excluded.updated_by,
  reason = excluded.reason,
  updated_at = excluded.updated_at
RETURNING env, config, updated_by, reason, updated_at";
params! {
    /// Parameters of [`OPERATOR_LIMITS_PUT`], `?1..?5` in order.
    OPERATOR_LIMITS_PUT => OperatorLimitsPut<'a> { env: &'a str, config: &'a str, updated_by: &'a str, reason: &'a str, now_ms: i64 }
}
