//! The worker's side of the per-user hub (`connvo_rooms::UserHub`,
//! docs/protocol.md "The per-user channel"): tickets, the WebSocket
//! upgrade (`GET /v1/notifications/ws`, and issue 12's `GET /v1/me/ws`),
//! the SSE stream (`GET /v1/notifications/stream`), posting one frame to a
//! user's hub, and closing a revoked user's channels.

use connvo_shared::auth::ticket::{issue_ticket, verify_ticket};
use connvo_shared::notifications::hub::{url, AFTER_HEADER};
use connvo_shared::room_internal::header;
use connvo_shared::signature::to_hex;
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

use crate::clock::now_ms;
use crate::config::ws_ticket_secret;
use crate::entropy::random;
use crate::pipeline::Call;
use crate::respond;

/// The Durable Object binding of the hubs.
pub const HUBS: &str = "USER_HUB";
/// What a hub ticket is for (the `mid` claim). Meeting ids always carry an
/// id prefix (`mtg_…`), so no meeting room accepts a hub ticket.
pub const HUB_AUDIENCE: &str = "user_hub";
/// Ticket lifetime, as for a meeting's socket.
const TICKET_TTL_MS: u64 = 30_000;

fn internal(e: worker::Error) -> ApiError {
    ApiError::internal(format!("hub: {e}"))
}

fn stub(env: &Env, user_id: &str) -> Result<Stub, ApiError> {
    env.durable_object(HUBS)
        .and_then(|ns| ns.id_from_name(user_id)?.get_stub())
        .map_err(internal)
}

/// `POST /v1/me/ws-ticket` and `POST /v1/notifications/ws-ticket`
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

fn query(req: &Request, name: &str) -> Result<Option<String>, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL is malformed"))?;
    Ok(url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned()))
}

/// The resume point a client sent (`?after=`), checked.
fn after(value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if v.parse::<u64>().is_ok() => Ok(Some(v)),
        Some(_) => Err(connvo_shared::validation::invalid(
            "after",
            connvo_shared::validation::reason::INVALID_VALUE,
            "after must be a sequence number",
        )),
    }
}

/// `GET /v1/notifications/ws?ticket=…&after=` (N12) and, with
/// `resumable == false`, issue 12's `GET /v1/me/ws?ticket=…` (the ticket
/// is the credential: browsers cannot set headers on a WebSocket).
pub async fn ws(req: &Request, env: &Env, resumable: bool) -> Result<Response, ApiError> {
    let ticket =
        query(req, "ticket")?.ok_or_else(|| ApiError::unauthorized("a ticket is required"))?;
    let resume = if resumable {
        // Absent: live frames only, with the current `seq` in the hello.
        Some(after(query(req, "after")?)?.unwrap_or_else(|| "live".to_owned()))
    } else {
        None
    };
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
    if let Some(resume) = resume {
        headers.set(AFTER_HEADER, &resume).map_err(internal)?;
    }
    let forwarded = Request::new_with_init(
        url::WS,
        RequestInit::new()
            .with_method(Method::Get)
            .with_headers(headers),
    )
    .map_err(internal)?;
    stub(env, &claims.user_id)?
        .fetch_with_request(forwarded)
        .await
        .map_err(internal)
}

/// `GET /v1/notifications/stream` (N13): Server-Sent Events, resuming
/// after `Last-Event-ID` (or `?after=`).
pub async fn stream(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let last = req.headers().get("last-event-id").ok().flatten();
    let resume = after(last.or(query(req, "after")?))?;
    let headers = Headers::new();
    if let Some(resume) = resume {
        headers.set(AFTER_HEADER, &resume).map_err(internal)?;
    }
    let forwarded = Request::new_with_init(
        url::STREAM,
        RequestInit::new()
            .with_method(Method::Get)
            .with_headers(headers),
    )
    .map_err(internal)?;
    let mut resp = stub(env, user)?
        .fetch_with_request(forwarded)
        .await
        .map_err(internal)?;
    // A fetched response's headers are immutable: re-wrap the stream so
    // the pipeline can add its headers (request id, CORS, security).
    let body = resp.stream().map_err(internal)?;
    let headers = Headers::new();
    headers
        .set("content-type", "text/event-stream")
        .map_err(internal)?;
    headers.set("cache-control", "no-store").map_err(internal)?;
    Ok(Response::from_stream(body)
        .map_err(internal)?
        .with_headers(headers))
}

async fn post_to(env: &Env, user_id: &str, target: &str, body: String) -> Result<(), String> {
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(|e| e.to_string())?;
    let req = Request::new_with_init(
        target,
        RequestInit::new()
            .with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into())),
    )
    .map_err(|e| e.to_string())?;
    let mut resp = stub(env, user_id)
        .map_err(|e| e.message)?
        .fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())?;
    let _ = resp.bytes().await;
    match resp.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("hub answered {status}")),
    }
}

/// Posts one frame (a JSON object) to the user's hub.
pub async fn post(env: &Env, user_id: &str, frame: &serde_json::Value) -> Result<(), String> {
    post_to(env, user_id, url::NOTIFY, frame.to_string()).await
}

/// Closes every socket and stream of the user's hub (N14: revocation).
pub async fn close(env: &Env, user_id: &str) -> Result<(), String> {
    post_to(env, user_id, url::CLOSE, "{}".to_owned()).await
}

/// Erases the user's hub (N17): sockets closed, the stored ring deleted.
pub async fn erase(env: &Env, user_id: &str) -> Result<(), String> {
    post_to(env, user_id, url::ERASE, "{}".to_owned()).await
}

/// `POST /v1/dev/users/{id}/hub/erase` (dev auth only): what the privacy
/// erasure does to the hub (N17), on demand, for tests and local use.
pub async fn dev_erase(env: &Env, user_id: &str) -> Result<Response, ApiError> {
    super::erase_user_hub(env, user_id)
        .await
        .map_err(|e| ApiError::internal(format!("hub erase: {e}")))?;
    Ok(respond::json(
        200,
        &json!({ "user_id": user_id, "erased": true }),
    ))
}
