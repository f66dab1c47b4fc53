//! Deterministic random ops and text, for property tests, the convergence
//! simulation, and differential tests against npm `ot-text-unicode`. A seed
//! (the whole generator state is one `u64`) always yields the same ops on
//! every platform, so a failing seed can be replayed anywhere.
//!
//! The text deliberately mixes ASCII with the cases that break naive
//! implementations: non-BMP emoji (two UTF-16 units each), emoji with skin
//! tone modifiers and ZWJ sequences (several scalars per visible glyph),
//! combining accents, and CJK.

use super::op::{Op, OpBuilder};

/// The next value of a SplitMix64 generator whose state is `state`.
pub fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in `0..bound` (0 when `bound` is 0). The modulo bias is
/// irrelevant for test data.
pub fn below(state: &mut u64, bound: u64) -> u64 {
    if bound == 0 {
        0
    } else {
        next_u64(state) % bound
    }
}

/// True with probability `percent` / 100.
pub fn chance(state: &mut u64, percent: u64) -> bool {
    below(state, 100) < percent
}

/// A value in `0..bound` as a `usize`.
fn below_usize(state: &mut u64, bound: usize) -> usize {
    // `bound` fits in u64 on every supported target, and so does the result.
    usize::try_from(below(state, bound as u64)).unwrap_or(0)
}

/// Fragments that random text is made of, each a few Unicode scalars.
const FRAGMENTS: &[&str] = &[
    "a",
    "b",
    "c",
    "x",
    "y",
    "z",
    " ",
    "\n",
    "ab",
    "hello",
    "é",
    "e\u{301}",
    "ñ",
    "😀",
    "𝄞",
    "👍🏽",
    "👨‍👩‍👧",
    "🇫🇷",
    "漢字",
    "\u{10FFFF}",
    "ß",
];

/// Random text of 1 to `max_chars` chars (at least 1 unless `max_chars` is 0).
pub fn random_text(state: &mut u64, max_chars: usize) -> String {
    let target = 1 + below_usize(state, max_chars);
    let mut text = String::new();
    let mut len = 0;
    while len < target.min(max_chars) {
        let fragment = FRAGMENTS
            .get(below_usize(state, FRAGMENTS.len()))
            .copied()
            .unwrap_or("a");
        // Take only as many chars of the fragment as still fit, which also
        // produces split grapheme clusters (a lone combining accent or ZWJ).
        for c in fragment.chars().take(target - len) {
            text.push(c);
            len += 1;
        }
    }
    text
}

/// A random document of up to `max_chars` chars (possibly empty).
pub fn random_doc(state: &mut u64, max_chars: usize) -> String {
    if max_chars == 0 || chance(state, 10) {
        return String::new();
    }
    random_text(state, max_chars)
}

/// A random op that applies to any document of exactly `doc_len_chars`
/// chars: one to five components (retains, inserts of up to 6 chars, and
/// deletes of up to 6 chars) in any order, so multi-component ops and
/// insert/delete adjacency are both common.
pub fn random_op(rng_state: &mut u64, doc_len_chars: usize) -> Op {
    let mut builder = Op::builder();
    let mut pos = 0usize;
    let parts = 1 + below(rng_state, 5);
    for _ in 0..parts {
        let left = doc_len_chars - pos;
        match below(rng_state, 10) {
            0..=3 if left > 0 => {
                // Mostly short hops, sometimes far across the document.
                let n = if chance(rng_state, 25) {
                    1 + below_usize(rng_state, left)
                } else {
                    1 + below_usize(rng_state, left.min(4))
                };
                builder = builder.retain(n);
                pos += n;
            }
            7..=9 if left > 0 => {
                let n = 1 + below_usize(rng_state, left.min(6));
                builder = builder.delete(n);
                pos += n;
            }
            _ => builder = insert(builder, rng_state),
        }
    }
    builder.build()
}

fn insert(builder: OpBuilder, state: &mut u64) -> OpBuilder {
    let text = random_text(state, 6);
    builder.insert(&text)
}

#[cfg(test)]
mod tests {
    use super::super::apply::apply;
    use super::*;

    #[test]
    fn is_deterministic() {
        let (mut a, mut b) = (42, 42);
        for len in 0..50 {
            assert_eq!(random_op(&mut a, len), random_op(&mut b, len));
        }
        let mut s = 0;
        assert_eq!(next_u64(&mut s), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ops_fit_their_document_and_text_has_the_tricky_cases() {
        let mut state = 7;
        let mut saw_non_bmp = false;
        let mut saw_multi = false;
        for _ in 0..2000 {
            let doc = random_doc(&mut state, 30);
            let op = random_op(&mut state, doc.chars().count());
            assert!(op.base_len() <= doc.chars().count());
            let out = apply(&doc, &op).unwrap();
            saw_non_bmp |= out.chars().any(|c| c as u32 > 0xFFFF);
            saw_multi |= op.components().len() >= 3;
        }
        assert!(saw_non_bmp && saw_multi);
        assert_eq!(random_text(&mut state, 0), "");
        assert_eq!(random_text(&mut state, 1).chars().count(), 1);
    }
}
