//! `PATCH /v1/meetings/{id}` as a plan: the host edits title, description,
//! schedule and the recording/transcription flags. Optimistic concurrency:
//! the edit applies to the version the caller read (`version` in the body)
//! or, when absent, to the version the pipeline read; a concurrent edit is a
//! 409 `VERSION_MISMATCH` ([`lost_race`] tells it from a meeting that ended
//! meanwhile).

use serde_json::json;

use super::{action, AuditNote, Guard, GuardError, Plan, Reply};
use crate::error::{ApiError, ErrorCode};
use crate::meeting::access::not_visible;
use crate::meeting::request::{apply_patch, MeetingPatch};
use crate::meeting::view::MeetingRow;
use crate::sql::meetings::MeetingUpdateDetails;

fn version_conflict(current: i64) -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "the meeting changed since you read it; read it again",
    )
    .with_details(json!({ "reason": "VERSION_MISMATCH", "version": current }))
}

/// The version the edit applies to.
pub fn expected_version(meeting: &MeetingRow, patch: &MeetingPatch) -> i64 {
    patch.expected_version.unwrap_or(meeting.version)
}

pub fn plan(meeting: &MeetingRow, patch: &MeetingPatch, now: i64) -> Result<Plan, ApiError> {
    let expected = expected_version(meeting, patch);
    if expected != meeting.version {
        return Err(version_conflict(meeting.version));
    }
    let next = apply_patch(&meeting.details(), meeting.state(), patch)?;
    Ok(Plan {
        statements: vec![MeetingUpdateDetails {
            id: &meeting.id,
            expected_version: expected,
            title: &next.title,
            description: next.description.as_deref(),
            scheduled_at: next.scheduled_at,
            duration_ms: next.duration_ms,
            recording_enabled: next.recording_enabled,
            transcription_enabled: next.transcription_enabled,
            now_ms: now,
        }
        .statement()],
        guards: vec![Guard {
            index: 0,
            at_least: 1,
            error: GuardError::ReReadMeeting,
        }],
        audit: vec![AuditNote {
            action: action::UPDATE,
            meta: vec![("version", json!(expected + 1))],
        }],
        notices: Vec::new(),
        jobs: Vec::new(),
        response: Reply::Meeting {
            status: 200,
            meeting_id: meeting.id.clone(),
        },
    })
}

/// The 409 for an edit the guarded update refused, from the meeting as it
/// is now.
pub fn lost_race(current: Option<&MeetingRow>, expected: i64) -> ApiError {
    match current {
        Some(m) if m.version != expected => version_conflict(m.version),
        // Same version but refused: the meeting ended meanwhile.
        Some(m) => ApiError::new(ErrorCode::Conflict, "the meeting can no longer be edited")
            .with_details(json!({ "reason": "NOT_EDITABLE", "state": m.state })),
        None => not_visible(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::request::parse_patch;
    use crate::meeting::view::tests::row_value;

    fn meeting(version: i64, state: &str) -> MeetingRow {
        let mut v = row_value();
        v["version"] = json!(version);
        v["state"] = json!(state);
        MeetingRow::from_value(v).unwrap()
    }

    #[test]
    fn an_edit_of_the_read_version_is_one_guarded_update() {
        let m = meeting(3, "scheduled");
        let patch = parse_patch(br#"{"title":"New"}"#, 0).unwrap();
        let plan = plan(&m, &patch, 7).unwrap();
        assert_eq!(plan.statements[0].name, "MEETING_UPDATE_DETAILS");
        assert_eq!(plan.audit[0].meta, vec![("version", json!(4))]);
        assert_eq!(plan.guards[0].error, GuardError::ReReadMeeting);
    }

    #[test]
    fn a_stale_version_is_409_with_the_current_one() {
        let m = meeting(3, "scheduled");
        let patch = parse_patch(br#"{"title":"New","version":2}"#, 0).unwrap();
        let err = plan(&m, &patch, 7).unwrap_err();
        assert_eq!(err.details.unwrap()["version"], 3);
        assert_eq!(
            lost_race(Some(&meeting(4, "scheduled")), 3)
                .details
                .unwrap()["reason"],
            "VERSION_MISMATCH"
        );
        assert_eq!(
            lost_race(Some(&meeting(3, "concluded")), 3)
                .details
                .unwrap()["reason"],
            "NOT_EDITABLE"
        );
    }
}
