//! Records of finished job work, in `idempotency_keys` (scope `job`, key
//! the job's idempotency key), under the one idempotency state machine
//! (`crate::idempotency`): written once per meeting, read by the jobs that
//! must come after (the post-call jobs wait for `finalize_meeting`'s).
//!
//! A record is claimed and completed in the same batch ([`write`]), so no
//! claimed-but-unfinished job record is ever left behind: a claim that
//! wrote nothing found the work recorded before.

use serde_json::Value;

use crate::idempotency::{Decision, Idempotent, StoredKey};
use crate::sql::Statement;

use super::Job;

/// The `idempotency_keys.scope` of job records.
pub const SCOPE: &str = "job";
/// How long a record is kept.
const KEEP_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// The record of the work keyed `key`.
pub fn record(key: &str) -> Idempotent {
    Idempotent {
        scope: SCOPE.to_owned(),
        key: key.to_owned(),
        // Any repeat of a job's key is the same work.
        request_hash: None,
        claim_ttl_ms: KEEP_MS,
        keep_ms: KEEP_MS,
    }
}

/// The key of a meeting's finalize record, which the post-call jobs wait for.
pub fn finalize_key(meeting_id: &str) -> String {
    Job::FinalizeMeeting {
        meeting_id: meeting_id.to_owned(),
    }
    .idempotency_key()
}

/// Writes `result` under `key` unless a record exists: one batch. The
/// claim's `changes` (statement 0) say whether this was the first time
/// ([`first_time`]).
pub fn write(key: &str, result: &Value, now_ms: i64) -> Vec<Statement> {
    let r = record(key);
    vec![r.claim(now_ms), r.complete(Some(result), now_ms)]
}

/// True when [`write`]'s batch recorded the work (it was not recorded before).
pub fn first_time(changes: &[usize]) -> bool {
    changes.first().copied().unwrap_or(0) > 0
}

/// The query for the record under `key`.
pub fn read(key: &str) -> Statement {
    record(key).lookup()
}

/// The recorded result under `key`, if the work is done, from [`read`]'s row.
pub fn recorded(key: &str, row: Option<&StoredKey>) -> Option<Value> {
    // No row: not recorded (not "in progress", which `decide` would say).
    let row = row?;
    match record(key).decide(0, Some(row)) {
        Decision::Replay { result } => result,
        Decision::New | Decision::InProgress | Decision::KeyReused => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(status: &str, result: Option<&str>) -> StoredKey {
        StoredKey {
            status: status.into(),
            request_hash: None,
            result: result.map(str::to_owned),
        }
    }

    #[test]
    fn a_record_is_claimed_and_completed_together() {
        let batch = write("finalize_meeting:m1", &json!({"status": "flushed"}), 5);
        let names: Vec<_> = batch.iter().map(|s| s.name).collect();
        assert_eq!(names, ["IDEMPOTENCY_CLAIM", "IDEMPOTENCY_COMPLETE"]);
        assert_eq!(batch[0].params[0], crate::sql::SqlValue::Text("job".into()));
        assert!(first_time(&[1, 1]));
        assert!(!first_time(&[0, 0]));
        assert_eq!(finalize_key("m1"), "finalize_meeting:m1");
        assert_eq!(read("k").name, "IDEMPOTENCY_GET");
    }

    #[test]
    fn only_a_completed_record_is_read_back() {
        let done = row("completed", Some(r#"{"status":"flushed"}"#));
        assert_eq!(
            recorded("k", Some(&done)),
            Some(json!({"status": "flushed"}))
        );
        assert_eq!(recorded("k", Some(&row("claimed", None))), None);
        assert_eq!(recorded("k", None), None);
    }
}
