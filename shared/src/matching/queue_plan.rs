//! The queue routes as pure plans: `POST`, `GET` and `DELETE
//! /v1/matching/queue` (rules M12–M14, and M21 below), and the matching
//! configuration the shells read.
//!
//! **M21 — one active entry.** A user has at most one entry that is
//! waiting or in a proposal (index `matching_queue_one_active`, migration
//! 0009). Entering again while one is active is 409 `CONFLICT` with
//! `details.reason = "ALREADY_QUEUED"` and `details.entry_id`; nothing is
//! written. Leaving cancels the active entry (M13 `cancel`); an entry in a
//! proposal takes the proposal with it (its peer is requeued, see
//! [`super::proposal_plan::plan_leave_proposal`]). With no active entry,
//! `DELETE` is 404 and `GET` answers `{"entry": null}`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{json, Value};

use super::cycle::CycleLimits;
use super::feedback::LearningConfig;
use super::queue::{
    parse_enter_body, shard_of, validate_enter, EnterRequest, QueueLimits, QueueStatus,
};
use super::scoring::{Constraints, ScoringConfig};
use crate::error::{ApiError, ErrorCode};
use crate::sql::matching::{MatchingQueueInsert, MatchingQueueMove};
use crate::sql::Statement;

/// The id prefix of a queue entry.
pub const QUEUE_PREFIX: &str = "mq";

/// Everything configurable about matching (the worker reads it from vars;
/// see README "Configuration").
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingConfig {
    /// Shards of the queue (M14); a cycle reads one.
    pub shards: u32,
    /// Shards a cron tick visits (rotating by the minute).
    pub shards_per_tick: u32,
    /// Candidate search: users looked at per seed interest, each side of
    /// the seed's id (M25).
    pub candidate_fan_out: i64,
    pub queue: QueueLimits,
    pub cycle: CycleLimits,
    pub scoring: ScoringConfig,
    pub learning: LearningConfig,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        MatchingConfig {
            shards: 16,
            shards_per_tick: 4,
            candidate_fan_out: 200,
            queue: QueueLimits::default(),
            cycle: CycleLimits {
                // A cycle runs inside one request: keep it well inside the
                // subrequest and CPU budget.
                max_entries: 100,
                ..CycleLimits::default()
            },
            scoring: ScoringConfig::default(),
            learning: LearningConfig::default(),
        }
    }
}

/// A `matching_queue` row (`MATCHING_QUEUE_GET`, `…_GET_ACTIVE`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QueueRow {
    pub id: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub shard: i64,
    pub available_from: i64,
    pub available_to: i64,
    pub constraints: String,
    pub status: QueueStatus,
    pub matched_with_user_id: Option<String>,
    pub match_id: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl QueueRow {
    /// The entry as its owner sees it (`proposal_id` names the proposal to
    /// read while one is open).
    pub fn to_json(&self) -> Value {
        let constraints: Value = serde_json::from_str(&self.constraints).unwrap_or(json!({}));
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "available_from": self.available_from,
            "available_to": self.available_to,
            "constraints": constraints,
            "proposal_id": self.match_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// The stored constraints (an unreadable value counts as none).
    pub fn constraints(&self) -> Constraints {
        serde_json::from_str(&self.constraints).unwrap_or_default()
    }

    /// A guarded move of this entry (M13) to `to`.
    pub fn move_to(&self, to: QueueStatus, clear_match: bool, now_ms: i64) -> Statement {
        MatchingQueueMove {
            id: &self.id,
            expected_status: self.status.as_str(),
            expected_version: self.version,
            new_status: to.as_str(),
            clear_match,
            now_ms,
        }
        .statement()
    }
}

/// The interest keys a body asks for, lowercased (the shell checks them
/// against the catalogue).
pub fn known_keys(catalogue: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    catalogue.into_iter().map(|k| k.to_lowercase()).collect()
}

/// What entering writes and answers.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterPlan {
    pub statement: Statement,
    pub entry: QueueRow,
}

fn already_queued(active: &QueueRow) -> ApiError {
    ApiError::new(ErrorCode::Conflict, "you are already in the matching queue")
        .with_details(json!({ "reason": "ALREADY_QUEUED", "entry_id": active.id }))
}

/// Rules M12, M14, M21: `POST /v1/matching/queue`.
#[allow(clippy::too_many_arguments)]
pub fn plan_enter(
    user_id: &str,
    org_id: Option<&str>,
    body: &[u8],
    known_interests: &BTreeSet<String>,
    active: Option<&QueueRow>,
    config: &MatchingConfig,
    new_id: &str,
    now_ms: i64,
) -> Result<EnterPlan, ApiError> {
    let parsed = parse_enter_body(body, &config.queue)?;
    let request: EnterRequest = validate_enter(&parsed, known_interests, &config.queue, now_ms)?;
    if let Some(active) = active {
        return Err(already_queued(active));
    }
    let constraints = serde_json::to_string(&request.constraints)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let entry = QueueRow {
        id: new_id.to_owned(),
        user_id: user_id.to_owned(),
        org_id: org_id.map(str::to_owned),
        shard: i64::from(shard_of(user_id, config.shards)),
        available_from: request.available_from,
        available_to: request.available_to,
        constraints,
        status: QueueStatus::Waiting,
        matched_with_user_id: None,
        match_id: None,
        version: 1,
        created_at: now_ms,
        updated_at: now_ms,
    };
    let statement = MatchingQueueInsert {
        id: &entry.id,
        user_id,
        org_id,
        shard: entry.shard,
        available_from: entry.available_from,
        available_to: entry.available_to,
        constraints: &entry.constraints,
        now_ms,
    }
    .statement();
    Ok(EnterPlan { statement, entry })
}

/// The insert found an active entry after all (a concurrent enter).
pub fn enter_raced() -> ApiError {
    ApiError::new(ErrorCode::Conflict, "you are already in the matching queue")
        .with_details(json!({ "reason": "ALREADY_QUEUED" }))
}

/// `DELETE /v1/matching/queue` with no active entry.
pub fn not_queued() -> ApiError {
    ApiError::not_found("you are not in the matching queue")
}

/// `GET /v1/matching/queue`.
pub fn status_json(active: Option<&QueueRow>) -> Value {
    json!({ "entry": active.map(QueueRow::to_json) })
}

/// The 404 the matching routes answer while the `matching` flag is off for
/// the caller (as if the feature did not exist).
pub fn disabled() -> ApiError {
    ApiError::not_found("matching is not available").with_details(json!({ "reason": "DISABLED" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn known() -> BTreeSet<String> {
        known_keys(["rust".to_owned(), "climate".to_owned()])
    }

    fn body(from: i64, to: i64, interests: &str) -> Vec<u8> {
        format!(
            r#"{{"available_from": {from}, "available_to": {to}, "constraints": {{"interests": {interests}}}}}"#
        )
        .into_bytes()
    }

    fn enter(b: &[u8], active: Option<&QueueRow>) -> Result<EnterPlan, ApiError> {
        plan_enter(
            "u1",
            Some("org1"),
            b,
            &known(),
            active,
            &MatchingConfig::default(),
            "mq_1",
            NOW,
        )
    }

    fn reason(err: ApiError) -> (u16, Value) {
        (
            err.status(),
            err.details.unwrap_or_default()["reason"].clone(),
        )
    }

    #[test]
    fn m12_enter_writes_one_waiting_entry_in_the_users_shard() {
        let plan = enter(&body(NOW, NOW + HOUR, r#"["Rust"]"#), None).unwrap();
        assert_eq!(plan.statement.name, "MATCHING_QUEUE_INSERT");
        assert_eq!(plan.entry.status, QueueStatus::Waiting);
        assert_eq!(plan.entry.shard, i64::from(shard_of("u1", 16)));
        assert_eq!(plan.entry.constraints().interests, vec!["rust".to_owned()]);
        assert_eq!(plan.entry.to_json()["status"], "waiting");
    }

    #[test]
    fn m12_bad_windows_interests_and_text_are_refused_with_stable_codes() {
        let day = 24 * HOUR;
        let cases: [(Vec<u8>, &str); 5] = [
            (body(NOW - 2 * HOUR, NOW - HOUR, "[]"), "window_in_past"),
            (body(NOW, NOW + 8 * day, "[]"), "window_too_long"),
            (body(NOW, NOW + HOUR, r#"["knitting"]"#), "unknown_interest"),
            (
                body(NOW, NOW + HOUR, &format!(r#"["{}"]"#, "x".repeat(101))),
                "invalid_value",
            ),
            (
                br#"{"available_from": 1, "available_to": 2, "extra": 1}"#.to_vec(),
                "unknown_field",
            ),
        ];
        for (b, want) in cases {
            let (status, got) = reason(enter(&b, None).unwrap_err());
            assert_eq!((status, got), (400, json!(want)));
        }
    }

    #[test]
    fn m21_entering_twice_is_refused() {
        let first = enter(&body(NOW, NOW + HOUR, "[]"), None).unwrap().entry;
        let (status, got) = reason(enter(&body(NOW, NOW + HOUR, "[]"), Some(&first)).unwrap_err());
        assert_eq!((status, got), (409, json!("ALREADY_QUEUED")));
    }

    #[test]
    fn m13_moves_are_guarded_by_status_and_version() {
        let entry = enter(&body(NOW, NOW + HOUR, "[]"), None).unwrap().entry;
        let st = entry.move_to(QueueStatus::Cancelled, false, NOW);
        assert_eq!(st.name, "MATCHING_QUEUE_MOVE");
        assert!(st.sql.contains("status = ?2 AND version = ?3"));
        assert_eq!(status_json(None), json!({"entry": null}));
    }
}
