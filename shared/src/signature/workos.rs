//! WorkOS's webhook signature (docs/api.md, "WorkOS webhook"):
//! `WorkOS-Signature: t=<ms>, v1=<hex>`, the HMAC-SHA256 of `"<t>.<raw
//! body>"` keyed with the webhook secret, within a tolerance of now.

use super::error::SignatureError;
use super::hmac::{hmac_sha256, parse_tag, to_hex, verify_hmac_sha256};

/// WorkOS's own SDK rejects events signed more than 180 s ago.
pub const WORKOS_DEFAULT_TOLERANCE_MS: u64 = 180_000;

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
