//! Authentication: who is calling, proven how.
//!
//! - WorkOS AuthKit access tokens: the JWKS key set ([`KeySet`]), the
//!   acceptance rules ([`VerifyConfig`]), verification into an [`Identity`],
//!   and the `Authorization: Bearer` header ([`parse_bearer`]).
//! - A signer for tokens of the same shape ([`sign_access_token`]) and its
//!   JWKS ([`jwks_from_public_key`]), for local development and tests.
//! - [`stream_token`]: the GetStream tokens we mint.
//! - [`ticket`]: single-use WebSocket tickets.
//!
//! Everything is pure: the current time comes in as an argument and nothing
//! here fetches keys; the Worker fetches and caches the JWKS and refetches it
//! once when a token names an unknown `kid`.

mod access_token;
pub mod base64url;
mod bearer;
mod config;
pub mod dev;
mod error;
mod identity;
mod jwks;
pub mod jwks_cache;
mod jws;
pub mod key_source;
pub mod membership;
pub mod stream_token;
pub mod ticket;
pub mod verified_cache;

pub use access_token::{
    prepare_access_token, sign_access_token, verify_access_token, verify_access_token_full,
    SignedToken, VerifiedToken,
};
pub use bearer::parse_bearer;
pub use config::VerifyConfig;
pub use error::{AuthError, JwksError};
pub use identity::Identity;
pub use jwks::{jwk_from_public_key, jwks_from_public_key, rsa_private_key_from_jwk, KeySet};

/// The RSA key types, re-exported so callers need no direct `rsa` dependency.
pub use jwt_compact::alg::{RsaPrivateKey, RsaPublicKey};
