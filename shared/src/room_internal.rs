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
    /// `POST`: the in-call feature flag changed ([`super::FlagsNotice`]).
    pub const FLAGS: &str = "https://room/internal/flags";
    /// `POST`: an in-call prompt, generated and stored, for the room to
    /// stream ([`super::PromptNotice`]).
    pub const PROMPT: &str = "https://room/internal/prompt";
    /// `GET`: a bounded read of the live transcript ([`super::TranscriptQuery`]).
    pub const TRANSCRIPT: &str = "https://room/internal/transcript";
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

    /// Whether a client's header may travel with its upgrade to the room:
    /// never one of ours (`x-connvo-*`, which only the worker sets), nor
    /// its credentials (`authorization`, `cookie`), which the room has no
    /// use for. Names compare case-insensitively.
    pub fn forwardable(name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        !(lower.starts_with("x-connvo-") || lower == "authorization" || lower == "cookie")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ours_and_credentials_stay_behind() {
            for name in ALL {
                assert!(!forwardable(name), "{name}");
            }
            assert!(!forwardable("X-Connvo-Anything"));
            assert!(!forwardable("Authorization"));
            assert!(!forwardable("cookie"));
            assert!(forwardable("sec-websocket-key"));
            assert!(forwardable("upgrade"));
        }
    }
}

/// `POST /internal/flags`: the meeting's intelligence flags as evaluated
/// now (rules I13–I14), pushed to a live room after an operator changes a
/// flag, so the room stops (or resumes) in-call detection within seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagsNotice {
    /// `intelligence.incall` for this meeting.
    pub incall: bool,
}

/// `POST /internal/prompt`: an in-call prompt the `generate_incall` job
/// generated and stored (`prompts` row `prompt_id`, type `incall`), for the
/// room to sequence on the prompts stream. Idempotent by `prompt_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptNotice {
    pub prompt_id: String,
    /// `agenda`, `question` or `starter`.
    pub kind: String,
    pub content: String,
    pub tags: Vec<String>,
    pub relevance: f64,
    /// `prompts.trigger_reason`: `lull` or `topic_shift`.
    pub trigger: String,
    /// `prompts.source`: `ai`, `heuristic` or `fallback`.
    pub source: String,
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

/// The most chunks one transcript read returns.
pub const TRANSCRIPT_READ_MAX: u64 = 500;

/// A bounded transcript read: by sequence (`after_seq`, the default) or by
/// the chunks' start time (`from_ms`..`to_ms`). The public route
/// (`GET /v1/meetings/{id}/transcript`) and the room's internal endpoint
/// take the same query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptQuery {
    AfterSeq {
        after_seq: u64,
        limit: u64,
    },
    ByTime {
        from_ms: u64,
        to_ms: u64,
        limit: u64,
    },
}

impl TranscriptQuery {
    /// Parses `after_seq`, `from_ms`, `to_ms` and `limit` (1 to
    /// [`TRANSCRIPT_READ_MAX`], default 100). Unknown keys are refused, so a
    /// typo never silently reads something else.
    pub fn parse(query: &str) -> Result<TranscriptQuery, crate::ApiError> {
        let mut after_seq = None;
        let mut from_ms = None;
        let mut to_ms = None;
        let mut limit = 100;
        let bad = |field: &str, msg: &str| {
            crate::ApiError::validation(msg.to_owned())
                .with_details(serde_json::json!({ "field": field }))
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let n = value
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= crate::room::MAX_SAFE_INT);
            match key {
                "after_seq" => {
                    after_seq =
                        Some(n.ok_or_else(|| bad(key, "after_seq must be a non-negative integer"))?)
                }
                "from_ms" => {
                    from_ms =
                        Some(n.ok_or_else(|| bad(key, "from_ms must be a non-negative integer"))?)
                }
                "to_ms" => {
                    to_ms = Some(n.ok_or_else(|| bad(key, "to_ms must be a non-negative integer"))?)
                }
                "limit" => {
                    limit = n
                        .filter(|l| (1..=TRANSCRIPT_READ_MAX).contains(l))
                        .ok_or_else(|| bad(key, "limit must be between 1 and 500"))?
                }
                other => return Err(bad(other, "unknown query parameter")),
            }
        }
        match (after_seq, from_ms, to_ms) {
            (_, None, None) => Ok(TranscriptQuery::AfterSeq {
                after_seq: after_seq.unwrap_or(0),
                limit,
            }),
            (None, Some(from_ms), Some(to_ms)) if from_ms < to_ms => Ok(TranscriptQuery::ByTime {
                from_ms,
                to_ms,
                limit,
            }),
            (None, Some(_), Some(_)) => Err(bad("to_ms", "to_ms must be after from_ms")),
            (None, _, _) => Err(bad("from_ms", "a time range needs both from_ms and to_ms")),
            (Some(_), _, _) => Err(bad("after_seq", "read by sequence or by time, not both")),
        }
    }

    pub fn to_query(&self) -> String {
        match self {
            TranscriptQuery::AfterSeq { after_seq, limit } => {
                format!("after_seq={after_seq}&limit={limit}")
            }
            TranscriptQuery::ByTime {
                from_ms,
                to_ms,
                limit,
            } => format!("from_ms={from_ms}&to_ms={to_ms}&limit={limit}"),
        }
    }
}

/// The most segments one page returns.
pub const SEGMENTS_PAGE_MAX: i64 = 200;

/// `GET /v1/meetings/{id}/segments`: a keyset page over (start_ms,
/// speaker_id). The first page starts before every segment (`-1`, `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentsQuery {
    pub after_start_ms: i64,
    pub after_speaker: String,
    pub limit: i64,
}

impl SegmentsQuery {
    /// Parses `after_start_ms`, `after_speaker` (at most 255 bytes) and
    /// `limit` (1 to [`SEGMENTS_PAGE_MAX`], default 50); unknown keys are refused.
    pub fn parse(query: &str) -> Result<SegmentsQuery, crate::ApiError> {
        let mut q = SegmentsQuery {
            after_start_ms: -1,
            after_speaker: String::new(),
            limit: 50,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = || {
                crate::ApiError::validation(format!("bad value for {key}"))
                    .with_details(serde_json::json!({ "field": key }))
            };
            match key {
                "after_start_ms" => {
                    q.after_start_ms = value.parse().ok().filter(|v| *v >= 0).ok_or_else(bad)?
                }
                "after_speaker" if value.len() <= 255 => q.after_speaker = value.to_owned(),
                "limit" => {
                    q.limit = value
                        .parse()
                        .ok()
                        .filter(|l| (1..=SEGMENTS_PAGE_MAX).contains(l))
                        .ok_or_else(bad)?
                }
                _ => return Err(bad()),
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn segment_queries_are_bounded_and_strict() {
        use super::SegmentsQuery;
        let first = SegmentsQuery::parse("").unwrap();
        assert_eq!(
            (
                first.after_start_ms,
                first.after_speaker.as_str(),
                first.limit
            ),
            (-1, "", 50)
        );
        let next = SegmentsQuery::parse("after_start_ms=5&after_speaker=u1&limit=7").unwrap();
        assert_eq!(
            (next.after_start_ms, next.after_speaker.as_str(), next.limit),
            (5, "u1", 7)
        );
        for bad in [
            "limit=0",
            "limit=201",
            "after_start_ms=-3",
            "cursor=1",
            &format!("after_speaker={}", "x".repeat(256)),
        ] {
            assert!(SegmentsQuery::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn transcript_queries_are_bounded_and_strict() {
        use super::TranscriptQuery as Q;
        assert_eq!(
            Q::parse("").unwrap(),
            Q::AfterSeq {
                after_seq: 0,
                limit: 100
            }
        );
        assert_eq!(
            Q::parse("after_seq=7&limit=3").unwrap(),
            Q::AfterSeq {
                after_seq: 7,
                limit: 3
            }
        );
        assert_eq!(
            Q::parse("from_ms=10&to_ms=20").unwrap(),
            Q::ByTime {
                from_ms: 10,
                to_ms: 20,
                limit: 100
            }
        );
        for bad in [
            "limit=0",
            "limit=501",
            "after_seq=-1",
            "from_ms=5",
            "from_ms=9&to_ms=3",
            "after_seq=1&from_ms=1&to_ms=2",
            "afterseq=1",
        ] {
            assert!(Q::parse(bad).is_err(), "{bad}");
        }
        let q = Q::parse("from_ms=1&to_ms=2&limit=9").unwrap();
        assert_eq!(Q::parse(&q.to_query()).unwrap(), q);
    }

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
