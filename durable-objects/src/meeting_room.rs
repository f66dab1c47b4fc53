//! `MeetingRoom`: one Durable Object per meeting, addressed by the meeting
//! id: the single writer of the meeting's live state. This file is the
//! shell around `connvo_shared::room::MeetingRoom` (the core): it accepts
//! hibernatable sockets, feeds every event to the core with the current
//! time, carries out what the core asks (send, close, save an attachment,
//! flush to D1, audit), and turns the core's next deadline into an alarm.
//!
//! Every entry point catches its errors and logs them with the meeting id;
//! none lets one escape to the runtime, and none can panic on input.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use connvo_shared::log::Level;
use connvo_shared::room::store::SqlRoomStore;
use connvo_shared::room::{Frame, RoomCore as Core, Output, RoomConfig};
use worker::{
    durable_object, Date, Delay, DurableObject, Env, Request, Response, Result, ScheduledTime,
    State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::sql_exec::DoSql;
use crate::{d1_sink, internal, logging, sockets};

pub(crate) type Room = Core<SqlRoomStore<DoSql>>;

/// Deadlines at most this far ahead are waited for in memory (see `settle`).
const INLINE_WAIT_MS: u64 = 250;
/// At most this many in-memory waits per event before falling back to an alarm.
const MAX_INLINE_WAITS: u32 = 40;

#[durable_object]
pub struct MeetingRoom {
    pub(crate) state: State,
    pub(crate) env: Env,
    /// The core, loaded lazily from storage on the first event after the
    /// object starts or wakes from hibernation.
    room: RefCell<Option<Room>>,
    /// The alarm we last set, so we only touch storage when it moves earlier.
    alarm_at: Cell<Option<u64>>,
}

pub(crate) fn now_ms() -> u64 {
    Date::now().as_millis()
}

impl DurableObject for MeetingRoom {
    fn new(state: State, env: Env) -> Self {
        // Application-level heartbeats: a client's plain "ping" text frame is
        // answered by the runtime without waking the object.
        if let Ok(pair) = worker::worker_sys::WebSocketRequestResponsePair::new("ping", "pong") {
            state.set_websocket_auto_response(&pair);
        }
        Self {
            state,
            env,
            room: RefCell::new(None),
            alarm_at: Cell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        let result = match path.as_str() {
            "/health" => self.health(),
            "/ws" => self.accept(&req).await,
            p if p.starts_with("/internal/") => internal::handle(self, req).await,
            _ => Response::error("not found", 404),
        };
        result.or_else(|e| {
            logging::emit(
                Level::Error,
                "room fetch failed",
                "?",
                &[("error", e.to_string())],
            );
            Response::error("room error", 500)
        })
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let Some(session) = sockets::session_of(&self.state, &ws) else {
            let _ = ws.close(Some(4400), Some("UNKNOWN_SESSION"));
            return Ok(());
        };
        let now = now_ms();
        let handled = self.with_room(|room| {
            match &message {
                WebSocketIncomingMessage::String(text) => {
                    room.handle_frame(now, &session, Frame::Text(text))
                }
                WebSocketIncomingMessage::Binary(bytes) => {
                    room.handle_frame(now, &session, Frame::Binary(bytes))
                }
            }
            Ok(())
        });
        self.settle(handled, "websocket_message").await;
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        // Answer the close handshake; the runtime may already have (ignore that error).
        let _ = ws.close(
            Some(u16::try_from(code).unwrap_or(1000).max(1000)),
            Some("bye"),
        );
        self.disconnected(&ws).await;
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.disconnected(&ws).await;
        Ok(())
    }

    async fn alarm(&self) -> Result<Response> {
        self.alarm_at.set(None);
        let now = now_ms();
        let handled = self.with_room(|room| {
            room.handle_timeout(now);
            Ok(())
        });
        self.settle(handled, "alarm").await;
        Response::ok("ok")
    }
}

impl MeetingRoom {
    /// Proves the object's SQLite storage answers (used by `/v1/health`).
    fn health(&self) -> Result<Response> {
        let rows: Vec<serde_json::Value> = self
            .state
            .storage()
            .sql()
            .exec("SELECT 1 AS ok", None)?
            .to_array()?;
        if rows.is_empty() {
            return Response::error("storage answered no row", 500);
        }
        Response::from_json(&serde_json::json!({ "ok": true }))
    }

    /// Runs `f` on the core, loading it first if needed (from storage, then
    /// every live socket's attachment). `meeting_id` is needed only the very
    /// first time a meeting's room is used.
    pub(crate) fn with_room_for<T>(
        &self,
        meeting_id: Option<&str>,
        f: impl FnOnce(&mut Room) -> std::result::Result<T, String>,
    ) -> std::result::Result<(T, Vec<Output>), String> {
        let mut slot = self.room.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.load(meeting_id)?);
        }
        let room = slot.as_mut().ok_or("room not loaded")?;
        let value = f(room)?;
        let mut outputs = Vec::new();
        while let Some(output) = room.poll_output() {
            outputs.push(output);
        }
        Ok((value, outputs))
    }

    pub(crate) fn with_room<T>(
        &self,
        f: impl FnOnce(&mut Room) -> std::result::Result<T, String>,
    ) -> std::result::Result<(T, Vec<Output>), String> {
        self.with_room_for(None, f)
    }

    fn load(&self, meeting_id: Option<&str>) -> std::result::Result<Room, String> {
        let store = SqlRoomStore::open(DoSql::new(self.state.storage().sql()))
            .map_err(|e| e.to_string())?;
        let known = connvo_shared::room::store::RoomStore::load_meta(&store)
            .map_err(|e| e.to_string())?
            .map(|m| m.meeting_id);
        let id = match (known, meeting_id) {
            (Some(id), _) => id,
            (None, Some(id)) => id.to_owned(),
            (None, None) => return Err("this room has never been opened for a meeting".into()),
        };
        let mut room = Core::load(store, RoomConfig::default(), &id).map_err(|e| e.to_string())?;
        for (ws, session, attachment) in sockets::all(&self.state) {
            match (session, attachment) {
                (Some(session), Some(state)) => {
                    // A socket the core refuses to restore gets its goodbye via outputs.
                    let _ = room.restore_session(session, state);
                }
                _ => {
                    let _ = ws.close(Some(4400), Some("UNKNOWN_SESSION"));
                }
            }
        }
        Ok(room)
    }

    /// The meeting id this object serves, once known.
    pub(crate) fn meeting_id(&self) -> String {
        self.room
            .borrow()
            .as_ref()
            .map(|r| r.meeting_id().to_owned())
            .unwrap_or_else(|| "?".into())
    }

    async fn disconnected(&self, ws: &WebSocket) {
        let Some(session) = sockets::session_of(&self.state, ws) else {
            return;
        };
        let now = now_ms();
        let handled = self.with_room(|room| {
            room.handle_disconnect(now, &session);
            Ok(())
        });
        self.settle(handled, "websocket_close").await;
    }

    /// Accepts a WebSocket the worker has authenticated and forwarded (see
    /// `connvo_shared::room_internal::header`): single-use ticket check, then
    /// the core decides whether the session may stay.
    async fn accept(&self, req: &Request) -> Result<Response> {
        let Some(upgrade) = internal::upgrade_identity(req) else {
            return Response::error("missing or malformed identity headers", 400);
        };
        let Some(session) = sockets::new_session_id() else {
            return Response::error("no randomness", 500);
        };
        let pair = WebSocketPair::new()?;
        let now = now_ms();
        let meeting_id = upgrade.claims.meeting_id.clone();
        let handled = self.with_room_for(Some(&meeting_id), |room| {
            if let Err(e) = room.consume_ticket(now, &upgrade.claims) {
                return Ok(Some(e.to_string()));
            }
            // A room that missed a lifecycle notice (or is opened for the
            // first time) catches up with D1 before admitting anyone.
            if let Some(state) = upgrade.meeting_state {
                if room.meta().state != state {
                    room.set_meeting_state(now, state)
                        .map_err(|e| e.to_string())?;
                }
            }
            // A refusal queues a goodbye and a close for this session.
            let _ = room.handle_connect(now, session.clone(), upgrade.identity.clone());
            Ok(None)
        });
        self.state
            .accept_websocket_with_tags(&pair.server, &[session.as_str()]);
        match handled {
            Ok((Some(ticket_error), outputs)) => {
                let _ = pair.server.close(Some(4001), Some("TICKET_INVALID"));
                self.settle(Ok(((), outputs)), "accept").await;
                logging::emit(
                    Level::Warn,
                    "ticket refused",
                    &meeting_id,
                    &[("error", ticket_error)],
                );
            }
            Ok((None, outputs)) => self.settle(Ok(((), outputs)), "accept").await,
            Err(e) => {
                let _ = pair.server.close(Some(4500), Some("INTERNAL"));
                logging::emit(
                    Level::Error,
                    "room load failed",
                    &meeting_id,
                    &[("error", e)],
                );
            }
        }
        Response::from_websocket(pair.client)
    }

    /// Carries out the core's outputs, then any flush or audit they asked
    /// for (the only awaits), then sets the alarm for the next deadline.
    pub(crate) async fn settle<T>(
        &self,
        handled: std::result::Result<(T, Vec<Output>), String>,
        what: &str,
    ) {
        let mut outputs = match handled {
            Ok((_, outputs)) => outputs,
            Err(e) => {
                logging::emit(
                    Level::Error,
                    "room event failed",
                    &self.meeting_id(),
                    &[("event", what.into()), ("error", e)],
                );
                return;
            }
        };
        // Short deadlines (the coalescing window of the hot streams) are
        // waited out here, in memory: an alarm costs a storage write, and a
        // storage write holds every outgoing frame behind its fsync. Longer
        // ones (the D1 flush interval, the hello deadline) become an alarm.
        let mut waits = 0;
        loop {
            self.carry_out(outputs).await;
            let Some(at) = self.room.borrow().as_ref().and_then(|r| r.poll_timeout()) else {
                break;
            };
            let now = now_ms();
            if waits >= MAX_INLINE_WAITS || at > now + INLINE_WAIT_MS {
                break;
            }
            if at > now {
                Delay::from(Duration::from_millis(at - now)).await;
            }
            waits += 1;
            let now = now_ms();
            outputs = match self.with_room(|room| {
                room.handle_timeout(now);
                Ok(())
            }) {
                Ok((_, outputs)) => outputs,
                Err(e) => {
                    logging::emit(
                        Level::Error,
                        "room timeout failed",
                        &self.meeting_id(),
                        &[("error", e)],
                    );
                    break;
                }
            };
        }
        self.schedule().await;
    }

    /// Sends, closes, saves attachments, then writes the flushes and audit
    /// entries the outputs asked for, feeding their results back to the core.
    async fn carry_out(&self, mut outputs: Vec<Output>) {
        // Bounded: a flush result can produce more outputs, which can at most
        // ask for one more flush per round.
        for _ in 0..8 {
            let mut flushes = Vec::new();
            let mut audits = Vec::new();
            let mut failed_sends = Vec::new();
            for output in outputs.drain(..) {
                match output {
                    Output::Send { session, text } => {
                        let sent = sockets::socket_of(&self.state, &session)
                            .map(|ws| ws.send_with_str(&text));
                        if !matches!(sent, Some(Ok(()))) {
                            failed_sends.push(session);
                        }
                    }
                    Output::Close {
                        session,
                        code,
                        reason,
                    } => {
                        if let Some(ws) = sockets::socket_of(&self.state, &session) {
                            let _ = ws.close(Some(code.as_u16()), Some(reason.as_str()));
                        }
                    }
                    Output::SaveSession { session, state } => {
                        if let Some(ws) = sockets::socket_of(&self.state, &session) {
                            let _ = ws.serialize_attachment(&state);
                        }
                    }
                    Output::Flush(batch) => flushes.push(batch),
                    Output::Audit(event) => audits.push(event),
                }
            }
            self.write_audits(audits).await;
            let now = now_ms();
            let mut next = Vec::new();
            for session in failed_sends {
                next.push(self.with_room(|room| {
                    room.handle_send_failed(now, &session);
                    Ok(())
                }));
            }
            for batch in flushes {
                let result = d1_sink::flush(&self.env, &batch, now).await;
                let now = now_ms();
                next.push(self.with_room(|room| {
                    match &result {
                        Ok(_) => room
                            .flush_done(now, batch.upto)
                            .map_err(|e| e.to_string())?,
                        Err(_) => room.flush_failed(now),
                    }
                    Ok(())
                }));
                if let Err(e) = result {
                    logging::emit(
                        Level::Warn,
                        "D1 flush failed; will retry",
                        &batch.meeting_id,
                        &[("error", e)],
                    );
                }
            }
            for n in next {
                match n {
                    Ok((_, more)) => outputs.extend(more),
                    Err(e) => logging::emit(
                        Level::Error,
                        "room event failed",
                        &self.meeting_id(),
                        &[("error", e)],
                    ),
                }
            }
            if outputs.is_empty() {
                break;
            }
        }
    }

    async fn write_audits(&self, audits: Vec<connvo_shared::room::AuditEvent>) {
        if audits.is_empty() {
            return;
        }
        let ids: Vec<String> = audits
            .iter()
            .map(|_| {
                sockets::new_session_id()
                    .map(|s| format!("aud_{}", &s.as_str()[2..]))
                    .unwrap_or_default()
            })
            .collect();
        if let Err(e) = d1_sink::audit(&self.env, &audits, &ids).await {
            logging::emit(
                Level::Warn,
                "audit write failed",
                &self.meeting_id(),
                &[("error", e)],
            );
        }
    }

    /// Sets the alarm to the core's next deadline when that is earlier than
    /// the one already set.
    async fn schedule(&self) {
        let next = self.room.borrow().as_ref().and_then(|r| r.poll_timeout());
        let Some(at) = next else {
            return;
        };
        if self.alarm_at.get().is_some_and(|current| current <= at) {
            return;
        }
        let when = ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at as f64,
        )));
        match self.state.storage().set_alarm(when).await {
            Ok(()) => self.alarm_at.set(Some(at)),
            Err(e) => logging::emit(
                Level::Error,
                "set_alarm failed",
                &self.meeting_id(),
                &[("error", e.to_string())],
            ),
        }
    }
}
