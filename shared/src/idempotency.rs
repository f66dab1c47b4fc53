//! The one idempotency state machine, used by every path that must do its
//! work once: REST creates with an `Idempotency-Key`, webhook deliveries
//! (deduplicated by the vendor's event id), caption lines, and queue-job
//! records. Its storage is `idempotency_keys` (`crate::sql::idempotency`).
//!
//! The protocol, with no decision left to the shell:
//! 1. run [`Idempotent::claim`]; D1 reports whether it wrote the row;
//! 2. when it did not, run [`Idempotent::lookup`] and pass the row to
//!    [`decide`], which says [`Decision::New`] (ours, do the work),
//!    [`Decision::Replay`] (done before: answer with its stored result),
//!    [`Decision::InProgress`] or [`Decision::KeyReused`];
//! 3. on success write [`Idempotent::complete`] *in the same batch* as the
//!    work where atomicity matters, and on a retryable failure
//!    [`Idempotent::release`] so the retry can claim the key again.
//!
//! **Status policy** (docs/api.md, "Idempotency"), the same on every route:
//! - in progress → `409 CONFLICT`, `details.reason = "IDEMPOTENCY_IN_PROGRESS"`,
//!   `Retry-After: 1` (retryable: a vendor's retry or the client's comes back later);
//! - a key reused with another body → `409 CONFLICT`,
//!   `details.reason = "IDEMPOTENCY_KEY_REUSED"` (not retryable as is);
//! - a replay → the first request's outcome (for REST creates, the resource
//!   with `idempotent-replayed: true`; for webhooks, `200 {"status":"duplicate"}`).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::sql::idempotency::{
    IdempotencyClaim, IdempotencyComplete, IdempotencyGet, IdempotencyRelease,
};
use crate::sql::Statement;
use crate::{ApiError, ErrorCode};

/// `details.reason` of a request whose key is being worked on.
pub const IN_PROGRESS: &str = "IDEMPOTENCY_IN_PROGRESS";
/// `details.reason` of a key reused with a different request.
pub const KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";

/// The longest accepted `Idempotency-Key` header.
pub const MAX_KEY_LEN: usize = 255;

/// One idempotent unit of work: a scope (what kind of work, and for whom)
/// and the key within it, with how long a claim blocks and a result is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotent {
    pub scope: String,
    pub key: String,
    /// The request's fingerprint (sha256 of the body), or `None` where any
    /// repeat of the key is the same work (caption ids, job records).
    pub request_hash: Option<String>,
    /// A claim not completed within this is a crashed attempt, reclaimable.
    pub claim_ttl_ms: i64,
    /// How long a completed result is replayed.
    pub keep_ms: i64,
}

/// A stored `idempotency_keys` row, as `IDEMPOTENCY_GET` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoredKey {
    pub status: String,
    pub request_hash: Option<String>,
    /// JSON text, when the work stored a result.
    pub result: Option<String>,
}

/// What to do with a request, given the claim's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The key is ours: do the work.
    New,
    /// The work was done before; its stored result (JSON), if any.
    Replay { result: Option<Value> },
    /// Another attempt holds the key right now.
    InProgress,
    /// The key was used for a different request.
    KeyReused,
}

impl Idempotent {
    pub fn claim(&self, now_ms: i64) -> Statement {
        IdempotencyClaim {
            scope: &self.scope,
            key: &self.key,
            request_hash: self.request_hash.as_deref(),
            now_ms,
            expires_at_ms: now_ms.saturating_add(self.claim_ttl_ms),
        }
        .statement()
    }

    pub fn lookup(&self) -> Statement {
        IdempotencyGet {
            scope: &self.scope,
            key: &self.key,
        }
        .statement()
    }

    /// Marks the work done, keeping `result` for replays.
    pub fn complete(&self, result: Option<&Value>, now_ms: i64) -> Statement {
        let text = result.map(Value::to_string);
        IdempotencyComplete {
            scope: &self.scope,
            key: &self.key,
            result: text.as_deref(),
            now_ms,
            expires_at_ms: now_ms.saturating_add(self.keep_ms),
        }
        .statement()
    }

    /// Gives an unfinished claim back after a retryable failure.
    pub fn release(&self) -> Statement {
        IdempotencyRelease {
            scope: &self.scope,
            key: &self.key,
        }
        .statement()
    }

    /// Decides from the claim's `changes` and, when it wrote nothing, the
    /// stored row ([`Idempotent::lookup`]).
    pub fn decide(&self, claimed: usize, stored: Option<&StoredKey>) -> Decision {
        if claimed > 0 {
            return Decision::New;
        }
        let Some(row) = stored else {
            // Purged between the claim and the read: a retry will claim it.
            return Decision::InProgress;
        };
        let same_request = match (&self.request_hash, &row.request_hash) {
            (Some(ours), Some(theirs)) => ours == theirs,
            // Work without a fingerprint is the same work whatever repeats it.
            _ => true,
        };
        if !same_request {
            return Decision::KeyReused;
        }
        match row.status.as_str() {
            "completed" => Decision::Replay {
                result: row
                    .result
                    .as_deref()
                    .and_then(|t| serde_json::from_str(t).ok()),
            },
            _ => Decision::InProgress,
        }
    }
}

impl Decision {
    /// The error answered for this decision under the status policy, if it
    /// is one (`New` and `Replay` are not).
    pub fn error(&self) -> Option<ApiError> {
        match self {
            Decision::New | Decision::Replay { .. } => None,
            Decision::InProgress => Some(
                ApiError::new(
                    ErrorCode::Conflict,
                    "a request with this key is being processed; retry shortly",
                )
                .with_details(json!({ "reason": IN_PROGRESS, "retry_after_s": 1 })),
            ),
            Decision::KeyReused => Some(
                ApiError::new(
                    ErrorCode::Conflict,
                    "this idempotency key was used with a different request",
                )
                .with_details(json!({ "reason": KEY_REUSED })),
            ),
        }
    }
}

/// Validates an `Idempotency-Key` header: 1 to 255 printable ASCII characters.
pub fn parse_key(header: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(value) = header else {
        return Ok(None);
    };
    let ok = !value.is_empty()
        && value.len() <= MAX_KEY_LEN
        && value.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(crate::validation::invalid(
            "Idempotency-Key",
            crate::validation::reason::INVALID_VALUE,
            "Idempotency-Key must be 1 to 255 printable characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(hash: Option<&str>) -> Idempotent {
        Idempotent {
            scope: "meetings.create:u1".into(),
            key: "k1".into(),
            request_hash: hash.map(str::to_owned),
            claim_ttl_ms: 60_000,
            keep_ms: 86_400_000,
        }
    }

    fn row(status: &str, hash: Option<&str>, result: Option<&str>) -> StoredKey {
        StoredKey {
            status: status.into(),
            request_hash: hash.map(str::to_owned),
            result: result.map(str::to_owned),
        }
    }

    #[test]
    fn a_written_claim_is_new_work() {
        assert_eq!(work(Some("h")).decide(1, None), Decision::New);
    }

    #[test]
    fn a_completed_key_with_the_same_body_replays_its_result() {
        let stored = row("completed", Some("h"), Some(r#"{"meeting_id":"m1"}"#));
        assert_eq!(
            work(Some("h")).decide(0, Some(&stored)),
            Decision::Replay {
                result: Some(json!({ "meeting_id": "m1" }))
            }
        );
    }

    #[test]
    fn a_claimed_key_is_in_progress_and_409_retryable() {
        let stored = row("claimed", Some("h"), None);
        let decision = work(Some("h")).decide(0, Some(&stored));
        assert_eq!(decision, Decision::InProgress);
        let err = decision.error().unwrap();
        assert_eq!(err.status(), 409);
        assert_eq!(err.details.as_ref().unwrap()["reason"], IN_PROGRESS);
    }

    #[test]
    fn a_vanished_row_is_in_progress() {
        assert_eq!(work(Some("h")).decide(0, None), Decision::InProgress);
    }

    #[test]
    fn another_body_under_the_same_key_is_409_reused() {
        for status in ["claimed", "completed"] {
            let stored = row(status, Some("other"), None);
            let decision = work(Some("h")).decide(0, Some(&stored));
            assert_eq!(decision, Decision::KeyReused);
            let err = decision.error().unwrap();
            assert_eq!(err.status(), 409);
            assert_eq!(err.details.as_ref().unwrap()["reason"], KEY_REUSED);
        }
    }

    #[test]
    fn work_without_a_fingerprint_replays_whatever_the_stored_hash() {
        let stored = row("completed", Some("x"), None);
        assert_eq!(
            work(None).decide(0, Some(&stored)),
            Decision::Replay { result: None }
        );
    }

    #[test]
    fn statements_bind_scope_key_and_expiry() {
        let w = work(Some("h"));
        let claim = w.claim(1_000);
        assert_eq!(claim.name, "IDEMPOTENCY_CLAIM");
        assert_eq!(claim.params.len(), 5);
        let done = w.complete(Some(&json!({"a": 1})), 2_000);
        assert_eq!(done.name, "IDEMPOTENCY_COMPLETE");
        assert_eq!(w.release().name, "IDEMPOTENCY_RELEASE");
        assert_eq!(w.lookup().name, "IDEMPOTENCY_GET");
    }

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert_eq!(parse_key(None).unwrap(), None);
        assert_eq!(parse_key(Some("abc-1")).unwrap(), Some("abc-1".into()));
        assert!(parse_key(Some("")).is_err());
        assert!(parse_key(Some("a b")).is_err());
        assert!(parse_key(Some(&"k".repeat(256))).is_err());
    }
}
