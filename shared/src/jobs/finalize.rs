//! `finalize_meeting`, pure: step 2 of the end-of-meeting flow from the
//! queue. The room is told to stop writes and flush (`internal/end`),
//! retried with backoff until it answers; then the meeting is recorded as
//! finalized (`flushed`), which the post-call jobs wait for. Out of
//! attempts, it records `gave_up` instead, so they run on what D1 has (the
//! room also flushes on its own alarm).

use serde_json::json;

use super::records::{self, finalize_key};
use super::{Backoff, JobResult, RetryDecision};
use crate::acl::MeetingState;
use crate::meeting::view::MeetingRow;
use crate::sql::Statement;

/// What the job does first, from its own record and the meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Nothing to do (why, for the log; `None`: done before).
    Done(Option<&'static str>),
    /// Tell the room the meeting ended at `at_ms`.
    End { at_ms: i64 },
}

pub fn start(recorded: bool, meeting: Option<&MeetingRow>, now_ms: i64) -> Start {
    if recorded {
        return Start::Done(None);
    }
    match meeting.filter(|m| m.state() == MeetingState::Concluded) {
        Some(m) => Start::End {
            at_ms: m.concluded_at.unwrap_or(now_ms),
        },
        None => Start::Done(Some("meeting not concluded; nothing to finalize")),
    }
}

/// The finalize record (`flushed` or `gave_up`), written once.
pub fn finalized(meeting_id: &str, status: &str, now_ms: i64) -> Vec<Statement> {
    records::write(
        &finalize_key(meeting_id),
        &json!({ "status": status }),
        now_ms,
    )
}

/// After the room did not answer (or D1 failed): retry, or give up.
#[derive(Debug, Clone, PartialEq)]
pub enum Failed {
    Retry(JobResult),
    /// Out of attempts: write this (`gave_up`), then ack.
    GiveUp(Vec<Statement>),
}

pub fn failed(
    meeting_id: &str,
    backoff: &Backoff,
    attempt: u32,
    random: u32,
    now_ms: i64,
) -> Failed {
    match backoff.after_failure(attempt, random) {
        RetryDecision::RetryAfter { delay_secs, .. } => {
            Failed::Retry(JobResult::Retry { delay_secs })
        }
        RetryDecision::GiveUp => Failed::GiveUp(finalized(meeting_id, "gave_up", now_ms)),
    }
}

/// When even `gave_up` could not be recorded: let the queue's own retries
/// and its dead-letter queue have the message.
pub fn unrecorded(backoff: &Backoff, attempt: u32) -> JobResult {
    JobResult::Retry {
        delay_secs: backoff.delay_secs(attempt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::view::tests::row_value;

    fn meeting(state: &str, concluded_at: Option<i64>) -> MeetingRow {
        let mut v = row_value();
        v["state"] = serde_json::json!(state);
        v["concluded_at"] = serde_json::json!(concluded_at);
        MeetingRow::from_value(v).unwrap()
    }

    #[test]
    fn only_a_concluded_unrecorded_meeting_is_ended() {
        let m = meeting("concluded", Some(42));
        assert_eq!(start(false, Some(&m), 99), Start::End { at_ms: 42 });
        assert_eq!(start(true, Some(&m), 99), Start::Done(None));
        assert!(matches!(
            start(false, Some(&meeting("active", None)), 99),
            Start::Done(Some(_))
        ));
        assert!(matches!(start(false, None, 99), Start::Done(Some(_))));
        let no_time = meeting("concluded", None);
        assert_eq!(start(false, Some(&no_time), 99), Start::End { at_ms: 99 });
    }

    #[test]
    fn retries_then_records_that_it_gave_up() {
        let b = Backoff {
            base_secs: 1,
            max_delay_secs: 10,
            max_attempts: 2,
        };
        assert!(matches!(
            failed("m", &b, 1, 0, 5),
            Failed::Retry(JobResult::Retry { .. })
        ));
        let Failed::GiveUp(batch) = failed("m", &b, 2, 0, 5) else {
            panic!("out of attempts")
        };
        assert_eq!(
            batch[0].params[1],
            crate::sql::SqlValue::Text("finalize_meeting:m".into())
        );
        let crate::sql::SqlValue::Text(result) = &batch[1].params[2] else {
            panic!()
        };
        assert_eq!(result, r#"{"status":"gave_up"}"#);
        assert_eq!(unrecorded(&b, 2), JobResult::Retry { delay_secs: 2 });
    }
}
