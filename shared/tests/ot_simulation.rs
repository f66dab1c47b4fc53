//! Deterministic convergence simulation of the notes protocol (see the
//! `ot` module docs): a server [`NotesDoc`] and 2 to 8 [`NotesClient`]s
//! make random edits while connections drop and come back, server messages
//! arrive in random partial flushes, client messages are delayed, lost with
//! their connection, or retried out of band, and the log is compacted under
//! the clients' feet. Afterwards everything is delivered and every client
//! must hold exactly the server's text.
//!
//! Each seed is a complete, reproducible run. `OT_SIM_SEEDS=200000` runs
//! more seeds (`OT_SIM_SEED_START` picks the first one); a failure prints the
//! seed and the tail of a trace, and a seed that ever failed stays below as
//! a `regression_seed_*` test.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};

use connvo_shared::ot::gen::{below, chance, random_doc, random_op};
use connvo_shared::ot::{
    apply, CommittedOp, NotesClient, NotesDoc, NotesLimits, OpSubmission, OtError, SubmitOutcome,
};

/// Client to server, on one connection.
#[derive(Debug, Clone)]
enum ToServer {
    /// Sent first on every connection: "catch me up from this version".
    Hello {
        version: u64,
    },
    Submit(OpSubmission),
}

/// Server to client, on the current connection.
#[derive(Debug, Clone)]
enum ToClient {
    Op(CommittedOp),
    Ack {
        client_seq: u64,
        version: u64,
    },
    /// The answer to a hello from a version the log no longer covers.
    Snapshot {
        content: String,
        version: u64,
    },
    /// A refused submission, with the state to roll back to.
    Rejected {
        client_seq: u64,
        content: String,
        version: u64,
    },
}

struct Peer {
    client: NotesClient,
    author: String,
    /// The current connection's number; messages tagged with an older one
    /// belong to a dead connection, and replies to them go nowhere.
    epoch: u64,
    /// The connection whose hello the server has handled. Only such a
    /// connection gets broadcasts: before its catch-up is sent, a live op
    /// would arrive ahead of the ops it follows (the bug seed 0 found).
    subscribed: Option<u64>,
    inbox: VecDeque<ToClient>,
    outbox: VecDeque<(u64, ToServer)>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    commits: u64,
    rebased: u64,
    duplicates: u64,
    /// Submissions transformed to nothing, acked at the current version (R22).
    noops: u64,
    duplicate_acks_sent: u64,
    own_op_seen_as_ack: u64,
    refused_too_large: u64,
    snapshots: u64,
    rollbacks: u64,
    strays_delivered: u64,
    reconnects: u64,
    rejoins: u64,
    restarts: u64,
    compactions: u64,
    multi_component_edits: u64,
    non_bmp_inserted: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.commits += o.commits;
        self.rebased += o.rebased;
        self.duplicates += o.duplicates;
        self.noops += o.noops;
        self.duplicate_acks_sent += o.duplicate_acks_sent;
        self.own_op_seen_as_ack += o.own_op_seen_as_ack;
        self.refused_too_large += o.refused_too_large;
        self.snapshots += o.snapshots;
        self.rollbacks += o.rollbacks;
        self.strays_delivered += o.strays_delivered;
        self.reconnects += o.reconnects;
        self.rejoins += o.rejoins;
        self.restarts += o.restarts;
        self.compactions += o.compactions;
        self.multi_component_edits += o.multi_component_edits;
        self.non_bmp_inserted += o.non_bmp_inserted;
    }
}

struct Sim {
    seed: u64,
    rng: u64,
    now: u64,
    server: NotesDoc,
    initial: String,
    initial_version: u64,
    peers: Vec<Peer>,
    /// Submissions travelling outside any connection (a retried request, a
    /// duplicate from a proxy): delivered at a random later time.
    strays: Vec<(usize, u64, OpSubmission)>,
    next_client: u64,
    stats: Stats,
    trace: Option<Vec<String>>,
}

type Outcome<T> = Result<T, String>;

impl Sim {
    fn new(seed: u64, trace: bool) -> Self {
        let mut rng = seed;
        let limits = if chance(&mut rng, 30) {
            // Small documents, so the size cap is hit and refused ops roll back.
            NotesLimits {
                max_doc_chars: 10 + below(&mut rng, 60) as usize,
                ..NotesLimits::default()
            }
        } else {
            NotesLimits::default()
        };
        let initial = random_doc(&mut rng, 12);
        let version = below(&mut rng, 3);
        let server = NotesDoc::from_snapshot(initial.clone(), version, limits);
        let mut sim = Sim {
            seed,
            rng,
            now: 1_000,
            server,
            initial,
            initial_version: version,
            peers: Vec::new(),
            strays: Vec::new(),
            next_client: 0,
            stats: Stats::default(),
            trace: trace.then(Vec::new),
        };
        let count = 2 + below(&mut sim.rng, 7) as usize;
        for i in 0..count {
            let client = sim.fresh_client();
            sim.peers.push(Peer {
                client,
                // Some users have two tabs open: same author, two clients.
                author: format!("user{}", i % 3),
                epoch: 0,
                subscribed: None,
                inbox: VecDeque::new(),
                outbox: VecDeque::new(),
            });
            if chance(&mut sim.rng, 70) {
                sim.reconnect(i);
            }
        }
        sim
    }

    fn fresh_client(&mut self) -> NotesClient {
        self.next_client += 1;
        let id = format!("s{}c{}", self.seed, self.next_client);
        NotesClient::new(id, self.server.content().to_owned(), self.server.version())
    }

    fn pick(&mut self, n: usize) -> usize {
        below(&mut self.rng, n as u64) as usize
    }

    /// Moves whatever the client wants to send into its outbox.
    fn pump(&mut self, i: usize) {
        let Some(peer) = self.peers.get_mut(i) else {
            return;
        };
        while let Some(submission) = peer.client.poll_submit() {
            note(&mut self.trace, || {
                format!(
                    "  c{i} sends seq {} base {} {}",
                    submission.client_seq, submission.base_version, submission.op
                )
            });
            peer.outbox
                .push_back((peer.epoch, ToServer::Submit(submission)));
        }
    }

    fn reconnect(&mut self, i: usize) {
        let peer = &mut self.peers[i];
        peer.epoch += 1;
        let version = peer.client.connect();
        let epoch = peer.epoch;
        peer.outbox.push_back((epoch, ToServer::Hello { version }));
        self.stats.reconnects += 1;
        note(&mut self.trace, || {
            format!("c{i} connects (epoch {epoch}) at v{version}")
        });
        self.pump(i);
    }

    fn disconnect(&mut self, i: usize) {
        let peer = &mut self.peers[i];
        peer.client.disconnect();
        // Whatever the server had not sent is lost with the socket.
        peer.inbox.clear();
        // A random prefix of what the client sent already reached the server
        // and will still be handled; the rest is lost, except that a lost
        // submission sometimes turns up later anyway (a retry elsewhere).
        let keep = below(&mut self.rng, peer.outbox.len() as u64 + 1) as usize;
        let lost: Vec<_> = peer.outbox.drain(keep..).collect();
        for (epoch, message) in lost {
            if let ToServer::Submit(s) = message {
                if chance(&mut self.rng, 30) {
                    self.strays.push((i, epoch, s));
                }
            }
        }
        note(&mut self.trace, || {
            format!("c{i} disconnects, {keep} queued messages survive")
        });
    }

    fn is_current(&self, i: usize, epoch: u64) -> bool {
        let peer = &self.peers[i];
        peer.client.is_online() && peer.epoch == epoch
    }

    fn reply(&mut self, i: usize, epoch: u64, message: ToClient) {
        if self.is_current(i, epoch) {
            self.peers[i].inbox.push_back(message);
        }
    }

    fn snapshot(&mut self, i: usize, epoch: u64) {
        let content = self.server.content().to_owned();
        let version = self.server.version();
        self.reply(i, epoch, ToClient::Snapshot { content, version });
    }

    fn reject(&mut self, i: usize, epoch: u64, client_seq: u64) {
        let content = self.server.content().to_owned();
        let version = self.server.version();
        self.reply(
            i,
            epoch,
            ToClient::Rejected {
                client_seq,
                content,
                version,
            },
        );
    }

    fn server_handle(&mut self, i: usize, epoch: u64, message: ToServer) -> Outcome<()> {
        self.now += 1 + below(&mut self.rng, 50);
        match message {
            ToServer::Hello { version } => match self.server.ops_since(version) {
                Ok(ops) => {
                    let ops = ops.to_vec();
                    self.peers[i].subscribed = Some(epoch);
                    note(&mut self.trace, || {
                        format!("  server: c{i}/{epoch} hello v{version}, {} ops", ops.len())
                    });
                    for op in ops {
                        self.reply(i, epoch, ToClient::Op(op));
                    }
                }
                Err(err) if err.needs_snapshot() => {
                    self.peers[i].subscribed = Some(epoch);
                    note(&mut self.trace, || {
                        format!("  server: c{i}/{epoch} hello v{version}: {err}")
                    });
                    self.snapshot(i, epoch);
                }
                Err(err) => return Err(format!("hello from c{i} at v{version}: {err}")),
            },
            ToServer::Submit(s) => {
                let author = self.peers[i].author.clone();
                let result = self.server.submit(
                    self.now,
                    &author,
                    &s.client_id,
                    s.client_seq,
                    s.base_version,
                    s.op.clone(),
                );
                note(&mut self.trace, || {
                    format!(
                        "  server: c{i}/{epoch} seq {} base {} {} -> {result:?}",
                        s.client_seq, s.base_version, s.op
                    )
                });
                match result {
                    Ok(SubmitOutcome::Committed(committed)) => {
                        self.stats.commits += 1;
                        if committed.transformed_over > 0 {
                            self.stats.rebased += 1;
                        }
                        let sender_current = self.is_current(i, epoch);
                        let ack = ToClient::Ack {
                            client_seq: committed.client_seq,
                            version: committed.version,
                        };
                        if sender_current && chance(&mut self.rng, 10) {
                            self.stats.duplicate_acks_sent += 1;
                            self.reply(i, epoch, ack.clone());
                        }
                        self.reply(i, epoch, ack);
                        for j in 0..self.peers.len() {
                            let peer = &self.peers[j];
                            let listening =
                                peer.client.is_online() && peer.subscribed == Some(peer.epoch);
                            if (j != i || !sender_current) && listening {
                                self.peers[j]
                                    .inbox
                                    .push_back(ToClient::Op(committed.clone()));
                            }
                        }
                    }
                    Ok(SubmitOutcome::Duplicate {
                        client_seq,
                        version,
                    }) => {
                        self.stats.duplicates += 1;
                        if let Some(version) = version {
                            self.reply(
                                i,
                                epoch,
                                ToClient::Ack {
                                    client_seq,
                                    version,
                                },
                            );
                        }
                    }
                    Ok(SubmitOutcome::Noop {
                        client_seq,
                        version,
                    }) => {
                        self.stats.noops += 1;
                        self.reply(
                            i,
                            epoch,
                            ToClient::Ack {
                                client_seq,
                                version,
                            },
                        );
                    }
                    Err(OtError::DocTooLarge { .. } | OtError::OpTooLong { .. }) => {
                        // The client already shows the refused edit: it
                        // rolls back to the snapshot sent with the refusal.
                        self.stats.refused_too_large += 1;
                        self.reject(i, epoch, s.client_seq);
                    }
                    Err(OtError::VersionTooOld { .. }) => self.reject(i, epoch, s.client_seq),
                    Err(err) => {
                        return Err(format!(
                            "submit from c{i} ({s:?}) refused: {err} [{}]",
                            err.code()
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    fn client_handle(&mut self, i: usize, message: ToClient) -> Outcome<()> {
        let peer = &mut self.peers[i];
        match message {
            ToClient::Op(committed) => {
                let was_inflight = peer.client.inflight().map(|(seq, _)| seq);
                let applied = peer
                    .client
                    .handle_op(&committed)
                    .map_err(|e| format!("c{i} handling op v{}: {e}", committed.version))?;
                if applied.is_none()
                    && committed.client_id == peer.client.client_id()
                    && was_inflight == Some(committed.client_seq)
                {
                    self.stats.own_op_seen_as_ack += 1;
                }
                note(&mut self.trace, || {
                    format!(
                        "  c{i} gets op v{} -> {:?}",
                        committed.version,
                        applied.map(|o| o.to_string())
                    )
                });
            }
            ToClient::Ack {
                client_seq,
                version,
            } => {
                peer.client
                    .handle_ack(client_seq, version)
                    .map_err(|e| format!("c{i} handling ack seq {client_seq} v{version}: {e}"))?;
                note(&mut self.trace, || {
                    format!("  c{i} gets ack seq {client_seq} v{version}")
                });
            }
            ToClient::Snapshot { content, version } => {
                self.stats.snapshots += 1;
                let dropped = peer.client.reset(content, version);
                note(&mut self.trace, || {
                    format!(
                        "  c{i} resets to v{version}, dropping {:?}",
                        dropped.map(|o| o.to_string())
                    )
                });
            }
            ToClient::Rejected {
                client_seq,
                content,
                version,
            } => {
                let dropped = peer.client.handle_reject(client_seq, content, version);
                if dropped.is_some() {
                    self.stats.rollbacks += 1;
                }
                note(&mut self.trace, || {
                    format!(
                        "  c{i} gets refusal of seq {client_seq} (v{version}), dropping {:?}",
                        dropped.map(|o| o.to_string())
                    )
                });
            }
        }
        self.pump(i);
        Ok(())
    }

    fn edit(&mut self, i: usize) -> Outcome<()> {
        let len = self.peers[i].client.char_len();
        let op = random_op(&mut self.rng, len);
        if op.components().len() >= 3 {
            self.stats.multi_component_edits += 1;
        }
        if op.components().iter().any(|c| matches!(c, connvo_shared::ot::Component::Insert(t) if t.chars().any(|ch| ch as u32 > 0xFFFF))) {
            self.stats.non_bmp_inserted += 1;
        }
        note(&mut self.trace, || format!("c{i} edits {op}"));
        self.peers[i]
            .client
            .edit(op)
            .map_err(|e| format!("c{i} local edit refused: {e}"))?;
        self.pump(i);
        Ok(())
    }

    fn step(&mut self) -> Outcome<()> {
        let n = self.peers.len();
        match below(&mut self.rng, 100) {
            0..=29 => {
                let i = self.pick(n);
                for _ in 0..=below(&mut self.rng, 2) {
                    self.edit(i)?;
                }
            }
            30..=49 => {
                // The server reads a few messages from one client's connection.
                let i = self.pick(n);
                for _ in 0..=below(&mut self.rng, 3) {
                    let Some((epoch, message)) = self.peers[i].outbox.pop_front() else {
                        break;
                    };
                    self.server_handle(i, epoch, message)?;
                }
            }
            50..=74 => {
                // A partial flush of one client's incoming queue.
                let i = self.pick(n);
                for _ in 0..=below(&mut self.rng, 4) {
                    let Some(message) = self.peers[i].inbox.pop_front() else {
                        break;
                    };
                    self.client_handle(i, message)?;
                }
            }
            75..=82 => {
                let i = self.pick(n);
                if self.peers[i].client.is_online() {
                    self.disconnect(i);
                } else {
                    self.reconnect(i);
                }
            }
            83..=86 if !self.strays.is_empty() => {
                let k = self.pick(self.strays.len());
                let (i, epoch, submission) = self.strays.swap_remove(k);
                self.stats.strays_delivered += 1;
                self.server_handle(i, epoch, ToServer::Submit(submission))?;
            }
            87..=90 => {
                // Compact what every client has seen (a retention policy
                // that waits for the slowest client), or rarely everything.
                let keep_after = if chance(&mut self.rng, 15) {
                    self.server.version()
                } else {
                    self.peers
                        .iter()
                        .map(|p| p.client.version())
                        .min()
                        .unwrap_or(0)
                };
                if self.server.compact(keep_after) > 0 {
                    self.stats.compactions += 1;
                    note(&mut self.trace, || {
                        format!("server compacts up to v{keep_after}")
                    });
                }
            }
            92 => {
                // The room restarts from its persisted state.
                let limits = self.server.limits();
                self.server = NotesDoc::restore(self.server.to_state(), limits)
                    .map_err(|e| format!("restore: {e}"))?;
                self.stats.restarts += 1;
                note(&mut self.trace, || {
                    "server restarts from its state".to_owned()
                });
            }
            91 => {
                // A page reload: new client id, state from the server, old
                // queues gone (stray resubmissions may still arrive).
                let i = self.pick(n);
                if self.peers[i].client.is_online() {
                    self.disconnect(i);
                }
                self.peers[i].outbox.clear();
                self.peers[i].client = self.fresh_client();
                self.stats.rejoins += 1;
                let version = self.server.version();
                note(&mut self.trace, || format!("c{i} reloads at v{version}"));
                self.reconnect(i);
            }
            _ => {}
        }
        Ok(())
    }

    /// Reconnects everyone and delivers everything until nothing moves.
    fn drain(&mut self) -> Outcome<()> {
        note(&mut self.trace, || "-- drain --".to_owned());
        for _round in 0..200 {
            for i in 0..self.peers.len() {
                if !self.peers[i].client.is_online() {
                    self.reconnect(i);
                }
            }
            for (i, epoch, submission) in std::mem::take(&mut self.strays) {
                self.stats.strays_delivered += 1;
                self.server_handle(i, epoch, ToServer::Submit(submission))?;
            }
            let mut moved = false;
            for i in 0..self.peers.len() {
                while let Some((epoch, message)) = self.peers[i].outbox.pop_front() {
                    moved = true;
                    self.server_handle(i, epoch, message)?;
                }
            }
            for i in 0..self.peers.len() {
                while let Some(message) = self.peers[i].inbox.pop_front() {
                    moved = true;
                    self.client_handle(i, message)?;
                }
            }
            let unacked = self.peers.iter().any(|p| p.client.has_unacked());
            if !moved && !unacked {
                return Ok(());
            }
        }
        Err("did not quiesce after 200 drain rounds".to_owned())
    }

    fn check(&self) -> Outcome<()> {
        let server = self.server.content();
        if self.server.char_len() != server.chars().count() {
            return Err("server char count out of sync".to_owned());
        }
        for (i, peer) in self.peers.iter().enumerate() {
            let client = &peer.client;
            if client.content() != server || client.version() != self.server.version() {
                return Err(format!(
                    "c{i} diverged: {:?} at v{} but the server has {server:?} at v{}",
                    client.content(),
                    client.version(),
                    self.server.version()
                ));
            }
            if client.char_len() != server.chars().count() {
                return Err(format!("c{i} char count out of sync"));
            }
        }
        // With the whole log still there, replaying it must rebuild the text.
        if self.server.oldest_base_version() == self.initial_version {
            let mut doc = self.initial.clone();
            for committed in self.server.log() {
                doc = apply(&doc, &committed.op)
                    .map_err(|e| format!("replay v{}: {e}", committed.version))?;
            }
            if doc != server {
                return Err("replaying the log does not rebuild the document".to_owned());
            }
        }
        Ok(())
    }
}

/// Adds a line to the trace when tracing (only on a failing seed's rerun,
/// so passing seeds pay nothing for formatting).
fn note(trace: &mut Option<Vec<String>>, line: impl FnOnce() -> String) {
    if let Some(trace) = trace {
        trace.push(line());
    }
}

struct Failure {
    message: String,
    trace: Vec<String>,
}

fn run(seed: u64, trace: bool) -> Result<Stats, Failure> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut sim = Sim::new(seed, trace);
        let steps = 20 + below(&mut sim.rng, 100);
        let outcome = (|| {
            for _ in 0..steps {
                sim.step()?;
            }
            sim.drain()?;
            sim.check()
        })();
        (outcome, sim.stats, sim.trace.take().unwrap_or_default())
    }));
    match result {
        Ok((Ok(()), stats, _)) => Ok(stats),
        Ok((Err(message), _, trace)) => Err(Failure { message, trace }),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".to_owned());
            Err(Failure {
                message: format!("panicked: {message}"),
                trace: Vec::new(),
            })
        }
    }
}

/// Runs one seed; on failure reruns it with tracing and panics with the seed.
fn check_seed(seed: u64) -> Stats {
    match run(seed, false) {
        Ok(stats) => stats,
        Err(first) => {
            let trace = run(seed, true).err().map(|f| f.trace).unwrap_or_default();
            let tail = trace.len().saturating_sub(80);
            panic!(
                "OT simulation seed {seed} failed: {}\n(keep it as `regression_seed_{seed}`)\ntrace tail:\n{}",
                first.message,
                trace[tail..].join("\n")
            );
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn clients_converge_with_the_server() {
    let count = env_u64("OT_SIM_SEEDS").unwrap_or(2_000);
    let start = env_u64("OT_SIM_SEED_START").unwrap_or(0);
    let began = std::time::Instant::now();
    let mut total = Stats::default();
    for seed in start..start + count {
        total.add(&check_seed(seed));
    }
    eprintln!("{count} seeds in {:?}: {total:?}", began.elapsed());
    // The run must actually exercise what it claims to.
    if count >= 500 {
        let t = total;
        for (what, n) in [
            ("commits", t.commits),
            ("rebased commits", t.rebased),
            ("duplicate submissions", t.duplicates),
            ("duplicate acks", t.duplicate_acks_sent),
            ("own ops seen as acks", t.own_op_seen_as_ack),
            ("refused for size", t.refused_too_large),
            ("snapshots", t.snapshots),
            ("rollbacks", t.rollbacks),
            ("stray deliveries", t.strays_delivered),
            ("reconnects", t.reconnects),
            ("reloads", t.rejoins),
            ("server restarts", t.restarts),
            ("compactions", t.compactions),
            ("multi-component edits", t.multi_component_edits),
            ("non-BMP inserts", t.non_bmp_inserted),
        ] {
            assert!(n > 0, "no {what} in {count} seeds");
        }
    }
}

#[test]
fn regression_seed_0() {
    check_seed(0);
}

#[test]
fn regression_seed_3() {
    check_seed(3);
}

#[test]
fn regression_seed_18() {
    check_seed(18);
}
