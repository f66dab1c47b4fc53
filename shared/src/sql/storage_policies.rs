//! `storage_policies` (an organisation's retention of one data class) and
//! `retention_runs` (what each retention run deleted), migration 0016,
//! docs/privacy.md P22–P25.

use crate::params;

/// Create a policy; collides with the org's policy for the same scope
/// (`changes() == 0`: 409).
///
/// Params: ?1 id, ?2 org_id, ?3 name, ?4 scope, ?5 retention_days,
/// ?6 auto_delete (0/1), ?7 tier, ?8 created_by, ?9 now_ms.
pub const STORAGE_POLICY_CREATE: &str = "\
INSERT INTO storage_policies (id, org_id, name, scope, retention_days, auto_delete, tier,
                              created_by, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
ON CONFLICT (org_id, scope) DO NOTHING";
params! {
    /// Parameters of [`STORAGE_POLICY_CREATE`], `?1..?9` in order.
    STORAGE_POLICY_CREATE => StoragePolicyCreate<'a> { id: &'a str, org_id: &'a str, name: &'a str, scope: &'a str, retention_days: i64, auto_delete: i64, tier: &'a str, created_by: Option<&'a str>, now_ms: i64 }
}

/// One policy of one org (another org's is not found).
///
/// Params: ?1 id, ?2 org_id.
pub const STORAGE_POLICY_GET: &str = "\
SELECT id, org_id, name, scope, retention_days, auto_delete, tier, created_by, created_at, updated_at
FROM storage_policies WHERE id = ?1 AND org_id = ?2";
params! {
    /// Parameters of [`STORAGE_POLICY_GET`], `?1..?2` in order.
    STORAGE_POLICY_GET => StoragePolicyGet<'a> { id: &'a str, org_id: &'a str }
}

/// An org's policies (at most one per scope).
///
/// Params: ?1 org_id, ?2 limit.
pub const STORAGE_POLICY_LIST_FOR_ORG: &str = "\
SELECT id, org_id, name, scope, retention_days, auto_delete, tier, created_by, created_at, updated_at
FROM storage_policies WHERE org_id = ?1 ORDER BY scope LIMIT ?2";
params! {
    /// Parameters of [`STORAGE_POLICY_LIST_FOR_ORG`], `?1..?2` in order.
    STORAGE_POLICY_LIST_FOR_ORG => StoragePolicyListForOrg<'a> { org_id: &'a str, limit: i64 }
}

/// Every org's policy for one scope, for the retention run.
///
/// Params: ?1 scope, ?2 limit.
pub const STORAGE_POLICY_LIST_FOR_SCOPE: &str = "\
SELECT id, org_id, name, scope, retention_days, auto_delete, tier, created_by, created_at, updated_at
FROM storage_policies WHERE scope = ?1 ORDER BY org_id LIMIT ?2";
params! {
    /// Parameters of [`STORAGE_POLICY_LIST_FOR_SCOPE`], `?1..?2` in order.
    STORAGE_POLICY_LIST_FOR_SCOPE => StoragePolicyListForScope<'a> { scope: &'a str, limit: i64 }
}

/// Replace a policy's settings (its scope never changes).
///
/// Params: ?1 id, ?2 org_id, ?3 name, ?4 retention_days, ?5 auto_delete,
/// ?6 tier, ?7 now_ms.
pub const STORAGE_POLICY_UPDATE: &str = "\
UPDATE storage_policies
SET name = ?3, retention_days = ?4, auto_delete = ?5, tier = ?6, updated_at = ?7
WHERE id = ?1 AND org_id = ?2";
params! {
    /// Parameters of [`STORAGE_POLICY_UPDATE`], `?1..?7` in order.
    STORAGE_POLICY_UPDATE => StoragePolicyUpdate<'a> { id: &'a str, org_id: &'a str, name: &'a str, retention_days: i64, auto_delete: i64, tier: &'a str, now_ms: i64 }
}

/// Delete a policy: the section 14 default applies again.
///
/// Params: ?1 id, ?2 org_id.
pub const STORAGE_POLICY_DELETE: &str = "\
DELETE FROM storage_policies WHERE id = ?1 AND org_id = ?2";
params! {
    /// Parameters of [`STORAGE_POLICY_DELETE`], `?1..?2` in order.
    STORAGE_POLICY_DELETE => StoragePolicyDelete<'a> { id: &'a str, org_id: &'a str }
}

/// Record one retention run's counters.
///
/// Params: ?1 id, ?2 trigger ('cron' | 'dev'), ?3 deleted (JSON object),
/// ?4 statements, ?5 complete (0/1), ?6 skipped_policies, ?7 started_at,
/// ?8 finished_at.
pub const RETENTION_RUN_INSERT: &str = "\
INSERT INTO retention_runs (id, trigger, deleted, statements, complete, skipped_policies,
                            started_at, finished_at, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
params! {
    /// Parameters of [`RETENTION_RUN_INSERT`], `?1..?8` in order.
    RETENTION_RUN_INSERT => RetentionRunInsert<'a> { id: &'a str, trigger: &'a str, deleted_json: &'a str, statements: i64, complete: i64, skipped_policies: i64, started_at: i64, finished_at: i64 }
}

/// Runs newest first; the cursor `(created_at, id) < (?1, ?2)` is exclusive
/// (first page: `i64::MAX`, `''`… any id sorts below `'~'`, so pass `'~'`).
///
/// Params: ?1 before_created_at, ?2 before_id, ?3 limit.
pub const RETENTION_RUN_LIST: &str = "\
SELECT id, trigger, deleted, statements, complete, skipped_policies, started_at, finished_at
FROM retention_runs
WHERE (created_at, id) < (?1, ?2)
ORDER BY created_at DESC, id DESC
LIMIT ?3";
params! {
    /// Parameters of [`RETENTION_RUN_LIST`], `?1..?3` in order.
    RETENTION_RUN_LIST => RetentionRunList<'a> { before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// Runs older than the cutoff (they are operational counters).
///
/// Params: ?1 cutoff_ms, ?2 limit.
pub const RETENTION_RUN_PURGE: &str = "\
DELETE FROM retention_runs WHERE rowid IN (
  SELECT rowid FROM retention_runs WHERE created_at < ?1 ORDER BY created_at LIMIT ?2
)";
params! {
    /// Parameters of [`RETENTION_RUN_PURGE`], `?1..?2` in order.
    RETENTION_RUN_PURGE => RetentionRunPurge { cutoff_ms: i64, limit: i64 }
}
