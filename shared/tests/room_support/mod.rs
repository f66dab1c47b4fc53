//! A test shell around the room core: it plays the Durable Object's part
//! (a clock, sockets that collect what they are sent, attachments, D1
//! flushes), so the suites can drive several sessions through the protocol
//! in a few lines each.

#![allow(dead_code)]

pub mod sqlite;

use std::collections::BTreeMap;

use connvo_shared::acl::MeetingRole;
use connvo_shared::audit::AuditEvent;
use connvo_shared::jobs::JobMessage;
use connvo_shared::room::protocol::ServerMsg;
use connvo_shared::room::{
    CloseCode, CloseReason, FlushBatch, Frame, MemoryStore, RoomConfig, RoomCore, RoomStore,
    SessionId, SessionIdentity, SessionState, Sockets,
};

pub const MEETING: &str = "m1";
pub const T0: u64 = 1_700_000_000_000;

pub fn sid(s: &str) -> SessionId {
    SessionId::new(s).unwrap()
}

/// Everything one socket saw.
#[derive(Debug, Default, Clone)]
pub struct Socket {
    pub inbox: Vec<ServerMsg>,
    pub closed: Option<(CloseCode, CloseReason)>,
    pub attachment: Option<SessionState>,
}

/// The test shell's sockets, as the shared drain loop sees them.
pub struct SocketMap<'a>(pub &'a mut BTreeMap<SessionId, Socket>);

impl Sockets for SocketMap<'_> {
    fn send(&mut self, session: &SessionId, text: &str) -> bool {
        let msg =
            ServerMsg::decode(text).unwrap_or_else(|e| panic!("undecodable frame {text}: {e}"));
        self.0.entry(session.clone()).or_default().inbox.push(msg);
        true
    }

    fn close(&mut self, session: &SessionId, reason: CloseReason) {
        let socket = self.0.entry(session.clone()).or_default();
        assert!(socket.closed.is_none(), "closed twice");
        socket.closed = Some((reason.code(), reason));
    }

    fn save(&mut self, session: &SessionId, state: &SessionState) {
        let json = serde_json::to_string(state).unwrap();
        assert!(json.len() < 16 * 1024, "attachment too large");
        self.0.entry(session.clone()).or_default().attachment = Some(state.clone());
    }
}

pub struct Shell<S: RoomStore> {
    pub room: RoomCore<S>,
    pub now: u64,
    pub sockets: BTreeMap<SessionId, Socket>,
    pub flushes: Vec<FlushBatch>,
    pub audits: Vec<AuditEvent>,
    /// Jobs the room queued (in-call generations).
    pub jobs: Vec<JobMessage>,
}

impl Shell<MemoryStore> {
    pub fn new(config: RoomConfig) -> Self {
        Shell::with_store(MemoryStore::new(), config)
    }

    /// A room already active.
    pub fn active(config: RoomConfig) -> Self {
        let mut shell = Shell::new(config);
        shell
            .room
            .set_meeting_state(shell.now, connvo_shared::acl::MeetingState::Active)
            .unwrap();
        shell.drain();
        shell
    }
}

impl<S: RoomStore> Shell<S> {
    pub fn with_store(store: S, config: RoomConfig) -> Self {
        Shell {
            room: RoomCore::load(store, config, MEETING).unwrap(),
            now: T0,
            sockets: BTreeMap::new(),
            flushes: Vec::new(),
            audits: Vec::new(),
            jobs: Vec::new(),
        }
    }

    /// Carries out every pending output through the production loop
    /// (`RoomCore::drain`): frames, closes and attachments to the sockets,
    /// flushes and audit rows to their lists.
    pub fn drain(&mut self) {
        let drained = self.room.drain(self.now, &mut SocketMap(&mut self.sockets));
        self.flushes.extend(drained.flushes);
        self.jobs.extend(drained.jobs);
        self.audits
            .extend(drained.audits.into_iter().map(|(event, _)| event));
    }

    pub fn connect(&mut self, id: &str, user: &str, role: MeetingRole) {
        self.connect_identity(id, SessionIdentity::new(user, Some(role)));
    }

    pub fn connect_identity(&mut self, id: &str, identity: SessionIdentity) {
        self.sockets.insert(sid(id), Socket::default());
        let _ = self.room.handle_connect(self.now, sid(id), identity);
        self.drain();
    }

    pub fn frame(&mut self, id: &str, text: &str) {
        self.room
            .handle_frame(self.now, &sid(id), Frame::Text(text));
        self.drain();
    }

    pub fn json(&mut self, id: &str, value: serde_json::Value) {
        self.frame(id, &value.to_string());
    }

    pub fn hello(&mut self, id: &str, client_id: &str, resume: serde_json::Value) {
        self.json(
            id,
            serde_json::json!({"type": "hello", "protocol": 1, "client_id": client_id, "resume": resume}),
        );
    }

    /// Connect, hello with no resume, and clear the inbox.
    pub fn join(&mut self, id: &str, user: &str, role: MeetingRole) {
        self.connect(id, user, role);
        self.hello(id, &format!("client-{id}"), serde_json::json!({}));
        self.take(id);
    }

    pub fn disconnect(&mut self, id: &str) {
        self.room.handle_disconnect(self.now, &sid(id));
        self.drain();
    }

    /// Advances the clock, firing the room's timer whenever it is due.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        loop {
            match self.room.poll_timeout() {
                Some(at) if at <= end => {
                    self.now = self.now.max(at);
                    self.room.handle_timeout(self.now);
                    self.drain();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    pub fn socket(&self, id: &str) -> &Socket {
        self.sockets.get(&sid(id)).expect("no such socket")
    }

    /// The frames a socket received since the last take.
    pub fn take(&mut self, id: &str) -> Vec<ServerMsg> {
        std::mem::take(&mut self.sockets.entry(sid(id)).or_default().inbox)
    }

    /// Empties every inbox.
    pub fn clear(&mut self) {
        for socket in self.sockets.values_mut() {
            socket.inbox.clear();
        }
    }

    pub fn types(&mut self, id: &str) -> Vec<String> {
        self.take(id).iter().map(msg_type).collect()
    }

    /// Simulates hibernation: the room object is dropped and rebuilt from
    /// its store and the sockets' attachments.
    pub fn hibernate(&mut self)
    where
        S: Clone,
    {
        // A real shell always drains before the object can sleep, and
        // ends every event with a checkpoint of the attachments (R28).
        self.drain();
        self.room.checkpoint_sessions();
        self.drain();
        let store = self.room.store().clone();
        let config = self.room.config().clone();
        self.room = RoomCore::load(store, config, MEETING).unwrap();
        for (id, socket) in &self.sockets {
            if socket.closed.is_some() {
                continue;
            }
            if let Some(state) = socket.attachment.clone() {
                // A socket that may no longer be here is closed (queued).
                let _ = self.room.restore_session(id.clone(), Some(state));
            }
        }
        self.drain();
    }
}

pub fn msg_type(msg: &ServerMsg) -> String {
    let json = serde_json::to_value(msg).unwrap();
    json["type"].as_str().unwrap().to_owned()
}

pub fn error_codes(msgs: &[ServerMsg]) -> Vec<String> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Error { code, .. } => Some(code.clone()),
            _ => None,
        })
        .collect()
}

pub fn transcript_seqs(msgs: &[ServerMsg]) -> Vec<u64> {
    msgs.iter()
        .flat_map(|m| match m {
            ServerMsg::TranscriptChunks { chunks, .. } => chunks.iter().map(|c| c.seq).collect(),
            _ => Vec::new(),
        })
        .collect()
}

pub fn chat_seqs(msgs: &[ServerMsg]) -> Vec<u64> {
    msgs.iter()
        .flat_map(|m| match m {
            ServerMsg::ChatMessages { messages, .. } => messages.iter().map(|c| c.seq).collect(),
            _ => Vec::new(),
        })
        .collect()
}

pub fn chunk_json(text: &str, start_ms: u64, is_final: bool) -> serde_json::Value {
    serde_json::json!({
        "type": "transcript.append",
        "chunk": {"text": text, "confidence": 0.9, "start_ms": start_ms,
                  "end_ms": start_ms + 1000, "final": is_final, "language": "en"}
    })
}

pub fn small_config() -> RoomConfig {
    RoomConfig::default()
}
