//! One participant: a task that owns one joined connection and its notes
//! client, makes the edits and transcript chunks the meeting's driver asks
//! for, and measures everything it receives. It keeps its own
//! [`ClientStats`] and returns them when told to stop.
//!
//! Latency is measured from the tag's send time (when the edit was made,
//! which includes any wait behind the op already in flight, as a real
//! client would see) to the moment the frame is decoded here.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use connvo_shared::ot::{CommittedOp, Component, Op};
use futures::stream::{SplitSink, StreamExt};
use futures::SinkExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::clock::now_us;
use crate::edits;
use crate::stats::ClientStats;
use crate::tag::{Stream, Tag};
use crate::wire::{Inbound, Joined, Replica, Ws};

/// What the meeting's driver tells a participant to do.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    Edit,
    Transcript,
    /// Close the connection and hand the stats back.
    Stop,
}

/// Who this participant is and what counts as measured.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub meeting: u32,
    pub index: u32,
    /// Messages sent in `[start, end)` µs are measured; the rest (warm-up)
    /// only count for loss.
    pub window: (u64, u64),
    pub doc_cap_chars: usize,
    pub seed: u64,
}

impl Spec {
    fn in_window(&self, sent_us: u64) -> bool {
        sent_us >= self.window.0 && sent_us < self.window.1
    }
}

/// Padding that makes a transcript chunk the size of a spoken phrase.
const TRANSCRIPT_WORDS: &str = "so the next step is to share the deck with the team before friday";

struct InflightOp {
    client_seq: u64,
    sent_us: u64,
    /// How many tagged lines the op carries (edits compose while one is in flight).
    tags: u64,
}

struct Client {
    spec: Spec,
    sink: SplitSink<Ws, Message>,
    replica: Replica,
    rng: u64,
    next_seq: [u64; 2],
    pending_tags: u64,
    inflight: Option<InflightOp>,
    /// Ops that arrived ahead of a version we have not seen yet, held until
    /// the gap fills (ShareDB may send a broadcast before an earlier one).
    reorder: BTreeMap<u64, CommittedOp>,
    last_transcript_seq: Option<u64>,
    events: Vec<Inbound>,
    dead: bool,
    stats: ClientStats,
}

/// Runs until [`Command::Stop`] (or the driver goes away). Every frame
/// received bumps `activity`, which tells the phase when the drain is over.
pub async fn run(
    spec: Spec,
    joined: Joined,
    mut commands: mpsc::Receiver<Command>,
    activity: Arc<AtomicU64>,
) -> ClientStats {
    let (sink, mut frames) = joined.ws.split();
    let mut client = Client {
        spec,
        sink,
        replica: joined.replica,
        rng: spec.seed,
        next_seq: [0; 2],
        pending_tags: 0,
        inflight: None,
        reorder: BTreeMap::new(),
        last_transcript_seq: None,
        events: Vec::new(),
        dead: false,
        stats: ClientStats::default(),
    };
    loop {
        tokio::select! {
            frame = frames.next(), if !client.dead => match frame {
                Some(Ok(Message::Text(text))) => {
                    activity.fetch_add(1, Ordering::Relaxed);
                    client.on_frame(text.as_str()).await;
                }
                Some(Ok(Message::Binary(data))) => {
                    activity.fetch_add(1, Ordering::Relaxed);
                    client.on_binary(&data).await;
                }
                Some(Ok(Message::Close(close))) => {
                    client.stats.error("closed_by_server", || format!("{close:?}"));
                    client.dead = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    client.stats.error("socket", || e.to_string());
                    client.dead = true;
                }
                None => {
                    client.stats.error("closed_by_server", || "stream ended".into());
                    client.dead = true;
                }
            },
            command = commands.recv() => match command {
                Some(Command::Edit) => client.edit().await,
                Some(Command::Transcript) => client.transcript().await,
                Some(Command::Stop) | None => break,
            },
        }
    }
    client.finish().await
}

impl Client {
    async fn send(&mut self, frame: String) {
        self.send_message(Message::Text(frame.into())).await;
    }

    async fn send_message(&mut self, message: Message) {
        if self.dead {
            return;
        }
        if let Err(e) = self.sink.send(message).await {
            self.stats.error("send", || e.to_string());
            self.dead = true;
        }
    }

    async fn edit(&mut self) {
        let tag = self.next_tag(Stream::Notes);
        let line = format!("{tag}\n");
        let cap = self.spec.doc_cap_chars;
        match &mut self.replica {
            Replica::Ot { notes, .. } => match edits::edit(notes, &line, &mut self.rng, cap) {
                Ok(()) => {
                    self.count_sent(tag);
                    self.pending_tags += 1;
                }
                Err(e) => self.stats.error("local_edit", || e.to_string()),
            },
            // A Yjs client sends every change at once: nothing waits for an ack.
            Replica::Yjs(doc) => {
                let made = edits::edit(doc.as_mut(), &line, &mut self.rng, cap)
                    .and_then(|()| doc.take_edit(now_us()));
                match made {
                    Ok(frame) => {
                        self.count_sent(tag);
                        if let Some(frame) = frame {
                            self.send_message(Message::Binary(frame.into())).await;
                        }
                    }
                    Err(e) => self.stats.error("local_edit", || e),
                }
            }
        }
        self.flush_submit().await;
    }

    async fn transcript(&mut self) {
        let tag = self.next_tag(Stream::Transcript);
        let Replica::Ot { wire, .. } = &self.replica else {
            return;
        };
        let Some(frame) = wire.transcript(&format!("{tag} {TRANSCRIPT_WORDS}")) else {
            return;
        };
        self.count_sent(tag);
        self.send(frame).await;
    }

    fn next_tag(&mut self, stream: Stream) -> Tag {
        let seq = &mut self.next_seq[stream.index()];
        *seq += 1;
        Tag {
            stream,
            meeting: self.spec.meeting,
            participant: self.spec.index,
            seq: *seq,
            sent_us: now_us(),
        }
    }

    fn count_sent(&mut self, tag: Tag) {
        let i = tag.stream.index();
        self.stats.sent[i] += 1;
        if self.spec.in_window(tag.sent_us) {
            self.stats.sent_in_window[i] += 1;
        }
    }

    /// Sends the next op if nothing is in flight (one op at a time, as in ShareDB).
    async fn flush_submit(&mut self) {
        if self.dead {
            return;
        }
        let Replica::Ot { notes, wire } = &mut self.replica else {
            return;
        };
        let Some(submission) = notes.poll_submit() else {
            return;
        };
        self.inflight = Some(InflightOp {
            client_seq: submission.client_seq,
            sent_us: now_us(),
            tags: std::mem::take(&mut self.pending_tags),
        });
        let frame = wire.submit(&submission);
        self.send(frame).await;
    }

    async fn on_frame(&mut self, frame: &str) {
        let mut events = std::mem::take(&mut self.events);
        // y-partyserver's text frames are its custom messages: none are measured.
        if let Replica::Ot { wire, .. } = &self.replica {
            if let Err(e) = wire.decode(frame, &mut events) {
                self.stats.error("bad_frame", || e);
            }
        }
        self.on_events(events).await;
    }

    /// Binary frames are y-protocols messages (the OT targets send none).
    async fn on_binary(&mut self, data: &[u8]) {
        let Replica::Yjs(doc) = &mut self.replica else {
            return;
        };
        let mut events = std::mem::take(&mut self.events);
        let mut replies = Vec::new();
        if let Err(e) = doc.receive(data, &mut events, &mut replies) {
            self.stats.error("bad_frame", || e);
        }
        for reply in replies {
            self.send_message(Message::Binary(reply.into())).await;
        }
        self.on_events(events).await;
    }

    async fn on_events(&mut self, mut events: Vec<Inbound>) {
        for event in events.drain(..) {
            match event {
                Inbound::Ack {
                    client_seq,
                    version,
                } => self.on_ack(client_seq, version),
                Inbound::Op(op) => self.on_op(op),
                Inbound::Reject {
                    client_seq,
                    code,
                    content,
                    version,
                } => {
                    self.stats.error(&format!("rejected:{code}"), || {
                        format!("op {client_seq} refused with {code}")
                    });
                    let Replica::Ot { notes, .. } = &mut self.replica else {
                        continue;
                    };
                    if notes.handle_reject(client_seq, content, version).is_some() {
                        self.inflight = None;
                        self.pending_tags = 0;
                    }
                }
                Inbound::Transcript { seq, text } => self.on_transcript(seq, &text),
                Inbound::Inserted(text) => self.record_inserted([text.as_str()]),
                Inbound::EditAcked { sent_us } => {
                    self.stats.acked[Stream::Notes.index()] += 1;
                    if self.spec.in_window(sent_us) {
                        self.stats.ack[Stream::Notes.index()]
                            .push_us(now_us().saturating_sub(sent_us));
                    }
                }
                Inbound::Error { code, message } => {
                    self.stats.error(&format!("server:{code}"), || message);
                }
                Inbound::Ignored => {}
            }
        }
        self.events = events;
        self.flush_submit().await;
    }

    fn on_ack(&mut self, client_seq: u64, version: u64) {
        let Some(inflight) = self.inflight.as_ref() else {
            return;
        };
        if inflight.client_seq != client_seq {
            // A repeated ack of an older op: nothing to do.
            return;
        }
        let Replica::Ot { notes, .. } = &mut self.replica else {
            return;
        };
        if let Err(e) = notes.handle_ack(client_seq, version) {
            self.stats.error("ack_gap", || e.to_string());
            return;
        }
        let now = now_us();
        if let Some(inflight) = self.inflight.take() {
            self.stats.acked[Stream::Notes.index()] += inflight.tags;
            if self.spec.in_window(inflight.sent_us) {
                self.stats.ack[Stream::Notes.index()].push_us(now.saturating_sub(inflight.sent_us));
            }
        }
        self.drain_reorder();
    }

    /// The OT notes client's version (0 for a CRDT replica, which has none).
    fn version(&self) -> u64 {
        match &self.replica {
            Replica::Ot { notes, .. } => notes.version(),
            Replica::Yjs(_) => 0,
        }
    }

    fn on_op(&mut self, op: CommittedOp) {
        if op.version > self.version() + 1 {
            self.stats.server_reordered += 1;
            self.reorder.insert(op.version, op);
            return;
        }
        self.apply_op(op);
        self.drain_reorder();
    }

    fn drain_reorder(&mut self) {
        loop {
            let current = self.version();
            let Some(entry) = self.reorder.first_entry() else {
                break;
            };
            let version = *entry.key();
            if version <= current {
                entry.remove();
            } else if version == current + 1 {
                let op = entry.remove();
                self.apply_op(op);
            } else {
                break;
            }
        }
    }

    fn apply_op(&mut self, op: CommittedOp) {
        let Replica::Ot { notes, .. } = &mut self.replica else {
            return;
        };
        let own = self
            .inflight
            .as_ref()
            .is_some_and(|i| i.client_seq == op.client_seq)
            && op.client_id == notes.client_id();
        if own && op.version == notes.version() + 1 {
            // Our own op coming back (a catch-up after a lost ack) is the ack.
            self.on_ack(op.client_seq, op.version);
            return;
        }
        match notes.handle_op(&op) {
            Ok(Some(_)) => self.record_notes(&op.op),
            Ok(None) => {}
            Err(e) => self.stats.error("notes_apply", || e.to_string()),
        }
    }

    fn record_notes(&mut self, op: &Op) {
        self.record_inserted(op.components().iter().filter_map(|c| match c {
            Component::Insert(text) => Some(text.as_str()),
            _ => None,
        }));
    }

    /// Every tagged line inserted is one delivered edit.
    fn record_inserted<'a>(&mut self, inserted: impl IntoIterator<Item = &'a str>) {
        let now = now_us();
        let mut tags = Vec::new();
        for text in inserted {
            for line in text.split('\n').filter(|l| !l.is_empty()) {
                match Tag::parse(line) {
                    Some(tag) if tag.stream == Stream::Notes => tags.push(tag),
                    _ => self
                        .stats
                        .error("foreign_text", || format!("unexpected notes text {line:?}")),
                }
            }
        }
        // Composed edits can land in any order in the text; sequence order is what we check.
        tags.sort_unstable_by_key(|t| (t.participant, t.seq));
        for tag in tags {
            self.record_receipt(tag, now);
        }
    }

    fn on_transcript(&mut self, seq: Option<u64>, text: &str) {
        if let Some(seq) = seq {
            if let Some(last) = self.last_transcript_seq {
                if seq != last + 1 {
                    self.stats.server_reordered += 1;
                }
            }
            self.last_transcript_seq = Some(self.last_transcript_seq.map_or(seq, |l| l.max(seq)));
        }
        let now = now_us();
        match Tag::parse(text) {
            Some(tag) if tag.stream == Stream::Transcript => {
                if tag.participant == self.spec.index && tag.meeting == self.spec.meeting {
                    // Our own chunk echoed back: that is its acknowledgement.
                    self.stats.acked[Stream::Transcript.index()] += 1;
                    if self.spec.in_window(tag.sent_us) {
                        self.stats.ack[Stream::Transcript.index()]
                            .push_us(now.saturating_sub(tag.sent_us));
                    }
                } else {
                    self.record_receipt(tag, now);
                }
            }
            _ => self
                .stats
                .error("foreign_text", || format!("unexpected transcript {text:?}")),
        }
    }

    fn record_receipt(&mut self, tag: Tag, now: u64) {
        if tag.meeting != self.spec.meeting {
            self.stats.error("wrong_meeting", || {
                format!("{tag} reached meeting {}", self.spec.meeting)
            });
            return;
        }
        if tag.participant == self.spec.index {
            self.stats.error("own_op_echoed", || {
                format!("{tag} came back as someone else's op")
            });
            return;
        }
        let fresh = self
            .stats
            .receipts(tag.stream, tag.participant)
            .record(tag.seq);
        if fresh && self.spec.in_window(tag.sent_us) {
            self.stats.delivery[tag.stream.index()].push_us(now.saturating_sub(tag.sent_us));
        }
    }

    async fn finish(mut self) -> ClientStats {
        if !self.reorder.is_empty() {
            let held = self.reorder.len();
            self.stats.error("notes_gap", || {
                format!("{held} ops still waiting for an earlier version")
            });
        }
        if !self.dead {
            // A polite close, so the server's cleanup is part of the run rather than a reset.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.sink.close()).await;
        }
        self.stats
    }
}
