//! The meeting room's work per op (docs/benchmarks.md, "Work per op"): what
//! one notes edit and one transcript chunk cost the room core — storage
//! statements and the bytes they carry, frames encoded and sent,
//! attachments saved — with the Durable Object's store (`SqlRoomStore`
//! over SQLite, here the bundled SQLite through rusqlite, the engine the
//! runtime embeds). A benchmark, not a test: it counts and prints, and
//! asserts nothing. The counts are exact and the same on any machine;
//! for instructions per op run it under callgrind with two op counts and
//! take the difference, with `ROOM_COST_COUNT_ONLY=1` so the sink does no
//! sizing of its own (docs/benchmarks.md gives the commands).
//!
//! One meeting of P participants (default 5), everyone subscribed to
//! everything, with the benchmark's workload: notes edits (an insert, then
//! a delete, from a random participant) and transcript chunks, at the
//! given rates, the room's timer fired whenever due and each flush
//! acknowledged at once, as a healthy D1 would.
//!
//! ```sh
//! cargo run --release -p connvo-bench --bin room_cost -- [seconds] [edits/s] [chunks/s] [participants]
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use connvo_shared::acl::{MeetingRole, MeetingState};
use connvo_shared::ot::Op;
use connvo_shared::room::{
    CloseReason, Drained, Frame, RoomConfig, RoomCore, Row, SessionId, SessionIdentity,
    SessionState, Sockets, SqlExec, SqlRoomStore, SqlValue, StoreError,
};
use serde_json::json;

// The rusqlite `SqlExec` the room's SQL-store tests use.
#[allow(dead_code)]
#[path = "../../../shared/tests/room_support/sqlite.rs"]
mod sqlite;

/// What one run counted.
#[derive(Debug, Default, Clone)]
struct Counts {
    reads: u64,
    writes: u64,
    /// Bytes of the parameters of writing statements (text, blobs, 8 per number).
    write_bytes: u64,
    /// Writing statements by their first words.
    by_kind: BTreeMap<String, u64>,
    frames_sent: u64,
    bytes_sent: u64,
    /// Distinct frame texts per drain: frames encoded (shared ones once).
    frames_encoded: u64,
    saves: u64,
    save_bytes: u64,
}

/// SQLite with every statement counted.
#[derive(Clone)]
struct Counting {
    db: sqlite::Sqlite,
    counts: Rc<RefCell<Counts>>,
}

fn param_bytes(v: &SqlValue) -> u64 {
    match v {
        SqlValue::Null => 0,
        SqlValue::Integer(_) | SqlValue::Real(_) => 8,
        SqlValue::Text(s) => s.len() as u64,
        SqlValue::Blob(b) => b.len() as u64,
    }
}

impl SqlExec for Counting {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        {
            let mut c = self.counts.borrow_mut();
            let head = sql.trim_start().to_ascii_uppercase();
            if head.starts_with("SELECT") || head.starts_with("WITH") {
                c.reads += 1;
            } else {
                c.writes += 1;
                c.write_bytes += params.iter().map(param_bytes).sum::<u64>();
                let kind: String = head
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ");
                *c.by_kind.entry(kind).or_default() += 1;
            }
        }
        self.db.exec(sql, params)
    }

    fn atomically(
        &self,
        body: &mut dyn FnMut() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.db.atomically(body)
    }
}

/// Sockets that count what they are handed.
struct Sink {
    counts: Rc<RefCell<Counts>>,
    texts: std::collections::HashSet<u64>,
    /// Whether to hash frame texts and size attachments as JSON: the
    /// counts need it, but under callgrind it is the sink's work, not the
    /// room's (`ROOM_COST_COUNT_ONLY=1` turns it off; the byte and
    /// "frames encoded" rows then read 0).
    sizes: bool,
}

fn hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Sockets for Sink {
    fn send(&mut self, _: &SessionId, text: &str) -> bool {
        let mut c = self.counts.borrow_mut();
        c.frames_sent += 1;
        c.bytes_sent += text.len() as u64;
        if self.sizes && self.texts.insert(hash(text)) {
            c.frames_encoded += 1;
        }
        true
    }
    fn close(&mut self, _: &SessionId, _: CloseReason) {}
    fn save(&mut self, _: &SessionId, state: &SessionState) {
        let mut c = self.counts.borrow_mut();
        c.saves += 1;
        // The runtime stores the attachment structured-cloned; JSON is close.
        if self.sizes {
            c.save_bytes += serde_json::to_string(state).map_or(0, |s| s.len() as u64);
        }
    }
}

const T0: u64 = 1_700_000_000_000;

type Room = RoomCore<SqlRoomStore<Counting>>;

fn sid(i: usize) -> SessionId {
    SessionId::new(format!("s{i}")).expect("session id")
}

/// A small deterministic generator (the core takes no randomness either).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn settle(room: &mut Room, now: u64, sink: &mut Sink) {
    sink.texts.clear();
    let drained: Drained = room.drain(now, sink);
    for batch in drained.flushes {
        let _ = room.flush_done(now, batch.upto);
        sink.texts.clear();
        room.drain(now, sink);
    }
    // The end of the event, as the shell does it (R28): attachments that
    // changed are saved now, once.
    if room.checkpoint_sessions() > 0 {
        room.drain(now, sink);
    }
}

struct Run {
    counts: Counts,
    edits: u64,
    chunks: u64,
    secs: f64,
}

fn run(seconds: u64, edits_per_sec: u64, chunks_per_sec: u64, participants: usize) -> Run {
    let counts = Rc::new(RefCell::new(Counts::default()));
    let exec = Counting {
        db: sqlite::Sqlite::memory(),
        counts: counts.clone(),
    };
    let store = SqlRoomStore::open(exec).expect("store");
    let config = RoomConfig {
        // Frame rate is not what is measured.
        rate_burst: 1_000_000,
        rate_per_sec: 1_000_000,
        ..RoomConfig::default()
    };
    let mut room = RoomCore::load(store, config, "bench").expect("room");
    room.set_meeting_state(T0, MeetingState::Active)
        .expect("active");
    let mut sink = Sink {
        counts: counts.clone(),
        texts: Default::default(),
        sizes: std::env::var("ROOM_COST_COUNT_ONLY").map_or(true, |v| v != "1"),
    };
    for p in 0..participants {
        let identity = SessionIdentity::new(format!("user{p}"), Some(MeetingRole::Participant));
        room.handle_connect(T0, sid(p), identity).expect("connect");
        let hello = json!({"type": "hello", "protocol": 1, "client_id": format!("c{p}")});
        room.handle_frame(T0, &sid(p), Frame::Text(&hello.to_string()));
    }
    settle(&mut room, T0, &mut sink);
    // Everything before the ops is set-up.
    *counts.borrow_mut() = Counts::default();
    let mut events: Vec<(u64, bool)> = Vec::new();
    for s in 0..seconds {
        for i in 0..edits_per_sec {
            events.push((
                T0 + 1_000 + s * 1_000 + i * 1_000 / edits_per_sec.max(1),
                true,
            ));
        }
        for i in 0..chunks_per_sec {
            let at = T0 + 1_000 + s * 1_000 + i * 1_000 / chunks_per_sec.max(1) + 7;
            events.push((at, false));
        }
    }
    events.sort();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut client_seq = vec![0u64; participants];
    let (mut edits, mut chunks) = (0u64, 0u64);
    let started = Instant::now();
    for (at, edit) in events {
        while let Some(due) = room.poll_timeout().filter(|t| *t < at) {
            room.handle_timeout(due);
            settle(&mut room, due, &mut sink);
        }
        let p = (next(&mut rng) % participants as u64) as usize;
        let frame = if edit {
            client_seq[p] += 1;
            let version = room.notes().version();
            let op = if edits % 2 == 0 {
                Op::builder().insert("ab").build()
            } else {
                Op::delete_at(0, 1)
            };
            edits += 1;
            json!({"type": "notes.op", "client_seq": client_seq[p],
                   "base_version": version, "op": op})
        } else {
            chunks += 1;
            json!({"type": "transcript.append",
                   "chunk": {"text": "the starter tier pricing should stay under twenty dollars a seat",
                             "confidence": 0.9, "start_ms": at - 1_400, "end_ms": at,
                             "final": true, "language": "en"}})
        };
        room.handle_frame(at, &sid(p), Frame::Text(&frame.to_string()));
        settle(&mut room, at, &mut sink);
    }
    let end = T0 + 1_000 + seconds * 1_000 + 10_000;
    while let Some(due) = room.poll_timeout().filter(|t| *t < end) {
        room.handle_timeout(due);
        settle(&mut room, due, &mut sink);
    }
    let secs = started.elapsed().as_secs_f64();
    let counts = counts.borrow().clone();
    Run {
        counts,
        edits,
        chunks,
        secs,
    }
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let seconds = args.first().copied().unwrap_or(120);
    let edits = args.get(1).copied().unwrap_or(2);
    let chunks = args.get(2).copied().unwrap_or(10);
    let participants = args.get(3).copied().unwrap_or(5).max(1) as usize;
    let r = run(seconds, edits, chunks, participants);
    let ops = (r.edits + r.chunks).max(1) as f64;
    let c = &r.counts;
    let per = |n: u64| n as f64 / ops;
    println!(
        "room work per op: {} s, {} edits + {} chunks, {participants} participants",
        seconds, r.edits, r.chunks
    );
    println!("| per op (edit or chunk) | count |");
    println!("|---|---:|");
    println!("| storage statements, reading | {:.2} |", per(c.reads));
    println!("| storage statements, writing | {:.2} |", per(c.writes));
    println!(
        "| bytes in writing statements | {:.0} |",
        per(c.write_bytes)
    );
    println!("| frames encoded | {:.2} |", per(c.frames_encoded));
    println!("| frames sent | {:.2} |", per(c.frames_sent));
    println!("| bytes sent | {:.0} |", per(c.bytes_sent));
    println!("| attachments saved | {:.2} |", per(c.saves));
    println!("| attachment bytes | {:.0} |", per(c.save_bytes));
    println!("| core time (µs, noisy) | {:.1} |", r.secs * 1e6 / ops);
    println!();
    println!("| writing statement | per op |");
    println!("|---|---:|");
    for (kind, n) in &c.by_kind {
        println!("| `{kind}` | {:.2} |", per(*n));
    }
}
