//! Matching candidates through the vector index (rule M30), next to the
//! interest-overlap candidates of M25.
//!
//! **M30 — vector candidates.** Besides the candidates sharing an interest,
//! each seed gets up to `per_seed` waiting people whose profiles read most
//! alike. A cycle reads one bounded pool per run: the waiting entries
//! that have a profile vector of the configured model, soonest to finish
//! first (`MATCHING_VECTOR_POOL`, index `matching_queue_expiry`, at most
//! [`VECTOR_POOL_LIMIT`] rows whatever the queue's size). The pool goes
//! into an [`ExactIndex`] (the `VectorIndex` contract, M6), and each seed
//! in the pool queries it for its top `per_seed` by cosine, itself
//! excluded, pre-filtered to its org when it asked for `same_org`;
//! hits below [`MIN_VECTOR_SIMILARITY`] are dropped. The hits join the
//! interest candidates (a pair found both ways once) and are scored and
//! planned like them (M7–M8, M15), so eligibility, blocks, declines and
//! consent still apply. A seed without a vector, or outside the pool, only
//! gets interest candidates.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::cycle_run::WaitingRow;
use super::embedder::SourceType;
use super::profile_vector::StoredVector;
use super::ready::now_or_never;
use super::scoring::{Constraints, OrgConstraint};
use super::vector_index::{ExactIndex, VectorFilter, VectorIndex, VectorKey, VectorRecord};

/// The most pool rows a cycle reads.
pub const VECTOR_POOL_LIMIT: i64 = 2_000;
/// Hits less alike than this are not candidates.
pub const MIN_VECTOR_SIMILARITY: f32 = 0.1;

/// A row of `MATCHING_VECTOR_POOL`: a waiting entry and its profile vector.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PoolRow {
    #[serde(flatten)]
    pub entry: WaitingRow,
    pub dim: i64,
    pub vector_hex: String,
}

impl PoolRow {
    fn waiting(&self, seed: Option<&str>) -> WaitingRow {
        WaitingRow {
            seed_user_id: seed.map(str::to_owned),
            ..self.entry.clone()
        }
    }

    fn vector(&self) -> Option<Vec<f32>> {
        StoredVector {
            source_id: self.entry.user_id.clone(),
            dim: self.dim,
            version: String::new(),
            vector_hex: self.vector_hex.clone(),
        }
        .decode()
    }
}

fn key(user_id: &str) -> VectorKey {
    VectorKey::new(SourceType::Profile, user_id)
}

/// M30: each seed's nearest waiting people in `pool`, as candidate rows
/// (with `seed_user_id`), at most `per_seed` each.
pub fn vector_candidates(
    seeds: &[WaitingRow],
    pool: &[PoolRow],
    per_seed: usize,
) -> Vec<WaitingRow> {
    let decoded: Vec<(&PoolRow, Vec<f32>)> = pool
        .iter()
        .filter_map(|row| Some((row, row.vector()?)))
        .collect();
    let Some(dim) = decoded.first().map(|(_, v)| v.len()) else {
        return Vec::new();
    };
    let mut index = ExactIndex::new(dim);
    let records: Vec<VectorRecord> = decoded
        .iter()
        .filter(|(_, v)| v.len() == dim)
        .map(|(row, v)| VectorRecord {
            key: key(&row.entry.user_id),
            org_id: row.entry.org_id.clone(),
            language: None,
            vector: v.clone(),
        })
        .collect();
    if now_or_never(index.upsert(records)).is_none_or(|r| r.is_err()) {
        return Vec::new();
    }
    let by_user: std::collections::BTreeMap<&str, &PoolRow> =
        pool.iter().map(|r| (r.entry.user_id.as_str(), r)).collect();
    let mut out = Vec::new();
    for seed in seeds {
        let Some((_, vector)) = decoded
            .iter()
            .find(|(row, v)| row.entry.user_id == seed.user_id && v.len() == dim)
        else {
            continue;
        };
        let constraints: Constraints = serde_json::from_str(&seed.constraints).unwrap_or_default();
        let filter = VectorFilter {
            org_id: (constraints.org == OrgConstraint::SameOrg)
                .then(|| seed.org_id.clone())
                .flatten(),
            exclude: vec![key(&seed.user_id)],
            ..VectorFilter::default()
        };
        let Some(Ok(hits)) = now_or_never(index.query(vector, per_seed, &filter)) else {
            continue;
        };
        out.extend(
            hits.into_iter()
                .filter(|h| h.score >= MIN_VECTOR_SIMILARITY)
                .filter_map(|h| by_user.get(h.key.source_id.as_str()))
                .map(|row| row.waiting(Some(&seed.user_id))),
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
    use crate::matching::vector_codec::encode_blob;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn pooled(user: &str, org: &str, bio: &str) -> PoolRow {
        PoolRow {
            entry: WaitingRow {
                seed_user_id: None,
                id: format!("mq_{user}"),
                user_id: user.into(),
                org_id: Some(org.into()),
                available_from: 0,
                available_to: 10,
                constraints: "{}".into(),
                version: 1,
            },
            dim: 384,
            vector_hex: hex(&encode_blob(&LocalEmbedder.embed_one(bio))),
        }
    }

    fn pool() -> Vec<PoolRow> {
        vec![
            pooled("ann", "o1", "realtime websocket servers in rust"),
            pooled(
                "bob",
                "o2",
                "rust engineer building realtime websocket servers",
            ),
            pooled("cat", "o1", "sourdough bread and laminated pastry"),
            pooled("dan", "o1", "websocket servers for realtime apps"),
        ]
    }

    #[test]
    fn m30_seeds_get_their_nearest_waiting_people_not_themselves() {
        let pool = pool();
        let seeds = vec![pool[0].waiting(None)];
        let found = vector_candidates(&seeds, &pool, 2);
        let users: Vec<&str> = found.iter().map(|c| c.user_id.as_str()).collect();
        assert_eq!(users.len(), 2);
        assert!(
            users.contains(&"bob") && users.contains(&"dan"),
            "{users:?}"
        );
        assert!(found
            .iter()
            .all(|c| c.seed_user_id.as_deref() == Some("ann")));
        // The pastry chef reads nothing alike: below the similarity floor.
        let all = vector_candidates(&seeds, &pool, 10);
        assert!(all.iter().all(|c| c.user_id != "cat" && c.user_id != "ann"));
    }

    #[test]
    fn m30_same_org_seeds_are_pre_filtered_and_vectorless_seeds_get_none() {
        let mut pool = pool();
        pool[0].entry.constraints = r#"{"org_constraints":"same_org"}"#.into();
        let seeds = vec![pool[0].waiting(None)];
        let found = vector_candidates(&seeds, &pool, 5);
        assert!(found.iter().all(|c| c.org_id.as_deref() == Some("o1")));
        assert!(found.iter().any(|c| c.user_id == "dan"));
        let stranger = WaitingRow {
            user_id: "zed".into(),
            ..pool[1].waiting(None)
        };
        assert!(vector_candidates(&[stranger], &pool, 5).is_empty());
        assert!(vector_candidates(&seeds, &[], 5).is_empty());
    }

    #[test]
    fn m30_a_pair_found_both_ways_is_kept_once() {
        let pool = pool();
        let interest = vec![pool[1].waiting(Some("ann"))];
        let vector = vec![pool[1].waiting(Some("ann")), pool[3].waiting(Some("ann"))];
        let merged = merge_candidates(interest, vector);
        let users: Vec<&str> = merged.iter().map(|c| c.user_id.as_str()).collect();
        assert_eq!(users, ["bob", "dan"]);
    }
}
