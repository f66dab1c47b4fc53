//! The chaos run (issue 11, "Crash durability, proven repeatedly"): a
//! meeting whose clients edit notes, send transcript chunks and chat while
//! the runtime is killed with SIGKILL at seeded random moments (some right
//! after a burst of writes, before their acks; some during the clients'
//! catch-up after a restart), restarted on the same state folder each
//! time. The clients reconnect and resume as real ones would; at the end,
//! every acknowledged op, chunk and message must be stored exactly once,
//! in order, and every client's document must equal the room's
//! ([`verify`]).
//!
//! `scripts/chaos` runs it from the command line (the `chaos` binary);
//! `tests/tests/chaos.rs` runs a short version inside `scripts/test`.
//! Every network call goes to the loopback backend; every wait is bounded.

mod client;
pub mod verify;

use std::fmt;
use std::time::{Duration, Instant};

use connvo_shared::ot::gen;
use serde_json::{json, Value};

use crate::fakes::stream::FakeStream;
use crate::room::User;
use crate::{Backend, BackendOptions};
use client::Client;
use verify::{ServerDoc, Verdict};

/// What to run.
#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// How many times the runtime is killed.
    pub kills: u32,
    pub seed: u64,
    /// Participants editing (the host is one of them). 2–8.
    pub clients: usize,
    /// Traffic between two kills: a random duration in this range (ms).
    pub min_run_ms: u64,
    pub max_run_ms: u64,
    /// A line per kill on stderr.
    pub verbose: bool,
}

impl Default for ChaosOptions {
    fn default() -> Self {
        ChaosOptions {
            kills: 20,
            seed: 1,
            clients: 4,
            min_run_ms: 300,
            max_run_ms: 2_000,
            verbose: true,
        }
    }
}

/// When, relative to the traffic, a kill lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillAt {
    /// At a random moment of steady traffic.
    Anytime,
    /// Right after every live client sent a notes op, a chunk and a chat
    /// message, before (most of) their acks.
    AfterWrites,
    /// Right after the clients reconnected, while they catch up and resend.
    DuringCatchUp,
}

/// What the run found.
#[derive(Debug, Clone, Default)]
pub struct ChaosReport {
    pub seed: u64,
    pub kills_planned: u32,
    pub kills_survived: u32,
    /// Kills that found at least one write sent and not yet acknowledged,
    /// and how many such writes there were in all.
    pub kills_with_writes_in_flight: u32,
    pub writes_in_flight_at_kills: u64,
    pub verdict: Verdict,
    /// Clients that never got every write acknowledged in the final settle.
    pub unsettled_clients: usize,
    /// Anomalies the clients saw on the wire.
    pub delivered_twice: u64,
    pub delivery_gaps: u64,
    pub server_behind: u64,
    pub noop_acks: u64,
    pub reconnects: u64,
    pub notes_rejects: u64,
    pub errors: std::collections::BTreeMap<String, u64>,
    pub violations: Vec<String>,
    pub restart_secs: Vec<f64>,
    pub elapsed_secs: f64,
}

impl ChaosReport {
    /// Nothing lost, duplicated, reordered or diverged, and every kill survived.
    pub fn is_clean(&self) -> bool {
        let v = &self.verdict;
        self.kills_survived == self.kills_planned
            && v.lost == 0
            && v.duplicated == 0
            && v.out_of_order == 0
            && v.divergences == 0
            && v.stored_unacknowledged == 0
            && self.unsettled_clients == 0
            && self.delivered_twice == 0
            && self.delivery_gaps == 0
            && self.server_behind == 0
            && self.violations.is_empty()
            && v.items() > 0
    }

    /// The one-line summary.
    pub fn summary(&self) -> String {
        let v = &self.verdict;
        format!(
            "chaos: kills survived {}/{}, items checked {} (notes ops {}, transcript chunks {}, chat messages {}; {} acknowledged before a later kill), lost {}, duplicated {}, out of order {}, divergences {}; kills with writes in flight {} ({} writes); seed {}, {:.0} s",
            self.kills_survived,
            self.kills_planned,
            v.items(),
            v.notes_ops,
            v.chunks,
            v.messages,
            v.acked_before_a_kill,
            v.lost,
            v.duplicated,
            v.out_of_order,
            v.divergences,
            self.kills_with_writes_in_flight,
            self.writes_in_flight_at_kills,
            self.seed,
            self.elapsed_secs,
        )
    }
}

impl fmt::Display for ChaosReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary())?;
        let restarts = &self.restart_secs;
        if !restarts.is_empty() {
            let mean = restarts.iter().sum::<f64>() / restarts.len() as f64;
            let max = restarts.iter().cloned().fold(0.0, f64::max);
            writeln!(f, "  restarts: mean {mean:.1} s, max {max:.1} s")?;
        }
        writeln!(
            f,
            "  wire: reconnects {}, delivered twice {}, delivery gaps {}, room behind a client {}, notes rejects {}, no-op acks {}, stored but unacknowledged {}, unsettled clients {}",
            self.reconnects,
            self.delivered_twice,
            self.delivery_gaps,
            self.server_behind,
            self.notes_rejects,
            self.noop_acks,
            self.verdict.stored_unacknowledged,
            self.unsettled_clients
        )?;
        if !self.errors.is_empty() {
            writeln!(f, "  errors and closes seen: {:?}", self.errors)?;
        }
        for line in self.verdict.findings.iter().chain(&self.violations) {
            writeln!(f, "  finding: {line}")?;
        }
        write!(
            f,
            "  verdict: {}",
            if self.is_clean() {
                "CLEAN"
            } else {
                "NOT CLEAN"
            }
        )
    }
}

/// The backend's settings: the API's per-user and per-IP limits lifted
/// (every client reconnects with a new ticket after each kill, all from one
/// address), Stream calls answered by the fake so provisioning settles.
fn backend_options(stream: &FakeStream) -> BackendOptions {
    let lifted = r#"{"limit": 1000000, "window_secs": 60}"#;
    let class = format!(r#"{{"per_user": {lifted}, "per_ip": {lifted}}}"#);
    let limits = format!(
        r#"{{"default": {class}, "meeting_create": {class}, "ws_ticket": {class}, "transcript_ingest": {class}}}"#
    );
    BackendOptions::default()
        .var("RATE_LIMITS", limits)
        .merge(stream.backend_options())
}

/// A user with a development token good for an hour (the long run's length).
async fn user(b: &Backend, id: &str) -> User {
    let token = crate::api::dev_token(
        b,
        &json!({"user_id": id, "org_id": "org_chaos", "role": "member", "ttl_secs": 3600}),
    )
    .await;
    let me = crate::api::get(b, "/v1/me", &token).await;
    assert_eq!(me.status, 200, "GET /v1/me: {}", me.text);
    User {
        id: id.to_owned(),
        token,
    }
}

fn say(opts: &ChaosOptions, line: impl AsRef<str>) {
    if opts.verbose {
        eprintln!("[chaos] {}", line.as_ref());
    }
}

/// Runs the whole thing and reports; panics only when the harness itself
/// cannot go on (the backend does not start again).
pub async fn run(opts: ChaosOptions) -> ChaosReport {
    let began = Instant::now();
    // Two streams: the kill plan (modes, traffic durations) depends on the
    // seed alone; the traffic's own draws depend on timing too.
    let mut plan = opts.seed;
    let mut rng = opts.seed ^ 0x00C4_A055;
    let mut report = ChaosReport {
        seed: opts.seed,
        kills_planned: opts.kills,
        ..ChaosReport::default()
    };
    let stream = FakeStream::start().await;
    let mut b = Backend::start_with(backend_options(&stream)).await;
    let n = opts.clients.clamp(2, 8);
    let mut users = Vec::new();
    for i in 0..n {
        users.push(user(&b, &format!("user_chaos_{i}")).await);
    }
    let others: Vec<(&User, &str)> = users[1..]
        .iter()
        .enumerate()
        .map(|(i, u)| (u, if i == 0 { "cohost" } else { "participant" }))
        .collect();
    let meeting = crate::room::meeting(&b, &users[0], &others, true).await;
    let mut clients: Vec<Client> = users
        .iter()
        .enumerate()
        .map(|(i, u)| Client::new(i, u.clone()))
        .collect();
    say(
        &opts,
        format!(
            "meeting {meeting}, {n} clients, {} kills, seed {}",
            opts.kills, opts.seed
        ),
    );
    for c in clients.iter_mut() {
        c.connect(&b, &meeting).await;
    }

    let mut kill_at = KillAt::Anytime;
    for kill in 0..opts.kills {
        // Traffic, for a random while (short when the kill should land
        // during the catch-up that follows a restart).
        let run_ms = match kill_at {
            KillAt::DuringCatchUp => gen::below(&mut plan, 60),
            _ => opts.min_run_ms + gen::below(&mut plan, opts.max_run_ms - opts.min_run_ms + 1),
        };
        traffic(&b, &meeting, &mut clients, &mut rng, run_ms, kill).await;
        if kill_at == KillAt::AfterWrites {
            for c in clients.iter_mut().filter(|c| c.is_live()) {
                c.edit(&mut rng);
                c.write_chunk();
                c.write_chat();
                c.flush_sends().await;
            }
            let pause = gen::below(&mut plan, 8);
            if pause > 0 {
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
        let in_flight: usize = clients.iter().map(Client::in_flight).sum();
        if in_flight > 0 {
            report.kills_with_writes_in_flight += 1;
            report.writes_in_flight_at_kills += in_flight as u64;
        }

        b.kill_hard();
        for c in clients.iter_mut() {
            c.drop_link();
            // Some work goes on offline: it is sent after the catch-up.
            c.act(&mut rng, 50, 30, 20);
        }
        let restart = Instant::now();
        b.start_again().await;
        let restart_secs = restart.elapsed().as_secs_f64();
        report.restart_secs.push(restart_secs);
        report.kills_survived += 1;
        say(
            &opts,
            format!(
                "kill {}/{} ({kill_at:?}, {in_flight} writes in flight), back in {restart_secs:.1} s",
                kill + 1,
                opts.kills
            ),
        );
        for c in clients.iter_mut() {
            c.connect(&b, &meeting).await;
        }
        kill_at = match gen::below(&mut plan, 10) {
            0..=3 => KillAt::Anytime,
            4..=7 => KillAt::AfterWrites,
            _ => KillAt::DuringCatchUp,
        };
    }

    // Settle: no new writes; everyone reconnected, caught up, acknowledged.
    let settle_began = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        for c in clients.iter_mut() {
            c.ensure_connected(&b, &meeting, Duration::from_millis(500))
                .await;
            c.pump(Duration::from_millis(5), opts.kills).await;
            c.flush_sends().await;
        }
        let same_version = clients
            .windows(2)
            .all(|w| w[0].notes.version() == w[1].notes.version());
        if same_version && clients.iter().all(Client::settled) {
            // One more quiet round, so the last broadcasts land everywhere.
            for c in clients.iter_mut() {
                c.pump(Duration::from_millis(300), opts.kills).await;
            }
            let same_version = clients
                .windows(2)
                .all(|w| w[0].notes.version() == w[1].notes.version());
            if same_version && clients.iter().all(Client::settled) {
                break;
            }
        }
    }
    say(
        &opts,
        format!(
            "settled in {:.1} s at notes versions {:?}",
            settle_began.elapsed().as_secs_f64(),
            clients
                .iter()
                .map(|c| c.notes.version())
                .collect::<Vec<_>>()
        ),
    );
    report.unsettled_clients = clients.iter().filter(|c| !c.settled()).count();

    let server = room_document(&b, &users[0], &meeting).await;
    let acked = |items: fn(&Client) -> usize| clients.iter().map(items).sum::<usize>() as u64;
    end_meeting(
        &b,
        &users[0],
        &meeting,
        server.version,
        acked(|c| c.chunks.iter().filter(|i| i.acked.is_some()).count()),
        acked(|c| c.chats.iter().filter(|i| i.acked.is_some()).count()),
    )
    .await;
    report.verdict = verify::check(b.state_dir(), &meeting, &clients, &server, opts.kills);
    for c in &clients {
        let s = &c.stats;
        report.delivered_twice += s.delivered_twice;
        report.delivery_gaps += s.delivery_gaps;
        report.server_behind += s.server_behind;
        report.noop_acks += s.noop_acks;
        report.reconnects += s.reconnects;
        report.notes_rejects += s.notes_rejects;
        for (k, v) in &s.errors {
            *report.errors.entry(k.clone()).or_default() += v;
        }
        report.violations.extend(s.violations.iter().cloned());
    }
    report.elapsed_secs = began.elapsed().as_secs_f64();
    report
}

/// Every client acts and reads for `run_ms`, reconnecting when it lost
/// its socket.
async fn traffic(
    b: &Backend,
    meeting: &str,
    clients: &mut [Client],
    rng: &mut u64,
    run_ms: u64,
    kills: u32,
) {
    let end = Instant::now() + Duration::from_millis(run_ms);
    loop {
        for c in clients.iter_mut() {
            c.ensure_connected(b, meeting, Duration::from_millis(300))
                .await;
            c.pump(Duration::from_millis(4), kills).await;
            if c.is_live() {
                c.act(rng, 20, 8, 3);
            }
            c.flush_sends().await;
        }
        if Instant::now() >= end {
            return;
        }
    }
}

/// The room's document, as a fresh connection gets it (a hello without a
/// notes version is always answered with the snapshot).
async fn room_document(b: &Backend, host: &User, meeting: &str) -> ServerDoc {
    let mut s = crate::room::connect(b, host, meeting).await;
    s.send(
        json!({"type": "hello", "protocol": 1, "client_id": "chaos-checker",
        "subscribe": ["notes"]}),
    )
    .await;
    let snapshot = s.until(|f| f["type"] == "notes.snapshot").await;
    ServerDoc {
        content: snapshot["content"].as_str().unwrap_or_default().to_owned(),
        version: snapshot["version"].as_u64().unwrap_or(0),
    }
}

/// Ends the meeting (the room flushes everything to D1 before answering),
/// then waits (bounded) until D1 has the document at `version` and at least
/// `chunks` transcript chunks and `messages` chat messages.
async fn end_meeting(
    b: &Backend,
    host: &User,
    meeting: &str,
    version: u64,
    chunks: u64,
    messages: u64,
) {
    let (status, body) = crate::room::call(
        b,
        host,
        "POST",
        &format!("/v1/meetings/{meeting}/end"),
        None,
    )
    .await;
    assert!(
        status == 200 || status == 202,
        "end meeting: {status} {body}"
    );
    let count = |sql: &str| {
        crate::d1::query(b.state_dir(), sql, &[&meeting])
            .first()
            .and_then(|r| r["n"].as_u64())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let flushed = count("SELECT max(version) AS n FROM meeting_notes WHERE meeting_id = ?1")
            >= version
            && count("SELECT count(*) AS n FROM transcripts WHERE meeting_id = ?1") >= chunks
            && count("SELECT count(*) AS n FROM messages WHERE meeting_id = ?1") >= messages;
        if flushed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Parses `--kills N --seed S --clients C --min-run-ms A --max-run-ms B --quiet`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<ChaosOptions, String> {
    let mut opts = ChaosOptions::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--kills" => {
                opts.kills = u32::try_from(value("--kills")?).map_err(|e| e.to_string())?
            }
            "--seed" => opts.seed = value("--seed")?,
            "--clients" => opts.clients = value("--clients")? as usize,
            "--min-run-ms" => opts.min_run_ms = value("--min-run-ms")?,
            "--max-run-ms" => opts.max_run_ms = value("--max-run-ms")?,
            "--quiet" => opts.verbose = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if opts.max_run_ms < opts.min_run_ms {
        return Err("--max-run-ms must be at least --min-run-ms".into());
    }
    Ok(opts)
}

/// `Value` re-exported for the binary's JSON output.
pub fn report_json(r: &ChaosReport) -> Value {
    let v = &r.verdict;
    json!({
        "seed": r.seed, "kills_planned": r.kills_planned, "kills_survived": r.kills_survived,
        "items_checked": v.items(), "notes_ops": v.notes_ops, "transcript_chunks": v.chunks,
        "chat_messages": v.messages, "acked_before_a_kill": v.acked_before_a_kill,
        "lost": v.lost, "duplicated": v.duplicated, "out_of_order": v.out_of_order,
        "divergences": v.divergences, "stored_unacknowledged": v.stored_unacknowledged,
        "kills_with_writes_in_flight": r.kills_with_writes_in_flight,
        "writes_in_flight_at_kills": r.writes_in_flight_at_kills,
        "unsettled_clients": r.unsettled_clients, "delivered_twice": r.delivered_twice,
        "delivery_gaps": r.delivery_gaps, "room_behind_a_client": r.server_behind,
        "errors": r.errors, "findings": v.findings, "violations": r.violations,
        "elapsed_secs": r.elapsed_secs, "clean": r.is_clean(),
    })
}
