//! Text normalisation shared by the local embedder and the scorer: split
//! into lowercase alphanumeric words, drop English stop words, and fold a
//! few inflections (a light suffix stemmer), so "Founders hiring engineers"
//! and "a founder hiring an engineer" share the terms `found`, `hir` and
//! `engine`. The stems are keys, not words meant for display.
//!
//! Deliberately small and stable: changing any rule here changes every
//! local embedding, so it is part of
//! [`LOCAL_EMBEDDER_VERSION`](super::local_embedder::LOCAL_EMBEDDER_VERSION).

use std::collections::BTreeSet;

/// Words too common to carry meaning. Sorted, for the binary search.
const STOP_WORDS: [&str; 72] = [
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "but", "by", "can", "could", "do", "for", "from", "get", "had", "has", "have", "he",
    "her", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "my",
    "no", "not", "of", "on", "or", "our", "out", "she", "so", "some", "than", "that", "the",
    "their", "them", "then", "there", "they", "this", "to", "up", "us", "was", "we", "were",
    "what", "when", "which", "who", "will", "with", "you",
];

/// Whether `word` (already lowercase) is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// A light, stable suffix stemmer. Only folds endings whose removal is safe
/// for most English words of five letters or more; shorter words are kept.
pub fn stem(word: &str) -> String {
    let n = word.chars().count();
    let strip = |suffix: &str, keep: usize, add: &str| -> Option<String> {
        if n >= keep && word.ends_with(suffix) {
            let base = &word[..word.len() - suffix.len()];
            Some(format!("{base}{add}"))
        } else {
            None
        }
    };
    if let Some(s) = strip("ies", 5, "y") {
        return s;
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_owned();
    }
    for (suffix, keep) in [("ing", 6), ("ers", 6), ("er", 5), ("ed", 5), ("s", 4)] {
        if let Some(s) = strip(suffix, keep, "") {
            return undouble(s);
        }
    }
    word.to_owned()
}

/// "running" → "runn" → "run": a doubled final consonant left by a stripped
/// suffix is undoubled.
fn undouble(mut s: String) -> String {
    let bytes = s.as_bytes();
    let len = bytes.len();
    if len >= 3 {
        let (a, b) = (bytes[len - 2], bytes[len - 1]);
        if a == b && a.is_ascii_alphabetic() && !b"aeiouls".contains(&a) {
            s.pop();
        }
    }
    s
}

/// The lowercase alphanumeric words of `text`, in order (stop words kept).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The meaningful words of `text`: lowercase, stop words dropped, stemmed.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .map(|w| stem(&w))
        .collect()
}

/// The set of [`terms`] of `text`.
pub fn term_set(text: &str) -> BTreeSet<String> {
    terms(text).into_iter().collect()
}

/// A label as a comparable key: its terms joined by one space
/// (`"Machine Learning"` and `"machine-learning"` both become `machine learning`).
pub fn normalise_label(label: &str) -> String {
    terms(label).join(" ")
}

/// The first `max_chars` characters of `text` (a prefix on a char boundary).
pub fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => &text[..byte],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        let mut sorted = STOP_WORDS;
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS);
    }

    #[test]
    fn inflections_fold_together() {
        assert_eq!(stem("engineers"), "engine");
        assert_eq!(stem("engineer"), "engine");
        assert_eq!(stem("hiring"), "hir");
        assert_eq!(stem("running"), "run");
        assert_eq!(stem("companies"), "company");
        assert_eq!(stem("business"), "business");
        assert_eq!(stem("rust"), "rust");
        assert_eq!(terms("The Startups and Founders"), vec!["startup", "found"]);
    }

    #[test]
    fn labels_normalise_across_spellings() {
        assert_eq!(
            normalise_label("Machine-Learning"),
            normalise_label("machine learning")
        );
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("ab", 5), "ab");
        assert_eq!(truncate_chars("", 0), "");
    }

    #[test]
    fn words_split_on_punctuation_and_keep_digits() {
        assert_eq!(words("Rust, WASM & web3!"), vec!["rust", "wasm", "web3"]);
    }
}
