//! [`RoomCore`]: one meeting's live state machine, in the quinn-proto
//! shape. Inputs are `handle_*(now, …)` calls and server-side commands;
//! outputs are polled ([`RoomCore::poll_output`],
//! [`RoomCore::poll_timeout`]). The room reads no clock and no random
//! source, and touches storage only through its synchronous [`RoomStore`].
//!
//! This file holds the struct, loading, the connection inputs and the
//! output side; the other `room/*.rs` files add the handlers by concept.

use std::collections::{BTreeMap, BTreeSet};

use crate::acl::{self, Action, Decision, Denial, MeetingContext, Subject};
use crate::audit::{AuditContext, AuditEvent, Outcome as AuditOutcome};
use crate::ot::NotesDoc;

use super::close::CloseReason;
use super::coalesce::Hot;
use super::config::RoomConfig;
use super::error::RoomError;
use super::identity::{SessionId, SessionIdentity};
use super::load::Load;
use super::meta::RoomMeta;
use super::output::{Outbox, Output};
use super::presence::PresenceBoard;
use super::protocol::{parse_client_frame, ClientFrame, ClientMsg, Heads, ServerMsg};
use super::session::{Phase, Session, SessionState, SESSION_STATE_VERSION};
use super::store::RoomStore;
use super::stream::Stream;

/// A frame as received from the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
    /// A text frame whose payload was not UTF-8, `len` bytes long. RFC 6455
    /// §8.1: the connection fails, with 1007 ([`CloseReason::InvalidUtf8`]).
    InvalidText {
        len: usize,
    },
}

/// True when every U+FFFD in `text` sits inside a JSON string value that
/// may carry free text (see [`Frame::runtime_text`]).
fn replacement_is_content(text: &str) -> bool {
    fn keys_clean(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => map
                .iter()
                .all(|(k, v)| !k.contains(char::REPLACEMENT_CHARACTER) && keys_clean(v)),
            serde_json::Value::Array(items) => items.iter().all(keys_clean),
            _ => true,
        }
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let structural_clean = ["type", "ref"].iter().all(|field| {
        value
            .get(field)
            .and_then(serde_json::Value::as_str)
            .is_none_or(|s| !s.contains(char::REPLACEMENT_CHARACTER))
    });
    value.is_object() && structural_clean && keys_clean(&value)
}

impl<'a> Frame<'a> {
    /// A text frame as the Workers runtime hands it over. The runtime
    /// decodes the payload with replacement: every byte sequence that is
    /// not UTF-8 arrives as U+FFFD and the bytes are gone. U+FFFD is also a
    /// character people paste into notes and chat, and a client's JSON
    /// encoder sends it raw; closing those senders would make their edit
    /// fail on every resend. So a U+FFFD is taken for invalid UTF-8 only
    /// where text cannot hold it: when the frame is not a JSON object, or
    /// the character stands in a key or in the ASCII-only `type` and `ref`
    /// (docs/protocol.md, R21).
    pub fn runtime_text(text: &'a str) -> Frame<'a> {
        if text.contains(char::REPLACEMENT_CHARACTER) && !replacement_is_content(text) {
            Frame::InvalidText { len: text.len() }
        } else {
            Frame::Text(text)
        }
    }

    /// A text frame from its raw payload.
    pub fn text_bytes(bytes: &'a [u8]) -> Frame<'a> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Frame::Text(text),
            Err(_) => Frame::InvalidText { len: bytes.len() },
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
            Frame::InvalidText { len } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> From<&'a str> for Frame<'a> {
    fn from(text: &'a str) -> Self {
        Frame::Text(text)
    }
}

impl<'a> From<&'a [u8]> for Frame<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Frame::Binary(bytes)
    }
}

/// Why a socket may not (or no longer) stay: an ended meeting, else
/// `otherwise` (never a participant for a new socket, revoked for a
/// restored one).
fn refused_socket(denial: Denial, otherwise: CloseReason) -> CloseReason {
    match denial {
        Denial::MeetingState(_) => CloseReason::MeetingEnded,
        Denial::MeetingRequired
        | Denial::NotAParticipant
        | Denial::ObserverReadOnly
        | Denial::RoleInsufficient
        | Denial::AdminOnly => otherwise,
    }
}

/// Flush scheduling. Not persisted: after an eviction the next flush
/// simply starts from the stored watermarks again.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FlushClock {
    /// When the pending rows are due.
    pub(super) due_at: Option<u64>,
    /// A flush is out; emit again (it is idempotent) if not acknowledged by then.
    pub(super) in_flight_until: Option<u64>,
}

/// One meeting's room. See the module docs and `docs/protocol.md`.
pub struct RoomCore<S: RoomStore> {
    pub(super) store: S,
    pub(super) config: RoomConfig,
    pub(super) meta: RoomMeta,
    pub(super) notes: NotesDoc,
    pub(super) commits_since_snapshot: u64,
    pub(super) transcript_head: u64,
    pub(super) chat_head: u64,
    pub(super) sessions: BTreeMap<SessionId, Session>,
    pub(super) presence: PresenceBoard,
    pub(super) outbox: Outbox,
    pub(super) hot: Hot,
    /// The room's load measure and what it shed (`load.rs`, R27).
    pub(super) load: Load,
    pub(super) flush: FlushClock,
    pub(super) next_nonce_expiry: Option<u64>,
    /// Sessions whose state changed since the last checkpoint: with the
    /// heads, what `checkpoint_sessions` looks at (R28, `attachment.rs`).
    pub(super) dirty: BTreeSet<SessionId>,
    /// What each session's attachment holds (R28).
    pub(super) attachments: super::attachment::Attachments,
    /// Sessions whose paced delivery stopped at a full queue: delivery
    /// resumes once the shell has taken their queued frames.
    pub(super) behind: BTreeSet<SessionId>,
    /// In-call prompts: detectors, reactions, the flag (`prompts.rs`).
    pub(super) intel: super::prompts::RoomIntel,
    /// The prompts stream's newest seq.
    pub(super) prompt_head: u64,
    /// When the detectors were last polled (not persisted).
    pub(super) live_polled_at: Option<u64>,
    /// The detectors' `poll_timeout`, as of their last change: it costs
    /// window checks, and the deadline is asked for after every input.
    pub(super) live_deadline: Option<u64>,
    /// When a flush last saved the in-call state (not persisted).
    pub(super) intel_saved_at: Option<u64>,
    /// Counted for metrics only (`observed.rs`, not persisted).
    pub(super) observed: super::observed::Observed,
    /// Fan-out latency of the hot items (`fanout.rs`, O15; not persisted).
    pub(super) fanout: super::fanout::Fanout,
    /// The newest transcript chunks and chat messages, for live delivery
    /// without a store read (`recent.rs`, not persisted).
    pub(super) recent_transcript: super::recent::RecentTail<super::transcript::TranscriptChunk>,
    pub(super) recent_chat: super::recent::RecentTail<super::chat::ChatMessage>,
}

impl<S: RoomStore> std::fmt::Debug for RoomCore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomCore")
            .field("meeting_id", &self.meta.meeting_id)
            .field("state", &self.meta.state)
            .field("sessions", &self.sessions.len())
            .field("heads", &self.heads())
            .finish_non_exhaustive()
    }
}

impl<S: RoomStore> RoomCore<S> {
    /// Opens the room of `meeting_id` from its store (creating its record on
    /// first use). Everything the room needs is rebuilt from the store; live
    /// connections are added back with [`RoomCore::restore_session`].
    pub fn load(mut store: S, config: RoomConfig, meeting_id: &str) -> Result<Self, RoomError> {
        let meta = match store.load_meta()? {
            Some(meta) if meta.meeting_id == meeting_id => meta,
            Some(meta) => {
                return Err(RoomError::CorruptState(format!(
                    "the store belongs to meeting {}",
                    meta.meeting_id
                )))
            }
            None => {
                let meta = RoomMeta::new(meeting_id);
                store.save_meta(&meta)?;
                meta
            }
        };
        let notes = super::notes_flow::load_notes(&store, &config)?;
        let transcript_head = store.transcript_head()?;
        let chat_head = store.chat_head()?;
        let next_nonce_expiry = store.nonce_next_expiry()?;
        let intel = store.load_intel()?.unwrap_or_default();
        let prompt_head = store.prompt_head()?;
        let mut meta = meta;
        meta.flushed.prompt_seq = intel.flushed_prompt_seq;
        let mut room = RoomCore {
            store,
            config,
            meta,
            notes,
            commits_since_snapshot: 0,
            transcript_head,
            chat_head,
            sessions: BTreeMap::new(),
            presence: PresenceBoard::default(),
            outbox: Outbox::default(),
            hot: Hot::default(),
            load: Load::default(),
            flush: FlushClock::default(),
            next_nonce_expiry,
            dirty: BTreeSet::new(),
            attachments: Default::default(),
            behind: BTreeSet::new(),
            intel,
            prompt_head,
            live_polled_at: None,
            live_deadline: None,
            intel_saved_at: None,
            observed: Default::default(),
            fanout: Default::default(),
            recent_transcript: Default::default(),
            recent_chat: Default::default(),
        };
        room.restore_live()?;
        // Users in the video call are listed even without a connection:
        // rebuild them silently (the connections saw them before).
        let calling: Vec<String> = room
            .meta
            .call_presence
            .iter()
            .filter(|(_, c)| c.in_call)
            .map(|(user, _)| user.clone())
            .collect();
        for user in calling {
            let current = room.presence_of(&user);
            room.presence.update(&user, current);
        }
        Ok(room)
    }

    // --- getters --------------------------------------------------------

    pub fn meeting_id(&self) -> &str {
        &self.meta.meeting_id
    }

    pub fn meta(&self) -> &RoomMeta {
        &self.meta
    }

    pub fn config(&self) -> &RoomConfig {
        &self.config
    }

    pub fn heads(&self) -> Heads {
        Heads {
            notes_version: self.notes.version(),
            transcript_seq: self.transcript_head,
            chat_seq: self.chat_head,
            prompts_seq: self.prompt_head,
        }
    }

    pub fn notes(&self) -> &NotesDoc {
        &self.notes
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Direct access for the shell's own reads and for tests. Writing
    /// through it bypasses the room: reload the room afterwards.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    pub fn session_ids(&self) -> impl Iterator<Item = &SessionId> {
        self.sessions.keys()
    }

    /// The user behind a session (a handler's sender).
    pub(super) fn session_user(&self, sid: &SessionId) -> Result<String, RoomError> {
        self.sessions
            .get(sid)
            .map(|s| s.user_id().to_owned())
            .ok_or(RoomError::UnknownSession)
    }

    /// A session's persisted state (what its attachment holds).
    pub fn session(&self, session: &SessionId) -> Option<&SessionState> {
        self.sessions.get(session).map(|s| &s.state)
    }

    // --- outputs --------------------------------------------------------

    /// The next thing for the shell to do. Drain it after every input.
    pub fn poll_output(&mut self) -> Option<Output> {
        let output = self.outbox.pop()?;
        if let Output::Send { session, .. } = &output {
            if self.outbox.usage(session).frames == 0 && self.behind.remove(session) {
                // Its queue is empty again: deliver the rest at once.
                self.hot.deadline = Some(0);
                self.observed.resynced += 1;
            }
        }
        Some(output)
    }

    /// When [`RoomCore::handle_timeout`] must next be called. A time at
    /// or before now means "as soon as possible". `None`: nothing scheduled.
    pub fn poll_timeout(&self) -> Option<u64> {
        let hello = self
            .sessions
            .values()
            .filter(|s| matches!(s.state.phase, Phase::AwaitingHello))
            .map(|s| {
                s.state
                    .connected_at_ms
                    .saturating_add(self.config.hello_timeout_ms)
            })
            .min();
        let flush = match self.flush.in_flight_until {
            Some(until) => Some(until),
            None => self.flush.due_at,
        };
        [
            self.hot.deadline,
            self.load.state_due,
            flush,
            self.next_nonce_expiry,
            hello,
            self.live_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // --- connections ----------------------------------------------------

    /// A socket was accepted for `identity` (already authenticated by the
    /// Worker). Refused — with a `goodbye` and a close queued — when the
    /// identity has no meeting role, the room knows the user was removed,
    /// or the meeting has ended.
    pub fn handle_connect(
        &mut self,
        now_ms: u64,
        session: SessionId,
        identity: SessionIdentity,
    ) -> Result<(), RoomError> {
        if self.sessions.contains_key(&session) {
            return Err(RoomError::SessionExists);
        }
        let mut identity = match identity.sanitised() {
            Ok(identity) => identity,
            Err(err) => {
                self.goodbye(&session, CloseReason::NotAParticipant);
                return Err(err);
            }
        };
        identity.role = self.meta.effective_role(&identity.user_id, identity.role);
        if let Err(denial) = self.check(&identity, Action::OpenSocket) {
            let reason = refused_socket(denial, CloseReason::NotAParticipant);
            self.audit_identity(
                now_ms,
                &session,
                &identity,
                "room.refused",
                None,
                Decision::Deny(denial),
            );
            self.goodbye(&session, reason);
            return Err(RoomError::Denied(denial));
        }
        self.make_room_for(&identity.user_id);
        let decision = self.decide(&identity, Action::OpenSocket);
        self.audit_identity(now_ms, &session, &identity, "room.connect", None, decision);
        let state = SessionState::new(identity, now_ms);
        let new = Session::new(
            state,
            self.config.rate_per_sec,
            self.config.rate_burst,
            now_ms,
        );
        self.sessions.insert(session.clone(), new);
        self.dirty.insert(session);
        self.after_input(now_ms);
        Ok(())
    }

    /// Puts a hibernated socket back, from its attachment. Call after
    /// [`RoomCore::load`], before handing the room any event. A socket
    /// that may no longer be here, or that has no attachment (`None`), is
    /// closed instead (queued outputs).
    pub fn restore_session(
        &mut self,
        session: SessionId,
        state: Option<SessionState>,
    ) -> Result<(), RoomError> {
        if self.sessions.contains_key(&session) {
            return Err(RoomError::SessionExists);
        }
        let Some(state) = state else {
            self.goodbye(&session, CloseReason::UnknownSession);
            return Err(RoomError::UnknownSession);
        };
        if state.v != SESSION_STATE_VERSION {
            self.goodbye(&session, CloseReason::ProtocolUnsupported);
            return Err(RoomError::InvalidIdentity("attachment version"));
        }
        let mut state = state;
        let claimed = state.identity.role;
        state.identity = match state.identity.sanitised() {
            Ok(identity) => identity,
            Err(err) => {
                self.goodbye(&session, CloseReason::NotAParticipant);
                return Err(err);
            }
        };
        state.identity.role = self.meta.effective_role(&state.identity.user_id, claimed);
        if let Err(denial) = self.check(&state.identity, Action::OpenSocket) {
            let reason = refused_socket(denial, CloseReason::AccessRevoked);
            self.goodbye(&session, reason);
            return Err(RoomError::Denied(denial));
        }
        let user = state.identity.user_id.clone();
        let now = state.connected_at_ms;
        self.attachments.restored(session.clone(), state.clone());
        let state = super::attachment::live_form(state, &self.heads());
        let restored = Session::new(state, self.config.rate_per_sec, self.config.rate_burst, now);
        self.sessions.insert(session, restored);
        // Presence is rebuilt silently: the other connections saw it before.
        let current = self.presence_of(&user);
        self.presence.update(&user, current);
        // Anything committed but not yet delivered goes out at once.
        self.hot.deadline = Some(0);
        Ok(())
    }

    /// The socket closed (or errored). Unknown sessions are ignored: the
    /// room may have closed it itself.
    pub fn handle_disconnect(&mut self, now_ms: u64, session: &SessionId) {
        self.outbox.drop_session(session);
        self.dirty.remove(session);
        self.attachments.forget(session);
        self.behind.remove(session);
        if let Some(gone) = self.sessions.remove(session) {
            if gone.state.live().is_some() {
                self.refresh_presence(gone.user_id(), None);
            }
        }
        self.after_input(now_ms);
    }

    /// The shell could not deliver what it was given for this session (its
    /// socket buffer is full, a send failed): everything streamed to it is
    /// suspect, so every stream is dropped to `resync`.
    pub fn handle_send_failed(&mut self, now_ms: u64, session: &SessionId) {
        let streams = self
            .sessions
            .get(session)
            .map(|s| s.state.live_streams())
            .unwrap_or_default();
        self.overflow(session, streams);
        self.after_input(now_ms);
    }

    /// A frame arrived from `session`. Problems are reported to that
    /// session only; nothing here can affect another session's view except
    /// through an accepted write.
    pub fn handle_frame(&mut self, now_ms: u64, session: &SessionId, frame: Frame<'_>) {
        self.frame(now_ms, session, frame);
        self.after_input(now_ms);
    }

    fn frame(&mut self, now_ms: u64, sid: &SessionId, frame: Frame<'_>) {
        let max = self.config.max_frame_bytes;
        let max_violations = self.config.max_rate_violations;
        if !self.sessions.contains_key(sid) {
            return;
        }
        if frame.len() > max {
            let err = RoomError::FrameTooLarge {
                bytes: frame.len(),
                max,
            };
            self.send_control(sid, &ServerMsg::error(&err, None));
            self.close(sid, CloseReason::FrameTooLarge);
            return;
        }
        if let Frame::InvalidText { .. } = frame {
            self.close(sid, CloseReason::InvalidUtf8);
            return;
        }
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        if session.limiter.take(now_ms) {
            session.limited = false;
        } else {
            session.rate_violations += 1;
            let first = !session.limited;
            session.limited = true;
            if session.rate_violations > max_violations {
                self.close(sid, CloseReason::RateLimited);
            } else if first {
                self.send_control(sid, &ServerMsg::error(&RoomError::RateLimited, None));
            }
            return;
        }
        let parsed = match frame {
            Frame::Text(text) => parse_client_frame(text, &self.config),
            Frame::Binary(_) => Err(super::protocol::FrameError {
                r#ref: None,
                error: RoomError::BinaryFrame,
            }),
            // Closed above.
            Frame::InvalidText { .. } => return,
        };
        match parsed {
            Ok(frame) => self.dispatch(now_ms, sid, frame),
            Err(bad) => {
                let max_bad = self.config.max_bad_frames;
                let Some(session) = self.sessions.get_mut(sid) else {
                    return;
                };
                session.bad_frames += 1;
                let too_many = session.bad_frames > max_bad;
                self.send_control(sid, &ServerMsg::error(&bad.error, bad.r#ref.as_deref()));
                if too_many {
                    self.close(sid, CloseReason::TooManyBadFrames);
                }
            }
        }
    }

    /// `ping` is answered in every phase, before the hello too.
    fn pong(&mut self, sid: &SessionId, r#ref: Option<String>) -> Result<(), RoomError> {
        self.send_control(sid, &ServerMsg::Pong { r#ref });
        Ok(())
    }

    fn dispatch(&mut self, now_ms: u64, sid: &SessionId, frame: ClientFrame) {
        let Some(live) = self.sessions.get(sid).map(|s| s.state.live().is_some()) else {
            return;
        };
        let r#ref = frame.r#ref;
        let result = if live {
            match frame.msg {
                ClientMsg::Hello(_) => Err(RoomError::AlreadyHello),
                ClientMsg::Ping => self.pong(sid, r#ref.clone()),
                ClientMsg::Subscribe { streams, resume } => {
                    self.on_subscribe(now_ms, sid, streams, resume)
                }
                ClientMsg::Unsubscribe { streams } => self.on_unsubscribe(sid, streams),
                ClientMsg::NotesOp {
                    client_seq,
                    base_version,
                    op,
                } => self.on_notes_op(now_ms, sid, client_seq, base_version, op),
                ClientMsg::BadNotesOp { client_seq, error } => {
                    self.reject_notes_op(sid, client_seq, &RoomError::Notes(error));
                    Ok(())
                }
                ClientMsg::TranscriptAppend(chunk) => self.on_transcript(now_ms, sid, chunk),
                ClientMsg::ChatSend(chat) => self.on_chat(now_ms, sid, chat),
                ClientMsg::PresenceUpdate { speaking } => self.on_presence(now_ms, sid, speaking),
                ClientMsg::PromptReact {
                    prompt_id,
                    reaction,
                } => self.on_prompt_react(now_ms, sid, prompt_id, reaction),
            }
        } else {
            match frame.msg {
                ClientMsg::Hello(hello) => self.on_hello(now_ms, sid, hello),
                ClientMsg::Ping => self.pong(sid, r#ref.clone()),
                ClientMsg::Subscribe { .. }
                | ClientMsg::Unsubscribe { .. }
                | ClientMsg::NotesOp { .. }
                | ClientMsg::BadNotesOp { .. }
                | ClientMsg::TranscriptAppend(_)
                | ClientMsg::ChatSend(_)
                | ClientMsg::PresenceUpdate { .. }
                | ClientMsg::PromptReact { .. } => Err(RoomError::HelloRequired),
            }
        };
        if let Err(err) = result {
            if self.sessions.contains_key(sid) {
                self.send_control(sid, &ServerMsg::error(&err, r#ref.as_deref()));
            }
        }
    }

    /// Time passed: deliver what the coalescing window held back, close
    /// connections that never said hello, forget expired ticket nonces,
    /// poll the in-call detectors when they asked to be, and flush if due.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        // How late the timer fired (R27). A deadline of 0 means "as soon as
        // possible", not a time the timer was asked for.
        if let Some(due) = self.poll_timeout().filter(|at| *at > 0 && *at <= now_ms) {
            self.load.sample_lag(now_ms, due);
            self.load.update(now_ms, self.config.shed_lag_ms, false);
        }
        let state_due = self.load.state_due.is_some_and(|at| at <= now_ms);
        if state_due || self.hot.deadline.is_some_and(|at| at <= now_ms) {
            self.deliver_hot(now_ms);
        }
        let late: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, s)| {
                matches!(s.state.phase, Phase::AwaitingHello)
                    && s.state
                        .connected_at_ms
                        .saturating_add(self.config.hello_timeout_ms)
                        <= now_ms
            })
            .map(|(id, _)| id.clone())
            .collect();
        for sid in late {
            self.close(&sid, CloseReason::HelloTimeout);
        }
        if self.next_nonce_expiry.is_some_and(|at| at <= now_ms) {
            self.prune_nonces(now_ms);
        }
        if self.live_timeout().is_some_and(|at| at <= now_ms) {
            self.poll_live(now_ms);
        }
        self.after_input(now_ms);
    }

    /// Runs at the end of every input: delivers the hot streams when their
    /// window closed or filled, and schedules or emits a flush. Attachments
    /// are saved at the end of the event (`checkpoint_sessions`, R28).
    pub(super) fn after_input(&mut self, now_ms: u64) {
        let due = self.hot.deadline.is_some_and(|at| at <= now_ms)
            || self.hot.pending >= self.config.coalesce_max;
        if due {
            self.deliver_hot(now_ms);
        }
        // The queue depth is read live (`shedding`): here, before the
        // shell drained this input's frames, it would always look deep.
        self.load.update(now_ms, self.config.shed_lag_ms, false);
        self.schedule_flush(now_ms);
    }

    // --- access control ---------------------------------------------------

    pub(super) fn context(&self) -> MeetingContext {
        // No room action is granted to organisation admins (acl.rs: every
        // stream and the socket itself are participant-only), so the
        // meeting's organisation is never needed here; `None` makes an
        // admin grant impossible, the safe direction.
        MeetingContext {
            org_id: None,
            state: self.meta.state,
        }
    }

    pub(super) fn decide(&self, identity: &SessionIdentity, action: Action) -> Decision {
        let subject = Subject {
            org_id: identity.org_id.clone(),
            org_role: identity.org_role,
            meeting_role: identity.role,
        };
        acl::allowed(&subject, action, Some(&self.context()))
    }

    pub(super) fn check(&self, identity: &SessionIdentity, action: Action) -> Result<(), Denial> {
        match self.decide(identity, action) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(denial) => Err(denial),
        }
    }

    /// Checks a session's write (or read) and audits a refusal, at most
    /// once per session, action and window.
    pub(super) fn authorize(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        action: Action,
    ) -> Result<(), RoomError> {
        let Some(session) = self.sessions.get(sid) else {
            return Err(RoomError::UnknownSession);
        };
        let decision = self.decide(&session.state.identity, action);
        let Decision::Deny(denial) = decision else {
            return Ok(());
        };
        let window = self.config.audit_denial_window_ms;
        let key = action.as_str();
        let fresh = session
            .denials_audited
            .get(key)
            .is_none_or(|at| now_ms.saturating_sub(*at) >= window);
        if fresh {
            let identity = session.state.identity.clone();
            if let Some(session) = self.sessions.get_mut(sid) {
                session.denials_audited.insert(key, now_ms);
            }
            let name = format!("room.{key}");
            self.audit_identity(now_ms, sid, &identity, &name, None, decision);
        }
        Err(RoomError::Denied(denial))
    }

    pub(super) fn audit_identity(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        identity: &SessionIdentity,
        action: &str,
        stream: Option<Stream>,
        decision: Decision,
    ) {
        let outcome = if decision.is_allowed() {
            AuditOutcome::Allow
        } else {
            AuditOutcome::Deny
        };
        let event = AuditEvent::new(action, outcome, "meeting")
            .actor(identity.user_id.as_str())
            .org(identity.org_id.as_deref())
            .resource(self.meta.meeting_id.as_str())
            .meta("session", sid.as_str())
            .meta("stream", stream.map(Stream::as_str))
            .meta("reason", decision.reason_code());
        let context = AuditContext {
            request_id: None,
            ip: identity.client.ip.clone(),
            user_agent: identity.client.user_agent.clone(),
            at_ms: i64::try_from(now_ms).unwrap_or(i64::MAX),
        };
        self.outbox.push(Output::Audit { event, context });
    }

    // --- closing ----------------------------------------------------------

    /// Queues `goodbye` and the close for a socket that is not (or no
    /// longer) a session.
    pub(super) fn goodbye(&mut self, sid: &SessionId, reason: CloseReason) {
        let code = reason.code();
        let frame = ServerMsg::Goodbye {
            code: code.as_u16(),
            reason: reason.as_str().to_owned(),
        };
        self.outbox.send(sid, frame.encode(), None);
        self.outbox.push(Output::Close {
            session: sid.clone(),
            code,
            reason,
        });
    }

    /// Ends a session: goodbye, close, and presence for the others.
    pub(super) fn close(&mut self, sid: &SessionId, reason: CloseReason) {
        if reason == CloseReason::SlowConsumer {
            self.outbox.drop_stream_frames(sid);
            self.observed.dropped += 1;
        }
        self.dirty.remove(sid);
        self.attachments.forget(sid);
        self.behind.remove(sid);
        let Some(gone) = self.sessions.remove(sid) else {
            return;
        };
        self.goodbye(sid, reason);
        if gone.state.live().is_some() {
            self.refresh_presence(gone.user_id(), None);
        }
    }

    /// Keeps a user under the per-user connection cap by closing their
    /// oldest connections.
    fn make_room_for(&mut self, user_id: &str) {
        let mut mine: Vec<(u64, SessionId)> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.user_id() == user_id)
            .map(|(id, s)| (s.state.connected_at_ms, id.clone()))
            .collect();
        mine.sort();
        let keep = self.config.max_sessions_per_user.saturating_sub(1);
        let excess = mine.len().saturating_sub(keep);
        for (_, sid) in mine.into_iter().take(excess) {
            self.close(&sid, CloseReason::TooManySessions);
        }
    }
}
