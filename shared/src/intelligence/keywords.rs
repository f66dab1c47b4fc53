//! Keyword extraction shared by topic detection, engagement and the heuristic
//! generator: tokenise (letters and digits, lowercased), drop stopwords and
//! short or numeric tokens, reduce each word to a light stem (rule I1), and
//! count term frequencies. A term keeps the first surface form it was seen
//! in, so what is shown to people is a real word from the input, not a stem.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Words that carry no topic. Sorted, for binary search.
const STOPWORDS: &[&str] = &[
    "about",
    "above",
    "actually",
    "after",
    "again",
    "against",
    "ago",
    "all",
    "almost",
    "also",
    "although",
    "always",
    "among",
    "and",
    "another",
    "any",
    "anyone",
    "anything",
    "are",
    "aren't",
    "around",
    "away",
    "back",
    "basically",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "can",
    "can't",
    "cannot",
    "could",
    "couldn't",
    "did",
    "didn't",
    "does",
    "doesn't",
    "doing",
    "don't",
    "done",
    "down",
    "during",
    "each",
    "either",
    "else",
    "enough",
    "even",
    "ever",
    "every",
    "everyone",
    "everything",
    "few",
    "for",
    "from",
    "get",
    "gets",
    "getting",
    "give",
    "go",
    "goes",
    "going",
    "gone",
    "gonna",
    "good",
    "got",
    "great",
    "had",
    "has",
    "hasn't",
    "have",
    "haven't",
    "having",
    "he",
    "he's",
    "hello",
    "her",
    "here",
    "hers",
    "herself",
    "hey",
    "hi",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "into",
    "isn't",
    "it's",
    "its",
    "itself",
    "just",
    "kind",
    "know",
    "let",
    "let's",
    "like",
    "likely",
    "little",
    "lot",
    "lots",
    "made",
    "make",
    "makes",
    "many",
    "may",
    "maybe",
    "mean",
    "might",
    "mine",
    "more",
    "most",
    "much",
    "must",
    "myself",
    "need",
    "needs",
    "never",
    "new",
    "next",
    "nice",
    "nobody",
    "none",
    "nor",
    "not",
    "nothing",
    "now",
    "off",
    "okay",
    "once",
    "one",
    "only",
    "onto",
    "other",
    "others",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "pretty",
    "quite",
    "rather",
    "really",
    "right",
    "said",
    "same",
    "say",
    "says",
    "see",
    "seem",
    "seems",
    "she",
    "she's",
    "should",
    "shouldn't",
    "since",
    "some",
    "somebody",
    "someone",
    "something",
    "sort",
    "still",
    "such",
    "sure",
    "take",
    "than",
    "thank",
    "thanks",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they're",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "though",
    "through",
    "too",
    "toward",
    "two",
    "under",
    "until",
    "upon",
    "use",
    "used",
    "very",
    "want",
    "wants",
    "was",
    "wasn't",
    "way",
    "we'd",
    "we'll",
    "we're",
    "we've",
    "well",
    "went",
    "were",
    "weren't",
    "what",
    "what's",
    "whatever",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "won't",
    "would",
    "wouldn't",
    "yeah",
    "yes",
    "yet",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
];

/// Whether `word` (lowercase) is a stopword. Words shorter than three
/// characters are always treated as stopwords.
pub fn is_stopword(word: &str) -> bool {
    word.chars().count() < 3 || STOPWORDS.binary_search(&word).is_ok()
}

/// Lowercased word tokens of `text`: runs of letters, digits and inner
/// apostrophes.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .map(|w| w.replace('’', "'").trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
}

/// A light suffix-stripping stemmer (rule I1): enough to make "prices",
/// "pricing" and "priced" one term, without a dictionary. Only used for
/// matching; surface forms are kept for display.
pub fn stem(word: &str) -> String {
    let mut w: String = word.to_lowercase();
    let len = |s: &str| s.chars().count();
    if w.ends_with("ies") && len(&w) > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
        && len(&w) > 3
    {
        w.truncate(w.len() - 1);
    }
    let mut stripped = false;
    if w.ends_with("ing") && len(&w) > 5 {
        w.truncate(w.len() - 3);
        stripped = true;
    } else if w.ends_with("ed") && len(&w) > 4 {
        w.truncate(w.len() - 2);
        stripped = true;
    }
    if stripped {
        // "planning" -> "plann" -> "plan"
        let b = w.as_bytes();
        if b.len() >= 2 {
            let (x, y) = (b[b.len() - 2], b[b.len() - 1]);
            if x == y && !matches!(y, b'l' | b's' | b'z') && y.is_ascii_alphabetic() {
                w.truncate(w.len() - 1);
            }
        }
    }
    if w.ends_with('e') && len(&w) > 3 {
        w.truncate(w.len() - 1);
    }
    w
}

/// A content word of `text`: its stem and the surface form it appeared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub stem: String,
    pub surface: String,
}

/// The content words of `text`, in order: no stopwords, no pure numbers.
pub fn content_terms(text: &str) -> Vec<Term> {
    tokens(text)
        .filter(|w| !is_stopword(w) && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| Term {
            stem: stem(&w),
            surface: w,
        })
        .collect()
}

/// The stems of `text`'s content words, deduplicated and sorted.
pub fn stem_set(text: &str) -> Vec<String> {
    let mut v: Vec<String> = content_terms(text).into_iter().map(|t| t.stem).collect();
    v.sort();
    v.dedup();
    v
}

/// A keyword with its weight (term frequency over the text's content words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// The surface form first seen (what to show).
    pub term: String,
    /// The matching key.
    pub stem: String,
    pub count: u32,
    /// `count / total content words`, in (0, 1].
    pub weight: f64,
}

/// Term frequencies over one or more texts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermCounts {
    /// stem -> (count, first surface form)
    terms: BTreeMap<String, (u32, String)>,
    total: u32,
}

impl TermCounts {
    pub fn new() -> TermCounts {
        TermCounts::default()
    }

    pub fn from_text(text: &str) -> TermCounts {
        let mut c = TermCounts::new();
        c.add_text(text);
        c
    }

    pub fn add_text(&mut self, text: &str) {
        for t in content_terms(text) {
            self.add_term(t, 1);
        }
    }

    fn add_term(&mut self, t: Term, n: u32) {
        let e = self.terms.entry(t.stem).or_insert((0, t.surface));
        e.0 = e.0.saturating_add(n);
        self.total = self.total.saturating_add(n);
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &TermCounts) {
        for (stem, (n, surface)) in &other.terms {
            self.add_term(
                Term {
                    stem: stem.clone(),
                    surface: surface.clone(),
                },
                *n,
            );
        }
    }

    /// Total content words counted.
    pub fn total(&self) -> u32 {
        self.total
    }

    pub fn count(&self, stem: &str) -> u32 {
        self.terms.get(stem).map_or(0, |e| e.0)
    }

    pub fn contains(&self, stem: &str) -> bool {
        self.terms.contains_key(stem)
    }

    /// Each stem with its count, in stem order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.terms.iter().map(|(stem, (n, _))| (stem.as_str(), *n))
    }

    /// The first surface form seen for `stem`.
    pub fn surface(&self, stem: &str) -> Option<&str> {
        self.terms.get(stem).map(|e| e.1.as_str())
    }

    /// The `k` most frequent terms, ties broken by stem (deterministic).
    pub fn top(&self, k: usize) -> Vec<Keyword> {
        let mut ranked: Vec<(&String, &(u32, String))> = self.terms.iter().collect();
        ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(b.0)));
        let total = f64::from(self.total.max(1));
        ranked
            .into_iter()
            .take(k)
            .map(|(stem, (n, surface))| Keyword {
                term: surface.clone(),
                stem: stem.clone(),
                count: *n,
                weight: f64::from(*n) / total,
            })
            .collect()
    }

    /// Cosine similarity of the two term-frequency vectors, in [0, 1];
    /// 0 when either is empty.
    pub fn cosine(&self, other: &TermCounts) -> f64 {
        let norm = |c: &TermCounts| {
            c.terms
                .values()
                .map(|(n, _)| f64::from(*n) * f64::from(*n))
                .sum::<f64>()
                .sqrt()
        };
        let (na, nb) = (norm(self), norm(other));
        if na == 0.0 || nb == 0.0 {
            return 0.0;
        }
        let dot: f64 = self
            .terms
            .iter()
            .filter_map(|(s, (n, _))| {
                other
                    .terms
                    .get(s)
                    .map(|(m, _)| f64::from(*n) * f64::from(*m))
            })
            .sum();
        (dot / (na * nb)).clamp(0.0, 1.0)
    }
}

/// The `k` top keywords of `text` (rule I1).
pub fn extract(text: &str, k: usize) -> Vec<Keyword> {
    TermCounts::from_text(text).top(k)
}

/// Whether `phrase`'s content stems all occur in `stems` (a sorted stem set),
/// so "machine learning" matches a text that mentions both words.
pub fn phrase_in(phrase: &str, stems: &[String]) -> bool {
    let p = stem_set(phrase);
    !p.is_empty() && p.iter().all(|s| stems.binary_search(s).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i1_stopwords_are_sorted() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOPWORDS);
    }

    #[test]
    fn i1_stems_join_word_forms() {
        assert_eq!(stem("prices"), stem("pricing"));
        assert_eq!(stem("priced"), stem("price"));
        assert_eq!(stem("planning"), stem("plan"));
        assert_eq!(stem("companies"), stem("company"));
        assert_eq!(stem("class"), "class");
    }

    #[test]
    fn i1_keywords_skip_stopwords_and_count_terms() {
        let k = extract(
            "We really think the pricing page and the pricing model need work. Prices!",
            3,
        );
        assert_eq!(k[0].term, "pricing");
        assert_eq!(k[0].count, 3);
        assert!(k.iter().all(|k| k.term != "the" && k.term != "really"));
        assert!(k[0].weight > k[1].weight);
    }

    #[test]
    fn i1_cosine_of_identical_and_disjoint_texts() {
        let a = TermCounts::from_text("rust compiler borrow checker");
        let b = TermCounts::from_text("gardening tomatoes compost soil");
        assert!((a.cosine(&a) - 1.0).abs() < 1e-9);
        assert_eq!(a.cosine(&b), 0.0);
        assert_eq!(a.cosine(&TermCounts::new()), 0.0);
    }

    #[test]
    fn i1_phrase_matches_all_words() {
        let stems = stem_set("I do machine learning for learning platforms");
        assert!(phrase_in("Machine Learning", &stems));
        assert!(!phrase_in("deep learning", &stems));
        assert!(!phrase_in("the", &stems));
    }
}
