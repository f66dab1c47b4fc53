//! Which key set the Worker trusts for access tokens, decided from
//! configuration alone, so the Worker never has to guess.
//!
//! - `WORKOS_JWKS_URL` set (and not blank): that JWKS, in any environment
//!   (tests point it at a fake WorkOS; a deployment may proxy it).
//! - Otherwise, with the development identity provider on (which only
//!   `ENVIRONMENT=local` allows, see [`super::dev`]): the development key
//!   set, and nothing is fetched. A local run has no WorkOS to ask, so a
//!   token whose `kid` the dev key set lacks is simply unknown (401), never
//!   a provider outage (503).
//! - Otherwise: WorkOS's JWKS for the client id.
//!
//! With a remote JWKS, an unknown `kid` costs at most the rate-limited
//! refetch ([`super::jwks_cache::JwksCachePolicy::may_refetch_unknown_kid`])
//! and then answers 401; a provider outage with nothing cached answers 503.

use super::dev::DevAuth;
use super::jwks_cache::workos_jwks_url;

/// Where the verification keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The development key set compiled into the Worker; nothing is fetched,
    /// and an unknown `kid` is refused at once.
    Dev,
    /// A JWKS fetched (and cached) from this URL.
    Remote { url: String },
}

impl KeySource {
    /// The key source for a deployment: `dev` is the development identity
    /// provider's mode (already checked against the environment),
    /// `jwks_url` the `WORKOS_JWKS_URL` override, if any.
    pub fn resolve(dev: DevAuth, jwks_url: Option<&str>, client_id: &str) -> KeySource {
        match jwks_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => KeySource::Remote {
                url: url.to_owned(),
            },
            None if dev == DevAuth::On => KeySource::Dev,
            None => KeySource::Remote {
                url: workos_jwks_url(client_id),
            },
        }
    }

    /// The JWKS URL, for a remote source.
    pub fn url(&self) -> Option<&str> {
        match self {
            KeySource::Dev => None,
            KeySource::Remote { url } => Some(url),
        }
    }

    /// Whether a token naming a `kid` the current key set lacks may trigger
    /// a refetch (subject to the cache policy's rate limit). Never for the
    /// development key set, which cannot change while the Worker runs.
    pub fn refetches_unknown_kids(&self) -> bool {
        matches!(self, KeySource::Remote { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_wins_everywhere() {
        for dev in [DevAuth::On, DevAuth::Off] {
            let source = KeySource::resolve(dev, Some(" http://127.0.0.1:9/jwks "), "client_x");
            assert_eq!(source.url(), Some("http://127.0.0.1:9/jwks"));
            assert!(source.refetches_unknown_kids());
        }
    }

    #[test]
    fn a_local_run_with_dev_auth_trusts_the_dev_key_set_and_fetches_nothing() {
        for unset in [None, Some(""), Some("  ")] {
            let source = KeySource::resolve(DevAuth::On, unset, "client_local_dev");
            assert_eq!(source, KeySource::Dev);
            assert_eq!(source.url(), None);
            assert!(!source.refetches_unknown_kids());
        }
    }

    #[test]
    fn otherwise_the_workos_jwks_of_the_client() {
        let source = KeySource::resolve(DevAuth::Off, None, "client_01ABC");
        assert_eq!(
            source.url(),
            Some("https://api.workos.com/sso/jwks/client_01ABC")
        );
        assert!(source.refetches_unknown_kids());
    }
}
