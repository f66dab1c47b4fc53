//! The authentication configuration, read from the environment on each
//! request (cheap: a few string reads). A missing client id fails closed.

use connvo_shared::auth::dev::{dev_auth_mode, DevAuth};
use connvo_shared::auth::jwks_cache::JwksCachePolicy;
use connvo_shared::auth::key_source::KeySource;
use connvo_shared::auth::VerifyConfig;
use connvo_shared::ApiError;
use worker::Env;

use crate::config::{var, Config, Environment};

/// Everything `authenticate` needs to know about this deployment.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Where the verification keys come from (`connvo_shared::auth::key_source`).
    pub keys: KeySource,
    pub verify: VerifyConfig,
    pub policy: JwksCachePolicy,
    pub dev: DevAuth,
}

impl AuthSettings {
    pub fn from_env(env: &Env) -> Result<AuthSettings, ApiError> {
        let client_id = var(env, "WORKOS_CLIENT_ID").ok_or_else(|| {
            ApiError::internal("server misconfigured: WORKOS_CLIENT_ID is not set")
        })?;
        let dev = dev_mode(env)?;
        let keys = KeySource::resolve(dev, var(env, "WORKOS_JWKS_URL").as_deref(), &client_id);
        let mut verify = VerifyConfig::workos(&client_id);
        for issuer in var(env, "WORKOS_ISSUERS").unwrap_or_default().split(',') {
            verify = verify.with_issuer(issuer.trim());
        }
        if let Some(aud) = var(env, "WORKOS_AUDIENCE") {
            verify = verify.with_audience(aud);
        }
        let mut policy = JwksCachePolicy::default();
        if let Some(ttl) = var(env, "JWKS_CACHE_TTL_SECS").and_then(|v| v.trim().parse().ok()) {
            policy = policy.with_ttl_secs(ttl);
        }
        Ok(AuthSettings {
            keys,
            verify,
            policy,
            dev,
        })
    }
}

/// The dev identity provider's mode; an error when `DEV_AUTH` is set outside
/// `ENVIRONMENT=local` (the router then refuses every request).
pub fn dev_mode(env: &Env) -> Result<DevAuth, ApiError> {
    let is_local = Config::from_env(env).environment == Environment::Local;
    dev_auth_mode(is_local, var(env, "DEV_AUTH").as_deref()).map_err(ApiError::from)
}
