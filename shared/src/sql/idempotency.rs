//! `idempotency_keys`: exactly-once side effects for webhooks, queue jobs, AI
//! requests and client retries.
//!
//! Protocol: run [`IDEMPOTENCY_CLAIM`]. `changes() == 1`: you own the key, do
//! the work, then [`IDEMPOTENCY_COMPLETE`] (or [`IDEMPOTENCY_RELEASE`] on a
//! retryable failure). `changes() == 0`: someone else has it; read it with
//! [`IDEMPOTENCY_GET`] and replay `result` if `completed`, or answer
//! "in progress" if `claimed`.

use crate::params;

/// Claim a key. An expired key is reclaimed as if it were new.
///
/// Params: ?1 scope, ?2 key, ?3 request_hash, ?4 now_ms, ?5 expires_at ms.
pub const IDEMPOTENCY_CLAIM: &str = "\
INSERT INTO idempotency_keys (scope, key, status, request_hash, result, created_at, updated_at, expires_at)
VALUES (?1, ?2, 'claimed', ?3, NULL, ?4, ?4, ?5)
ON CONFLICT (scope, key) DO UPDATE SET
  status = 'claimed',
  request_hash = excluded.request_hash,
  result = NULL,
  created_at = excluded.created_at,
  updated_at = excluded.updated_at,
  expires_at = excluded.expires_at
WHERE idempotency_keys.expires_at <= excluded.created_at";
params! {
    /// Parameters of [`IDEMPOTENCY_CLAIM`], `?1..?5` in order.
    IDEMPOTENCY_CLAIM => IdempotencyClaim<'a> { scope: &'a str, key: &'a str, request_hash: Option<&'a str>, now_ms: i64, expires_at_ms: i64 }
}

/// Params: ?1 scope, ?2 key.
pub const IDEMPOTENCY_GET: &str = "\
SELECT scope, key, status, request_hash, result, created_at, updated_at, expires_at
FROM idempotency_keys WHERE scope = ?1 AND key = ?2";
params! {
    /// Parameters of [`IDEMPOTENCY_GET`], `?1..?2` in order.
    IDEMPOTENCY_GET => IdempotencyGet<'a> { scope: &'a str, key: &'a str }
}

/// Mark the work done and keep its result for replay.
///
/// Params: ?1 scope, ?2 key, ?3 result (JSON or NULL), ?4 now_ms, ?5 expires_at ms.
pub const IDEMPOTENCY_COMPLETE: &str = "\
UPDATE idempotency_keys
SET status = 'completed', result = ?3, updated_at = ?4, expires_at = ?5
WHERE scope = ?1 AND key = ?2 AND status = 'claimed'";
params! {
    /// Parameters of [`IDEMPOTENCY_COMPLETE`], `?1..?5` in order.
    IDEMPOTENCY_COMPLETE => IdempotencyComplete<'a> { scope: &'a str, key: &'a str, result: Option<&'a str>, now_ms: i64, expires_at_ms: i64 }
}

/// Give a claimed key back after a retryable failure, so the retry can claim it.
///
/// Params: ?1 scope, ?2 key.
pub const IDEMPOTENCY_RELEASE: &str = "\
DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2 AND status = 'claimed'";
params! {
    /// Parameters of [`IDEMPOTENCY_RELEASE`], `?1..?2` in order.
    IDEMPOTENCY_RELEASE => IdempotencyRelease<'a> { scope: &'a str, key: &'a str }
}

/// Drop expired keys. Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 now_ms, ?2 limit.
pub const IDEMPOTENCY_PURGE_EXPIRED: &str = "\
DELETE FROM idempotency_keys WHERE rowid IN (
  SELECT rowid FROM idempotency_keys WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2
)";
params! {
    /// Parameters of [`IDEMPOTENCY_PURGE_EXPIRED`], `?1..?2` in order.
    IDEMPOTENCY_PURGE_EXPIRED => IdempotencyPurgeExpired { now_ms: i64, limit: i64 }
}
