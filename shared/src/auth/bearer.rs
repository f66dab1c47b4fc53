//! The `Authorization: Bearer <token>` header (RFC 6750 §2.1). Only the
//! Bearer scheme is accepted; the scheme name is case-insensitive as RFC 9110
//! §11.1 requires, the token is returned untouched for verification.

use super::AuthError;

/// Returns the token from an `Authorization` header value. `None` means the
/// header was absent.
pub fn parse_bearer(header: Option<&str>) -> Result<&str, AuthError> {
    let value = header.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(AuthError::MissingCredentials);
    }
    let (scheme, rest) = match value.split_once([' ', '\t']) {
        Some((scheme, rest)) => (scheme, rest.trim()),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::UnsupportedScheme);
    }
    if rest.is_empty() {
        return Err(AuthError::MissingCredentials);
    }
    // A b64token has no whitespace or commas; anything else is a second
    // credential or a list smuggled into one header.
    if !rest.bytes().all(is_b64token_char) {
        return Err(AuthError::MalformedAuthorization);
    }
    Ok(rest)
}

/// RFC 6750 `b64token`: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" / "=".
fn is_b64token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}
