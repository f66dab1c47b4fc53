//! Stream and job-retry configuration, read from the environment
//! (wrangler.toml `[vars]` per environment; the API secret is a secret).
//! See README.md, "Configuration".

use connvo_shared::jobs::Backoff;
use connvo_shared::ApiError;
use worker::Env;

use crate::config::var;

/// Stream's production API.
pub const DEFAULT_API_BASE: &str = "https://video.stream-io-api.com";

#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub api_key: String,
    pub api_secret: String,
    /// `STREAM_API_BASE`, without a trailing slash.
    pub api_base: String,
    /// The Stream call type of every meeting's call (`default`).
    pub call_type: String,
    /// `STREAM_WEBHOOK_MAX_AGE_SECS`, in ms: older events are refused.
    pub webhook_max_age_ms: i64,
    /// How long one create-call request may take.
    pub timeout_ms: u64,
}

fn int_var(env: &Env, name: &str, default: u64, min: u64, max: u64) -> u64 {
    var(env, name)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|v| (min..=max).contains(v))
        .unwrap_or(default)
}

impl StreamConfig {
    /// The configuration, or 500 `INTERNAL` when the key or secret is missing
    /// (no request can be served or verified without them).
    pub fn from_env(env: &Env) -> Result<StreamConfig, ApiError> {
        let api_key = var(env, "STREAM_API_KEY")
            .ok_or_else(|| ApiError::internal("STREAM_API_KEY is not configured"))?;
        let api_secret = var(env, "STREAM_API_SECRET")
            .ok_or_else(|| ApiError::internal("STREAM_API_SECRET is not configured"))?;
        let api_base = var(env, "STREAM_API_BASE")
            .filter(|b| b.starts_with("https://") || b.starts_with("http://"))
            .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let call_type = var(env, "STREAM_CALL_TYPE")
            .filter(|t| connvo_shared::route::is_valid_id(t))
            .unwrap_or_else(|| "default".to_owned());
        let max_age_secs = int_var(env, "STREAM_WEBHOOK_MAX_AGE_SECS", 300, 10, 86_400);
        Ok(StreamConfig {
            api_key,
            api_secret,
            api_base,
            call_type,
            webhook_max_age_ms: i64::try_from(max_age_secs * 1000).unwrap_or(300_000),
            timeout_ms: int_var(env, "STREAM_TIMEOUT_MS", 5000, 100, 30_000),
        })
    }
}

/// The retry policy of queue jobs: `JOB_RETRY_BASE_SECS` (2), doubling up to
/// `JOB_RETRY_MAX_DELAY_SECS` (300), at most `JOB_MAX_ATTEMPTS` (6) attempts.
pub fn job_backoff(env: &Env) -> Backoff {
    let d = Backoff::default();
    let to_u32 = |v: u64, fallback: u32| u32::try_from(v).unwrap_or(fallback);
    Backoff {
        base_secs: to_u32(
            int_var(env, "JOB_RETRY_BASE_SECS", d.base_secs.into(), 1, 3600),
            d.base_secs,
        ),
        max_delay_secs: to_u32(
            int_var(
                env,
                "JOB_RETRY_MAX_DELAY_SECS",
                d.max_delay_secs.into(),
                1,
                43_200,
            ),
            d.max_delay_secs,
        ),
        max_attempts: to_u32(
            int_var(env, "JOB_MAX_ATTEMPTS", d.max_attempts.into(), 1, 100),
            d.max_attempts,
        ),
    }
}
