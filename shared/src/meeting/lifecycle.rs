//! The meeting lifecycle as a state machine:
//!
//! ```text
//! scheduled ──start──▶ active ──end──▶ concluded
//!     │
//!     └──cancel──▶ cancelled
//! ```
//!
//! `concluded` and `cancelled` are final. Any other transition is illegal:
//! 409 `CONFLICT`, and nothing changes. The worker applies a legal transition
//! with a guarded `UPDATE … WHERE id = ? AND state = <from>`
//! (`MEETING_TRANSITION_STATE`), so two racing transitions cannot both win:
//! the loser finds no row and answers the same 409.
//!
//! Who may ask for a transition is the ACL's business (`acl::allowed`:
//! start, end and cancel are the host's); this module only knows states.

use serde::Serialize;

use crate::acl::MeetingState;
use crate::error::{ApiError, ErrorCode};

/// A request to move a meeting along its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    Start,
    End,
    Cancel,
}

impl Transition {
    pub const ALL: [Transition; 3] = [Transition::Start, Transition::End, Transition::Cancel];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Start => "start",
            Transition::End => "end",
            Transition::Cancel => "cancel",
        }
    }
}

/// A transition the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a meeting that is {}", .transition.as_str(), .from.as_str())]
pub struct IllegalTransition {
    pub from: MeetingState,
    pub transition: Transition,
}

impl From<IllegalTransition> for ApiError {
    fn from(err: IllegalTransition) -> Self {
        ApiError::new(ErrorCode::Conflict, err.to_string()).with_details(serde_json::json!({
            "reason": "ILLEGAL_TRANSITION",
            "state": err.from.as_str(),
            "transition": err.transition.as_str(),
        }))
    }
}

/// The state `transition` leads to from `from`, if it is legal.
pub fn next_state(
    from: MeetingState,
    transition: Transition,
) -> Result<MeetingState, IllegalTransition> {
    match (from, transition) {
        (MeetingState::Scheduled, Transition::Start) => Ok(MeetingState::Active),
        (MeetingState::Scheduled, Transition::Cancel) => Ok(MeetingState::Cancelled),
        (MeetingState::Active, Transition::End) => Ok(MeetingState::Concluded),
        (
            MeetingState::Scheduled
            | MeetingState::Active
            | MeetingState::Concluded
            | MeetingState::Cancelled,
            Transition::Start | Transition::End | Transition::Cancel,
        ) => Err(IllegalTransition { from, transition }),
    }
}

/// True for the states nothing leaves.
pub fn is_final(state: MeetingState) -> bool {
    match state {
        MeetingState::Concluded | MeetingState::Cancelled => true,
        MeetingState::Scheduled | MeetingState::Active => false,
    }
}

/// Parses a stored state (`meetings.state`).
pub fn parse_state(s: &str) -> Option<MeetingState> {
    MeetingState::ALL.into_iter().find(|st| st.as_str() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_table() {
        use MeetingState::*;
        use Transition::*;
        let legal = [
            (Scheduled, Start, Active),
            (Scheduled, Cancel, Cancelled),
            (Active, End, Concluded),
        ];
        for from in MeetingState::ALL {
            for t in Transition::ALL {
                let expected = legal
                    .iter()
                    .find(|(f, tr, _)| *f == from && *tr == t)
                    .map(|(_, _, to)| *to);
                match (next_state(from, t), expected) {
                    (Ok(to), Some(exp)) => assert_eq!(to, exp),
                    (Err(e), None) => {
                        assert_eq!(e.from, from);
                        let api: ApiError = e.into();
                        assert_eq!(api.code, ErrorCode::Conflict);
                        assert_eq!(api.status(), 409);
                        assert_eq!(api.details.unwrap()["reason"], "ILLEGAL_TRANSITION");
                    }
                    (got, exp) => panic!("{from:?} {t:?}: {got:?} vs {exp:?}"),
                }
            }
        }
    }

    #[test]
    fn final_states_have_no_exit() {
        for state in MeetingState::ALL {
            let exits = Transition::ALL
                .iter()
                .filter(|t| next_state(state, **t).is_ok())
                .count();
            assert_eq!(is_final(state), exits == 0, "{state:?}");
        }
    }

    #[test]
    fn states_parse_back() {
        for state in MeetingState::ALL {
            assert_eq!(parse_state(state.as_str()), Some(state));
        }
        assert_eq!(parse_state("Active"), None);
    }
}
