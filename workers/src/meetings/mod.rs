//! The meeting routes (`/v1/meetings…`): the thin shell around the pure
//! rules in `connvo_shared::meeting`. The request pipeline
//! (`crate::pipeline`) has authenticated the caller, read the body and
//! decided the route's ACL action on the loaded meeting before a handler
//! here runs; each handler is load → plan (`meeting::plan`) → execute
//! ([`execute`]) → respond. See docs/api.md, "Meetings".

pub(crate) mod audited;
mod create;
pub mod ending;
pub(crate) mod execute;
mod participants;
mod read;
pub(crate) mod store;
pub mod sweep;
mod tokens;
mod transcript;
mod transitions;
mod update;
mod ws;

use connvo_shared::meeting::routes::MeetingRoute;
use connvo_shared::ApiError;
use worker::{Env, Request, Response};

use crate::pipeline::Call;
use crate::request::RequestCtx;

pub async fn dispatch(
    route: MeetingRoute,
    call: Call,
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
) -> Result<Response, ApiError> {
    match route {
        MeetingRoute::Create => create::create(ctx, &call, &req, env).await,
        MeetingRoute::List => read::list(&call, &req, env).await,
        MeetingRoute::Get { .. } => read::get(&call, env).await,
        MeetingRoute::Update { .. } => update::update(ctx, &call, env).await,
        MeetingRoute::Cancel { .. } => transitions::cancel(ctx, &call, env).await,
        MeetingRoute::Start { .. } => transitions::start(ctx, &call, env).await,
        MeetingRoute::End { .. } => transitions::end(ctx, &call, env).await,
        MeetingRoute::ListParticipants { .. } => read::participants(&call, env).await,
        MeetingRoute::AddParticipant { .. } => participants::add(ctx, &call, env).await,
        MeetingRoute::RemoveParticipant { user_id, .. } => {
            participants::remove(ctx, &call, env, &user_id).await
        }
        MeetingRoute::ChangeRole { user_id, .. } => {
            participants::change_role(ctx, &call, env, &user_id).await
        }
        MeetingRoute::TransferHost { .. } => participants::transfer_host(ctx, &call, env).await,
        MeetingRoute::VideoToken { .. } => tokens::video_token(ctx, &call, env).await,
        MeetingRoute::WsTicket { .. } => tokens::ws_ticket(ctx, &call, env),
        MeetingRoute::Ws { .. } => ws::ws(ctx, &call, &req, env).await,
        MeetingRoute::Transcript { .. } => transcript::transcript(ctx, &call, &req, env).await,
        MeetingRoute::Segments { .. } => transcript::segments(&call, &req, env).await,
        MeetingRoute::Prompts { .. } => crate::intelligence::reads::prompts(&call, &req, env).await,
        MeetingRoute::MyInsights { .. } => crate::intelligence::reads::mine(&call, env).await,
        MeetingRoute::DeleteMyInsights { .. } => {
            crate::intelligence::reads::delete_mine(&call, env).await
        }
        MeetingRoute::TranscriptExport { .. } => {
            crate::recordings::transcript(ctx, &call, &req, env).await
        }
        MeetingRoute::Recordings { .. } => crate::recordings::list(&call, &req, env).await,
        MeetingRoute::RecordingStart { .. } => crate::recordings::start(ctx, &call, env).await,
        MeetingRoute::RecordingStop { .. } => crate::recordings::stop(ctx, &call, env).await,
    }
}
