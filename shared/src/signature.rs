//! Webhook signatures (Stream, WorkOS) and the HMAC-SHA256 helpers behind
//! them. Wire formats are in CONTRACTS.md; every comparison of a secret or a
//! MAC is constant-time.
//!
//! Replay protection beyond what a signature gives is the caller's: Stream
//! sends no timestamp, so its webhooks are deduplicated by `X-Webhook-Id`;
//! WorkOS signs a timestamp, checked here.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};

type HmacSha256 = Hmac<Sha256>;

/// WorkOS's own SDK rejects events signed more than 180 s ago.
pub const WORKOS_DEFAULT_TOLERANCE_MS: u64 = 180_000;

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Our side has no (or an empty) secret/API key: verifying against an
    /// empty key would accept anyone's signature.
    #[error("webhook secret not configured")]
    SecretNotConfigured,
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed signature header: {0}")]
    MalformedHeader(&'static str),
    #[error("signature mismatch")]
    Mismatch,
    #[error("API key mismatch")]
    ApiKeyMismatch,
    /// The body still starts with the gzip magic: the signature covers the
    /// uncompressed JSON, so the caller must decompress first.
    #[error("body is still gzip-compressed")]
    CompressedBody,
    #[error("signature timestamp outside tolerance")]
    TimestampOutOfTolerance,
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::SecretNotConfigured => "WEBHOOK_SECRET_NOT_CONFIGURED",
            SignatureError::MissingHeader(_) => "SIGNATURE_MISSING",
            SignatureError::MalformedHeader(_) => "SIGNATURE_MALFORMED",
            SignatureError::Mismatch => "SIGNATURE_MISMATCH",
            SignatureError::ApiKeyMismatch => "API_KEY_MISMATCH",
            SignatureError::CompressedBody => "BODY_COMPRESSED",
            SignatureError::TimestampOutOfTolerance => "SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE",
        }
    }
}

impl From<SignatureError> for ApiError {
    fn from(err: SignatureError) -> Self {
        let code = match err {
            SignatureError::SecretNotConfigured => ErrorCode::Internal,
            SignatureError::CompressedBody => ErrorCode::ValidationError,
            SignatureError::MissingHeader(_)
            | SignatureError::MalformedHeader(_)
            | SignatureError::Mismatch
            | SignatureError::ApiKeyMismatch
            | SignatureError::TimestampOutOfTolerance => ErrorCode::Unauthorized,
        };
        ApiError::new(code, err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}

/// HMAC-SHA256 over the concatenation of `parts`.
///
/// `None` only if the HMAC implementation refused the key, which it never
/// does for HMAC (any length is valid); callers treat it as failure, so
/// verification fails closed.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

/// Lowercase hex HMAC-SHA256 of `message`, as Stream and WorkOS write it.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> Option<String> {
    hmac_sha256(key, &[message]).map(|tag| to_hex(&tag))
}

/// Constant-time check of `tag` against HMAC-SHA256(`key`, `parts`).
pub fn verify_hmac_sha256(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    // `verify_slice` compares in constant time (via `subtle`).
    mac.verify_slice(tag).is_ok()
}

/// Constant-time equality of two byte strings. Lengths are compared first
/// (not secret for MACs); use [`secret_eq`] when the length is secret too.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the optimiser from turning the fold into an early-exit compare.
    std::hint::black_box(diff) == 0
}

/// Equality of two secrets that leaks neither content nor length: compares
/// their SHA-256 digests in constant time.
pub fn secret_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time_eq(&Sha256::digest(a), &Sha256::digest(b))
}

/// Lowercase hex SHA-256 of `data` (request fingerprints for idempotency keys).
pub fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex (either case) to bytes; `None` on odd length or a non-hex character.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some((nibble(*hi)? << 4) | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

/// A 32-byte MAC written as 64 hex characters.
fn parse_tag(hex: &str) -> Option<[u8; 32]> {
    from_hex(hex)?.try_into().ok()
}

/// True when `body` starts with the gzip magic bytes `1f 8b`.
pub fn is_gzip(body: &[u8]) -> bool {
    body.starts_with(&[0x1f, 0x8b])
}

/// Verifies a Stream webhook: `X-Api-Key` must equal our API key and
/// `X-Signature` must be the hex HMAC-SHA256 of the raw, *uncompressed* body
/// keyed with the API secret. The caller gunzips first (see [`is_gzip`]).
pub fn verify_stream_webhook(
    api_key: &str,
    api_secret: &str,
    x_api_key: Option<&str>,
    x_signature: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    if api_key.is_empty() || api_secret.is_empty() {
        return Err(SignatureError::SecretNotConfigured);
    }
    let sent_key = x_api_key.ok_or(SignatureError::MissingHeader("X-Api-Key"))?;
    let sent_sig = x_signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::MissingHeader("X-Signature"))?;
    if is_gzip(body) {
        return Err(SignatureError::CompressedBody);
    }
    if !secret_eq(sent_key.trim().as_bytes(), api_key.as_bytes()) {
        return Err(SignatureError::ApiKeyMismatch);
    }
    let tag = parse_tag(sent_sig).ok_or(SignatureError::MalformedHeader("X-Signature"))?;
    if verify_hmac_sha256(api_secret.as_bytes(), &[body], &tag) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A parsed `WorkOS-Signature: t=<ms>, v1=<hex>` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkosSignature<'a> {
    /// The timestamp exactly as sent: it is signed as text, so re-formatting
    /// the number (say, dropping a leading zero) would break verification.
    pub timestamp: &'a str,
    pub timestamp_ms: u64,
    pub v1: [u8; 32],
}

/// Parses the header. Parts may come in either order with spaces around
/// them; unknown parts (future schemes) are ignored; a repeated `t` or `v1`
/// is refused as ambiguous.
pub fn parse_workos_signature(header: &str) -> Result<WorkosSignature<'_>, SignatureError> {
    let mut timestamp = None;
    let mut v1 = None;
    for part in header.split(',') {
        let Some((key, value)) = part.split_once('=') else {
            return Err(SignatureError::MalformedHeader("expected key=value"));
        };
        let value = value.trim();
        let slot = match key.trim() {
            "t" => &mut timestamp,
            "v1" => &mut v1,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(SignatureError::MalformedHeader("repeated part"));
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::MalformedHeader("missing t"))?;
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedHeader("t is not a number"));
    }
    let timestamp_ms = timestamp
        .parse::<u64>()
        .map_err(|_| SignatureError::MalformedHeader("t is not a number"))?;
    let v1 = v1.ok_or(SignatureError::MalformedHeader("missing v1"))?;
    let v1 = parse_tag(v1).ok_or(SignatureError::MalformedHeader("v1 is not 64 hex digits"))?;
    Ok(WorkosSignature {
        timestamp,
        timestamp_ms,
        v1,
    })
}

/// Verifies a WorkOS webhook: HMAC-SHA256(secret, `"<t>.<raw body>"`) must
/// equal `v1`, and `t` must be within `tolerance_ms` of `now_ms` either way
/// (use [`WORKOS_DEFAULT_TOLERANCE_MS`]).
///
/// The signature is checked before the timestamp so that a timestamp error
/// always means "genuine but stale": a replay worth alerting on, not noise.
pub fn verify_workos_webhook(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now_ms: u64,
    tolerance_ms: u64,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::SecretNotConfigured);
    }
    let header = header
        .filter(|h| !h.trim().is_empty())
        .ok_or(SignatureError::MissingHeader("WorkOS-Signature"))?;
    let sig = parse_workos_signature(header)?;
    let signed = [sig.timestamp.as_bytes(), b".", body];
    if !verify_hmac_sha256(secret.as_bytes(), &signed, &sig.v1) {
        return Err(SignatureError::Mismatch);
    }
    if now_ms.abs_diff(sig.timestamp_ms) > tolerance_ms {
        return Err(SignatureError::TimestampOutOfTolerance);
    }
    Ok(())
}

/// Builds a `WorkOS-Signature` header value, for fakes and tests that play
/// WorkOS. `None` only if HMAC refused the key (it never does).
pub fn sign_workos_webhook(secret: &str, body: &[u8], timestamp_ms: u64) -> Option<String> {
    let t = timestamp_ms.to_string();
    let tag = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body])?;
    Some(format!("t={t}, v1={}", to_hex(&tag)))
}
