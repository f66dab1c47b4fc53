//! `MeetingRoom`: one Durable Object per meeting, addressed by the meeting
//! id: the single writer of the meeting's live state. This file is the
//! shell around `connvo_shared::room::RoomCore` and carries no policy: it
//! turns each runtime event into one core input with the current time,
//! runs the core's drain loop (`RoomCore::drain`) on the object's sockets,
//! writes what the loop hands back (flushes, audit rows) to D1 and reports
//! the result, and waits for the next deadline the way `Drained::wake`
//! says (in memory, or an alarm).
//!
//! Every entry point catches its errors and logs them with the meeting id;
//! none lets one escape to the runtime, and none can panic on input.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use connvo_shared::log::Level;
use connvo_shared::metrics::rooms::{room_events, RoomLevel, REPORT_EVERY_MS};
use connvo_shared::room::store::SqlRoomStore;
use connvo_shared::room::{
    CloseReason, Drained, Frame, RoomConfig, RoomCore, RoomMetrics, Upgrade, Wake,
};
use connvo_shared::ApiError;
use worker::{
    durable_object, Date, Delay, DurableObject, Env, Request, Response, Result, ScheduledTime,
    State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::metrics_sink::{self, Batch};
use crate::sockets::{DoSockets, SocketMap};
use crate::sql_exec::DoSql;
use crate::{d1_sink, internal, jobs_sink, logging, sockets};
use worker::wasm_bindgen_futures;

pub(crate) type Room = RoomCore<SqlRoomStore<DoSql>>;

/// Rounds of "write the flushes, report them, drain again" per event: a
/// reported flush can ask for at most one more.
const MAX_FLUSH_ROUNDS: usize = 8;

#[durable_object]
pub struct MeetingRoom {
    pub(crate) state: State,
    pub(crate) env: Env,
    /// The core, loaded lazily from storage on the first event after the
    /// object starts or wakes from hibernation.
    room: RefCell<Option<Room>>,
    /// The open sockets by session, filled with the room (`sockets.rs`).
    sockets: RefCell<SocketMap>,
    /// The alarm we last set, so we only touch storage when it moves earlier.
    alarm_at: Cell<Option<u64>>,
    /// The prompt gate's shed count last logged (`RoomCore::prompt_counters`).
    shed_logged: Cell<u64>,
    /// The load-shedding episodes last logged (`RoomCore::shed_counters`, R27).
    load_episodes_logged: Cell<u64>,
    /// The last metrics report: when, and the counters it carried (O14).
    metrics_sent: Cell<(u64, RoomMetrics)>,
}

pub(crate) fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// An error answer in the API's shape (`ApiError::body`).
pub(crate) fn error_response(err: &ApiError) -> Result<Response> {
    Response::from_json(&err.body()).map(|r| r.with_status(err.status()))
}

/// A header's value; an empty one counts as missing.
pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
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
            sockets: RefCell::new(SocketMap::default()),
            alarm_at: Cell::new(None),
            shed_logged: Cell::new(0),
            load_episodes_logged: Cell::new(0),
            metrics_sent: Cell::new((0, RoomMetrics::default())),
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
            sockets::close(&ws, CloseReason::UnknownSession);
            return Ok(());
        };
        let now = now_ms();
        let frame = match &message {
            WebSocketIncomingMessage::String(text) => Frame::runtime_text(text),
            WebSocketIncomingMessage::Binary(bytes) => Frame::Binary(bytes),
        };
        self.input("websocket_message", |room| {
            room.handle_frame(now, &session, frame);
            Ok(())
        })
        .await;
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        // Answer the close handshake with the peer's own code (RFC 6455
        // §5.5.1); the runtime may already have (ignore that error).
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
        self.input("alarm", |room| {
            room.handle_timeout(now);
            Ok(())
        })
        .await;
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
    /// first time a meeting's room is used. The caller settles afterwards.
    pub(crate) fn with_room_for<T>(
        &self,
        meeting_id: Option<&str>,
        f: impl FnOnce(&mut Room) -> std::result::Result<T, String>,
    ) -> std::result::Result<T, String> {
        let mut slot = self.room.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.load(meeting_id)?);
        }
        let room = slot.as_mut().ok_or("room not loaded")?;
        f(room)
    }

    pub(crate) fn with_room<T>(
        &self,
        f: impl FnOnce(&mut Room) -> std::result::Result<T, String>,
    ) -> std::result::Result<T, String> {
        self.with_room_for(None, f)
    }

    /// One core input, then the drain loop.
    async fn input(
        &self,
        what: &str,
        f: impl FnOnce(&mut Room) -> std::result::Result<(), String>,
    ) {
        match self.with_room(f) {
            Ok(()) => self.settle(what).await,
            Err(e) => self.log_error("room event failed", what, e),
        }
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
        // The in-call detectors' settings and the D1 flush interval come from
        // this environment's vars.
        let (config, bad) =
            RoomConfig::with_vars(|name| self.env.var(name).ok().map(|v| v.to_string()));
        if !bad.is_empty() {
            logging::emit(
                Level::Warn,
                "room vars ignored (defaults used)",
                &id,
                &[("vars", bad.join(","))],
            );
        }
        let mut room = RoomCore::load(store, config, &id).map_err(|e| e.to_string())?;
        self.shed_logged.set(room.prompt_counters().shed);
        let mut map = self.sockets.borrow_mut();
        map.clear();
        for (ws, session, attachment) in sockets::all(&self.state) {
            match session {
                // A socket the core refuses to restore gets its goodbye via outputs.
                Some(session) => {
                    map.insert(session.clone(), ws);
                    let _ = room.restore_session(session, attachment);
                }
                None => sockets::close(&ws, CloseReason::UnknownSession),
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

    fn log_error(&self, msg: &str, what: &str, error: String) {
        logging::emit(
            Level::Error,
            msg,
            &self.meeting_id(),
            &[("event", what.into()), ("error", error)],
        );
    }

    async fn disconnected(&self, ws: &WebSocket) {
        let Some(session) = sockets::session_of(&self.state, ws) else {
            return;
        };
        self.sockets.borrow_mut().remove(&session);
        let now = now_ms();
        self.input("websocket_close", |room| {
            room.handle_disconnect(now, &session);
            Ok(())
        })
        .await;
    }

    /// A WebSocket upgrade the worker authenticated and forwarded: the core
    /// decides (`RoomCore::handle_upgrade`); a refusal is answered as an
    /// HTTP error before any socket exists.
    async fn accept(&self, req: &Request) -> Result<Response> {
        let upgrade = match Upgrade::from_headers(|name| header(req, name)) {
            Ok(upgrade) => upgrade,
            Err(err) => return error_response(&err),
        };
        let Some(session) = sockets::new_session_id() else {
            return error_response(&ApiError::internal("no randomness for a session id"));
        };
        let pair = WebSocketPair::new()?;
        let meeting_id = upgrade.claims.meeting_id.clone();
        let now = now_ms();
        let admitted = self.with_room_for(Some(&meeting_id), |room| {
            Ok(room.handle_upgrade(now, session.clone(), upgrade))
        });
        match admitted {
            Ok(Ok(())) => {
                self.state
                    .accept_websocket_with_tags(&pair.server, &[session.as_str()]);
                self.sockets.borrow_mut().insert(session, pair.server);
                self.settle("accept").await;
                Response::from_websocket(pair.client)
            }
            Ok(Err(refusal)) => {
                logging::emit(
                    Level::Warn,
                    "upgrade refused",
                    &meeting_id,
                    &[("error", refusal.to_string())],
                );
                self.settle("accept").await;
                error_response(&refusal)
            }
            Err(e) => {
                logging::emit(
                    Level::Error,
                    "room load failed",
                    &meeting_id,
                    &[("error", e)],
                );
                error_response(
                    &ApiError::internal("the room could not be loaded")
                        .with_details(serde_json::json!({ "reason": "ROOM_UNAVAILABLE" })),
                )
            }
        }
    }

    /// The core's drain loop on this object's sockets. Logs detections
    /// the prompt gate shed under overload (the counter is also in
    /// `meeting_state.lull_state.gate`), and each time the room starts
    /// shedding load (R27) with what it shed so far.
    fn drain(&self) -> Drained {
        match self.room.borrow_mut().as_mut() {
            Some(room) => {
                let drained = room.drain(now_ms(), &mut self.do_sockets());
                let counters = room.prompt_counters();
                if counters.shed > self.shed_logged.get() {
                    self.shed_logged.set(counters.shed);
                    logging::emit(
                        Level::Warn,
                        "prompt detection shed (room overloaded)",
                        room.meeting_id(),
                        &[
                            ("shed", counters.shed.to_string()),
                            ("allowed", counters.allowed.to_string()),
                            ("rate_limited", counters.rate_limited.to_string()),
                        ],
                    );
                }
                self.report_metrics(room);
                let load = room.shed_counters();
                if load.episodes > self.load_episodes_logged.get() {
                    self.load_episodes_logged.set(load.episodes);
                    logging::emit(
                        Level::Warn,
                        "room shedding load (timer lag)",
                        room.meeting_id(),
                        &[
                            ("episodes", load.episodes.to_string()),
                            ("state_frames_held", load.state_frames.to_string()),
                            ("items_coalesced", load.held_items.to_string()),
                        ],
                    );
                }
                drained
            }
            None => Drained::default(),
        }
    }

    /// Sends the room's metrics (O14) at most every `REPORT_EVERY_MS`, in
    /// the background: the room never waits for the sink.
    fn report_metrics(&self, room: &mut Room) {
        let now = now_ms();
        let (sent_at, last) = self.metrics_sent.get();
        if now.saturating_sub(sent_at) < REPORT_EVERY_MS {
            return;
        }
        let now_metrics = room.metrics();
        let meeting_id = room.meeting_id().to_owned();
        self.metrics_sent.set((now, now_metrics));
        let batch = Batch {
            at_ms: i64::try_from(now).unwrap_or(i64::MAX),
            events: room_events(&now_metrics, &last, room.take_fanout()),
            trace: None,
            room: Some(RoomLevel {
                meeting_id,
                sessions: now_metrics.sessions as f64,
                queued: now_metrics.queued as f64,
            }),
        };
        let env = self.env.clone();
        wasm_bindgen_futures::spawn_local(async move { metrics_sink::record(&env, batch).await });
    }

    /// Queues the in-call generations the room asked for.
    async fn send_jobs(&self, jobs: &mut Vec<connvo_shared::jobs::JobMessage>) {
        for job in std::mem::take(jobs) {
            let fields = [("key", job.idempotency_key.clone())];
            match jobs_sink::send(&self.env, &job).await {
                Ok(()) => logging::emit(
                    Level::Info,
                    "prompt generation queued",
                    job.job.meeting_id(),
                    &fields,
                ),
                Err(e) => logging::emit(
                    Level::Error,
                    "prompt generation not queued",
                    job.job.meeting_id(),
                    &[("key", job.idempotency_key.clone()), ("error", e)],
                ),
            }
        }
    }

    fn do_sockets(&self) -> DoSockets<'_> {
        DoSockets {
            state: &self.state,
            map: self.sockets.borrow_mut(),
        }
    }

    /// After an input: drains the outputs, writes the audit rows and
    /// flushes they ask for (the only awaits), reports each flush, waits
    /// for the next deadline as `Drained::wake` says, and ends the event
    /// with a checkpoint of the attachments (R28).
    pub(crate) async fn settle(&self, what: &str) {
        let mut inline_waits = 0;
        loop {
            let drained = self.carry_out().await;
            let now = now_ms();
            match drained.wake(now, inline_waits) {
                Wake::Idle => break,
                Wake::Alarm { at_ms } => {
                    self.schedule(at_ms).await;
                    break;
                }
                Wake::InMemory { ms } => {
                    if ms > 0 {
                        Delay::from(Duration::from_millis(ms)).await;
                    }
                    inline_waits += 1;
                    let now = now_ms();
                    if let Err(e) = self.with_room(|room| {
                        room.handle_timeout(now);
                        Ok(())
                    }) {
                        self.log_error("room timeout failed", what, e);
                        break;
                    }
                }
            }
        }
        self.checkpoint();
    }

    /// Saves the attachments that changed (R28). Last in every event: the
    /// runtime hibernates the object only between events, and an event
    /// that ran while this one awaited ended with its own checkpoint.
    fn checkpoint(&self) {
        if let Some(room) = self.room.borrow_mut().as_mut() {
            if room.checkpoint_sessions() > 0 {
                // Only saves are queued: nothing else to carry out.
                room.drain(now_ms(), &mut self.do_sockets());
            }
        }
    }

    /// Drains, writes, reports, until no flush is left; returns the last drain.
    async fn carry_out(&self) -> Drained {
        let mut drained = self.drain();
        for _ in 0..MAX_FLUSH_ROUNDS {
            if let Err(e) = d1_sink::audit(&self.env, &drained.audits).await {
                logging::emit(
                    Level::Warn,
                    "audit write failed",
                    &self.meeting_id(),
                    &[("error", e)],
                );
            }
            drained.audits.clear();
            self.send_jobs(&mut drained.jobs).await;
            if drained.flushes.is_empty() {
                break;
            }
            for batch in std::mem::take(&mut drained.flushes) {
                let result = d1_sink::flush(&self.env, &batch, now_ms()).await;
                let now = now_ms();
                let reported = self.with_room(|room| match &result {
                    Ok(_) => room.flush_done(now, batch.upto).map_err(|e| e.to_string()),
                    Err(_) => {
                        room.flush_failed(now);
                        Ok(())
                    }
                });
                if let Err(e) = result {
                    logging::emit(
                        Level::Warn,
                        "D1 flush failed; will retry",
                        &batch.meeting_id,
                        &[("error", e)],
                    );
                }
                if let Err(e) = reported {
                    self.log_error("room event failed", "flush_done", e);
                }
            }
            drained = self.drain();
        }
        drained
    }

    /// Sets the alarm to `at` when that is earlier than the one already set.
    async fn schedule(&self, at: u64) {
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
