//! Typed configuration, read once per request from the worker's environment
//! (wrangler.toml `[vars]` per environment, and secrets). Unknown or malformed
//! values fall back to safe defaults and are reported by `/v1/health`.

use worker::Env;

/// Binding names, as declared in wrangler.toml.
pub const DB: &str = "DB";
pub const KV: &str = "CACHE";
pub const ROOMS: &str = "MEETING_ROOM";

/// Which deployment this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
}

impl Config {
    pub fn from_env(env: &Env) -> Config {
        let environment = match var(env, "ENVIRONMENT").as_deref() {
            Some("local") => Environment::Local,
            Some("staging") => Environment::Staging,
            // Anything unrecognised is treated as production: the strictest choice.
            _ => Environment::Production,
        };
        Config { environment }
    }
}

/// A plain variable or a secret, whichever is set.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .ok()
        .or_else(|| env.secret(name).map(|v| v.to_string()).ok())
        .filter(|v| !v.is_empty())
}

/// The WebSocket ticket secret (`WS_TICKET_SECRET`, at least 32 bytes):
/// `POST …/ws-ticket` signs with it, the WebSocket entry verifies with it.
pub fn ws_ticket_secret(env: &Env) -> Result<Vec<u8>, connvo_shared::ApiError> {
    var(env, "WS_TICKET_SECRET")
        .map(String::into_bytes)
        .ok_or_else(|| connvo_shared::ApiError::internal("WS_TICKET_SECRET is not configured"))
}
