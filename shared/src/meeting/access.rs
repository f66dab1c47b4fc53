//! Every meeting route's access decision, on top of `acl::allowed`.
//!
//! **403, never 404, for a meeting you cannot see.** A meeting that does not
//! exist and a meeting the caller may not see get the same answer, byte for
//! byte: 403 `FORBIDDEN` with `details.reason = "DENY_NOT_PARTICIPANT"`. So
//! meeting ids cannot be probed for existence; the ACL decides who may know
//! a meeting exists (its participants, and its organisation's admins).
//! Once the caller may read the meeting, a missing *sub*-resource (a
//! participant id that is not a member) is an honest 404: they can list the
//! participants anyway.
//!
//! **Illegal transitions are 409 `CONFLICT`.** The ACL also checks the
//! meeting's state; for start, end and cancel a state denial is reported as
//! the lifecycle's illegal transition (`details.reason = "ILLEGAL_TRANSITION"`),
//! after the role check, so a non-participant still learns nothing.

use super::lifecycle::{next_state, Transition};
use super::view::{MeetingRow, MembershipRow};
use crate::acl::{self, Action, Decision, Denial, Grant, MeetingRole, OrgRole, Subject};
use crate::auth::membership::StoredUser;
use crate::error::ApiError;

/// The authenticated caller, as far as meeting access cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub org_id: Option<String>,
    pub org_role: OrgRole,
}

impl Caller {
    /// The caller as their user row says (the WebSocket entry, whose
    /// credential is a ticket, not a token): the row's organisation and its
    /// WorkOS role slug. No row: a member of no organisation.
    pub fn from_user_row(user_id: &str, row: Option<&StoredUser>) -> Caller {
        Caller {
            user_id: user_id.to_owned(),
            org_id: row.and_then(|u| u.org_id.clone()),
            org_role: OrgRole::from_workos(row.and_then(|u| u.org_role.as_deref()), &[]),
        }
    }
}

/// The lifecycle transition an action stands for, if any.
pub fn transition_of(action: Action) -> Option<Transition> {
    match action {
        Action::StartMeeting => Some(Transition::Start),
        Action::EndMeeting => Some(Transition::End),
        Action::CancelMeeting => Some(Transition::Cancel),
        _ => None,
    }
}

/// The answer for a meeting the caller may not see (or that does not exist).
pub fn not_visible() -> ApiError {
    match Decision::Deny(Denial::NotAParticipant).into_result() {
        Err(err) => err,
        // `Deny` never converts to `Ok`.
        Ok(_) => ApiError::forbidden("not a participant of this meeting"),
    }
}

/// Decides `action` by `caller` on the meeting `meeting` (`None`: no such
/// meeting), given the caller's membership row. Returns what granted it.
pub fn authorize(
    caller: &Caller,
    action: Action,
    meeting: Option<&MeetingRow>,
    membership: Option<&MembershipRow>,
) -> Result<Grant, ApiError> {
    let Some(meeting) = meeting else {
        return Err(not_visible());
    };
    // A membership row for another user or meeting would be a caller bug;
    // it grants nothing.
    let meeting_role: Option<MeetingRole> = membership
        .filter(|m| m.user_id == caller.user_id && m.meeting_id == meeting.id)
        .map(MembershipRow::role);
    let subject = Subject {
        org_id: caller.org_id.clone(),
        org_role: caller.org_role,
        meeting_role,
    };
    let context = meeting.acl_context();
    let decision = acl::allowed(&subject, action, Some(&context));
    if let (Decision::Deny(Denial::MeetingState(state)), Some(transition)) =
        (decision, transition_of(action))
    {
        return Err(match next_state(state, transition) {
            Err(illegal) => illegal.into(),
            // The ACL and the state machine agree on every state; if they
            // ever did not, refusing is the safe side.
            Ok(_) => decision.into_result().err().unwrap_or_else(not_visible),
        });
    }
    decision.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::MeetingState;
    use crate::error::ErrorCode;
    use crate::meeting::view::tests::row_value;

    fn meeting(state: &str, org: Option<&str>) -> MeetingRow {
        let mut v = row_value();
        v["state"] = serde_json::json!(state);
        v["org_id"] = serde_json::json!(org);
        MeetingRow::from_value(v).unwrap()
    }

    fn member(user: &str, role: &str) -> MembershipRow {
        serde_json::from_value(serde_json::json!({
            "meeting_id": "mtg_1", "user_id": user, "role": role, "presence": "invited",
            "joined_at": null, "left_at": null, "presence_changed_at": null,
            "stream_session_id": null, "created_at": 1, "updated_at": 1
        }))
        .unwrap()
    }

    fn caller(user: &str, org: Option<&str>, role: OrgRole) -> Caller {
        Caller {
            user_id: user.into(),
            org_id: org.map(str::to_owned),
            org_role: role,
        }
    }

    #[test]
    fn missing_and_invisible_meetings_look_the_same() {
        let stranger = caller("x", None, OrgRole::Member);
        let m = meeting("active", None);
        let missing = authorize(&stranger, Action::ReadMeeting, None, None).unwrap_err();
        let invisible = authorize(&stranger, Action::ReadMeeting, Some(&m), None).unwrap_err();
        assert_eq!(missing, invisible);
        assert_eq!(missing.status(), 403);
        assert_eq!(missing.body(), invisible.body());
        assert_eq!(missing.details.unwrap()["reason"], "DENY_NOT_PARTICIPANT");
    }

    #[test]
    fn every_meeting_action_is_forbidden_to_strangers_whatever_the_state() {
        let stranger = caller("x", Some("org_a"), OrgRole::Member);
        for state in MeetingState::ALL {
            let m = meeting(state.as_str(), Some("org_a"));
            for action in Action::ALL {
                if action.scope() != acl::Scope::Meeting {
                    continue;
                }
                let err = authorize(&stranger, action, Some(&m), None).unwrap_err();
                assert_eq!(err.code, ErrorCode::Forbidden, "{action:?} {state:?}");
            }
        }
    }

    #[test]
    fn membership_of_someone_else_grants_nothing() {
        let m = meeting("active", None);
        let err = authorize(
            &caller("x", None, OrgRole::Member),
            Action::ReadMeeting,
            Some(&m),
            Some(&member("host_user", "host")),
        )
        .unwrap_err();
        assert_eq!(err.status(), 403);
    }

    #[test]
    fn state_denials_of_transitions_are_illegal_transitions() {
        let host = caller("h", None, OrgRole::Member);
        let row = member("h", "host");
        for (state, action) in [
            ("concluded", Action::EndMeeting),
            ("scheduled", Action::EndMeeting),
            ("active", Action::StartMeeting),
            ("cancelled", Action::CancelMeeting),
            ("active", Action::CancelMeeting),
        ] {
            let m = meeting(state, None);
            let err = authorize(&host, action, Some(&m), Some(&row)).unwrap_err();
            assert_eq!(err.code, ErrorCode::Conflict, "{state} {action:?}");
            assert_eq!(err.details.unwrap()["reason"], "ILLEGAL_TRANSITION");
        }
        let m = meeting("scheduled", None);
        assert!(authorize(&host, Action::StartMeeting, Some(&m), Some(&row)).is_ok());
        // A participant asking to start is refused for the role, not the state.
        let p = caller("p", None, OrgRole::Member);
        let m = meeting("active", None);
        let err = authorize(
            &p,
            Action::StartMeeting,
            Some(&m),
            Some(&member("p", "participant")),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
    }

    #[test]
    fn a_ticket_holder_is_who_their_user_row_says() {
        let row: StoredUser = serde_json::from_value(serde_json::json!({
            "id": "u", "org_id": "org_a", "org_role": "admin", "email": null,
            "display_name": null, "avatar_url": null, "is_active": 1, "deleted_at": null,
            "membership_updated_at": null, "created_at": 1, "updated_at": 1
        }))
        .unwrap();
        assert_eq!(
            Caller::from_user_row("u", Some(&row)),
            caller("u", Some("org_a"), OrgRole::Admin)
        );
        assert_eq!(
            Caller::from_user_row("u", None),
            caller("u", None, OrgRole::Member)
        );
    }

    #[test]
    fn org_admins_read_their_orgs_meetings_only() {
        let admin = caller("a", Some("org_a"), OrgRole::Admin);
        let ours = meeting("active", Some("org_a"));
        let theirs = meeting("active", Some("org_b"));
        assert_eq!(
            authorize(&admin, Action::ReadMeeting, Some(&ours), None).unwrap(),
            Grant::OrgAdmin
        );
        assert!(authorize(&admin, Action::MintVideoToken, Some(&ours), None).is_err());
        assert!(authorize(&admin, Action::ReadMeeting, Some(&theirs), None).is_err());
    }
}
