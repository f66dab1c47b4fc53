//! The meeting routes (`/v1/meetings…`): the thin shell around the pure
//! rules in `connvo_shared::meeting`. Every handler authenticates, loads the
//! meeting with the caller's membership, asks `acl::allowed` (through
//! `access::require`), validates its body into a typed value, writes D1 with
//! guarded statements, then tells the room and queues jobs.
//! See docs/api.md, "Meetings".

mod access;
mod audited;
mod caller;
mod create;
pub mod ending;
mod lifecycle;
mod participants;
mod read;
mod store;
pub mod sweep;
mod tokens;
mod transcript;
mod update;
mod ws;

use connvo_shared::meeting::routes::MeetingRoute;
use connvo_shared::ApiError;
use worker::{Env, Request, Response};

use crate::request::RequestCtx;

pub async fn dispatch(
    route: MeetingRoute,
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
) -> Result<Response, ApiError> {
    match route {
        MeetingRoute::Create => create::create(ctx, req, env).await,
        MeetingRoute::List => read::list(ctx, &req, env).await,
        MeetingRoute::Get { meeting_id } => read::get(ctx, &req, env, &meeting_id).await,
        MeetingRoute::Update { meeting_id } => update::update(ctx, req, env, &meeting_id).await,
        MeetingRoute::Cancel { meeting_id } => lifecycle::cancel(ctx, req, env, &meeting_id).await,
        MeetingRoute::Start { meeting_id } => lifecycle::start(ctx, req, env, &meeting_id).await,
        MeetingRoute::End { meeting_id } => lifecycle::end(ctx, req, env, &meeting_id).await,
        MeetingRoute::ListParticipants { meeting_id } => {
            read::participants(ctx, &req, env, &meeting_id).await
        }
        MeetingRoute::AddParticipant { meeting_id } => {
            participants::add(ctx, req, env, &meeting_id).await
        }
        MeetingRoute::RemoveParticipant {
            meeting_id,
            user_id,
        } => participants::remove(ctx, req, env, &meeting_id, &user_id).await,
        MeetingRoute::ChangeRole {
            meeting_id,
            user_id,
        } => participants::change_role(ctx, req, env, &meeting_id, &user_id).await,
        MeetingRoute::TransferHost { meeting_id } => {
            participants::transfer_host(ctx, req, env, &meeting_id).await
        }
        MeetingRoute::VideoToken { meeting_id } => {
            tokens::video_token(ctx, req, env, &meeting_id).await
        }
        MeetingRoute::WsTicket { meeting_id } => {
            tokens::ws_ticket(ctx, req, env, &meeting_id).await
        }
        MeetingRoute::Ws { meeting_id } => ws::ws(ctx, req, env, &meeting_id).await,
        MeetingRoute::Transcript { meeting_id } => {
            transcript::transcript(ctx, &req, env, &meeting_id).await
        }
        MeetingRoute::Segments { meeting_id } => {
            transcript::segments(ctx, &req, env, &meeting_id).await
        }
    }
}
