//! What the in-call detectors add to the meeting room's cost per transcript
//! chunk (docs/benchmarks.md, "In-call detectors"). A benchmark, not a
//! test: it measures and prints, and asserts nothing.
//!
//! The same scripted call runs through the pure room core
//! (`connvo_shared::room::RoomCore`, the code the Durable Object runs) twice
//! per round: with the detectors (`RoomConfig::detectors = true`, the
//! default) and without (`false`, `INCALL_DETECTORS=off`). Each chunk is a
//! `transcript.append` frame from one of P participants, handled and
//! drained (delivery to every socket included), with the room's timer fired
//! whenever it is due, as the shell does. Rounds alternate the two modes so
//! drift on a shared machine hits both alike; the report gives the median
//! round of each, the ratio with ÷ without, and the detectors alone
//! (`LiveDetectors::observe` + `poll` on the same chunks) for reference.
//!
//! The store is `MemoryStore`: the Durable Object's SQLite costs more per
//! chunk, in both modes, so the real ratio is closer to 1 than this one.
//!
//! ```sh
//! cargo run --release -p connvo-bench --bin detector_cost -- [chunks] [rounds] [participants]
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use connvo_shared::acl::{MeetingRole, MeetingState};
use connvo_shared::intelligence::live::{LiveConfig, LiveDetectors};
use connvo_shared::intelligence::Utterance;
use connvo_shared::room::{
    CloseReason, Frame, MemoryStore, RoomConfig, RoomCore, SessionId, SessionIdentity,
    SessionState, Sockets,
};
use serde_json::json;

/// Sentences of a few topics, cycled so both detectors have work: topics
/// change every 40 chunks, and a pause every 150 chunks makes a lull.
const TOPICS: [[&str; 4]; 4] = [
    [
        "our pricing model needs a cheaper starter tier for small teams",
        "enterprise customers pay annual pricing with volume discounts",
        "the starter tier pricing should stay under twenty dollars a seat",
        "discounts for nonprofits could follow the same pricing rules",
    ],
    [
        "we are hiring two backend engineers in berlin this quarter",
        "the interview loop for engineers takes three weeks end to end",
        "recruiters in berlin say backend salaries are rising again",
        "a take home exercise might shorten the hiring loop",
    ],
    [
        "the mobile release slipped because the payment screen crashed",
        "crash reports point at the new image cache on older phones",
        "we should ship a hotfix release before the marketing launch",
        "the launch date depends on the store review of the release",
    ],
    [
        "customer churn went up after the onboarding emails stopped",
        "onboarding calls keep churn low for the first three months",
        "a churn dashboard would show which accounts need a call",
        "support tickets mention confusing onboarding steps",
    ],
];

/// Sockets that take every frame and keep nothing.
struct Sink;

impl Sockets for Sink {
    fn send(&mut self, _: &SessionId, _: &str) -> bool {
        true
    }
    fn close(&mut self, _: &SessionId, _: CloseReason) {}
    fn save(&mut self, _: &SessionId, _: &SessionState) {}
}

struct Script {
    /// (participant, frame text, time the frame arrives)
    chunks: Vec<(usize, String, u64)>,
}

const T0: u64 = 1_700_000_000_000;

fn script(n: usize, participants: usize) -> Script {
    let mut at = T0 + 1_000;
    let mut chunks = Vec::with_capacity(n);
    for i in 0..n {
        // About one chunk per 1.5 s of speech; a 20 s pause now and then.
        at += if i % 150 == 149 { 20_000 } else { 1_500 };
        let topic = (i / 40) % TOPICS.len();
        let text = TOPICS[topic][i % 4];
        let frame = json!({"type": "transcript.append",
            "chunk": {"text": text, "confidence": 0.9, "start_ms": at - 1_400,
                      "end_ms": at, "final": true, "language": "en"}});
        chunks.push((i % participants, frame.to_string(), at));
    }
    Script { chunks }
}

fn sid(i: usize) -> SessionId {
    SessionId::new(format!("s{i}")).expect("session id")
}

/// One pass of the script through a fresh room; returns the seconds spent
/// in the room (setup excluded) and how many generation jobs it queued.
fn run_room(script: &Script, participants: usize, detectors: bool) -> (f64, usize) {
    let config = RoomConfig {
        detectors,
        // Frame rate is not what is measured.
        rate_burst: 1_000_000,
        rate_per_sec: 1_000_000,
        ..RoomConfig::default()
    };
    let mut room = RoomCore::load(MemoryStore::new(), config, "bench").expect("room");
    room.set_meeting_state(T0, MeetingState::Active)
        .expect("active");
    for p in 0..participants {
        let identity = SessionIdentity::new(format!("user{p}"), Some(MeetingRole::Participant));
        room.handle_connect(T0, sid(p), identity).expect("connect");
        let hello = json!({"type": "hello", "protocol": 1, "client_id": format!("c{p}")});
        room.handle_frame(T0, &sid(p), Frame::Text(&hello.to_string()));
    }
    room.drain(T0, &mut Sink);
    let mut jobs = 0;
    let started = Instant::now();
    for (p, frame, at) in &script.chunks {
        while let Some(due) = room.poll_timeout().filter(|t| t < at) {
            room.handle_timeout(due);
            let drained = room.drain(due, &mut Sink);
            jobs += drained.jobs.len();
            // Flushes are acknowledged at once, as a healthy D1 would.
            for batch in drained.flushes {
                let _ = room.flush_done(due, batch.upto);
            }
        }
        room.handle_frame(*at, &sid(*p), Frame::Text(frame));
        let drained = room.drain(*at, &mut Sink);
        jobs += drained.jobs.len();
        for batch in drained.flushes {
            let _ = room.flush_done(*at, batch.upto);
        }
    }
    (started.elapsed().as_secs_f64(), jobs)
}

/// What the detectors do per chunk, alone: observe and poll; then also
/// their wake-up (`poll_timeout`); then also their state as JSON every
/// third chunk (the room saves it with each flush, ~every 5 s).
#[derive(Clone, Copy, PartialEq)]
enum Alone {
    ObservePoll,
    WithWakeUp,
    WithSave,
}

/// The detectors alone on the same chunks.
fn run_detectors(script: &Script, what: Alone) -> f64 {
    let mut live = LiveDetectors::new(LiveConfig::default(), T0);
    let texts: Vec<(String, &str, u64)> = script
        .chunks
        .iter()
        .map(|(p, frame, at)| {
            let v: serde_json::Value = serde_json::from_str(frame).expect("frame");
            let text = v["chunk"]["text"].as_str().unwrap_or_default();
            (
                format!("user{p}"),
                TOPICS
                    .iter()
                    .flatten()
                    .find(|t| **t == text)
                    .copied()
                    .unwrap_or(""),
                *at,
            )
        })
        .collect();
    let started = Instant::now();
    for (i, (who, text, at)) in texts.iter().enumerate() {
        live.observe(&Utterance::new(who, text, at - 1_400, *at));
        std::hint::black_box(live.poll(*at, false));
        if what != Alone::ObservePoll {
            std::hint::black_box(live.poll_timeout());
        }
        if what == Alone::WithSave && i % 3 == 0 {
            std::hint::black_box(serde_json::to_string(&live).map(|j| j.len()).ok());
            std::hint::black_box(live.meeting_state(*at));
        }
    }
    std::hint::black_box(live.poll_timeout());
    started.elapsed().as_secs_f64()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let chunks = args.first().copied().unwrap_or(5_000);
    let rounds = args.get(1).copied().unwrap_or(7).max(1);
    let participants = args.get(2).copied().unwrap_or(5).max(1);
    let script = script(chunks, participants);
    // Warm-up.
    run_room(&script, participants, true);
    run_room(&script, participants, false);
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut alone = Vec::new();
    let mut wake = Vec::new();
    let mut save = Vec::new();
    let mut jobs = BTreeMap::new();
    for round in 0..rounds {
        // Alternate which goes first.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for detectors in order {
            let (secs, n) = run_room(&script, participants, detectors);
            jobs.insert(detectors, n);
            if detectors {
                with.push(secs);
            } else {
                without.push(secs);
            }
        }
        alone.push(run_detectors(&script, Alone::ObservePoll));
        wake.push(run_detectors(&script, Alone::WithWakeUp));
        save.push(run_detectors(&script, Alone::WithSave));
    }
    let per_chunk_us = |secs: f64| secs * 1e6 / chunks as f64;
    let w = per_chunk_us(median(with));
    let wo = per_chunk_us(median(without));
    let d = per_chunk_us(median(alone));
    let dw = per_chunk_us(median(wake));
    let ds = per_chunk_us(median(save));
    println!(
        "in-call detectors, {chunks} chunks × {participants} participants, median of {rounds} rounds"
    );
    println!("| room per chunk | µs |");
    println!("|---|---:|");
    println!("| without detectors (`INCALL_DETECTORS=off`) | {wo:.1} |");
    println!("| with detectors (default) | {w:.1} |");
    println!("| added | {:.1} |", w - wo);
    println!("| ratio with ÷ without | {:.3}× |", w / wo);
    println!("| the detectors alone: observe + poll | {d:.1} |");
    println!("| … + their wake-up (`poll_timeout`) | {dw:.1} |");
    println!(
        "| … + their state as JSON and the `meeting_state` columns every 3rd chunk | {ds:.1} |"
    );
    println!(
        "generation jobs queued: {} with detectors, {} without",
        jobs.get(&true).copied().unwrap_or(0),
        jobs.get(&false).copied().unwrap_or(0)
    );
}
