//! Pushing identity changes to live meetings: for each active meeting a
//! user participates in (the pages and the org filter are the core's,
//! `connvo_shared::workos_events::revocation`), a `revoke` member notice to
//! its MeetingRoom (`POST https://room/internal/member`, docs/protocol.md,
//! "Internal endpoints"), so the room closes the user's sockets at once
//! instead of when their token expires.
//!
//! Runs after the webhook has been answered (`wait_until`); failures are
//! logged, never retried here (the token's expiry bounds the exposure).

use connvo_rooms::d1::D1;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::workos_events::revocation::{Cursor, ListedMeeting, Revocation, MAX_PAGES};
use worker::Env;

use crate::logging;
use crate::request::RequestCtx;
use crate::room_client::Room;

/// Schedules the room notices after the response.
pub fn revoke_later(ctx: &RequestCtx, env: &Env, revocation: Revocation) {
    let env = env.clone();
    let request_id = ctx.request_id.clone();
    let work = async move { revoke(&env, &request_id, &revocation).await };
    if let Some(worker_ctx) = &ctx.worker_ctx {
        worker_ctx.wait_until(work);
    }
}

/// Closes the user's hub channel and their sockets in every active meeting
/// (also the erasure job's, `privacy::erasure`).
pub(crate) async fn revoke(env: &Env, request_id: &str, r: &Revocation) {
    // The user's own channel first (N14): their hub sockets and streams.
    if let Err(e) = crate::notifications::hub::close(env, &r.user_id).await {
        log(
            Level::Warn,
            request_id,
            "hub close failed",
            None,
            Some(&e),
            r,
        );
    }
    let meetings = match active_meetings(env, r).await {
        Ok(m) => m,
        Err(e) => {
            log(
                Level::Error,
                request_id,
                "listing active meetings failed",
                None,
                Some(&e),
                r,
            );
            return;
        }
    };
    for meeting_id in meetings {
        match Room::new(env, &meeting_id, request_id)
            .revoke(&r.user_id)
            .await
        {
            Ok(()) => log(
                Level::Info,
                request_id,
                "room member revoked",
                Some(&meeting_id),
                None,
                r,
            ),
            Err(e) => log(
                Level::Warn,
                request_id,
                "room member revoke failed",
                Some(&meeting_id),
                Some(&e.to_string()),
                r,
            ),
        }
    }
}

/// Ids of the active meetings whose rooms get the notice.
async fn active_meetings(env: &Env, r: &Revocation) -> Result<Vec<String>, String> {
    let d1 = D1::from_env(env).map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    let mut cursor = Cursor::default();
    for _ in 0..MAX_PAGES {
        let rows: Vec<ListedMeeting> = d1.all(r.page(&cursor)).await.map_err(|e| e.to_string())?;
        let page = r.read_page(&rows);
        found.extend(page.meetings);
        match page.next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    Ok(found)
}

fn log(
    level: Level,
    request_id: &str,
    msg: &str,
    meeting_id: Option<&str>,
    error: Option<&str>,
    r: &Revocation,
) {
    let mut line = LogLine::new(level, msg, request_id)
        .field("user_id", r.user_id.as_str())
        .field("action", "revoke")
        .field("cause", r.cause.as_str());
    if let Some(m) = meeting_id {
        line = line.field("meeting_id", m);
    }
    if let Some(e) = error {
        line = line.field("error", e);
    }
    logging::emit(&line, level);
}
