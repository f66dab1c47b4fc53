//! One participant of the chaos run: a WebSocket that dies with every kill,
//! the notes client state machine (`NotesClient`), and the transcript
//! chunks and chat messages it sent, each with its acknowledgement.
//!
//! What counts as acknowledged:
//! - a notes op: its `notes.ack`, or the op itself coming back in
//!   `notes.ops` with this client's id and in-flight `client_seq`;
//! - a transcript chunk: its echo in `transcript.chunks` (speaker = this
//!   user, text = the chunk's unique id). Chunks carry no idempotency key,
//!   so after a reconnect the client first reads the catch-up up to the
//!   welcome's heads and resends only the chunks it did not find there;
//! - a chat message: its `chat.ack` (or its echo), keyed by `client_ref`,
//!   which the room deduplicates (R9), so unacknowledged ones are resent.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connvo_shared::ot::{gen, CommittedOp, NotesClient};
use connvo_shared::room::protocol::WireOp;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use crate::room::{User, Ws};
use crate::Backend;

/// How many transcript chunks (and chat messages) may wait for their ack.
const MAX_UNACKED: usize = 5;
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A transcript chunk or chat message this client wrote.
#[derive(Debug, Clone)]
pub struct Item {
    /// The chunk's text / the message's `client_ref`: unique in the run.
    pub id: String,
    /// The seq the room gave it, once acknowledged.
    pub acked: Option<u64>,
    /// How many kills had happened when it was acknowledged.
    pub acked_at_kill: u32,
    /// Sent on the current connection.
    sent: bool,
}

/// An acknowledged notes op.
#[derive(Debug, Clone, Copy)]
pub struct NoteAck {
    pub client_seq: u64,
    pub version: u64,
    pub acked_at_kill: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Offline,
    /// Hello sent; waiting for the welcome and the catch-up to its heads.
    CatchingUp {
        heads: Option<(u64, u64)>,
    },
    Live,
}

/// Anomalies one client saw, summed into the report.
#[derive(Debug, Default, Clone)]
pub struct ClientStats {
    pub reconnects: u64,
    pub failed_connects: u64,
    /// A transcript or chat item delivered twice (seq at or below the cursor).
    pub delivered_twice: u64,
    /// A seq skipped in delivery (not marked `truncated`).
    pub delivery_gaps: u64,
    /// A notes snapshot older than the version this client held: the room
    /// went backwards, i.e. it lost acknowledged ops.
    pub server_behind: u64,
    pub notes_rejects: u64,
    /// Acks for notes ops that changed nothing (R22): no version, no item.
    pub noop_acks: u64,
    /// `error` frame codes, and close codes, counted.
    pub errors: BTreeMap<String, u64>,
    /// Protocol violations as seen by the client (kept short).
    pub violations: Vec<String>,
}

pub struct Client {
    pub index: usize,
    pub user: User,
    pub client_id: String,
    ws: Option<Ws>,
    link: Link,
    last_attempt: Option<Instant>,
    pub notes: NotesClient,
    pub notes_acked: Vec<NoteAck>,
    pub chunks: Vec<Item>,
    pub chats: Vec<Item>,
    transcript_cursor: u64,
    chat_cursor: u64,
    chunk_clock_ms: u64,
    pub stats: ClientStats,
}

impl Client {
    pub fn new(index: usize, user: User) -> Client {
        let client_id = format!("chaos-c{index}");
        Client {
            index,
            user,
            notes: NotesClient::new(client_id.clone(), String::new(), 0),
            client_id,
            ws: None,
            link: Link::Offline,
            last_attempt: None,
            notes_acked: Vec::new(),
            chunks: Vec::new(),
            chats: Vec::new(),
            transcript_cursor: 0,
            chat_cursor: 0,
            chunk_clock_ms: 1_700_000_000_000 + index as u64 * 10_000_000,
            stats: ClientStats::default(),
        }
    }

    pub fn is_live(&self) -> bool {
        self.link == Link::Live
    }

    pub fn is_offline(&self) -> bool {
        self.link == Link::Offline
    }

    /// Writes sent on this connection and not acknowledged yet.
    pub fn in_flight(&self) -> usize {
        let notes = usize::from(self.notes.inflight().is_some() && self.is_live());
        let unacked = |items: &[Item]| items.iter().filter(|i| i.sent && i.acked.is_none()).count();
        notes + unacked(&self.chunks) + unacked(&self.chats)
    }

    /// Nothing of this client's is left unacknowledged.
    pub fn settled(&self) -> bool {
        self.is_live()
            && !self.notes.has_unacked()
            && self.chunks.iter().all(|i| i.acked.is_some())
            && self.chats.iter().all(|i| i.acked.is_some())
    }

    /// Opens a socket (new ticket) and says hello with the client's
    /// cursors. `false` if the backend did not answer; the caller retries.
    pub async fn connect(&mut self, b: &Backend, meeting: &str) -> bool {
        self.drop_link();
        self.last_attempt = Some(Instant::now());
        let Some(ticket) = ticket(b, &self.user, meeting).await else {
            self.stats.failed_connects += 1;
            return false;
        };
        let url = b.ws_url(&format!("/v1/meetings/{meeting}/ws?ticket={ticket}"));
        let ws = match tokio::time::timeout(IO_TIMEOUT, connect_async(url)).await {
            Ok(Ok((ws, _))) => ws,
            _ => {
                self.stats.failed_connects += 1;
                return false;
            }
        };
        self.ws = Some(ws);
        let version = self.notes.connect();
        let hello = json!({"type": "hello", "protocol": 1, "client_id": self.client_id,
            "resume": {"notes_version": version, "transcript_seq": self.transcript_cursor,
                       "chat_seq": self.chat_cursor},
            "subscribe": ["notes", "transcript", "chat"]});
        self.link = Link::CatchingUp { heads: None };
        self.stats.reconnects += 1;
        self.send(hello).await
    }

    /// Reconnects if offline and the last attempt is at least `every` ago.
    pub async fn ensure_connected(&mut self, b: &Backend, meeting: &str, every: Duration) {
        if self.is_offline() && self.last_attempt.is_none_or(|t| t.elapsed() >= every) {
            self.connect(b, meeting).await;
        }
    }

    /// The connection is gone (a kill, a close, a protocol problem).
    pub fn drop_link(&mut self) {
        self.ws = None;
        self.link = Link::Offline;
        self.notes.disconnect();
        for item in self.chunks.iter_mut().chain(self.chats.iter_mut()) {
            item.sent = false;
        }
    }

    async fn send(&mut self, frame: Value) -> bool {
        let Some(ws) = self.ws.as_mut() else {
            return false;
        };
        let sent = tokio::time::timeout(IO_TIMEOUT, ws.send(Message::text(frame.to_string())))
            .await
            .is_ok_and(|r| r.is_ok());
        if !sent {
            self.drop_link();
        }
        sent
    }

    /// Reads every frame that arrives within `wait` (then whatever is
    /// already there), handling each.
    pub async fn pump(&mut self, wait: Duration, kills: u32) {
        let mut wait = wait;
        loop {
            let Some(ws) = self.ws.as_mut() else {
                return;
            };
            let msg = match tokio::time::timeout(wait, ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(msg))) => msg,
                Ok(Some(Err(_))) | Ok(None) => {
                    self.drop_link();
                    return;
                }
            };
            wait = Duration::ZERO;
            match msg {
                Message::Text(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(frame) => self.handle(&frame, kills),
                    Err(_) => self.violation(format!("a frame that is not JSON: {text}")),
                },
                Message::Close(frame) => {
                    let code = frame.map_or(0, |f| u16::from(f.code));
                    *self
                        .stats
                        .errors
                        .entry(format!("close {code}"))
                        .or_default() += 1;
                    self.drop_link();
                    return;
                }
                _ => {}
            }
            if let Link::CatchingUp {
                heads: Some((t, c)),
            } = self.link
            {
                if self.transcript_cursor >= t && self.chat_cursor >= c {
                    self.link = Link::Live;
                }
            }
        }
    }

    fn violation(&mut self, what: String) {
        if self.stats.violations.len() < 20 {
            self.stats
                .violations
                .push(format!("c{}: {what}", self.index));
        }
    }

    fn handle(&mut self, frame: &Value, kills: u32) {
        match frame["type"].as_str().unwrap_or_default() {
            "welcome" => {
                let heads = &frame["heads"];
                let t = heads["transcript_seq"].as_u64().unwrap_or(0);
                let c = heads["chat_seq"].as_u64().unwrap_or(0);
                self.link = Link::CatchingUp {
                    heads: Some((t, c)),
                };
            }
            "notes.ops" => {
                for op in frame["ops"].as_array().into_iter().flatten() {
                    let Ok(wire) = serde_json::from_value::<WireOp>(op.clone()) else {
                        self.violation(format!("bad notes op {op}"));
                        continue;
                    };
                    let committed: CommittedOp = wire.into();
                    if let Some((seq, _)) = self.notes.inflight() {
                        if committed.client_id == self.client_id
                            && committed.client_seq == seq
                            && committed.version == self.notes.version() + 1
                        {
                            self.notes_acked.push(NoteAck {
                                client_seq: seq,
                                version: committed.version,
                                acked_at_kill: kills,
                            });
                        }
                    }
                    if let Err(e) = self.notes.handle_op(&committed) {
                        self.violation(format!("notes op v{}: {e}", committed.version));
                        self.drop_link();
                        return;
                    }
                }
            }
            "notes.ack" => {
                let seq = frame["client_seq"].as_u64().unwrap_or(0);
                let version = frame["version"].as_u64().unwrap_or(0);
                if let Some((inflight, op)) = self.notes.inflight() {
                    if inflight == seq {
                        if op.is_noop() && version == self.notes.version() {
                            self.stats.noop_acks += 1;
                        } else {
                            self.notes_acked.push(NoteAck {
                                client_seq: seq,
                                version,
                                acked_at_kill: kills,
                            });
                        }
                    }
                }
                if let Err(e) = self.notes.handle_ack(seq, version) {
                    self.violation(format!("notes ack {seq} v{version}: {e}"));
                    self.drop_link();
                }
            }
            "notes.snapshot" => {
                let version = frame["version"].as_u64().unwrap_or(0);
                if version < self.notes.version() {
                    self.stats.server_behind += 1;
                    self.violation(format!(
                        "notes snapshot at v{version}, behind the v{} this client held",
                        self.notes.version()
                    ));
                }
                let content = frame["content"].as_str().unwrap_or_default().to_owned();
                self.notes.reset(content, version);
            }
            "notes.reject" => {
                self.stats.notes_rejects += 1;
                let code = frame["code"].as_str().unwrap_or_default();
                *self
                    .stats
                    .errors
                    .entry(format!("reject {code}"))
                    .or_default() += 1;
                let seq = frame["client_seq"].as_u64().unwrap_or(0);
                let content = frame["content"].as_str().unwrap_or_default().to_owned();
                let version = frame["version"].as_u64().unwrap_or(0);
                self.notes.handle_reject(seq, content, version);
            }
            "transcript.chunks" => {
                let truncated = frame["truncated"].as_bool().unwrap_or(false);
                for chunk in frame["chunks"].as_array().into_iter().flatten() {
                    let seq = chunk["seq"].as_u64().unwrap_or(0);
                    self.advance(Stream::Transcript, seq, truncated);
                    if chunk["speaker_id"] == self.user.id.as_str() {
                        let text = chunk["text"].as_str().unwrap_or_default();
                        ack(&mut self.chunks, text, seq, kills, &mut self.stats);
                    }
                }
            }
            "chat.messages" => {
                let truncated = frame["truncated"].as_bool().unwrap_or(false);
                for message in frame["messages"].as_array().into_iter().flatten() {
                    let seq = message["seq"].as_u64().unwrap_or(0);
                    self.advance(Stream::Chat, seq, truncated);
                    if message["user_id"] == self.user.id.as_str() {
                        let r = message["client_ref"].as_str().unwrap_or_default();
                        ack(&mut self.chats, r, seq, kills, &mut self.stats);
                    }
                }
            }
            "chat.ack" => {
                let r = frame["client_ref"].as_str().unwrap_or_default();
                let seq = frame["seq"].as_u64().unwrap_or(0);
                ack(&mut self.chats, r, seq, kills, &mut self.stats);
            }
            "error" => {
                let code = frame["code"].as_str().unwrap_or("?");
                *self.stats.errors.entry(code.to_owned()).or_default() += 1;
            }
            "resync" => {
                *self.stats.errors.entry("resync".to_owned()).or_default() += 1;
                self.drop_link();
            }
            _ => {}
        }
    }

    fn advance(&mut self, stream: Stream, seq: u64, truncated: bool) {
        let cursor = match stream {
            Stream::Transcript => &mut self.transcript_cursor,
            Stream::Chat => &mut self.chat_cursor,
        };
        if seq <= *cursor {
            self.stats.delivered_twice += 1;
            return;
        }
        if seq != *cursor + 1 && !truncated {
            self.stats.delivery_gaps += 1;
        }
        *cursor = seq;
    }

    /// Random writes for one tick: a notes edit, a transcript chunk, a chat
    /// message, each with its own chance (percent). Queued while offline.
    pub fn act(&mut self, rng: &mut u64, notes_pct: u64, chunk_pct: u64, chat_pct: u64) {
        if gen::chance(rng, notes_pct) {
            self.edit(rng);
        }
        if gen::chance(rng, chunk_pct) {
            self.write_chunk();
        }
        if gen::chance(rng, chat_pct) {
            self.write_chat();
        }
    }

    pub fn edit(&mut self, rng: &mut u64) {
        let op = gen::random_op(rng, self.notes.char_len());
        if let Err(e) = self.notes.edit(op) {
            self.violation(format!("a local edit failed: {e}"));
        }
    }

    pub fn write_chunk(&mut self) {
        if unacked(&self.chunks) < MAX_UNACKED {
            let id = format!("chaos c{} chunk {}", self.index, self.chunks.len() + 1);
            self.chunks.push(Item {
                id,
                acked: None,
                acked_at_kill: 0,
                sent: false,
            });
        }
    }

    pub fn write_chat(&mut self) {
        if unacked(&self.chats) < MAX_UNACKED {
            let id = format!("c{}-m{}", self.index, self.chats.len() + 1);
            self.chats.push(Item {
                id,
                acked: None,
                acked_at_kill: 0,
                sent: false,
            });
        }
    }

    /// Sends what is due, once live: the notes op in flight (or the next
    /// one), then every unsent unacknowledged chunk and message, in order.
    pub async fn flush_sends(&mut self) {
        if !self.is_live() {
            return;
        }
        if let Some(sub) = self.notes.poll_submit() {
            let frame = json!({"type": "notes.op", "client_seq": sub.client_seq,
                "base_version": sub.base_version, "op": sub.op.to_json_value()});
            if !self.send(frame).await {
                return;
            }
        }
        for i in 0..self.chunks.len() {
            if self.chunks[i].sent || self.chunks[i].acked.is_some() {
                continue;
            }
            self.chunk_clock_ms += 1000;
            let start = self.chunk_clock_ms;
            let frame = json!({"type": "transcript.append", "chunk": {
                "text": self.chunks[i].id, "confidence": 0.9, "start_ms": start,
                "end_ms": start + 400, "final": true, "language": "en"}});
            if !self.send(frame).await {
                return;
            }
            self.chunks[i].sent = true;
        }
        for i in 0..self.chats.len() {
            if self.chats[i].sent || self.chats[i].acked.is_some() {
                continue;
            }
            let frame = json!({"type": "chat.send", "client_ref": self.chats[i].id,
                "text": format!("message {}", self.chats[i].id)});
            if !self.send(frame).await {
                return;
            }
            self.chats[i].sent = true;
        }
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Transcript,
    Chat,
}

fn unacked(items: &[Item]) -> usize {
    items.iter().filter(|i| i.acked.is_none()).count()
}

/// Marks item `id` acknowledged as `seq` (a second, different seq for the
/// same item is a violation: the room stored it twice).
fn ack(items: &mut [Item], id: &str, seq: u64, kills: u32, stats: &mut ClientStats) {
    let Some(item) = items.iter_mut().find(|i| i.id == id) else {
        return;
    };
    match item.acked {
        None => {
            item.acked = Some(seq);
            item.acked_at_kill = kills;
        }
        Some(known) if known != seq => {
            if stats.violations.len() < 20 {
                stats
                    .violations
                    .push(format!("{id} acknowledged as seq {known} and as seq {seq}"));
            }
        }
        Some(_) => {}
    }
}

/// A WebSocket ticket, or `None` if the backend did not give one.
async fn ticket(b: &Backend, u: &User, meeting: &str) -> Option<String> {
    let resp = reqwest::Client::new()
        .post(b.url(&format!("/v1/meetings/{meeting}/ws-ticket")))
        .bearer_auth(&u.token)
        .timeout(IO_TIMEOUT)
        .send()
        .await
        .ok()?;
    if resp.status().as_u16() != 200 {
        return None;
    }
    let body: Value = resp.json().await.ok()?;
    body["ticket"].as_str().map(str::to_owned)
}
