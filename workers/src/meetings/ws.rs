//! `GET /v1/meetings/{id}/ws?ticket=…`: the WebSocket entry. The ticket is
//! the credential (browsers cannot set headers on an upgrade). The request
//! pipeline verifies it (pure, `auth::ticket`), reads the caller's *current*
//! role and the meeting's state from D1 (a member removed since the ticket
//! was issued does not get in) and decides `OpenSocket`; this forwards the upgrade to the meeting's room
//! with the identity headers of `room_internal::header`. The room enforces single use
//! (it remembers the nonce until the expiry): it answers 101, or 401
//! `TICKET_REPLAYED` for a second use, returned untouched. Non-participants
//! never reach the room.

use connvo_shared::auth::ticket::TicketClaims;
use connvo_shared::meeting::access::{not_visible, Caller};
use connvo_shared::meeting::plan::action;
use connvo_shared::meeting::view::MembershipRow;
use connvo_shared::room_internal::{header, path};
use connvo_shared::signature::to_hex;
use connvo_shared::ApiError;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use super::audited;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::room_client::Room;

/// The pipeline verified the ticket and decided `OpenSocket`; only
/// members reach the room (an org admin who is not one does not).
pub async fn ws(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let (Some(membership), Some(claims)) = (&access.membership, &access.ticket) else {
        return Err(not_visible());
    };
    let meeting_id = access.meeting.id.as_str();
    audited::done(ctx, &access.caller, meeting_id, action::WS_OPEN, &[]);
    let forwarded = forward_request(
        req,
        ctx,
        &access.caller,
        membership,
        access.meeting.state.as_str(),
        claims,
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
    claims: &TicketClaims,
) -> Result<Request, ApiError> {
    let headers = Headers::new();
    let internal = |e: worker::Error| ApiError::internal(format!("forward headers: {e}"));
    for (name, value) in req.headers().entries() {
        if !header::forwardable(&name) {
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
