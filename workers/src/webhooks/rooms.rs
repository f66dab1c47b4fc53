//! Pushing identity changes to live meetings: for each active meeting a
//! user participates in, `POST https://room/internal/member` to its
//! MeetingRoom Durable Object (contract: docs/protocol.md, "Internal
//! endpoints"), so the room kicks or demotes the user's open sockets at once
//! instead of when their token expires.
//!
//! Runs after the webhook has been answered (`wait_until`); failures are
//! logged, never retried here (the token's expiry bounds the exposure).

use connvo_shared::log::{Level, LogLine};
use connvo_shared::sql::meetings::MEETING_LIST_FOR_USER_ASC;
use serde_json::{json, Value};
use worker::{Env, Method, Request, RequestInit};

use crate::router::RequestCtx;
use crate::{config, logging, sqlbind};

/// Meetings fetched per query, and at most this many pages.
const PAGE: u32 = 100;
const MAX_PAGES: u32 = 5;

/// What a room is told to do with a user's sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberAction {
    /// Close every socket of the user (user deleted, session revoked,
    /// removed from the meeting's organisation).
    Revoke,
    /// The user's organisation role changed; the room re-checks what their
    /// sockets may do.
    SetOrgRole(String),
}

/// A change to push: to the user's active meetings, only those of `org_id`
/// when given.
#[derive(Debug, Clone)]
pub struct MemberChange {
    pub user_id: String,
    pub action: MemberAction,
    pub org_id: Option<String>,
}

impl MemberChange {
    fn body(&self) -> Value {
        match &self.action {
            MemberAction::Revoke => json!({ "user_id": self.user_id, "action": "revoke" }),
            MemberAction::SetOrgRole(role) => {
                json!({ "user_id": self.user_id, "action": "set_org_role", "org_role": role })
            }
        }
    }
}

/// Schedules the room calls after the response.
pub fn notify_later(ctx: &RequestCtx, env: &Env, change: MemberChange) {
    let env = env.clone();
    let request_id = ctx.request_id.clone();
    let work = async move { notify(&env, &request_id, &change).await };
    if let Some(worker_ctx) = &ctx.worker_ctx {
        worker_ctx.wait_until(work);
    }
}

async fn notify(env: &Env, request_id: &str, change: &MemberChange) {
    let meetings = match active_meetings(env, &change.user_id, change.org_id.as_deref()).await {
        Ok(m) => m,
        Err(e) => {
            log(
                Level::Error,
                request_id,
                "listing active meetings failed",
                None,
                Some(&e),
                change,
            );
            return;
        }
    };
    for meeting_id in meetings {
        match call_room(env, &meeting_id, change).await {
            Ok(200..=299) => log(
                Level::Info,
                request_id,
                "room member notified",
                Some(&meeting_id),
                None,
                change,
            ),
            Ok(status) => log(
                Level::Warn,
                request_id,
                "room member notify refused",
                Some(&meeting_id),
                Some(&format!("room answered {status}")),
                change,
            ),
            Err(e) => log(
                Level::Error,
                request_id,
                "room member notify failed",
                Some(&meeting_id),
                Some(&e),
                change,
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

async fn call_room(env: &Env, meeting_id: &str, change: &MemberChange) -> Result<u16, String> {
    let ns = env
        .durable_object(config::ROOMS)
        .map_err(|e| e.to_string())?;
    let stub = ns
        .id_from_name(meeting_id)
        .and_then(|id| id.get_stub())
        .map_err(|e| e.to_string())?;
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(change.body().to_string().into()));
    let req =
        Request::new_with_init("https://room/internal/member", &init).map_err(|e| e.to_string())?;
    let resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())?;
    Ok(resp.status_code())
}

fn log(
    level: Level,
    request_id: &str,
    msg: &str,
    meeting_id: Option<&str>,
    error: Option<&str>,
    change: &MemberChange,
) {
    let action = match &change.action {
        MemberAction::Revoke => "revoke",
        MemberAction::SetOrgRole(_) => "set_org_role",
    };
    let mut line = LogLine::new(level, msg, request_id)
        .field("user_id", change.user_id.as_str())
        .field("action", action);
    if let Some(m) = meeting_id {
        line = line.field("meeting_id", m);
    }
    if let Some(e) = error {
        line = line.field("error", e);
    }
    logging::emit(&line, level);
}
