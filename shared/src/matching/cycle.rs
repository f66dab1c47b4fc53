//! Planning one matching cycle over one shard (rules M15
//! and M16): which waiting entries to pair, and which to expire.
//!
//! The shell loads the shard's waiting entries (bounded, index
//! `matching_queue_shard`), generates a bounded candidate list per entry
//! from the vector index and interest overlap (never all pairs), scores
//! them with [`score_pair`](super::scoring::score_pair), and calls
//! [`plan_cycle`]. The plan pairs greedily by descending score and never
//! puts a user in two proposals (M15). The shell then claims each proposal
//! with one conditional update of both entries
//! (`… WHERE id = ? AND status = 'waiting' AND version = ?`, both rows or
//! neither): a concurrent cycle that planned from the same snapshot finds
//! the versions moved and its claim affects no row, so a user is never in
//! two proposals even across cycles.

use std::collections::BTreeSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::queue::QueueStatus;

/// A queue entry as a cycle sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleEntry {
    pub entry_id: String,
    pub user_id: String,
    /// `matching_queue.version`, for the conditional claim.
    pub version: i64,
    pub status: QueueStatus,
    pub available_from: i64,
    pub available_to: i64,
}

/// A possible partner of an entry, already scored. `detail` travels into
/// the proposal (typically the [`MatchScore`](super::scoring::MatchScore)
/// with its factors).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredCandidate<T> {
    pub peer: CycleEntry,
    pub score: f32,
    pub detail: T,
}

/// One entry of the shard with its candidates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryCandidates<T> {
    pub entry: CycleEntry,
    pub candidates: Vec<ScoredCandidate<T>>,
}

/// Bounds of one cycle (configuration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleLimits {
    /// Entries of the shard considered per run.
    pub max_entries: usize,
    /// Candidates considered per entry (the best by score).
    pub max_candidates_per_entry: usize,
    /// Proposals made per run.
    pub max_proposals: usize,
    /// Pairs scoring below this are not proposed.
    pub min_score: f32,
    /// The two windows must overlap this long from now.
    pub min_overlap_ms: i64,
    /// Both must answer within this long.
    pub respond_within_ms: i64,
}

impl Default for CycleLimits {
    fn default() -> Self {
        CycleLimits {
            max_entries: 500,
            max_candidates_per_entry: 20,
            max_proposals: 100,
            min_score: 0.35,
            min_overlap_ms: 15 * 60_000,
            respond_within_ms: 2 * 60 * 60_000,
        }
    }
}

/// A pair to propose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal<T> {
    /// [`proposal_id`] of the two entries at their current versions.
    pub match_id: String,
    pub a: CycleEntry,
    pub b: CycleEntry,
    pub score: f32,
    pub detail: T,
    /// When the meeting could start: the later of now and both window starts.
    pub starts_at: i64,
    /// Answers are due by then (no later than the end of the overlap).
    pub respond_by: i64,
}

/// What one cycle should do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CyclePlan<T> {
    pub proposals: Vec<Proposal<T>>,
    /// Waiting entries whose window is over: move them to `expired`.
    pub expire: Vec<String>,
    /// Entries and candidate pairs looked at (for the cycle's metrics).
    pub entries_considered: usize,
    pub pairs_considered: usize,
}

/// Rule M16: the id of a proposal of two entries at given versions. The
/// same for either order, so two cycles that plan the same pair from the
/// same snapshot produce the same id (and the same analytics rows); a new
/// proposal of the same two entries later has new versions, hence a new id.
pub fn proposal_id(a_entry: &str, a_version: i64, b_entry: &str, b_version: i64) -> String {
    let (first, second) = if (a_entry, a_version) <= (b_entry, b_version) {
        ((a_entry, a_version), (b_entry, b_version))
    } else {
        ((b_entry, b_version), (a_entry, a_version))
    };
    let mut hasher = Sha256::new();
    for (entry, version) in [first, second] {
        hasher.update(entry.as_bytes());
        hasher.update([0]);
        hasher.update(version.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut id = String::from("match_");
    for byte in digest.iter().take(16) {
        id.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        id.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    id
}

fn is_open(entry: &CycleEntry, now_ms: i64) -> bool {
    entry.status == QueueStatus::Waiting && entry.available_to > now_ms
}

/// Rule M15: plans one cycle of a shard at `now_ms`.
///
/// Considers the first `max_entries` entries and, per entry, its best
/// `max_candidates_per_entry` candidates; drops pairs that are not both
/// waiting and open, are the same user, score below `min_score` (or not a
/// number), or whose windows overlap less than `min_overlap_ms` from now.
/// Then, by descending score (ties by match id), takes each pair whose two
/// users are both still free, up to `max_proposals`. Deterministic.
pub fn plan_cycle<T: Clone>(
    shard: &[EntryCandidates<T>],
    now_ms: i64,
    limits: &CycleLimits,
) -> CyclePlan<T> {
    let considered = &shard[..shard.len().min(limits.max_entries)];
    let mut expire = BTreeSet::new();
    let mut edges: Vec<(f32, String, &CycleEntry, &ScoredCandidate<T>)> = Vec::new();
    let mut seen_pairs = BTreeSet::new();
    let mut pairs_considered = 0;

    for item in considered {
        let entry = &item.entry;
        if entry.status == QueueStatus::Waiting && entry.available_to <= now_ms {
            expire.insert(entry.entry_id.clone());
        }
        if !is_open(entry, now_ms) {
            continue;
        }
        let mut best: Vec<&ScoredCandidate<T>> = item
            .candidates
            .iter()
            .filter(|c| c.score.is_finite())
            .collect();
        best.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then_with(|| x.peer.entry_id.cmp(&y.peer.entry_id))
        });
        best.truncate(limits.max_candidates_per_entry);
        for candidate in best {
            pairs_considered += 1;
            let peer = &candidate.peer;
            if !is_open(peer, now_ms)
                || peer.user_id == entry.user_id
                || peer.entry_id == entry.entry_id
                || candidate.score < limits.min_score
            {
                continue;
            }
            let start = now_ms.max(entry.available_from).max(peer.available_from);
            let end = entry.available_to.min(peer.available_to);
            if end.saturating_sub(start) < limits.min_overlap_ms {
                continue;
            }
            let pair = if entry.entry_id <= peer.entry_id {
                (entry.entry_id.clone(), peer.entry_id.clone())
            } else {
                (peer.entry_id.clone(), entry.entry_id.clone())
            };
            if !seen_pairs.insert(pair) {
                continue;
            }
            let id = proposal_id(&entry.entry_id, entry.version, &peer.entry_id, peer.version);
            edges.push((candidate.score, id, entry, candidate));
        }
    }

    edges.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
    let mut busy_users: BTreeSet<&str> = BTreeSet::new();
    let mut busy_entries: BTreeSet<&str> = BTreeSet::new();
    let mut proposals = Vec::new();
    for (score, match_id, entry, candidate) in edges {
        if proposals.len() >= limits.max_proposals {
            break;
        }
        let peer = &candidate.peer;
        if busy_users.contains(entry.user_id.as_str())
            || busy_users.contains(peer.user_id.as_str())
            || busy_entries.contains(entry.entry_id.as_str())
            || busy_entries.contains(peer.entry_id.as_str())
        {
            continue;
        }
        busy_users.insert(&entry.user_id);
        busy_users.insert(&peer.user_id);
        busy_entries.insert(&entry.entry_id);
        busy_entries.insert(&peer.entry_id);
        let starts_at = now_ms.max(entry.available_from).max(peer.available_from);
        let overlap_end = entry.available_to.min(peer.available_to);
        proposals.push(Proposal {
            match_id,
            a: entry.clone(),
            b: peer.clone(),
            score,
            detail: candidate.detail.clone(),
            starts_at,
            respond_by: now_ms
                .saturating_add(limits.respond_within_ms)
                .min(overlap_end),
        });
    }

    CyclePlan {
        proposals,
        expire: expire.into_iter().collect(),
        entries_considered: considered.len(),
        pairs_considered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const NOW: i64 = 1_700_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn entry(n: usize) -> CycleEntry {
        CycleEntry {
            entry_id: format!("e{n}"),
            user_id: format!("u{n}"),
            version: 1,
            status: QueueStatus::Waiting,
            available_from: NOW,
            available_to: NOW + 4 * HOUR,
        }
    }

    fn cand(peer: CycleEntry, score: f32) -> ScoredCandidate<()> {
        ScoredCandidate {
            peer,
            score,
            detail: (),
        }
    }

    fn item(e: CycleEntry, candidates: Vec<ScoredCandidate<()>>) -> EntryCandidates<()> {
        EntryCandidates {
            entry: e,
            candidates,
        }
    }

    fn users_of(plan: &CyclePlan<()>) -> Vec<String> {
        plan.proposals
            .iter()
            .flat_map(|p| [p.a.user_id.clone(), p.b.user_id.clone()])
            .collect()
    }

    fn assert_no_double_booking(plan: &CyclePlan<()>) {
        let users = users_of(plan);
        let unique: BTreeSet<&String> = users.iter().collect();
        assert_eq!(unique.len(), users.len(), "double-booked: {users:?}");
    }

    #[test]
    fn m15_pairs_greedily_by_score() {
        // 0–1 is the best pair; 2 then takes 3 although 2–1 scored higher.
        let shard = vec![
            item(entry(0), vec![cand(entry(1), 0.9), cand(entry(2), 0.5)]),
            item(entry(2), vec![cand(entry(1), 0.8), cand(entry(3), 0.6)]),
        ];
        let plan = plan_cycle(&shard, NOW, &CycleLimits::default());
        let pairs: Vec<(&str, &str)> = plan
            .proposals
            .iter()
            .map(|p| (p.a.user_id.as_str(), p.b.user_id.as_str()))
            .collect();
        assert_eq!(pairs, vec![("u0", "u1"), ("u2", "u3")]);
        assert_eq!(plan.proposals[0].starts_at, NOW);
        assert_eq!(plan.proposals[0].respond_by, NOW + 2 * HOUR);
    }

    #[test]
    fn m15_cycle_never_double_books_with_overlapping_candidate_lists() {
        // Many seeds of dense, overlapping candidate lists, including the
        // same user under two entry ids and pairs listed from both sides.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        for _ in 0..200 {
            let n = 4 + next() % 30;
            let mut entries: Vec<CycleEntry> = (0..n).map(entry).collect();
            // Some users hold two entries (bad data must still not double-book).
            for e in entries.iter_mut().filter(|e| e.entry_id.ends_with('3')) {
                e.user_id = "u_dup".into();
            }
            let shard: Vec<EntryCandidates<()>> = entries
                .iter()
                .map(|e| {
                    let k = next() % n;
                    let candidates = (0..k)
                        .map(|_| {
                            let peer = entries[next() % n].clone();
                            cand(peer, (next() % 1000) as f32 / 1000.0)
                        })
                        .collect();
                    item(e.clone(), candidates)
                })
                .collect();
            let limits = CycleLimits {
                max_proposals: 1 + next() % 10,
                ..CycleLimits::default()
            };
            let plan = plan_cycle(&shard, NOW, &limits);
            assert_no_double_booking(&plan);
            assert!(plan.proposals.len() <= limits.max_proposals);
            for p in &plan.proposals {
                assert!(p.score >= limits.min_score);
                assert_ne!(p.a.user_id, p.b.user_id);
            }
        }
    }

    #[test]
    fn m15_ineligible_pairs_are_skipped() {
        let mut late = entry(5);
        late.available_from = NOW + 4 * HOUR - 60_000; // overlaps 1 minute
        let mut proposed = entry(6);
        proposed.status = QueueStatus::Proposed;
        let mut same_user = entry(7);
        same_user.user_id = "u0".into();
        let mut over = entry(8);
        over.available_to = NOW;
        let shard = vec![
            item(
                entry(0),
                vec![
                    cand(late, 0.99),
                    cand(proposed, 0.98),
                    cand(same_user, 0.97),
                    cand(over.clone(), 0.96),
                    cand(entry(9), 0.1),
                    cand(entry(10), f32::NAN),
                ],
            ),
            item(over, vec![cand(entry(1), 0.9)]),
        ];
        let plan = plan_cycle(&shard, NOW, &CycleLimits::default());
        assert!(plan.proposals.is_empty(), "{:?}", plan.proposals);
        assert_eq!(plan.expire, vec!["e8".to_owned()]);
    }

    #[test]
    fn m15_cycle_is_bounded() {
        let shard: Vec<EntryCandidates<()>> = (0..100)
            .map(|i| {
                item(
                    entry(i),
                    (0..100)
                        .map(|j| cand(entry(1000 + i * 100 + j), 0.5))
                        .collect(),
                )
            })
            .collect();
        let limits = CycleLimits {
            max_entries: 10,
            max_candidates_per_entry: 3,
            max_proposals: 4,
            ..CycleLimits::default()
        };
        let plan = plan_cycle(&shard, NOW, &limits);
        assert_eq!(plan.entries_considered, 10);
        assert_eq!(plan.pairs_considered, 30);
        assert_eq!(plan.proposals.len(), 4);
        assert_no_double_booking(&plan);
    }

    #[test]
    fn m16_proposal_id_is_order_independent_and_versioned() {
        let id = proposal_id("e1", 3, "e2", 7);
        assert_eq!(id, proposal_id("e2", 7, "e1", 3));
        assert_ne!(id, proposal_id("e1", 4, "e2", 7));
        assert!(id.starts_with("match_") && id.len() == 6 + 32);
    }

    /// The claim protocol the shell runs: a conditional update of both
    /// entries on (status, version). Two overlapping cycles planned from
    /// the same snapshot never double-book anyone.
    #[test]
    fn m15_overlapping_cycles_never_double_book_under_conditional_claims() {
        let entries: Vec<CycleEntry> = (0..6).map(entry).collect();
        // Cycle A sees 0..3 with candidates among all; cycle B sees 2..6.
        let plan_for = |range: std::ops::Range<usize>, bias: f32| {
            let shard: Vec<EntryCandidates<()>> = range
                .map(|i| {
                    let candidates = (0..6)
                        .filter(|j| *j != i)
                        .map(|j| {
                            cand(
                                entries[j].clone(),
                                0.5 + bias * ((i * 7 + j * 3) % 5) as f32 / 10.0,
                            )
                        })
                        .collect();
                    item(entries[i].clone(), candidates)
                })
                .collect();
            plan_cycle(&shard, NOW, &CycleLimits::default())
        };
        let plans = [plan_for(0..3, 1.0), plan_for(2..6, -1.0)];
        // The store: entry id -> (status, version, match id).
        let mut store: BTreeMap<String, (QueueStatus, i64, Option<String>)> = entries
            .iter()
            .map(|e| (e.entry_id.clone(), (QueueStatus::Waiting, e.version, None)))
            .collect();
        let mut claimed = 0;
        for plan in &plans {
            for p in &plan.proposals {
                let ok = [&p.a, &p.b].iter().all(|e| {
                    store[&e.entry_id].0 == QueueStatus::Waiting
                        && store[&e.entry_id].1 == e.version
                });
                if ok {
                    for e in [&p.a, &p.b] {
                        store.insert(
                            e.entry_id.clone(),
                            (
                                QueueStatus::Proposed,
                                e.version + 1,
                                Some(p.match_id.clone()),
                            ),
                        );
                    }
                    claimed += 1;
                }
            }
        }
        assert!(claimed >= 2);
        // Every proposed entry's match has exactly two entries.
        let mut per_match: BTreeMap<String, usize> = BTreeMap::new();
        for (_, _, m) in store.values() {
            if let Some(m) = m {
                *per_match.entry(m.clone()).or_default() += 1;
            }
        }
        assert!(per_match.values().all(|n| *n == 2), "{per_match:?}");
    }

    /// The whole pure pipeline: local embeddings, scoring, planning. Two
    /// planted compatible pairs are proposed to each other, not across.
    #[test]
    fn m15_planted_compatible_pairs_are_proposed_together() {
        use crate::matching::local_embedder::LocalEmbedder;
        use crate::matching::scoring::{
            score_pair, MatchCandidate, MatchScore, PairSignals, ScoringConfig,
        };
        use crate::matching::vector_index::cosine;

        let people = [
            (
                "u0",
                "Rust engineer building WebAssembly backends",
                &["rust", "wasm"][..],
                &["rust"][..],
                "learn fundraising",
            ),
            (
                "u1",
                "Founder of a WebAssembly tooling startup written in Rust",
                &["rust", "startups"],
                &["fundraising"],
                "hire a rust engineer",
            ),
            (
                "u2",
                "Pastry chef baking sourdough bread",
                &["baking", "food"],
                &["baking"],
                "open a bakery",
            ),
            (
                "u3",
                "Home baker who loves sourdough and pastry",
                &["baking"],
                &["marketing"],
                "learn baking from a pastry chef",
            ),
        ];
        let candidates: Vec<MatchCandidate> = people
            .iter()
            .map(|(id, _, interests, skills, goals)| MatchCandidate {
                user_id: (*id).into(),
                interests: interests.iter().map(|s| (*s).to_owned()).collect(),
                skills: skills.iter().map(|s| (*s).to_owned()).collect(),
                goals: (*goals).into(),
                ..MatchCandidate::default()
            })
            .collect();
        let vectors: Vec<Vec<f32>> = people
            .iter()
            .map(|p| LocalEmbedder.embed_one(p.1))
            .collect();
        let cfg = ScoringConfig::default();
        let shard: Vec<EntryCandidates<MatchScore>> = (0..people.len())
            .map(|i| EntryCandidates {
                entry: entry(i),
                candidates: (0..people.len())
                    .filter(|j| *j != i)
                    .filter_map(|j| {
                        let signals = PairSignals {
                            vector_similarity: Some(cosine(&vectors[i], &vectors[j])),
                            ..PairSignals::default()
                        };
                        let m =
                            score_pair(&candidates[i], &candidates[j], &signals, &cfg, NOW).ok()?;
                        Some(ScoredCandidate {
                            peer: entry(j),
                            score: m.score,
                            detail: m,
                        })
                    })
                    .collect(),
            })
            .collect();
        let plan = plan_cycle(
            &shard,
            NOW,
            &CycleLimits {
                min_score: 0.2,
                ..CycleLimits::default()
            },
        );
        let mut pairs: Vec<(String, String)> = plan
            .proposals
            .iter()
            .map(|p| {
                let (a, b) = (p.a.user_id.clone(), p.b.user_id.clone());
                if a < b {
                    (a, b)
                } else {
                    (b, a)
                }
            })
            .collect();
        pairs.sort();
        assert_eq!(
            pairs,
            vec![("u0".into(), "u1".into()), ("u2".into(), "u3".into())]
        );
        assert!(plan.proposals.iter().all(|p| !p.detail.factors.is_empty()));
    }
}
