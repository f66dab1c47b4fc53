//! Webhook signatures, one verifier per vendor ([`stream`], [`workos`]),
//! on the HMAC-SHA256 helpers in [`hmac`]. Every comparison of a secret or
//! a MAC is constant-time. The names callers use are re-exported here.
//!
//! Replay protection beyond what a signature gives is the caller's: Stream
//! sends no timestamp, so its webhooks are deduplicated by `X-Webhook-Id`;
//! WorkOS signs a timestamp, checked here.

mod error;
pub mod hmac;
pub mod stream;
pub mod workos;

pub use error::SignatureError;
pub use hmac::{
    constant_time_eq, from_hex, hmac_sha256, hmac_sha256_hex, secret_eq, sha256_hex, to_hex,
    verify_hmac_sha256,
};
pub use stream::{is_gzip, verify_stream_webhook};
pub use workos::{
    parse_workos_signature, sign_workos_webhook, verify_workos_webhook, WorkosSignature,
    WORKOS_DEFAULT_TOLERANCE_MS,
};
