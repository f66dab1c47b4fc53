//! Request ids: one per request, on the response (`x-request-id`) and on every
//! log line. A caller's own id is kept when it is safe to echo into logs.

const MAX_LEN: usize = 64;

/// Formats a fresh id from 16 random bytes the caller supplies.
pub fn from_random(bytes: [u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    s.push_str("req_");
    for b in bytes {
        s.push(hex_digit(b >> 4));
        s.push(hex_digit(b & 0x0f));
    }
    s
}

/// Accepts an inbound `x-request-id` only when it cannot forge log structure:
/// 1 to 64 characters of `[A-Za-z0-9._-]`.
pub fn accept_inbound(value: &str) -> Option<&str> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then_some(value)
}

fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n), 16).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_hex() {
        let id = from_random([0xab; 16]);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[..8], "req_abab");
    }

    #[test]
    fn inbound_ids_are_filtered() {
        assert_eq!(accept_inbound("abc-123_x.y"), Some("abc-123_x.y"));
        assert_eq!(accept_inbound(""), None);
        assert_eq!(accept_inbound("a\nb"), None);
        assert_eq!(accept_inbound("a\"b"), None);
        assert_eq!(accept_inbound(&"a".repeat(65)), None);
    }
}
