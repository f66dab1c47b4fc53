//! Runs a meeting plan (`connvo_shared::meeting::plan::Plan`): its
//! statements as one D1 batch, its guards against the outcome, then its
//! audit events, room notices and jobs, and finally its reply. The plan
//! decided everything; this only carries it out.

use connvo_rooms::d1::{Outcome, D1};
use connvo_shared::acl::MeetingRole;
use connvo_shared::meeting::access::Caller;
use connvo_shared::meeting::plan::{GuardError, Plan, Reply, RoomNotice};
use connvo_shared::meeting::view::{MeetingRow, ParticipantListRow};
use connvo_shared::ApiError;
use serde_json::Value;
use worker::{Env, Response};

use super::{audited, store};
use crate::jobs::send::enqueue;
use crate::pipeline::MeetingAccess;
use crate::request::RequestCtx;
use crate::respond;
use crate::room_client::Room;

/// A meeting as `GET /v1/meetings/{id}` shows it: its fields, the caller's
/// role (`null` for an org admin who is not a member) and its members.
pub fn detail_json(
    row: &MeetingRow,
    my_role: Option<MeetingRole>,
    participants: &[ParticipantListRow],
) -> Value {
    let mut body = row.to_json();
    body["my_role"] = my_role.map_or(Value::Null, |r| Value::from(r.as_str()));
    body["participants"] = Value::Array(participants.iter().map(|p| p.to_json()).collect());
    body
}

/// Who the plan runs for.
pub struct For<'a> {
    pub ctx: &'a RequestCtx,
    pub env: &'a Env,
    pub db: &'a D1,
    pub caller: &'a Caller,
    pub meeting_id: &'a str,
    pub role: Option<MeetingRole>,
}

impl<'a> For<'a> {
    pub fn new(
        ctx: &'a RequestCtx,
        env: &'a Env,
        db: &'a D1,
        access: &'a MeetingAccess,
    ) -> For<'a> {
        For {
            ctx,
            env,
            db,
            caller: &access.caller,
            meeting_id: &access.meeting.id,
            role: access.role(),
        }
    }
}

/// Runs `plan`. `lost_race` answers a `ReReadMeeting` guard from the
/// meeting as it is now. Returns the batch's outcomes with the response.
pub async fn execute(
    on: &For<'_>,
    plan: Plan,
    lost_race: impl FnOnce(Option<&MeetingRow>) -> ApiError,
) -> Result<(Response, Vec<Outcome>), ApiError> {
    let outcomes = on.db.batch(&plan.statements).await?;
    for guard in &plan.guards {
        let effect = outcomes
            .get(guard.index)
            .map_or(0, |o| o.changes.max(o.rows.len()));
        if !guard.holds(effect) {
            return Err(match &guard.error {
                GuardError::Fixed(err) => err.clone(),
                GuardError::ReReadMeeting => {
                    let current = store::meeting(on.db, on.meeting_id).await?;
                    lost_race(current.as_ref())
                }
            });
        }
    }
    let response = plan.response.clone();
    effects(on, plan).await;
    let response = match response {
        Reply::Json { status, body } => respond::json(status, &body),
        Reply::Meeting { status, meeting_id } => {
            meeting_reply(on.db, &meeting_id, on.role, status).await?
        }
        Reply::Empty => Response::empty()
            .map(|r| r.with_status(204))
            .map_err(|e| ApiError::internal(e.to_string()))?,
    };
    Ok((response, outcomes))
}

/// What follows a plan's successful batch: audit, room notices, jobs.
pub async fn effects(on: &For<'_>, plan: Plan) {
    audited::notes(on.ctx, on.caller, on.meeting_id, &plan.audit);
    if !plan.notices.is_empty() {
        let room = Room::new(on.env, on.meeting_id, &on.ctx.request_id);
        for notice in &plan.notices {
            match notice {
                RoomNotice::State { state, at_ms } => {
                    room.notify("state", room.state(state, *at_ms).await)
                }
                RoomNotice::Revoke { user_id } => {
                    room.notify("member.revoke", room.revoke(user_id).await)
                }
                RoomNotice::SetRole { user_id, role } => {
                    room.notify("member.set_role", room.set_role(user_id, role).await)
                }
            }
        }
    }
    for job in plan.jobs {
        enqueue(on.env, job, &on.ctx.request_id).await;
    }
}

/// `status` with the meeting as it is now, with its members.
pub async fn meeting_reply(
    db: &D1,
    meeting_id: &str,
    role: Option<MeetingRole>,
    status: u16,
) -> Result<Response, ApiError> {
    Ok(respond::json(
        status,
        &meeting_body(db, meeting_id, role).await?,
    ))
}

/// The meeting as it is now, with its members (`GET /v1/meetings/{id}`).
pub async fn meeting_body(
    db: &D1,
    meeting_id: &str,
    role: Option<MeetingRole>,
) -> Result<Value, ApiError> {
    let row = store::meeting(db, meeting_id)
        .await?
        .ok_or_else(|| ApiError::internal("the meeting vanished"))?;
    let participants = store::participants(db, meeting_id).await?;
    Ok(detail_json(&row, role, &participants))
}
