//! GetStream Video tokens: HS256 JWTs signed with the Stream API secret
//! (docs/vendors.md "Tokens"). User and call tokens go to clients, are
//! short-lived, and are never stored; the server token authenticates our
//! REST calls to Stream.
//!
//! Claims are serialised in the official SDK's order (`user_id`, `iat`,
//! `exp`, then `call_cids`, `role`) with the header `{"alg":"HS256","typ":"JWT"}`.

use serde::Serialize;

use super::jws;
use crate::error::{ApiError, ErrorCode};
use crate::signature::{hmac_sha256, verify_hmac_sha256};

/// Longest lifetime we mint: the SDK's default, and the brief's ceiling.
pub const MAX_TTL_SECS: u32 = 3600;
/// User and call ids longer than this are not ones we issued.
const MAX_ID_LEN: usize = 255;
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Why a Stream token could not be minted or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamTokenError {
    #[error("Stream API secret not configured")]
    SecretNotConfigured,
    #[error("token lifetime must be 1..=3600 seconds")]
    InvalidTtl,
    #[error("invalid {0}")]
    InvalidInput(&'static str),
    #[error("malformed Stream token: {0}")]
    Malformed(&'static str),
    #[error("Stream token is not HS256")]
    UnsupportedAlgorithm,
    #[error("bad Stream token signature")]
    BadSignature,
}

impl StreamTokenError {
    pub fn code(&self) -> &'static str {
        match self {
            StreamTokenError::SecretNotConfigured => "STREAM_SECRET_NOT_CONFIGURED",
            StreamTokenError::InvalidTtl => "STREAM_TOKEN_INVALID_TTL",
            StreamTokenError::InvalidInput(_) => "STREAM_TOKEN_INVALID_INPUT",
            StreamTokenError::Malformed(_) => "STREAM_TOKEN_MALFORMED",
            StreamTokenError::UnsupportedAlgorithm => "STREAM_TOKEN_UNSUPPORTED_ALG",
            StreamTokenError::BadSignature => "STREAM_TOKEN_BAD_SIGNATURE",
        }
    }
}

impl From<StreamTokenError> for ApiError {
    fn from(err: StreamTokenError) -> Self {
        let code = match err {
            StreamTokenError::SecretNotConfigured | StreamTokenError::InvalidTtl => {
                ErrorCode::Internal
            }
            StreamTokenError::InvalidInput(_) => ErrorCode::ValidationError,
            StreamTokenError::Malformed(_)
            | StreamTokenError::UnsupportedAlgorithm
            | StreamTokenError::BadSignature => ErrorCode::Unauthorized,
        };
        ApiError::new(code, err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}

#[derive(Serialize)]
struct UserClaims<'a> {
    user_id: &'a str,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_cids: Option<&'a [&'a str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
}

/// A user token `{"user_id","iat","exp"}`: `iat` is `now_secs - 1` (the SDK
/// backdates it so a client with a slightly slow clock can use it at once)
/// and `exp` is `iat + ttl_secs`.
pub fn mint_user_token(
    secret: &str,
    user_id: &str,
    now_secs: i64,
    ttl_secs: u32,
) -> Result<String, StreamTokenError> {
    mint(secret, user_id, None, None, now_secs, ttl_secs)
}

/// A call token: the user token plus `"call_cids"` (each `"<type>:<id>"`)
/// and, when given, `"role"` (the call role Stream should grant).
pub fn mint_call_token(
    secret: &str,
    user_id: &str,
    call_cids: &[&str],
    role: Option<&str>,
    now_secs: i64,
    ttl_secs: u32,
) -> Result<String, StreamTokenError> {
    if call_cids.is_empty() {
        return Err(StreamTokenError::InvalidInput("call_cids"));
    }
    if !call_cids.iter().all(|cid| is_call_cid(cid)) {
        return Err(StreamTokenError::InvalidInput("call_cid"));
    }
    if role.is_some_and(|r| !is_plain_id(r)) {
        return Err(StreamTokenError::InvalidInput("role"));
    }
    mint(secret, user_id, Some(call_cids), role, now_secs, ttl_secs)
}

/// The server token `{"server":true}`, with no `iat` or `exp`, sent raw
/// (no `Bearer`) in `Authorization` on REST calls to Stream.
pub fn mint_server_token(secret: &str) -> Result<String, StreamTokenError> {
    sign(secret, r#"{"server":true}"#)
}

fn mint(
    secret: &str,
    user_id: &str,
    call_cids: Option<&[&str]>,
    role: Option<&str>,
    now_secs: i64,
    ttl_secs: u32,
) -> Result<String, StreamTokenError> {
    if ttl_secs == 0 || ttl_secs > MAX_TTL_SECS {
        return Err(StreamTokenError::InvalidTtl);
    }
    if !is_plain_id(user_id) {
        return Err(StreamTokenError::InvalidInput("user_id"));
    }
    let iat = now_secs.saturating_sub(1);
    let claims = UserClaims {
        user_id,
        iat,
        exp: iat.saturating_add(i64::from(ttl_secs)),
        call_cids,
        role,
    };
    let payload =
        serde_json::to_string(&claims).map_err(|_| StreamTokenError::InvalidInput("claims"))?;
    sign(secret, &payload)
}

fn sign(secret: &str, payload_json: &str) -> Result<String, StreamTokenError> {
    if secret.is_empty() {
        return Err(StreamTokenError::SecretNotConfigured);
    }
    let input = jws::signing_input(HEADER, payload_json);
    let tag = hmac_sha256(secret.as_bytes(), &[input.as_bytes()])
        .ok_or(StreamTokenError::SecretNotConfigured)?;
    Ok(jws::finish(input, &tag))
}

/// Checks an HS256 token's signature and returns its claims. Expiry is not
/// checked: this is for the fake Stream server in tests, and for asserting
/// what we minted.
pub fn decode_stream_token(
    secret: &str,
    token: &str,
) -> Result<serde_json::Value, StreamTokenError> {
    if secret.is_empty() {
        return Err(StreamTokenError::SecretNotConfigured);
    }
    let compact = jws::split(token).map_err(StreamTokenError::Malformed)?;
    let header: serde_json::Value = serde_json::from_slice(&compact.header)
        .map_err(|_| StreamTokenError::Malformed("header"))?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(StreamTokenError::UnsupportedAlgorithm);
    }
    if !verify_hmac_sha256(
        secret.as_bytes(),
        &[compact.signing_input.as_bytes()],
        &compact.signature,
    ) {
        return Err(StreamTokenError::BadSignature);
    }
    let claims: serde_json::Value = serde_json::from_slice(&compact.payload)
        .map_err(|_| StreamTokenError::Malformed("claims"))?;
    if !claims.is_object() {
        return Err(StreamTokenError::Malformed("claims"));
    }
    Ok(claims)
}

/// Non-empty, bounded, printable ASCII without spaces: every id we pass is a
/// WorkOS id, a meeting id or a role slug.
fn is_plain_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && s.bytes().all(|b| b.is_ascii_graphic())
}

/// `"<call type>:<call id>"` with both halves plain and no second colon.
fn is_call_cid(cid: &str) -> bool {
    match cid.split_once(':') {
        Some((kind, id)) => is_plain_id(kind) && is_plain_id(id) && !id.contains(':'),
        None => false,
    }
}
