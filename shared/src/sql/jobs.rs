//! Queue job bookkeeping, kept in `idempotency_keys` (no table of its own):
//! how many times a message was delivered, and the records that order one
//! job after another (see `connvo_shared::jobs`).

use crate::params;

/// Counts one more delivery of a queue message and returns the count
/// (1 on the first delivery). Keyed by the runtime's message id, which a
/// retried message keeps; kept until ?3, then purged like any expired key.
///
/// Params: ?1 message id, ?2 now_ms, ?3 expires_at ms.
/// Returns: `attempt`.
pub const JOB_ATTEMPT_NEXT: &str = "\
INSERT INTO idempotency_keys (scope, key, status, request_hash, result, created_at, updated_at, expires_at)
VALUES ('job_attempt', ?1, 'claimed', NULL, '{\"attempt\":1}', ?2, ?2, ?3)
ON CONFLICT (scope, key) DO UPDATE SET
  result = json_set(idempotency_keys.result, '$.attempt',
                    coalesce(json_extract(idempotency_keys.result, '$.attempt'), 0) + 1),
  updated_at = excluded.updated_at
RETURNING json_extract(result, '$.attempt') AS attempt";
params! {
    /// Parameters of [`JOB_ATTEMPT_NEXT`], `?1..?3` in order.
    JOB_ATTEMPT_NEXT => JobAttemptNext<'a> { message_id: &'a str, now_ms: i64, expires_at_ms: i64 }
}
