//! Host-only moves along the lifecycle (`meeting::lifecycle`) as plans:
//! start and cancel. The write is guarded by the state the pipeline read,
//! so a move that lost a race changes nothing and answers 409 with the
//! state it met ([`lost_race`]). Ending is the end-of-meeting flow
//! (`workers/src/meetings/ending.rs`), shared with Stream's webhook.
//!
//! **I37 — promotion on start.** Starting a meeting, with
//! `intelligence.incall` on for it, promotes its [`PROMOTE_ON_START`] most
//! relevant pre-call prompts to in-call ones in the same batch
//! (`PROMPT_PROMOTE_ON_START`: `source = promoted`, `source_prompt_id` and
//! `request_hash` kept; only once the meeting is active, so a start that
//! lost a race promotes nothing). The room's cached-prompt fallback picks
//! among the pre-call prompts not promoted yet.

use super::{action, AuditNote, Guard, GuardError, Plan, Reply, RoomNotice};
use crate::error::ApiError;
use crate::jobs::Job;
use crate::meeting::access::not_visible;
use crate::meeting::lifecycle::{next_state, IllegalTransition, Transition};
use crate::meeting::view::{MeetingRow, Provisioning};
use crate::sql::meetings::MeetingTransitionState;
use crate::sql::prompts::PromptPromoteOnStart;

/// Pre-call prompts promoted when a meeting starts (I37).
pub const PROMOTE_ON_START: i64 = 5;

/// `POST …/start` or `POST …/cancel` on `meeting` as the pipeline read it;
/// `incall_on` is the `intelligence.incall` flag for the meeting (I37).
pub fn plan(
    meeting: &MeetingRow,
    transition: Transition,
    incall_on: bool,
    now: i64,
) -> Result<Plan, ApiError> {
    let from = meeting.state();
    let to = next_state(from, transition)?;
    let (audit_action, jobs) = match transition {
        // Starting (re)queues provisioning unless the call is ready.
        Transition::Start if meeting.provisioning() != Provisioning::Ready => (
            action::START,
            vec![Job::ProvisionCall {
                meeting_id: meeting.id.clone(),
            }],
        ),
        Transition::Start => (action::START, Vec::new()),
        Transition::Cancel => (action::CANCEL, Vec::new()),
        Transition::End => (action::END, Vec::new()),
    };
    let mut statements = vec![MeetingTransitionState {
        id: &meeting.id,
        expected_state: from.as_str(),
        new_state: to.as_str(),
        now_ms: now,
    }
    .statement()];
    if transition == Transition::Start && incall_on {
        statements.push(
            PromptPromoteOnStart {
                meeting_id: &meeting.id,
                limit: PROMOTE_ON_START,
                now_ms: now,
            }
            .statement(),
        );
    }
    Ok(Plan {
        statements,
        guards: vec![Guard {
            index: 0,
            at_least: 1,
            error: GuardError::ReReadMeeting,
        }],
        audit: vec![AuditNote {
            action: audit_action,
            meta: Vec::new(),
        }],
        notices: vec![RoomNotice::State {
            state: to.as_str(),
            at_ms: now,
        }],
        jobs,
        response: Reply::Meeting {
            status: 200,
            meeting_id: meeting.id.clone(),
        },
    })
}

/// The 409 for a transition that lost a race: reports the state it met.
pub fn lost_race(current: Option<&MeetingRow>, transition: Transition) -> ApiError {
    match current {
        Some(row) => IllegalTransition {
            from: row.state(),
            transition,
        }
        .into(),
        None => not_visible(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::view::tests::row_value;

    fn meeting(state: &str, provisioning: &str) -> MeetingRow {
        let mut v = row_value();
        v["state"] = serde_json::json!(state);
        v["provisioning_status"] = serde_json::json!(provisioning);
        MeetingRow::from_value(v).unwrap()
    }

    #[test]
    fn starting_guards_the_state_tells_the_room_and_requeues_provisioning() {
        let m = meeting("scheduled", "pending");
        let plan = plan(&m, Transition::Start, true, 5).unwrap();
        assert_eq!(plan.statements[0].name, "MEETING_TRANSITION_STATE");
        assert_eq!(plan.guards[0].error, GuardError::ReReadMeeting);
        assert_eq!(
            plan.notices,
            vec![RoomNotice::State {
                state: "active",
                at_ms: 5
            }]
        );
        assert_eq!(plan.jobs.len(), 1);
        assert_eq!(plan.audit[0].action, action::START);
        let ready = meeting("scheduled", "ready");
        assert!(super::plan(&ready, Transition::Start, true, 5)
            .unwrap()
            .jobs
            .is_empty());
    }

    #[test]
    fn cancelling_queues_nothing_and_illegal_moves_are_409() {
        let plan = plan(
            &meeting("scheduled", "pending"),
            Transition::Cancel,
            true,
            5,
        )
        .unwrap();
        assert!(plan.jobs.is_empty());
        assert_eq!(
            plan.notices,
            vec![RoomNotice::State {
                state: "cancelled",
                at_ms: 5
            }]
        );
        let err = super::plan(&meeting("active", "ready"), Transition::Start, true, 5).unwrap_err();
        assert_eq!(err.status(), 409);
    }

    #[test]
    fn i37_starting_promotes_precall_prompts_only_with_incall_on() {
        let m = meeting("scheduled", "ready");
        let on = plan(&m, Transition::Start, true, 5).unwrap();
        assert_eq!(on.statements.len(), 2);
        assert_eq!(on.statements[1].name, "PROMPT_PROMOTE_ON_START");
        assert_eq!(on.guards[0].index, 0, "the guard stays on the transition");
        let off = plan(&m, Transition::Start, false, 5).unwrap();
        assert_eq!(off.statements.len(), 1);
        let cancel = plan(&m, Transition::Cancel, true, 5).unwrap();
        assert_eq!(cancel.statements.len(), 1);
    }

    #[test]
    fn a_lost_race_reports_the_state_it_met() {
        let err = lost_race(Some(&meeting("cancelled", "ready")), Transition::Start);
        assert_eq!(err.details.unwrap()["reason"], "ILLEGAL_TRANSITION");
        assert_eq!(lost_race(None, Transition::Start).status(), 403);
    }
}
