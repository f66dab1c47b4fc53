//! Compact JWS framing (RFC 7515 §7.1): `b64(header).b64(payload).b64(sig)`.
//! Shared by WorkOS access tokens and Stream tokens; it knows nothing about
//! algorithms or claims, only how the three segments are cut and decoded.

use super::base64url;

/// Tokens larger than this are refused before any decoding work. AuthKit
/// tokens are well under 4 KiB even with many permissions.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A compact JWS, split and base64url-decoded but not yet trusted.
pub(crate) struct Compact<'a> {
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
    /// `b64(header).b64(payload)`, the exact bytes the signature covers.
    pub signing_input: &'a str,
}

/// Splits and decodes. The error is a short reason for `Malformed`.
pub(crate) fn split(token: &str) -> Result<Compact<'_>, &'static str> {
    if token.len() > MAX_TOKEN_LEN {
        return Err("token too large");
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected three segments");
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err("empty segment");
    }
    let header = base64url::decode(h).map_err(|_| "header is not base64url")?;
    let payload = base64url::decode(p).map_err(|_| "payload is not base64url")?;
    let signature = base64url::decode(s).map_err(|_| "signature is not base64url")?;
    // Both slices come from `token`, so the signing input is its prefix.
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or("expected three segments")?;
    Ok(Compact {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// `b64(header_json).b64(payload_json)`, ready to be signed.
pub(crate) fn signing_input(header_json: &str, payload_json: &str) -> String {
    let mut out = base64url::encode(header_json.as_bytes());
    out.push('.');
    out.push_str(&base64url::encode(payload_json.as_bytes()));
    out
}

/// Appends `.b64(signature)` to a signing input.
pub(crate) fn finish(mut signing_input: String, signature: &[u8]) -> String {
    signing_input.push('.');
    signing_input.push_str(&base64url::encode(signature));
    signing_input
}
