//! Prompt reactions and the relevance rule they feed (rules I10–I12).
//!
//! - I10: a user has at most one reaction per prompt (`used`, `upvoted`,
//!   `dismissed`); a later one replaces it; an older one (by time) than the
//!   stored one is ignored, so replays and reordering change nothing. The
//!   ledger is a pure fold over reaction events.
//! - I11: relevance weights, per meeting and per tag, are Laplace-smoothed
//!   ratios `w = (positive + 1) / (positive + negative + 2)`, where a `used`
//!   counts 2 positive, an `upvoted` 1 positive and a `dismissed` 1 negative.
//!   No feedback gives `w = 0.5`.
//! - I12: a candidate prompt's adjusted relevance is
//!   `clamp01(base × (0.5 + w_meeting) × (0.5 + mean w_tag over its tags))`:
//!   each factor is 1 when neutral and lies in (0.5, 1.5). Tags are compared
//!   lowercase. Generators rank by the adjusted relevance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Reaction {
    Used,
    Upvoted,
    Dismissed,
}

impl Reaction {
    /// The stored spelling (`prompt_feedback.feedback`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::Used => "used",
            Reaction::Upvoted => "upvoted",
            Reaction::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Reaction> {
        match s {
            "used" => Some(Reaction::Used),
            "upvoted" => Some(Reaction::Upvoted),
            "dismissed" => Some(Reaction::Dismissed),
            _ => None,
        }
    }

    /// (positive, negative) evidence of one reaction (I11).
    fn evidence(self) -> (f64, f64) {
        match self {
            Reaction::Used => (2.0, 0.0),
            Reaction::Upvoted => (1.0, 0.0),
            Reaction::Dismissed => (0.0, 1.0),
        }
    }
}

/// One reaction as received over the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionEvent {
    pub prompt_id: String,
    pub user_id: String,
    pub reaction: Reaction,
    pub at_ms: u64,
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ReactionChange {
    /// The user's first reaction to the prompt.
    Recorded,
    /// It replaced another.
    Changed { from: Reaction },
    /// The same reaction again.
    Unchanged,
    /// Older than the stored one: ignored.
    Stale,
}

impl ReactionChange {
    /// Whether there is something to write and stream.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            ReactionChange::Recorded | ReactionChange::Changed { .. }
        )
    }
}

/// Per-prompt counts of the current reactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Tally {
    pub used: u32,
    pub upvoted: u32,
    pub dismissed: u32,
}

/// The shared per-prompt state (`prompts.used_at`, `feedback`, `feedback_at`):
/// first use, and the latest reaction by anyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptState {
    pub used_at: Option<u64>,
    pub feedback: Option<Reaction>,
    pub feedback_at: Option<u64>,
}

/// Every user's current reaction to every prompt (I10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackLedger {
    /// prompt id -> user id -> (reaction, at_ms)
    prompts: BTreeMap<String, BTreeMap<String, (Reaction, u64)>>,
    /// prompt id -> first `used` time
    first_used: BTreeMap<String, u64>,
}

impl FeedbackLedger {
    pub fn new() -> FeedbackLedger {
        FeedbackLedger::default()
    }

    /// Folds `events` in order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a ReactionEvent>) -> FeedbackLedger {
        let mut l = FeedbackLedger::new();
        for e in events {
            l.apply(e);
        }
        l
    }

    pub fn apply(&mut self, e: &ReactionEvent) -> ReactionChange {
        let users = self.prompts.entry(e.prompt_id.clone()).or_default();
        let change = match users.get(&e.user_id) {
            None => ReactionChange::Recorded,
            Some((_, at)) if e.at_ms < *at => ReactionChange::Stale,
            Some((r, _)) if *r == e.reaction => ReactionChange::Unchanged,
            Some((r, _)) => ReactionChange::Changed { from: *r },
        };
        if change.is_write() {
            users.insert(e.user_id.clone(), (e.reaction, e.at_ms));
            if e.reaction == Reaction::Used {
                let first = self
                    .first_used
                    .entry(e.prompt_id.clone())
                    .or_insert(e.at_ms);
                *first = (*first).min(e.at_ms);
            }
        }
        change
    }

    pub fn reaction(&self, prompt_id: &str, user_id: &str) -> Option<Reaction> {
        self.prompts.get(prompt_id)?.get(user_id).map(|(r, _)| *r)
    }

    pub fn tally(&self, prompt_id: &str) -> Tally {
        let mut t = Tally::default();
        for (r, _) in self
            .prompts
            .get(prompt_id)
            .into_iter()
            .flat_map(|u| u.values())
        {
            match r {
                Reaction::Used => t.used += 1,
                Reaction::Upvoted => t.upvoted += 1,
                Reaction::Dismissed => t.dismissed += 1,
            }
        }
        t
    }

    pub fn prompt_state(&self, prompt_id: &str) -> PromptState {
        let latest = self
            .prompts
            .get(prompt_id)
            .and_then(|u| u.values().max_by_key(|(r, at)| (*at, *r)).copied());
        PromptState {
            used_at: self.first_used.get(prompt_id).copied(),
            feedback: latest.map(|(r, _)| r),
            feedback_at: latest.map(|(_, at)| at),
        }
    }

    /// Every current reaction: (prompt id, user id, reaction).
    pub fn reactions(&self) -> impl Iterator<Item = (&str, &str, Reaction)> {
        self.prompts.iter().flat_map(|(p, users)| {
            users
                .iter()
                .map(move |(u, (r, _))| (p.as_str(), u.as_str(), *r))
        })
    }
}

/// Positive and negative evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub positive: f64,
    pub negative: f64,
}

impl Evidence {
    fn add(&mut self, r: Reaction) {
        let (p, n) = r.evidence();
        self.positive += p;
        self.negative += n;
    }

    /// The Laplace-smoothed ratio (I11).
    pub fn weight(&self) -> f64 {
        (self.positive + 1.0) / (self.positive + self.negative + 2.0)
    }
}

/// Relevance weights of one meeting (I11), an input of generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelevanceWeights {
    pub meeting: Evidence,
    pub tags: BTreeMap<String, Evidence>,
}

impl RelevanceWeights {
    pub fn new() -> RelevanceWeights {
        RelevanceWeights::default()
    }

    /// From (tags of the prompt, reaction) pairs, e.g. `prompt_feedback`
    /// joined with `prompts.tags`.
    pub fn from_reactions<'a, T: AsRef<str> + 'a>(
        rows: impl IntoIterator<Item = (&'a [T], Reaction)>,
    ) -> RelevanceWeights {
        let mut w = RelevanceWeights::new();
        for (tags, r) in rows {
            w.add(tags, r);
        }
        w
    }

    /// From a ledger and each prompt's tags.
    pub fn from_ledger(
        ledger: &FeedbackLedger,
        prompt_tags: &BTreeMap<String, Vec<String>>,
    ) -> RelevanceWeights {
        let mut w = RelevanceWeights::new();
        for (p, _, r) in ledger.reactions() {
            let tags: &[String] = prompt_tags.get(p).map_or(&[], |t| t.as_slice());
            w.add(tags, r);
        }
        w
    }

    pub fn add<T: AsRef<str>>(&mut self, tags: &[T], r: Reaction) {
        self.meeting.add(r);
        let mut seen: Vec<String> = tags.iter().map(|t| t.as_ref().to_lowercase()).collect();
        seen.sort();
        seen.dedup();
        for t in seen {
            self.tags.entry(t).or_default().add(r);
        }
    }

    pub fn meeting_weight(&self) -> f64 {
        self.meeting.weight()
    }

    pub fn tag_weight(&self, tag: &str) -> f64 {
        self.tags
            .get(&tag.to_lowercase())
            .map_or(0.5, Evidence::weight)
    }

    /// The multiplier of I12.
    pub fn factor<T: AsRef<str>>(&self, tags: &[T]) -> f64 {
        let tag_w = if tags.is_empty() {
            0.5
        } else {
            tags.iter()
                .map(|t| self.tag_weight(t.as_ref()))
                .sum::<f64>()
                / tags.len() as f64
        };
        (0.5 + self.meeting_weight()) * (0.5 + tag_w)
    }

    /// A candidate's adjusted relevance, in [0, 1] (I12).
    pub fn adjust<T: AsRef<str>>(&self, base: f64, tags: &[T]) -> f64 {
        let base = if base.is_finite() { base } else { 0.0 };
        (base * self.factor(tags)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(p: &str, u: &str, r: Reaction, at: u64) -> ReactionEvent {
        ReactionEvent {
            prompt_id: p.into(),
            user_id: u.into(),
            reaction: r,
            at_ms: at,
        }
    }

    #[test]
    fn i10_one_reaction_per_user_per_prompt_changeable() {
        let mut l = FeedbackLedger::new();
        assert_eq!(
            l.apply(&ev("p1", "alice", Reaction::Upvoted, 10)),
            ReactionChange::Recorded
        );
        assert_eq!(
            l.apply(&ev("p1", "alice", Reaction::Upvoted, 11)),
            ReactionChange::Unchanged
        );
        assert_eq!(
            l.apply(&ev("p1", "alice", Reaction::Dismissed, 12)),
            ReactionChange::Changed {
                from: Reaction::Upvoted
            }
        );
        assert_eq!(
            l.apply(&ev("p1", "alice", Reaction::Used, 5)),
            ReactionChange::Stale
        );
        assert_eq!(
            l.apply(&ev("p1", "bob", Reaction::Used, 20)),
            ReactionChange::Recorded
        );
        assert_eq!(l.reaction("p1", "alice"), Some(Reaction::Dismissed));
        assert_eq!(
            l.tally("p1"),
            Tally {
                used: 1,
                upvoted: 0,
                dismissed: 1
            }
        );
        let s = l.prompt_state("p1");
        assert_eq!(s.used_at, Some(20));
        assert_eq!(s.feedback, Some(Reaction::Used));
        assert_eq!(s.feedback_at, Some(20));
    }

    #[test]
    fn i10_the_fold_is_order_insensitive_by_time() {
        let events = vec![
            ev("p", "a", Reaction::Upvoted, 1),
            ev("p", "a", Reaction::Dismissed, 3),
            ev("p", "b", Reaction::Used, 2),
        ];
        let mut reversed = events.clone();
        reversed.reverse();
        let a = FeedbackLedger::fold(&events);
        let b = FeedbackLedger::fold(&reversed);
        assert_eq!(a.reaction("p", "a"), b.reaction("p", "a"));
        assert_eq!(a.tally("p"), b.tally("p"));
        assert_eq!(Reaction::parse("upvoted"), Some(Reaction::Upvoted));
        assert_eq!(Reaction::parse("liked"), None);
        assert_eq!(Reaction::Dismissed.as_str(), "dismissed");
    }

    #[test]
    fn i11_laplace_weights() {
        let w = RelevanceWeights::new();
        assert_eq!(w.meeting_weight(), 0.5);
        assert_eq!(w.tag_weight("pricing"), 0.5);
        let tags = ["Pricing".to_owned(), "lull".to_owned()];
        let w = RelevanceWeights::from_reactions([
            (&tags[..], Reaction::Used),
            (&tags[..1], Reaction::Dismissed),
            (&tags[..1], Reaction::Dismissed),
        ]);
        // pricing: positive 2 (used), negative 2 -> 3/6.
        assert!((w.tag_weight("pricing") - 0.5).abs() < 1e-12);
        // lull: positive 2 -> 3/4.
        assert!((w.tag_weight("LULL") - 0.75).abs() < 1e-12);
        assert!((w.meeting_weight() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn i12_feedback_reorders_candidates() {
        let hiring = ["hiring".to_owned()];
        let pricing = ["pricing".to_owned()];
        let w = RelevanceWeights::from_reactions([
            (&pricing[..], Reaction::Dismissed),
            (&pricing[..], Reaction::Dismissed),
            (&pricing[..], Reaction::Dismissed),
            (&hiring[..], Reaction::Upvoted),
        ]);
        // Same base relevance: the upvoted tag now ranks first.
        assert!(w.adjust(0.6, &hiring) > w.adjust(0.6, &pricing));
        // Neutral feedback leaves relevance unchanged.
        assert_eq!(RelevanceWeights::new().adjust(0.6, &hiring), 0.6);
        assert!(w.adjust(f64::NAN, &hiring) == 0.0);
        assert!(w.adjust(1.0, &hiring) <= 1.0);
        // The ledger path gives the same weights.
        let l = FeedbackLedger::fold(&[
            ev("p1", "a", Reaction::Dismissed, 1),
            ev("p1", "b", Reaction::Dismissed, 1),
            ev("p1", "c", Reaction::Dismissed, 1),
            ev("p2", "a", Reaction::Upvoted, 1),
        ]);
        let tags = BTreeMap::from([
            ("p1".to_owned(), pricing.to_vec()),
            ("p2".to_owned(), hiring.to_vec()),
        ]);
        assert_eq!(RelevanceWeights::from_ledger(&l, &tags), w);
    }
}
