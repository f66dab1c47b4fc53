//! The per-user real-time channel, worker side (`connvo_rooms::UserHub`,
//! protocol in docs/notifications.md "The per-user channel"):
//! `POST /v1/me/ws-ticket` issues a single-use ticket (30 s, the meeting
//! ticket format with the audience [`HUB_AUDIENCE`] in place of a meeting
//! id), `GET /v1/me/ws?ticket=` verifies it and forwards the upgrade to the
//! user's hub, and [`Notice::send`] posts one notice to several users' hubs
//! at once (both people of a proposal are told together). A failed notice
//! is logged, never fatal: D1 holds the truth and REST reads it.

use connvo_shared::auth::ticket::{issue_ticket, verify_ticket};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::room_internal::header;
use connvo_shared::signature::to_hex;
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use futures::future::join_all;
use serde_json::{json, Value};
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::clock::now_ms;
use crate::config::ws_ticket_secret;
use crate::entropy::random;
use crate::logging;
use crate::pipeline::Call;
use crate::respond;

/// The Durable Object binding of the hubs.
pub const HUBS: &str = "USER_HUB";
/// What a hub ticket is for (the `mid` claim). Meeting ids always carry an
/// id prefix (`mtg_…`), so no meeting room accepts a hub ticket.
pub const HUB_AUDIENCE: &str = "user_hub";
/// Ticket lifetime, as for a meeting's socket.
const TICKET_TTL_MS: u64 = 30_000;

/// `POST /v1/me/ws-ticket`
pub async fn ticket(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    expect_empty(&call.body)?;
    let secret = ws_ticket_secret(env)?;
    let now = u64::try_from(now_ms()).unwrap_or(0);
    let ticket = issue_ticket(
        &secret,
        authed.user_id(),
        HUB_AUDIENCE,
        None,
        random::<16>()?,
        now,
        TICKET_TTL_MS,
    )?;
    let mut resp = respond::json(
        200,
        &json!({ "ticket": ticket, "expires_at": now + TICKET_TTL_MS }),
    );
    let _ = resp.headers_mut().set("cache-control", "no-store");
    Ok(resp)
}

/// `GET /v1/me/ws?ticket=…` (the ticket is the credential: browsers cannot
/// set headers on a WebSocket).
pub async fn ws(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL is malformed"))?;
    let ticket = url
        .query_pairs()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| ApiError::unauthorized("a ticket is required"))?;
    let secret = ws_ticket_secret(env)?;
    let now = u64::try_from(now_ms()).unwrap_or(0);
    let claims = verify_ticket(&secret, &ticket, HUB_AUDIENCE, now)?;
    let upgrade = req
        .headers()
        .get("upgrade")
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return Err(ApiError::new(
            connvo_shared::ErrorCode::ValidationError,
            "this route only accepts a WebSocket upgrade",
        ));
    }
    let internal = |e: worker::Error| ApiError::internal(format!("hub upgrade: {e}"));
    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        if header::forwardable(&name) {
            headers.set(&name, &value).map_err(internal)?;
        }
    }
    headers
        .set(header::USER_ID, &claims.user_id)
        .map_err(internal)?;
    headers
        .set(header::TICKET_NONCE, &to_hex(&claims.nonce))
        .map_err(internal)?;
    headers
        .set(header::TICKET_EXP_MS, &claims.expires_at_ms.to_string())
        .map_err(internal)?;
    let forwarded = Request::new_with_init(
        "https://hub/ws",
        RequestInit::new()
            .with_method(Method::Get)
            .with_headers(headers),
    )
    .map_err(internal)?;
    env.durable_object(HUBS)
        .and_then(|ns| ns.id_from_name(&claims.user_id)?.get_stub())
        .map_err(internal)?
        .fetch_with_request(forwarded)
        .await
        .map_err(internal)
}

/// One notice for several users.
pub struct Notice {
    users: Vec<String>,
    body: Value,
}

/// `match.proposed`: a cycle paired these two; read the proposal over REST.
pub fn proposed(proposal_id: &str, users: [&str; 2]) -> Notice {
    Notice {
        users: users.iter().map(|u| (*u).to_owned()).collect(),
        body: json!({ "type": "match.proposed", "proposal_id": proposal_id }),
    }
}

/// `match.settled`: the proposal is over (`outcome`: matched, declined,
/// cancelled, expired), with the meeting when matched.
pub fn settled(
    proposal_id: &str,
    users: [&str; 2],
    outcome: &str,
    meeting_id: Option<&str>,
) -> Notice {
    Notice {
        users: users.iter().map(|u| (*u).to_owned()).collect(),
        body: json!({ "type": "match.settled", "proposal_id": proposal_id,
                      "outcome": outcome, "meeting_id": meeting_id }),
    }
}

impl Notice {
    /// Posts to every user's hub concurrently; failures are logged.
    pub async fn send(&self, env: &Env) {
        let body = self.body.to_string();
        let sends = self.users.iter().map(|user| post(env, user, &body));
        for (user, result) in self.users.iter().zip(join_all(sends).await) {
            if let Err(err) = result {
                logging::emit(
                    &LogLine::new(Level::Warn, "hub notice failed", "matching")
                        .field("user_id", user.as_str())
                        .field("error", err),
                    Level::Warn,
                );
            }
        }
    }
}

async fn post(env: &Env, user_id: &str, body: &str) -> Result<(), String> {
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(|e| e.to_string())?;
    let req = Request::new_with_init(
        "https://hub/notify",
        RequestInit::new()
            .with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_owned().into())),
    )
    .map_err(|e| e.to_string())?;
    let mut resp = env
        .durable_object(HUBS)
        .and_then(|ns| ns.id_from_name(user_id)?.get_stub())
        .map_err(|e| e.to_string())?
        .fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())?;
    let _ = resp.bytes().await;
    match resp.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("hub answered {status}")),
    }
}
