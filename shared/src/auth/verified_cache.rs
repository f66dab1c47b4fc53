//! A per-isolate cache of tokens that already passed verification, so a
//! client reusing its access token (for its ~5-minute life) costs one RSA
//! verification, not one per request. RS256 verification is the dominant
//! cost of authentication (milliseconds in wasm; docs/benchmarks.md).
//!
//! Keyed by the SHA-256 of the whole token string, so a hit means "this
//! exact token verified before": a token differing in any byte misses. A hit
//! is re-checked for expiry against the current time (with the same leeway),
//! so a cached token dies exactly when it would have failed verification.
//! What the cache does not re-check is whether its signing key is still in
//! the JWKS: a key WorkOS withdraws stays trusted for tokens already seen,
//! until they expire (minutes). Revocation and user checks run on every
//! request regardless.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::VerifiedToken;

/// A cache entry: the verified token and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedVerification {
    pub verified: VerifiedToken,
    /// Signed by the local dev key rather than WorkOS.
    pub dev: bool,
}

/// The cache. Bounded: when full, expired entries go first, then everything.
#[derive(Debug, Default)]
pub struct VerifiedCache {
    entries: HashMap<[u8; 32], CachedVerification>,
}

impl VerifiedCache {
    pub const CAPACITY: usize = 10_000;

    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The earlier verification of exactly `token`, if it has not expired
    /// at `now_secs` (allowing `leeway_secs`, as verification does).
    pub fn get(&self, token: &str, now_secs: i64, leeway_secs: i64) -> Option<CachedVerification> {
        self.entries
            .get(&Self::key(token))
            .filter(|e| now_secs.saturating_sub(leeway_secs) <= e.verified.identity.exp)
            .cloned()
    }

    pub fn insert(&mut self, token: &str, entry: CachedVerification, now_secs: i64) {
        if self.entries.len() >= Self::CAPACITY {
            self.entries
                .retain(|_, e| e.verified.identity.exp >= now_secs);
            if self.entries.len() >= Self::CAPACITY {
                self.entries.clear();
            }
        }
        self.entries.insert(Self::key(token), entry);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Identity;

    fn entry(exp: i64) -> CachedVerification {
        CachedVerification {
            verified: VerifiedToken {
                identity: Identity {
                    user_id: "u".into(),
                    org_id: None,
                    role: None,
                    roles: vec![],
                    permissions: vec![],
                    entitlements: vec![],
                    session_id: None,
                    email: None,
                    impersonator: None,
                    exp,
                },
                issued_at: Some(exp - 300),
            },
            dev: false,
        }
    }

    #[test]
    fn hits_only_the_same_token_until_it_expires() {
        let mut c = VerifiedCache::default();
        c.insert("a.b.c", entry(1_000), 0);
        assert!(c.get("a.b.c", 1_000, 60).is_some());
        assert!(
            c.get("a.b.c", 1_060, 60).is_some(),
            "leeway is inclusive, as in verification"
        );
        assert!(c.get("a.b.c", 1_061, 60).is_none());
        assert!(c.get("a.b.d", 500, 60).is_none(), "one byte off misses");
    }

    #[test]
    fn stays_bounded() {
        let mut c = VerifiedCache::default();
        for i in 0..VerifiedCache::CAPACITY {
            c.insert(
                &format!("t{i}"),
                entry(if i % 2 == 0 { 10 } else { 1_000 }),
                0,
            );
        }
        c.insert("new", entry(1_000), 100);
        assert_eq!(
            c.len(),
            VerifiedCache::CAPACITY / 2 + 1,
            "expired entries went first"
        );
    }
}
