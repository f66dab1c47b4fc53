//! Client → server frames: parsing a text frame into a typed, checked
//! message. Everything a handler receives has met the protocol's rules, so
//! the room never re-checks shapes (parse, don't validate).

use serde::Deserialize;
use serde_json::Value;

use crate::intelligence::feedback::Reaction;
use crate::ot::{Op, OtError};
use crate::room::chat::{ChatInput, CheckedChat};
use crate::room::config::RoomConfig;
use crate::room::error::RoomError;
use crate::room::identity::is_token;
use crate::room::stream::{Stream, StreamSet};
use crate::room::transcript::{CheckedChunk, TranscriptInput};
use crate::room::MAX_SAFE_INT;

/// The longest `client_id` (a random id per page load) and frame `ref`.
pub const MAX_CLIENT_ID_LEN: usize = 64;
pub const MAX_REF_LEN: usize = 64;

/// Where a client wants each sequenced stream to resume from: the last seq
/// (or notes version) it holds. Absent means "I hold nothing".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Resume {
    #[serde(default)]
    pub notes_version: Option<u64>,
    #[serde(default)]
    pub transcript_seq: Option<u64>,
    #[serde(default)]
    pub chat_seq: Option<u64>,
    #[serde(default)]
    pub prompts_seq: Option<u64>,
}

impl Resume {
    /// The cursor given for a sequenced stream, if any.
    pub fn cursor(&self, stream: Stream) -> Option<u64> {
        match stream {
            Stream::Notes => self.notes_version,
            Stream::Transcript => self.transcript_seq,
            Stream::Chat => self.chat_seq,
            Stream::Prompts => self.prompts_seq,
            Stream::State | Stream::Presence => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub protocol: u64,
    pub client_id: String,
    pub resume: Resume,
    /// `None`: every stream the role may read.
    pub subscribe: Option<StreamSet>,
}

/// A parsed client message.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMsg {
    Hello(Hello),
    Subscribe {
        streams: StreamSet,
        resume: Resume,
    },
    Unsubscribe {
        streams: StreamSet,
    },
    NotesOp {
        client_seq: u64,
        base_version: u64,
        op: Op,
    },
    /// A `notes.op` whose envelope is fine but whose op is not: refused
    /// with a `notes.reject`, so the client can roll back its in-flight op.
    BadNotesOp {
        client_seq: u64,
        error: OtError,
    },
    TranscriptAppend(CheckedChunk),
    ChatSend(CheckedChat),
    PresenceUpdate {
        speaking: bool,
    },
    /// `prompts.react` (R24): the sender's reaction to a streamed prompt.
    PromptReact {
        prompt_id: String,
        reaction: Reaction,
    },
    Ping,
}

/// A frame: the message and the client's optional correlation `ref`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFrame {
    pub r#ref: Option<String>,
    pub msg: ClientMsg,
}

/// A frame that could not be accepted, with the `ref` to echo when one was readable.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    pub r#ref: Option<String>,
    pub error: RoomError,
}

#[derive(Deserialize)]
struct HelloWire {
    protocol: u64,
    client_id: String,
    #[serde(default)]
    resume: Resume,
    #[serde(default)]
    subscribe: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct StreamsWire {
    streams: Vec<String>,
    #[serde(default)]
    resume: Resume,
}

#[derive(Deserialize)]
struct NotesOpWire {
    client_seq: u64,
    base_version: u64,
    op: Value,
}

#[derive(Deserialize)]
struct TranscriptWire {
    chunk: TranscriptInput,
}

#[derive(Deserialize)]
struct ReactWire {
    prompt_id: String,
    reaction: String,
}

#[derive(Deserialize)]
struct PresenceWire {
    speaking: bool,
}

/// Serde's message, cut so an error frame never echoes a large input back.
fn bad(err: impl std::fmt::Display) -> RoomError {
    let mut message = err.to_string();
    if message.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|i| message.is_char_boundary(*i))
            .unwrap_or(0);
        message.truncate(cut);
    }
    RoomError::BadFrame(message)
}

fn fields<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, RoomError> {
    serde_json::from_value(value).map_err(bad)
}

fn safe(value: u64, field: &'static str) -> Result<u64, RoomError> {
    if value > MAX_SAFE_INT {
        Err(RoomError::InvalidField {
            field,
            reason: "larger than 2^53 - 1",
        })
    } else {
        Ok(value)
    }
}

fn streams(names: &[String]) -> Result<StreamSet, RoomError> {
    names
        .iter()
        .map(|name| {
            Stream::parse(name).ok_or(RoomError::InvalidField {
                field: "streams",
                reason: "unknown stream",
            })
        })
        .collect()
}

fn checked_resume(resume: Resume) -> Result<Resume, RoomError> {
    for (value, field) in [
        (resume.notes_version, "resume.notes_version"),
        (resume.transcript_seq, "resume.transcript_seq"),
        (resume.chat_seq, "resume.chat_seq"),
        (resume.prompts_seq, "resume.prompts_seq"),
    ] {
        if let Some(v) = value {
            safe(v, field)?;
        }
    }
    Ok(resume)
}

/// Parses one text frame. Size limits are the caller's (checked before
/// any parsing); everything else is checked here.
pub fn parse_client_frame(text: &str, config: &RoomConfig) -> Result<ClientFrame, FrameError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FrameError {
        r#ref: None,
        error: bad(format!("not JSON: {e}")),
    })?;
    let Value::Object(mut object) = value else {
        return Err(FrameError {
            r#ref: None,
            error: RoomError::BadFrame("a frame is a JSON object".into()),
        });
    };
    let r#ref = match object.remove("ref") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if is_token(&r, MAX_REF_LEN) => Some(r),
        Some(_) => {
            return Err(FrameError {
                r#ref: None,
                error: RoomError::InvalidField {
                    field: "ref",
                    reason: "1 to 64 printable ASCII characters",
                },
            })
        }
    };
    let kind = match object.remove("type") {
        Some(Value::String(kind)) => kind,
        _ => {
            return Err(FrameError {
                r#ref,
                error: RoomError::BadFrame("a frame needs a string \"type\"".into()),
            })
        }
    };
    match parse_body(&kind, Value::Object(object), config) {
        Ok(msg) => Ok(ClientFrame { r#ref, msg }),
        Err(error) => Err(FrameError { r#ref, error }),
    }
}

fn parse_body(kind: &str, body: Value, config: &RoomConfig) -> Result<ClientMsg, RoomError> {
    match kind {
        "hello" => {
            let wire: HelloWire = fields(body)?;
            if !is_token(&wire.client_id, MAX_CLIENT_ID_LEN) {
                return Err(RoomError::InvalidField {
                    field: "client_id",
                    reason: "1 to 64 printable ASCII characters",
                });
            }
            Ok(ClientMsg::Hello(Hello {
                protocol: wire.protocol,
                client_id: wire.client_id,
                resume: checked_resume(wire.resume)?,
                subscribe: wire.subscribe.as_deref().map(streams).transpose()?,
            }))
        }
        "subscribe" => {
            let wire: StreamsWire = fields(body)?;
            Ok(ClientMsg::Subscribe {
                streams: streams(&wire.streams)?,
                resume: checked_resume(wire.resume)?,
            })
        }
        "unsubscribe" => {
            let wire: StreamsWire = fields(body)?;
            Ok(ClientMsg::Unsubscribe {
                streams: streams(&wire.streams)?,
            })
        }
        "notes.op" => {
            let wire: NotesOpWire = fields(body)?;
            let client_seq = safe(wire.client_seq, "client_seq")?;
            let base_version = safe(wire.base_version, "base_version")?;
            Ok(match Op::from_json_value(&wire.op) {
                Ok(op) => ClientMsg::NotesOp {
                    client_seq,
                    base_version,
                    op,
                },
                Err(error) => ClientMsg::BadNotesOp { client_seq, error },
            })
        }
        "transcript.append" => {
            let wire: TranscriptWire = fields(body)?;
            Ok(ClientMsg::TranscriptAppend(wire.chunk.check(config)?))
        }
        "chat.send" => {
            let input: ChatInput = fields(body)?;
            Ok(ClientMsg::ChatSend(input.check(config)?))
        }
        "presence.update" => {
            let wire: PresenceWire = fields(body)?;
            Ok(ClientMsg::PresenceUpdate {
                speaking: wire.speaking,
            })
        }
        "prompts.react" => {
            let wire: ReactWire = fields(body)?;
            if !is_token(&wire.prompt_id, 64) {
                return Err(RoomError::InvalidField {
                    field: "prompt_id",
                    reason: "1 to 64 printable ASCII characters",
                });
            }
            let reaction = Reaction::parse(&wire.reaction).ok_or(RoomError::InvalidField {
                field: "reaction",
                reason: "used, upvoted or dismissed",
            })?;
            Ok(ClientMsg::PromptReact {
                prompt_id: wire.prompt_id,
                reaction,
            })
        }
        "ping" => Ok(ClientMsg::Ping),
        other => Err(RoomError::UnknownType(other.chars().take(64).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ClientFrame, FrameError> {
        parse_client_frame(text, &RoomConfig::default())
    }

    fn code(text: &str) -> &'static str {
        parse(text).unwrap_err().error.code()
    }

    #[test]
    fn parses_every_message_type() {
        let hello = parse(
            r#"{"type":"hello","protocol":1,"client_id":"c1","ref":"r1",
                "resume":{"notes_version":3,"chat_seq":2},"subscribe":["notes","chat"]}"#,
        )
        .unwrap();
        assert_eq!(hello.r#ref.as_deref(), Some("r1"));
        match hello.msg {
            ClientMsg::Hello(h) => {
                assert_eq!(h.resume.cursor(Stream::Notes), Some(3));
                assert_eq!(h.resume.cursor(Stream::Transcript), None);
                assert!(h.subscribe.unwrap().contains(Stream::Chat));
            }
            other => panic!("{other:?}"),
        }
        let minimal = parse(r#"{"type":"hello","protocol":1,"client_id":"c"}"#).unwrap();
        assert!(matches!(
            minimal.msg,
            ClientMsg::Hello(Hello {
                subscribe: None,
                ..
            })
        ));
        assert!(matches!(
            parse(r#"{"type":"notes.op","client_seq":1,"base_version":0,"op":[1,"x"]}"#)
                .unwrap()
                .msg,
            ClientMsg::NotesOp { client_seq: 1, .. }
        ));
        assert!(matches!(
            parse(r#"{"type":"notes.op","client_seq":4,"base_version":0,"op":[-1]}"#)
                .unwrap()
                .msg,
            ClientMsg::BadNotesOp { client_seq: 4, .. }
        ));
        let chunk = r#"{"type":"transcript.append","chunk":{"text":"hi","confidence":0.5,
            "start_ms":1,"end_ms":2,"final":true}}"#;
        assert!(matches!(
            parse(chunk).unwrap().msg,
            ClientMsg::TranscriptAppend(_)
        ));
        assert!(matches!(
            parse(r#"{"type":"chat.send","client_ref":"m1","text":"yo"}"#)
                .unwrap()
                .msg,
            ClientMsg::ChatSend(_)
        ));
        assert_eq!(
            parse(r#"{"type":"presence.update","speaking":true}"#)
                .unwrap()
                .msg,
            ClientMsg::PresenceUpdate { speaking: true }
        );
        assert_eq!(parse(r#"{"type":"ping"}"#).unwrap().msg, ClientMsg::Ping);
        assert_eq!(
            parse(r#"{"type":"prompts.react","prompt_id":"prm_1","reaction":"used"}"#)
                .unwrap()
                .msg,
            ClientMsg::PromptReact {
                prompt_id: "prm_1".into(),
                reaction: Reaction::Used
            }
        );
        assert!(matches!(
            parse(r#"{"type":"subscribe","streams":["transcript"],"resume":{"transcript_seq":9}}"#)
                .unwrap()
                .msg,
            ClientMsg::Subscribe { .. }
        ));
        assert!(matches!(
            parse(r#"{"type":"unsubscribe","streams":[]}"#).unwrap().msg,
            ClientMsg::Unsubscribe { .. }
        ));
    }

    #[test]
    fn refuses_with_stable_codes_and_keeps_the_ref() {
        assert_eq!(code("nope"), "BAD_FRAME");
        assert_eq!(code("[1]"), "BAD_FRAME");
        assert_eq!(code(r#"{"type":5}"#), "BAD_FRAME");
        assert_eq!(code(r#"{"kind":"ping"}"#), "BAD_FRAME");
        assert_eq!(code(r#"{"type":"dance"}"#), "UNKNOWN_TYPE");
        assert_eq!(code(r#"{"type":"ping","ref":7}"#), "INVALID_FIELD");
        assert_eq!(
            code(r#"{"type":"hello","protocol":1,"client_id":""}"#),
            "INVALID_FIELD"
        );
        assert_eq!(
            code(r#"{"type":"hello","protocol":"1","client_id":"c"}"#),
            "BAD_FRAME"
        );
        assert_eq!(
            code(r#"{"type":"hello","protocol":1,"client_id":"c","subscribe":["video"]}"#),
            "INVALID_FIELD"
        );
        assert_eq!(
            code(
                r#"{"type":"hello","protocol":1,"client_id":"c","resume":{"chat_seq":9007199254740992}}"#
            ),
            "INVALID_FIELD"
        );
        assert_eq!(
            code(r#"{"type":"notes.op","client_seq":-1,"base_version":0,"op":[]}"#),
            "BAD_FRAME"
        );
        assert_eq!(
            code(r#"{"type":"chat.send","client_ref":"r","text":""}"#),
            "INVALID_FIELD"
        );
        let long = format!(
            r#"{{"type":"chat.send","client_ref":"r","text":"{}","ref":"x1"}}"#,
            "a".repeat(2001)
        );
        let err = parse(&long).unwrap_err();
        assert_eq!(err.error.code(), "CHAT_TOO_LONG");
        assert_eq!(err.r#ref.as_deref(), Some("x1"));
        assert_eq!(
            code(
                r#"{"type":"transcript.append","chunk":{"text":"a","confidence":2,"start_ms":1,"end_ms":2,"final":true}}"#
            ),
            "INVALID_FIELD"
        );
        assert_eq!(
            code(r#"{"type":"prompts.react","prompt_id":"p","reaction":"liked"}"#),
            "INVALID_FIELD"
        );
        assert_eq!(
            code(r#"{"type":"prompts.react","prompt_id":"","reaction":"used"}"#),
            "INVALID_FIELD"
        );
        assert_eq!(
            code(r#"{"type":"prompts.react","reaction":"used"}"#),
            "BAD_FRAME"
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(code(&deep), "BAD_FRAME");
        let message = parse(&format!(
            r#"{{"type":"chat.send","client_ref":{}}}"#,
            "1".repeat(5000)
        ))
        .unwrap_err()
        .error
        .to_string();
        assert!(message.len() < 260, "{message}");
    }
}
