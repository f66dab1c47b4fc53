//! Membership changes as plans: add, remove (or leave), change a role, hand
//! over the host role. The pipeline has decided the ACL action; these apply
//! the member rules (`meeting::members`: exactly one host, nobody grants
//! more than they hold), the participant cap, and guard every write by the
//! role the caller saw, so a concurrent change is a 409, never a surprise.

use serde_json::json;

use super::{action, AuditNote, Guard, GuardError, Plan, Reply, RoomNotice};
use crate::acl::MeetingRole;
use crate::error::{ApiError, ErrorCode};
use crate::jobs::Job;
use crate::meeting::access::Caller;
use crate::meeting::members::{
    check_add, check_change_role, check_remove, check_transfer, PREVIOUS_HOST_ROLE,
};
use crate::meeting::request::{Invitee, MAX_PARTICIPANTS};
use crate::meeting::view::{MeetingRow, MembershipRow};
use crate::sql::participants::{
    ParticipantInsert, ParticipantRemoveWithRole, ParticipantSetRole, ParticipantTransferHost,
};
use crate::validation::{invalid, reason};

fn conflict(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message).with_details(json!({ "reason": reason }))
}

/// The 409 of a guarded membership write that met another change.
pub fn changed_meanwhile() -> ApiError {
    conflict(
        "MEMBERSHIP_CHANGED",
        "the membership changed since it was read; read it again",
    )
}

/// The caller's role; the ACL only passes members for these actions.
fn actor_role(actor: Option<MeetingRole>) -> Result<MeetingRole, ApiError> {
    actor.ok_or_else(|| ApiError::forbidden("not a participant of this meeting"))
}

/// The target member, or 404: the caller may read the participant list,
/// so saying "no such participant" leaks nothing.
pub fn target(row: Option<MembershipRow>, user_id: &str) -> Result<MembershipRow, ApiError> {
    row.ok_or_else(|| {
        ApiError::not_found("no such participant in this meeting")
            .with_details(json!({ "user_id": user_id }))
    })
}

fn note(action: &'static str, meta: Vec<(&'static str, serde_json::Value)>) -> AuditNote {
    AuditNote { action, meta }
}

/// `POST …/participants`: `invitee_exists` is whether the user row exists.
pub fn add(
    caller: &Caller,
    actor: Option<MeetingRole>,
    meeting: &MeetingRow,
    invitee: &Invitee,
    invitee_exists: bool,
    now: i64,
) -> Result<Plan, ApiError> {
    check_add(actor_role(actor)?, invitee.role)?;
    if usize::try_from(meeting.participant_count).unwrap_or(usize::MAX) >= MAX_PARTICIPANTS {
        return Err(conflict(
            "MEETING_FULL",
            "the meeting has the most participants it can have",
        ));
    }
    if !invitee_exists {
        return Err(invalid("user_id", reason::UNKNOWN_USER, "no such user"));
    }
    let role = invitee.role.as_str();
    Ok(Plan {
        statements: vec![ParticipantInsert {
            meeting_id: &meeting.id,
            user_id: &invitee.user_id,
            role,
            invited_by: Some(&caller.user_id),
            now_ms: now,
        }
        .statement()],
        guards: vec![Guard {
            index: 0,
            at_least: 1,
            error: GuardError::Fixed(conflict(
                "ALREADY_PARTICIPANT",
                "this user is already a participant",
            )),
        }],
        audit: vec![note(
            action::PARTICIPANT_ADD,
            vec![("user_id", json!(invitee.user_id)), ("role", json!(role))],
        )],
        notices: Vec::new(),
        // New members, new pre-call ideas (I33).
        jobs: vec![Job::GeneratePrecall {
            meeting_id: meeting.id.clone(),
        }],
        response: Reply::Json {
            status: 201,
            body: json!({ "user_id": invitee.user_id, "role": role, "presence": "invited" }),
        },
    })
}

/// `DELETE …/participants/{user_id}`: removing yourself is leaving.
pub fn remove(
    caller: &Caller,
    actor: Option<MeetingRole>,
    meeting_id: &str,
    target: &MembershipRow,
) -> Result<Plan, ApiError> {
    let is_self = caller.user_id == target.user_id;
    check_remove(actor_role(actor)?, target.role(), is_self)?;
    Ok(Plan {
        statements: vec![ParticipantRemoveWithRole {
            meeting_id,
            user_id: &target.user_id,
            expected_role: &target.role,
        }
        .statement()],
        guards: vec![Guard {
            index: 0,
            at_least: 1,
            error: GuardError::Fixed(changed_meanwhile()),
        }],
        audit: vec![note(
            action::PARTICIPANT_REMOVE,
            vec![
                ("user_id", json!(target.user_id)),
                ("role", json!(target.role)),
                ("left", json!(is_self)),
            ],
        )],
        notices: vec![RoomNotice::Revoke {
            user_id: target.user_id.clone(),
        }],
        jobs: vec![Job::GeneratePrecall {
            meeting_id: meeting_id.to_owned(),
        }],
        response: Reply::Empty,
    })
}

/// `PATCH …/participants/{user_id}` `{"role"}`. The same role again
/// changes nothing and answers 200.
pub fn change_role(
    meeting_id: &str,
    target: &MembershipRow,
    role: MeetingRole,
    now: i64,
) -> Result<Plan, ApiError> {
    check_change_role(target.role(), role)?;
    let response = Reply::Json {
        status: 200,
        body: json!({ "user_id": target.user_id, "role": role.as_str(), "presence": target.presence }),
    };
    if target.role() == role {
        return Ok(Plan::answer(response));
    }
    Ok(Plan {
        statements: vec![ParticipantSetRole {
            meeting_id,
            user_id: &target.user_id,
            expected_role: &target.role,
            new_role: role.as_str(),
            now_ms: now,
        }
        .statement()],
        guards: vec![Guard {
            index: 0,
            at_least: 1,
            error: GuardError::Fixed(changed_meanwhile()),
        }],
        audit: vec![note(
            action::PARTICIPANT_ROLE,
            vec![
                ("user_id", json!(target.user_id)),
                ("from", json!(target.role)),
                ("to", json!(role.as_str())),
            ],
        )],
        notices: vec![RoomNotice::SetRole {
            user_id: target.user_id.clone(),
            role: role.as_str(),
        }],
        jobs: Vec::new(),
        response,
    })
}

/// The transfer's first check, before the target is read.
pub fn check_new_host(caller: &Caller, new_host: &str) -> Result<(), ApiError> {
    check_transfer(&caller.user_id, new_host)
}

/// `POST …/transfer-host` `{"user_id"}`: one statement moves both roles
/// (the old host becomes a cohost), or neither.
pub fn transfer_host(
    caller: &Caller,
    meeting_id: &str,
    target: &MembershipRow,
    now: i64,
) -> Result<Plan, ApiError> {
    check_transfer(&caller.user_id, &target.user_id)?;
    let previous = PREVIOUS_HOST_ROLE.as_str();
    Ok(Plan {
        statements: vec![ParticipantTransferHost {
            meeting_id,
            current_host_user_id: &caller.user_id,
            target_user_id: &target.user_id,
            targets_current_role: &target.role,
            previous_hosts_new_role: previous,
            now_ms: now,
        }
        .statement()],
        // Both rows, or it met another change.
        guards: vec![Guard {
            index: 0,
            at_least: 2,
            error: GuardError::Fixed(changed_meanwhile()),
        }],
        audit: vec![note(
            action::TRANSFER_HOST,
            vec![("to", json!(target.user_id))],
        )],
        notices: vec![
            RoomNotice::SetRole {
                user_id: target.user_id.clone(),
                role: MeetingRole::Host.as_str(),
            },
            RoomNotice::SetRole {
                user_id: caller.user_id.clone(),
                role: previous,
            },
        ],
        jobs: Vec::new(),
        response: Reply::Json {
            status: 200,
            body: json!({
                "host": target.user_id,
                "previous_host": { "user_id": caller.user_id, "role": previous },
            }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::OrgRole;
    use crate::meeting::view::tests::row_value;
    use MeetingRole::*;

    fn caller(id: &str) -> Caller {
        Caller {
            user_id: id.into(),
            org_id: None,
            org_role: OrgRole::Member,
        }
    }

    fn meeting(count: i64) -> MeetingRow {
        let mut v = row_value();
        v["participant_count"] = json!(count);
        MeetingRow::from_value(v).unwrap()
    }

    fn member(user: &str, role: &str) -> MembershipRow {
        serde_json::from_value(json!({
            "meeting_id": "mtg_1", "user_id": user, "role": role, "presence": "joined",
            "joined_at": null, "left_at": null, "presence_changed_at": null,
            "stream_session_id": null, "created_at": 1, "updated_at": 1
        }))
        .unwrap()
    }

    fn invitee(id: &str, role: MeetingRole) -> Invitee {
        Invitee {
            user_id: id.into(),
            role,
        }
    }

    fn reason_of(err: &ApiError) -> String {
        err.details.as_ref().unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn adding_inserts_one_guarded_row_and_answers_201() {
        let plan = add(
            &caller("h"),
            Some(Host),
            &meeting(3),
            &invitee("p", Participant),
            true,
            9,
        )
        .unwrap();
        assert_eq!(plan.statements.len(), 1);
        assert_eq!(plan.statements[0].name, "PARTICIPANT_INSERT");
        assert_eq!(plan.guards[0].at_least, 1);
        assert_eq!(plan.audit[0].action, action::PARTICIPANT_ADD);
        // I33: a member change queues new pre-call ideas.
        assert!(
            matches!(&plan.jobs[..], [Job::GeneratePrecall { meeting_id }] if meeting_id == &meeting(3).id)
        );
        assert_eq!(
            plan.response,
            Reply::Json {
                status: 201,
                body: json!({"user_id": "p", "role": "participant", "presence": "invited"})
            }
        );
        match &plan.guards[0].error {
            GuardError::Fixed(err) => assert_eq!(reason_of(err), "ALREADY_PARTICIPANT"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_full_meeting_refuses_before_anyone_is_looked_up() {
        let full = i64::try_from(MAX_PARTICIPANTS).unwrap();
        let err = add(
            &caller("h"),
            Some(Host),
            &meeting(full),
            &invitee("p", Participant),
            false,
            9,
        )
        .unwrap_err();
        assert_eq!(reason_of(&err), "MEETING_FULL");
        assert!(add(
            &caller("h"),
            Some(Host),
            &meeting(full - 1),
            &invitee("p", Observer),
            true,
            9
        )
        .is_ok());
    }

    #[test]
    fn unknown_users_and_role_rules() {
        let err = add(
            &caller("h"),
            Some(Host),
            &meeting(1),
            &invitee("p", Participant),
            false,
            9,
        )
        .unwrap_err();
        assert_eq!(err.details.unwrap()["field"], "user_id");
        let err = add(
            &caller("c"),
            Some(Cohost),
            &meeting(1),
            &invitee("p", Cohost),
            true,
            9,
        )
        .unwrap_err();
        assert_eq!(err.status(), 403);
        assert_eq!(
            add(
                &caller("o"),
                None,
                &meeting(1),
                &invitee("p", Participant),
                true,
                9
            )
            .unwrap_err()
            .status(),
            403
        );
    }

    #[test]
    fn leaving_and_removing() {
        let plan = remove(
            &caller("p"),
            Some(Participant),
            "mtg_1",
            &member("p", "participant"),
        )
        .unwrap();
        assert_eq!(plan.audit[0].meta[2], ("left", json!(true)));
        assert_eq!(
            plan.notices,
            vec![RoomNotice::Revoke {
                user_id: "p".into()
            }]
        );
        assert_eq!(plan.response, Reply::Empty);
        assert_eq!(
            plan.jobs,
            vec![Job::GeneratePrecall {
                meeting_id: "mtg_1".into()
            }]
        );
        let plan = remove(&caller("h"), Some(Host), "mtg_1", &member("c", "cohost")).unwrap();
        assert_eq!(plan.audit[0].meta[2], ("left", json!(false)));
        assert_eq!(
            remove(&caller("h"), Some(Host), "mtg_1", &member("h", "host"))
                .unwrap_err()
                .status(),
            409
        );
    }

    #[test]
    fn the_same_role_again_writes_nothing() {
        let plan = change_role("mtg_1", &member("p", "participant"), Participant, 9).unwrap();
        assert!(plan.statements.is_empty() && plan.notices.is_empty() && plan.audit.is_empty());
        let plan = change_role("mtg_1", &member("p", "participant"), Cohost, 9).unwrap();
        assert_eq!(plan.statements[0].name, "PARTICIPANT_SET_ROLE");
        assert_eq!(
            plan.notices,
            vec![RoomNotice::SetRole {
                user_id: "p".into(),
                role: "cohost"
            }]
        );
        assert!(change_role("mtg_1", &member("p", "participant"), Host, 9).is_err());
    }

    #[test]
    fn a_transfer_moves_both_roles_or_neither() {
        let plan = transfer_host(&caller("h"), "mtg_1", &member("c", "cohost"), 9).unwrap();
        assert_eq!(plan.guards[0].at_least, 2);
        assert_eq!(plan.notices.len(), 2);
        assert_eq!(
            plan.response,
            Reply::Json {
                status: 200,
                body: json!({"host": "c", "previous_host": {"user_id": "h", "role": "cohost"}})
            }
        );
        assert_eq!(check_new_host(&caller("h"), "h").unwrap_err().status(), 409);
    }
}
