//! The bodies of the meeting routes, parsed into typed values. All times are
//! unix milliseconds. Every error is a `VALIDATION_ERROR` naming the field
//! (see [`super::fields`]); a body that parses here is safe to store.

use serde_json::{Map, Value};

use crate::acl::{MeetingRole, MeetingState};
use crate::error::{ApiError, ErrorCode};
use crate::route::is_valid_id;
use crate::validation::{invalid, parse_object, reason, FieldReader};

pub const TITLE_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 4000;
/// Members of one meeting, the host included (also Stream's member list).
pub const MAX_PARTICIPANTS: usize = 100;
pub const MIN_DURATION_MS: i64 = 60_000;
pub const MAX_DURATION_MS: i64 = 24 * 60 * 60 * 1000;
pub const DEFAULT_DURATION_MS: i64 = 30 * 60 * 1000;
/// A planned start a little in the past is an "instant" meeting whose
/// request took a moment; further back is a mistake.
pub const SCHEDULE_PAST_TOLERANCE_MS: i64 = 5 * 60 * 1000;
pub const SCHEDULE_HORIZON_MS: i64 = 366 * 24 * 60 * 60 * 1000;

/// Someone invited with a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub user_id: String,
    pub role: MeetingRole,
}

/// `POST /v1/meetings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateMeeting {
    pub title: String,
    pub description: Option<String>,
    pub scheduled_at: i64,
    pub duration_ms: i64,
    pub recording_enabled: bool,
    pub transcription_enabled: bool,
    /// Everyone but the creator, who is always the host.
    pub invitees: Vec<Invitee>,
}

/// The roles a member can be given directly. `host` changes hands only by
/// transfer.
fn parse_member_role(s: &str) -> Option<MeetingRole> {
    MeetingRole::parse(s).filter(|r| *r != MeetingRole::Host)
}
const MEMBER_ROLES: &str = "cohost, participant, observer";

fn check_scheduled_at(path: &str, at: i64, now_ms: i64) -> Result<i64, ApiError> {
    let earliest = now_ms.saturating_sub(SCHEDULE_PAST_TOLERANCE_MS);
    let latest = now_ms.saturating_add(SCHEDULE_HORIZON_MS);
    if at < earliest || at > latest {
        return Err(invalid(
            path,
            reason::OUT_OF_RANGE,
            format!("{path} must be between 5 minutes ago and a year from now"),
        ));
    }
    Ok(at)
}

fn read_invitee(value: &Value, path: &str) -> Result<Invitee, ApiError> {
    let mut f = FieldReader::element(value, path)?;
    let user_id = f.id("user_id", is_valid_id)?;
    let role = f
        .opt_enum("role", parse_member_role, MEMBER_ROLES)?
        .unwrap_or(MeetingRole::Participant);
    f.finish()?;
    Ok(Invitee { user_id, role })
}

/// Parses a create body. `creator` is the caller (the host); `now_ms` bounds
/// the planned start.
pub fn parse_create(body: &[u8], creator: &str, now_ms: i64) -> Result<CreateMeeting, ApiError> {
    let map = parse_object(body)?;
    let mut f = FieldReader::new(&map, "");
    let title = f.text("title", TITLE_MAX_CHARS, false)?;
    let description = f.opt_text("description", DESCRIPTION_MAX_CHARS, true)?;
    let scheduled_at = match f.opt_int("scheduled_at", 0, i64::MAX)? {
        Some(at) => check_scheduled_at("scheduled_at", at, now_ms)?,
        None => now_ms,
    };
    let duration_ms = f
        .opt_int("duration_ms", MIN_DURATION_MS, MAX_DURATION_MS)?
        .unwrap_or(DEFAULT_DURATION_MS);
    let recording_enabled = f.opt_bool("recording_enabled")?.unwrap_or(false);
    let transcription_enabled = f.opt_bool("transcription_enabled")?.unwrap_or(true);
    let mut invitees: Vec<Invitee> = Vec::new();
    if let Some(items) = f.opt_array("participants", MAX_PARTICIPANTS - 1)? {
        for (i, item) in items.iter().enumerate() {
            let path = format!("participants[{i}]");
            let invitee = read_invitee(item, &path)?;
            if invitee.user_id == creator {
                return Err(invalid(
                    &format!("{path}.user_id"),
                    reason::INVALID_VALUE,
                    "the creator is the host and cannot be invited",
                ));
            }
            if invitees.iter().any(|x| x.user_id == invitee.user_id) {
                return Err(invalid(
                    &format!("{path}.user_id"),
                    reason::DUPLICATE,
                    "this user is invited twice",
                ));
            }
            invitees.push(invitee);
        }
    }
    f.finish()?;
    Ok(CreateMeeting {
        title,
        description,
        scheduled_at,
        duration_ms,
        recording_enabled,
        transcription_enabled,
        invitees,
    })
}

/// The editable fields of a meeting, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub title: String,
    pub description: Option<String>,
    pub scheduled_at: i64,
    pub duration_ms: Option<i64>,
    pub recording_enabled: bool,
    pub transcription_enabled: bool,
}

/// `PATCH /v1/meetings/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingPatch {
    pub title: Option<String>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub scheduled_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub recording_enabled: Option<bool>,
    pub transcription_enabled: Option<bool>,
    /// Optimistic concurrency: when given, the update applies only to this
    /// version (`CONFLICT` otherwise).
    pub expected_version: Option<i64>,
}

pub fn parse_patch(body: &[u8], now_ms: i64) -> Result<MeetingPatch, ApiError> {
    let map: Map<String, Value> = parse_object(body)?;
    let mut f = FieldReader::new(&map, "");
    let patch = MeetingPatch {
        title: f.opt_text("title", TITLE_MAX_CHARS, false)?,
        description: f.patch_text("description", DESCRIPTION_MAX_CHARS, true)?,
        scheduled_at: match f.opt_int("scheduled_at", 0, i64::MAX)? {
            Some(at) => Some(check_scheduled_at("scheduled_at", at, now_ms)?),
            None => None,
        },
        duration_ms: f.opt_int("duration_ms", MIN_DURATION_MS, MAX_DURATION_MS)?,
        recording_enabled: f.opt_bool("recording_enabled")?,
        transcription_enabled: f.opt_bool("transcription_enabled")?,
        expected_version: f.opt_int("version", 1, i64::MAX)?,
    };
    f.finish()?;
    let changes_something = patch.title.is_some()
        || patch.description.is_some()
        || patch.scheduled_at.is_some()
        || patch.duration_ms.is_some()
        || patch.recording_enabled.is_some()
        || patch.transcription_enabled.is_some();
    if !changes_something {
        return Err(invalid(
            "body",
            reason::REQUIRED,
            "nothing to change: give at least one field",
        ));
    }
    Ok(patch)
}

/// The details after `patch`. Once a meeting has started its schedule is
/// history: changing `scheduled_at` or `duration_ms` then is a `CONFLICT`.
pub fn apply_patch(
    current: &Details,
    state: MeetingState,
    patch: &MeetingPatch,
) -> Result<Details, ApiError> {
    if state != MeetingState::Scheduled {
        let locked = [
            ("scheduled_at", patch.scheduled_at.is_some()),
            ("duration_ms", patch.duration_ms.is_some()),
        ];
        if let Some((field, _)) = locked.iter().find(|(_, present)| *present) {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("{field} cannot change once the meeting has started"),
            )
            .with_details(serde_json::json!({
                "field": field,
                "reason": "LOCKED_AFTER_START",
                "state": state.as_str(),
            })));
        }
    }
    Ok(Details {
        title: patch.title.clone().unwrap_or_else(|| current.title.clone()),
        description: patch
            .description
            .clone()
            .unwrap_or_else(|| current.description.clone()),
        scheduled_at: patch.scheduled_at.unwrap_or(current.scheduled_at),
        duration_ms: patch.duration_ms.or(current.duration_ms),
        recording_enabled: patch.recording_enabled.unwrap_or(current.recording_enabled),
        transcription_enabled: patch
            .transcription_enabled
            .unwrap_or(current.transcription_enabled),
    })
}

/// `POST /v1/meetings/{id}/participants`: `{"user_id", "role"?}`.
pub fn parse_add_participant(body: &[u8]) -> Result<Invitee, ApiError> {
    let map = parse_object(body)?;
    read_invitee(&Value::Object(map), "")
}

/// `PATCH /v1/meetings/{id}/participants/{user_id}`: `{"role"}`.
pub fn parse_change_role(body: &[u8]) -> Result<MeetingRole, ApiError> {
    let map = parse_object(body)?;
    let mut f = FieldReader::new(&map, "");
    let role = f.opt_enum("role", MeetingRole::parse, "cohost, participant, observer")?;
    f.finish()?;
    match role {
        None => Err(invalid("role", reason::REQUIRED, "role is required")),
        Some(MeetingRole::Host) => Err(invalid(
            "role",
            reason::INVALID_VALUE,
            "the host role moves only with POST /v1/meetings/{id}/transfer-host",
        )),
        Some(role) => Ok(role),
    }
}

/// `POST /v1/meetings/{id}/transfer-host`: `{"user_id"}`.
pub fn parse_transfer_host(body: &[u8]) -> Result<String, ApiError> {
    let map = parse_object(body)?;
    let mut f = FieldReader::new(&map, "");
    let user_id = f.id("user_id", is_valid_id)?;
    f.finish()?;
    Ok(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    fn field_of(err: &ApiError) -> String {
        err.details.as_ref().unwrap()["field"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn create(body: serde_json::Value) -> Result<CreateMeeting, ApiError> {
        parse_create(body.to_string().as_bytes(), "user_host", NOW)
    }

    #[test]
    fn a_full_create_body() {
        let m = create(json!({
            "title": " Coffee chat ", "description": "line1\nline2",
            "scheduled_at": NOW + 3_600_000, "duration_ms": 1_800_000,
            "recording_enabled": true,
            "participants": [{"user_id": "user_a"}, {"user_id": "user_b", "role": "cohost"}]
        }))
        .unwrap();
        assert_eq!(m.title, "Coffee chat");
        assert_eq!(m.description.as_deref(), Some("line1\nline2"));
        assert_eq!(m.scheduled_at, NOW + 3_600_000);
        assert!(m.recording_enabled && m.transcription_enabled);
        assert_eq!(
            m.invitees,
            vec![
                Invitee {
                    user_id: "user_a".into(),
                    role: MeetingRole::Participant
                },
                Invitee {
                    user_id: "user_b".into(),
                    role: MeetingRole::Cohost
                }
            ]
        );
    }

    #[test]
    fn defaults_make_an_instant_meeting() {
        let m = create(json!({"title": "Now"})).unwrap();
        assert_eq!(m.scheduled_at, NOW);
        assert_eq!(m.duration_ms, DEFAULT_DURATION_MS);
        assert!(m.invitees.is_empty());
    }

    #[test]
    fn create_errors_name_the_field() {
        let cases = [
            (json!({}), "title"),
            (json!({"title": 5}), "title"),
            (json!({"title": "x".repeat(201)}), "title"),
            (
                json!({"title": "t", "scheduled_at": NOW - 3_600_000}),
                "scheduled_at",
            ),
            (
                json!({"title": "t", "scheduled_at": "tomorrow"}),
                "scheduled_at",
            ),
            (json!({"title": "t", "duration_ms": 10}), "duration_ms"),
            (json!({"title": "t", "participants": {}}), "participants"),
            (
                json!({"title": "t", "participants": [5]}),
                "participants[0]",
            ),
            (
                json!({"title": "t", "participants": [{"user_id": "a b"}]}),
                "participants[0].user_id",
            ),
            (
                json!({"title": "t", "participants": [{"user_id": "u", "role": "host"}]}),
                "participants[0].role",
            ),
            (
                json!({"title": "t", "participants": [{"user_id": "u", "x": 1}]}),
                "participants[0].x",
            ),
            (
                json!({"title": "t", "participants": [{"user_id": "u"}, {"user_id": "u"}]}),
                "participants[1].user_id",
            ),
            (
                json!({"title": "t", "participants": [{"user_id": "user_host"}]}),
                "participants[0].user_id",
            ),
            (json!({"title": "t", "colour": "red"}), "colour"),
        ];
        for (body, field) in cases {
            let err = create(body.clone()).unwrap_err();
            assert_eq!(err.code, ErrorCode::ValidationError, "{body}");
            assert_eq!(field_of(&err), field, "{body}");
        }
        let too_many: Vec<_> = (0..MAX_PARTICIPANTS)
            .map(|i| json!({"user_id": format!("u{i}")}))
            .collect();
        let err = create(json!({"title": "t", "participants": too_many})).unwrap_err();
        assert_eq!(field_of(&err), "participants");
    }

    fn details() -> Details {
        Details {
            title: "Old".into(),
            description: Some("d".into()),
            scheduled_at: NOW,
            duration_ms: Some(60_000),
            recording_enabled: false,
            transcription_enabled: true,
        }
    }

    #[test]
    fn patches_apply_field_by_field() {
        let p = parse_patch(br#"{"title":"New","description":null,"version":3}"#, NOW).unwrap();
        assert_eq!(p.expected_version, Some(3));
        let d = apply_patch(&details(), MeetingState::Scheduled, &p).unwrap();
        assert_eq!(d.title, "New");
        assert_eq!(d.description, None);
        assert_eq!(d.scheduled_at, NOW);
        assert!(parse_patch(b"{}", NOW).is_err());
        assert!(parse_patch(br#"{"version":3}"#, NOW).is_err());
        assert_eq!(
            field_of(&parse_patch(br#"{"state":"active"}"#, NOW).unwrap_err()),
            "state"
        );
    }

    #[test]
    fn the_schedule_is_locked_once_started() {
        let p = parse_patch(
            format!(r#"{{"scheduled_at":{}}}"#, NOW + 1000).as_bytes(),
            NOW,
        )
        .unwrap();
        assert!(apply_patch(&details(), MeetingState::Scheduled, &p).is_ok());
        let err = apply_patch(&details(), MeetingState::Active, &p).unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert_eq!(field_of(&err), "scheduled_at");
        let title = parse_patch(br#"{"title":"x"}"#, NOW).unwrap();
        assert!(apply_patch(&details(), MeetingState::Active, &title).is_ok());
    }

    #[test]
    fn participant_bodies() {
        let i = parse_add_participant(br#"{"user_id":"user_x","role":"observer"}"#).unwrap();
        assert_eq!(i.role, MeetingRole::Observer);
        let err = parse_add_participant(br#"{"role":"observer"}"#).unwrap_err();
        assert_eq!(field_of(&err), "user_id");
        let err = parse_add_participant(br#"{"user_id":"u","role":"host"}"#).unwrap_err();
        assert_eq!(field_of(&err), "role");
        assert_eq!(
            parse_change_role(br#"{"role":"cohost"}"#).unwrap(),
            MeetingRole::Cohost
        );
        assert!(parse_change_role(br#"{"role":"host"}"#).is_err());
        assert!(parse_change_role(b"{}").is_err());
        assert_eq!(parse_transfer_host(br#"{"user_id":"u1"}"#).unwrap(), "u1");
        assert!(parse_transfer_host(br#"{"user_id":""}"#).is_err());
    }
}
