//! The internal contract between the API worker and a meeting's MeetingRoom
//! Durable Object: the requests the worker sends to `https://room/internal/…`
//! and the headers it adds when it forwards a WebSocket upgrade to
//! `https://room/ws`. Both sides use these types, so the JSON cannot drift;
//! docs/protocol.md ("Internal endpoints") describes the same contract.
//!
//! The object is reachable only through the `MEETING_ROOM` binding, never
//! from the internet, so these requests carry no credential of their own.
//! D1 stays the source of truth for membership and lifecycle: these calls
//! tell the live room what already happened there.

use serde::{Deserialize, Serialize};

/// Where each internal request goes (the host part is ignored by the runtime).
pub mod path {
    pub const STATE: &str = "https://room/internal/state";
    pub const MEMBER: &str = "https://room/internal/member";
    pub const PRESENCE: &str = "https://room/internal/presence";
    pub const CAPTION: &str = "https://room/internal/caption";
    pub const END: &str = "https://room/internal/end";
    /// The WebSocket upgrade, forwarded after the ticket and the roster check.
    pub const WS: &str = "https://room/ws";
}

/// Headers the worker sets on the forwarded WebSocket upgrade (and strips
/// from whatever the client sent, so none can be forged).
pub mod header {
    /// The meeting the room serves: on every internal request and on the
    /// forwarded upgrade, so a room that has never been opened knows its id.
    pub const MEETING_ID: &str = "x-connvo-meeting-id";
    pub const USER_ID: &str = "x-connvo-user-id";
    /// The caller's meeting role, read from D1 at upgrade time.
    pub const ROLE: &str = "x-connvo-role";
    /// `admin` or `member` in the caller's organisation.
    pub const ORG_ROLE: &str = "x-connvo-org-role";
    /// The meeting's lifecycle state at upgrade time.
    pub const MEETING_STATE: &str = "x-connvo-meeting-state";
    /// The ticket's 16-byte nonce in lowercase hex, for the room's
    /// single-use check (`auth::ticket::UsedNonces`).
    pub const TICKET_NONCE: &str = "x-connvo-ticket-nonce";
    /// The ticket's expiry, unix ms: the room keeps the nonce until then.
    pub const TICKET_EXP_MS: &str = "x-connvo-ticket-exp-ms";
    pub const REQUEST_ID: &str = "x-connvo-request-id";

    /// Every header above: the worker removes these from client requests.
    pub const ALL: [&str; 8] = [
        MEETING_ID,
        USER_ID,
        ROLE,
        ORG_ROLE,
        MEETING_STATE,
        TICKET_NONCE,
        TICKET_EXP_MS,
        REQUEST_ID,
    ];
}

/// `POST /internal/state`: the meeting's lifecycle state changed in D1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateNotice {
    /// `active`, `concluded` or `cancelled`.
    pub state: String,
    pub at_ms: i64,
}

/// What happened to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    /// Their role changed: re-check every later message against `role`.
    SetRole,
    /// They are no longer a member: close their sockets.
    Revoke,
}

/// `POST /internal/member`: a membership change, to take effect on the
/// member's live sockets within a second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberNotice {
    pub user_id: String,
    pub action: MemberAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Joined or left the video call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Joined,
    Left,
}

/// `POST /internal/presence`: Stream saw someone join or leave the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceNotice {
    pub user_id: String,
    pub status: PresenceStatus,
    pub at_ms: i64,
}

/// `POST /internal/caption`: one final line of Stream's closed captions, to
/// append to the live transcript. `caption_id` is stable across webhook
/// redeliveries, so the room can drop a repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptionNotice {
    pub speaker_id: String,
    pub text: String,
    pub start_ms: i64,
    pub end_ms: i64,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub caption_id: String,
}

/// `POST /internal/end`: the meeting ended. The room stops accepting writes,
/// closes or downgrades the sockets, flushes everything to D1, and answers
/// 2xx only once the flush is done (idempotent: a second call answers at
/// once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndNotice {
    pub at_ms: i64,
    /// `host` (the host ended it) or `call_ended` (Stream's `call.ended`).
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_shapes() {
        assert_eq!(
            serde_json::to_value(StateNotice {
                state: "active".into(),
                at_ms: 5
            })
            .unwrap(),
            json!({"state": "active", "at_ms": 5})
        );
        assert_eq!(
            serde_json::to_value(MemberNotice {
                user_id: "u".into(),
                action: MemberAction::Revoke,
                role: None
            })
            .unwrap(),
            json!({"user_id": "u", "action": "revoke"})
        );
        assert_eq!(
            serde_json::to_value(MemberNotice {
                user_id: "u".into(),
                action: MemberAction::SetRole,
                role: Some("observer".into())
            })
            .unwrap(),
            json!({"user_id": "u", "action": "set_role", "role": "observer"})
        );
        assert_eq!(
            serde_json::to_value(PresenceNotice {
                user_id: "u".into(),
                status: PresenceStatus::Joined,
                at_ms: 7
            })
            .unwrap(),
            json!({"user_id": "u", "status": "joined", "at_ms": 7})
        );
        let caption = json!({"speaker_id": "u", "text": "hi", "start_ms": 1, "end_ms": 2,
            "language": "en", "final": true, "caption_id": "c1"});
        let parsed: CaptionNotice = serde_json::from_value(caption.clone()).unwrap();
        assert!(parsed.is_final);
        assert_eq!(serde_json::to_value(parsed).unwrap(), caption);
        assert_eq!(
            serde_json::to_value(EndNotice {
                at_ms: 9,
                reason: "host".into()
            })
            .unwrap(),
            json!({"at_ms": 9, "reason": "host"})
        );
    }
}
