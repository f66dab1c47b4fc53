//! Meeting and participant rows as D1 returns them (the columns of the
//! `sql::meetings` / `sql::participants` statements), and the JSON the API
//! answers with. Decoding is from `serde_json::Value` so it is the same
//! natively and in the worker.

use serde::Deserialize;
use serde_json::{json, Value};

use super::lifecycle::parse_state;
use super::request::Details;
use crate::acl::{MeetingContext, MeetingRole, MeetingState};

/// A row of `MEETING_GET` (and every statement using `meeting_columns!`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MeetingRow {
    pub id: String,
    pub organizer_id: Option<String>,
    pub org_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub scheduled_at: i64,
    pub duration_ms: Option<i64>,
    pub state: String,
    pub started_at: Option<i64>,
    pub concluded_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub participant_count: i64,
    pub recording_enabled: i64,
    pub transcription_enabled: i64,
    pub stream_call_type: Option<String>,
    pub stream_call_id: Option<String>,
    pub stream_call_cid: Option<String>,
    pub provisioning_status: String,
    pub provisioning_error: Option<String>,
    pub provisioning_attempts: i64,
    pub provisioned_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Provisioning as stored in `meetings.provisioning_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioning {
    Pending,
    Provisioning,
    Ready,
    Failed,
}

impl Provisioning {
    pub fn parse(s: &str) -> Option<Provisioning> {
        match s {
            "pending" => Some(Provisioning::Pending),
            "provisioning" => Some(Provisioning::Provisioning),
            "ready" => Some(Provisioning::Ready),
            "failed" => Some(Provisioning::Failed),
            _ => None,
        }
    }
}

impl MeetingRow {
    pub fn from_value(value: Value) -> Result<MeetingRow, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// The lifecycle state. The column's CHECK constraint makes anything
    /// else impossible; it would be read as `cancelled`, the most closed.
    pub fn state(&self) -> MeetingState {
        parse_state(&self.state).unwrap_or(MeetingState::Cancelled)
    }

    pub fn provisioning(&self) -> Provisioning {
        Provisioning::parse(&self.provisioning_status).unwrap_or(Provisioning::Failed)
    }

    /// What the ACL needs to know about this meeting.
    pub fn acl_context(&self) -> MeetingContext {
        MeetingContext {
            org_id: self.org_id.clone(),
            state: self.state(),
        }
    }

    pub fn details(&self) -> Details {
        Details {
            title: self.title.clone(),
            description: self.description.clone(),
            scheduled_at: self.scheduled_at,
            duration_ms: self.duration_ms,
            recording_enabled: self.recording_enabled != 0,
            transcription_enabled: self.transcription_enabled != 0,
        }
    }

    /// The API's representation.
    pub fn to_json(&self) -> Value {
        // Stored as JSON text by the provisioning job; shown as JSON.
        let error = self
            .provisioning_error
            .as_deref()
            .map(|text| serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::from(text)));
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "organizer_id": self.organizer_id,
            "org_id": self.org_id,
            "scheduled_at": self.scheduled_at,
            "duration_ms": self.duration_ms,
            "state": self.state,
            "started_at": self.started_at,
            "concluded_at": self.concluded_at,
            "cancelled_at": self.cancelled_at,
            "participant_count": self.participant_count,
            "recording_enabled": self.recording_enabled != 0,
            "transcription_enabled": self.transcription_enabled != 0,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "video": {
                "provider": "stream",
                "status": self.provisioning_status,
                "call_type": self.stream_call_type,
                "call_id": self.stream_call_id,
                "call_cid": self.stream_call_cid,
                "attempts": self.provisioning_attempts,
                "provisioned_at": self.provisioned_at,
                "error": error,
            },
        })
    }
}

/// A row of `PARTICIPANT_GET`: the caller's (or a target's) membership.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MembershipRow {
    pub meeting_id: String,
    pub user_id: String,
    pub role: String,
    pub presence: String,
    pub joined_at: Option<i64>,
    pub left_at: Option<i64>,
    pub presence_changed_at: Option<i64>,
    pub stream_session_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl MembershipRow {
    /// The stored role; the CHECK constraint rules out anything else, which
    /// would be read as the least privileged role.
    pub fn role(&self) -> MeetingRole {
        MeetingRole::parse(&self.role).unwrap_or(MeetingRole::Observer)
    }
}

/// A row of `PARTICIPANT_LIST_BY_MEETING`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ParticipantListRow {
    pub user_id: String,
    pub role: String,
    pub presence: String,
    pub joined_at: Option<i64>,
    pub left_at: Option<i64>,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

impl ParticipantListRow {
    pub fn to_json(&self) -> Value {
        json!({
            "user_id": self.user_id,
            "role": self.role,
            "presence": self.presence,
            "joined_at": self.joined_at,
            "left_at": self.left_at,
            "display_name": self.display_name,
            "avatar_url": self.avatar_url,
        })
    }
}

/// The caller's own columns on a `MEETING_LIST_FOR_USER_*` row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MyMembership {
    pub role: String,
    pub presence: String,
}

/// A list row: the meeting plus the caller's role and presence in it.
pub fn list_item(value: Value) -> Result<(MeetingRow, Value), serde_json::Error> {
    let mine: MyMembership = serde_json::from_value(value.clone())?;
    let row = MeetingRow::from_value(value)?;
    let mut item = row.to_json();
    item["my_role"] = Value::from(mine.role);
    item["my_presence"] = Value::from(mine.presence);
    Ok((row, item))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A plausible `MEETING_GET` row.
    pub(crate) fn row_value() -> Value {
        json!({
            "id": "mtg_1", "organizer_id": "user_h", "org_id": null, "title": "T",
            "description": null, "scheduled_at": 1000, "duration_ms": 60000, "state": "active",
            "started_at": 1100, "concluded_at": null, "cancelled_at": null, "participant_count": 2,
            "recording_enabled": 0, "transcription_enabled": 1, "stream_call_type": "default",
            "stream_call_id": "mtg_1", "stream_call_cid": "default:mtg_1",
            "provisioning_status": "failed",
            "provisioning_error": "{\"status\":400,\"code\":4,\"message\":\"bad\"}",
            "provisioning_attempts": 1, "provisioned_at": null, "version": 2,
            "created_at": 900, "updated_at": 1100
        })
    }

    #[test]
    fn decodes_and_renders() {
        let row = MeetingRow::from_value(row_value()).unwrap();
        assert_eq!(row.state(), MeetingState::Active);
        assert_eq!(row.provisioning(), Provisioning::Failed);
        let v = row.to_json();
        assert_eq!(v["state"], "active");
        assert_eq!(v["transcription_enabled"], true);
        assert_eq!(v["video"]["call_cid"], "default:mtg_1");
        assert_eq!(v["video"]["error"]["code"], 4);
        assert_eq!(row.details().duration_ms, Some(60000));
    }

    #[test]
    fn list_rows_carry_my_role() {
        let mut value = row_value();
        value["role"] = json!("host");
        value["presence"] = json!("joined");
        let (row, item) = list_item(value).unwrap();
        assert_eq!(row.id, "mtg_1");
        assert_eq!(item["my_role"], "host");
        assert_eq!(item["my_presence"], "joined");
    }
}
