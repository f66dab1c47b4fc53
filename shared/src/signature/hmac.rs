//! HMAC-SHA256 and the byte helpers every signature check needs: MACs,
//! constant-time comparison, SHA-256 fingerprints and hex. The vendors'
//! verifiers (`super::stream`, `super::workos`) and the room tickets and
//! video tokens (`crate::auth`) are built on these.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

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
pub fn parse_tag(hex: &str) -> Option<[u8; 32]> {
    from_hex(hex)?.try_into().ok()
}
