//! GetStream Video webhook events (docs/vendors.md "Webhooks"), parsed into
//! the few shapes we act on. Unknown fields are ignored; unknown event types
//! parse as [`EventKind::Unknown`] (answered 200 and logged). A known event
//! missing a field we need is malformed: 400, which Stream does not retry.
//!
//! Signature checking is in `signature::verify_stream_webhook` and happens
//! first; nothing here is trusted until it passed.

use serde_json::Value;

use crate::error::ApiError;
use crate::time::parse_rfc3339_ms;
use crate::validation::{invalid, reason};

/// Longest `X-Webhook-Id` we accept (Stream's are UUIDs).
pub const MAX_WEBHOOK_ID_LEN: usize = 128;
/// Longest caption line we forward to the room.
pub const MAX_CAPTION_CHARS: usize = 4000;
const MAX_ID_LEN: usize = 255;
const MAX_TEXT_LEN: usize = 2048;

/// A `call_cid`: `"<call type>:<call id>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCid {
    pub call_type: String,
    pub call_id: String,
}

impl CallCid {
    pub fn parse(s: &str) -> Option<CallCid> {
        let (call_type, call_id) = s.split_once(':')?;
        let plain = |p: &str| {
            !p.is_empty()
                && p.len() <= MAX_ID_LEN
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        };
        (plain(call_type) && plain(call_id)).then(|| CallCid {
            call_type: call_type.to_owned(),
            call_id: call_id.to_owned(),
        })
    }

    pub fn as_string(&self) -> String {
        format!("{}:{}", self.call_type, self.call_id)
    }
}

/// Someone joined or left the call's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceChange {
    pub user_id: String,
    pub user_session_id: Option<String>,
    pub session_id: Option<String>,
}

/// Which kind of file Stream announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Recording,
    Transcription,
}

impl FileKind {
    /// `meeting_recordings.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Recording => "recording",
            FileKind::Transcription => "transcription",
        }
    }
}

/// `call.recording_ready` / `call.transcription_ready`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReady {
    pub kind: FileKind,
    pub egress_id: Option<String>,
    pub recording_type: Option<String>,
    pub filename: String,
    pub url: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub session_id: Option<String>,
}

/// One line of Stream's live closed captions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    /// Stream's caption id, when it sends one.
    pub id: Option<String>,
    pub text: String,
    pub speaker_id: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub language: Option<String>,
}

/// What an event asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    ParticipantJoined(PresenceChange),
    ParticipantLeft(PresenceChange),
    SessionStarted {
        session_id: Option<String>,
    },
    SessionEnded {
        session_id: Option<String>,
    },
    CallEnded,
    FileReady(FileReady),
    /// `call.recording_failed` / `call.transcription_failed`: the
    /// provider's error, as kept on the failed job (F26).
    RecordingFailed {
        kind: FileKind,
        error: String,
    },
    ClosedCaption(Caption),
    /// Any other type: acknowledged and logged, nothing changes.
    Unknown,
}

/// A parsed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub event_type: String,
    pub created_at_ms: i64,
    /// Present on every event we act on.
    pub call_cid: Option<CallCid>,
    pub kind: EventKind,
}

fn malformed(field: &str, what: &str) -> ApiError {
    invalid(
        field,
        reason::INVALID_VALUE,
        format!("webhook event {field} {what}"),
    )
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.get(key))
}

fn opt_str(v: &Value, path: &[&str], max: usize) -> Option<String> {
    get(v, path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= max)
        .map(str::to_owned)
}

fn req_str(v: &Value, path: &[&str], max: usize) -> Result<String, ApiError> {
    opt_str(v, path, max).ok_or_else(|| malformed(&path.join("."), "is missing or invalid"))
}

fn opt_time(v: &Value, path: &[&str]) -> Result<Option<i64>, ApiError> {
    match get(v, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_rfc3339_ms(s)
            .map(Some)
            .ok_or_else(|| malformed(&path.join("."), "is not an RFC 3339 time")),
        Some(_) => Err(malformed(&path.join("."), "is not an RFC 3339 time")),
    }
}

fn presence(v: &Value) -> Result<PresenceChange, ApiError> {
    Ok(PresenceChange {
        user_id: req_str(v, &["participant", "user", "id"], MAX_ID_LEN)?,
        user_session_id: opt_str(v, &["participant", "user_session_id"], MAX_ID_LEN),
        session_id: opt_str(v, &["session_id"], MAX_ID_LEN),
    })
}

fn file_ready(v: &Value, kind: FileKind, object: &str) -> Result<FileReady, ApiError> {
    let url = req_str(v, &[object, "url"], MAX_TEXT_LEN)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(malformed(&format!("{object}.url"), "is not an http(s) URL"));
    }
    Ok(FileReady {
        kind,
        egress_id: opt_str(v, &["egress_id"], MAX_ID_LEN),
        recording_type: opt_str(v, &["recording_type"], MAX_ID_LEN),
        filename: req_str(v, &[object, "filename"], MAX_TEXT_LEN)?,
        url,
        start_ms: opt_time(v, &[object, "start_time"])?,
        end_ms: opt_time(v, &[object, "end_time"])?,
        session_id: opt_str(v, &[object, "session_id"], MAX_ID_LEN)
            .or_else(|| opt_str(v, &["session_id"], MAX_ID_LEN)),
    })
}

fn caption(v: &Value, created_at_ms: i64) -> Result<Caption, ApiError> {
    let c = get(v, &["closed_caption"])
        .filter(|c| c.is_object())
        .ok_or_else(|| malformed("closed_caption", "is missing"))?;
    let text = get(c, &["text"])
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.chars().count() <= MAX_CAPTION_CHARS)
        .ok_or_else(|| malformed("closed_caption.text", "is missing, empty or too long"))?
        .to_owned();
    let speaker_id = opt_str(c, &["speaker_id"], MAX_ID_LEN)
        .or_else(|| opt_str(c, &["user", "id"], MAX_ID_LEN))
        .ok_or_else(|| malformed("closed_caption.speaker_id", "is missing"))?;
    let start_ms = opt_time(c, &["start_time"])
        .map_err(|_| malformed("closed_caption.start_time", "is not an RFC 3339 time"))?
        .unwrap_or(created_at_ms);
    let end_ms = opt_time(c, &["end_time"])
        .map_err(|_| malformed("closed_caption.end_time", "is not an RFC 3339 time"))?
        .unwrap_or(start_ms)
        .max(start_ms);
    Ok(Caption {
        id: opt_str(c, &["id"], MAX_ID_LEN),
        text,
        speaker_id,
        start_ms,
        end_ms,
        language: opt_str(c, &["language"], 32),
    })
}

/// `call.recording_failed` carries no error text (node SDK 0.7.64: egress
/// id and recording type only); `call.transcription_failed` may carry
/// `error`. Either way the job keeps what Stream said (F26).
fn recording_failed(v: &Value, event_type: &str) -> EventKind {
    let kind = if event_type == "call.recording_failed" {
        FileKind::Recording
    } else {
        FileKind::Transcription
    };
    let mut error = event_type.to_owned();
    if let Some(t) = opt_str(v, &["recording_type"], MAX_ID_LEN) {
        error.push_str(&format!(" ({t})"));
    }
    if let Some(e) = opt_str(v, &["egress_id"], MAX_ID_LEN) {
        error.push_str(&format!(", egress {e}"));
    }
    if let Some(e) = opt_str(v, &["error"], MAX_TEXT_LEN) {
        error.push_str(&format!(": {e}"));
    }
    EventKind::RecordingFailed { kind, error }
}

/// Parses the (uncompressed, signature-checked) body of a webhook.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| invalid("body", reason::MALFORMED_JSON, "the body is not valid JSON"))?;
    if !v.is_object() {
        return Err(invalid(
            "body",
            reason::WRONG_TYPE,
            "the event must be a JSON object",
        ));
    }
    let event_type = req_str(&v, &["type"], 128)?;
    let created_at_ms =
        opt_time(&v, &["created_at"])?.ok_or_else(|| malformed("created_at", "is missing"))?;
    let call_cid = match get(&v, &["call_cid"]) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(CallCid::parse(s).ok_or_else(|| malformed("call_cid", "is not <type>:<id>"))?)
        }
        Some(_) => return Err(malformed("call_cid", "is not a string")),
    };
    let kind = match event_type.as_str() {
        "call.session_participant_joined" => EventKind::ParticipantJoined(presence(&v)?),
        "call.session_participant_left" => EventKind::ParticipantLeft(presence(&v)?),
        "call.session_started" => EventKind::SessionStarted {
            session_id: opt_str(&v, &["session_id"], MAX_ID_LEN),
        },
        "call.session_ended" => EventKind::SessionEnded {
            session_id: opt_str(&v, &["session_id"], MAX_ID_LEN),
        },
        "call.ended" => EventKind::CallEnded,
        "call.recording_ready" => {
            EventKind::FileReady(file_ready(&v, FileKind::Recording, "call_recording")?)
        }
        "call.transcription_ready" => EventKind::FileReady(file_ready(
            &v,
            FileKind::Transcription,
            "call_transcription",
        )?),
        "call.recording_failed" | "call.transcription_failed" => recording_failed(&v, &event_type),
        "call.closed_caption" => EventKind::ClosedCaption(caption(&v, created_at_ms)?),
        _ => EventKind::Unknown,
    };
    if kind != EventKind::Unknown && call_cid.is_none() {
        return Err(malformed("call_cid", "is missing"));
    }
    Ok(WebhookEvent {
        event_type,
        created_at_ms,
        call_cid,
        kind,
    })
}

/// Replay protection beyond deduplication (Stream sends no timestamp
/// header): refuse events created more than `max_age_ms` ago, or as far in
/// the future (a wrong clock on either side).
pub fn check_fresh(created_at_ms: i64, now_ms: i64, max_age_ms: i64) -> Result<(), ApiError> {
    let age = now_ms.saturating_sub(created_at_ms);
    if age > max_age_ms || age < -max_age_ms {
        return Err(invalid(
            "created_at",
            "stale",
            format!(
                "the event was created {}s from now; only {}s either way is accepted",
                age / 1000,
                max_age_ms / 1000
            ),
        ));
    }
    Ok(())
}

/// A usable `X-Webhook-Id`: 1..=128 printable ASCII characters.
pub fn valid_webhook_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_WEBHOOK_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AT: &str = "2024-10-16T04:15:01.911604755Z";
    const AT_MS: i64 = 1_729_052_101_911;

    fn parse(v: Value) -> Result<WebhookEvent, ApiError> {
        parse_event(v.to_string().as_bytes())
    }

    fn field(err: ApiError) -> String {
        err.details.unwrap()["field"].as_str().unwrap().to_owned()
    }

    #[test]
    fn participant_joined_per_contract() {
        let e = parse(json!({
            "type": "call.session_participant_joined", "created_at": AT, "call_cid": "default:abc",
            "session_id": "0c8c7bec", "participant": {"user": {"id": "user_01H", "name": "N",
            "custom": {}, "role": "user"}, "user_session_id": "aff08503", "role": "user",
            "joined_at": "2024-10-16T04:15:01.6Z"}, "future_field": [1, 2]
        }))
        .unwrap();
        assert_eq!(e.created_at_ms, AT_MS);
        assert_eq!(e.call_cid.as_ref().unwrap().as_string(), "default:abc");
        assert_eq!(
            e.kind,
            EventKind::ParticipantJoined(PresenceChange {
                user_id: "user_01H".into(),
                user_session_id: Some("aff08503".into()),
                session_id: Some("0c8c7bec".into()),
            })
        );
        let left = parse(json!({
            "type": "call.session_participant_left", "created_at": AT, "call_cid": "default:abc",
            "participant": {"user": {"id": "u"}}, "duration_seconds": 42, "reason": "bye"
        }))
        .unwrap();
        assert!(matches!(left.kind, EventKind::ParticipantLeft(p) if p.user_id == "u"));
    }

    #[test]
    fn sessions_ends_and_files() {
        let s = parse(json!({"type": "call.session_started", "created_at": AT,
            "call_cid": "default:abc", "session_id": "s1", "call": {}}))
        .unwrap();
        assert_eq!(
            s.kind,
            EventKind::SessionStarted {
                session_id: Some("s1".into())
            }
        );
        let e = parse(
            json!({"type": "call.ended", "created_at": AT, "call_cid": "default:abc",
            "call": {}, "reason": "x", "user": {}}),
        )
        .unwrap();
        assert_eq!(e.kind, EventKind::CallEnded);
        let r = parse(json!({"type": "call.recording_ready", "created_at": AT,
            "call_cid": "default:abc", "egress_id": "eg", "recording_type": "composite",
            "call_recording": {"filename": "f.mp4", "url": "https://x/f.mp4",
            "start_time": AT, "end_time": AT, "session_id": "s1"}}))
        .unwrap();
        let EventKind::FileReady(f) = r.kind else {
            panic!("not a file")
        };
        assert_eq!(f.kind, FileKind::Recording);
        assert_eq!(f.start_ms, Some(AT_MS));
        assert_eq!(f.recording_type.as_deref(), Some("composite"));
        // Older senders omit egress_id, recording_type and session_id.
        let t = parse(json!({"type": "call.transcription_ready", "created_at": AT,
            "call_cid": "default:abc",
            "call_transcription": {"filename": "t.jsonl", "url": "https://x/t"}}))
        .unwrap();
        let EventKind::FileReady(f) = t.kind else {
            panic!("not a file")
        };
        assert_eq!(f.kind, FileKind::Transcription);
        assert_eq!(f.egress_id, None);
    }

    #[test]
    fn closed_captions() {
        let c = parse(json!({"type": "call.closed_caption", "created_at": AT,
            "call_cid": "default:abc", "closed_caption": {"id": "cc1", "text": " hello ",
            "speaker_id": "user_a", "start_time": AT, "end_time": "2024-10-16T04:15:02Z",
            "language": "en", "translated": false, "user": {"id": "user_a"}}}))
        .unwrap();
        let EventKind::ClosedCaption(cap) = c.kind else {
            panic!("not a caption")
        };
        assert_eq!(cap.text, "hello");
        assert_eq!(cap.start_ms, AT_MS);
        assert_eq!(cap.end_ms, 1_729_052_102_000);
        assert_eq!(cap.id.as_deref(), Some("cc1"));
        // The speaker may only be given as the user.
        let c = parse(json!({"type": "call.closed_caption", "created_at": AT,
            "call_cid": "default:abc", "closed_caption": {"text": "hi", "user": {"id": "u2"}}}))
        .unwrap();
        let EventKind::ClosedCaption(cap) = c.kind else {
            panic!("not a caption")
        };
        assert_eq!(cap.speaker_id, "u2");
        assert_eq!((cap.start_ms, cap.end_ms), (AT_MS, AT_MS));
    }

    #[test]
    fn unknown_types_pass_and_malformed_known_ones_fail() {
        let u = parse(json!({"type": "call.reaction_new", "created_at": AT})).unwrap();
        assert_eq!(u.kind, EventKind::Unknown);
        assert_eq!(u.call_cid, None);
        assert_eq!(field(parse(json!({"created_at": AT})).unwrap_err()), "type");
        assert_eq!(
            field(parse(json!({"type": "call.ended", "created_at": "yesterday"})).unwrap_err()),
            "created_at"
        );
        assert_eq!(
            field(parse(json!({"type": "call.ended", "created_at": AT})).unwrap_err()),
            "call_cid"
        );
        assert_eq!(
            field(
                parse(json!({"type": "call.ended", "created_at": AT, "call_cid": "nocolon"}))
                    .unwrap_err()
            ),
            "call_cid"
        );
        assert_eq!(
            field(
                parse(
                    json!({"type": "call.session_participant_joined", "created_at": AT,
                "call_cid": "d:a", "participant": {}})
                )
                .unwrap_err()
            ),
            "participant.user.id"
        );
        assert_eq!(
            field(
                parse(json!({"type": "call.recording_ready", "created_at": AT,
                "call_cid": "d:a", "call_recording": {"filename": "f", "url": "javascript:x"}}))
                .unwrap_err()
            ),
            "call_recording.url"
        );
        assert!(parse_event(b"not json").is_err());
        assert!(parse_event(b"[]").is_err());
    }

    #[test]
    fn freshness_and_ids() {
        let max = 300_000;
        assert!(check_fresh(AT_MS, AT_MS + max, max).is_ok());
        assert!(check_fresh(AT_MS, AT_MS + max + 1, max).is_err());
        assert!(check_fresh(AT_MS, AT_MS - max - 1, max).is_err());
        assert!(check_fresh(i64::MIN, i64::MAX, max).is_err());
        assert!(valid_webhook_id("0d4d2d5f-3b0e-4a8b-9d0a-1d2f0f9f1e2a"));
        assert!(!valid_webhook_id(""));
        assert!(!valid_webhook_id("a b"));
        assert!(!valid_webhook_id(&"x".repeat(129)));
        assert!(CallCid::parse("default:a:b").is_none());
        assert!(CallCid::parse(":a").is_none());
    }
}
