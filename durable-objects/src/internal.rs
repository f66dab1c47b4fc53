//! `/internal/*`: the worker's notices to the room (docs/protocol.md,
//! "Internal endpoints"). The shell only reads the request and writes the
//! answer: decoding (`Notice::decode`), the decision
//! (`RoomCore::handle_notice`) and every refusal's status and stable reason
//! come from the core. Only the worker can reach these (the object has no
//! public URL).

use connvo_shared::room::{notice_meeting_id, Notice, NoticeReply};
use connvo_shared::room_internal::header as h;
use connvo_shared::ApiError;
use worker::{Method, Request, Response, Result};

use crate::meeting_room::{error_response, header, now_ms, MeetingRoom};

pub async fn handle(room: &MeetingRoom, mut req: Request) -> Result<Response> {
    let meeting_id = match notice_meeting_id(header(&req, h::MEETING_ID)) {
        Ok(id) => id,
        Err(err) => return error_response(&err),
    };
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    let body = match req.method() {
        Method::Get => Vec::new(),
        _ => req.bytes().await?,
    };
    let notice = match Notice::decode(&req.path(), &query, &body) {
        Ok(notice) => notice,
        Err(err) => return error_response(&err),
    };
    let now = now_ms();
    let handled = room.with_room_for(
        Some(&meeting_id),
        |core| Ok(core.handle_notice(now, notice)),
    );
    let reply = match handled {
        Ok(reply) => reply,
        Err(e) => {
            return error_response(
                &ApiError::internal(format!("the room could not be loaded: {e}"))
                    .with_details(serde_json::json!({ "reason": "ROOM_UNAVAILABLE" })),
            )
        }
    };
    room.settle("notice").await;
    match reply {
        Err(err) => error_response(&err),
        Ok(NoticeReply::Done) => Response::empty().map(|r| r.with_status(204)),
        Ok(NoticeReply::Json(body)) => Response::from_json(&body),
        // 2xx only once the tail is in D1: the caller retries otherwise.
        Ok(NoticeReply::AfterFlush) => match room.with_room(|core| Ok(core.end_reply())) {
            Ok(Ok(())) => Response::ok("flushed"),
            Ok(Err(err)) => error_response(&err),
            Err(e) => error_response(&ApiError::internal(e)),
        },
    }
}
