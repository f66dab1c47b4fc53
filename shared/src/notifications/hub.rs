//! The per-user hub's inbox, the pure part (N12, N13): every frame the hub
//! sends gets the user's next sequence number and is kept in a bounded ring,
//! so a client that reconnects with the last sequence it saw (`after`) gets
//! exactly the frames it missed, in order. A client further behind than the
//! ring gets `resync` first (read the inbox over REST), then what the ring
//! holds. The ring is the recent past of the real-time channel; the
//! `notifications` table stays the inbox of record.
//!
//! The hub (`durable-objects/src/user_hub.rs`) stores [`Inbox`] as one
//! value in its storage and writes it before it sends a frame.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Frames kept for resume (N12).
pub const RING: usize = 100;

/// Header the worker sets on hub requests: the client's last seen sequence
/// (`?after=`, or the SSE `Last-Event-ID`). Client `x-connvo-*` headers are
/// never forwarded, so only the worker can set it.
pub const AFTER_HEADER: &str = "x-connvo-hub-after";

/// Internal hub URLs (a Durable Object stub is unreachable from outside).
pub mod url {
    pub const WS: &str = "https://hub/ws";
    pub const STREAM: &str = "https://hub/stream";
    pub const NOTIFY: &str = "https://hub/notify";
    pub const CLOSE: &str = "https://hub/close";
    pub const ERASE: &str = "https://hub/erase";
}

/// Close code of hub sockets when the user's access is revoked (N14).
pub const CLOSE_REVOKED: u16 = 4001;
/// Close code of hub sockets when the user is erased (N17).
pub const CLOSE_ERASED: u16 = 4003;

/// The stored state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    /// The last sequence handed out (0: none yet).
    pub seq: u64,
    /// (seq, frame text), oldest first, at most [`RING`].
    pub frames: VecDeque<(u64, String)>,
}

/// What a resuming client is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay<'a> {
    /// Frames were dropped from the ring since `after`.
    pub resync: bool,
    pub frames: Vec<(u64, &'a str)>,
}

impl Inbox {
    /// Gives `body` (a JSON object) the next sequence and keeps it. Returns
    /// the sequence and the frame text to send.
    pub fn push(&mut self, mut body: Map<String, Value>) -> (u64, String) {
        self.seq += 1;
        body.insert("seq".into(), Value::from(self.seq));
        let text = Value::Object(body).to_string();
        self.frames.push_back((self.seq, text.clone()));
        while self.frames.len() > RING {
            self.frames.pop_front();
        }
        (self.seq, text)
    }

    /// The frames after `after` (N12). `after` beyond the current sequence
    /// (a client from a reset hub) is a resync too.
    pub fn since(&self, after: u64) -> Replay<'_> {
        let oldest = self.frames.front().map_or(self.seq + 1, |(s, _)| *s);
        Replay {
            resync: after > self.seq || after + 1 < oldest && after < self.seq,
            frames: self
                .frames
                .iter()
                .filter(|(s, _)| *s > after)
                .map(|(s, t)| (*s, t.as_str()))
                .collect(),
        }
    }
}

/// One SSE event (N13): `id` is the sequence, so the browser's
/// `Last-Event-ID` on reconnect is the resume point.
pub fn sse_event(seq: u64, text: &str) -> String {
    // Frames are single-line JSON; a data line cannot contain a newline.
    format!("id: {seq}\nevent: notification\ndata: {text}\n\n")
}

/// Parses the resume point (`after` query or `Last-Event-ID`). Absent or
/// malformed is `current`: a fresh client wants live frames only.
pub fn parse_after(value: Option<&str>, current: u64) -> u64 {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(n: u64) -> Map<String, Value> {
        json!({"type": "notification", "n": n})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn n12_resume_returns_exactly_the_missed_frames() {
        let mut inbox = Inbox::default();
        for n in 1..=5 {
            inbox.push(obj(n));
        }
        let r = inbox.since(2);
        assert!(!r.resync);
        assert_eq!(r.frames.iter().map(|f| f.0).collect::<Vec<_>>(), [3, 4, 5]);
        assert!(r.frames[0].1.contains("\"seq\":3"));
        assert!(inbox.since(5).frames.is_empty());
        assert!(!inbox.since(5).resync);
    }

    #[test]
    fn n12_a_client_behind_the_ring_is_told_to_resync() {
        let mut inbox = Inbox::default();
        for n in 1..=(RING as u64 + 10) {
            inbox.push(obj(n));
        }
        assert_eq!(inbox.frames.len(), RING);
        let r = inbox.since(3);
        assert!(r.resync);
        assert_eq!(r.frames.len(), RING);
        // Exactly at the edge: nothing was lost.
        assert!(!inbox.since(10).resync);
        // From the future (a reset hub): resync.
        assert!(inbox.since(10_000).resync);
    }

    #[test]
    fn n13_sse_events_carry_the_sequence_as_id() {
        assert_eq!(
            sse_event(7, "{\"a\":1}"),
            "id: 7\nevent: notification\ndata: {\"a\":1}\n\n"
        );
        assert_eq!(parse_after(Some(" 4 "), 9), 4);
        assert_eq!(parse_after(Some("x"), 9), 9);
        assert_eq!(parse_after(None, 9), 9);
    }
}
