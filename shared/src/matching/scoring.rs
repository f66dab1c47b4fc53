//! How well two people in the queue fit (rules M7–M9):
//! a score in `[0, 1]` and the key factors in words.
//!
//! Five features, each in `[0, 1]`:
//!
//! | feature | value |
//! |---|---|
//! | `interests` | Jaccard overlap of the two interest sets (profile interests plus the queue entry's wanted interests) |
//! | `skills` | complementarity, the mean of both directions; one direction is `min(n, 2) / 2` where `n` counts the other's skills found in this one's goals plus the other's roles this one asked for |
//! | `org` | 1 when an explicit org preference (`same_org`/`other_org`) is met or both share an org, else 0.5 (neutral) |
//! | `history` | the mean of both users' smoothed success rates from `matching_analytics` ([`HistorySummary::success_rate`]) |
//! | `vector` | the cosine similarity of the two profile embeddings, clamped to `[0, 1]`; absent when either has no embedding |
//!
//! The score is the weighted mean `Σ wᵢ·fᵢ / Σ wᵢ` over the features
//! present (M7), with weights from [`Weights`] (configuration, then moved by
//! feedback: [`feedback`](super::feedback)). A pair that must never be
//! proposed is refused before scoring ([`Ineligible`], M8): the same user,
//! a block either way, a decline inside the cooldown window, an org
//! constraint not met, or no common language.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::feedback::on_cooldown;
use super::text::{normalise_label, term_set};

/// What a queue entry asks of a match (`matching_queue.constraints`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraints {
    /// Interest keys the user wants to talk about.
    #[serde(default)]
    pub interests: Vec<String>,
    /// Roles the user wants to meet ("founder", "investor").
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, rename = "org_constraints")]
    pub org: OrgConstraint,
}

/// Whom the user may be matched with, by organisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgConstraint {
    #[default]
    Any,
    /// Only people of my organisation.
    SameOrg,
    /// Only people outside my organisation.
    OtherOrg,
}

impl OrgConstraint {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgConstraint::Any => "any",
            OrgConstraint::SameOrg => "same_org",
            OrgConstraint::OtherOrg => "other_org",
        }
    }

    pub fn parse(text: &str) -> Option<OrgConstraint> {
        [
            OrgConstraint::Any,
            OrgConstraint::SameOrg,
            OrgConstraint::OtherOrg,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }

    /// Whether `mine` and `theirs` satisfy this constraint.
    fn allows(self, mine: Option<&str>, theirs: Option<&str>) -> bool {
        let same = mine.is_some() && mine == theirs;
        match self {
            OrgConstraint::Any => true,
            OrgConstraint::SameOrg => same,
            OrgConstraint::OtherOrg => !same,
        }
    }
}

/// One user's record in `matching_analytics`, summarised by the shell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistorySummary {
    /// Proposals the user took part in.
    pub proposals: u32,
    /// Of those, the ones the user accepted.
    pub accepted: u32,
    /// Meetings from matches that actually happened.
    pub completed: u32,
    /// Sum and count of post-call ratings (1–5).
    pub rating_sum: u32,
    pub ratings: u32,
}

impl HistorySummary {
    /// Pseudo-proposals of the prior: a newcomer counts as 1 accepted of 2.
    const PRIOR_PROPOSALS: f32 = 2.0;
    const PRIOR_RATE: f32 = 0.5;
    const RATING_SHARE: f32 = 0.3;

    /// `(accepted + 1) / (proposals + 2)`, blended 70/30 with the mean
    /// rating mapped to `[0, 1]` when there are ratings. In `[0, 1]`;
    /// a user with no history gets 0.5.
    pub fn success_rate(&self) -> f32 {
        let accepted = self.accepted.min(self.proposals) as f32;
        let rate = (accepted + Self::PRIOR_RATE * Self::PRIOR_PROPOSALS)
            / (self.proposals as f32 + Self::PRIOR_PROPOSALS);
        if self.ratings == 0 {
            return rate;
        }
        let mean = self.rating_sum as f32 / self.ratings as f32;
        let rating = ((mean - 1.0) / 4.0).clamp(0.0, 1.0);
        (1.0 - Self::RATING_SHARE) * rate + Self::RATING_SHARE * rating
    }
}

/// A person in the queue, as the scorer needs them (profile, interests,
/// queue constraints and history, loaded by the shell).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchCandidate {
    pub user_id: String,
    pub org_id: Option<String>,
    /// Interest keys (`user_interests`).
    pub interests: Vec<String>,
    /// `profiles.skills`.
    pub skills: Vec<String>,
    /// `profiles.goals`, free text.
    pub goals: String,
    /// `profiles.roles`.
    pub roles: Vec<String>,
    /// `profiles.languages`; empty means unknown (no language filter).
    pub languages: Vec<String>,
    pub constraints: Constraints,
    pub history: HistorySummary,
}

/// What the shell knows about the pair itself.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairSignals {
    /// Cosine similarity of the two profile embeddings, if both have one.
    pub vector_similarity: Option<f32>,
    /// Either blocked the other (`connections.status = 'blocked'`).
    pub blocked: bool,
    /// The latest time either declined a proposal of the other.
    pub last_declined_at: Option<i64>,
}

/// The weights of the five features. Non-negative; only their ratios matter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub interests: f32,
    pub skills: f32,
    pub org: f32,
    pub history: f32,
    pub vector: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            interests: 0.30,
            skills: 0.25,
            org: 0.10,
            history: 0.10,
            vector: 0.25,
        }
    }
}

impl Weights {
    /// In the order of [`FEATURE_NAMES`].
    pub fn to_array(self) -> [f32; 5] {
        [
            self.interests,
            self.skills,
            self.org,
            self.history,
            self.vector,
        ]
    }

    pub fn from_array(a: [f32; 5]) -> Weights {
        Weights {
            interests: a[0],
            skills: a[1],
            org: a[2],
            history: a[3],
            vector: a[4],
        }
    }

    /// Negative or non-finite weights count as 0.
    pub fn sanitised(self) -> Weights {
        Weights::from_array(
            self.to_array()
                .map(|w| if w.is_finite() && w > 0.0 { w } else { 0.0 }),
        )
    }
}

/// Feature names, in array order; the keys of the analytics JSON.
pub const FEATURE_NAMES: [&str; 5] = ["interests", "skills", "org", "history", "vector"];

/// The feature values of one pair: stored as `matching_analytics.features`
/// so that feedback can later move the weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Features {
    pub interests: f32,
    pub skills: f32,
    pub org: f32,
    pub history: f32,
    /// Absent when either profile has no embedding.
    pub vector: Option<f32>,
}

impl Features {
    /// In the order of [`FEATURE_NAMES`]; `None` for an absent feature.
    pub fn to_array(self) -> [Option<f32>; 5] {
        [
            Some(self.interests),
            Some(self.skills),
            Some(self.org),
            Some(self.history),
            self.vector,
        ]
    }

    /// Rule M7: `Σ wᵢ·fᵢ / Σ wᵢ` over present features, in `[0, 1]`
    /// (0 if no present feature has weight).
    pub fn combine(&self, weights: &Weights) -> f32 {
        let (mut num, mut den) = (0.0_f32, 0.0_f32);
        for (f, w) in self
            .to_array()
            .into_iter()
            .zip(weights.sanitised().to_array())
        {
            if let Some(f) = f {
                num += w * f.clamp(0.0, 1.0);
                den += w;
            }
        }
        if den > 0.0 {
            (num / den).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// Scoring configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringConfig {
    /// The current weights (configured defaults, then learned).
    pub weights: Weights,
    /// A declined pair is not proposed again for this long (M11).
    pub decline_cooldown_ms: i64,
    /// Key factors returned per match.
    pub max_factors: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            weights: Weights::default(),
            decline_cooldown_ms: 14 * 24 * 60 * 60 * 1000,
            max_factors: 4,
        }
    }
}

/// What a factor is about; the wire name is stable for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    SharedInterests,
    ComplementarySkills,
    Organisation,
    History,
    SimilarProfiles,
}

/// One reason for a match, in words, with the items behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub kind: FactorKind,
    /// This feature's share of the score (`wᵢ·fᵢ / Σ w`).
    pub contribution: f32,
    /// For people: "shares interests: climate, rust".
    pub text: String,
    /// The interests, skills or roles named in `text`.
    pub items: Vec<String>,
}

/// A scored pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchScore {
    pub score: f32,
    pub features: Features,
    pub weights: Weights,
    /// By descending contribution, at most `max_factors`.
    pub factors: Vec<Factor>,
}

/// Why a pair must not be proposed (M8). `code()` is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("a user cannot be matched with themselves")]
    SameUser,
    #[error("one of the two blocked the other")]
    Blocked,
    #[error("declined recently; not proposed again before {until}")]
    DeclineCooldown { until: i64 },
    #[error("an organisation constraint is not met")]
    OrgConstraint,
    #[error("no language in common")]
    NoCommonLanguage,
}

impl Ineligible {
    pub fn code(&self) -> &'static str {
        match self {
            Ineligible::SameUser => "SAME_USER",
            Ineligible::Blocked => "BLOCKED",
            Ineligible::DeclineCooldown { .. } => "DECLINE_COOLDOWN",
            Ineligible::OrgConstraint => "ORG_CONSTRAINT",
            Ineligible::NoCommonLanguage => "NO_COMMON_LANGUAGE",
        }
    }
}

/// Rule M8: whether `a` and `b` may be proposed to each other at `now_ms`.
pub fn eligibility(
    a: &MatchCandidate,
    b: &MatchCandidate,
    signals: &PairSignals,
    decline_cooldown_ms: i64,
    now_ms: i64,
) -> Result<(), Ineligible> {
    if a.user_id == b.user_id {
        return Err(Ineligible::SameUser);
    }
    if signals.blocked {
        return Err(Ineligible::Blocked);
    }
    if let Some(at) = signals.last_declined_at {
        if on_cooldown(Some(at), now_ms, decline_cooldown_ms) {
            return Err(Ineligible::DeclineCooldown {
                until: at.saturating_add(decline_cooldown_ms),
            });
        }
    }
    let (a_org, b_org) = (a.org_id.as_deref(), b.org_id.as_deref());
    if !a.constraints.org.allows(a_org, b_org) || !b.constraints.org.allows(b_org, a_org) {
        return Err(Ineligible::OrgConstraint);
    }
    let langs = |c: &MatchCandidate| -> BTreeSet<String> {
        c.languages
            .iter()
            .map(|l| l.trim().to_lowercase())
            .collect()
    };
    let (la, lb) = (langs(a), langs(b));
    if !la.is_empty() && !lb.is_empty() && la.is_disjoint(&lb) {
        return Err(Ineligible::NoCommonLanguage);
    }
    Ok(())
}

fn key_set<'a>(items: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    items
        .into_iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// What one side finds in the other: skills that meet its goals, and
/// roles it asked for.
fn complement(needs: &MatchCandidate, offers: &MatchCandidate) -> (Vec<String>, Vec<String>) {
    let goals = term_set(&needs.goals);
    let mut skills: Vec<String> = offers
        .skills
        .iter()
        .filter(|skill| {
            let terms = term_set(skill);
            !terms.is_empty() && terms.is_subset(&goals)
        })
        .map(|s| s.trim().to_lowercase())
        .collect();
    skills.sort();
    skills.dedup();
    let wanted: BTreeSet<String> = needs
        .constraints
        .roles
        .iter()
        .map(|r| normalise_label(r))
        .collect();
    let mut roles: Vec<String> = offers
        .roles
        .iter()
        .filter(|r| wanted.contains(&normalise_label(r)))
        .map(|r| r.trim().to_lowercase())
        .collect();
    roles.sort();
    roles.dedup();
    (skills, roles)
}

/// Items named in a factor: the first three, then "and N more".
fn list(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let head = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        format!("{head} and {} more", items.len() - SHOWN)
    } else {
        head
    }
}

/// Rules M7–M9: the score of `a` and `b` and why, or why they must not be
/// proposed. Symmetric: `score_pair(a, b)` and `score_pair(b, a)` agree.
pub fn score_pair(
    a: &MatchCandidate,
    b: &MatchCandidate,
    signals: &PairSignals,
    config: &ScoringConfig,
    now_ms: i64,
) -> Result<MatchScore, Ineligible> {
    eligibility(a, b, signals, config.decline_cooldown_ms, now_ms)?;

    // Interests: Jaccard.
    let ia = key_set(a.interests.iter().chain(&a.constraints.interests));
    let ib = key_set(b.interests.iter().chain(&b.constraints.interests));
    let shared: Vec<String> = ia.intersection(&ib).cloned().collect();
    let union = ia.union(&ib).count();
    let interests = if union == 0 {
        0.0
    } else {
        shared.len() as f32 / union as f32
    };

    // Complementary skills and wanted roles, both directions.
    let (skills_ab, roles_ab) = complement(a, b);
    let (skills_ba, roles_ba) = complement(b, a);
    let direction = |n: usize| (n.min(2) as f32) / 2.0;
    let skills = 0.5
        * (direction(skills_ab.len() + roles_ab.len())
            + direction(skills_ba.len() + roles_ba.len()));
    let mut met_skills: Vec<String> = skills_ab.into_iter().chain(skills_ba).collect();
    met_skills.sort();
    met_skills.dedup();
    let mut met_roles: Vec<String> = roles_ab.into_iter().chain(roles_ba).collect();
    met_roles.sort();
    met_roles.dedup();

    // Organisation: eligibility already enforced the constraints.
    let same_org = a.org_id.is_some() && a.org_id == b.org_id;
    let explicit =
        a.constraints.org != OrgConstraint::Any || b.constraints.org != OrgConstraint::Any;
    let org = if same_org || explicit { 1.0 } else { 0.5 };

    let history = 0.5 * (a.history.success_rate() + b.history.success_rate());
    let vector = signals
        .vector_similarity
        .filter(|s| s.is_finite())
        .map(|s| s.clamp(0.0, 1.0));

    let features = Features {
        interests,
        skills,
        org,
        history,
        vector,
    };
    let weights = config.weights.sanitised();
    let score = features.combine(&weights);

    // Factors (M9).
    let present_weight: f32 = features
        .to_array()
        .into_iter()
        .zip(weights.to_array())
        .filter_map(|(f, w)| f.map(|_| w))
        .sum();
    let share = |w: f32, f: f32| {
        if present_weight > 0.0 {
            w * f / present_weight
        } else {
            0.0
        }
    };
    let mut factors = Vec::new();
    if !shared.is_empty() {
        factors.push(Factor {
            kind: FactorKind::SharedInterests,
            contribution: share(weights.interests, interests),
            text: format!("shares interests: {}", list(&shared)),
            items: shared,
        });
    }
    if !met_skills.is_empty() || !met_roles.is_empty() {
        let mut parts = Vec::new();
        if !met_skills.is_empty() {
            parts.push(format!("skills meet goals: {}", list(&met_skills)));
        }
        if !met_roles.is_empty() {
            parts.push(format!("roles asked for: {}", list(&met_roles)));
        }
        factors.push(Factor {
            kind: FactorKind::ComplementarySkills,
            contribution: share(weights.skills, skills),
            text: parts.join("; "),
            items: met_skills.into_iter().chain(met_roles).collect(),
        });
    }
    if org >= 1.0 {
        let text = if same_org {
            "same organisation"
        } else {
            "different organisations, as asked"
        };
        factors.push(Factor {
            kind: FactorKind::Organisation,
            contribution: share(weights.org, org),
            text: text.to_owned(),
            items: Vec::new(),
        });
    }
    if history >= 0.6 {
        factors.push(Factor {
            kind: FactorKind::History,
            contribution: share(weights.history, history),
            text: "both have a good record of accepted matches".to_owned(),
            items: Vec::new(),
        });
    }
    if let Some(v) = vector.filter(|v| *v >= 0.2) {
        factors.push(Factor {
            kind: FactorKind::SimilarProfiles,
            contribution: share(weights.vector, v),
            text: format!("profiles read alike (similarity {v:.2})"),
            items: Vec::new(),
        });
    }
    factors.retain(|f| f.contribution > 0.0);
    factors.sort_by(|x, y| y.contribution.total_cmp(&x.contribution));
    factors.truncate(config.max_factors);

    Ok(MatchScore {
        score,
        features,
        weights,
        factors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str) -> MatchCandidate {
        MatchCandidate {
            user_id: id.into(),
            ..MatchCandidate::default()
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn ada() -> MatchCandidate {
        MatchCandidate {
            interests: strings(&["rust", "climate", "wasm"]),
            skills: strings(&["Rust", "distributed systems"]),
            goals: "Looking for help with fundraising and hiring".into(),
            roles: strings(&["engineer"]),
            languages: strings(&["en", "fr"]),
            ..person("ada")
        }
    }

    fn bo() -> MatchCandidate {
        MatchCandidate {
            interests: strings(&["climate", "rust", "investing"]),
            skills: strings(&["fundraising", "sales"]),
            goals: "I want to learn distributed systems".into(),
            roles: strings(&["Founder"]),
            languages: strings(&["EN"]),
            constraints: Constraints {
                roles: strings(&["engineer"]),
                ..Constraints::default()
            },
            ..person("bo")
        }
    }

    const NOW: i64 = 1_700_000_000_000;

    fn score(
        a: &MatchCandidate,
        b: &MatchCandidate,
        s: &PairSignals,
    ) -> Result<MatchScore, Ineligible> {
        score_pair(a, b, s, &ScoringConfig::default(), NOW)
    }

    #[test]
    fn m7_score_is_in_unit_range_and_symmetric() {
        let s = PairSignals {
            vector_similarity: Some(0.55),
            ..PairSignals::default()
        };
        let ab = score(&ada(), &bo(), &s).unwrap();
        let ba = score(&bo(), &ada(), &s).unwrap();
        assert!((0.0..=1.0).contains(&ab.score));
        assert!((ab.score - ba.score).abs() < 1e-6);
        assert_eq!(ab.features.interests, 0.5); // 2 shared of 4
                                                // Bo's fundraising meets Ada's goals (one item: 0.5); Ada's distributed
                                                // systems and her engineer role meet Bo's (two: 1.0); mean 0.75.
        assert_eq!(ab.features.skills, 0.75);
        assert_eq!(ab.features.org, 0.5);
        assert_eq!(ab.features.history, 0.5);
        assert_eq!(ab.features.vector, Some(0.55));
        let expected = 0.30 * 0.5 + 0.25 * 0.75 + 0.10 * 0.5 + 0.10 * 0.5 + 0.25 * 0.55;
        assert!((ab.score - expected).abs() < 1e-6, "{}", ab.score);
    }

    #[test]
    fn m7_missing_vector_renormalises_the_weights() {
        let with = score(
            &ada(),
            &bo(),
            &PairSignals {
                vector_similarity: Some(0.0),
                ..PairSignals::default()
            },
        )
        .unwrap();
        let without = score(&ada(), &bo(), &PairSignals::default()).unwrap();
        assert_eq!(without.features.vector, None);
        let expected = (0.30 * 0.5 + 0.25 * 0.75 + 0.10 * 0.5 + 0.10 * 0.5) / 0.75;
        assert!((without.score - expected).abs() < 1e-6);
        assert!(without.score > with.score);
    }

    #[test]
    fn m7_each_component_raises_the_score() {
        let base = PairSignals::default();
        let plain = score(&person("a"), &person("b"), &base).unwrap().score;
        let mut a = person("a");
        let mut b = person("b");
        a.interests = strings(&["rust"]);
        b.interests = strings(&["rust"]);
        let with_interest = score(&a, &b, &base).unwrap().score;
        assert!(with_interest > plain);
        a.goals = "learn sales".into();
        b.skills = strings(&["sales"]);
        let with_skill = score(&a, &b, &base).unwrap().score;
        assert!(with_skill > with_interest);
        a.history = HistorySummary {
            proposals: 10,
            accepted: 9,
            completed: 8,
            rating_sum: 45,
            ratings: 9,
        };
        let with_history = score(&a, &b, &base).unwrap().score;
        assert!(with_history > with_skill);
        let with_vector = score(
            &a,
            &b,
            &PairSignals {
                vector_similarity: Some(0.9),
                ..base
            },
        )
        .unwrap()
        .score;
        assert!(with_vector > with_history);
    }

    #[test]
    fn m8_ineligible_pairs_are_refused_with_codes() {
        let none = PairSignals::default();
        assert_eq!(
            score(&ada(), &ada(), &none).unwrap_err().code(),
            "SAME_USER"
        );
        let blocked = PairSignals {
            blocked: true,
            ..none
        };
        assert_eq!(
            score(&ada(), &bo(), &blocked).unwrap_err(),
            Ineligible::Blocked
        );

        let mut a = ada();
        a.org_id = Some("org_1".into());
        a.constraints.org = OrgConstraint::SameOrg;
        let mut b = bo();
        b.org_id = Some("org_2".into());
        assert_eq!(score(&a, &b, &none).unwrap_err(), Ineligible::OrgConstraint);
        assert_eq!(score(&b, &a, &none).unwrap_err(), Ineligible::OrgConstraint);
        b.org_id = Some("org_1".into());
        let same = score(&a, &b, &none).unwrap();
        assert_eq!(same.features.org, 1.0);
        assert!(same.factors.iter().any(|f| f.text == "same organisation"));
        b.constraints.org = OrgConstraint::OtherOrg;
        assert_eq!(score(&a, &b, &none).unwrap_err().code(), "ORG_CONSTRAINT");

        let mut c = bo();
        c.languages = strings(&["de"]);
        assert_eq!(
            score(&ada(), &c, &none).unwrap_err().code(),
            "NO_COMMON_LANGUAGE"
        );
        c.languages.clear();
        assert!(score(&ada(), &c, &none).is_ok());
    }

    #[test]
    fn m8_org_constraint_without_an_org() {
        let mut a = ada();
        a.constraints.org = OrgConstraint::SameOrg;
        // Neither has an org: "same organisation" is not met.
        assert_eq!(
            score(&a, &bo(), &PairSignals::default()).unwrap_err(),
            Ineligible::OrgConstraint
        );
        a.constraints.org = OrgConstraint::OtherOrg;
        assert!(score(&a, &bo(), &PairSignals::default()).is_ok());
    }

    #[test]
    fn m9_factors_name_the_reasons_in_words() {
        let s = PairSignals {
            vector_similarity: Some(0.62),
            ..PairSignals::default()
        };
        let m = score(&ada(), &bo(), &s).unwrap();
        let texts: Vec<&str> = m.factors.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "skills meet goals: distributed systems, fundraising; roles asked for: engineer",
                "profiles read alike (similarity 0.62)",
                "shares interests: climate, rust",
            ]
        );
        assert_eq!(m.factors[2].items, strings(&["climate", "rust"]));
        assert!(m
            .factors
            .windows(2)
            .all(|w| w[0].contribution >= w[1].contribution));
        let json = serde_json::to_value(&m.factors[0]).unwrap();
        assert_eq!(json["kind"], "complementary_skills");
    }

    #[test]
    fn m9_factor_lists_are_bounded() {
        let mut a = person("a");
        let mut b = person("b");
        a.interests = strings(&["a1", "a2", "a3", "a4", "a5"]);
        b.interests = a.interests.clone();
        let cfg = ScoringConfig {
            max_factors: 1,
            ..ScoringConfig::default()
        };
        let m = score_pair(&a, &b, &PairSignals::default(), &cfg, NOW).unwrap();
        assert_eq!(m.factors.len(), 1);
        assert_eq!(m.factors[0].text, "shares interests: a1, a2, a3 and 2 more");
        assert_eq!(m.factors[0].items.len(), 5);
    }

    #[test]
    fn m7_history_success_rate_is_smoothed_and_bounded() {
        assert_eq!(HistorySummary::default().success_rate(), 0.5);
        let good = HistorySummary {
            proposals: 8,
            accepted: 8,
            completed: 8,
            rating_sum: 40,
            ratings: 8,
        };
        assert!((good.success_rate() - (0.7 * 0.9 + 0.3)).abs() < 1e-6);
        let bad = HistorySummary {
            proposals: 8,
            accepted: 0,
            completed: 0,
            rating_sum: 0,
            ratings: 0,
        };
        assert!((bad.success_rate() - 0.1).abs() < 1e-6);
        let nonsense = HistorySummary {
            proposals: 1,
            accepted: 9,
            completed: 0,
            rating_sum: 99,
            ratings: 1,
        };
        assert!((0.0..=1.0).contains(&nonsense.success_rate()));
    }

    #[test]
    fn m7_bad_weights_count_as_zero() {
        let cfg = ScoringConfig {
            weights: Weights {
                interests: f32::NAN,
                skills: -1.0,
                org: 0.0,
                history: 0.0,
                vector: 0.0,
            },
            ..ScoringConfig::default()
        };
        let m = score_pair(&ada(), &bo(), &PairSignals::default(), &cfg, NOW).unwrap();
        assert_eq!(m.score, 0.0);
        assert!(m.factors.is_empty());
    }

    #[test]
    fn constraints_use_the_column_json_shape() {
        let c: Constraints = serde_json::from_str(
            r#"{"interests":["rust"],"roles":[],"org_constraints":"same_org"}"#,
        )
        .unwrap();
        assert_eq!(c.org, OrgConstraint::SameOrg);
        assert_eq!(
            serde_json::from_str::<Constraints>("{}").unwrap(),
            Constraints::default()
        );
        assert_eq!(
            OrgConstraint::parse("other_org"),
            Some(OrgConstraint::OtherOrg)
        );
    }
}
