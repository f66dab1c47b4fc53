//! `POST /v1/meetings/{id}/start`, `/cancel` and `/end`: host-only moves
//! along the lifecycle (`connvo_shared::meeting::lifecycle`). An illegal
//! move, or one that lost a race to another, is 409 `CONFLICT` and changes
//! nothing. After the D1 write the room is told; starting also (re)queues
//! provisioning, ending runs the end-of-meeting flow (`ending`).

use connvo_shared::acl::{Action, MeetingState};
use connvo_shared::jobs::Job;
use connvo_shared::limits::max_body_bytes;
use connvo_shared::meeting::fields::expect_empty;
use connvo_shared::meeting::lifecycle::{IllegalTransition, Transition};
use connvo_shared::meeting::view::Provisioning;
use connvo_shared::route::RouteClass;
use connvo_shared::ApiError;
use worker::{D1Database, Env, Request, Response};

use super::access::{require, Access};
use super::audited::{self, action as audit_action};
use super::ending::{conclude, finalize_now, transition};
use super::read::detail_json;
use super::{caller, store};
use crate::db;
use crate::jobs::send::enqueue;
use crate::request::{read_body, RequestCtx};
use crate::respond;
use crate::room_client::Room;
use crate::sys::now_ms;
use connvo_shared::meeting::access::Caller;

/// The 409 for a transition that lost a race: reports the state it met.
async fn lost_race(db: &D1Database, meeting_id: &str, transition: Transition) -> ApiError {
    match store::meeting(db, meeting_id).await {
        Ok(Some(row)) => IllegalTransition {
            from: row.state(),
            transition,
        }
        .into(),
        Ok(None) => connvo_shared::meeting::access::not_visible(),
        Err(err) => err,
    }
}

async fn authorized(
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
    meeting_id: &str,
    action: Action,
) -> Result<(Caller, D1Database, Access), ApiError> {
    let caller = caller::authenticate(&req, env, ctx).await?;
    let body = read_body(&mut req, max_body_bytes(RouteClass::Default)).await?;
    let db = db::database(env)?;
    let access = require(ctx, &db, &caller, meeting_id, action).await?;
    expect_empty(&body)?;
    Ok((caller, db, access))
}

async fn respond_with(
    db: &D1Database,
    access: &Access,
    status: u16,
    extra: Option<(&str, serde_json::Value)>,
) -> Result<Response, ApiError> {
    let row = store::meeting(db, &access.meeting.id)
        .await?
        .ok_or_else(|| ApiError::internal("the meeting vanished"))?;
    let participants = store::participants(db, &row.id).await?;
    let mut body = detail_json(&row, access.role(), &participants);
    if let Some((key, value)) = extra {
        body[key] = value;
    }
    Ok(respond::json(status, &body))
}

/// `POST /v1/meetings/{id}/start`
pub async fn start(
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let (caller, db, access) = authorized(ctx, req, env, meeting_id, Action::StartMeeting).await?;
    let now = now_ms();
    let from = access.meeting.state();
    if !transition(&db, meeting_id, from, Transition::Start, now).await? {
        return Err(lost_race(&db, meeting_id, Transition::Start).await);
    }
    audited::done(ctx, &caller, meeting_id, audit_action::START, &[]);
    let room = Room::new(env, meeting_id, &ctx.request_id);
    room.notify(
        "state",
        room.state(MeetingState::Active.as_str(), now).await,
    );
    if access.meeting.provisioning() != Provisioning::Ready {
        enqueue(
            env,
            Job::ProvisionCall {
                meeting_id: meeting_id.to_owned(),
            },
            &ctx.request_id,
        )
        .await;
    }
    respond_with(&db, &access, 200, None).await
}

/// `POST /v1/meetings/{id}/cancel`
pub async fn cancel(
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let (caller, db, access) = authorized(ctx, req, env, meeting_id, Action::CancelMeeting).await?;
    let now = now_ms();
    let from = access.meeting.state();
    if !transition(&db, meeting_id, from, Transition::Cancel, now).await? {
        return Err(lost_race(&db, meeting_id, Transition::Cancel).await);
    }
    audited::done(ctx, &caller, meeting_id, audit_action::CANCEL, &[]);
    let room = Room::new(env, meeting_id, &ctx.request_id);
    room.notify(
        "state",
        room.state(MeetingState::Cancelled.as_str(), now).await,
    );
    respond_with(&db, &access, 200, None).await
}

/// `POST /v1/meetings/{id}/end`: 200 when the room flushed; 202 when the
/// meeting is concluded but the flush is being retried from the queue.
pub async fn end(
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let (caller, db, access) = authorized(ctx, req, env, meeting_id, Action::EndMeeting).await?;
    let now = now_ms();
    if !conclude(&db, meeting_id, now, now).await? {
        return Err(lost_race(&db, meeting_id, Transition::End).await);
    }
    let finalization = finalize_now(env, &db, meeting_id, "host", now, &ctx.request_id).await;
    audited::done(
        ctx,
        &caller,
        meeting_id,
        audit_action::END,
        &[("finalization", finalization["status"].clone())],
    );
    let status = if finalization["status"] == "done" {
        200
    } else {
        202
    };
    respond_with(&db, &access, status, Some(("finalization", finalization))).await
}
