//! The end of a meeting in D1, the same whoever ends it (the host's
//! `POST …/end`, Stream's `call.ended`): the guarded move `active →
//! concluded`, and the call's session closed (the live state inactive,
//! everyone still joined marked left).

use crate::acl::MeetingState;
use crate::meeting::lifecycle::{next_state, Transition};
use crate::sql::meeting_state::MeetingStateUpsertActivity;
use crate::sql::meetings::MeetingTransitionState;
use crate::sql::participants::ParticipantMarkAllLeft;
use crate::sql::Statement;
use crate::ApiError;

/// The guarded transition `active → concluded`; it returns the row only
/// when it won (the meeting was still active).
pub fn conclude(meeting_id: &str, now: i64) -> Result<Statement, ApiError> {
    let to = next_state(MeetingState::Active, Transition::End)?;
    Ok(MeetingTransitionState {
        id: meeting_id,
        expected_state: MeetingState::Active.as_str(),
        new_state: to.as_str(),
        now_ms: now,
    }
    .statement())
}

/// The call's session is over at `at`: the live state inactive (with the
/// Stream session, when known), everyone still joined marked left.
pub fn session_over(
    meeting_id: &str,
    session_id: Option<&str>,
    at: i64,
    now: i64,
) -> Vec<Statement> {
    vec![
        MeetingStateUpsertActivity {
            meeting_id,
            active: false,
            started_at: None,
            ended_at: Some(at),
            stream_session_id: session_id,
            event_time_ms: at,
            now_ms: now,
        }
        .statement(),
        ParticipantMarkAllLeft {
            meeting_id,
            event_time_ms: at,
            now_ms: now,
        }
        .statement(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conclude_is_guarded_on_active() {
        let s = conclude("m1", 5).unwrap();
        assert_eq!(s.name, "MEETING_TRANSITION_STATE");
        assert_eq!(s.params[1], crate::sql::SqlValue::Text("active".into()));
        assert_eq!(s.params[2], crate::sql::SqlValue::Text("concluded".into()));
    }

    #[test]
    fn a_session_over_marks_the_state_inactive_and_everyone_left() {
        let names: Vec<_> = session_over("m1", None, 3, 5)
            .iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            ["MEETING_STATE_UPSERT_ACTIVITY", "PARTICIPANT_MARK_ALL_LEFT"]
        );
    }
}
