//! Post-call signals of a match (rule M35): what happened after two
//! matched people were given a meeting feeds `matching_analytics` and the
//! learned weights (M10), like their answers did.
//!
//! **M35 — post-call signals.** For a proposal that `matched`:
//!
//! | signal | when | rows (one per user) | M10 target |
//! | --- | --- | --- | --- |
//! | `met` | its meeting ended and both users had joined it | outcome `met` | 1 (as `Completed` without a rating) |
//! | insights | the insights job (I35) recommended the peer to either side | outcome `completed`, `rating` = 1 + round(4 × that user's confidence in the peer) | the mean of both confidences (`Completed` with that rating) |
//! | `connected` | either accepted a connection request from the other | outcome `connected` | 1 (as `Accepted`) |
//!
//! A meeting that ended without both present gives no signal (a no-show
//! says little about fit), and neither do insights that recommend neither
//! side. Each signal updates the weights once with the features the match
//! was scored with (its `detail`), in one batch: the weight put first,
//! guarded by "this signal of this match is not recorded yet" and by the
//! update count read (`MATCHING_WEIGHTS_PUT_FOR_SIGNAL`), then the rows
//! (`MATCH_SIGNAL_RECORD`, once per natural key). A retried job writes
//! nothing twice; a concurrent weight update makes this signal's put
//! change nothing while its rows are recorded (one learning step lost,
//! never applied twice). Several signals of one run chain their puts
//! (expected count + 1 each). The rows count in each user's history
//! (`MATCH_HISTORY_FOR_USERS`: a `completed` row is a completed match).

use serde::Deserialize;
use serde_json::json;

use super::feedback::{update_weights, LearningConfig, Outcome};
use super::proposal_plan::ProposalRow;
use super::scoring::{Features, Weights};
use crate::sql::matching::{MatchSignalRecord, MatchingWeightsPutForSignal};
use crate::sql::Statement;

/// One post-call signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// The meeting ended with both present.
    Met,
    /// The insights' recommendation confidence of each side (a, b) in
    /// the other, 0 when it recommended nobody.
    Insights { a: f64, b: f64 },
    /// A connection was accepted between them.
    Connected,
}

impl Signal {
    /// The `matching_analytics.outcome` its rows carry.
    pub fn outcome(self) -> &'static str {
        match self {
            Signal::Met => "met",
            Signal::Insights { .. } => "completed",
            Signal::Connected => "connected",
        }
    }

    fn learned(self) -> Outcome {
        match self {
            Signal::Met => Outcome::Completed { rating: None },
            Signal::Insights { a, b } => Outcome::Completed {
                rating: Some(rating((a + b) / 2.0)),
            },
            Signal::Connected => Outcome::Accepted,
        }
    }
}

/// A confidence in [0, 1] as a 1–5 rating.
fn rating(confidence: f64) -> u8 {
    let c = if confidence.is_finite() {
        confidence.clamp(0.0, 1.0)
    } else {
        0.0
    };
    1 + (4.0 * c).round() as u8
}

/// A row of `MATCH_INSIGHT_SIGNALS_FOR_PAIR` (I35).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InsightSignalRow {
    pub user_id: String,
    pub peer_user_id: String,
    pub score: Option<f64>,
    pub features: String,
}

/// The I35 `match_id` of `user`'s row about `peer` in `meeting`.
pub fn insight_match_id(meeting_id: &str, peer: &str) -> String {
    format!("meeting:{meeting_id}:{peer}")
}

/// M35: the insights signal of a matched pair, if the insights recommended
/// the peer to at least one side.
pub fn insights_signal(proposal: &ProposalRow, rows: &[InsightSignalRow]) -> Option<Signal> {
    let confidence = |user: &str, peer: &str| {
        rows.iter()
            .find(|r| r.user_id == user && r.peer_user_id == peer)
            .filter(|r| {
                serde_json::from_str::<serde_json::Value>(&r.features)
                    .is_ok_and(|f| f["recommended"] == true)
            })
            .and_then(|r| r.score)
    };
    let a = confidence(&proposal.a_user_id, &proposal.b_user_id);
    let b = confidence(&proposal.b_user_id, &proposal.a_user_id);
    if a.is_none() && b.is_none() {
        return None;
    }
    Some(Signal::Insights {
        a: a.unwrap_or(0.0),
        b: b.unwrap_or(0.0),
    })
}

#[derive(Deserialize)]
struct Detail {
    features: Features,
}

/// M35: the one batch recording `signals` of a matched proposal, with the
/// weights `(current, updates read)`. Empty when the proposal is not
/// matched, there is no signal, or its stored detail has no features.
pub fn plan_signals(
    proposal: &ProposalRow,
    signals: &[Signal],
    weights: (&Weights, i64),
    learning: &LearningConfig,
    now_ms: i64,
) -> Vec<Statement> {
    let Ok(detail) = serde_json::from_str::<Detail>(&proposal.detail) else {
        return Vec::new();
    };
    if proposal.status != "matched" || signals.is_empty() {
        return Vec::new();
    }
    let features_json = serde_json::to_string(&detail.features).unwrap_or_else(|_| "{}".into());
    let (mut current, mut expected) = (*weights.0, weights.1);
    let mut out = Vec::new();
    for signal in signals {
        let scored_with = serde_json::to_string(&current).unwrap_or_else(|_| "{}".into());
        let next = update_weights(&current, &detail.features, signal.learned(), learning);
        let next_json = serde_json::to_string(&next).unwrap_or_else(|_| "{}".into());
        out.push(
            MatchingWeightsPutForSignal {
                weights: &next_json,
                now_ms,
                expected_updates: expected,
                match_id: &proposal.id,
                outcome: signal.outcome(),
            }
            .statement(),
        );
        let sides = [
            (&proposal.a_user_id, &proposal.b_user_id, signal_a(*signal)),
            (&proposal.b_user_id, &proposal.a_user_id, signal_b(*signal)),
        ];
        for (user, peer, confidence) in sides {
            let id = format!("{}:{user}:{}", proposal.id, signal.outcome());
            let feedback = json!({"source": "post_call", "signal": signal.outcome()}).to_string();
            out.push(
                MatchSignalRecord {
                    id: &id,
                    match_id: &proposal.id,
                    user_id: user,
                    peer_user_id: peer,
                    meeting_id: proposal.meeting_id.as_deref(),
                    outcome: signal.outcome(),
                    score: proposal.score,
                    rating: confidence.map(|c| i64::from(rating(c))),
                    feedback: &feedback,
                    features: &features_json,
                    weights: &scored_with,
                    now_ms,
                }
                .statement(),
            );
        }
        current = next;
        // The first signal of an empty weights table inserts with 1.
        expected = if expected < 0 { 1 } else { expected + 1 };
    }
    out
}

fn signal_a(signal: Signal) -> Option<f64> {
    match signal {
        Signal::Insights { a, .. } => Some(a),
        _ => None,
    }
}

fn signal_b(signal: Signal) -> Option<f64> {
    match signal {
        Signal::Insights { b, .. } => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn proposal(status: &str) -> ProposalRow {
        ProposalRow {
            id: "match_1".into(),
            a_entry_id: "mq_a".into(),
            a_user_id: "ann".into(),
            b_entry_id: "mq_b".into(),
            b_user_id: "bob".into(),
            score: 0.7,
            detail: r#"{"features": {"interests": 1.0, "skills": 0.0, "org": 0.5, "history": 0.5, "vector": 0.8}}"#.into(),
            starts_at: 1,
            respond_by: 2,
            status: status.into(),
            meeting_id: Some("mtg_1".into()),
            created_at: 1,
            updated_at: 1,
        }
    }

    fn text(s: &Statement, i: usize) -> String {
        match &s.params[i] {
            SqlValue::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn m35_a_meeting_both_attended_teaches_like_a_success() {
        let w = Weights::default();
        let plan = plan_signals(
            &proposal("matched"),
            &[Signal::Met],
            (&w, 3),
            &LearningConfig::default(),
            9,
        );
        let names: Vec<&str> = plan.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "MATCHING_WEIGHTS_PUT_FOR_SIGNAL",
                "MATCH_SIGNAL_RECORD",
                "MATCH_SIGNAL_RECORD"
            ]
        );
        // Guarded by the count read and by the signal not recorded yet.
        assert_eq!(plan[0].params[2], SqlValue::Integer(3));
        assert_eq!(text(&plan[0], 4), "met");
        let next: Weights = serde_json::from_str(&text(&plan[0], 0)).unwrap();
        // Interests spoke for a pair that met (target 1 > predicted): it gains.
        assert!(next.interests > w.interests, "{next:?}");
        assert_eq!(text(&plan[1], 5), "met");
        assert_eq!(text(&plan[1], 2), "ann");
        assert_eq!(text(&plan[2], 2), "bob");
        assert_eq!(plan[1].params[7], SqlValue::Null);
    }

    #[test]
    fn m35_insights_rate_each_side_and_chain_the_updates() {
        let w = Weights::default();
        let rows = vec![
            InsightSignalRow {
                user_id: "ann".into(),
                peer_user_id: "bob".into(),
                score: Some(0.9),
                features: r#"{"source": "insights", "recommended": true}"#.into(),
            },
            InsightSignalRow {
                user_id: "bob".into(),
                peer_user_id: "ann".into(),
                score: Some(0.0),
                features: r#"{"source": "insights", "recommended": false}"#.into(),
            },
        ];
        let p = proposal("matched");
        let signal = insights_signal(&p, &rows).unwrap();
        assert_eq!(signal, Signal::Insights { a: 0.9, b: 0.0 });
        let plan = plan_signals(
            &p,
            &[Signal::Met, signal],
            (&w, -1),
            &LearningConfig::default(),
            9,
        );
        assert_eq!(plan.len(), 6);
        // The first put inserts the row (count 1), the second expects it.
        assert_eq!(plan[0].params[2], SqlValue::Integer(-1));
        assert_eq!(plan[3].params[2], SqlValue::Integer(1));
        assert_eq!(text(&plan[3], 4), "completed");
        // Ratings: ann 1 + round(3.6) = 5, bob 1.
        assert_eq!(plan[4].params[7], SqlValue::Integer(5));
        assert_eq!(plan[5].params[7], SqlValue::Integer(1));
        // Recommending nobody is no signal.
        let none: Vec<InsightSignalRow> = rows
            .into_iter()
            .map(|r| InsightSignalRow {
                features: r#"{"recommended": false}"#.into(),
                ..r
            })
            .collect();
        assert_eq!(insights_signal(&p, &none), None);
    }

    #[test]
    fn m35_a_connection_between_a_matched_pair_counts_and_others_do_not() {
        let w = Weights::default();
        let l = LearningConfig::default();
        let plan = plan_signals(&proposal("matched"), &[Signal::Connected], (&w, 0), &l, 9);
        assert_eq!(text(&plan[1], 5), "connected");
        for status in ["pending", "declined", "expired"] {
            assert!(
                plan_signals(&proposal(status), &[Signal::Connected], (&w, 0), &l, 9).is_empty()
            );
        }
        let mut broken = proposal("matched");
        broken.detail = "{}".into();
        assert!(plan_signals(&broken, &[Signal::Met], (&w, 0), &l, 9).is_empty());
        assert_eq!(rating(f64::NAN), 1);
        assert_eq!(rating(0.5), 3);
    }
}
