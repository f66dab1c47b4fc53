//! Matching benchmarks (issue 12; a benchmark, not a test). Two parts:
//!
//! - `quality`: a generated population with planted compatible pairs (a
//!   shared topic: interests, bios written from the topic's vocabulary,
//!   skills that meet each other's goals) among decoys (same interests,
//!   unrelated bios and skills) and noise. Every planted person ranks
//!   everyone else by `score_pair`; reports precision@1 and recall@10 for the
//!   full scorer and with each component switched off (its weight 0), and
//!   for the vector feature alone with the local embedder and, when
//!   `--reference <file>` gives vectors from a reference model (see
//!   `bench/matching_reference.py`), with that model. `--dump-bios <file>`
//!   writes the bios for the reference script.
//! - `scale`: one matching cycle (the worker's own statements and
//!   `plan_run`) over 10k/50k/100k queued users in SQLite with every D1
//!   migration applied (the engine local D1 runs): time and SQLite VM steps
//!   per statement, and the rows each read returned. Every user has a
//!   profile vector (the local embedder's, stored with the statement
//!   entering the queue writes, M26) and the cycle runs the vector path as
//!   the worker does (M30: `nearest` over the exact D1 index, M32, then
//!   `MATCHING_QUEUE_WAITING_AMONG`).
//!
//! `cargo run --release -p connvo-bench --bin matching -- quality|scale [...]`

use std::cell::RefCell;
use std::time::Instant;

use connvo_shared::matching::consent_gate::{processing_withdrawn, ConsentRow};
use connvo_shared::matching::cycle_run::{
    plan_run, scored_pairs, seed_ids_json, user_ids_json, BlockRow, CycleInput, DeclineRow,
    HistoryRow, PersonRow, WaitingRow,
};
use connvo_shared::matching::embedder::SourceType;
use connvo_shared::matching::local_embedder::LocalEmbedder;
use connvo_shared::matching::profile_vector::{plan_profile_embedding, similarities, StoredVector};
use connvo_shared::matching::queue::shard_of;
use connvo_shared::matching::queue_plan::MatchingConfig;
use connvo_shared::matching::ready::now_or_never;
use connvo_shared::matching::scoring::{
    score_pair, MatchCandidate, PairSignals, ScoringConfig, Weights,
};
use connvo_shared::matching::vector_candidates::{
    hit_user_ids_json, join_waiting, merge_candidates, nearest,
};
use connvo_shared::matching::vector_index::cosine;
use connvo_shared::matching::vector_sql::{CandidateRow, SqlExactIndex, VectorRows};
use connvo_shared::sql::connections::ConnectionBlocksAmong;
use connvo_shared::sql::embeddings::{ConsentProcessingAmong, EmbeddingListForSources};
use connvo_shared::sql::matching::{
    MatchDeclinesAmong, MatchHistoryForUsers, MatchingCandidatesByInterest, MatchingPeople,
    MatchingQueueListWaiting, MatchingQueueWaitingAmong,
};
use connvo_shared::sql::{SqlValue, Statement};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, StatementStatus};

/// A tiny deterministic generator (xorshift64*), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOPICS: &[(&str, &[&str], &[&str])] = &[
    (
        "climate",
        &[
            "carbon",
            "solar",
            "grid",
            "emissions",
            "battery",
            "storage",
            "policy",
            "renewable",
        ],
        &["energy-modelling", "policy-analysis"],
    ),
    (
        "fintech",
        &[
            "payments",
            "ledger",
            "banking",
            "compliance",
            "fraud",
            "lending",
            "cards",
            "settlement",
        ],
        &["risk-modelling", "payments-integration"],
    ),
    (
        "health",
        &[
            "clinical",
            "patients",
            "diagnosis",
            "hospital",
            "trials",
            "imaging",
            "care",
            "records",
        ],
        &["clinical-research", "medical-imaging"],
    ),
    (
        "robotics",
        &[
            "robots",
            "actuators",
            "motion",
            "planning",
            "sensors",
            "control",
            "grasping",
            "lidar",
        ],
        &["motion-planning", "control-systems"],
    ),
    (
        "education",
        &[
            "students",
            "teachers",
            "curriculum",
            "learning",
            "classroom",
            "assessment",
            "tutoring",
            "literacy",
        ],
        &["curriculum-design", "learning-analytics"],
    ),
    (
        "security",
        &[
            "threats",
            "malware",
            "encryption",
            "identity",
            "breach",
            "audit",
            "firewall",
            "incident",
        ],
        &["incident-response", "cryptography"],
    ),
    (
        "gaming",
        &[
            "players",
            "multiplayer",
            "engine",
            "levels",
            "shaders",
            "matchmaking",
            "esports",
            "studio",
        ],
        &["game-design", "graphics-programming"],
    ),
    (
        "agritech",
        &[
            "crops",
            "soil",
            "farms",
            "irrigation",
            "harvest",
            "yield",
            "drones",
            "greenhouse",
        ],
        &["agronomy", "remote-sensing"],
    ),
    (
        "logistics",
        &[
            "shipping",
            "warehouse",
            "routing",
            "freight",
            "fleet",
            "delivery",
            "inventory",
            "ports",
        ],
        &["route-optimisation", "supply-planning"],
    ),
    (
        "biotech",
        &[
            "proteins",
            "genomics",
            "assays",
            "cells",
            "sequencing",
            "enzymes",
            "antibodies",
            "lab",
        ],
        &["protein-design", "bioinformatics"],
    ),
    (
        "media",
        &[
            "podcast",
            "journalism",
            "newsroom",
            "editing",
            "audience",
            "video",
            "stories",
            "publishing",
        ],
        &["audience-growth", "video-production"],
    ),
    (
        "devtools",
        &[
            "compilers",
            "debugging",
            "ci",
            "builds",
            "editors",
            "testing",
            "profiling",
            "deploys",
        ],
        &["compiler-engineering", "build-systems"],
    ),
];
const FILLER: &[&str] = &[
    "team",
    "work",
    "people",
    "building",
    "years",
    "experience",
    "love",
    "projects",
    "ideas",
    "community",
];

#[derive(Clone)]
struct Person {
    c: MatchCandidate,
    bio: String,
    partner: Option<usize>,
}

fn bio(rng: &mut Rng, topic: usize) -> String {
    let words = TOPICS[topic].1;
    let mut out: Vec<&str> = Vec::new();
    for _ in 0..10 {
        out.push(if rng.below(3) == 0 {
            rng.pick(FILLER)
        } else {
            rng.pick(words)
        });
    }
    out.join(" ")
}

fn person(
    id: usize,
    interests: Vec<String>,
    skills: Vec<String>,
    goals: String,
    bio: String,
) -> Person {
    Person {
        c: MatchCandidate {
            user_id: format!("u{id}"),
            org_id: Some(format!("org{}", id % 7)),
            interests,
            skills,
            goals,
            languages: vec!["en".into()],
            ..MatchCandidate::default()
        },
        bio,
        partner: None,
    }
}

/// `pairs` planted pairs; for each, a decoy sharing one of their interests
/// with an unrelated bio and unrelated skills; then noise people.
fn population(pairs: usize, noise: usize, seed: u64) -> Vec<Person> {
    let mut rng = Rng(seed);
    let mut people = Vec::new();
    for p in 0..pairs {
        let t = rng.below(TOPICS.len());
        let (name, _, skills) = TOPICS[t];
        let i1 = format!("{name}-{}", rng.below(4));
        let i2 = format!("{name}-{}", 4 + rng.below(4));
        let a = people.len();
        // Complementary: each has one skill the other's goals ask for.
        people.push(person(
            a,
            vec![i1.clone(), i2.clone()],
            vec![skills[0].replace('-', " ")],
            format!("looking for help with {}", skills[1].replace('-', " ")),
            bio(&mut rng, t),
        ));
        people.push(person(
            a + 1,
            vec![i1.clone(), i2.clone()],
            vec![skills[1].replace('-', " ")],
            format!("want to learn {}", skills[0].replace('-', " ")),
            bio(&mut rng, t),
        ));
        people[a].partner = Some(a + 1);
        people[a + 1].partner = Some(a);
        // A decoy with both interests but another topic's bio and skills.
        let other = (t + 1 + rng.below(TOPICS.len() - 1)) % TOPICS.len();
        let d = people.len();
        people.push(person(
            d,
            vec![i1, i2],
            vec![TOPICS[other].2[0].replace('-', " ")],
            format!("curious about {}", TOPICS[other].2[1].replace('-', " ")),
            bio(&mut rng, other),
        ));
        let _ = p;
    }
    for _ in 0..noise {
        let t = rng.below(TOPICS.len());
        let (name, _, skills) = TOPICS[t];
        let id = people.len();
        people.push(person(
            id,
            vec![format!("{name}-{}", rng.below(8))],
            vec![skills[rng.below(2)].replace('-', " ")],
            "meet interesting people".into(),
            bio(&mut rng, t),
        ));
    }
    people
}

struct Quality {
    p_at_1: f64,
    r_at_10: f64,
}

fn evaluate(people: &[Person], weights: Weights, vectors: Option<&[Vec<f32>]>) -> Quality {
    let config = ScoringConfig {
        weights,
        ..ScoringConfig::default()
    };
    let (mut hit1, mut hit10, mut n) = (0, 0, 0);
    for (i, me) in people.iter().enumerate() {
        let Some(partner) = me.partner else { continue };
        n += 1;
        let mut scored: Vec<(f32, usize)> = people
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(j, other)| {
                let signals = PairSignals {
                    vector_similarity: vectors.map(|v| cosine(&v[i], &v[j]).clamp(0.0, 1.0)),
                    ..PairSignals::default()
                };
                let s = score_pair(&me.c, &other.c, &signals, &config, 0).ok()?;
                Some((s.score, j))
            })
            .collect();
        // Ties broken against the partner (pessimistic), so a component
        // that cannot tell them apart earns nothing.
        scored.sort_by(|x, y| {
            y.0.total_cmp(&x.0)
                .then_with(|| (x.1 == partner).cmp(&(y.1 == partner)))
        });
        if scored.first().is_some_and(|s| s.1 == partner) {
            hit1 += 1;
        }
        if scored.iter().take(10).any(|s| s.1 == partner) {
            hit10 += 1;
        }
    }
    Quality {
        p_at_1: f64::from(hit1) / f64::from(n),
        r_at_10: f64::from(hit10) / f64::from(n),
    }
}

fn quality(args: &[String]) {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let pairs: usize = flag("--pairs").and_then(|v| v.parse().ok()).unwrap_or(150);
    let noise: usize = flag("--noise").and_then(|v| v.parse().ok()).unwrap_or(300);
    let people = population(pairs, noise, 0x5eed);
    if let Some(path) = flag("--dump-bios") {
        let bios: Vec<&str> = people.iter().map(|p| p.bio.as_str()).collect();
        std::fs::write(path, serde_json::to_string(&bios).unwrap()).unwrap();
        println!("wrote {} bios to {path}", bios.len());
        return;
    }
    let local: Vec<Vec<f32>> = people
        .iter()
        .map(|p| LocalEmbedder.embed_one(&p.bio))
        .collect();
    let reference: Option<Vec<Vec<f32>>> = flag("--reference")
        .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap());
    let full = Weights::default();
    let only = |k: usize| {
        let mut a = [0.0; 5];
        a[k] = 1.0;
        Weights::from_array(a)
    };
    let without = |k: usize| {
        let mut a = full.to_array();
        a[k] = 0.0;
        Weights::from_array(a)
    };
    println!(
        "population: {} people, {} planted pairs, {} decoys, {} noise",
        people.len(),
        pairs,
        pairs,
        noise
    );
    println!("| scorer | precision@1 | recall@10 |\n| --- | --- | --- |");
    let row = |name: &str, q: Quality| println!("| {name} | {:.3} | {:.3} |", q.p_at_1, q.r_at_10);
    row(
        "full (local embedder)",
        evaluate(&people, full, Some(&local)),
    );
    for (k, name) in ["interests", "skills", "org", "history", "vector"]
        .iter()
        .enumerate()
    {
        row(
            &format!("without {name}"),
            evaluate(&people, without(k), Some(&local)),
        );
    }
    row(
        "vector only, local embedder",
        evaluate(&people, only(4), Some(&local)),
    );
    if let Some(reference) = &reference {
        row(
            "full (reference all-MiniLM-L6-v2)",
            evaluate(&people, full, Some(reference)),
        );
        row(
            "vector only, all-MiniLM-L6-v2",
            evaluate(&people, only(4), Some(reference)),
        );
    }
}

// ------------------------------------------------------------------ scale

fn bind(s: &Statement) -> Vec<Value> {
    s.params
        .iter()
        .map(|v| match v {
            SqlValue::Null => Value::Null,
            SqlValue::Integer(i) => Value::Integer(*i),
            SqlValue::Real(r) => Value::Real(*r),
            SqlValue::Text(t) => Value::Text(t.clone()),
            SqlValue::Blob(b) => Value::Blob(b.clone()),
        })
        .collect()
}

/// One logged statement: name, ms, VM steps, rows.
type Log = Vec<(String, f64, i64, usize)>;

/// Runs a read; rows decoded, with (ms, VM steps, rows).
fn read<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    s: impl Into<Statement>,
    log: &mut Log,
) -> Vec<T> {
    let s = s.into();
    let started = Instant::now();
    let mut stmt = conn.prepare(s.sql).unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut out = Vec::new();
    {
        let mut rows = stmt.query(rusqlite::params_from_iter(bind(&s))).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let mut obj = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match row.get_ref(i).unwrap() {
                    ValueRef::Null | ValueRef::Blob(_) => serde_json::Value::Null,
                    ValueRef::Integer(n) => n.into(),
                    ValueRef::Real(r) => r.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                };
                obj.insert(name.clone(), v);
            }
            out.push(serde_json::from_value(obj.into()).unwrap());
        }
    }
    let steps = stmt.get_status(StatementStatus::VmStep);
    log.push((
        s.name.to_owned(),
        started.elapsed().as_secs_f64() * 1e3,
        i64::from(steps),
        out.len(),
    ));
    out
}

/// The exact index's row store (M32) over the benchmark's SQLite, logging
/// its reads like the cycle's own. It never writes here.
struct LoggedRows<'a> {
    conn: &'a Connection,
    log: RefCell<Log>,
}

impl VectorRows for &LoggedRows<'_> {
    async fn candidates(&self, statements: &[Statement]) -> Result<Vec<CandidateRow>, String> {
        let mut log = self.log.borrow_mut();
        Ok(statements
            .iter()
            .flat_map(|s| read::<CandidateRow>(self.conn, s.clone(), &mut log))
            .collect())
    }

    async fn write(&self, _: &[Statement]) -> Result<(), String> {
        Err("the scale benchmark's index is read-only".into())
    }
}

fn scale(args: &[String]) {
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 50_000, 100_000]
    } else {
        sizes
    };
    let cfg = MatchingConfig::default();
    const NOW: i64 = 1_800_000_000_000;
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations");
    let mut files: Vec<_> = std::fs::read_dir(&migrations)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    println!("| queued users | shard size | cycle ms | statement | ms | VM steps | rows |\n| --- | --- | --- | --- | --- | --- | --- |");
    for n in sizes {
        let conn = Connection::open_in_memory().unwrap();
        for f in &files {
            conn.execute_batch(&std::fs::read_to_string(f).unwrap())
                .unwrap();
        }
        let keys: Vec<String> = conn
            .prepare("SELECT key FROM interests")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut rng = Rng(42);
        conn.execute_batch("BEGIN").unwrap();
        let step = i64::try_from(n).unwrap();
        for i in 0..n {
            let id = format!("u{i:06}");
            conn.execute("INSERT INTO users (id, org_id, display_name, created_at, updated_at) VALUES (?1, 'org', ?1, 0, 0)", [&id]).unwrap();
            conn.execute("INSERT INTO profiles (user_id, display_name, goals, skills, languages, created_at, updated_at) VALUES (?1, ?1, 'find a cofounder for pricing', '[\"pricing\"]', '[\"en\"]', 0, 0)", [&id]).unwrap();
            for _ in 0..3 {
                let k = &keys[rng.below(keys.len())];
                conn.execute("INSERT OR IGNORE INTO user_interests (user_id, interest_key, created_at) VALUES (?1, ?2, 0)", [&id, k]).unwrap();
            }
            conn.execute(
                "INSERT INTO matching_queue (id, user_id, shard, available_from, available_to, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', ?4, ?4)",
                rusqlite::params![format!("mq_{id}"), id, i64::from(shard_of(&id, cfg.shards)), NOW, NOW + 4 * 3_600_000],
            ).unwrap();
            // M26: the profile vector entering the queue stores (a topic's
            // bio, so neighbours differ), computed at distinct times.
            let topic = rng.below(TOPICS.len());
            let text = format!(
                "{}\nfind a cofounder for pricing\npricing",
                bio(&mut rng, topic)
            );
            let computed = NOW - step + i64::try_from(i).unwrap();
            let e = plan_profile_embedding(&id, Some("org"), &text, &format!("emb_{id}"), computed)
                .unwrap();
            conn.execute(
                e.statement.sql,
                rusqlite::params_from_iter(bind(&e.statement)),
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT; ANALYZE;").unwrap();
        let shard_size: i64 = conn
            .query_row(
                "SELECT count(*) FROM matching_queue WHERE shard = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let mut log = Vec::new();
        let started = Instant::now();
        let seeds: Vec<WaitingRow> = read(
            &conn,
            MatchingQueueListWaiting {
                shard: 0,
                window_from_ms: NOW,
                window_to_ms: NOW + cfg.queue.max_lead_ms + cfg.queue.max_window_ms,
                limit: cfg.cycle.max_entries as i64,
            },
            &mut log,
        );
        let seed_ids = seed_ids_json(&seeds);
        let candidates: Vec<WaitingRow> = read(
            &conn,
            MatchingCandidatesByInterest {
                seed_user_ids: &seed_ids,
                now_ms: NOW,
                per_seed: cfg.cycle.max_candidates_per_entry as i64,
                per_interest: cfg.candidate_fan_out,
            },
            &mut log,
        );
        // M30 as `workers/src/matching/cycle.rs` runs it: the seeds' vectors,
        // their nearest profiles through the exact index (one candidate read
        // shared by the seeds), then which of those are waiting.
        let model = LocalEmbedder::model_info();
        let vectors: Vec<StoredVector> = read(
            &conn,
            EmbeddingListForSources {
                model: &model.name,
                source_type: SourceType::Profile.as_str(),
                source_ids: &seed_ids,
            },
            &mut log,
        );
        let rows = LoggedRows {
            conn: &conn,
            log: RefCell::new(Vec::new()),
        };
        let index = SqlExactIndex::new(&rows, model.clone(), NOW);
        let queried = Instant::now();
        let hits = now_or_never(nearest(&index, &seeds, &vectors))
            .unwrap()
            .unwrap();
        let query_ms = queried.elapsed().as_secs_f64() * 1e3;
        let index_reads = rows.log.take();
        let read_ms: f64 = index_reads.iter().map(|r| r.1).sum();
        log.extend(index_reads);
        log.push((
            format!("nearest: {} queries, ranking (pure)", hits.len()),
            query_ms - read_ms,
            0,
            hits.iter().map(|h| h.users.len()).sum(),
        ));
        let waiting: Vec<WaitingRow> = read(
            &conn,
            MatchingQueueWaitingAmong {
                user_ids: &hit_user_ids_json(&hits),
                now_ms: NOW,
                limit: 10_000,
            },
            &mut log,
        );
        let near = join_waiting(&hits, &waiting, cfg.cycle.max_candidates_per_entry);
        let candidates = merge_candidates(candidates, near);
        let ids = user_ids_json(&seeds, &candidates);
        let input = CycleInput {
            people: read::<PersonRow>(&conn, MatchingPeople { user_ids: &ids }, &mut log),
            history: read::<HistoryRow>(&conn, MatchHistoryForUsers { user_ids: &ids }, &mut log),
            declines: read::<DeclineRow>(
                &conn,
                MatchDeclinesAmong {
                    user_ids: &ids,
                    since_ms: 0,
                },
                &mut log,
            ),
            blocks: read::<BlockRow>(&conn, ConnectionBlocksAmong { user_ids: &ids }, &mut log),
            withdrawn: processing_withdrawn(&read::<ConsentRow>(
                &conn,
                ConsentProcessingAmong {
                    user_ids: &ids,
                    limit: 10_000,
                },
                &mut log,
            )),
            similarity: {
                let stored: Vec<StoredVector> = read(
                    &conn,
                    EmbeddingListForSources {
                        model: &model.name,
                        source_type: SourceType::Profile.as_str(),
                        source_ids: &ids,
                    },
                    &mut log,
                );
                let paired = Instant::now();
                let similarity = similarities(&stored, &scored_pairs(&candidates));
                log.push((
                    "similarities (pure, the seed–candidate pairs)".into(),
                    paired.elapsed().as_secs_f64() * 1e3,
                    0,
                    similarity.len(),
                ));
                similarity
            },
            seeds,
            candidates,
        };
        let planned = Instant::now();
        let run = plan_run(&input, &Weights::default(), &cfg, NOW);
        log.push((
            "plan_run (pure)".into(),
            planned.elapsed().as_secs_f64() * 1e3,
            0,
            run.plan.proposals.len(),
        ));
        let total = started.elapsed().as_secs_f64() * 1e3;
        for (name, ms, steps, rows) in &log {
            println!("| {n} | {shard_size} | {total:.1} | {name} | {ms:.1} | {steps} | {rows} |");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("quality") => quality(&args[1..]),
        Some("scale") => scale(&args[1..]),
        _ => eprintln!("usage: matching quality [--pairs N --noise N --dump-bios F --reference F] | scale [sizes...]"),
    }
}
