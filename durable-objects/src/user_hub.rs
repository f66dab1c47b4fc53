//! `UserHub`: one Durable Object per user (`idFromName(user_id)`), the
//! user's real-time channel (issue 12; the notifications work, issue 13,
//! extends it). It holds the user's open WebSockets (hibernatable) and
//! fans every notice the worker posts out to all of them. Protocol:
//! docs/notifications.md "The per-user channel".
//!
//! - `GET /ws` (an upgrade the worker forwards after verifying the user's
//!   ticket): the meeting room's internal headers
//!   (`room_internal::header`: `x-connvo-user-id`, `x-connvo-ticket-nonce`
//!   in lowercase hex, `x-connvo-ticket-exp-ms`). A nonce seen before is refused with
//!   401 `TICKET_REPLAYED` (single use, like the meeting room's tickets).
//!   The first frame is `{"type": "hello", "user_id"}`; a text `ping` is
//!   answered `pong` by the runtime without waking the object.
//! - `POST /notify` (from the worker only: a stub is not reachable from
//!   outside): the body, a JSON object, is sent as one text frame to every
//!   open socket; the answer is `{"delivered": n}`. Nothing is stored: a
//!   user with no socket open misses the notice and reads the state over
//!   REST (the notifications work adds the stored inbox).
//!
//! Client frames other than `ping` are ignored.

use std::cell::RefCell;

use connvo_shared::auth::ticket::{TicketClaims, UsedNonces};
use connvo_shared::room_internal::header;
use connvo_shared::signature::from_hex;
use connvo_shared::{ApiError, ErrorCode};
use worker::{
    durable_object, Date, DurableObject, Env, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

#[durable_object]
pub struct UserHub {
    state: State,
    /// Ticket nonces accepted, until their expiry (in memory: a ticket
    /// lives 30 s, shorter than an idle object's life).
    used: RefCell<UsedNonces>,
}

fn error(err: &ApiError) -> Result<Response> {
    Response::from_json(&err.body()).map(|r| r.with_status(err.status()))
}

fn header_value(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
}

impl UserHub {
    fn accept(&self, req: &Request) -> Result<Response> {
        let now = Date::now().as_millis();
        let (Some(user_id), Some(nonce), Some(exp)) = (
            header_value(req, header::USER_ID),
            header_value(req, header::TICKET_NONCE),
            header_value(req, header::TICKET_EXP_MS).and_then(|e| e.parse::<u64>().ok()),
        ) else {
            return error(&ApiError::new(
                ErrorCode::Unauthorized,
                "the upgrade carries no verified ticket",
            ));
        };
        let nonce: Option<[u8; 16]> = from_hex(&nonce).and_then(|n| n.try_into().ok());
        let Some(nonce) = nonce else {
            return error(&ApiError::new(ErrorCode::Unauthorized, "bad ticket nonce"));
        };
        let claims = TicketClaims {
            user_id: user_id.clone(),
            meeting_id: String::new(),
            role: None,
            nonce,
            issued_at_ms: now,
            expires_at_ms: exp,
        };
        {
            let mut used = self.used.borrow_mut();
            used.prune(now);
            if let Err(err) = used.consume(&claims, now) {
                return error(&ApiError::from(err));
            }
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server.send_with_str(
            serde_json::json!({ "type": "hello", "user_id": user_id }).to_string(),
        )?;
        Response::from_websocket(pair.client)
    }

    async fn notify(&self, mut req: Request) -> Result<Response> {
        let body = req.text().await?;
        if !serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) {
            return Response::error("a notice is a JSON object", 400);
        }
        let mut delivered = 0;
        for ws in self.state.get_websockets() {
            if ws.send_with_str(&body).is_ok() {
                delivered += 1;
            }
        }
        Response::from_json(&serde_json::json!({ "delivered": delivered }))
    }
}

impl DurableObject for UserHub {
    fn new(state: State, _env: Env) -> Self {
        if let Ok(pair) = worker::worker_sys::WebSocketRequestResponsePair::new("ping", "pong") {
            state.set_websocket_auto_response(&pair);
        }
        UserHub {
            state,
            used: RefCell::new(UsedNonces::new()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match (req.method().to_string().as_str(), req.path().as_str()) {
            ("GET", "/ws") => self.accept(&req),
            ("POST", "/notify") => self.notify(req).await,
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        let _ = ws.close(
            Some(u16::try_from(code).unwrap_or(1000).max(1000)),
            Some("bye"),
        );
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }
}
