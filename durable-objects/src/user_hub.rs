//! `UserHub`: one Durable Object per user (`idFromName(user_id)`), the
//! user's real-time channel (issue 12 built it for matching; issue 13 made
//! it the notifications channel). It holds the user's open WebSockets
//! (hibernatable) and Server-Sent-Events streams, gives every frame the
//! user's next sequence number and keeps the last frames for resume
//! (`connvo_shared::notifications::hub::Inbox`, rules N12–N14). Protocol:
//! docs/protocol.md "The per-user channel".
//!
//! - `GET /ws` (an upgrade the worker forwards after verifying the user's
//!   ticket): the meeting room's internal headers
//!   (`room_internal::header`: `x-connvo-user-id`, `x-connvo-ticket-nonce`
//!   in lowercase hex, `x-connvo-ticket-exp-ms`), and optionally
//!   `x-connvo-hub-after` (the last sequence the client saw). A nonce seen
//!   before is refused with 401 `TICKET_REPLAYED` (single use). The first
//!   frame is `{"type": "hello", "user_id", "seq"}`, then the missed frames
//!   (after `resync` when the ring no longer holds them all); a text
//!   `ping` is answered `pong` by the runtime without waking the object.
//! - `GET /stream` (the worker, for an authenticated user): the same as
//!   Server-Sent Events, resuming after `x-connvo-hub-after`. An open stream
//!   keeps the object in memory (streams cannot hibernate).
//! - `POST /notify` (from the worker only): the body, a JSON object, gets
//!   `seq`, is stored in the ring, then sent to every socket and stream;
//!   the answer is `{"seq", "delivered"}`.
//! - `POST /close`: the user's access was revoked: every socket is closed
//!   (4001) and every stream ended.
//! - `POST /erase`: the user is erased (N17): every socket is closed
//!   (4003), every stream ended, and the stored ring and sequence deleted;
//!   the answer is `{"closed", "erased": true}`.
//!
//! Client frames other than `ping` are ignored.

use std::cell::RefCell;

use connvo_shared::auth::ticket::{TicketClaims, UsedNonces};
use connvo_shared::notifications::hub::{
    parse_after, sse_event, Inbox, AFTER_HEADER, CLOSE_ERASED, CLOSE_REVOKED,
};
use connvo_shared::room_internal::header;
use connvo_shared::signature::from_hex;
use connvo_shared::{ApiError, ErrorCode};
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::StreamExt;
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
    /// The stored inbox, read once per object life.
    inbox: RefCell<Option<Inbox>>,
    /// Open SSE streams (dropped ones fail to send and are removed).
    streams: RefCell<Vec<UnboundedSender<Vec<u8>>>>,
}

/// The tag of sockets opened by `/v1/me/ws` (no resume header).
const LEGACY_TAG: &str = "legacy";
/// The storage key of the inbox.
const INBOX_KEY: &str = "inbox";

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
    async fn load(&self) -> Result<Inbox> {
        if let Some(inbox) = self.inbox.borrow().clone() {
            return Ok(inbox);
        }
        let stored: Inbox = self
            .state
            .storage()
            .get(INBOX_KEY)
            .await?
            .unwrap_or_default();
        *self.inbox.borrow_mut() = Some(stored.clone());
        Ok(stored)
    }

    async fn accept(&self, req: &Request) -> Result<Response> {
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
        // `/v1/me/ws` (issue 12's path) sets no resume header: its sockets
        // keep that protocol (a hello without `seq`, matching frames only).
        let Some(after) = header_value(req, AFTER_HEADER) else {
            self.state
                .accept_websocket_with_tags(&pair.server, &[LEGACY_TAG]);
            pair.server.send_with_str(
                serde_json::json!({ "type": "hello", "user_id": user_id }).to_string(),
            )?;
            return Response::from_websocket(pair.client);
        };
        let inbox = self.load().await?;
        let replay = inbox.since(parse_after(Some(&after), inbox.seq));
        self.state.accept_web_socket(&pair.server);
        pair.server.send_with_str(
            serde_json::json!({ "type": "hello", "user_id": user_id, "seq": inbox.seq })
                .to_string(),
        )?;
        if replay.resync {
            pair.server
                .send_with_str(serde_json::json!({ "type": "resync" }).to_string())?;
        }
        for (_, frame) in replay.frames {
            pair.server.send_with_str(frame)?;
        }
        Response::from_websocket(pair.client)
    }

    async fn stream(&self, req: &Request) -> Result<Response> {
        let inbox = self.load().await?;
        let after = parse_after(header_value(req, AFTER_HEADER).as_deref(), inbox.seq);
        let replay = inbox.since(after);
        let (tx, rx) = unbounded::<Vec<u8>>();
        // A comment first, so the response starts at once.
        let _ = tx.unbounded_send(b": connvo hub\n\n".to_vec());
        if replay.resync {
            let _ = tx.unbounded_send(b"event: resync\ndata: {}\n\n".to_vec());
        }
        for (seq, frame) in replay.frames {
            let _ = tx.unbounded_send(sse_event(seq, frame).into_bytes());
        }
        self.streams.borrow_mut().push(tx);
        let headers = worker::Headers::new();
        headers.set("content-type", "text/event-stream")?;
        headers.set("cache-control", "no-store")?;
        Ok(Response::from_stream(rx.map(Ok::<Vec<u8>, worker::Error>))?.with_headers(headers))
    }

    /// Closes every socket with `code` and ends every stream; how many.
    fn close_with(&self, code: u16, reason: &str) -> usize {
        let mut closed = 0;
        for ws in self.state.get_websockets() {
            if ws.close(Some(code), Some(reason)).is_ok() {
                closed += 1;
            }
        }
        let streams = std::mem::take(&mut *self.streams.borrow_mut());
        closed += streams.len();
        drop(streams);
        closed
    }

    fn close_all(&self) -> Result<Response> {
        let closed = self.close_with(CLOSE_REVOKED, "access revoked");
        Response::from_json(&serde_json::json!({ "closed": closed }))
    }

    /// N17: the sockets first (no frame can be sent after the erase), then
    /// the stored ring: the notifications' titles and bodies are personal
    /// data, and the object keeps nothing else.
    async fn erase(&self) -> Result<Response> {
        let closed = self.close_with(CLOSE_ERASED, "user erased");
        *self.inbox.borrow_mut() = Some(Inbox::default());
        self.state.storage().delete_all().await?;
        Response::from_json(&serde_json::json!({ "closed": closed, "erased": true }))
    }

    async fn notify(&self, mut req: Request) -> Result<Response> {
        let body = req.text().await?;
        let Ok(serde_json::Value::Object(body)) = serde_json::from_str::<serde_json::Value>(&body)
        else {
            return Response::error("a notice is a JSON object", 400);
        };
        let body_type = body
            .get("type")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let mut inbox = self.load().await?;
        let (seq, frame) = inbox.push(body);
        // The cache first (no await in between), so a concurrent notice
        // takes the next sequence; then storage, before the frame is sent:
        // a client that sees `seq` can resume from it.
        *self.inbox.borrow_mut() = Some(inbox.clone());
        self.state.storage().put(INBOX_KEY, &inbox).await?;
        let notification = body_type.as_deref() == Some("notification");
        let mut delivered = 0;
        for ws in self.state.get_websockets() {
            if notification && self.state.get_tags(&ws).iter().any(|t| t == LEGACY_TAG) {
                continue;
            }
            if ws.send_with_str(&frame).is_ok() {
                delivered += 1;
            }
        }
        let event = sse_event(seq, &frame).into_bytes();
        self.streams
            .borrow_mut()
            .retain(|tx| tx.unbounded_send(event.clone()).is_ok());
        delivered += self.streams.borrow().len();
        Response::from_json(&serde_json::json!({ "seq": seq, "delivered": delivered }))
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
            inbox: RefCell::new(None),
            streams: RefCell::new(Vec::new()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match (req.method().to_string().as_str(), req.path().as_str()) {
            ("GET", "/ws") => self.accept(&req).await,
            ("GET", "/stream") => self.stream(&req).await,
            ("POST", "/notify") => self.notify(req).await,
            ("POST", "/close") => self.close_all(),
            ("POST", "/erase") => self.erase().await,
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
