//! Why the room refused a frame, a connection or a command: one typed error
//! with a stable machine code per variant. The code is what an `error`
//! frame's `code` field carries and what clients switch on; [`RoomError::
//! error_code`] maps it onto the API-wide [`ErrorCode`] vocabulary.

use crate::acl::{Decision, Denial, MeetingState};
use crate::auth::ticket::TicketError;
use crate::error::{ApiError, ErrorCode};
use crate::ot::OtError;

use super::store::StoreError;
use super::stream::Stream;

/// Every way the room refuses input. Input never panics: it ends up as one
/// of these, reported to the sender only.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoomError {
    /// Not JSON, not an object, no `type`, or a field of the wrong shape.
    #[error("malformed frame: {0}")]
    BadFrame(String),
    /// A well-formed frame of a type protocol 1 does not know.
    #[error("unknown frame type {0:?}")]
    UnknownType(String),
    /// The frame is over the configured size limit (the connection closes with 1009).
    #[error("frame of {bytes} bytes; the limit is {max}")]
    FrameTooLarge { bytes: usize, max: usize },
    /// Binary frames are not part of protocol 1.
    #[error("binary frames are not supported; send JSON text")]
    BinaryFrame,
    /// A frame other than `hello` or `ping` before the hello.
    #[error("send hello first")]
    HelloRequired,
    #[error("hello was already received on this connection")]
    AlreadyHello,
    /// The hello names a protocol version this server does not speak.
    #[error("protocol {got} is not supported; this server speaks {supported}")]
    ProtocolUnsupported { got: u64, supported: u64 },
    /// A field has the right shape but a value outside its rules.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// A chat message over the length cap.
    #[error("message of {chars} chars; the limit is {max}")]
    ChatTooLong { chars: usize, max: usize },
    /// A participant's transcript chunk names another speaker.
    #[error("participants may only submit their own speech")]
    SpeakerMismatch,
    /// The frame needs a stream the session has not subscribed to.
    #[error("subscribe to {0} first")]
    NotSubscribed(Stream),
    /// Another live connection of another user uses this client id.
    #[error("client id is in use by another user")]
    ClientIdTaken,
    /// The ACL refused (role or meeting state).
    #[error("{}", denial_message(*.0))]
    Denied(Denial),
    /// Too many frames; this one was dropped.
    #[error("too many frames; slow down")]
    RateLimited,
    /// The notes core refused an op.
    #[error(transparent)]
    Notes(OtError),
    /// A WebSocket ticket refused by the room (replayed, or for another meeting).
    #[error(transparent)]
    Ticket(TicketError),
    /// Storage failed; nothing was changed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// A command named a session the room does not have (a shell bug).
    #[error("unknown session")]
    UnknownSession,
    /// `handle_connect` with a session id that is already live (a shell bug).
    #[error("session id already in use")]
    SessionExists,
    /// A session id, user id or attachment that does not meet the rules.
    #[error("invalid identity: {0}")]
    InvalidIdentity(&'static str),
    /// The store holds another meeting's room, or data that does not hang together.
    #[error("corrupt room state: {0}")]
    CorruptState(String),
}

fn denial_message(denial: Denial) -> &'static str {
    match denial {
        Denial::MeetingRequired => "meeting required",
        Denial::NotAParticipant => "not a participant of this meeting",
        Denial::ObserverReadOnly => "observers are read-only",
        Denial::RoleInsufficient => "your role does not allow this",
        Denial::AdminOnly => "organisation admins only",
        Denial::MeetingState(MeetingState::Scheduled) => "the meeting has not started",
        Denial::MeetingState(MeetingState::Active) => "not allowed while the meeting runs",
        Denial::MeetingState(MeetingState::Concluded) => "the meeting has ended",
        Denial::MeetingState(MeetingState::Cancelled) => "the meeting was cancelled",
    }
}

impl RoomError {
    /// Every code a room error can carry, apart from the wrapped ones:
    /// notes refusals carry the `OT_*` codes of [`OtError::ALL_CODES`],
    /// ticket refusals the `TICKET_*` codes of [`TicketError`].
    pub const ALL_CODES: [&'static str; 20] = [
        "BAD_FRAME",
        "UNKNOWN_TYPE",
        "FRAME_TOO_LARGE",
        "BINARY_UNSUPPORTED",
        "HELLO_REQUIRED",
        "ALREADY_HELLO",
        "PROTOCOL_UNSUPPORTED",
        "INVALID_FIELD",
        "CHAT_TOO_LONG",
        "SPEAKER_MISMATCH",
        "NOT_SUBSCRIBED",
        "CLIENT_ID_TAKEN",
        "FORBIDDEN",
        "MEETING_NOT_ACTIVE",
        "RATE_LIMITED",
        "STORAGE_FAILED",
        "UNKNOWN_SESSION",
        "SESSION_EXISTS",
        "INVALID_IDENTITY",
        "CORRUPT_STATE",
    ];

    /// The stable wire code.
    pub fn code(&self) -> &'static str {
        match self {
            RoomError::BadFrame(_) => "BAD_FRAME",
            RoomError::UnknownType(_) => "UNKNOWN_TYPE",
            RoomError::FrameTooLarge { .. } => "FRAME_TOO_LARGE",
            RoomError::BinaryFrame => "BINARY_UNSUPPORTED",
            RoomError::HelloRequired => "HELLO_REQUIRED",
            RoomError::AlreadyHello => "ALREADY_HELLO",
            RoomError::ProtocolUnsupported { .. } => "PROTOCOL_UNSUPPORTED",
            RoomError::InvalidField { .. } => "INVALID_FIELD",
            RoomError::ChatTooLong { .. } => "CHAT_TOO_LONG",
            RoomError::SpeakerMismatch => "SPEAKER_MISMATCH",
            RoomError::NotSubscribed(_) => "NOT_SUBSCRIBED",
            RoomError::ClientIdTaken => "CLIENT_ID_TAKEN",
            RoomError::Denied(Denial::MeetingState(_)) => "MEETING_NOT_ACTIVE",
            RoomError::Denied(_) => "FORBIDDEN",
            RoomError::RateLimited => "RATE_LIMITED",
            RoomError::Notes(err) => err.code(),
            RoomError::Ticket(err) => err.code(),
            RoomError::Store(_) => "STORAGE_FAILED",
            RoomError::UnknownSession => "UNKNOWN_SESSION",
            RoomError::SessionExists => "SESSION_EXISTS",
            RoomError::InvalidIdentity(_) => "INVALID_IDENTITY",
            RoomError::CorruptState(_) => "CORRUPT_STATE",
        }
    }

    /// The API-wide code.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            RoomError::BadFrame(_)
            | RoomError::UnknownType(_)
            | RoomError::BinaryFrame
            | RoomError::HelloRequired
            | RoomError::AlreadyHello
            | RoomError::ProtocolUnsupported { .. }
            | RoomError::InvalidField { .. }
            | RoomError::ChatTooLong { .. }
            | RoomError::NotSubscribed(_) => ErrorCode::ValidationError,
            RoomError::FrameTooLarge { .. } => ErrorCode::PayloadTooLarge,
            RoomError::SpeakerMismatch | RoomError::ClientIdTaken => ErrorCode::Forbidden,
            RoomError::Denied(denial) => match Decision::Deny(*denial).into_result() {
                Ok(_) => ErrorCode::Forbidden,
                Err(api) => api.code,
            },
            RoomError::RateLimited => ErrorCode::RateLimited,
            RoomError::Notes(err) => err.error_code(),
            RoomError::Ticket(err) => ApiError::from(err.clone()).code,
            RoomError::Store(_)
            | RoomError::UnknownSession
            | RoomError::SessionExists
            | RoomError::CorruptState(_) => ErrorCode::Internal,
            RoomError::InvalidIdentity(_) => ErrorCode::ValidationError,
        }
    }

    /// The ACL's reason code for denials (`"DENY_OBSERVER_READ_ONLY"`), for
    /// the `reason` field of the error frame and the audit log.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            RoomError::Denied(denial) => Some(Decision::Deny(*denial).reason_code()),
            _ => None,
        }
    }
}

impl From<OtError> for RoomError {
    fn from(err: OtError) -> Self {
        RoomError::Notes(err)
    }
}

impl From<RoomError> for ApiError {
    fn from(err: RoomError) -> Self {
        let mut details = serde_json::json!({ "reason": err.code() });
        if let Some(acl) = err.reason() {
            details["acl"] = serde_json::Value::from(acl);
        }
        ApiError::new(err.error_code(), err.to_string()).with_details(details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<RoomError> {
        vec![
            RoomError::BadFrame("x".into()),
            RoomError::UnknownType("x".into()),
            RoomError::FrameTooLarge { bytes: 2, max: 1 },
            RoomError::BinaryFrame,
            RoomError::HelloRequired,
            RoomError::AlreadyHello,
            RoomError::ProtocolUnsupported {
                got: 2,
                supported: 1,
            },
            RoomError::InvalidField {
                field: "x",
                reason: "y",
            },
            RoomError::ChatTooLong { chars: 3, max: 2 },
            RoomError::SpeakerMismatch,
            RoomError::NotSubscribed(Stream::Notes),
            RoomError::ClientIdTaken,
            RoomError::Denied(Denial::ObserverReadOnly),
            RoomError::Denied(Denial::MeetingState(MeetingState::Concluded)),
            RoomError::RateLimited,
            RoomError::Store(StoreError::Sql("x".into())),
            RoomError::UnknownSession,
            RoomError::SessionExists,
            RoomError::InvalidIdentity("x"),
            RoomError::CorruptState("x".into()),
        ]
    }

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: Vec<_> = one_of_each().iter().map(RoomError::code).collect();
        assert_eq!(codes, RoomError::ALL_CODES);
        let replayed = RoomError::Ticket(TicketError::Replayed);
        assert_eq!(replayed.code(), "TICKET_REPLAYED");
        assert_eq!(replayed.error_code(), ErrorCode::Unauthorized);
        assert_eq!(
            RoomError::from(OtError::VersionTooOld {
                base_version: 1,
                oldest_base: 2
            })
            .code(),
            "OT_VERSION_TOO_OLD"
        );
    }

    #[test]
    fn map_onto_the_api_vocabulary() {
        let not_active = RoomError::Denied(Denial::MeetingState(MeetingState::Scheduled));
        assert_eq!(not_active.error_code(), ErrorCode::MeetingNotActive);
        assert_eq!(not_active.reason(), Some("DENY_MEETING_STATE"));
        let api: ApiError = RoomError::Denied(Denial::ObserverReadOnly).into();
        assert_eq!(api.code, ErrorCode::Forbidden);
        assert_eq!(
            api.body()["error"]["details"]["acl"],
            "DENY_OBSERVER_READ_ONLY"
        );
        assert_eq!(
            RoomError::FrameTooLarge { bytes: 9, max: 1 }.error_code(),
            ErrorCode::PayloadTooLarge
        );
        assert_eq!(RoomError::RateLimited.error_code(), ErrorCode::RateLimited);
        assert_eq!(
            RoomError::Store(StoreError::Sql("x".into())).error_code(),
            ErrorCode::Internal
        );
    }
}
