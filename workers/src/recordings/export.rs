//! `GET /v1/meetings/{id}/transcript/export?format=txt|srt|vtt|json`
//! (F10–F17): our own transcript (the room's final chunks, read in pages)
//! as a file, with the members' display names as speaker labels.

use connvo_rooms::d1::D1;
use connvo_shared::recordings::transcript_export::{
    lines_from_chunks, render, Format, RoomChunk, EXPORT_PAGE, MAX_EXPORT_LINES,
};
use connvo_shared::room_internal::TranscriptQuery;
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Request, Response};

use crate::meetings::store;
use crate::pipeline::Call;
use crate::request::RequestCtx;

/// The one `format` query parameter.
fn format_param(req: &Request) -> Result<Format, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let mut format = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "format" if format.is_none() => format = Some(value.into_owned()),
            other => {
                return Err(ApiError::validation("unknown or repeated query parameter")
                    .with_details(json!({ "field": other, "reason": "UNKNOWN_PARAMETER" })))
            }
        }
    }
    format.as_deref().and_then(Format::parse).ok_or_else(|| {
        ApiError::validation("format must be one of txt, srt, vtt, json")
            .with_details(json!({ "field": "format", "reason": "INVALID_FORMAT" }))
    })
}

pub async fn transcript(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let format = format_param(req)?;
    let meeting_id = call.meeting()?.meeting.id.as_str();
    let room = crate::room_client::Room::new(env, meeting_id, &ctx.request_id);
    let mut chunks: Vec<RoomChunk> = Vec::new();
    let mut after_seq = 0;
    loop {
        let page = room
            .transcript(&TranscriptQuery::AfterSeq {
                after_seq,
                limit: EXPORT_PAGE,
            })
            .await?;
        let got: Vec<RoomChunk> = serde_json::from_value(page["chunks"].clone())
            .map_err(|e| ApiError::internal(format!("transcript page: {e}")))?;
        let full = got.len() as u64 == EXPORT_PAGE;
        after_seq = got.last().map_or(after_seq, |c| c.seq);
        chunks.extend(got);
        if !full || chunks.len() >= MAX_EXPORT_LINES {
            break;
        }
    }
    chunks.truncate(MAX_EXPORT_LINES);
    let db = D1::from_env(env)?;
    let names: Vec<(String, Option<String>)> = store::participants(&db, meeting_id)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p.display_name))
        .collect();
    let body = render(format, meeting_id, &lines_from_chunks(&chunks, &names));
    let mut resp = Response::ok(body).map_err(|e| ApiError::internal(e.to_string()))?;
    let headers = resp.headers_mut();
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|e| ApiError::internal(e.to_string()))
    };
    set("content-type", format.content_type())?;
    set(
        "content-disposition",
        &format!(
            "attachment; filename=\"transcript-{meeting_id}.{}\"",
            format.extension()
        ),
    )?;
    set("cache-control", "private, no-store")?;
    Ok(resp)
}
