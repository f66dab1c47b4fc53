//! The worker's internal notices to the room (`room_internal`, docs/protocol.md
//! "Internal endpoints"), decoded into room inputs, and the room's answer
//! to each. Every refusal is an [`ApiError`] with a stable
//! `details.reason`: 404 `NOTICE_UNKNOWN`, 400 `NOTICE_MALFORMED` /
//! `NOTICE_UNKNOWN_STATE` / `NOTICE_ROLE_REQUIRED` /
//! `NOTICE_MEETING_ID_MISSING` for a notice that cannot be read, 409 with
//! the room's own code (`MEETING_NOT_ACTIVE`, `INVALID_FIELD`, …) for one
//! the room refuses, 503 `FINAL_FLUSH_PENDING` for an end whose final
//! flush did not reach D1 (the worker retries it).

use serde::de::DeserializeOwned;

use crate::acl::{MeetingRole, MeetingState};
use crate::error::ApiError;
use crate::meeting::lifecycle::parse_state;
use crate::room_internal::{
    path, CaptionNotice, EndNotice, FlagsNotice, MemberAction, MemberNotice, PresenceNotice,
    PresenceStatus, PromptNotice, StateNotice, TranscriptQuery,
};

use super::core::RoomCore;
use super::error::RoomError;
use super::store::RoomStore;
use super::transcript::TranscriptInput;

/// One internal request, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// `POST /internal/state`.
    State(MeetingState),
    /// `POST /internal/member`: a new role, or removal (`None`).
    Member {
        user_id: String,
        role: Option<MeetingRole>,
    },
    /// `POST /internal/presence`: Stream saw the user join or leave the call.
    Presence {
        user_id: String,
        in_call: bool,
        at_ms: u64,
    },
    /// `POST /internal/caption`: one final caption line.
    Caption(TranscriptInput),
    /// `POST /internal/end`.
    End,
    /// `GET /internal/transcript?…`.
    Transcript(TranscriptQuery),
    /// `POST /internal/prompt`: a generated in-call prompt to stream.
    Prompt(PromptNotice),
    /// `POST /internal/flags`: `intelligence.incall` for this meeting.
    Flags(FlagsNotice),
}

/// How the shell answers a notice the room accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeReply {
    /// 204 once the outputs are carried out.
    Done,
    /// The meeting ended: carry out the outputs (the final flush among
    /// them), then answer [`RoomCore::end_reply`].
    AfterFlush,
    /// 200 with this JSON body.
    Json(serde_json::Value),
}

fn refused(status: u16, reason: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
        .with_status(status)
        .with_details(serde_json::json!({ "reason": reason }))
}

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| refused(400, "NOTICE_MALFORMED", format!("bad notice body: {e}")))
}

/// A time from the worker (signed on the wire); a negative one reads as 0.
fn time(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0)
}

/// The meeting an internal request is for (`x-connvo-meeting-id`): needed
/// to open a room that has never been used.
pub fn notice_meeting_id(value: Option<String>) -> Result<String, ApiError> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        refused(
            400,
            "NOTICE_MEETING_ID_MISSING",
            "missing meeting id header",
        )
    })
}

impl Notice {
    /// Decodes a request to `https://room/internal/…`: its path (with or
    /// without the origin), query string and body.
    pub fn decode(path: &str, query: &str, bytes: &[u8]) -> Result<Notice, ApiError> {
        let route = |full: &str| full.strip_prefix("https://room").unwrap_or(full).to_owned();
        let p = path;
        if p == route(path::STATE) {
            let notice: StateNotice = body(bytes)?;
            return parse_state(&notice.state)
                .map(Notice::State)
                .ok_or_else(|| {
                    refused(
                        400,
                        "NOTICE_UNKNOWN_STATE",
                        format!("unknown state {:?}", notice.state),
                    )
                });
        }
        if p == route(path::MEMBER) {
            let notice: MemberNotice = body(bytes)?;
            let role = match notice.action {
                MemberAction::Revoke => None,
                MemberAction::SetRole => Some(
                    notice
                        .role
                        .as_deref()
                        .and_then(MeetingRole::parse)
                        .ok_or_else(|| {
                            refused(400, "NOTICE_ROLE_REQUIRED", "set_role needs a valid role")
                        })?,
                ),
            };
            return Ok(Notice::Member {
                user_id: notice.user_id,
                role,
            });
        }
        if p == route(path::PRESENCE) {
            let notice: PresenceNotice = body(bytes)?;
            return Ok(Notice::Presence {
                user_id: notice.user_id,
                in_call: notice.status == PresenceStatus::Joined,
                at_ms: time(notice.at_ms),
            });
        }
        if p == route(path::CAPTION) {
            let notice: CaptionNotice = body(bytes)?;
            return Ok(Notice::Caption(TranscriptInput {
                speaker_id: Some(notice.speaker_id),
                text: notice.text,
                // Stream's captions carry no confidence; they are final lines.
                confidence: 1.0,
                start_ms: time(notice.start_ms),
                end_ms: time(notice.end_ms),
                is_final: notice.is_final,
                language: notice.language,
            }));
        }
        if p == route(path::END) {
            let _: EndNotice = body(bytes)?;
            return Ok(Notice::End);
        }
        if p == route(path::PROMPT) {
            return body(bytes).map(Notice::Prompt);
        }
        if p == route(path::FLAGS) {
            return body(bytes).map(Notice::Flags);
        }
        if p == route(path::TRANSCRIPT) {
            return TranscriptQuery::parse(query).map(Notice::Transcript);
        }
        Err(ApiError::not_found(format!("no internal endpoint {p}"))
            .with_details(serde_json::json!({ "reason": "NOTICE_UNKNOWN" })))
    }
}

/// A refusal by the room itself: 409 with the room's code, except a read
/// that storage failed (500).
fn room_refused(err: RoomError) -> ApiError {
    ApiError::from(err).with_status(409)
}

impl<S: RoomStore> RoomCore<S> {
    /// Applies a notice. Every notice is idempotent: the worker may send
    /// the same one twice.
    pub fn handle_notice(&mut self, now_ms: u64, notice: Notice) -> Result<NoticeReply, ApiError> {
        match notice {
            Notice::State(state) => self.set_meeting_state(now_ms, state),
            Notice::Member { user_id, role } => self.set_member_role(now_ms, &user_id, role),
            Notice::Presence {
                user_id,
                in_call,
                at_ms,
            } => self.set_call_presence(now_ms, &user_id, in_call, at_ms),
            Notice::Caption(input) => self.append_server_transcript(now_ms, input).map(|_| ()),
            Notice::Prompt(prompt) => {
                return self
                    .deliver_prompt(now_ms, prompt)
                    .map(|seq| NoticeReply::Json(serde_json::json!({ "seq": seq })))
                    .map_err(room_refused)
            }
            Notice::Flags(flags) => self.set_incall_enabled(now_ms, flags.incall),
            Notice::End => {
                return self
                    .set_meeting_state(now_ms, MeetingState::Concluded)
                    .map(|()| NoticeReply::AfterFlush)
                    .map_err(room_refused)
            }
            Notice::Transcript(query) => {
                let read = match query {
                    TranscriptQuery::AfterSeq { after_seq, limit } => self
                        .store
                        .transcript_after(after_seq, usize::try_from(limit).unwrap_or(100)),
                    TranscriptQuery::ByTime {
                        from_ms,
                        to_ms,
                        limit,
                    } => self.store.transcript_by_time(
                        from_ms,
                        to_ms,
                        usize::try_from(limit).unwrap_or(100),
                    ),
                };
                return read
                    .map(|chunks| NoticeReply::Json(serde_json::json!({ "chunks": chunks })))
                    .map_err(|e| ApiError::from(RoomError::from(e)));
            }
        }
        .map(|()| NoticeReply::Done)
        .map_err(room_refused)
    }

    /// The answer to an end notice once its outputs were carried out: 2xx
    /// only once D1 has the room's tail, else 503 `FINAL_FLUSH_PENDING`
    /// (the worker retries; the end is idempotent).
    pub fn end_reply(&self) -> Result<(), ApiError> {
        if self.has_unflushed() {
            return Err(
                ApiError::provider_unavailable("the final flush did not complete")
                    .with_details(serde_json::json!({ "reason": "FINAL_FLUSH_PENDING" })),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(err: &ApiError) -> String {
        err.body()["error"]["details"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn decodes_each_endpoint() {
        assert_eq!(
            Notice::decode("/internal/state", "", br#"{"state":"cancelled","at_ms":1}"#).unwrap(),
            Notice::State(MeetingState::Cancelled)
        );
        assert_eq!(
            Notice::decode(
                "/internal/member",
                "",
                br#"{"user_id":"u","action":"set_role","role":"observer"}"#
            )
            .unwrap(),
            Notice::Member {
                user_id: "u".into(),
                role: Some(MeetingRole::Observer)
            }
        );
        assert_eq!(
            Notice::decode(
                "/internal/presence",
                "",
                br#"{"user_id":"u","status":"left","at_ms":-5}"#
            )
            .unwrap(),
            Notice::Presence {
                user_id: "u".into(),
                in_call: false,
                at_ms: 0
            }
        );
        let caption = br#"{"speaker_id":"u","text":"hi","start_ms":1,"end_ms":2,"final":true,"caption_id":"c"}"#;
        assert!(matches!(
            Notice::decode("/internal/caption", "", caption).unwrap(),
            Notice::Caption(TranscriptInput { confidence, .. }) if confidence == 1.0
        ));
        assert_eq!(
            Notice::decode("/internal/end", "", br#"{"at_ms":1,"reason":"host"}"#).unwrap(),
            Notice::End
        );
        assert_eq!(
            Notice::decode("/internal/flags", "", br#"{"incall":false}"#).unwrap(),
            Notice::Flags(FlagsNotice { incall: false })
        );
        let prompt = br#"{"prompt_id":"prm_1","kind":"question","content":"Why?","tags":[],
            "relevance":0.5,"trigger":"lull","source":"heuristic"}"#;
        assert!(matches!(
            Notice::decode("/internal/prompt", "", prompt).unwrap(),
            Notice::Prompt(PromptNotice { relevance, .. }) if relevance == 0.5
        ));
        assert!(matches!(
            Notice::decode("/internal/transcript", "after_seq=3", b"").unwrap(),
            Notice::Transcript(TranscriptQuery::AfterSeq { after_seq: 3, .. })
        ));
    }

    #[test]
    fn refusals_carry_stable_reasons() {
        let cases: [(&str, &[u8], u16, &str); 5] = [
            ("/internal/nope", b"{}", 404, "NOTICE_UNKNOWN"),
            ("/internal/state", b"not json", 400, "NOTICE_MALFORMED"),
            (
                "/internal/state",
                br#"{"state":"paused","at_ms":1}"#,
                400,
                "NOTICE_UNKNOWN_STATE",
            ),
            (
                "/internal/member",
                br#"{"user_id":"u","action":"set_role"}"#,
                400,
                "NOTICE_ROLE_REQUIRED",
            ),
            ("/internal/end", b"{}", 400, "NOTICE_MALFORMED"),
        ];
        for (p, body, status, why) in cases {
            let err = Notice::decode(p, "", body).unwrap_err();
            assert_eq!((err.status(), reason(&err).as_str()), (status, why), "{p}");
        }
        let err = notice_meeting_id(Some(String::new())).unwrap_err();
        assert_eq!(reason(&err), "NOTICE_MEETING_ID_MISSING");
    }
}
