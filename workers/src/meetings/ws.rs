//! `GET /v1/meetings/{id}/ws?ticket=…`: the WebSocket entry. The ticket is
//! the credential (browsers cannot set headers on an upgrade). The worker
//! verifies it (pure, `auth::ticket`), reads the caller's *current* role and
//! the meeting's state from D1 (a member removed since the ticket was issued
//! does not get in), and forwards the upgrade to the meeting's room with the
//! identity headers of `room_internal::header`. The room enforces single use
//! (it remembers the nonce until the expiry) and answers 101, which is
//! returned untouched. Non-participants never reach the room.

use connvo_shared::acl::{Action, OrgRole};
use connvo_shared::auth::ticket::verify_ticket;
use connvo_shared::meeting::access::{authorize, Caller};
use connvo_shared::meeting::view::MembershipRow;
use connvo_shared::room_internal::{header, path};
use connvo_shared::signature::to_hex;
use connvo_shared::sql::users;
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use super::audited::{self, action};
use super::store;
use super::tokens::ticket_secret;
use crate::args;
use crate::db;
use crate::request::RequestCtx;
use crate::room_client::Room;
use crate::sys::now_ms;

fn unauthorized(reason: &str, message: &str) -> ApiError {
    ApiError::unauthorized(message).with_details(json!({ "reason": reason }))
}

/// The one `ticket` query parameter.
fn ticket_param(req: &Request) -> Result<String, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let mut tickets = url
        .query_pairs()
        .filter(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned());
    match (tickets.next(), tickets.next()) {
        (Some(t), None) if !t.is_empty() => Ok(t),
        _ => Err(unauthorized(
            "TICKET_MISSING",
            "a ticket is required (POST /v1/meetings/{id}/ws-ticket)",
        )),
    }
}

pub async fn ws(
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let is_upgrade = req
        .headers()
        .get("upgrade")
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !is_upgrade {
        return Err(ApiError::new(
            ErrorCode::ValidationError,
            "this route only accepts a WebSocket upgrade",
        )
        .with_details(json!({ "field": "Upgrade", "reason": "NOT_A_WEBSOCKET_UPGRADE" })));
    }
    let ticket = ticket_param(&req)?;
    let secret = ticket_secret(env)?;
    let now = u64::try_from(now_ms()).unwrap_or(0);
    let claims = verify_ticket(&secret, &ticket, meeting_id, now)?;

    let db = db::database(env)?;
    let (meeting, membership) =
        store::meeting_with_membership(&db, meeting_id, &claims.user_id).await?;
    let user = db::first(&db, users::USER_GET, args![claims.user_id.as_str()]).await?;
    let org_role_slug = user
        .as_ref()
        .and_then(|u| u["org_role"].as_str().map(str::to_owned));
    let caller = Caller {
        user_id: claims.user_id.clone(),
        org_id: user
            .as_ref()
            .and_then(|u| u["org_id"].as_str().map(str::to_owned)),
        org_role: OrgRole::from_workos(org_role_slug.as_deref(), &[]),
    };
    if let Err(err) = authorize(
        &caller,
        Action::OpenSocket,
        meeting.as_ref(),
        membership.as_ref(),
    ) {
        audited::denied(ctx, &caller, meeting_id, Action::OpenSocket, &err);
        return Err(err);
    }
    let (Some(meeting), Some(membership)) = (meeting, membership) else {
        return Err(connvo_shared::meeting::access::not_visible());
    };

    audited::done(ctx, &caller, meeting_id, action::WS_OPEN, &[]);
    let forwarded = forward_request(
        &req,
        ctx,
        &caller,
        &membership,
        meeting.state.as_str(),
        &claims,
    )?;
    Room::new(env, meeting_id, &ctx.request_id)
        .forward_ws(forwarded)
        .await
}

/// The upgrade as the room sees it: the client's headers (the WebSocket
/// handshake ones included) minus any `x-connvo-*` the client tried to set,
/// plus ours. The ticket stays behind: the room gets its nonce and expiry.
fn forward_request(
    req: &Request,
    ctx: &RequestCtx,
    caller: &Caller,
    membership: &MembershipRow,
    meeting_state: &str,
    claims: &connvo_shared::auth::ticket::TicketClaims,
) -> Result<Request, ApiError> {
    let headers = Headers::new();
    let internal = |e: worker::Error| ApiError::internal(format!("forward headers: {e}"));
    for (name, value) in req.headers().entries() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-connvo-") || lower == "authorization" || lower == "cookie" {
            continue;
        }
        headers.set(&name, &value).map_err(internal)?;
    }
    let nonce = to_hex(&claims.nonce);
    let exp = claims.expires_at_ms.to_string();
    for (name, value) in [
        (header::MEETING_ID, claims.meeting_id.as_str()),
        (header::USER_ID, caller.user_id.as_str()),
        (header::ROLE, membership.role.as_str()),
        (header::ORG_ROLE, caller.org_role.as_str()),
        (header::MEETING_STATE, meeting_state),
        (header::TICKET_NONCE, nonce.as_str()),
        (header::TICKET_EXP_MS, exp.as_str()),
        (header::REQUEST_ID, ctx.request_id.as_str()),
    ] {
        headers.set(name, value).map_err(internal)?;
    }
    Request::new_with_init(
        path::WS,
        RequestInit::new()
            .with_method(Method::Get)
            .with_headers(headers),
    )
    .map_err(|e| ApiError::internal(format!("forward request: {e}")))
}
