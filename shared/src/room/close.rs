//! WebSocket close codes the room (and its shell) end a connection with:
//! every close the Durable Object sends is one of these reasons.
//!
//! Codes 4000–4999 are reserved by RFC 6455 §7.4.2 for applications; they
//! mirror HTTP statuses where one fits (4003 ≈ 403, 4500 ≈ 500, …) so they
//! are easy to remember. A bad ticket never gets a socket: the upgrade is
//! answered HTTP 401 (`RoomCore::handle_upgrade`). The close *reason* is always a stable machine code
//! (`"MEETING_ENDED"`), never prose: clients switch on code and reason, and a
//! reason must fit the 123 bytes a close frame allows.

use serde::{Deserialize, Serialize};

/// Why the server ends a connection. Every close is preceded by a `goodbye`
/// frame carrying the same code and reason, because some clients never see
/// the close frame's reason (browsers hide it on abnormal closure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u16", try_from = "u16")]
pub enum CloseCode {
    /// 1000: a normal end (not used by the core today; reserved for the shell).
    Normal,
    /// 1007: a text frame that is not UTF-8 (RFC 6455 §8.1, "invalid
    /// frame payload data").
    InvalidPayload,
    /// 1009: a frame over the size limit (RFC 6455's "message too big").
    FrameTooBig,
    /// 4003: not (or no longer) a participant: removed from the meeting,
    /// or never one.
    AccessRevoked,
    /// 4008: a policy ended the connection: replaced by a newer connection of
    /// the same client, too many connections for one user, rate-limit abuse,
    /// or a consumer too slow to keep up.
    Policy,
    /// 4009: the meeting has ended (concluded or cancelled).
    MeetingEnded,
    /// 4400: the client broke the protocol (wrong version, no hello in time,
    /// too many malformed frames), or its socket is not a session the room
    /// knows.
    ProtocolViolation,
    /// 4500: the room could not go on (its storage failed).
    Internal,
}

impl CloseCode {
    pub const ALL: [CloseCode; 8] = [
        CloseCode::Normal,
        CloseCode::InvalidPayload,
        CloseCode::FrameTooBig,
        CloseCode::AccessRevoked,
        CloseCode::Policy,
        CloseCode::MeetingEnded,
        CloseCode::ProtocolViolation,
        CloseCode::Internal,
    ];

    pub fn as_u16(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::InvalidPayload => 1007,
            CloseCode::FrameTooBig => 1009,
            CloseCode::AccessRevoked => 4003,
            CloseCode::Policy => 4008,
            CloseCode::MeetingEnded => 4009,
            CloseCode::ProtocolViolation => 4400,
            CloseCode::Internal => 4500,
        }
    }

    pub fn from_u16(code: u16) -> Option<CloseCode> {
        CloseCode::ALL.into_iter().find(|c| c.as_u16() == code)
    }

    /// Whether a client should reconnect on its own after this close.
    /// Policy closes are retried with backoff (a replaced tab should not
    /// fight its replacement, so clients treat `REPLACED` as final).
    pub fn is_retryable(self) -> bool {
        match self {
            CloseCode::Normal
            | CloseCode::FrameTooBig
            | CloseCode::Policy
            | CloseCode::Internal => true,
            CloseCode::InvalidPayload
            | CloseCode::AccessRevoked
            | CloseCode::MeetingEnded
            | CloseCode::ProtocolViolation => false,
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.as_u16()
    }
}

impl TryFrom<u16> for CloseCode {
    type Error = String;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        CloseCode::from_u16(code).ok_or_else(|| format!("unknown close code {code}"))
    }
}

/// The stable reasons that travel with a close (and its `goodbye`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// 4003: the user was removed from the meeting.
    AccessRevoked,
    /// 4003: the connection's identity carries no meeting role.
    NotAParticipant,
    /// 4009.
    MeetingEnded,
    /// 4008: the same client opened a newer connection.
    Replaced,
    /// 4008: the user has too many connections; the oldest goes.
    TooManySessions,
    /// 4008: the client kept sending after being rate limited.
    RateLimited,
    /// 4008: the client does not read its socket fast enough.
    SlowConsumer,
    /// 4400.
    ProtocolUnsupported,
    /// 4400: no hello within the configured time.
    HelloTimeout,
    /// 4400.
    TooManyBadFrames,
    /// 4400: the socket is not (or no longer) a session of this room: it
    /// carries no session tag, or it outlived its session state.
    UnknownSession,
    /// 1007: a text frame that was not UTF-8.
    InvalidUtf8,
    /// 1009.
    FrameTooLarge,
    /// 4500.
    StorageFailed,
}

impl CloseReason {
    pub const ALL: [CloseReason; 14] = [
        CloseReason::AccessRevoked,
        CloseReason::NotAParticipant,
        CloseReason::MeetingEnded,
        CloseReason::Replaced,
        CloseReason::TooManySessions,
        CloseReason::RateLimited,
        CloseReason::SlowConsumer,
        CloseReason::ProtocolUnsupported,
        CloseReason::HelloTimeout,
        CloseReason::TooManyBadFrames,
        CloseReason::UnknownSession,
        CloseReason::InvalidUtf8,
        CloseReason::FrameTooLarge,
        CloseReason::StorageFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::AccessRevoked => "ACCESS_REVOKED",
            CloseReason::NotAParticipant => "NOT_A_PARTICIPANT",
            CloseReason::MeetingEnded => "MEETING_ENDED",
            CloseReason::Replaced => "REPLACED",
            CloseReason::TooManySessions => "TOO_MANY_SESSIONS",
            CloseReason::RateLimited => "RATE_LIMITED",
            CloseReason::SlowConsumer => "SLOW_CONSUMER",
            CloseReason::ProtocolUnsupported => "PROTOCOL_UNSUPPORTED",
            CloseReason::HelloTimeout => "HELLO_TIMEOUT",
            CloseReason::TooManyBadFrames => "TOO_MANY_BAD_FRAMES",
            CloseReason::UnknownSession => "UNKNOWN_SESSION",
            CloseReason::InvalidUtf8 => "INVALID_UTF8",
            CloseReason::FrameTooLarge => "FRAME_TOO_LARGE",
            CloseReason::StorageFailed => "STORAGE_FAILED",
        }
    }

    /// The one close code each reason is sent with.
    pub fn code(self) -> CloseCode {
        match self {
            CloseReason::AccessRevoked | CloseReason::NotAParticipant => CloseCode::AccessRevoked,
            CloseReason::MeetingEnded => CloseCode::MeetingEnded,
            CloseReason::Replaced
            | CloseReason::TooManySessions
            | CloseReason::RateLimited
            | CloseReason::SlowConsumer => CloseCode::Policy,
            CloseReason::ProtocolUnsupported
            | CloseReason::HelloTimeout
            | CloseReason::TooManyBadFrames
            | CloseReason::UnknownSession => CloseCode::ProtocolViolation,
            CloseReason::InvalidUtf8 => CloseCode::InvalidPayload,
            CloseReason::FrameTooLarge => CloseCode::FrameTooBig,
            CloseReason::StorageFailed => CloseCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers_and_round_trip() {
        let numbers: Vec<u16> = CloseCode::ALL.iter().map(|c| c.as_u16()).collect();
        assert_eq!(numbers, [1000, 1007, 1009, 4003, 4008, 4009, 4400, 4500]);
        for code in CloseCode::ALL {
            assert_eq!(CloseCode::from_u16(code.as_u16()), Some(code));
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_u16());
        }
        assert_eq!(CloseCode::from_u16(1001), None);
        assert!(serde_json::from_str::<CloseCode>("4999").is_err());
    }

    #[test]
    fn reasons_are_distinct_and_fit_a_close_frame() {
        let mut seen = std::collections::BTreeSet::new();
        for reason in CloseReason::ALL {
            assert!(seen.insert(reason.as_str()));
            assert!(reason.as_str().len() <= 123);
        }
        assert_eq!(CloseReason::Replaced.code(), CloseCode::Policy);
        assert_eq!(CloseReason::FrameTooLarge.code().as_u16(), 1009);
        assert_eq!(CloseReason::InvalidUtf8.code().as_u16(), 1007);
        assert_eq!(CloseReason::UnknownSession.code().as_u16(), 4400);
        // Every code is used by some reason.
        for code in CloseCode::ALL {
            let used = CloseReason::ALL.iter().any(|r| r.code() == code);
            assert!(used || code == CloseCode::Normal, "{code:?}");
        }
    }
}
