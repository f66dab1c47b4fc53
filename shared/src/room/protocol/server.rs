//! Server → client frames. One enum both encodes (the room) and decodes
//! (Rust clients and the tests), so the two can never drift apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::acl::{MeetingRole, MeetingState};
use crate::ot::{CommittedOp, Op};
use crate::room::chat::ChatMessage;
use crate::room::error::RoomError;
use crate::room::presence::UserPresence;
use crate::room::prompts::PromptEvent;
use crate::room::stream::{Stream, StreamSet};
use crate::room::transcript::TranscriptChunk;

/// The protocol version this server speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// The newest position of each sequenced stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Heads {
    pub notes_version: u64,
    pub transcript_seq: u64,
    pub chat_seq: u64,
    /// The prompts stream's newest seq (0 when none).
    #[serde(default)]
    pub prompts_seq: u64,
}

/// Limits a client should respect, announced in the welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WireLimits {
    pub max_frame_bytes: usize,
    pub chat_max_chars: usize,
    pub transcript_max_chars: usize,
    pub resume_max_items: usize,
}

/// A committed notes op on the wire (snake_case, like every other frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WireOp {
    /// The version this op produced (the notes stream's sequence).
    pub version: u64,
    pub op: Op,
    pub author_id: String,
    pub client_id: String,
    pub client_seq: u64,
    pub base_version: u64,
    pub committed_at_ms: u64,
}

impl From<&CommittedOp> for WireOp {
    fn from(op: &CommittedOp) -> Self {
        WireOp {
            version: op.version,
            op: op.op.clone(),
            author_id: op.author_id.clone(),
            client_id: op.client_id.clone(),
            client_seq: op.client_seq,
            base_version: op.base_version,
            committed_at_ms: op.committed_at_ms,
        }
    }
}

impl From<WireOp> for CommittedOp {
    fn from(op: WireOp) -> Self {
        CommittedOp {
            transformed_over: op.version.saturating_sub(1).saturating_sub(op.base_version),
            version: op.version,
            op: op.op,
            author_id: op.author_id,
            client_id: op.client_id,
            client_seq: op.client_seq,
            base_version: op.base_version,
            committed_at_ms: op.committed_at_ms,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Every frame the server sends. See `docs/protocol.md` for each one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ServerMsg {
    #[serde(rename = "welcome")]
    Welcome {
        protocol: u64,
        session_id: String,
        user_id: String,
        role: MeetingRole,
        meeting_state: MeetingState,
        heads: Heads,
        subscribed: StreamSet,
        limits: WireLimits,
    },
    /// The whole document at `version`: replace the local copy.
    #[serde(rename = "notes.snapshot")]
    NotesSnapshot { version: u64, content: String },
    #[serde(rename = "notes.ops")]
    NotesOps { ops: Vec<WireOp> },
    /// Your op `client_seq` was committed as `version`.
    #[serde(rename = "notes.ack")]
    NotesAck { client_seq: u64, version: u64 },
    /// Your op `client_seq` was refused; roll back to `content` at `version`.
    #[serde(rename = "notes.reject")]
    NotesReject {
        client_seq: u64,
        code: String,
        message: String,
        content: String,
        version: u64,
    },
    #[serde(rename = "transcript.chunks")]
    TranscriptChunks {
        chunks: Vec<TranscriptChunk>,
        /// Older chunks were skipped: the client was too far behind.
        #[serde(default, skip_serializing_if = "is_false")]
        truncated: bool,
    },
    #[serde(rename = "chat.messages")]
    ChatMessages {
        messages: Vec<ChatMessage>,
        #[serde(default, skip_serializing_if = "is_false")]
        truncated: bool,
    },
    /// Prompts and reactions, in seq order (R23).
    #[serde(rename = "prompts.items")]
    PromptsItems {
        items: Vec<PromptEvent>,
        #[serde(default, skip_serializing_if = "is_false")]
        truncated: bool,
    },
    /// Your `chat.send` has `seq` (`duplicate`: it had been sent before).
    #[serde(rename = "chat.ack")]
    ChatAck {
        client_ref: String,
        seq: u64,
        duplicate: bool,
    },
    /// `full`: the complete list (replace); otherwise changed users only.
    #[serde(rename = "presence")]
    Presence {
        full: bool,
        users: Vec<UserPresence>,
    },
    #[serde(rename = "state")]
    State {
        state: MeetingState,
        started_at_ms: Option<u64>,
        ended_at_ms: Option<u64>,
        last_activity_ms: Option<u64>,
        speaking_ms: BTreeMap<String, u64>,
    },
    #[serde(rename = "error")]
    Error {
        code: String,
        message: String,
        /// The ACL's reason for a denial (`DENY_OBSERVER_READ_ONLY`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        r#ref: Option<String>,
    },
    /// Messages of `stream` were dropped: subscribe again with a resume cursor.
    #[serde(rename = "resync")]
    Resync { stream: Stream },
    /// Your role changed in place.
    #[serde(rename = "role")]
    Role { role: MeetingRole },
    /// The connection is about to be closed with this code and reason.
    #[serde(rename = "goodbye")]
    Goodbye { code: u16, reason: String },
    #[serde(rename = "pong")]
    Pong {
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        r#ref: Option<String>,
    },
}

impl ServerMsg {
    /// The JSON text frame.
    pub fn encode(&self) -> String {
        // Serialising these types cannot fail (string keys only; serde_json
        // writes non-finite floats as null), but never panic on it anyway.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","code":"INTERNAL","message":"unencodable frame"}"#.to_owned()
        })
    }

    /// Parses a server frame (for Rust clients and tests).
    pub fn decode(text: &str) -> Result<ServerMsg, RoomError> {
        serde_json::from_str(text).map_err(|e| RoomError::BadFrame(e.to_string()))
    }

    /// The stream a frame belongs to, for frames that can be dropped and
    /// replaced by a `resync` when the connection falls behind.
    pub fn stream(&self) -> Option<Stream> {
        match self {
            ServerMsg::NotesSnapshot { .. }
            | ServerMsg::NotesOps { .. }
            | ServerMsg::NotesAck { .. }
            | ServerMsg::NotesReject { .. } => Some(Stream::Notes),
            ServerMsg::TranscriptChunks { .. } => Some(Stream::Transcript),
            ServerMsg::ChatMessages { .. } | ServerMsg::ChatAck { .. } => Some(Stream::Chat),
            ServerMsg::Presence { .. } => Some(Stream::Presence),
            ServerMsg::PromptsItems { .. } => Some(Stream::Prompts),
            ServerMsg::State { .. } => Some(Stream::State),
            ServerMsg::Welcome { .. }
            | ServerMsg::Error { .. }
            | ServerMsg::Resync { .. }
            | ServerMsg::Role { .. }
            | ServerMsg::Goodbye { .. }
            | ServerMsg::Pong { .. } => None,
        }
    }

    pub(crate) fn error(err: &RoomError, r#ref: Option<&str>) -> ServerMsg {
        ServerMsg::Error {
            code: err.code().to_owned(),
            message: err.to_string(),
            reason: err.reason().map(str::to_owned),
            r#ref: r#ref.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tagged_snake_case_and_round_trip() {
        let frames = vec![
            ServerMsg::NotesAck {
                client_seq: 2,
                version: 7,
            },
            ServerMsg::TranscriptChunks {
                chunks: vec![],
                truncated: false,
            },
            ServerMsg::Resync {
                stream: Stream::Chat,
            },
            ServerMsg::Goodbye {
                code: 4009,
                reason: "MEETING_ENDED".into(),
            },
            ServerMsg::Pong {
                r#ref: Some("p".into()),
            },
            ServerMsg::error(&RoomError::RateLimited, Some("r")),
        ];
        for frame in frames {
            let text = frame.encode();
            assert_eq!(ServerMsg::decode(&text).unwrap(), frame, "{text}");
        }
        assert_eq!(
            ServerMsg::NotesAck {
                client_seq: 2,
                version: 7
            }
            .encode(),
            r#"{"type":"notes.ack","client_seq":2,"version":7}"#
        );
        assert_eq!(
            ServerMsg::TranscriptChunks {
                chunks: vec![],
                truncated: false
            }
            .encode(),
            r#"{"type":"transcript.chunks","chunks":[]}"#
        );
        assert_eq!(
            ServerMsg::error(&RoomError::RateLimited, Some("r")).encode(),
            r#"{"type":"error","code":"RATE_LIMITED","message":"too many frames; slow down","ref":"r"}"#
        );
    }

    #[test]
    fn wire_ops_carry_what_a_notes_client_needs() {
        let committed = CommittedOp {
            version: 5,
            op: Op::insert_at(1, "x"),
            author_id: "u".into(),
            client_id: "c".into(),
            client_seq: 3,
            base_version: 2,
            transformed_over: 2,
            committed_at_ms: 9,
        };
        let wire = WireOp::from(&committed);
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            serde_json::json!({"version":5,"op":[1,"x"],"author_id":"u","client_id":"c",
                               "client_seq":3,"base_version":2,"committed_at_ms":9})
        );
        assert_eq!(CommittedOp::from(wire), committed);
    }
}
