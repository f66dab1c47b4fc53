//! The room's side of the internal contract with the worker
//! (`connvo_shared::room_internal`, docs/protocol.md "Internal endpoints"):
//! the identity headers of a forwarded upgrade, and the `/internal/*`
//! notices. Only the worker can reach these (the object has no public URL).

use connvo_shared::acl::{MeetingRole, MeetingState, OrgRole};
use connvo_shared::auth::ticket::TicketClaims;
use connvo_shared::room::store::RoomStore;
use connvo_shared::room::{ClientInfo, SessionIdentity, TranscriptInput};
use connvo_shared::room_internal::{
    header, CaptionNotice, EndNotice, MemberAction, MemberNotice, PresenceNotice, PresenceStatus,
    StateNotice, TranscriptQuery,
};
use connvo_shared::signature::from_hex;
use serde::de::DeserializeOwned;
use worker::{Request, Response, Result};

use crate::meeting_room::{now_ms, MeetingRoom};

/// What the worker vouches for on a forwarded upgrade.
pub struct Upgrade {
    pub claims: TicketClaims,
    pub identity: SessionIdentity,
    /// D1's state of the meeting at upgrade time (D1 is the source of truth).
    pub meeting_state: Option<MeetingState>,
}

fn get(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
}

pub fn upgrade_identity(req: &Request) -> Option<Upgrade> {
    let meeting_id = get(req, header::MEETING_ID)?;
    let user_id = get(req, header::USER_ID)?;
    let role = MeetingRole::parse(&get(req, header::ROLE)?);
    let org_role = OrgRole::from_workos(get(req, header::ORG_ROLE).as_deref(), &[]);
    let nonce_hex = get(req, header::TICKET_NONCE)?;
    let nonce: [u8; 16] = from_hex(&nonce_hex)?.try_into().ok()?;
    let expires_at_ms = get(req, header::TICKET_EXP_MS)?.parse::<u64>().ok()?;
    let claims = TicketClaims {
        user_id: user_id.clone(),
        meeting_id,
        role: None,
        nonce,
        issued_at_ms: 0,
        expires_at_ms,
    };
    let mut identity = SessionIdentity::new(user_id, role);
    identity.org_role = org_role;
    identity.client = ClientInfo {
        user_agent: get(req, "user-agent"),
        ip: get(req, "cf-connecting-ip"),
    };
    let meeting_state = get(req, header::MEETING_STATE).and_then(|s| parse_state(&s));
    Some(Upgrade {
        claims,
        identity,
        meeting_state,
    })
}

async fn body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, String> {
    let bytes = req.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("bad notice body: {e}"))
}

fn parse_state(s: &str) -> Option<MeetingState> {
    MeetingState::ALL.into_iter().find(|m| m.as_str() == s)
}

fn bad(msg: String) -> Result<Response> {
    Response::error(msg, 400)
}

/// Dispatches `/internal/*`. A notice the core refuses answers 409 with
/// the core's reason; a malformed one 400.
pub async fn handle(room: &MeetingRoom, mut req: Request) -> Result<Response> {
    let Some(meeting_id) = get(&req, header::MEETING_ID) else {
        return bad("missing meeting id header".into());
    };
    let path = req.path();
    let now = now_ms();
    let handled = match path.as_str() {
        "/internal/transcript" => return transcript(room, &req, &meeting_id),
        "/internal/state" => {
            let notice: StateNotice = match body(&mut req).await {
                Ok(n) => n,
                Err(e) => return bad(e),
            };
            let Some(state) = parse_state(&notice.state) else {
                return bad(format!("unknown state {}", notice.state));
            };
            room.with_room_for(Some(&meeting_id), |r| {
                r.set_meeting_state(now, state).map_err(|e| e.to_string())
            })
        }
        "/internal/member" => {
            let notice: MemberNotice = match body(&mut req).await {
                Ok(n) => n,
                Err(e) => return bad(e),
            };
            let role = match notice.action {
                MemberAction::Revoke => None,
                MemberAction::SetRole => {
                    match notice.role.as_deref().and_then(MeetingRole::parse) {
                        Some(role) => Some(role),
                        None => return bad("set_role needs a valid role".into()),
                    }
                }
            };
            room.with_room_for(Some(&meeting_id), |r| {
                r.set_member_role(now, &notice.user_id, role)
                    .map_err(|e| e.to_string())
            })
        }
        "/internal/caption" => {
            let notice: CaptionNotice = match body(&mut req).await {
                Ok(n) => n,
                Err(e) => return bad(e),
            };
            let input = TranscriptInput {
                speaker_id: Some(notice.speaker_id),
                text: notice.text,
                // Stream's captions carry no confidence; they are final lines.
                confidence: 1.0,
                start_ms: u64::try_from(notice.start_ms).unwrap_or(0),
                end_ms: u64::try_from(notice.end_ms).unwrap_or(0),
                is_final: notice.is_final,
                language: notice.language,
            };
            room.with_room_for(Some(&meeting_id), |r| {
                r.append_server_transcript(now, input)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        }
        "/internal/presence" => {
            // Stream saw the user join or leave the video call (D1 has it
            // already); the room shows it live as the user's `in_call`.
            let notice: PresenceNotice = match body(&mut req).await {
                Ok(n) => n,
                Err(e) => return bad(e),
            };
            let in_call = notice.status == PresenceStatus::Joined;
            let at_ms = u64::try_from(notice.at_ms).unwrap_or(0);
            room.with_room_for(Some(&meeting_id), |r| {
                r.set_call_presence(now, &notice.user_id, in_call, at_ms)
                    .map_err(|e| e.to_string())
            })
        }
        "/internal/end" => {
            let _notice: EndNotice = match body(&mut req).await {
                Ok(n) => n,
                Err(e) => return bad(e),
            };
            let handled = room.with_room_for(Some(&meeting_id), |r| {
                r.set_meeting_state(now, MeetingState::Concluded)
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = &handled {
                return Response::error(e.clone(), 409);
            }
            room.settle(handled, "end").await;
            // 2xx only once the tail is in D1: the caller retries otherwise.
            let pending = room.with_room(|r| Ok(r.has_unflushed()));
            return match pending {
                Ok((false, _)) => Response::ok("flushed"),
                Ok((true, _)) => Response::error("the final flush did not complete", 503),
                Err(e) => Response::error(e, 500),
            };
        }
        _ => return Response::error("not found", 404),
    };
    match handled {
        Ok(ok) => {
            room.settle(Ok(ok), "internal").await;
            Response::empty().map(|r| r.with_status(204))
        }
        Err(e) => Response::error(e, 409),
    }
}

/// `GET /internal/transcript`: a bounded read straight from the room's own
/// storage, which holds every chunk (flushed or not) in sequence order.
fn transcript(room: &MeetingRoom, req: &Request, meeting_id: &str) -> Result<Response> {
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    let q = match TranscriptQuery::parse(&query) {
        Ok(q) => q,
        Err(e) => return bad(e.message),
    };
    let read = room.with_room_for(Some(meeting_id), |r| {
        let store = r.store();
        match q {
            TranscriptQuery::AfterSeq { after_seq, limit } => {
                store.transcript_after(after_seq, usize::try_from(limit).unwrap_or(100))
            }
            TranscriptQuery::ByTime {
                from_ms,
                to_ms,
                limit,
            } => store.transcript_by_time(from_ms, to_ms, usize::try_from(limit).unwrap_or(100)),
        }
        .map_err(|e| e.to_string())
    });
    match read {
        Ok((chunks, _)) => Response::from_json(&serde_json::json!({ "chunks": chunks })),
        Err(e) => Response::error(e, 500),
    }
}
