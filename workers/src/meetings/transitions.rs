//! `POST /v1/meetings/{id}/start`, `/cancel` and `/end`: host-only moves
//! along the lifecycle. Start and cancel are plans
//! (`meeting::plan::transitions`); an illegal move, or one that lost a race,
//! is 409 `CONFLICT` and changes nothing. Ending runs the end-of-meeting
//! flow (`ending`), shared with Stream's `call.ended` webhook.

use connvo_rooms::d1::D1;
use connvo_shared::intelligence::flags::FlagKey;
use connvo_shared::meeting::lifecycle::Transition;
use connvo_shared::meeting::plan::{action, transitions};
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use worker::{Env, Response};

use super::audited;
use super::ending::{conclude, finalize_now};
use super::execute::{execute, meeting_body, For};
use super::store;
use crate::clock::now_ms;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

async fn move_to(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    transition: Transition,
) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    expect_empty(&call.body)?;
    // Only a start promotes pre-call prompts (I37), and only with the flag.
    let incall_on = transition == Transition::Start
        && crate::intelligence::flags::is_on(
            env,
            FlagKey::Incall,
            access.meeting.org_id.as_deref(),
            &access.meeting.id,
        )
        .await?;
    let plan = transitions::plan(&access.meeting, transition, incall_on, now_ms())?;
    let db = D1::from_env(env)?;
    let on = For::new(ctx, env, &db, access);
    let lost = |current: Option<&_>| transitions::lost_race(current, transition);
    let resp = execute(&on, plan, lost).await?.0;
    if transition == Transition::Start {
        let host = access.caller.user_id.as_str();
        crate::notifications::producers::meeting_started(env, &access.meeting.id, host).await;
    }
    Ok(resp)
}

/// `POST /v1/meetings/{id}/start`; a `recording_enabled` meeting then
/// starts recording (F22, best effort).
pub async fn start(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let resp = move_to(ctx, call, env, Transition::Start).await?;
    let access = call.meeting()?;
    if access.meeting.recording_enabled != 0 {
        // The row loaded before the start: re-read it, now active.
        let db = D1::from_env(env)?;
        if let Some(meeting) = store::meeting(&db, &access.meeting.id).await? {
            crate::recordings::auto_start(ctx, env, &meeting).await;
        }
    }
    Ok(resp)
}

/// `POST /v1/meetings/{id}/cancel`
pub async fn cancel(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    move_to(ctx, call, env, Transition::Cancel).await
}

/// `POST /v1/meetings/{id}/end`: 200 when the room flushed; 202 when the
/// meeting is concluded but the flush is being retried from the queue.
pub async fn end(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    expect_empty(&call.body)?;
    let meeting_id = access.meeting.id.as_str();
    let now = now_ms();
    let db = D1::from_env(env)?;
    if !conclude(&db, meeting_id, now, now).await? {
        let current = store::meeting(&db, meeting_id).await?;
        return Err(transitions::lost_race(current.as_ref(), Transition::End));
    }
    let finalization = finalize_now(env, &db, meeting_id, "host", now, &ctx.request_id).await;
    audited::done(
        ctx,
        &access.caller,
        meeting_id,
        action::END,
        &[("finalization", finalization["status"].clone())],
    );
    let status = if finalization["status"] == "done" {
        200
    } else {
        202
    };
    crate::notifications::producers::meeting_ended(env, meeting_id).await;
    let mut body = meeting_body(&db, meeting_id, access.role()).await?;
    body["finalization"] = finalization;
    Ok(respond::json(status, &body))
}
