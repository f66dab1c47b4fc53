//! Credentials for the live meeting, handed only to participants:
//!
//! - `POST …/video-token`: a Stream call token (HS256 with the API secret;
//!   `user_id`, `call_cids`, `iat`, `exp` one hour later at most), while the
//!   meeting is active or within 15 minutes of its planned start;
//! - `POST …/ws-ticket`: a single-use ticket for the meeting's WebSocket,
//!   valid for 30 seconds (`auth::ticket`).
//!
//! Neither is stored or logged; both answers carry `Cache-Control: no-store`.

use connvo_shared::auth::stream_token::{mint_call_token, MAX_TTL_SECS};
use connvo_shared::auth::ticket::issue_ticket;
use connvo_shared::jobs::Job;
use connvo_shared::meeting::join_window::check_join;
use connvo_shared::meeting::plan::action;
use connvo_shared::meeting::view::Provisioning;
use connvo_shared::validation::expect_empty;
use connvo_shared::{ApiError, ErrorCode};
use serde_json::{json, Value};
use worker::{Env, Response};

use super::audited;
use crate::clock::now_ms;
use crate::config::ws_ticket_secret;
use crate::entropy::random;
use crate::jobs::send::enqueue;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;
use crate::stream::config::StreamConfig;

/// Ticket lifetime: long enough to open a socket, under the 60 s ceiling.
pub const TICKET_TTL_MS: u64 = 30_000;

fn no_store(mut resp: Response) -> Response {
    let _ = resp.headers_mut().set("cache-control", "no-store");
    resp
}

/// `POST /v1/meetings/{id}/video-token`
pub async fn video_token(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let (caller, meeting_id) = (&access.caller, access.meeting.id.as_str());
    expect_empty(&call.body)?;
    let now = now_ms();
    let meeting = &access.meeting;
    check_join(meeting.state(), meeting.scheduled_at, now)?;
    let call = match (
        meeting.provisioning(),
        &meeting.stream_call_type,
        &meeting.stream_call_id,
        &meeting.stream_call_cid,
    ) {
        (Provisioning::Ready, Some(kind), Some(id), Some(cid)) => (kind, id, cid),
        (status, ..) => {
            // Self-healing: whatever became of the first job, try again.
            enqueue(
                env,
                Job::ProvisionCall {
                    meeting_id: meeting_id.to_owned(),
                },
                &ctx.request_id,
            )
            .await;
            let error = meeting
                .to_json()
                .get("video")
                .and_then(|v| v.get("error"))
                .cloned()
                .unwrap_or(Value::Null);
            let failed = status == Provisioning::Failed;
            return Err(ApiError::new(
                ErrorCode::ProviderError,
                if failed {
                    "the video call could not be set up; retrying"
                } else {
                    "the video call is still being set up; retry shortly"
                },
            )
            .with_status(if failed { 502 } else { 503 })
            .with_details(json!({
                "reason": if failed { "CALL_PROVISIONING_FAILED" } else { "CALL_NOT_READY" },
                "provisioning_status": meeting.provisioning_status,
                "error": error,
            })));
        }
    };
    let cfg = StreamConfig::from_env(env)?;
    let now_secs = now.div_euclid(1000);
    let token = mint_call_token(
        &cfg.api_secret,
        &caller.user_id,
        &[call.2.as_str()],
        None,
        now_secs,
        MAX_TTL_SECS,
    )?;
    // The token itself is never logged or audited: only who got one.
    audited::done(
        ctx,
        caller,
        meeting_id,
        action::VIDEO_TOKEN,
        &[("call_cid", json!(call.2))],
    );
    // The SDK's convention: iat = now - 1 s, exp = iat + ttl.
    let expires_at = (now_secs - 1 + i64::from(MAX_TTL_SECS)) * 1000;
    Ok(no_store(respond::json(
        200,
        &json!({
            "token": token,
            "api_key": cfg.api_key,
            "user_id": caller.user_id,
            "call_type": call.0,
            "call_id": call.1,
            "call_cid": call.2,
            "expires_at": expires_at,
        }),
    )))
}

/// `POST /v1/meetings/{id}/ws-ticket`
pub fn ws_ticket(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let (caller, meeting_id) = (&access.caller, access.meeting.id.as_str());
    expect_empty(&call.body)?;
    let secret = ws_ticket_secret(env)?;
    let now = u64::try_from(now_ms()).unwrap_or(0);
    let ticket = issue_ticket(
        &secret,
        &caller.user_id,
        meeting_id,
        access.role().map(|r| r.as_str()),
        random::<16>()?,
        now,
        TICKET_TTL_MS,
    )?;
    audited::done(ctx, caller, meeting_id, action::WS_TICKET, &[]);
    Ok(no_store(respond::json(
        200,
        &json!({ "ticket": ticket, "expires_at": now + TICKET_TTL_MS }),
    )))
}
