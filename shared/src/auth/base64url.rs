//! Unpadded base64url (RFC 4648 §5), the encoding of every JWT segment, JWK
//! number and WebSocket ticket. Hand-written because none of our direct
//! dependencies exposes one, and it is small enough to test exhaustively.
//!
//! Decoding is strict: no padding, no whitespace, no characters outside the
//! URL-safe alphabet, and no non-zero bits after the last byte. Accepting only
//! the canonical form means one byte string has exactly one encoding, so a
//! signed token cannot be re-spelled into a different-looking but equal one.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a string is not canonical unpadded base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid base64url character")]
    InvalidCharacter,
    /// A length of 4k+1 characters cannot encode whole bytes.
    #[error("invalid base64url length")]
    InvalidLength,
    /// The unused low bits of the last character are not zero.
    #[error("non-canonical base64url")]
    NonCanonical,
}

/// Encodes without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        // A chunk of k bytes needs k + 1 characters.
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

fn value_of(c: u8) -> Result<u32, DecodeError> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return Err(DecodeError::InvalidCharacter),
    };
    Ok(u32::from(v))
}

/// Decodes canonical unpadded base64url.
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    let input = text.as_bytes();
    if input.len() % 4 == 1 {
        return Err(DecodeError::InvalidLength);
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    for chunk in input.chunks(4) {
        let mut n: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value_of(c)? << (18 - 6 * i);
        }
        let [_, b0, b1, b2] = n.to_be_bytes();
        // k characters carry k - 1 whole bytes; the rest must be zero bits.
        let (bytes, spare_mask): (&[u8], u32) = match chunk.len() {
            2 => (&[b0], 0xffff),
            3 => (&[b0, b1], 0xff),
            _ => (&[b0, b1, b2], 0),
        };
        if n & spare_mask != 0 {
            return Err(DecodeError::NonCanonical);
        }
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_vectors() {
        // RFC 4648 §10, with the padding stripped.
        let vectors = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "-_-_");
        assert_eq!(decode("-_-_").unwrap(), vec![0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn rejects_padding_standard_alphabet_and_whitespace() {
        assert_eq!(decode("Zg=="), Err(DecodeError::InvalidCharacter));
        assert_eq!(decode("+/+/"), Err(DecodeError::InvalidCharacter));
        assert_eq!(decode("Zm9v Yg"), Err(DecodeError::InvalidCharacter));
        assert_eq!(decode("Zm9vY"), Err(DecodeError::InvalidLength));
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "Zg" is "f"; "Zh" decodes to the same byte with a stray low bit.
        assert_eq!(decode("Zh"), Err(DecodeError::NonCanonical));
        assert_eq!(decode("Zm9"), Err(DecodeError::NonCanonical));
    }

    proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = encode(&bytes);
            prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = decode(&text);
        }
    }
}
