//! One measured phase: M meetings × P participants on a fresh server, the
//! workload offered for warm-up + duration, a drain for messages still in
//! flight, then every client's stats merged into one [`PhaseResult`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connvo_shared::ot::gen::next_u64;
use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::clock::at_us;
use crate::driver::{self, DriverStats};
use crate::participant::{self, Command, Spec};
use crate::procstat::{MachineCpu, ProcResult, Sampler};
use crate::stats::{merge_errors, round3, ClientStats, ErrorCount, Samples, Summary};
use crate::tag::Stream;
use crate::target::{self, Server, TargetKind};

/// The offered load and how long to offer it.
#[derive(Debug, Clone, Serialize)]
pub struct Load {
    pub meetings: u32,
    pub participants: u32,
    /// Transcript chunks per second per meeting (0 for the notes-only workload).
    pub transcript_rate: f64,
    /// Notes edits per second per meeting.
    pub edit_rate: f64,
    #[serde(serialize_with = "secs")]
    pub warmup: Duration,
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// The least time to wait for stragglers after the load stops…
    #[serde(serialize_with = "secs")]
    pub drain: Duration,
    /// …and the most: the drain ends once nothing has arrived for a second,
    /// so "lost" means not delivered within this, not merely slow.
    #[serde(serialize_with = "secs")]
    pub drain_max: Duration,
    pub doc_cap_chars: usize,
    pub seed: u64,
    /// Meetings joined at once while setting up.
    pub join_concurrency: usize,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Load {
    pub fn workload(&self) -> &'static str {
        if self.transcript_rate > 0.0 {
            "transcript + notes"
        } else {
            "notes"
        }
    }

    /// The workload `kind` actually gets from this load (no transcript on ShareDB).
    pub fn workload_for(&self, kind: TargetKind) -> &'static str {
        if kind.has_transcript() {
            self.workload()
        } else {
            "notes"
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamResult {
    /// Messages created in the measurement window.
    pub sent: u64,
    pub sent_per_s: f64,
    /// Receipts at other participants of messages sent in the window.
    pub deliveries: u64,
    pub deliveries_per_s: f64,
    pub delivery: Summary,
    /// Notes: submit → ack. Transcript: send → own echo.
    pub ack: Summary,
    /// Receipts that never happened, over the whole phase (sent × other
    /// participants − received, after the drain, which waits up to
    /// `drain_max` for stragglers).
    pub lost: u64,
    /// Own messages never acknowledged by the end of the drain.
    pub unacked: u64,
    /// Receipts out of a sender's sequence.
    pub out_of_order: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    pub target: TargetKind,
    pub workload: &'static str,
    pub load: Load,
    pub connections: u64,
    /// Time to create and join every meeting.
    pub setup_s: f64,
    pub notes: StreamResult,
    pub transcript: Option<StreamResult>,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, ErrorCount>,
    /// Server stream positions that arrived out of order (held and reordered).
    pub server_reordered: u64,
    pub server: ProcResult,
    pub generator: ProcResult,
    /// Dev tooling beside the server (wrangler's Node, for Connvo).
    pub tooling: Option<ProcResult>,
    /// How late the drivers' ticks fired: the generator's own delay.
    pub generator_lag: Summary,
    /// Ticks dropped because a participant's queue was full.
    pub dropped_ticks: u64,
    /// The whole machine's busy CPU while load was offered, % of one core.
    pub machine_cpu_pct: f64,
    /// Of that, what neither the server, the generator nor the tooling
    /// used: other work on a shared machine, % of one core.
    pub others_cpu_pct: f64,
    /// `/proc/loadavg` (1, 5, 15 min) when the load stopped.
    pub load_average: String,
    /// How long the drain waited for stragglers.
    pub drain_s: f64,
}

impl PhaseResult {
    /// The highest p95 delivery latency over the phase's streams.
    pub fn worst_p95_ms(&self) -> f64 {
        let t = self.transcript.as_ref().map_or(0.0, |t| t.delivery.p95_ms);
        self.notes.delivery.p95_ms.max(t)
    }

    pub fn lost(&self) -> u64 {
        self.notes.lost + self.transcript.as_ref().map_or(0, |t| t.lost)
    }

    /// Why this phase misses the objective (p95 delivery under `slo_ms`, no
    /// errors, nothing lost, the generator keeping up), or `None` if it meets it.
    pub fn failure(&self, slo_ms: f64) -> Option<String> {
        let mut why = Vec::new();
        if self.worst_p95_ms() >= slo_ms {
            why.push(format!("p95 {:.1} ms", self.worst_p95_ms()));
        }
        if self.errors > 0 {
            why.push(format!("{} errors", self.errors));
        }
        if self.lost() > 0 {
            why.push(format!("{} lost", self.lost()));
        }
        if self.dropped_ticks > 0 {
            why.push(format!("generator dropped {} ticks", self.dropped_ticks));
        }
        if self.notes.delivery.count == 0 {
            why.push("nothing delivered".into());
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
}

#[cfg(test)]
impl PhaseResult {
    /// A notes phase of `kind` at the default load with nothing measured,
    /// for the report's tests to fill in.
    pub fn empty(kind: TargetKind) -> PhaseResult {
        let load = crate::cli::parse(Vec::new())
            .expect("defaults parse")
            .expect("not help")
            .load;
        aggregate(
            kind,
            &load,
            0.0,
            0,
            0.0,
            BTreeMap::new(),
            DriverStats::default(),
            ProcResult::default(),
            ProcResult::default(),
        )
    }
}

/// How an error from [`run_fresh`] starts when the server itself could not
/// start (as opposed to a phase that started and then failed).
pub const NOT_STARTED: &str = "server did not start: ";

/// Starts a fresh `kind` server, runs `load` on it, and stops it.
pub async fn run_fresh(kind: TargetKind, load: &Load) -> Result<PhaseResult, String> {
    let server = Server::start(kind)
        .await
        .map_err(|e| format!("{NOT_STARTED}{e}"))?;
    let result = run(&server, load).await;
    if result.is_err() {
        eprintln!("[loadgen] {} log tail:\n{}", kind.name(), server.log_tail());
    }
    drop(server);
    result
}

/// Runs one phase against a started server.
pub async fn run(server: &Server, load: &Load) -> Result<PhaseResult, String> {
    let kind = server.kind();
    let transcript_rate = if kind.has_transcript() {
        load.transcript_rate
    } else {
        0.0
    };
    eprintln!(
        "[loadgen] {}: {} meetings × {} participants, {} — joining…",
        kind.name(),
        load.meetings,
        load.participants,
        load.workload_for(kind)
    );

    let setup_started = Instant::now();
    let mut joined: Vec<(u32, Vec<crate::wire::Joined>)> = Vec::new();
    let mut joins = stream::iter(0..load.meetings)
        .map(|m| async move { (m, server.join_meeting(m, load.participants).await) })
        .buffer_unordered(load.join_concurrency.max(1));
    while let Some((m, result)) = joins.next().await {
        match result {
            Ok(clients) => joined.push((m, clients)),
            Err(e) => return Err(format!("joining meeting {m}: {e}")),
        }
    }
    drop(joins);
    let setup_s = setup_started.elapsed().as_secs_f64();
    let connections = joined.iter().map(|(_, c)| c.len() as u64).sum();

    // Everyone is connected before the first tick. The first tick waits
    // until every participant and driver task has been spawned (~50 µs
    // each), so no meeting starts late.
    let margin = Duration::from_millis(200) + Duration::from_micros(50 * connections);
    let start = Instant::now() + margin;
    let window_start = start + load.warmup;
    let end = window_start + load.duration;
    let window = (at_us(window_start), at_us(end));

    let (what, pids) = server.processes();
    let mut server_sampler = Sampler::start(what, pids);
    let mut generator_sampler = target::generator_sampler();
    let mut tooling_sampler = server
        .tooling()
        .map(|(what, pids)| Sampler::start(what, pids));

    let activity = Arc::new(AtomicU64::new(0));
    let mut rng = load.seed;
    let mut clients = Vec::new();
    let mut drivers = Vec::new();
    for (meeting, joined) in joined {
        let mut senders = Vec::new();
        for (index, joined) in joined.into_iter().enumerate() {
            let (tx, rx) = mpsc::channel(256);
            let spec = Spec {
                meeting,
                index: index as u32,
                window,
                doc_cap_chars: load.doc_cap_chars,
                seed: next_u64(&mut rng),
            };
            senders.push(tx.clone());
            clients.push((
                meeting,
                tx,
                tokio::spawn(participant::run(spec, joined, rx, activity.clone())),
            ));
        }
        drivers.push(tokio::spawn(driver::drive(
            senders,
            load.edit_rate,
            transcript_rate,
            start,
            end,
            next_u64(&mut rng),
        )));
    }
    eprintln!(
        "[loadgen] {}: {connections} connections in {setup_s:.1} s; offering load for {:.0} s (+{:.0} s warm-up)…",
        kind.name(),
        load.duration.as_secs_f64(),
        load.warmup.as_secs_f64()
    );

    tokio::time::sleep_until(start.into()).await;
    server_sampler.load_started();
    generator_sampler.load_started();
    if let Some(t) = tooling_sampler.as_mut() {
        t.load_started();
    }
    let machine_start = MachineCpu::now();
    let mut driven = DriverStats::default();
    for d in drivers {
        if let Ok(stats) = d.await {
            driven.lag.extend(stats.lag);
            driven.dropped += stats.dropped;
        }
    }
    let loaded_for = Instant::now().saturating_duration_since(start);
    server_sampler.load_ended(loaded_for);
    generator_sampler.load_ended(loaded_for);
    if let Some(t) = tooling_sampler.as_mut() {
        t.load_ended(loaded_for);
    }
    let machine_cpu_pct = match (machine_start, MachineCpu::now()) {
        (Some(a), Some(b)) => b.busy_pct_since(&a, available_cores()),
        _ => 0.0,
    };
    let load_average = crate::envinfo::load_average();

    let drain_s = drain(&activity, load.drain, load.drain_max).await;
    for (_, tx, _) in &clients {
        let _ = tx.send(Command::Stop).await;
    }
    let mut per_meeting: BTreeMap<u32, Vec<ClientStats>> = BTreeMap::new();
    for (meeting, _, handle) in clients {
        let stats = handle.await.unwrap_or_else(|e| {
            let mut s = ClientStats::default();
            s.error("participant_panicked", || e.to_string());
            s
        });
        per_meeting.entry(meeting).or_default().push(stats);
    }
    let server_proc = server_sampler.finish().await;
    let generator_proc = generator_sampler.finish().await;
    let tooling = match tooling_sampler {
        Some(t) => Some(t.finish().await),
        None => None,
    };

    let mut result = aggregate(
        kind,
        load,
        transcript_rate,
        connections,
        setup_s,
        per_meeting,
        driven,
        server_proc,
        generator_proc,
    );
    let tooling_cpu = tooling.as_ref().map_or(0.0, |t| t.cpu_pct);
    result.machine_cpu_pct = machine_cpu_pct;
    result.others_cpu_pct = round3(
        (machine_cpu_pct - result.server.cpu_pct - result.generator.cpu_pct - tooling_cpu).max(0.0),
    );
    result.tooling = tooling;
    result.load_average = load_average;
    result.drain_s = round3(drain_s);
    Ok(result)
}

/// Waits at least `min`, then until no frame has arrived for a second, at
/// most `max` in all; returns how long it waited.
async fn drain(activity: &AtomicU64, min: Duration, max: Duration) -> f64 {
    let started = Instant::now();
    tokio::time::sleep(min).await;
    let mut last = activity.load(Ordering::Relaxed);
    while started.elapsed() < max {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = activity.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    started.elapsed().as_secs_f64()
}

fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[allow(clippy::too_many_arguments)]
fn aggregate(
    kind: TargetKind,
    load: &Load,
    transcript_rate: f64,
    connections: u64,
    setup_s: f64,
    per_meeting: BTreeMap<u32, Vec<ClientStats>>,
    driven: DriverStats,
    server: ProcResult,
    generator: ProcResult,
) -> PhaseResult {
    let seconds = load.duration.as_secs_f64().max(1e-9);
    let mut streams: [StreamResult; 2] = Default::default();
    let mut delivery: [Samples; 2] = Default::default();
    let mut ack: [Samples; 2] = Default::default();
    let mut errors = BTreeMap::new();
    let mut server_reordered = 0;

    for clients in per_meeting.into_values() {
        // Loss: every other participant should have received every message
        // each sender created (all of the phase, warm-up included).
        for (receiver, r) in clients.iter().enumerate() {
            for (sender, s) in clients.iter().enumerate() {
                if sender == receiver {
                    continue;
                }
                for stream in Stream::ALL {
                    let i = stream.index();
                    let got = r.received[i].get(&(sender as u32)).map_or(0, |x| x.count);
                    streams[i].lost += s.sent[i].saturating_sub(got);
                }
            }
        }
        for c in clients {
            for stream in Stream::ALL {
                let i = stream.index();
                streams[i].sent += c.sent_in_window[i];
                streams[i].unacked += c.sent[i].saturating_sub(c.acked[i]);
                streams[i].out_of_order +=
                    c.received[i].values().map(|r| r.out_of_order).sum::<u64>();
            }
            server_reordered += c.server_reordered;
            let [d0, d1] = c.delivery;
            delivery[0].extend(d0);
            delivery[1].extend(d1);
            let [a0, a1] = c.ack;
            ack[0].extend(a0);
            ack[1].extend(a1);
            merge_errors(&mut errors, c.errors);
        }
    }
    let [d0, d1] = delivery;
    let [a0, a1] = ack;
    for (i, (d, a)) in [(d0, a0), (d1, a1)].into_iter().enumerate() {
        streams[i].deliveries = d.len() as u64;
        streams[i].deliveries_per_s = round3(d.len() as f64 / seconds);
        streams[i].sent_per_s = round3(streams[i].sent as f64 / seconds);
        streams[i].delivery = d.summary();
        streams[i].ack = a.summary();
    }
    let [notes, transcript] = streams;
    PhaseResult {
        target: kind,
        workload: if transcript_rate > 0.0 {
            "transcript + notes"
        } else {
            "notes"
        },
        load: Load {
            transcript_rate,
            ..load.clone()
        },
        connections,
        setup_s: round3(setup_s),
        notes,
        transcript: (transcript_rate > 0.0).then_some(transcript),
        errors: errors.values().map(|e| e.count).sum(),
        error_kinds: errors,
        server_reordered,
        server,
        generator,
        tooling: None,
        generator_lag: driven.lag.summary(),
        dropped_ticks: driven.dropped,
        machine_cpu_pct: 0.0,
        others_cpu_pct: 0.0,
        load_average: String::new(),
        drain_s: 0.0,
    }
}
