//! The unit every position and length in an op is counted in: the Unicode
//! scalar value (a Rust `char`), the same unit as npm `ot-text-unicode`.
//!
//! Counting scalars rather than UTF-16 code units or UTF-8 bytes is what keeps
//! emoji and other non-BMP text safe: an offset can never land inside a UTF-8
//! sequence (Rust strings) or between the two halves of a surrogate pair
//! (JavaScript strings), so every client computes the same positions whatever
//! its native string encoding. Offsets *can* land inside a grapheme cluster
//! (between `e` and a combining accent, or inside a ZWJ emoji sequence); that
//! is an editor concern, and it never breaks convergence.

/// How many scalar values `s` holds.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The byte offset of the `n`th scalar value of `s`, or `None` when `s` is
/// shorter than `n`. `n == char_len(s)` is the end of the string.
pub(crate) fn byte_offset(s: &str, n: usize) -> Option<usize> {
    let mut seen = 0;
    for (i, _) in s.char_indices() {
        if seen == n {
            return Some(i);
        }
        seen += 1;
    }
    (seen == n).then_some(s.len())
}

/// Splits `s` after `n` scalar values; all of `s` goes left when it is shorter.
pub(crate) fn split_at_char(s: &str, n: usize) -> (&str, &str) {
    let at = byte_offset(s, n).unwrap_or(s.len());
    // `at` is a char boundary by construction, so `split_at_checked` only
    // fails if that reasoning is wrong; fall back to "no split" then.
    s.split_at_checked(at).unwrap_or((s, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_scalars_not_bytes_or_utf16_units() {
        assert_eq!(char_len("a😀b"), 3);
        assert_eq!(char_len("e\u{301}"), 2);
        assert_eq!(char_len("👨‍👩‍👧"), 5);
        assert_eq!("😀".encode_utf16().count(), 2);
    }

    #[test]
    fn offsets_and_splits_land_on_scalar_boundaries() {
        let s = "a😀𝄞b";
        assert_eq!(byte_offset(s, 0), Some(0));
        assert_eq!(byte_offset(s, 1), Some(1));
        assert_eq!(byte_offset(s, 2), Some(5));
        assert_eq!(byte_offset(s, 4), Some(s.len()));
        assert_eq!(byte_offset(s, 5), None);
        assert_eq!(split_at_char(s, 2), ("a😀", "𝄞b"));
        assert_eq!(split_at_char(s, 9), (s, ""));
        assert_eq!(split_at_char("", 0), ("", ""));
    }
}
