//! Profile embeddings for matching (rule M26): the text of a profile, its
//! local embedding written when the user enters the queue, and the
//! pairwise similarities a cycle feeds to the `vector` feature (M7).
//!
//! **M26 — profile vectors.** The profile text is the headline, bio, goals,
//! experience, skills and interest labels, one per line. Entering the
//! queue upserts its `LocalEmbedder` vector (`source_type = 'profile'`,
//! `source_id` = the user, provenance metadata, `content_hash` of the
//! text) in the same batch as the entry; the upsert writes nothing when
//! neither the text nor the model version changed. A profile with no word
//! gets no vector (the `vector` feature is then absent and the others are
//! re-weighted). A cycle reads the vectors of exactly the users it scores
//! (`EMBEDDING_LIST_FOR_SOURCES`) and uses their cosine, clamped to [0, 1].
//! Only the local embedder writes here (entering the queue with the local
//! embedder configured); the embed jobs (M28, [`super::embed_plan`]) write
//! profile vectors of any configured model.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::embed_plan::{store, EmbedTarget};
use super::embedder::{Provenance, SourceType};
use super::local_embedder::LocalEmbedder;
use super::vector_codec::decode_blob;
use super::vector_index::{cosine, VectorRecord};
use crate::profiles::{InterestRow, ProfileRow};
use crate::sql::Statement;

/// The id prefix of an `embeddings` row.
pub const EMBEDDING_PREFIX: &str = "emb";

/// The text a profile is embedded from.
pub fn profile_text(profile: Option<&ProfileRow>, interests: &[InterestRow]) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(p) = profile {
        for field in [&p.headline, &p.bio, &p.goals, &p.experience] {
            if let Some(text) = field.as_deref().filter(|t| !t.trim().is_empty()) {
                lines.push(text.trim().to_owned());
            }
        }
        let skills: Vec<String> = serde_json::from_str(&p.skills).unwrap_or_default();
        if !skills.is_empty() {
            lines.push(skills.join(", "));
        }
    }
    let labels: Vec<&str> = interests.iter().map(|i| i.label.as_str()).collect();
    if !labels.is_empty() {
        lines.push(labels.join(", "));
    }
    lines.join("\n")
}

/// M26: a profile's local vector, as the row to store and the record for
/// the vector index (M32–M34).
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileEmbedding {
    pub statement: Statement,
    pub record: VectorRecord,
}

/// M26: the upsert of `user_id`'s profile vector, or `None` when the text
/// has no word (the zero vector would say nothing).
pub fn plan_profile_embedding(
    user_id: &str,
    org_id: Option<&str>,
    text: &str,
    new_id: &str,
    now_ms: i64,
) -> Option<ProfileEmbedding> {
    let vector = LocalEmbedder.embed_one(text);
    if vector.iter().all(|x| *x == 0.0) {
        return None;
    }
    let target = EmbedTarget {
        source_type: SourceType::Profile,
        source_id: user_id,
        org_id,
        language: None,
    };
    let provenance = Provenance::direct(LocalEmbedder::model_info());
    let statement = store(&target, text, &vector, &provenance, new_id, now_ms)
        .into_iter()
        .next()?;
    Some(ProfileEmbedding {
        statement,
        record: target.record(vector),
    })
}

/// A row of `EMBEDDING_LIST_FOR_SOURCES`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoredVector {
    pub source_id: String,
    pub dim: i64,
    pub version: String,
    pub vector_hex: String,
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl StoredVector {
    /// The vector, if it decodes at its dimension (a corrupt row is skipped).
    pub fn decode(&self) -> Option<Vec<f32>> {
        let dim = usize::try_from(self.dim).ok()?;
        decode_blob(&unhex(&self.vector_hex)?, dim).ok()
    }
}

/// M26: the similarity of each `wanted` pair of users among `rows`, keyed
/// by the ordered pair, clamped to [0, 1]; a pair without a decodable vector
/// on both sides (or of different dimensions) is left out. A cycle asks for
/// its seed–candidate pairs (`cycle_run::scored_pairs`), which grow with its
/// seeds; every pair of its users would be quadratic (about 4 M pairs, seconds
/// of CPU, for the ~2,800 users of a 100-seed cycle: docs/benchmarks.md).
pub fn similarities(
    rows: &[StoredVector],
    wanted: &BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), f32> {
    let vectors: BTreeMap<&str, Vec<f32>> = rows
        .iter()
        .filter_map(|r| Some((r.source_id.as_str(), r.decode()?)))
        .collect();
    wanted
        .iter()
        .filter_map(|(a, b)| {
            let (va, vb) = (vectors.get(a.as_str())?, vectors.get(b.as_str())?);
            (va.len() == vb.len()).then(|| ((a.clone(), b.clone()), cosine(va, vb).clamp(0.0, 1.0)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::vector_codec::encode_blob;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn stored(user: &str, text: &str) -> StoredVector {
        StoredVector {
            source_id: user.into(),
            dim: 384,
            version: "1".into(),
            vector_hex: hex(&encode_blob(&LocalEmbedder.embed_one(text))),
        }
    }

    #[test]
    fn m26_similar_profiles_score_above_unrelated_ones() {
        let rows = [
            stored("ann", "realtime websockets backend engineer in rust"),
            stored("bob", "rust engineer building realtime websocket servers"),
            stored("cat", "pastry chef, sourdough and laminated doughs"),
        ];
        let sims = similarities(&rows, &pairs(&[("ann", "bob"), ("ann", "cat")]));
        let ab = sims[&("ann".to_owned(), "bob".to_owned())];
        let ac = sims[&("ann".to_owned(), "cat".to_owned())];
        assert!(ab > ac + 0.2, "ab {ab} ac {ac}");
        assert_eq!(sims.len(), 2, "only the wanted pairs");
    }

    #[test]
    fn m26_only_wanted_pairs_with_both_vectors_are_computed() {
        let rows = [stored("ann", "rust"), stored("bob", "rust websockets")];
        let sims = similarities(&rows, &pairs(&[("ann", "bob"), ("ann", "zed")]));
        assert_eq!(sims.len(), 1);
        assert!(sims.contains_key(&("ann".to_owned(), "bob".to_owned())));
    }

    fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn m26_an_empty_profile_gets_no_vector_and_a_corrupt_row_is_skipped() {
        assert!(plan_profile_embedding("ann", None, "  ", "emb_1", 1).is_none());
        let st = plan_profile_embedding("ann", None, "rust", "emb_1", 1)
            .unwrap()
            .statement;
        assert_eq!(st.name, "EMBEDDING_UPSERT");
        let mut bad = stored("ann", "rust");
        bad.vector_hex.pop();
        assert!(bad.decode().is_none());
        assert!(similarities(&[bad, stored("bob", "rust")], &pairs(&[("ann", "bob")])).is_empty());
    }
}
