//! GetStream Video's webhook signature (docs/api.md, "Stream webhook"):
//! `X-Api-Key` is our API key and `X-Signature` the lowercase hex
//! HMAC-SHA256 of the *uncompressed* body keyed with the API secret. Stream
//! sends no timestamp, so replays are the caller's to refuse (dedupe by
//! `X-Webhook-Id`, and the event's own `created_at`).

use super::error::SignatureError;
use super::hmac::{parse_tag, secret_eq, verify_hmac_sha256};

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
