//! Proposals as pure plans: reading one (`GET /v1/matching/proposals/{id}`),
//! answering it (`POST …/accept`, `…/decline`), leaving the queue while in
//! one, and settling it (both answered, one declined or left, or the
//! deadline passed). Rules M13 (the entry moves), M10/M11 (feedback) and:
//!
//! **M22 — answering is two guarded steps.** First the caller's own entry
//! moves (`proposed → accepted | declined`, guarded by status and version)
//! and the peer's entry is read back in the same batch. Then the proposal
//! is settled from both statuses ([`resolve_proposal`]) with one update
//! guarded by `status = 'pending'`: when both answer at once, each sees the
//! other's move after its own, and exactly one settle changes the row; that
//! one schedules the meeting. Every other write of a settlement is guarded
//! or idempotent (entry moves by version, analytics by their natural key,
//! weights by their update count), so a lost race writes nothing twice.
//!
//! **M23 — what a settlement writes.** Matched: both `accepted` answers in
//! `matching_analytics`, one weight update with target 1, and a meeting
//! through the meeting-creation plan (the second accepter hosts, the other
//! is a participant; it starts at the proposal's `starts_at`). Declined:
//! a `declined` answer for the decliner (the cooldown of M11 reads it), an
//! `accepted` one for a side that had accepted, one update with target 0,
//! and the other side requeued. Cancelled (one left) and expired: no
//! feedback; an accepting or unanswered side is requeued or expired as
//! [`resolve_proposal`] says.
//!
//! **M24 — who sees a proposal.** Only its two users; anyone else gets 404
//! (as for an id that does not exist), and the same for answering it.

use serde::Deserialize;
use serde_json::{json, Value};

use super::feedback::{update_weights, LearningConfig, Outcome};
use super::queue::{next_status, resolve_proposal, ProposalOutcome, QueueEvent, QueueStatus};
use super::queue_plan::QueueRow;
use super::scoring::{Features, Weights};
use crate::error::{ApiError, ErrorCode};
use crate::meeting::request::{CreateMeeting, Invitee, DEFAULT_DURATION_MS};
use crate::sql::matching::{MatchAnswerRecord, MatchingProposalSettle, MatchingWeightsPut};
use crate::sql::Statement;

/// A `matching_proposals` row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProposalRow {
    pub id: String,
    pub a_entry_id: String,
    pub a_user_id: String,
    pub b_entry_id: String,
    pub b_user_id: String,
    pub score: f64,
    pub detail: String,
    pub starts_at: i64,
    pub respond_by: i64,
    pub status: String,
    pub meeting_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the cycle stored in `detail` (a `MatchScore`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Detail {
    features: Features,
    #[serde(default)]
    factors: Value,
}

impl ProposalRow {
    pub fn involves(&self, user: &str) -> bool {
        self.a_user_id == user || self.b_user_id == user
    }

    /// The other user, and the caller's and the other's entry ids.
    pub fn sides(&self, user: &str) -> (&str, &str, &str) {
        if self.a_user_id == user {
            (&self.b_user_id, &self.a_entry_id, &self.b_entry_id)
        } else {
            (&self.a_user_id, &self.b_entry_id, &self.a_entry_id)
        }
    }

    /// M24: the proposal as `viewer` sees it, with their own answer.
    pub fn to_json(&self, viewer: &str, mine: Option<&QueueRow>) -> Option<Value> {
        if !self.involves(viewer) {
            return None;
        }
        let (peer, _, _) = self.sides(viewer);
        let factors = serde_json::from_str::<Value>(&self.detail)
            .ok()
            .and_then(|d| d.get("factors").cloned())
            .unwrap_or(json!([]));
        let my_answer = mine
            .filter(|e| e.match_id.as_deref() == Some(self.id.as_str()))
            .map(|e| match e.status {
                QueueStatus::Proposed => "pending",
                QueueStatus::Accepted => "accepted",
                QueueStatus::Declined => "declined",
                _ => "closed",
            });
        Some(json!({
            "id": self.id,
            "status": self.status,
            "peer_user_id": peer,
            "score": self.score,
            "factors": factors,
            "starts_at": self.starts_at,
            "respond_by": self.respond_by,
            "my_answer": my_answer,
            "meeting_id": self.meeting_id,
            "created_at": self.created_at,
        }))
    }
}

/// An answer to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
}

fn not_found() -> ApiError {
    ApiError::not_found("no such proposal")
}

fn closed(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message.to_owned()).with_details(json!({ "reason": reason }))
}

/// M24: the proposal, if `viewer` may see it.
pub fn visible<'a>(
    viewer: &str,
    proposal: Option<&'a ProposalRow>,
) -> Result<&'a ProposalRow, ApiError> {
    proposal
        .filter(|p| p.involves(viewer))
        .ok_or_else(not_found)
}

/// M22 step 1: the guarded move of the caller's own entry.
pub fn plan_answer(
    actor: &str,
    proposal: Option<&ProposalRow>,
    mine: Option<&QueueRow>,
    answer: Answer,
    now_ms: i64,
) -> Result<Statement, ApiError> {
    let proposal = visible(actor, proposal)?;
    if proposal.status != "pending" {
        return Err(closed(
            "PROPOSAL_CLOSED",
            &format!("this proposal is already {}", proposal.status),
        ));
    }
    if now_ms >= proposal.respond_by {
        return Err(closed("PROPOSAL_EXPIRED", "the time to answer is over"));
    }
    let mine = mine
        .filter(|e| e.match_id.as_deref() == Some(proposal.id.as_str()))
        .ok_or_else(|| closed("PROPOSAL_CLOSED", "your queue entry left this proposal"))?;
    let event = match answer {
        Answer::Accept => QueueEvent::Accept,
        Answer::Decline => QueueEvent::Decline,
    };
    let to = next_status(mine.status, event)?;
    Ok(mine.move_to(to, false, now_ms))
}

/// The current learned weights (`MATCHING_WEIGHTS_GET`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WeightsRow {
    pub weights: String,
    pub updates: i64,
}

/// The weights to score with, and the guard for the next update (-1: none stored).
pub fn current_weights(row: Option<&WeightsRow>, configured: &Weights) -> (Weights, i64) {
    match row.and_then(|r| Some((serde_json::from_str::<Weights>(&r.weights).ok()?, r.updates))) {
        Some((w, updates)) => (w, updates),
        None => (*configured, -1),
    }
}

/// What a settlement writes (M23), the settle statement first.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub outcome: ProposalOutcome,
    pub statements: Vec<Statement>,
}

/// M22 step 2 / M23: settles `proposal` from its two entries (as read after
/// any move), or `None` while answers are still awaited.
pub fn plan_settle(
    proposal: &ProposalRow,
    a: &QueueRow,
    b: &QueueRow,
    weights: (&Weights, i64),
    learning: &LearningConfig,
    now_ms: i64,
) -> Option<Settlement> {
    if proposal.status != "pending" {
        return None;
    }
    // An entry that no longer carries this proposal counts as having left it.
    let status = |e: &QueueRow| {
        if e.match_id.as_deref() == Some(proposal.id.as_str()) {
            e.status
        } else {
            QueueStatus::Cancelled
        }
    };
    let resolution = resolve_proposal(status(a), status(b), proposal.respond_by, now_ms);
    let settled = match resolution.outcome {
        ProposalOutcome::Pending => return None,
        ProposalOutcome::Matched => "matched",
        ProposalOutcome::Declined => "declined",
        ProposalOutcome::Cancelled => "cancelled",
        ProposalOutcome::Expired => "expired",
    };
    let mut statements = vec![MatchingProposalSettle {
        id: &proposal.id,
        status: settled,
        meeting_id: None,
        now_ms,
    }
    .statement()];
    for (entry, event) in [(a, resolution.a), (b, resolution.b)] {
        if let Some(to) = event.and_then(|ev| next_status(entry.status, ev).ok()) {
            statements.push(entry.move_to(to, event == Some(QueueEvent::Requeue), now_ms));
        }
    }
    let detail: Option<Detail> = serde_json::from_str(&proposal.detail).ok();
    let features = detail.as_ref().map(|d| d.features);
    let (current, updates) = weights;
    let features_json = serde_json::to_string(&features).unwrap_or_else(|_| "{}".into());
    let weights_json = serde_json::to_string(current).unwrap_or_else(|_| "{}".into());
    let learned = match resolution.outcome {
        ProposalOutcome::Matched => Some(Outcome::Accepted),
        ProposalOutcome::Declined => Some(Outcome::Declined),
        _ => None,
    };
    if learned.is_some() {
        for (entry, peer) in [(a, &b.user_id), (b, &a.user_id)] {
            let answer = match status(entry) {
                QueueStatus::Accepted => "accepted",
                QueueStatus::Declined => "declined",
                _ => continue,
            };
            let id = format!("{}:{}:{answer}", proposal.id, entry.user_id);
            statements.push(
                MatchAnswerRecord {
                    id: &id,
                    match_id: &proposal.id,
                    user_id: &entry.user_id,
                    peer_user_id: peer,
                    outcome: answer,
                    score: proposal.score,
                    features: &features_json,
                    weights: &weights_json,
                    now_ms,
                }
                .statement(),
            );
        }
    }
    if let (Some(outcome), Some(features)) = (learned, features) {
        let next = update_weights(current, &features, outcome, learning);
        let json = serde_json::to_string(&next).unwrap_or_else(|_| "{}".into());
        statements.push(
            MatchingWeightsPut {
                weights: &json,
                now_ms,
                expected_updates: updates,
            }
            .statement(),
        );
    }
    Some(Settlement {
        outcome: resolution.outcome,
        statements,
    })
}

/// M23: the meeting a matched proposal schedules, created by `host` with
/// the other user invited.
pub fn meeting_request(proposal: &ProposalRow, host: &str, now_ms: i64) -> CreateMeeting {
    let (peer, _, _) = proposal.sides(host);
    let factors = serde_json::from_str::<Detail>(&proposal.detail)
        .ok()
        .and_then(|d| d.factors.as_array().cloned())
        .unwrap_or_default();
    let reasons: Vec<String> = factors
        .iter()
        .filter_map(|f| f.get("text").and_then(Value::as_str).map(str::to_owned))
        .collect();
    CreateMeeting {
        title: "Connvo match".to_owned(),
        description: (!reasons.is_empty())
            .then(|| format!("Matched because: {}", reasons.join("; "))),
        scheduled_at: proposal.starts_at.max(now_ms),
        duration_ms: DEFAULT_DURATION_MS,
        recording_enabled: false,
        transcription_enabled: true,
        invitees: vec![Invitee {
            user_id: peer.to_owned(),
            role: crate::acl::MeetingRole::Participant,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn proposal() -> ProposalRow {
        ProposalRow {
            id: "match_1".into(),
            a_entry_id: "mq_a".into(),
            a_user_id: "ann".into(),
            b_entry_id: "mq_b".into(),
            b_user_id: "bob".into(),
            score: 0.7,
            detail: json!({"score": 0.7, "features": {"interests": 0.5, "skills": 1.0, "org": 0.5,
                    "history": 0.5, "vector": null}, "weights": {}, "factors": [
                    {"kind": "shared_interests", "text": "shares interests: rust", "items": ["rust"]}]})
            .to_string(),
            starts_at: NOW,
            respond_by: NOW + 2 * HOUR,
            status: "pending".into(),
            meeting_id: None,
            created_at: NOW,
            updated_at: NOW,
        }
    }

    fn entry(id: &str, user: &str, status: QueueStatus) -> QueueRow {
        QueueRow {
            id: id.into(),
            user_id: user.into(),
            org_id: None,
            shard: 0,
            available_from: NOW,
            available_to: NOW + 4 * HOUR,
            constraints: "{}".into(),
            status,
            matched_with_user_id: None,
            match_id: Some("match_1".into()),
            version: 2,
            created_at: NOW,
            updated_at: NOW,
        }
    }

    fn settle(a: QueueStatus, b: QueueStatus, now: i64) -> Option<Settlement> {
        plan_settle(
            &proposal(),
            &entry("mq_a", "ann", a),
            &entry("mq_b", "bob", b),
            (&Weights::default(), -1),
            &LearningConfig::default(),
            now,
        )
    }

    fn names(s: &Settlement) -> Vec<&'static str> {
        s.statements.iter().map(|s| s.name).collect()
    }

    #[test]
    fn m24_strangers_get_404_for_reading_and_answering() {
        let p = proposal();
        assert!(p.to_json("eve", None).is_none());
        let err = plan_answer("eve", Some(&p), None, Answer::Accept, NOW).unwrap_err();
        assert_eq!(err.status(), 404);
        let view = p
            .to_json("bob", Some(&entry("mq_b", "bob", QueueStatus::Proposed)))
            .unwrap();
        assert_eq!(view["peer_user_id"], "ann");
        assert_eq!(view["my_answer"], "pending");
        assert_eq!(view["factors"][0]["text"], "shares interests: rust");
    }

    #[test]
    fn m22_answers_move_only_the_callers_entry_and_only_once() {
        let p = proposal();
        let mine = entry("mq_a", "ann", QueueStatus::Proposed);
        let st = plan_answer("ann", Some(&p), Some(&mine), Answer::Accept, NOW).unwrap();
        assert_eq!(st.name, "MATCHING_QUEUE_MOVE");
        let accepted = entry("mq_a", "ann", QueueStatus::Accepted);
        let err = plan_answer("ann", Some(&p), Some(&accepted), Answer::Decline, NOW).unwrap_err();
        assert_eq!(err.status(), 409);
        let err =
            plan_answer("ann", Some(&p), Some(&mine), Answer::Accept, NOW + 3 * HOUR).unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "PROPOSAL_EXPIRED");
    }

    #[test]
    fn m23_both_accepting_matches_and_learns_once() {
        assert!(settle(QueueStatus::Accepted, QueueStatus::Proposed, NOW).is_none());
        let s = settle(QueueStatus::Accepted, QueueStatus::Accepted, NOW).unwrap();
        assert_eq!(s.outcome, ProposalOutcome::Matched);
        assert_eq!(
            names(&s),
            [
                "MATCHING_PROPOSAL_SETTLE",
                "MATCH_ANSWER_RECORD",
                "MATCH_ANSWER_RECORD",
                "MATCHING_WEIGHTS_PUT"
            ]
        );
        let m = meeting_request(&proposal(), "bob", NOW);
        assert_eq!(m.invitees[0].user_id, "ann");
        assert!(m.description.unwrap().contains("shares interests: rust"));
    }

    #[test]
    fn m23_a_decline_records_the_cooldown_and_requeues_the_other() {
        let s = settle(QueueStatus::Declined, QueueStatus::Accepted, NOW).unwrap();
        assert_eq!(s.outcome, ProposalOutcome::Declined);
        assert_eq!(
            names(&s),
            [
                "MATCHING_PROPOSAL_SETTLE",
                "MATCHING_QUEUE_MOVE",
                "MATCH_ANSWER_RECORD",
                "MATCH_ANSWER_RECORD",
                "MATCHING_WEIGHTS_PUT"
            ]
        );
        let declined = s
            .statements
            .iter()
            .find(|st| {
                st.name == "MATCH_ANSWER_RECORD"
                    && st.params[4] == crate::sql::ToSql::to_sql(&"declined")
            })
            .unwrap();
        assert_eq!(declined.params[2], crate::sql::ToSql::to_sql(&"ann"));
    }

    #[test]
    fn m23_expiry_and_leaving_teach_nothing() {
        let s = settle(QueueStatus::Proposed, QueueStatus::Accepted, NOW + 2 * HOUR).unwrap();
        assert_eq!(s.outcome, ProposalOutcome::Expired);
        assert_eq!(
            names(&s),
            [
                "MATCHING_PROPOSAL_SETTLE",
                "MATCHING_QUEUE_MOVE",
                "MATCHING_QUEUE_MOVE"
            ]
        );
        let s = settle(QueueStatus::Cancelled, QueueStatus::Proposed, NOW).unwrap();
        assert_eq!(s.outcome, ProposalOutcome::Cancelled);
        assert_eq!(
            names(&s),
            ["MATCHING_PROPOSAL_SETTLE", "MATCHING_QUEUE_MOVE"]
        );
    }
}
