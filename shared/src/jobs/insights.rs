//! `generate_insights`: a **stub** (insight generation is a later issue).
//! The job waits until the meeting is finalized (its room flushed; on its
//! last attempt it goes ahead anyway), then records once per meeting that
//! the work is pending. A repeated job finds the record and does nothing.

use serde_json::{json, Value};

use super::records;
use super::{wait_for_finalize, Backoff, JobResult};
use crate::sql::Statement;

/// What one delivery does, from the finalize record (if any).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Not finalized yet: come back later.
    Wait(JobResult),
    /// Record "insights pending" (the batch, [`records::write`]).
    Record(Vec<Statement>),
}

/// The step for the insights job keyed `key` of `meeting_id`.
pub fn plan(
    key: &str,
    meeting_id: &str,
    finalization: Option<&Value>,
    backoff: &Backoff,
    attempt: u32,
    random: u32,
    now_ms: i64,
) -> Step {
    if let Some(wait) = wait_for_finalize(finalization.is_some(), backoff, attempt, random) {
        return Step::Wait(wait);
    }
    let result = json!({
        "status": "insights_pending",
        "stub": true,
        "meeting_id": meeting_id,
        "finalization": finalization.map_or(json!("unknown"), |f| f["status"].clone()),
    });
    Step::Record(records::write(key, &result, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base_secs: 2,
        max_delay_secs: 300,
        max_attempts: 3,
    };

    #[test]
    fn waits_for_the_finalize_record_until_the_last_attempt() {
        assert!(matches!(
            plan("generate_insights:m", "m", None, &B, 1, 0, 9),
            Step::Wait(JobResult::Retry { .. })
        ));
        let Step::Record(batch) = plan("generate_insights:m", "m", None, &B, 3, 0, 9) else {
            panic!("the last attempt goes ahead")
        };
        let result = &batch[1].params[2];
        let crate::sql::SqlValue::Text(text) = result else {
            panic!("{result:?}")
        };
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["status"], "insights_pending");
        assert_eq!(v["finalization"], "unknown");
    }

    #[test]
    fn records_the_finalization_it_saw() {
        let f = json!({"status": "flushed"});
        let Step::Record(batch) = plan("generate_insights:m", "m", Some(&f), &B, 1, 0, 9) else {
            panic!("finalized: go")
        };
        assert_eq!(
            batch[0].params[1],
            crate::sql::SqlValue::Text("generate_insights:m".into())
        );
        let crate::sql::SqlValue::Text(text) = &batch[1].params[2] else {
            panic!()
        };
        assert!(text.contains("\"finalization\":\"flushed\""));
    }
}
