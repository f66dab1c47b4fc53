//! Organisation and meeting roles, and what each may do: the one place that
//! answers "may this subject do that, here, now?" for every route and every
//! room message class. Requirement 4 (per-meeting isolation) and the risk
//! register's "centralised ACL helper" live here.
//!
//! Deny by default. A decision is made in three steps, and the first that
//! fails gives the reason (so audit logs say *why*, and a non-participant
//! never learns a meeting's state from the error):
//!
//! 1. **Scope.** Meeting actions need a meeting.
//! 2. **Role.** The subject's meeting role grants the action, or failing that
//!    their organisation role does. Org admins get read-only, audit-relevant
//!    access to their own organisation's meetings (metadata, the participant
//!    list, the audit log) and nothing of the content: notes, transcripts,
//!    chat and prompts are for participants only (spec §10).
//! 3. **State.** The meeting's lifecycle state allows the action (nobody
//!    writes notes in a concluded meeting, nobody cancels a running one).
//!
//! The role table ("admin" = org admin of the meeting's organisation who is
//! not a participant; an admin who *is* one gets their meeting role's rights
//! plus these):
//!
//! | action                                              | host | cohost | participant | observer | admin |
//! |-----------------------------------------------------|:----:|:------:|:-----------:|:--------:|:-----:|
//! | read meeting, read participants                     |  ✓   |   ✓    |      ✓      |    ✓     |   ✓   |
//! | read notes, transcript, chat, prompts, presence, state, insights | ✓ | ✓ | ✓ | ✓ |   |
//! | open socket, mint video token, leave                |  ✓   |   ✓    |      ✓      |    ✓     |       |
//! | write notes, transcript, chat; use prompts; presence|  ✓   |   ✓    |      ✓      |          |       |
//! | manage participants                                 |  ✓   |   ✓    |             |          |       |
//! | update, cancel, start, end, change role, transfer host |  ✓   |        |             |          |       |
//! | read audit log                                      |  ✓   |        |             |          |   ✓   |
//! | export audit log                                    |      |        |             |          |   ✓   |
//!
//! And by state: changes and joining stop when a meeting ends; transcripts and
//! chat exist from the start; insights only after the end; a cancelled
//! meeting keeps its metadata, notes and audit log readable.
//!
//! Organisation actions: any signed-in user may create a meeting; only org
//! admins manage feature flags or read/export the organisation-wide audit log.
//! The exact tables are written out in the tests.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// A member's role in their WorkOS organisation. A user outside any
/// organisation is a `Member` of none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    Admin,
    Member,
}

impl OrgRole {
    pub const ALL: [OrgRole; 2] = [OrgRole::Member, OrgRole::Admin];

    /// WorkOS role slugs to our role: `admin` (WorkOS's default admin slug)
    /// in `role` or `roles` makes an admin; anything else is a member.
    pub fn from_workos(role: Option<&str>, roles: &[String]) -> OrgRole {
        if role == Some("admin") || roles.iter().any(|r| r == "admin") {
            OrgRole::Admin
        } else {
            OrgRole::Member
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }
}

/// A participant's role in one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum MeetingRole {
    Host,
    Cohost,
    Participant,
    /// Watches and reads; never writes.
    Observer,
}

impl MeetingRole {
    pub const ALL: [MeetingRole; 4] = [
        MeetingRole::Observer,
        MeetingRole::Participant,
        MeetingRole::Cohost,
        MeetingRole::Host,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeetingRole::Host => "host",
            MeetingRole::Cohost => "cohost",
            MeetingRole::Participant => "participant",
            MeetingRole::Observer => "observer",
        }
    }

    pub fn parse(s: &str) -> Option<MeetingRole> {
        MeetingRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Where a meeting is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum MeetingState {
    Scheduled,
    Active,
    Concluded,
    Cancelled,
}

impl MeetingState {
    pub const ALL: [MeetingState; 4] = [
        MeetingState::Scheduled,
        MeetingState::Active,
        MeetingState::Concluded,
        MeetingState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeetingState::Scheduled => "scheduled",
            MeetingState::Active => "active",
            MeetingState::Concluded => "concluded",
            MeetingState::Cancelled => "cancelled",
        }
    }
}

/// Everything a route or a room message can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Meeting metadata and lifecycle.
    ReadMeeting,
    ReadParticipants,
    UpdateMeeting,
    CancelMeeting,
    StartMeeting,
    EndMeeting,
    // Who is in the meeting, and as what.
    ManageParticipants,
    ChangeRole,
    TransferHost,
    LeaveMeeting,
    // Per-meeting data streams.
    ReadNotes,
    WriteNotes,
    ReadTranscript,
    WriteTranscript,
    ReadChat,
    WriteChat,
    ReadPrompts,
    InteractPrompts,
    ReadPresence,
    UpdatePresence,
    ReadState,
    ReadInsights,
    // Getting into the live meeting.
    MintVideoToken,
    OpenSocket,
    // Starting and stopping the call's recording and transcription (F18).
    ManageRecording,
    // Legal holds and retention policies (organisation admins, P20).
    ManageRetention,
    // Audit: a meeting's log with a meeting, the organisation's without.
    ReadAuditLog,
    ExportAuditLog,
    // Organisation-level.
    CreateMeeting,
    ManageFeatureFlags,
}

/// What an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Needs a meeting.
    Meeting,
    /// A meeting's, or with no meeting the whole organisation's.
    MeetingOrOrg,
    /// The organisation; a meeting, if given, is ignored.
    Org,
}

impl Action {
    pub const ALL: [Action; 30] = [
        Action::ReadMeeting,
        Action::ReadParticipants,
        Action::UpdateMeeting,
        Action::CancelMeeting,
        Action::StartMeeting,
        Action::EndMeeting,
        Action::ManageParticipants,
        Action::ChangeRole,
        Action::TransferHost,
        Action::LeaveMeeting,
        Action::ReadNotes,
        Action::WriteNotes,
        Action::ReadTranscript,
        Action::WriteTranscript,
        Action::ReadChat,
        Action::WriteChat,
        Action::ReadPrompts,
        Action::InteractPrompts,
        Action::ReadPresence,
        Action::UpdatePresence,
        Action::ReadState,
        Action::ReadInsights,
        Action::MintVideoToken,
        Action::OpenSocket,
        Action::ManageRecording,
        Action::ManageRetention,
        Action::ReadAuditLog,
        Action::ExportAuditLog,
        Action::CreateMeeting,
        Action::ManageFeatureFlags,
    ];

    /// The wire and audit-log name (`"write_notes"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadMeeting => "read_meeting",
            Action::ReadParticipants => "read_participants",
            Action::UpdateMeeting => "update_meeting",
            Action::CancelMeeting => "cancel_meeting",
            Action::StartMeeting => "start_meeting",
            Action::EndMeeting => "end_meeting",
            Action::ManageParticipants => "manage_participants",
            Action::ChangeRole => "change_role",
            Action::TransferHost => "transfer_host",
            Action::LeaveMeeting => "leave_meeting",
            Action::ReadNotes => "read_notes",
            Action::WriteNotes => "write_notes",
            Action::ReadTranscript => "read_transcript",
            Action::WriteTranscript => "write_transcript",
            Action::ReadChat => "read_chat",
            Action::WriteChat => "write_chat",
            Action::ReadPrompts => "read_prompts",
            Action::InteractPrompts => "interact_prompts",
            Action::ReadPresence => "read_presence",
            Action::UpdatePresence => "update_presence",
            Action::ReadState => "read_state",
            Action::ReadInsights => "read_insights",
            Action::MintVideoToken => "mint_video_token",
            Action::OpenSocket => "open_socket",
            Action::ReadAuditLog => "read_audit_log",
            Action::ExportAuditLog => "export_audit_log",
            Action::CreateMeeting => "create_meeting",
            Action::ManageFeatureFlags => "manage_feature_flags",
            Action::ManageRecording => "manage_recording",
            Action::ManageRetention => "manage_retention",
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Action::ReadAuditLog | Action::ExportAuditLog => Scope::MeetingOrOrg,
            Action::CreateMeeting | Action::ManageFeatureFlags | Action::ManageRetention => {
                Scope::Org
            }
            Action::ReadMeeting
            | Action::ReadParticipants
            | Action::UpdateMeeting
            | Action::CancelMeeting
            | Action::StartMeeting
            | Action::EndMeeting
            | Action::ManageParticipants
            | Action::ChangeRole
            | Action::TransferHost
            | Action::LeaveMeeting
            | Action::ReadNotes
            | Action::WriteNotes
            | Action::ReadTranscript
            | Action::WriteTranscript
            | Action::ReadChat
            | Action::WriteChat
            | Action::ReadPrompts
            | Action::InteractPrompts
            | Action::ReadPresence
            | Action::UpdatePresence
            | Action::ReadState
            | Action::ReadInsights
            | Action::MintVideoToken
            | Action::OpenSocket
            | Action::ManageRecording => Scope::Meeting,
        }
    }

    /// Read-only actions change neither the meeting's content or schedule nor
    /// anyone else's access. Observers are limited to these. Joining (socket,
    /// video token) and leaving count: they touch only the subject's own seat.
    pub fn is_read_only(self) -> bool {
        match self {
            Action::ReadMeeting
            | Action::ReadParticipants
            | Action::ReadNotes
            | Action::ReadTranscript
            | Action::ReadChat
            | Action::ReadPrompts
            | Action::ReadPresence
            | Action::ReadState
            | Action::ReadInsights
            | Action::ReadAuditLog
            | Action::ExportAuditLog
            | Action::MintVideoToken
            | Action::OpenSocket
            | Action::LeaveMeeting => true,
            Action::UpdateMeeting
            | Action::CancelMeeting
            | Action::StartMeeting
            | Action::EndMeeting
            | Action::ManageParticipants
            | Action::ChangeRole
            | Action::TransferHost
            | Action::WriteNotes
            | Action::WriteTranscript
            | Action::WriteChat
            | Action::InteractPrompts
            | Action::UpdatePresence
            | Action::CreateMeeting
            | Action::ManageFeatureFlags
            | Action::ManageRecording
            | Action::ManageRetention => false,
        }
    }
}

/// Who is asking, relative to the meeting in question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The organisation the caller's session is scoped to.
    pub org_id: Option<String>,
    pub org_role: OrgRole,
    /// The caller's role in the meeting; `None` when not a participant.
    pub meeting_role: Option<MeetingRole>,
}

/// The meeting an action targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingContext {
    /// The organisation that owns the meeting; `None` for a personal meeting,
    /// over which no org admin has any say.
    pub org_id: Option<String>,
    pub state: MeetingState,
}

/// What granted an allowed action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    MeetingRole(MeetingRole),
    OrgAdmin,
    /// Any signed-in user (creating a meeting).
    OrgMember,
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// A meeting action was asked without a meeting: a caller bug.
    MeetingRequired,
    NotAParticipant,
    ObserverReadOnly,
    RoleInsufficient,
    AdminOnly,
    /// The role allows it, the meeting's current state does not.
    MeetingState(MeetingState),
}

/// The answer, with a stable reason code for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow(Grant),
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// Stable reason code for audit rows (`"ALLOW_HOST"`, `"DENY_NOT_PARTICIPANT"`).
    pub fn reason_code(self) -> &'static str {
        match self {
            Decision::Allow(Grant::MeetingRole(MeetingRole::Host)) => "ALLOW_HOST",
            Decision::Allow(Grant::MeetingRole(MeetingRole::Cohost)) => "ALLOW_COHOST",
            Decision::Allow(Grant::MeetingRole(MeetingRole::Participant)) => "ALLOW_PARTICIPANT",
            Decision::Allow(Grant::MeetingRole(MeetingRole::Observer)) => "ALLOW_OBSERVER",
            Decision::Allow(Grant::OrgAdmin) => "ALLOW_ORG_ADMIN",
            Decision::Allow(Grant::OrgMember) => "ALLOW_ORG_MEMBER",
            Decision::Deny(Denial::MeetingRequired) => "DENY_MEETING_REQUIRED",
            Decision::Deny(Denial::NotAParticipant) => "DENY_NOT_PARTICIPANT",
            Decision::Deny(Denial::ObserverReadOnly) => "DENY_OBSERVER_READ_ONLY",
            Decision::Deny(Denial::RoleInsufficient) => "DENY_ROLE_INSUFFICIENT",
            Decision::Deny(Denial::AdminOnly) => "DENY_ADMIN_ONLY",
            Decision::Deny(Denial::MeetingState(_)) => "DENY_MEETING_STATE",
        }
    }

    /// The grant, or the API error to answer with.
    pub fn into_result(self) -> Result<Grant, ApiError> {
        let denial = match self {
            Decision::Allow(grant) => return Ok(grant),
            Decision::Deny(denial) => denial,
        };
        let code = match denial {
            Denial::MeetingRequired => ErrorCode::Internal,
            Denial::NotAParticipant
            | Denial::ObserverReadOnly
            | Denial::RoleInsufficient
            | Denial::AdminOnly => ErrorCode::Forbidden,
            Denial::MeetingState(MeetingState::Active) => ErrorCode::Conflict,
            Denial::MeetingState(
                MeetingState::Scheduled | MeetingState::Concluded | MeetingState::Cancelled,
            ) => ErrorCode::MeetingNotActive,
        };
        let message = match denial {
            Denial::MeetingRequired => "meeting required",
            Denial::NotAParticipant => "not a participant of this meeting",
            Denial::ObserverReadOnly => "observers are read-only",
            Denial::RoleInsufficient => "your role does not allow this",
            Denial::AdminOnly => "organisation admins only",
            Denial::MeetingState(_) => "not allowed in the meeting's current state",
        };
        let mut details = serde_json::json!({ "reason": self.reason_code() });
        if let Denial::MeetingState(state) = denial {
            details["state"] = serde_json::Value::from(state.as_str());
        }
        Err(ApiError::new(code, message).with_details(details))
    }
}

const EVERY_ROLE: &[MeetingRole] = &[
    MeetingRole::Host,
    MeetingRole::Cohost,
    MeetingRole::Participant,
    MeetingRole::Observer,
];
const CONTRIBUTORS: &[MeetingRole] = &[
    MeetingRole::Host,
    MeetingRole::Cohost,
    MeetingRole::Participant,
];
const MODERATORS: &[MeetingRole] = &[MeetingRole::Host, MeetingRole::Cohost];
const HOST_ONLY: &[MeetingRole] = &[MeetingRole::Host];
const NO_ROLE: &[MeetingRole] = &[];

/// Meeting roles that grant `action`.
fn meeting_roles_granting(action: Action) -> &'static [MeetingRole] {
    match action {
        Action::ReadMeeting
        | Action::ReadParticipants
        | Action::LeaveMeeting
        | Action::ReadNotes
        | Action::ReadTranscript
        | Action::ReadChat
        | Action::ReadPrompts
        | Action::ReadPresence
        | Action::ReadState
        | Action::ReadInsights
        | Action::MintVideoToken
        | Action::OpenSocket => EVERY_ROLE,
        Action::WriteNotes
        | Action::WriteTranscript
        | Action::WriteChat
        | Action::InteractPrompts
        | Action::UpdatePresence => CONTRIBUTORS,
        Action::ManageParticipants | Action::ManageRecording => MODERATORS,
        Action::UpdateMeeting
        | Action::CancelMeeting
        | Action::StartMeeting
        | Action::EndMeeting
        | Action::ChangeRole
        | Action::TransferHost
        | Action::ReadAuditLog => HOST_ONLY,
        // Export is a compliance function, kept with the organisation.
        Action::ExportAuditLog
        | Action::CreateMeeting
        | Action::ManageFeatureFlags
        | Action::ManageRetention => NO_ROLE,
    }
}

/// What an org admin may do in their organisation without a meeting role.
fn org_admin_may(action: Action) -> bool {
    match action {
        Action::ReadMeeting
        | Action::ReadParticipants
        | Action::ReadAuditLog
        | Action::ExportAuditLog
        | Action::CreateMeeting
        | Action::ManageFeatureFlags
        | Action::ManageRetention => true,
        Action::UpdateMeeting
        | Action::CancelMeeting
        | Action::StartMeeting
        | Action::EndMeeting
        | Action::ManageParticipants
        | Action::ChangeRole
        | Action::TransferHost
        | Action::LeaveMeeting
        | Action::ReadNotes
        | Action::WriteNotes
        | Action::ReadTranscript
        | Action::WriteTranscript
        | Action::ReadChat
        | Action::WriteChat
        | Action::ReadPrompts
        | Action::InteractPrompts
        | Action::ReadPresence
        | Action::UpdatePresence
        | Action::ReadState
        | Action::ReadInsights
        | Action::MintVideoToken
        | Action::OpenSocket
        | Action::ManageRecording => false,
    }
}

/// What any signed-in user may do.
fn anyone_may(action: Action) -> bool {
    action == Action::CreateMeeting
}

const ANY_STATE: &[MeetingState] = &[
    MeetingState::Scheduled,
    MeetingState::Active,
    MeetingState::Concluded,
    MeetingState::Cancelled,
];
const BEFORE_END: &[MeetingState] = &[MeetingState::Scheduled, MeetingState::Active];
const ACTIVE_OR_AFTER: &[MeetingState] = &[MeetingState::Active, MeetingState::Concluded];
const NOT_CANCELLED: &[MeetingState] = &[
    MeetingState::Scheduled,
    MeetingState::Active,
    MeetingState::Concluded,
];

/// The meeting states in which `action` is possible at all.
fn states_allowing(action: Action) -> &'static [MeetingState] {
    match action {
        Action::ReadMeeting
        | Action::ReadParticipants
        | Action::ReadState
        // Agenda notes written before a cancellation stay readable.
        | Action::ReadNotes
        | Action::ReadAuditLog
        | Action::ExportAuditLog
        | Action::CreateMeeting
        | Action::ManageFeatureFlags
        | Action::ManageRetention => ANY_STATE,
        // Everything that changes the meeting or joins it stops at the end.
        Action::UpdateMeeting
        | Action::ManageParticipants
        | Action::ChangeRole
        | Action::TransferHost
        | Action::LeaveMeeting
        | Action::WriteNotes
        | Action::InteractPrompts
        | Action::ReadPresence
        | Action::UpdatePresence
        // The lobby: people connect and fetch a call token before the start.
        | Action::MintVideoToken
        | Action::OpenSocket => BEFORE_END,
        Action::CancelMeeting | Action::StartMeeting => &[MeetingState::Scheduled],
        Action::EndMeeting
        | Action::WriteTranscript
        | Action::WriteChat
        | Action::ManageRecording => &[MeetingState::Active],
        Action::ReadTranscript | Action::ReadChat => ACTIVE_OR_AFTER,
        // Pre-call prompts exist before the meeting starts.
        Action::ReadPrompts => NOT_CANCELLED,
        Action::ReadInsights => &[MeetingState::Concluded],
    }
}

/// May `subject` do `action` on `meeting` (or organisation-wide, when `None`)?
/// An organisation-level action (no meeting): the organisation it applies
/// to when allowed, else the refusing decision (a subject in no
/// organisation is refused whatever the ACL says).
pub fn authorize_org(subject: &Subject, action: Action) -> Result<String, Decision> {
    let decision = allowed(subject, action, None);
    match (&subject.org_id, decision.is_allowed()) {
        (Some(org), true) => Ok(org.clone()),
        _ => Err(decision),
    }
}

pub fn allowed(subject: &Subject, action: Action, meeting: Option<&MeetingContext>) -> Decision {
    let scope = action.scope();
    let meeting = match scope {
        Scope::Org => None,
        Scope::Meeting | Scope::MeetingOrOrg => meeting,
    };
    if scope == Scope::Meeting && meeting.is_none() {
        return Decision::Deny(Denial::MeetingRequired);
    }

    // A meeting role only means something with its meeting; admin rights
    // only within the admin's own organisation.
    let meeting_role = meeting.and(subject.meeting_role);
    let admin_here = subject.org_role == OrgRole::Admin
        && match meeting {
            Some(m) => subject.org_id.is_some() && m.org_id == subject.org_id,
            None => true,
        };

    let grant = match meeting_role {
        Some(role) if meeting_roles_granting(action).contains(&role) => {
            Some(Grant::MeetingRole(role))
        }
        _ if admin_here && org_admin_may(action) => Some(Grant::OrgAdmin),
        _ if anyone_may(action) => Some(Grant::OrgMember),
        _ => None,
    };
    let Some(grant) = grant else {
        let denial = match (meeting, meeting_role) {
            (None, _) => Denial::AdminOnly,
            (Some(_), None) => Denial::NotAParticipant,
            (Some(_), Some(MeetingRole::Observer)) if !action.is_read_only() => {
                Denial::ObserverReadOnly
            }
            (Some(_), Some(_)) => Denial::RoleInsufficient,
        };
        return Decision::Deny(denial);
    };

    if let Some(m) = meeting {
        if !states_allowing(action).contains(&m.state) {
            return Decision::Deny(Denial::MeetingState(m.state));
        }
    }
    Decision::Allow(grant)
}
