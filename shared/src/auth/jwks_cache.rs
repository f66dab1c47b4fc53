//! When the Worker may trust, refresh or refetch its cached WorkOS JWKS.
//!
//! The Worker keeps the key set in isolate memory and in KV. This module
//! holds only the timing rules, so they are unit-tested with plain numbers:
//!
//! - an entry younger than the TTL is used as is;
//! - an older one triggers a fetch; if that fetch fails, the old keys are
//!   still used for a bounded grace period (WorkOS being briefly down must
//!   not log everyone out), after which requests fail closed with 503;
//! - a token naming an unknown `kid` (WorkOS rotated its keys) may trigger
//!   one refetch, at most once per interval, so a stream of garbage `kid`s
//!   cannot turn us into a denial-of-service amplifier against WorkOS;
//! - after a failed fetch with nothing cached, the next attempt waits a short
//!   backoff, for the same reason.

/// Timing rules for the JWKS cache. All durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksCachePolicy {
    /// How long a fetched key set is used before it is refreshed.
    pub ttl_ms: u64,
    /// How long past the TTL a key set may still be used when refreshing fails.
    pub stale_if_error_ms: u64,
    /// The least time between two refetches triggered by unknown `kid`s.
    pub min_refetch_interval_ms: u64,
    /// The least time between two attempts when fetching keeps failing.
    pub failure_backoff_ms: u64,
}

impl Default for JwksCachePolicy {
    fn default() -> Self {
        JwksCachePolicy {
            ttl_ms: Self::DEFAULT_TTL_SECS * 1000,
            stale_if_error_ms: 60 * 60 * 1000,
            min_refetch_interval_ms: 60 * 1000,
            failure_backoff_ms: 2 * 1000,
        }
    }
}

/// How usable a cached key set is right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Within the TTL: use it, fetch nothing.
    Fresh,
    /// Past the TTL but within the grace period: refresh, and fall back to it
    /// only if the refresh fails.
    Stale,
    /// Past the grace period: never used.
    Expired,
}

impl JwksCachePolicy {
    /// Ten minutes: short enough that a key WorkOS withdraws stops being
    /// trusted soon, long enough that fetching is rare.
    pub const DEFAULT_TTL_SECS: u64 = 600;
    /// KV refuses expirations under 60 s.
    pub const MIN_TTL_SECS: u64 = 60;
    /// A cap on configuration: a day-old key set is too old to trust.
    pub const MAX_TTL_SECS: u64 = 86_400;

    /// The policy with a configured TTL (seconds), clamped to
    /// [`Self::MIN_TTL_SECS`]..=[`Self::MAX_TTL_SECS`].
    pub fn with_ttl_secs(mut self, secs: u64) -> Self {
        self.ttl_ms = secs.clamp(Self::MIN_TTL_SECS, Self::MAX_TTL_SECS) * 1000;
        self
    }

    /// How usable an entry fetched at `fetched_at_ms` is at `now_ms`. A
    /// fetch time in the future (clock skew between isolates) counts as fresh.
    pub fn freshness(&self, fetched_at_ms: u64, now_ms: u64) -> Freshness {
        let age = now_ms.saturating_sub(fetched_at_ms);
        if age < self.ttl_ms {
            Freshness::Fresh
        } else if age < self.ttl_ms.saturating_add(self.stale_if_error_ms) {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// May a token with an unknown `kid` trigger a refetch now, given when
    /// the last such refetch happened?
    pub fn may_refetch_unknown_kid(&self, last_refetch_ms: Option<u64>, now_ms: u64) -> bool {
        match last_refetch_ms {
            None => true,
            Some(last) => now_ms.saturating_sub(last) >= self.min_refetch_interval_ms,
        }
    }

    /// May a fetch be attempted now, given when the last one failed?
    pub fn may_retry_after_failure(&self, last_failure_ms: Option<u64>, now_ms: u64) -> bool {
        match last_failure_ms {
            None => true,
            Some(last) => now_ms.saturating_sub(last) >= self.failure_backoff_ms,
        }
    }

    /// The KV expiration for a stored key set: the TTL plus the grace period,
    /// so a stale copy survives for the stale-if-error fallback.
    pub fn kv_expiration_ttl_secs(&self) -> u64 {
        (self.ttl_ms.saturating_add(self.stale_if_error_ms) / 1000).max(Self::MIN_TTL_SECS)
    }
}

/// The WorkOS JWKS URL for a client (docs/vendors.md "Access tokens").
pub fn workos_jwks_url(client_id: &str) -> String {
    format!("https://api.workos.com/sso/jwks/{client_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> JwksCachePolicy {
        JwksCachePolicy {
            ttl_ms: 1_000,
            stale_if_error_ms: 500,
            min_refetch_interval_ms: 60_000,
            failure_backoff_ms: 2_000,
        }
    }

    #[test]
    fn freshness_boundaries() {
        let p = policy();
        assert_eq!(p.freshness(10_000, 10_000), Freshness::Fresh);
        assert_eq!(p.freshness(10_000, 10_999), Freshness::Fresh);
        assert_eq!(p.freshness(10_000, 11_000), Freshness::Stale);
        assert_eq!(p.freshness(10_000, 11_499), Freshness::Stale);
        assert_eq!(p.freshness(10_000, 11_500), Freshness::Expired);
        // A fetch time ahead of our clock is not "negative age".
        assert_eq!(p.freshness(20_000, 10_000), Freshness::Fresh);
    }

    #[test]
    fn unknown_kid_refetch_is_throttled() {
        let p = policy();
        assert!(p.may_refetch_unknown_kid(None, 0));
        assert!(!p.may_refetch_unknown_kid(Some(1_000), 60_999));
        assert!(p.may_refetch_unknown_kid(Some(1_000), 61_000));
        // Clock going backwards never unlocks a refetch early.
        assert!(!p.may_refetch_unknown_kid(Some(5_000), 1_000));
    }

    #[test]
    fn failures_back_off() {
        let p = policy();
        assert!(p.may_retry_after_failure(None, 0));
        assert!(!p.may_retry_after_failure(Some(1_000), 2_999));
        assert!(p.may_retry_after_failure(Some(1_000), 3_000));
    }

    #[test]
    fn ttl_is_clamped_and_kv_keeps_the_grace_period() {
        let p = JwksCachePolicy::default().with_ttl_secs(1);
        assert_eq!(p.ttl_ms, 60_000);
        let p = JwksCachePolicy::default().with_ttl_secs(10_000_000);
        assert_eq!(p.ttl_ms, 86_400_000);
        let p = JwksCachePolicy::default();
        assert_eq!(p.kv_expiration_ttl_secs(), 600 + 3600);
    }

    #[test]
    fn jwks_url_has_the_workos_shape() {
        assert_eq!(
            workos_jwks_url("client_01H"),
            "https://api.workos.com/sso/jwks/client_01H"
        );
    }
}
