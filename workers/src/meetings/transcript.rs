//! Reading a meeting's transcript back over REST, for participants (the
//! ACL's `ReadTranscript`): the live chunks, bounded by sequence or by time
//! (`GET …/transcript`, answered by the room, which holds every chunk), and
//! the aggregated speaker-turn segments (`GET …/segments`, from D1, keyset
//! paginated).

use connvo_rooms::d1::D1;
use connvo_shared::room_internal::{SegmentsQuery, TranscriptQuery};
use connvo_shared::sql::segments::SegmentListByMeeting;
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;
use crate::room_client::Room;

fn query_string(req: &Request) -> String {
    req.url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn transcript(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let meeting_id = call.meeting()?.meeting.id.as_str();
    let query = TranscriptQuery::parse(&query_string(req))?;
    let body = Room::new(env, meeting_id, &ctx.request_id)
        .transcript(&query)
        .await?;
    let chunks = body["chunks"].as_array().cloned().unwrap_or_default();
    let next_after_seq = chunks.last().and_then(|c| c["seq"].as_u64());
    Ok(respond::json(
        200,
        &json!({ "chunks": chunks, "next_after_seq": next_after_seq }),
    ))
}

pub async fn segments(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let meeting_id = call.meeting()?.meeting.id.as_str();
    let query = SegmentsQuery::parse(&query_string(req))?;
    let db = D1::from_env(env)?;
    let rows: Vec<Value> = db
        .all(SegmentListByMeeting {
            meeting_id,
            after_start_ms: query.after_start_ms,
            after_speaker_id: query.after_speaker.as_str(),
            limit: query.limit,
        })
        .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|mut r| {
            for key in ["speakers", "topics", "prompt_ids"] {
                if let Some(text) = r[key].as_str() {
                    r[key] = serde_json::from_str(text).unwrap_or(Value::Array(vec![]));
                }
            }
            r
        })
        .collect();
    let next = (items.len() as i64 == query.limit)
        .then(|| {
            items
                .last()
                .map(|l| json!({"after_start_ms": l["start_ms"], "after_speaker": l["speaker_id"]}))
        })
        .flatten();
    Ok(respond::json(
        200,
        &json!({ "segments": items, "next": next }),
    ))
}
