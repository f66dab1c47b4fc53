//! Getting frames to connections: cursor-driven delivery of the sequenced
//! streams, the hot streams' delivery (`coalesce.rs` says when), the state view, and the
//! per-connection queue caps.
//!
//! Delivery is driven by cursors, not by per-connection buffers: each
//! connection remembers the last seq it was given per stream, and a
//! delivery sends `(cursor, head]` from the store. Connections at the same
//! cursor share one encoded frame. Resume, hibernation and backpressure are
//! then one mechanism, and "exactly once, in order" is a property of one
//! number per stream.
//!
//! Backpressure has two tools. Sequenced streams are *paced*: frames are
//! queued only while they fit the connection's caps, the cursor stops at
//! the last one queued, and delivery continues once the shell has taken the
//! queue. Frames that cannot wait their turn (acks, rejects, presence,
//! state) past the caps make the connection drop its queued stream frames
//! and get a `resync` for each affected stream.

use crate::acl::Decision;

use super::close::CloseReason;
use super::core::RoomCore;
use super::error::RoomError;
use super::identity::SessionId;
use super::prompts::PromptEventBody;
use super::protocol::{ServerMsg, WireOp};
use super::session::{Session, Sub};
use super::store::RoomStore;
use super::stream::{Stream, StreamSet};

/// A soft cap on one catch-up frame's size: large chat messages or
/// transcript chunks split into more frames rather than one huge one.
const FRAME_BUDGET_BYTES: usize = 256 * 1024;
/// A rough per-item JSON overhead (field names, numbers) for the budget.
const ITEM_OVERHEAD_BYTES: usize = 160;

/// Splits items into frames of at most `per_frame` items and about
/// [`FRAME_BUDGET_BYTES`].
fn batches<T>(items: Vec<T>, per_frame: usize, size: impl Fn(&T) -> usize) -> Vec<Vec<T>> {
    let per_frame = per_frame.max(1);
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for item in items {
        let item_bytes = size(&item) + ITEM_OVERHEAD_BYTES;
        if !current.is_empty()
            && (current.len() >= per_frame || bytes + item_bytes > FRAME_BUDGET_BYTES)
        {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += item_bytes;
        current.push(item);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

impl<S: RoomStore> RoomCore<S> {
    // --- queueing ---------------------------------------------------------

    /// Queues a frame that belongs to no stream (welcome, error, pong, …).
    /// These are never dropped, but a connection that lets even these pile
    /// up past twice the cap is closed as a slow consumer.
    pub(super) fn send_control(&mut self, sid: &SessionId, msg: &ServerMsg) {
        self.outbox.send(sid, msg.encode(), None);
        let usage = self.outbox.usage(sid);
        if usage.frames > self.config.queue_max_frames.saturating_mul(2)
            || usage.bytes > self.config.queue_max_bytes.saturating_mul(2)
        {
            self.close(sid, CloseReason::SlowConsumer);
        }
    }

    /// Whether one more frame of `bytes` fits the session's queue. An empty
    /// queue always takes a frame, so one larger than the byte cap (a big
    /// snapshot) still goes and delivery always makes progress.
    fn fits(&self, sid: &SessionId, bytes: usize) -> bool {
        let usage = self.outbox.usage(sid);
        usage.frames == 0
            || (usage.frames < self.config.queue_max_frames
                && usage.bytes.saturating_add(bytes) <= self.config.queue_max_bytes)
    }

    /// Queues a frame of `stream` unless that stream is in resync for the
    /// session. Returns false when nothing was queued; past the session's
    /// caps the stream frames go and the session is told to resync.
    pub(super) fn send_stream(&mut self, sid: &SessionId, stream: Stream, text: String) -> bool {
        let Some(session) = self.sessions.get(sid) else {
            return false;
        };
        if session.sub(stream) == Some(Sub::Resync) {
            return false;
        }
        if !self.fits(sid, text.len()) {
            let mut streams = StreamSet::empty();
            streams.insert(stream);
            self.overflow(sid, streams);
            return false;
        }
        self.outbox.send(sid, text, Some(stream));
        true
    }

    /// Drops the session's queued stream frames and puts every affected
    /// (and every named) subscribed stream into resync, telling the client.
    pub(super) fn overflow(&mut self, sid: &SessionId, also: StreamSet) {
        let mut dropped = self.outbox.drop_stream_frames(sid);
        for stream in also.iter() {
            dropped.insert(stream);
        }
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        let mut told = Vec::new();
        for stream in dropped.iter() {
            if matches!(session.sub(stream), Some(Sub::Live { .. })) {
                session.set_sub(stream, Some(Sub::Resync));
                told.push(stream);
            }
        }
        for stream in told {
            self.send_control(sid, &ServerMsg::Resync { stream });
        }
        self.dirty.insert(sid.clone());
    }

    /// Paced delivery: queues pre-encoded frames of a stream while they
    /// fit, moving the cursor to each frame's last seq. Stops early when the
    /// queue is full; the rest follows once the shell has taken the queue.
    pub(super) fn send_frames(
        &mut self,
        sid: &SessionId,
        stream: Stream,
        frames: &[(String, u64)],
    ) {
        for (text, to) in frames {
            if self
                .sessions
                .get(sid)
                .and_then(|s| s.cursor(stream))
                .is_none()
            {
                return;
            }
            if !self.fits(sid, text.len()) {
                self.behind.insert(sid.clone());
                return;
            }
            self.outbox.send(sid, text.clone(), Some(stream));
            if let Some(session) = self.sessions.get_mut(sid) {
                session.set_sub(stream, Some(Sub::Live { cursor: *to }));
            }
            self.dirty.insert(sid.clone());
        }
    }

    pub(super) fn may_read(&self, session: &Session, stream: Stream) -> bool {
        matches!(
            self.decide(&session.state.identity, stream.read_action()),
            Decision::Allow(_)
        )
    }

    // --- the hot streams --------------------------------------------------

    /// Counts a committed hot item and schedules its delivery (adaptive
    /// coalescing, R26, `coalesce.rs`).
    pub(super) fn mark_hot(&mut self, now_ms: u64) {
        self.fanout.accepted(now_ms);
        let shedding = self.shedding();
        if shedding {
            self.load.counters.held_items += 1;
        }
        self.hot.mark(
            now_ms,
            self.config.coalesce_ms,
            self.config.coalesce_idle_per_sec,
            shedding,
        );
    }

    /// What the room shed while overloaded (R27).
    pub fn shed_counters(&self) -> super::load::ShedCounters {
        self.load.counters
    }

    /// Sends every connection what it is missing of the sequenced streams,
    /// and the state frame if the speaking stats changed — while shedding
    /// load at most every `shed_state_every_ms` (R27): a held one goes out
    /// then, with the latest values.
    pub(super) fn deliver_hot(&mut self, now_ms: u64) {
        let state_dirty = self.hot.state_dirty;
        self.hot.delivered();
        self.fanout.delivered(now_ms);
        self.deliver_notes_all();
        self.deliver_feed_all(Stream::Transcript);
        self.deliver_feed_all(Stream::Chat);
        // Not hot, but paced like the others: a connection whose queue was
        // full catches up here once it drained.
        self.deliver_feed_all(Stream::Prompts);
        if state_dirty {
            let every = self.config.shed_state_every_ms;
            let shedding = self.shedding();
            if self.load.state_frame_allowed(now_ms, every, shedding) {
                self.load.state_due = None;
                self.load.state_sent_at = Some(now_ms);
                self.broadcast_state();
            } else {
                self.hot.state_dirty = true;
                let at = self
                    .load
                    .state_sent_at
                    .unwrap_or(now_ms)
                    .saturating_add(every);
                self.load.state_due = Some(at);
            }
        }
    }

    // --- transcript and chat ------------------------------------------------

    pub(super) fn feed_head(&self, stream: Stream) -> u64 {
        match stream {
            Stream::Transcript => self.transcript_head,
            Stream::Chat => self.chat_head,
            Stream::Notes => self.notes.version(),
            Stream::Prompts => self.prompt_head,
            Stream::State | Stream::Presence => 0,
        }
    }

    /// Encoded frames taking a client from `cursor` to the head of a feed
    /// (transcript, chat or prompts): the missing tail, or — when more than
    /// `resume_max_items` behind — the latest window marked `truncated`.
    fn feed_frames(
        &self,
        stream: Stream,
        cursor: u64,
        per_frame: usize,
    ) -> Result<Vec<(String, u64)>, RoomError> {
        let head = self.feed_head(stream);
        if cursor >= head {
            return Ok(Vec::new());
        }
        let max = u64::try_from(self.config.resume_max_items.max(1)).unwrap_or(u64::MAX);
        let (from, truncated) = if head - cursor > max {
            (head - max, true)
        } else {
            (cursor, false)
        };
        let count = usize::try_from(head - from).unwrap_or(usize::MAX);
        // Each frame with the seq it reaches; only the first is marked.
        fn encode<T>(
            frames: Vec<Vec<T>>,
            cursor: u64,
            truncated: bool,
            seq: impl Fn(&T) -> u64,
            frame: impl Fn(Vec<T>, bool) -> ServerMsg,
        ) -> Vec<(String, u64)> {
            frames
                .into_iter()
                .enumerate()
                .map(|(i, items)| {
                    let to = items.last().map_or(cursor, &seq);
                    (frame(items, truncated && i == 0).encode(), to)
                })
                .collect()
        }
        // Live delivery reads the in-memory tail (`recent.rs`); older
        // cursors read the store.
        let frames = match stream {
            Stream::Transcript => encode(
                batches(
                    self.recent_transcript.or_read(from, count, head, || {
                        self.store.transcript_after(from, count)
                    })?,
                    per_frame,
                    |c| c.text.len(),
                ),
                cursor,
                truncated,
                |c| c.seq,
                |chunks, truncated| ServerMsg::TranscriptChunks { chunks, truncated },
            ),
            Stream::Chat => encode(
                batches(
                    self.recent_chat
                        .or_read(from, count, head, || self.store.chat_after(from, count))?,
                    per_frame,
                    |m| m.text.len(),
                ),
                cursor,
                truncated,
                |m| m.seq,
                |messages, truncated| ServerMsg::ChatMessages {
                    messages,
                    truncated,
                },
            ),
            Stream::Prompts => encode(
                batches(
                    self.store.prompt_events_after(from, count)?,
                    per_frame,
                    |e| match &e.body {
                        PromptEventBody::Prompt(p) => p.content.len(),
                        PromptEventBody::Reaction(_) => 0,
                    },
                ),
                cursor,
                truncated,
                |e| e.seq,
                |items, truncated| ServerMsg::PromptsItems { items, truncated },
            ),
            Stream::Notes | Stream::State | Stream::Presence => Vec::new(),
        };
        Ok(frames)
    }

    /// Brings every connection live on a feed up to its head. Connections
    /// at the same cursor share the encoded frames.
    pub(super) fn deliver_feed_all(&mut self, stream: Stream) {
        let head = self.feed_head(stream);
        let mut groups: std::collections::BTreeMap<u64, Vec<SessionId>> = Default::default();
        for (sid, session) in &self.sessions {
            if let Some(cursor) = session.cursor(stream) {
                if cursor < head && self.may_read(session, stream) {
                    groups.entry(cursor).or_default().push(sid.clone());
                }
            }
        }
        let per_frame = self.config.coalesce_max;
        for (cursor, sids) in groups {
            // A store read failing now is retried by the next delivery:
            // the cursors stay where they are.
            let Ok(frames) = self.feed_frames(stream, cursor, per_frame) else {
                continue;
            };
            for sid in sids {
                self.send_frames(&sid, stream, &frames);
            }
        }
    }

    /// One session's catch-up on a feed, from the cursor it resumed from.
    pub(super) fn catch_up_feed(&mut self, sid: &SessionId, stream: Stream, cursor: u64) {
        let per_frame = self.config.resume_frame_items;
        match self.feed_frames(stream, cursor, per_frame) {
            Ok(frames) => self.send_frames(sid, stream, &frames),
            Err(err) => self.send_control(sid, &ServerMsg::error(&err, None)),
        }
    }

    // --- notes --------------------------------------------------------------

    /// Encoded frames taking a client from `cursor` to `upto` (at most the
    /// document's version), each with the version it reaches: ops when the
    /// log still has them and they are few enough, else a snapshot (then
    /// the second value is true).
    pub(super) fn notes_frames(
        &self,
        cursor: u64,
        upto: u64,
        per_frame: usize,
    ) -> (Vec<(String, u64)>, bool) {
        let version = self.notes.version();
        let upto = upto.min(version);
        if cursor <= version && cursor >= upto {
            return (Vec::new(), false);
        }
        match self.notes.ops_since(cursor) {
            Ok(ops) if ops.len() <= self.config.resume_max_items => {
                let wanted: Vec<WireOp> = ops
                    .iter()
                    .take_while(|op| op.version <= upto)
                    .map(WireOp::from)
                    .collect();
                let frames = batches(wanted, per_frame, |op| op.op.inserted_chars() * 4)
                    .into_iter()
                    .map(|ops| {
                        let to = ops.last().map_or(cursor, |op| op.version);
                        (ServerMsg::NotesOps { ops }.encode(), to)
                    })
                    .collect();
                (frames, false)
            }
            // Too far behind, compacted away, or ahead of us (the store
            // was rolled back): the whole document.
            Ok(_) | Err(_) => (vec![(self.snapshot_frame(), version)], true),
        }
    }

    /// Records that the session's client reset its document to `version`
    /// (a snapshot or a reject was queued for it).
    pub(super) fn note_reset(&mut self, sid: &SessionId, version: u64) {
        if let Some(live) = self.sessions.get_mut(sid).and_then(|s| s.live_mut()) {
            live.notes_reset_version = live.notes_reset_version.max(version);
            self.dirty.insert(sid.clone());
        }
    }

    /// Sends notes frames and records a snapshot once it was queued.
    fn send_notes_frames(&mut self, sid: &SessionId, frames: &[(String, u64)], snapshot: bool) {
        self.send_frames(sid, Stream::Notes, frames);
        if snapshot {
            let reached = self.sessions.get(sid).and_then(|s| s.cursor(Stream::Notes));
            if let (Some(reached), Some((_, to))) = (reached, frames.first()) {
                if reached >= *to {
                    self.note_reset(sid, *to);
                }
            }
        }
    }

    pub(super) fn snapshot_frame(&self) -> String {
        ServerMsg::NotesSnapshot {
            version: self.notes.version(),
            content: self.notes.content().to_owned(),
        }
        .encode()
    }

    /// Sends one session the notes it is missing, up to `upto`. Returns
    /// whether it got there (the stream is live and the queue had room), so
    /// a reply that must follow those ops can be sent now.
    pub(super) fn deliver_notes_to(
        &mut self,
        sid: &SessionId,
        upto: u64,
        per_frame: usize,
    ) -> bool {
        let Some(cursor) = self.sessions.get(sid).and_then(|s| s.cursor(Stream::Notes)) else {
            return false;
        };
        let (frames, snapshot) = self.notes_frames(cursor, upto, per_frame);
        self.send_notes_frames(sid, &frames, snapshot);
        self.sessions
            .get(sid)
            .and_then(|s| s.cursor(Stream::Notes))
            .is_some_and(|reached| reached >= upto.min(self.notes.version()))
    }

    fn deliver_notes_all(&mut self) {
        let head = self.notes.version();
        let mut groups: std::collections::BTreeMap<u64, Vec<SessionId>> = Default::default();
        for (sid, session) in &self.sessions {
            if let Some(cursor) = session.cursor(Stream::Notes) {
                if cursor != head && self.may_read(session, Stream::Notes) {
                    groups.entry(cursor).or_default().push(sid.clone());
                }
            }
        }
        for (cursor, sids) in groups {
            let (frames, snapshot) = self.notes_frames(cursor, head, self.config.coalesce_max);
            for sid in sids {
                self.send_notes_frames(&sid, &frames, snapshot);
            }
        }
    }

    // --- state -----------------------------------------------------------

    pub(super) fn state_frame(&self) -> String {
        ServerMsg::State {
            state: self.meta.state,
            started_at_ms: self.meta.started_at_ms,
            ended_at_ms: self.meta.ended_at_ms,
            last_activity_ms: self.meta.last_activity_ms,
            speaking_ms: self.meta.speaking_ms.clone(),
        }
        .encode()
    }

    /// Sends the state frame to every state subscriber now.
    pub(super) fn broadcast_state(&mut self) {
        self.hot.state_dirty = false;
        let frame = self.state_frame();
        let targets: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.cursor(Stream::State).is_some())
            .map(|(sid, _)| sid.clone())
            .collect();
        for sid in targets {
            self.send_stream(&sid, Stream::State, frame.clone());
        }
    }

    /// Whether a session's role allows reading a stream at all. A denial
    /// by the meeting's state alone (the transcript before the start) still
    /// allows the subscription: delivery waits until the state allows it.
    pub(super) fn role_may_read(&self, sid: &SessionId, stream: Stream) -> Result<(), RoomError> {
        let Some(session) = self.sessions.get(sid) else {
            return Err(RoomError::UnknownSession);
        };
        match self.decide(&session.state.identity, stream.read_action()) {
            Decision::Allow(_) | Decision::Deny(crate::acl::Denial::MeetingState(_)) => Ok(()),
            Decision::Deny(denial) => Err(RoomError::Denied(denial)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::batches;

    #[test]
    fn batches_by_count_and_budget() {
        let items: Vec<usize> = vec![1, 1, 1, 1, 1];
        assert_eq!(batches(items, 2, |_| 0).len(), 3);
        let big: Vec<usize> = vec![200_000, 200_000, 10];
        let out = batches(big, 100, |n| *n);
        assert_eq!(out, vec![vec![200_000], vec![200_000, 10]]);
        assert!(batches(Vec::<usize>::new(), 0, |_| 0).is_empty());
    }
}
