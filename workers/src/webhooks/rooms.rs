//! Pushing identity changes to live meetings: for each active meeting a
//! user participates in, a `revoke` member notice to its MeetingRoom
//! (`POST https://room/internal/member`, the contract in
//! `connvo_shared::room_internal` and docs/protocol.md, "Internal
//! endpoints"), so the room closes the user's sockets at once instead of
//! when their token expires.
//!
//! Organisation role changes need no notice: inside a room every right comes
//! from the meeting role, and no room action is granted to an org role
//! (`connvo_shared::room::meeting_room`, `context()`), so there is nothing on
//! a live socket to lower.
//!
//! Runs after the webhook has been answered (`wait_until`); failures are
//! logged, never retried here (the token's expiry bounds the exposure).

use connvo_shared::log::{Level, LogLine};
use connvo_shared::sql::meetings::MEETING_LIST_FOR_USER_ASC;
use serde_json::Value;
use worker::Env;

use crate::request::RequestCtx;
use crate::room_client::Room;
use crate::{config, logging, sqlbind};

/// Meetings fetched per query, and at most this many pages.
const PAGE: u32 = 100;
const MAX_PAGES: u32 = 5;

/// Whose sockets to close: the user's, in their active meetings (only
/// those of `org_id` when given).
#[derive(Debug, Clone)]
pub struct Revocation {
    pub user_id: String,
    pub org_id: Option<String>,
    /// Why, for the log (`user.deleted`, `session.revoked`, …).
    pub cause: String,
}

/// Schedules the room notices after the response.
pub fn revoke_later(ctx: &RequestCtx, env: &Env, revocation: Revocation) {
    let env = env.clone();
    let request_id = ctx.request_id.clone();
    let work = async move { revoke(&env, &request_id, &revocation).await };
    if let Some(worker_ctx) = &ctx.worker_ctx {
        worker_ctx.wait_until(work);
    }
}

async fn revoke(env: &Env, request_id: &str, r: &Revocation) {
    let meetings = match active_meetings(env, &r.user_id, r.org_id.as_deref()).await {
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

/// Ids of the active meetings `user_id` participates in (of `org_id`, if given).
async fn active_meetings(
    env: &Env,
    user_id: &str,
    org_id: Option<&str>,
) -> Result<Vec<String>, String> {
    let db = env.d1(config::DB).map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    let (mut after_at, mut after_id) = (0i64, String::new());
    for _ in 0..MAX_PAGES {
        let params = [
            Value::from(user_id),
            Value::from("active"),
            Value::from(after_at),
            Value::from(after_id.clone()),
            Value::from(connvo_shared::audit::MAX_TIME_MS),
            Value::from(PAGE),
        ];
        let rows: Vec<Value> = sqlbind::prepare(&db, MEETING_LIST_FOR_USER_ASC, &params)
            .map_err(|e| e.to_string())?
            .all()
            .await
            .map_err(|e| e.to_string())?
            .results()
            .map_err(|e| e.to_string())?;
        let full = rows.len() == PAGE as usize;
        for row in &rows {
            let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
            let org = row.get("org_id").and_then(Value::as_str);
            if !id.is_empty() && org_id.is_none_or(|want| org == Some(want)) {
                found.push(id.to_owned());
            }
        }
        match rows.last() {
            Some(last) if full => {
                after_at = last
                    .get("scheduled_at")
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MAX);
                after_id = last
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
            }
            _ => break,
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
