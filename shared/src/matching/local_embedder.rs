//! The local embedder: the default [`Embedder`], running in-process with no
//! network, deterministic on every platform (rule M1).
//!
//! A lexical-semantic "hashing trick" embedding. From the first
//! [`LOCAL_EMBEDDER_MAX_CHARS`] characters of the text it extracts three
//! groups of features:
//!
//! | group | features | weight |
//! |---|---|---|
//! | words | the [`terms`](super::text::terms): lowercase, stop words dropped, stemmed | 0.5 |
//! | bigrams | adjacent term pairs ("machine learn") | 0.2 |
//! | characters | 3-, 4- and 5-grams of each non-stop word padded as `<word>` | 0.3 |
//!
//! Each feature is hashed ([`stable_hash`](super::hashing::stable_hash),
//! with the group as a namespace) into one of [`LOCAL_EMBEDDER_DIM`]
//! buckets with a sign taken from another hash bit (signed hashing, so
//! collisions cancel out on average rather than pile up). A feature seen
//! `tf` times adds `±(1 + ln tf)` (sublinear term frequency: repeating a
//! word does not drown the rest). Each group is L2-normalised on its own,
//! the groups are summed with the weights above, and the sum is
//! L2-normalised, so the cosine of two embeddings is their dot product.
//!
//! Character n-grams give partial credit for morphology and spelling
//! ("kubernetes"/"k8s" do not match, "devops"/"dev-ops" do); bigrams
//! reward shared phrases. Limits: it knows no synonyms ("physician" and
//! "doctor" are unrelated to it) and no word order beyond pairs. Text
//! with no word at all embeds to the zero vector, whose similarity to
//! anything is 0.
//!
//! Any change to the features, weights, hash or text rules must bump
//! [`LOCAL_EMBEDDER_VERSION`]; the drift job then re-embeds every row
//! (rule M5).

use std::collections::BTreeMap;

use super::embedder::{EmbedError, Embedder, ModelInfo};
use super::hashing::stable_hash;
use super::text::{is_stop_word, terms, truncate_chars, words};

/// `embeddings.model` of local vectors.
pub const LOCAL_EMBEDDER_MODEL: &str = "connvo-local-lexical";
/// Bumped on any change that alters vectors.
pub const LOCAL_EMBEDDER_VERSION: &str = "1";
/// Components per vector (1,536 bytes as stored).
pub const LOCAL_EMBEDDER_DIM: usize = 384;
/// Characters of input considered; the rest is ignored.
pub const LOCAL_EMBEDDER_MAX_CHARS: usize = 8_000;
/// Texts per `embed` call.
pub const LOCAL_EMBEDDER_MAX_BATCH: usize = 256;

const WORD_WEIGHT: f32 = 0.5;
const BIGRAM_WEIGHT: f32 = 0.2;
const CHAR_WEIGHT: f32 = 0.3;
const CHAR_NGRAMS: std::ops::RangeInclusive<usize> = 3..=5;

/// The local, in-process embedder.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalEmbedder;

impl LocalEmbedder {
    /// The model description stored with local vectors.
    pub fn model_info() -> ModelInfo {
        ModelInfo {
            provider: "local".to_owned(),
            name: LOCAL_EMBEDDER_MODEL.to_owned(),
            version: LOCAL_EMBEDDER_VERSION.to_owned(),
            dim: LOCAL_EMBEDDER_DIM,
        }
    }

    /// Embeds one text (synchronously; the trait method wraps this).
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let text = truncate_chars(text, LOCAL_EMBEDDER_MAX_CHARS);
        let terms = terms(text);

        let mut word_tf: BTreeMap<u64, u32> = BTreeMap::new();
        for term in &terms {
            *word_tf
                .entry(stable_hash(&[b"w", term.as_bytes()]))
                .or_default() += 1;
        }

        let mut bigram_tf: BTreeMap<u64, u32> = BTreeMap::new();
        for pair in terms.windows(2) {
            let key = stable_hash(&[b"b", pair[0].as_bytes(), pair[1].as_bytes()]);
            *bigram_tf.entry(key).or_default() += 1;
        }

        let mut char_tf: BTreeMap<u64, u32> = BTreeMap::new();
        for word in words(text).iter().filter(|w| !is_stop_word(w)) {
            let padded: Vec<char> = std::iter::once('<')
                .chain(word.chars())
                .chain(std::iter::once('>'))
                .collect();
            for n in CHAR_NGRAMS {
                for gram in padded.windows(n) {
                    let gram: String = gram.iter().collect();
                    *char_tf
                        .entry(stable_hash(&[b"c", gram.as_bytes()]))
                        .or_default() += 1;
                }
            }
        }

        let mut out = vec![0.0_f32; LOCAL_EMBEDDER_DIM];
        for (tf, weight) in [
            (&word_tf, WORD_WEIGHT),
            (&bigram_tf, BIGRAM_WEIGHT),
            (&char_tf, CHAR_WEIGHT),
        ] {
            let group = hashed_group(tf);
            for (o, g) in out.iter_mut().zip(group) {
                *o += weight * g;
            }
        }
        l2_normalise(&mut out);
        out
    }
}

/// One feature group as a normalised dense vector (all zeros if empty).
fn hashed_group(tf: &BTreeMap<u64, u32>) -> Vec<f32> {
    let mut dense = vec![0.0_f32; LOCAL_EMBEDDER_DIM];
    let dim = LOCAL_EMBEDDER_DIM as u64;
    for (&hash, &count) in tf {
        // `hash % dim` is < dim, so the cast cannot truncate.
        let bucket = (hash % dim) as usize;
        let sign = if hash >> 63 == 1 { -1.0 } else { 1.0 };
        let weight = 1.0 + (count as f32).ln();
        if let Some(slot) = dense.get_mut(bucket) {
            *slot += sign * weight;
        }
    }
    l2_normalise(&mut dense);
    dense
}

/// Scales `v` to unit length; the zero vector stays zero.
pub fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

impl Embedder for LocalEmbedder {
    fn model(&self) -> ModelInfo {
        LocalEmbedder::model_info()
    }

    fn max_batch(&self) -> usize {
        LOCAL_EMBEDDER_MAX_BATCH
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.len() > LOCAL_EMBEDDER_MAX_BATCH {
            return Err(EmbedError::BatchTooLarge {
                max: LOCAL_EMBEDDER_MAX_BATCH,
                got: texts.len(),
            });
        }
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::ready::now_or_never;
    use crate::matching::vector_index::cosine;

    fn embed(text: &str) -> Vec<f32> {
        LocalEmbedder.embed_one(text)
    }

    #[test]
    fn m1_embedding_is_deterministic() {
        let text = "Rust engineer building WebAssembly backends for video meetings";
        assert_eq!(embed(text), embed(text));
        // Pinned components: a change here means the vectors changed and
        // LOCAL_EMBEDDER_VERSION must be bumped.
        let v = embed("climate tech founder");
        let checksum: f64 = v
            .iter()
            .enumerate()
            .map(|(i, x)| (i as f64 + 1.0) * f64::from(*x))
            .sum();
        assert!(
            (checksum - PINNED_CHECKSUM).abs() < 1e-3,
            "checksum {checksum}"
        );
    }

    const PINNED_CHECKSUM: f64 = -23.260_603_889_822_96;

    #[test]
    fn m1_vectors_have_the_fixed_dimension_and_unit_norm() {
        for text in [
            "x",
            "Rust",
            "machine learning for climate",
            &"word ".repeat(5000),
        ] {
            let v = embed(text);
            assert_eq!(v.len(), LOCAL_EMBEDDER_DIM);
            assert!(v.iter().all(|x| x.is_finite()));
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{text:.20}: norm {norm}");
        }
    }

    #[test]
    fn m1_text_without_words_embeds_to_zero() {
        for text in ["", "   ", "!!! ---", "the and of"] {
            let v = embed(text);
            assert!(v.iter().all(|x| *x == 0.0), "{text:?}");
        }
    }

    #[test]
    fn m1_similar_texts_are_closer_than_unrelated_ones() {
        let a = embed("Rust engineer building WebAssembly backends on Cloudflare Workers");
        let b = embed("Backend engineer writing Rust and WebAssembly for Workers");
        let c = embed("Pastry chef who loves baking sourdough bread and croissants");
        let ab = cosine(&a, &b);
        let ac = cosine(&a, &c);
        let bc = cosine(&b, &c);
        assert!(ab > 0.4, "ab {ab}");
        assert!(ab > ac + 0.3 && ab > bc + 0.3, "ab {ab} ac {ac} bc {bc}");
    }

    #[test]
    fn m1_morphology_earns_partial_credit() {
        let base = embed("investing in startups");
        let inflected = embed("investor in a startup");
        let other = embed("gardening vegetables");
        assert!(cosine(&base, &inflected) > cosine(&base, &other) + 0.2);
    }

    #[test]
    fn m2_input_is_truncated_to_the_documented_limit() {
        let head = "distributed systems ".repeat(LOCAL_EMBEDDER_MAX_CHARS / 20);
        assert_eq!(head.chars().count(), LOCAL_EMBEDDER_MAX_CHARS);
        let longer = format!("{head}pastry baking sourdough");
        assert_eq!(embed(&head), embed(&longer));
    }

    #[test]
    fn m2_trait_embeds_in_order_and_refuses_oversize_batches() {
        let texts = vec!["rust".to_owned(), "baking".to_owned()];
        let out = now_or_never(LocalEmbedder.embed(&texts)).unwrap().unwrap();
        assert_eq!(out, vec![embed("rust"), embed("baking")]);
        assert!(now_or_never(LocalEmbedder.embed(&[]))
            .unwrap()
            .unwrap()
            .is_empty());
        let too_many = vec![String::new(); LOCAL_EMBEDDER_MAX_BATCH + 1];
        let err = now_or_never(LocalEmbedder.embed(&too_many))
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code(), "EMBED_BATCH_TOO_LARGE");
        assert_eq!(LocalEmbedder.model().dim, LOCAL_EMBEDDER_DIM);
        assert_eq!(LocalEmbedder.model().version, LOCAL_EMBEDDER_VERSION);
    }
}
