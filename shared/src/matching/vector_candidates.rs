//! Matching candidates through the vector index (rule M30), next to the
//! interest-overlap candidates of M25.
//!
//! **M30 — vector candidates.** Besides the candidates sharing an interest,
//! each seed gets up to `per_seed` waiting people whose profiles read most
//! alike, found by the model's `VectorIndex` (the backend of M34: the
//! exact index over D1, M32, or Vectorize, M33). Each seed with a profile
//! vector of the configured model asks the index for its
//! [`VECTOR_HITS_PER_SEED`] nearest profiles, itself excluded,
//! pre-filtered to its org when it asked for `same_org`; hits below
//! [`MIN_VECTOR_SIMILARITY`] are dropped. The index holds everyone's
//! profile, so the hits are joined with the waiting entries of those users
//! (`MATCHING_QUEUE_WAITING_AMONG`, one read per cycle), in the order of
//! similarity, and each seed keeps the first `per_seed`. They join the
//! interest candidates (a pair found both ways once) and are scored and
//! planned like them (M7–M8, M15), so eligibility, blocks, declines and
//! consent still apply. A seed without a vector only gets interest
//! candidates; an index that fails leaves the cycle with its interest
//! candidates (the shell logs it).

use std::collections::{BTreeMap, BTreeSet};

use super::cycle_run::WaitingRow;
use super::embedder::SourceType;
use super::profile_vector::StoredVector;
use super::scoring::{Constraints, OrgConstraint};
use super::vector_index::{VectorFilter, VectorIndex, VectorIndexError, VectorKey, MAX_TOP_K};

/// Hits asked per seed: the most one query returns, since many of the
/// nearest profiles are not waiting.
pub const VECTOR_HITS_PER_SEED: usize = MAX_TOP_K;
/// Hits less alike than this are not candidates.
pub const MIN_VECTOR_SIMILARITY: f32 = 0.1;

fn key(user_id: &str) -> VectorKey {
    VectorKey::new(SourceType::Profile, user_id)
}

/// The index query of one seed: profiles only, not itself, its org only
/// when it asked for `same_org`.
pub fn seed_filter(seed: &WaitingRow) -> VectorFilter {
    let constraints: Constraints = serde_json::from_str(&seed.constraints).unwrap_or_default();
    VectorFilter {
        org_id: (constraints.org == OrgConstraint::SameOrg)
            .then(|| seed.org_id.clone())
            .flatten(),
        source_types: vec![SourceType::Profile],
        exclude: vec![key(&seed.user_id)],
        ..VectorFilter::default()
    }
}

/// One seed's nearest users, most alike first.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedHits {
    pub seed_user_id: String,
    pub users: Vec<String>,
}

/// M30: each seed's nearest profiles (by its stored vector in `vectors`),
/// at or above the similarity floor.
pub async fn nearest<I: VectorIndex>(
    index: &I,
    seeds: &[WaitingRow],
    vectors: &[StoredVector],
) -> Result<Vec<SeedHits>, VectorIndexError> {
    let by_user: BTreeMap<&str, &StoredVector> =
        vectors.iter().map(|v| (v.source_id.as_str(), v)).collect();
    let mut out = Vec::new();
    for seed in seeds {
        let Some(vector) = by_user
            .get(seed.user_id.as_str())
            .and_then(|v| v.decode())
            .filter(|v| v.len() == index.dim())
        else {
            continue;
        };
        let hits = index
            .query(&vector, VECTOR_HITS_PER_SEED, &seed_filter(seed))
            .await?;
        out.push(SeedHits {
            seed_user_id: seed.user_id.clone(),
            users: hits
                .into_iter()
                .filter(|h| h.score >= MIN_VECTOR_SIMILARITY)
                .filter(|h| h.key.source_type == SourceType::Profile)
                .map(|h| h.key.source_id)
                .collect(),
        });
    }
    Ok(out)
}

/// Every user the seeds' hits name, as the JSON array
/// `MATCHING_QUEUE_WAITING_AMONG` takes.
pub fn hit_user_ids_json(hits: &[SeedHits]) -> String {
    let ids: BTreeSet<&str> = hits
        .iter()
        .flat_map(|h| h.users.iter().map(String::as_str))
        .collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

/// M30: the hits that are waiting, as candidate rows of their seed (with
/// `seed_user_id`), most alike first, at most `per_seed` each.
pub fn join_waiting(hits: &[SeedHits], waiting: &[WaitingRow], per_seed: usize) -> Vec<WaitingRow> {
    let by_user: BTreeMap<&str, &WaitingRow> =
        waiting.iter().map(|w| (w.user_id.as_str(), w)).collect();
    let mut out = Vec::new();
    for seed in hits {
        out.extend(
            seed.users
                .iter()
                .filter(|u| **u != seed.seed_user_id)
                .filter_map(|u| by_user.get(u.as_str()))
                .take(per_seed)
                .map(|row| WaitingRow {
                    seed_user_id: Some(seed.seed_user_id.clone()),
                    ..(*row).clone()
                }),
        );
    }
    out
}

/// The interest candidates followed by the vector candidates not already
/// among them (one row per seed and candidate).
pub fn merge_candidates(interest: Vec<WaitingRow>, vector: Vec<WaitingRow>) -> Vec<WaitingRow> {
    let mut seen: BTreeSet<(Option<String>, String)> = interest
        .iter()
        .map(|c| (c.seed_user_id.clone(), c.user_id.clone()))
        .collect();
    let mut out = interest;
    for c in vector {
        if seen.insert((c.seed_user_id.clone(), c.user_id.clone())) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::local_embedder::LocalEmbedder;
    use crate::matching::ready::now_or_never;
    use crate::matching::vector_codec::encode_blob;
    use crate::matching::vector_index::{ExactIndex, VectorRecord};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn waiting(user: &str, org: &str) -> WaitingRow {
        WaitingRow {
            seed_user_id: None,
            id: format!("mq_{user}"),
            user_id: user.into(),
            org_id: Some(org.into()),
            available_from: 0,
            available_to: 10,
            constraints: "{}".into(),
            version: 1,
        }
    }

    const PEOPLE: [(&str, &str, &str); 5] = [
        ("ann", "o1", "realtime websocket servers in rust"),
        (
            "bob",
            "o2",
            "rust engineer building realtime websocket servers",
        ),
        ("cat", "o1", "sourdough bread and laminated pastry"),
        ("dan", "o1", "websocket servers for realtime apps"),
        ("eve", "o1", "realtime websocket servers and rust services"),
    ];

    /// Everyone's profile in the index and as stored vectors.
    fn world() -> (ExactIndex, Vec<StoredVector>) {
        let mut index = ExactIndex::new(384);
        let mut stored = Vec::new();
        let mut records = Vec::new();
        for (user, org, bio) in PEOPLE {
            let v = LocalEmbedder.embed_one(bio);
            stored.push(StoredVector {
                source_id: user.into(),
                dim: 384,
                version: "1".into(),
                vector_hex: hex(&encode_blob(&v)),
            });
            records.push(VectorRecord {
                key: key(user),
                org_id: Some(org.into()),
                language: None,
                vector: v,
            });
        }
        now_or_never(index.upsert(records)).unwrap().unwrap();
        (index, stored)
    }

    #[test]
    fn m30_seeds_get_their_nearest_waiting_people_not_themselves() {
        let (index, stored) = world();
        let seeds = vec![waiting("ann", "o1")];
        let hits = now_or_never(nearest(&index, &seeds, &stored))
            .unwrap()
            .unwrap();
        assert_eq!(hits.len(), 1);
        // The pastry chef reads nothing alike: below the similarity floor.
        assert!(!hits[0].users.contains(&"cat".to_owned()));
        assert!(!hits[0].users.contains(&"ann".to_owned()));
        assert_eq!(
            hit_user_ids_json(&hits),
            serde_json::to_string(&{
                let mut u = hits[0].users.clone();
                u.sort();
                u
            })
            .unwrap()
        );
        // Eve is alike but not waiting: the join keeps waiting people only.
        let queue = vec![waiting("bob", "o2"), waiting("dan", "o1")];
        let found = join_waiting(&hits, &queue, 5);
        let users: Vec<&str> = found.iter().map(|c| c.user_id.as_str()).collect();
        assert_eq!(users.len(), 2);
        assert!(
            users.contains(&"bob") && users.contains(&"dan"),
            "{users:?}"
        );
        assert!(found
            .iter()
            .all(|c| c.seed_user_id.as_deref() == Some("ann")));
        assert_eq!(join_waiting(&hits, &queue, 1).len(), 1);
    }

    #[test]
    fn m30_same_org_seeds_are_pre_filtered_and_vectorless_seeds_get_none() {
        let (index, stored) = world();
        let mut ann = waiting("ann", "o1");
        ann.constraints = r#"{"org_constraints":"same_org"}"#.into();
        let hits = now_or_never(nearest(&index, &[ann], &stored))
            .unwrap()
            .unwrap();
        assert!(!hits[0].users.contains(&"bob".to_owned()));
        assert!(hits[0].users.contains(&"dan".to_owned()));
        let zed = waiting("zed", "o1");
        let none = now_or_never(nearest(&index, &[zed], &stored))
            .unwrap()
            .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn m30_a_pair_found_both_ways_is_kept_once() {
        let row = |user: &str| WaitingRow {
            seed_user_id: Some("ann".into()),
            ..waiting(user, "o1")
        };
        let merged = merge_candidates(vec![row("bob")], vec![row("bob"), row("dan")]);
        let users: Vec<&str> = merged.iter().map(|c| c.user_id.as_str()).collect();
        assert_eq!(users, ["bob", "dan"]);
    }
}
