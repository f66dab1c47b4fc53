//! The access-control tables, written out in full. Changing a rule in
//! `acl.rs` must change a line here: that is the point.

use connvo_shared::acl::{
    allowed, Action, Decision, Denial, Grant, MeetingContext, MeetingRole, MeetingState, OrgRole,
    Scope, Subject,
};
use connvo_shared::ErrorCode;

const ORG: &str = "org_1";

/// Every (org role × meeting role × action) decision, in a state where the
/// action is possible (see `STATE_TABLE`).
///
/// Columns: the caller is an org **member** who is, in the meeting,
/// `none observer participant cohost host`, then the same five as an org
/// **admin** of the meeting's organisation.
///
/// Cells: allowed by meeting role `H`ost / `C`ohost / `P`articipant /
/// `O`bserver, by `A`dmin role, or as any signed-in `M`ember; denied as
/// `n`ot a participant, `o`bserver read-only, `r`ole insufficient, `a`dmin only.
const ROLE_TABLE: &[(Action, &str)] = &[
    (Action::ReadMeeting, "nOPCH|AOPCH"),
    (Action::ReadParticipants, "nOPCH|AOPCH"),
    (Action::UpdateMeeting, "norrH|norrH"),
    (Action::CancelMeeting, "norrH|norrH"),
    (Action::StartMeeting, "norrH|norrH"),
    (Action::EndMeeting, "norrH|norrH"),
    (Action::ManageParticipants, "norCH|norCH"),
    (Action::ChangeRole, "norrH|norrH"),
    (Action::TransferHost, "norrH|norrH"),
    (Action::LeaveMeeting, "nOPCH|nOPCH"),
    (Action::ReadNotes, "nOPCH|nOPCH"),
    (Action::WriteNotes, "noPCH|noPCH"),
    (Action::ReadTranscript, "nOPCH|nOPCH"),
    (Action::WriteTranscript, "noPCH|noPCH"),
    (Action::ReadChat, "nOPCH|nOPCH"),
    (Action::WriteChat, "noPCH|noPCH"),
    (Action::ReadPrompts, "nOPCH|nOPCH"),
    (Action::InteractPrompts, "noPCH|noPCH"),
    (Action::ReadPresence, "nOPCH|nOPCH"),
    (Action::UpdatePresence, "noPCH|noPCH"),
    (Action::ReadState, "nOPCH|nOPCH"),
    (Action::ReadInsights, "nOPCH|nOPCH"),
    (Action::MintVideoToken, "nOPCH|nOPCH"),
    (Action::OpenSocket, "nOPCH|nOPCH"),
    (Action::ManageRecording, "norCH|norCH"),
    (Action::ManageRetention, "aaaaa|AAAAA"),
    (Action::ReadAuditLog, "nrrrH|AAAAH"),
    (Action::ExportAuditLog, "nrrrr|AAAAA"),
    (Action::CreateMeeting, "MMMMM|AAAAA"),
    (Action::ManageFeatureFlags, "aaaaa|AAAAA"),
];

/// In which meeting states each action is possible, for a caller whose
/// roles allow it. Columns: `scheduled active concluded cancelled`.
const STATE_TABLE: &[(Action, &str)] = &[
    (Action::ReadMeeting, "YYYY"),
    (Action::ReadParticipants, "YYYY"),
    (Action::UpdateMeeting, "YY.."),
    (Action::CancelMeeting, "Y..."),
    (Action::StartMeeting, "Y..."),
    (Action::EndMeeting, ".Y.."),
    (Action::ManageParticipants, "YY.."),
    (Action::ChangeRole, "YY.."),
    (Action::TransferHost, "YY.."),
    (Action::LeaveMeeting, "YY.."),
    (Action::ReadNotes, "YYYY"),
    (Action::WriteNotes, "YY.."),
    (Action::ReadTranscript, ".YY."),
    (Action::WriteTranscript, ".Y.."),
    (Action::ReadChat, ".YY."),
    (Action::WriteChat, ".Y.."),
    (Action::ReadPrompts, "YYY."),
    (Action::InteractPrompts, "YY.."),
    (Action::ReadPresence, "YY.."),
    (Action::UpdatePresence, "YY.."),
    (Action::ReadState, "YYYY"),
    (Action::ReadInsights, "..Y."),
    (Action::MintVideoToken, "YY.."),
    (Action::OpenSocket, "YY.."),
    (Action::ManageRecording, ".Y.."),
    (Action::ManageRetention, "YYYY"),
    (Action::ReadAuditLog, "YYYY"),
    (Action::ExportAuditLog, "YYYY"),
    (Action::CreateMeeting, "YYYY"),
    (Action::ManageFeatureFlags, "YYYY"),
];

const MEETING_ROLE_COLUMNS: [Option<MeetingRole>; 5] = [
    None,
    Some(MeetingRole::Observer),
    Some(MeetingRole::Participant),
    Some(MeetingRole::Cohost),
    Some(MeetingRole::Host),
];

fn subject(org_role: OrgRole, meeting_role: Option<MeetingRole>) -> Subject {
    Subject {
        org_id: Some(ORG.to_owned()),
        org_role,
        meeting_role,
    }
}

fn meeting(state: MeetingState) -> MeetingContext {
    MeetingContext {
        org_id: Some(ORG.to_owned()),
        state,
    }
}

fn cell(decision: Decision) -> char {
    match decision {
        Decision::Allow(Grant::MeetingRole(MeetingRole::Host)) => 'H',
        Decision::Allow(Grant::MeetingRole(MeetingRole::Cohost)) => 'C',
        Decision::Allow(Grant::MeetingRole(MeetingRole::Participant)) => 'P',
        Decision::Allow(Grant::MeetingRole(MeetingRole::Observer)) => 'O',
        Decision::Allow(Grant::OrgAdmin) => 'A',
        Decision::Allow(Grant::OrgMember) => 'M',
        Decision::Deny(Denial::NotAParticipant) => 'n',
        Decision::Deny(Denial::ObserverReadOnly) => 'o',
        Decision::Deny(Denial::RoleInsufficient) => 'r',
        Decision::Deny(Denial::AdminOnly) => 'a',
        Decision::Deny(Denial::MeetingRequired) => '!',
        Decision::Deny(Denial::MeetingState(_)) => 's',
    }
}

fn first_allowed_state(action: Action) -> MeetingState {
    let (_, row) = STATE_TABLE.iter().find(|(a, _)| *a == action).unwrap();
    let i = row.find('Y').unwrap();
    MeetingState::ALL[i]
}

#[test]
fn tables_cover_every_action_once_in_order() {
    let role_actions: Vec<Action> = ROLE_TABLE.iter().map(|(a, _)| *a).collect();
    let state_actions: Vec<Action> = STATE_TABLE.iter().map(|(a, _)| *a).collect();
    assert_eq!(role_actions, Action::ALL.to_vec());
    assert_eq!(state_actions, Action::ALL.to_vec());
}

#[test]
fn every_org_role_meeting_role_and_action_matches_the_role_table() {
    let mut mismatches = Vec::new();
    for (action, expected) in ROLE_TABLE {
        let m = meeting(first_allowed_state(*action));
        let mut actual = String::new();
        for org_role in [OrgRole::Member, OrgRole::Admin] {
            if org_role == OrgRole::Admin {
                actual.push('|');
            }
            for meeting_role in MEETING_ROLE_COLUMNS {
                actual.push(cell(allowed(
                    &subject(org_role, meeting_role),
                    *action,
                    Some(&m),
                )));
            }
        }
        if actual != *expected {
            mismatches.push(format!("{action:?}: expected {expected}, got {actual}"));
        }
    }
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}

#[test]
fn every_action_and_meeting_state_matches_the_state_table() {
    // An admin who hosts holds every role-based right, so only state decides.
    let all_powers = subject(OrgRole::Admin, Some(MeetingRole::Host));
    let mut mismatches = Vec::new();
    for (action, expected) in STATE_TABLE {
        let actual: String = MeetingState::ALL
            .iter()
            .map(
                |state| match allowed(&all_powers, *action, Some(&meeting(*state))) {
                    Decision::Allow(_) => 'Y',
                    Decision::Deny(Denial::MeetingState(s)) if s == *state => '.',
                    other => panic!("{action:?} in {state:?}: unexpected {other:?}"),
                },
            )
            .collect();
        if actual != *expected {
            mismatches.push(format!("{action:?}: expected {expected}, got {actual}"));
        }
    }
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}

#[test]
fn meeting_actions_need_a_meeting() {
    for action in Action::ALL {
        let host = subject(OrgRole::Admin, Some(MeetingRole::Host));
        let decision = allowed(&host, action, None);
        match action.scope() {
            Scope::Meeting => assert_eq!(decision, Decision::Deny(Denial::MeetingRequired)),
            Scope::MeetingOrOrg | Scope::Org => assert!(decision.is_allowed(), "{action:?}"),
        }
    }
}

#[test]
fn organisation_wide_audit_log_and_flags_are_admin_only() {
    let member = subject(OrgRole::Member, None);
    let admin = subject(OrgRole::Admin, None);
    for action in [
        Action::ReadAuditLog,
        Action::ExportAuditLog,
        Action::ManageFeatureFlags,
    ] {
        assert_eq!(
            allowed(&member, action, None),
            Decision::Deny(Denial::AdminOnly)
        );
        assert_eq!(
            allowed(&admin, action, None),
            Decision::Allow(Grant::OrgAdmin)
        );
    }
    assert_eq!(
        allowed(&member, Action::CreateMeeting, None),
        Decision::Allow(Grant::OrgMember)
    );
}

#[test]
fn a_user_without_an_organisation_may_create_meetings() {
    let loner = Subject {
        org_id: None,
        org_role: OrgRole::Member,
        meeting_role: None,
    };
    assert!(allowed(&loner, Action::CreateMeeting, None).is_allowed());
    assert!(!allowed(&loner, Action::ManageFeatureFlags, None).is_allowed());
}

#[test]
fn admin_rights_stop_at_the_admins_own_organisation() {
    let other_org_admin = Subject {
        org_id: Some("org_2".to_owned()),
        org_role: OrgRole::Admin,
        meeting_role: None,
    };
    let m = meeting(MeetingState::Active);
    for action in [
        Action::ReadMeeting,
        Action::ReadAuditLog,
        Action::ExportAuditLog,
    ] {
        assert_eq!(
            allowed(&other_org_admin, action, Some(&m)),
            Decision::Deny(Denial::NotAParticipant),
            "{action:?}"
        );
    }
    // A personal meeting belongs to no organisation: no admin reaches it,
    // not even one whose own session has no organisation either.
    let personal = MeetingContext {
        org_id: None,
        state: MeetingState::Active,
    };
    let orgless_admin = Subject {
        org_id: None,
        org_role: OrgRole::Admin,
        meeting_role: None,
    };
    assert_eq!(
        allowed(&orgless_admin, Action::ReadMeeting, Some(&personal)),
        Decision::Deny(Denial::NotAParticipant)
    );
    assert_eq!(
        allowed(
            &subject(OrgRole::Admin, None),
            Action::ReadMeeting,
            Some(&personal)
        ),
        Decision::Deny(Denial::NotAParticipant)
    );
}

#[test]
fn participants_from_another_organisation_keep_their_meeting_role() {
    let guest = Subject {
        org_id: Some("org_2".to_owned()),
        org_role: OrgRole::Member,
        meeting_role: Some(MeetingRole::Participant),
    };
    let m = meeting(MeetingState::Active);
    assert_eq!(
        allowed(&guest, Action::WriteNotes, Some(&m)),
        Decision::Allow(Grant::MeetingRole(MeetingRole::Participant))
    );
}

#[test]
fn observers_never_write_in_any_state() {
    for org_role in OrgRole::ALL {
        let observer = subject(org_role, Some(MeetingRole::Observer));
        for state in MeetingState::ALL {
            for action in Action::ALL {
                if action.is_read_only() || action.scope() == Scope::Org {
                    continue;
                }
                assert!(
                    !allowed(&observer, action, Some(&meeting(state))).is_allowed(),
                    "{org_role:?} observer may {action:?} in {state:?}"
                );
            }
        }
    }
}

#[test]
fn non_participants_learn_nothing_about_the_meeting_state() {
    let outsider = subject(OrgRole::Member, None);
    for state in MeetingState::ALL {
        for action in Action::ALL
            .into_iter()
            .filter(|a| a.scope() == Scope::Meeting)
        {
            assert_eq!(
                allowed(&outsider, action, Some(&meeting(state))),
                Decision::Deny(Denial::NotAParticipant),
                "{action:?} in {state:?}"
            );
        }
    }
}

#[test]
fn decisions_map_to_api_errors() {
    let forbidden = Decision::Deny(Denial::NotAParticipant)
        .into_result()
        .unwrap_err();
    assert_eq!(forbidden.code, ErrorCode::Forbidden);
    assert_eq!(
        forbidden.body()["error"]["details"]["reason"],
        "DENY_NOT_PARTICIPANT"
    );

    let concluded = Decision::Deny(Denial::MeetingState(MeetingState::Concluded))
        .into_result()
        .unwrap_err();
    assert_eq!(concluded.code, ErrorCode::MeetingNotActive);
    assert_eq!(concluded.body()["error"]["details"]["state"], "concluded");

    let running = Decision::Deny(Denial::MeetingState(MeetingState::Active))
        .into_result()
        .unwrap_err();
    assert_eq!(running.code, ErrorCode::Conflict);

    let bug = Decision::Deny(Denial::MeetingRequired)
        .into_result()
        .unwrap_err();
    assert_eq!(bug.code, ErrorCode::Internal);

    assert_eq!(
        Decision::Allow(Grant::OrgAdmin).into_result().unwrap(),
        Grant::OrgAdmin
    );
}

#[test]
fn reason_codes_are_stable_and_distinct() {
    let decisions = [
        (
            Decision::Allow(Grant::MeetingRole(MeetingRole::Host)),
            "ALLOW_HOST",
        ),
        (
            Decision::Allow(Grant::MeetingRole(MeetingRole::Cohost)),
            "ALLOW_COHOST",
        ),
        (
            Decision::Allow(Grant::MeetingRole(MeetingRole::Participant)),
            "ALLOW_PARTICIPANT",
        ),
        (
            Decision::Allow(Grant::MeetingRole(MeetingRole::Observer)),
            "ALLOW_OBSERVER",
        ),
        (Decision::Allow(Grant::OrgAdmin), "ALLOW_ORG_ADMIN"),
        (Decision::Allow(Grant::OrgMember), "ALLOW_ORG_MEMBER"),
        (
            Decision::Deny(Denial::MeetingRequired),
            "DENY_MEETING_REQUIRED",
        ),
        (
            Decision::Deny(Denial::NotAParticipant),
            "DENY_NOT_PARTICIPANT",
        ),
        (
            Decision::Deny(Denial::ObserverReadOnly),
            "DENY_OBSERVER_READ_ONLY",
        ),
        (
            Decision::Deny(Denial::RoleInsufficient),
            "DENY_ROLE_INSUFFICIENT",
        ),
        (Decision::Deny(Denial::AdminOnly), "DENY_ADMIN_ONLY"),
        (
            Decision::Deny(Denial::MeetingState(MeetingState::Active)),
            "DENY_MEETING_STATE",
        ),
    ];
    for (decision, code) in decisions {
        assert_eq!(decision.reason_code(), code);
    }
}

#[test]
fn wire_names_match_serde() {
    for action in Action::ALL {
        assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
    }
    for role in MeetingRole::ALL {
        assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        assert_eq!(MeetingRole::parse(role.as_str()), Some(role));
    }
    for state in MeetingState::ALL {
        assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
    }
    for role in OrgRole::ALL {
        assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
    }
    assert_eq!(MeetingRole::parse("admin"), None);
}

#[test]
fn workos_admin_slug_makes_an_org_admin() {
    assert_eq!(OrgRole::from_workos(Some("admin"), &[]), OrgRole::Admin);
    assert_eq!(
        OrgRole::from_workos(Some("member"), &["admin".to_owned()]),
        OrgRole::Admin
    );
    assert_eq!(
        OrgRole::from_workos(Some("member"), &["member".to_owned()]),
        OrgRole::Member
    );
    assert_eq!(OrgRole::from_workos(Some("Admin"), &[]), OrgRole::Member);
    assert_eq!(OrgRole::from_workos(None, &[]), OrgRole::Member);
}
