//! One matching cycle as a pure plan over the rows the shell loaded (rules
//! M14, M15 and M25 below): the shard's waiting entries (seeds), their
//! candidates by interest overlap, the people involved, their history,
//! recent declines and blocks among them. Scores every seed–candidate pair
//! with [`score_pair`] (ineligible pairs, M8, are dropped), plans the cycle
//! with [`plan_cycle`], and returns the statements that claim each proposal
//! and expire finished entries.
//!
//! **M25 — what a cycle reads and writes.** Reads: at most `max_entries`
//! waiting entries of one shard (`MATCHING_QUEUE_LIST_WAITING`), at most
//! `max_candidates_per_entry` candidates per seed through shared interests
//! (`MATCHING_CANDIDATES_BY_INTEREST`, never all pairs), and the people,
//! history, declines, blocks and data-processing consents (M27) of
//! exactly those users (one statement each, keyed by a JSON array of
//! their ids). Writes: per proposal one
//! batch of [`MATCHING_QUEUE_CLAIM_PAIR`] (both entries or neither, by
//! version) then the proposal row (written only if the claim held); per
//! finished entry one guarded move to `expired`. Candidates with no shared
//! interest come from the vector index (M30,
//! [`vector_candidates`](super::vector_candidates)).
//!
//! [`MATCHING_QUEUE_CLAIM_PAIR`]: crate::sql::matching::MATCHING_QUEUE_CLAIM_PAIR

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::cycle::{plan_cycle, CycleEntry, CyclePlan, EntryCandidates, ScoredCandidate};
use super::queue::QueueStatus;
use super::queue_plan::MatchingConfig;
use super::scoring::{
    score_pair, Constraints, HistorySummary, MatchCandidate, MatchScore, PairSignals,
    ScoringConfig, Weights,
};
use crate::sql::matching::{
    MatchingProposalInsertClaimed, MatchingQueueClaimPair, MatchingQueueMove,
};
use crate::sql::Statement;

/// A row of `MATCHING_QUEUE_LIST_WAITING` (a seed), or of
/// `MATCHING_CANDIDATES_BY_INTEREST` (with `seed_user_id`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WaitingRow {
    #[serde(default)]
    pub seed_user_id: Option<String>,
    pub id: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub available_from: i64,
    pub available_to: i64,
    pub constraints: String,
    pub version: i64,
}

impl WaitingRow {
    fn entry(&self) -> CycleEntry {
        CycleEntry {
            entry_id: self.id.clone(),
            user_id: self.user_id.clone(),
            version: self.version,
            status: QueueStatus::Waiting,
            available_from: self.available_from,
            available_to: self.available_to,
        }
    }

    fn constraints(&self) -> Constraints {
        serde_json::from_str(&self.constraints).unwrap_or_default()
    }
}

/// A row of `MATCHING_PEOPLE` (JSON arrays as text).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PersonRow {
    pub user_id: String,
    pub org_id: Option<String>,
    pub goals: Option<String>,
    pub skills: String,
    pub roles: String,
    pub languages: String,
    pub interests: String,
}

/// A row of `MATCH_HISTORY_FOR_USERS`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HistoryRow {
    pub user_id: String,
    pub proposals: i64,
    pub accepted: i64,
    pub completed: i64,
    pub rating_sum: i64,
    pub ratings: i64,
}

/// A row of `MATCH_DECLINES_AMONG`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeclineRow {
    pub user_id: String,
    pub peer_user_id: String,
    pub declined_at: i64,
}

/// A row of `CONNECTION_BLOCKS_AMONG`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BlockRow {
    pub requester_id: String,
    pub addressee_id: String,
}

/// Everything a cycle loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleInput {
    pub seeds: Vec<WaitingRow>,
    pub candidates: Vec<WaitingRow>,
    pub people: Vec<PersonRow>,
    pub history: Vec<HistoryRow>,
    pub declines: Vec<DeclineRow>,
    pub blocks: Vec<BlockRow>,
    /// Profile-embedding similarity of user pairs, when the shell has
    /// embeddings for both (keyed by the ordered pair).
    pub similarity: BTreeMap<(String, String), f32>,
    /// Users whose data-processing consent is withdrawn (M27,
    /// `consent_gate::processing_withdrawn`): never scored nor proposed.
    pub withdrawn: BTreeSet<String>,
}

/// The seeds' user ids as the JSON array the candidate query takes.
pub fn seed_ids_json(seeds: &[WaitingRow]) -> String {
    let ids: Vec<&str> = seeds.iter().map(|s| s.user_id.as_str()).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

/// Every user of the seeds and candidates, as a JSON array.
pub fn user_ids_json(seeds: &[WaitingRow], candidates: &[WaitingRow]) -> String {
    let ids: BTreeSet<&str> = seeds
        .iter()
        .chain(candidates)
        .map(|s| s.user_id.as_str())
        .collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

fn strings(text: &str) -> Vec<String> {
    serde_json::from_str::<Vec<Option<String>>>(text)
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// The (ordered) pairs a run scores: each candidate with the seed it was
/// found for. The shell computes vector similarity for these only (M26).
pub fn scored_pairs(candidates: &[WaitingRow]) -> BTreeSet<(String, String)> {
    candidates
        .iter()
        .filter_map(|c| Some(pair(c.seed_user_id.as_deref()?, &c.user_id)))
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

/// The plan of one run, and its writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRun {
    pub plan: CyclePlan<MatchScore>,
    /// One atomic batch per proposal: the claim, then the proposal row.
    pub claims: Vec<Vec<Statement>>,
    /// Guarded moves of finished waiting entries to `expired`.
    pub expire: Vec<Statement>,
}

/// M25: plans one cycle from what the shell loaded.
pub fn plan_run(
    input: &CycleInput,
    weights: &Weights,
    config: &MatchingConfig,
    now_ms: i64,
) -> CycleRun {
    let people: BTreeMap<&str, &PersonRow> = input
        .people
        .iter()
        .map(|p| (p.user_id.as_str(), p))
        .collect();
    let history: BTreeMap<&str, HistorySummary> = input
        .history
        .iter()
        .map(|h| {
            let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
            (
                h.user_id.as_str(),
                HistorySummary {
                    proposals: n(h.proposals),
                    accepted: n(h.accepted),
                    completed: n(h.completed),
                    rating_sum: n(h.rating_sum),
                    ratings: n(h.ratings),
                },
            )
        })
        .collect();
    let mut declined: BTreeMap<(String, String), i64> = BTreeMap::new();
    for d in &input.declines {
        let at = declined
            .entry(pair(&d.user_id, &d.peer_user_id))
            .or_insert(i64::MIN);
        *at = (*at).max(d.declined_at);
    }
    let blocked: BTreeSet<(String, String)> = input
        .blocks
        .iter()
        .map(|b| pair(&b.requester_id, &b.addressee_id))
        .collect();
    // A deleted user has no person row and is never proposed (M8); nor is
    // one who withdrew data-processing consent (M27).
    let candidate = |row: &WaitingRow| -> Option<MatchCandidate> {
        if input.withdrawn.contains(&row.user_id) {
            return None;
        }
        let p = people.get(row.user_id.as_str())?;
        Some(MatchCandidate {
            user_id: row.user_id.clone(),
            org_id: p.org_id.clone(),
            interests: strings(&p.interests),
            skills: strings(&p.skills),
            goals: p.goals.clone().unwrap_or_default(),
            roles: strings(&p.roles),
            languages: strings(&p.languages),
            constraints: row.constraints(),
            history: history
                .get(row.user_id.as_str())
                .copied()
                .unwrap_or_default(),
        })
    };
    let scoring = ScoringConfig {
        weights: *weights,
        ..config.scoring.clone()
    };
    let mut by_seed: BTreeMap<&str, Vec<&WaitingRow>> = BTreeMap::new();
    for c in &input.candidates {
        if let Some(seed) = c.seed_user_id.as_deref() {
            by_seed.entry(seed).or_default().push(c);
        }
    }
    let shard: Vec<EntryCandidates<MatchScore>> = input
        .seeds
        .iter()
        .map(|seed| {
            let me = candidate(seed);
            let candidates = by_seed
                .get(seed.user_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|row| {
                    let (me, them) = (me.as_ref()?, candidate(row)?);
                    let key = pair(&seed.user_id, &row.user_id);
                    let signals = PairSignals {
                        vector_similarity: input.similarity.get(&key).copied(),
                        blocked: blocked.contains(&key),
                        last_declined_at: declined.get(&key).copied(),
                    };
                    let score = score_pair(me, &them, &signals, &scoring, now_ms).ok()?;
                    Some(ScoredCandidate {
                        peer: row.entry(),
                        score: score.score,
                        detail: score,
                    })
                })
                .collect();
            EntryCandidates {
                entry: seed.entry(),
                candidates,
            }
        })
        .collect();
    let plan = plan_cycle(&shard, now_ms, &config.cycle);
    let claims = plan
        .proposals
        .iter()
        .map(|p| {
            let detail = serde_json::to_string(&p.detail).unwrap_or_else(|_| "{}".into());
            vec![
                MatchingQueueClaimPair {
                    match_id: &p.match_id,
                    a_entry_id: &p.a.entry_id,
                    a_version: p.a.version,
                    a_user_id: &p.a.user_id,
                    b_entry_id: &p.b.entry_id,
                    b_version: p.b.version,
                    b_user_id: &p.b.user_id,
                    now_ms,
                }
                .statement(),
                MatchingProposalInsertClaimed {
                    id: &p.match_id,
                    a_entry_id: &p.a.entry_id,
                    a_user_id: &p.a.user_id,
                    b_entry_id: &p.b.entry_id,
                    b_user_id: &p.b.user_id,
                    score: f64::from(p.score),
                    detail: &detail,
                    starts_at: p.starts_at,
                    respond_by: p.respond_by,
                    now_ms,
                }
                .statement(),
            ]
        })
        .collect();
    let versions: BTreeMap<&str, i64> = input
        .seeds
        .iter()
        .map(|s| (s.id.as_str(), s.version))
        .collect();
    let expire = plan
        .expire
        .iter()
        .filter_map(|id| {
            let version = *versions.get(id.as_str())?;
            Some(
                MatchingQueueMove {
                    id,
                    expected_status: QueueStatus::Waiting.as_str(),
                    expected_version: version,
                    new_status: QueueStatus::Expired.as_str(),
                    clear_match: false,
                    now_ms,
                }
                .statement(),
            )
        })
        .collect();
    CycleRun {
        plan,
        claims,
        expire,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn waiting(n: &str, seed: Option<&str>) -> WaitingRow {
        WaitingRow {
            seed_user_id: seed.map(str::to_owned),
            id: format!("mq_{n}"),
            user_id: n.to_owned(),
            org_id: None,
            available_from: NOW,
            available_to: NOW + 4 * HOUR,
            constraints: "{}".into(),
            version: 1,
        }
    }

    fn person(n: &str, interests: &str) -> PersonRow {
        PersonRow {
            user_id: n.to_owned(),
            org_id: None,
            goals: Some("raise a seed round".into()),
            skills: r#"["fundraising"]"#.into(),
            roles: "[]".into(),
            languages: r#"["en"]"#.into(),
            interests: interests.to_owned(),
        }
    }

    fn input() -> CycleInput {
        CycleInput {
            seeds: vec![waiting("ann", None), waiting("bob", None)],
            candidates: vec![waiting("bob", Some("ann")), waiting("ann", Some("bob"))],
            people: vec![
                person("ann", r#"["rust","climate"]"#),
                person("bob", r#"["rust","climate"]"#),
            ],
            ..CycleInput::default()
        }
    }

    fn run(input: &CycleInput) -> CycleRun {
        plan_run(input, &Weights::default(), &MatchingConfig::default(), NOW)
    }

    #[test]
    fn m25_a_compatible_pair_is_claimed_in_one_batch_with_factors() {
        let r = run(&input());
        assert_eq!(r.plan.proposals.len(), 1);
        let p = &r.plan.proposals[0];
        assert!(p.detail.factors.iter().any(|f| f.text.contains("rust")));
        assert_eq!(r.claims.len(), 1);
        let names: Vec<_> = r.claims[0].iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "MATCHING_QUEUE_CLAIM_PAIR",
                "MATCHING_PROPOSAL_INSERT_CLAIMED"
            ]
        );
        assert_eq!(
            user_ids_json(&input().seeds, &input().candidates),
            r#"["ann","bob"]"#
        );
    }

    #[test]
    fn m8_blocked_declined_and_deleted_pairs_are_never_proposed() {
        let mut blocked = input();
        blocked.blocks.push(BlockRow {
            requester_id: "bob".into(),
            addressee_id: "ann".into(),
        });
        assert!(run(&blocked).plan.proposals.is_empty());
        let mut declined = input();
        declined.declines.push(DeclineRow {
            user_id: "bob".into(),
            peer_user_id: "ann".into(),
            declined_at: NOW - HOUR,
        });
        assert!(run(&declined).plan.proposals.is_empty());
        let mut deleted = input();
        deleted.people.pop();
        assert!(run(&deleted).plan.proposals.is_empty());
    }

    #[test]
    fn m27_a_user_who_withdrew_processing_consent_is_never_proposed() {
        let mut withdrawn = input();
        withdrawn.withdrawn.insert("bob".into());
        assert!(run(&withdrawn).plan.proposals.is_empty());
        let mut other = input();
        other.withdrawn.insert("cat".into());
        assert_eq!(run(&other).plan.proposals.len(), 1);
    }

    #[test]
    fn m25_finished_entries_expire_by_version() {
        // Ann's window is over (as the seed and as bob's candidate).
        let mut late = input();
        late.seeds[0].available_to = NOW - 1;
        late.candidates[0].available_to = NOW - 1;
        late.candidates[1].available_to = NOW - 1;
        let r = run(&late);
        assert_eq!(r.expire.len(), 1);
        assert_eq!(r.expire[0].name, "MATCHING_QUEUE_MOVE");
        assert!(r.plan.proposals.is_empty());
    }
}
