//! Reading a meeting's transcript back over REST, for participants (the
//! ACL's `ReadTranscript`): the live chunks, bounded by sequence or by time
//! (`GET …/transcript`, answered by the room, which holds every chunk), and
//! the aggregated speaker-turn segments (`GET …/segments`, from D1, keyset
//! paginated).

use connvo_shared::acl::Action;
use connvo_shared::room_internal::{SegmentsQuery, TranscriptQuery};
use connvo_shared::sql::segments::SEGMENT_LIST_BY_MEETING;
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use super::access::require;
use super::caller;
use crate::args;
use crate::db;
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
    req: &Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let query = TranscriptQuery::parse(&query_string(req))?;
    let caller = caller::authenticate(req, env, ctx).await?;
    let db = db::database(env)?;
    require(ctx, &db, &caller, meeting_id, Action::ReadTranscript).await?;
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

pub async fn segments(
    ctx: &RequestCtx,
    req: &Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let query = SegmentsQuery::parse(&query_string(req))?;
    let caller = caller::authenticate(req, env, ctx).await?;
    let db = db::database(env)?;
    require(ctx, &db, &caller, meeting_id, Action::ReadTranscript).await?;
    let rows = db::all(
        &db,
        SEGMENT_LIST_BY_MEETING,
        args![
            meeting_id,
            query.after_start_ms,
            query.after_speaker.as_str(),
            query.limit
        ],
    )
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
