//! A small stable hash (64-bit FNV-1a with a final avalanche), used wherever
//! a value must map to the same bucket on every build and platform: the
//! local embedder's feature buckets and the queue's shard of a user.
//! It is not cryptographic and must never guard anything.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `parts`, each followed by a 0xff separator (a byte that never
/// occurs in UTF-8), so `["ab", "c"]` and `["a", "bc"]` differ.
pub fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut hash = FNV_OFFSET;
    for part in parts {
        for byte in part.iter().chain(std::iter::once(&0xff_u8)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// FNV-1a's low bits are weak for short inputs; this finaliser (the
/// splitmix64 mixer) spreads every input bit over the whole word.
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The stable, well-mixed hash of `parts`.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    mix64(fnv1a64(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vector() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; with our separator the
        // input is "a\xff", so check the raw loop against the reference first.
        let mut hash = FNV_OFFSET;
        hash ^= u64::from(b'a');
        hash = hash.wrapping_mul(FNV_PRIME);
        assert_eq!(hash, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn parts_are_separated() {
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
    }

    #[test]
    fn empty_input_is_the_offset_basis() {
        // The pinned values that matter (shards, local embeddings) are
        // tested where they are used: queue::shard_of, local_embedder.
        assert_eq!(fnv1a64(&[]), FNV_OFFSET);
        assert_ne!(stable_hash(&[]), stable_hash(&[b""]));
    }
}
