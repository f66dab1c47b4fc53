//! `rate_limits`: durable fixed-window counters. A sliding window is the
//! current window's count plus the previous one's, weighted by overlap; read
//! both with [`RATE_LIMIT_WINDOWS`].

use crate::params;

/// Count one hit and return the window's new count.
///
/// Params: ?1 subject, ?2 route_class, ?3 window_start ms (aligned), ?4 now_ms.
/// Returns: `count`.
pub const RATE_LIMIT_HIT: &str = "\
INSERT INTO rate_limits (subject, route_class, window_start, count, created_at, updated_at)
VALUES (?1, ?2, ?3, 1, ?4, ?4)
ON CONFLICT (subject, route_class, window_start) DO UPDATE SET
  count = rate_limits.count + 1,
  updated_at = excluded.updated_at
RETURNING count";
params! {
    /// Parameters of [`RATE_LIMIT_HIT`], `?1..?4` in order.
    RATE_LIMIT_HIT => RateLimitHit<'a> { subject: &'a str, route_class: &'a str, window_start_ms: i64, now_ms: i64 }
}

/// The windows of a subject and route class from a start on (current and
/// previous), newest first.
///
/// Params: ?1 subject, ?2 route_class, ?3 from window_start ms.
pub const RATE_LIMIT_WINDOWS: &str = "\
SELECT window_start, count FROM rate_limits
WHERE subject = ?1 AND route_class = ?2 AND window_start >= ?3
ORDER BY window_start DESC
LIMIT 2";
params! {
    /// Parameters of [`RATE_LIMIT_WINDOWS`], `?1..?3` in order.
    RATE_LIMIT_WINDOWS => RateLimitWindows<'a> { subject: &'a str, route_class: &'a str, from_window_start_ms: i64 }
}

/// Drop windows that ended. Bounded; repeat while `changes() == limit`.
///
/// Params: ?1 window_start before ms, ?2 limit.
pub const RATE_LIMIT_PURGE: &str = "\
DELETE FROM rate_limits WHERE rowid IN (
  SELECT rowid FROM rate_limits WHERE window_start < ?1 ORDER BY window_start LIMIT ?2
)";
params! {
    /// Parameters of [`RATE_LIMIT_PURGE`], `?1..?2` in order.
    RATE_LIMIT_PURGE => RateLimitPurge { window_start_before_ms: i64, limit: i64 }
}
