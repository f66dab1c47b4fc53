//! Retrying the meeting of a matched proposal (rule M29).
//!
//! **M29 — a matched pair always gets its meeting.** The meeting of a
//! matched proposal is created after the settle (M23), so a failure there
//! (D1, the meeting plan) left the proposal `matched` with no
//! `meeting_id`. Such a proposal is retried once it has rested
//! [`SCHEDULE_RETRY_AFTER_MS`] since its last touch: by the sweep of every
//! cycle (bounded, oldest first, `MATCHING_PROPOSAL_LIST_UNSCHEDULED`; the
//! `a` side hosts) and when either user reads it (that user hosts). A retry
//! first takes a lease ([`lease`]: `updated_at` moved from the value read
//! to now), so of concurrent retries exactly one creates the meeting; one
//! that fails leaves the lease to expire, and the next retry comes after
//! the rest period again. `MATCHING_PROPOSAL_SET_MEETING` sets the meeting
//! once.

use super::proposal_plan::ProposalRow;
use crate::sql::matching::MatchingProposalLeaseSchedule;
use crate::sql::Statement;

/// How long a matched proposal without a meeting rests before a retry (the
/// original scheduling is long over by then).
pub const SCHEDULE_RETRY_AFTER_MS: i64 = 60_000;

/// Proposals the sweep retries per run.
pub const SCHEDULE_RETRIES_PER_SWEEP: i64 = 20;

/// M29: whether `p` is matched, has no meeting, and has rested long enough.
pub fn needs_meeting(p: &ProposalRow, now_ms: i64) -> bool {
    p.status == "matched"
        && p.meeting_id.is_none()
        && p.updated_at <= now_ms.saturating_sub(SCHEDULE_RETRY_AFTER_MS)
}

/// M29: the statement taking the lease; the retry goes on only if it
/// changed one row.
pub fn lease(p: &ProposalRow, now_ms: i64) -> Statement {
    MatchingProposalLeaseSchedule {
        id: &p.id,
        read_updated_at: p.updated_at,
        now_ms,
    }
    .statement()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn proposal(status: &str, meeting: Option<&str>, updated_at: i64) -> ProposalRow {
        ProposalRow {
            id: "match_1".into(),
            a_entry_id: "mq_a".into(),
            a_user_id: "ann".into(),
            b_entry_id: "mq_b".into(),
            b_user_id: "bob".into(),
            score: 0.5,
            detail: "{}".into(),
            starts_at: 0,
            respond_by: 0,
            status: status.into(),
            meeting_id: meeting.map(str::to_owned),
            created_at: 0,
            updated_at,
        }
    }

    #[test]
    fn m29_only_rested_matched_proposals_without_a_meeting_are_retried() {
        let now = 1_000_000;
        let rested = now - SCHEDULE_RETRY_AFTER_MS;
        assert!(needs_meeting(&proposal("matched", None, rested), now));
        assert!(!needs_meeting(&proposal("matched", None, rested + 1), now));
        assert!(!needs_meeting(
            &proposal("matched", Some("mtg_1"), rested),
            now
        ));
        assert!(!needs_meeting(&proposal("pending", None, rested), now));
        assert!(!needs_meeting(&proposal("declined", None, rested), now));
    }

    #[test]
    fn m29_the_lease_is_guarded_by_the_time_read() {
        let st = lease(&proposal("matched", None, 7), 99);
        assert_eq!(st.name, "MATCHING_PROPOSAL_LEASE_SCHEDULE");
        assert_eq!(
            st.params,
            vec![
                SqlValue::Text("match_1".into()),
                SqlValue::Integer(7),
                SqlValue::Integer(99)
            ]
        );
    }
}
