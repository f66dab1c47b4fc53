//! Generated ids: a prefix, 48 bits of time and 80 bits of randomness in
//! Crockford base32 (ULID layout), so ids sort by creation time and never
//! collide in practice. The caller passes the clock and the random bytes.
//! Every id satisfies `route::is_valid_id` and is a valid Stream call id.

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `<prefix><10 time chars><16 random chars>`, e.g. `mtg_01J9Z3…`.
pub fn new_id(prefix: &str, now_ms: i64, random: [u8; 10]) -> String {
    let time = u64::try_from(now_ms.max(0)).unwrap_or(0) & ((1 << 48) - 1);
    let mut value: u128 = u128::from(time) << 80;
    for (i, b) in random.iter().enumerate() {
        value |= u128::from(*b) << (8 * (9 - i));
    }
    let mut out = String::with_capacity(prefix.len() + 26);
    out.push_str(prefix);
    for i in (0..26).rev() {
        let digit = ((value >> (5 * i)) & 31) as usize;
        out.push(char::from(CROCKFORD[digit]));
    }
    out
}

/// Prefix of meeting ids.
pub const MEETING_PREFIX: &str = "mtg_";
/// Prefix of recording rows.
pub const RECORDING_PREFIX: &str = "rec_";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::is_valid_id;

    #[test]
    fn ids_are_valid_sortable_and_distinct() {
        let a = new_id(MEETING_PREFIX, 1_700_000_000_000, [0; 10]);
        let b = new_id(MEETING_PREFIX, 1_700_000_000_001, [0; 10]);
        let c = new_id(MEETING_PREFIX, 1_700_000_000_001, [1; 10]);
        assert_eq!(a.len(), 30);
        assert!(a < b && b < c);
        for id in [&a, &b, &c] {
            assert!(is_valid_id(id), "{id}");
        }
        assert_eq!(new_id("x_", 0, [0; 10]), "x_00000000000000000000000000");
        assert_eq!(new_id("x_", -5, [255; 10]).len(), 28);
    }
}
