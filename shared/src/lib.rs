//! Connvo's pure core. Nothing here reads the clock, the random source, the
//! network or storage: callers pass time and randomness in, and get back
//! values, rows to persist and messages to send. It builds natively and for
//! `wasm32-unknown-unknown`.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod acl;
pub mod audit;
pub mod auth;
pub mod cors;
pub mod error;
pub mod flag_admin;
pub mod gzip;
pub mod idempotency;
pub mod insights;
pub mod intelligence;
pub mod jobs;
pub mod limits;
pub mod log;
pub mod matching;
pub mod meeting;
pub mod metrics;
pub mod migration_reads;
pub mod notifications;
pub mod openapi;
pub mod operator_limits;
pub mod ot;
pub mod page;
pub mod privacy;
pub mod profiles;
pub mod prompts;
pub mod rate_limit;
pub mod recordings;
pub mod request_id;
pub mod retention;
pub mod room;
pub mod room_internal;
pub mod route;
pub mod search;
pub mod segments;
pub mod signature;
pub mod sql;
pub mod stream;
pub mod time;
pub mod validation;
pub mod workos_events;

pub use error::{ApiError, ErrorCode};

/// The build's version, reported by `/v1/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
