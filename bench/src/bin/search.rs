//! Search and notification fan-out benchmarks (issue 13; a benchmark, not a
//! test), against the real local runtime (`wrangler dev` with a freshly
//! migrated local D1, started by the end-to-end harness):
//!
//! - `search`: a generated organisation (default 1k meetings, 100k
//!   transcript segments, 10k users with profiles; `--scale 0.1` for a
//!   tenth), seeded into D1 before the server starts. One searcher is a
//!   member of every tenth meeting. Each route runs `--queries` queries
//!   (words drawn from the generator's vocabulary, one in four with a
//!   typo); reports p50/p95/max per route over HTTP.
//! - `fanout`: `--hubs` users (default 1k) hold a hub socket
//!   (`/v1/notifications/ws`); `--rounds` announcements (each reaches
//!   every member, in queued batches of 50) are posted; reports the latency
//!   from the POST to each socket's frame, and to the last one per round.
//!
//! `cargo run --release -p connvo-bench --bin search -- search|fanout [--scale f] [--queries n] [--hubs n] [--rounds n]`

use std::time::{Duration, Instant};

use connvo_e2e::meet::{World, ORG};
use connvo_e2e::BackendOptions;
use futures::StreamExt;
use serde_json::json;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SEARCHER: &str = "user_01SEARCHER";
const ADMIN: &str = "user_01ADMIN";

const WORDS: &[&str] = &[
    "budget",
    "roadmap",
    "hiring",
    "launch",
    "customer",
    "pricing",
    "security",
    "design",
    "research",
    "feedback",
    "onboarding",
    "retention",
    "marketing",
    "revenue",
    "quarter",
    "planning",
    "strategy",
    "partner",
    "contract",
    "deadline",
    "migration",
    "database",
    "latency",
    "mobile",
    "release",
    "support",
    "analytics",
    "dashboard",
    "experiment",
    "insight",
    "workshop",
    "interview",
    "offsite",
    "travel",
    "invoice",
    "forecast",
    "pipeline",
    "vendor",
    "compliance",
    "privacy",
    "incident",
    "review",
    "metrics",
    "growth",
    "funding",
    "investor",
    "product",
    "engineering",
    "operations",
    "zanzibar",
];

struct Args {
    mode: String,
    scale: f64,
    queries: usize,
    hubs: usize,
    rounds: usize,
}

fn args() -> Args {
    let mut a = Args {
        mode: String::new(),
        scale: 1.0,
        queries: 200,
        hubs: 1000,
        rounds: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match arg.as_str() {
            "--scale" => a.scale = value().parse().expect("--scale f"),
            "--queries" => a.queries = value().parse().expect("--queries n"),
            "--hubs" => a.hubs = value().parse().expect("--hubs n"),
            "--rounds" => a.rounds = value().parse().expect("--rounds n"),
            mode if a.mode.is_empty() => a.mode = mode.to_owned(),
            other => panic!("unknown argument {other}"),
        }
    }
    if a.mode.is_empty() {
        eprintln!("usage: search search|fanout [--scale f] [--queries n] [--hubs n] [--rounds n]");
        std::process::exit(2);
    }
    a
}

/// The words as a JSON array literal, for `json_extract` in seed SQL.
fn words_json() -> String {
    serde_json::to_string(WORDS).unwrap().replace('\'', "''")
}

fn word_sql(expr: &str) -> String {
    format!(
        "json_extract('{}', '$[' || (({expr}) % {}) || ']')",
        words_json(),
        WORDS.len()
    )
}

/// Seed SQL for `meetings` meetings, `segments` segments, `users` users.
fn seed(meetings: usize, segments: usize, users: usize) -> String {
    let w = |e: &str| word_sql(e);
    format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users})
         INSERT INTO users (id, org_id, org_role, display_name, is_active, created_at, updated_at)
         SELECT printf('user_B%06d', i), '{ORG}', 'member', 'Person ' || i, 1, 1, 1 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users})
         INSERT INTO profiles (user_id, display_name, headline, bio, skills, created_at, updated_at)
         SELECT printf('user_B%06d', i), 'Person ' || i, {h} || ' lead',
                'works on ' || {b1} || ' and ' || {b2}, json_array({s1}), 1, 1 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {meetings})
         INSERT INTO meetings (id, organizer_id, org_id, title, description, scheduled_at, state,
                               started_at, concluded_at, created_at, updated_at)
         SELECT printf('mtg_B%05d', i), printf('user_B%06d', (i % {users}) + 1), '{ORG}',
                {t1} || ' ' || {t2}, 'about ' || {t3}, i * 60000, 'concluded', i * 60000,
                i * 60000 + 1800000, 1, 1 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {members} - 1)
         INSERT OR IGNORE INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at)
         SELECT printf('mtg_B%05d', (i / 10) + 1), printf('user_B%06d', ((i * 7) % {users}) + 1),
                'participant', 1, 1 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {meetings})
         INSERT INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at)
         SELECT printf('mtg_B%05d', i), '{SEARCHER}', 'participant', 1, 1 FROM n WHERE i % 10 = 0;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {segments})
         INSERT INTO transcript_segments (id, meeting_id, speaker_id, text, start_ms, end_ms, created_at, updated_at)
         SELECT printf('seg_B%07d', i), printf('mtg_B%05d', (i % {meetings}) + 1),
                printf('user_B%06d', ((i * 7) % {users}) + 1),
                {x1} || ' ' || {x2} || ' we should ' || {x3} || ' the ' || {x4} || ' before ' || {x5},
                (i / {meetings}) * 5000, (i / {meetings}) * 5000 + 4000, 1, 1 FROM n;",
        members = meetings * 10,
        h = w("i * 3"),
        b1 = w("i * 7"),
        b2 = w("i * 11 + 5"),
        s1 = w("i * 13 + 2"),
        t1 = w("i * 17"),
        t2 = w("i * 19 + 3"),
        t3 = w("i * 23 + 1"),
        x1 = w("i * 29"),
        x2 = w("i * 31 + 7"),
        x3 = w("i * 37 + 11"),
        x4 = w("i * 41 + 13"),
        x5 = w("i * 43 + 17"),
    )
}

/// Nearest-rank percentile of sorted milliseconds.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} |",
        ms.len(),
        pct(&ms, 0.5),
        pct(&ms, 0.95),
        ms.last().copied().unwrap_or(0.0)
    );
}

/// The API's rate limits, lifted (one loopback address for every user).
fn lifted() -> String {
    let l = r#"{"limit": 1000000, "window_secs": 60}"#;
    let class = format!(r#"{{"per_user": {l}, "per_ip": {l}}}"#);
    format!(
        r#"{{"default": {class}, "meeting_create": {class}, "ws_ticket": {class}, "transcript_ingest": {class}}}"#
    )
}

/// A word, with a swap of two middle letters one time in four (a typo).
fn query_word(i: usize) -> String {
    let w = WORDS[(i * 7) % WORDS.len()];
    if i % 4 == 3 && w.len() > 4 {
        let mut c: Vec<char> = w.chars().collect();
        c.swap(2, 3);
        c.into_iter().collect()
    } else {
        w.to_owned()
    }
}

async fn search(a: &Args) {
    let meetings = ((1000.0 * a.scale) as usize).max(10);
    let segments = ((100_000.0 * a.scale) as usize).max(100);
    let users = ((10_000.0 * a.scale) as usize).max(20);
    let started = Instant::now();
    let w = World::start_with(
        &[SEARCHER],
        BackendOptions::default()
            .var("RATE_LIMITS", lifted())
            .seed_sql(seed(meetings, segments, users)),
    )
    .await;
    println!(
        "seeded {meetings} meetings, {segments} segments, {users} users; server up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::new();
    let token = w.token(SEARCHER);
    println!("\n| route | queries | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|");
    for route in [
        "/v1/search/transcripts",
        "/v1/search/meetings",
        "/v1/search/users",
        "/v1/search/suggest",
        "/v1/search",
    ] {
        let mut ms = Vec::new();
        let mut errors = 0;
        for i in 0..a.queries {
            let q = if route.ends_with("suggest") {
                query_word(i).chars().take(3).collect()
            } else {
                query_word(i)
            };
            let t = Instant::now();
            let resp = client
                .get(w.backend.url(&format!("{route}?q={q}")))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .expect("request");
            let ok = resp.status().is_success();
            let _ = resp.bytes().await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if !ok {
                errors += 1;
            }
        }
        report(route, ms);
        if errors > 0 {
            println!("  ({errors} errors)");
        }
    }
}

async fn fanout(a: &Args) {
    let users = a.hubs.max(1);
    let w = World::start_with(
        &[ADMIN, SEARCHER],
        BackendOptions::default()
            .var("RATE_LIMITS", lifted())
            .seed_sql(seed(10, 100, users)),
    )
    .await;
    let client = reqwest::Client::new();
    let mut sockets = Vec::new();
    for i in 1..=users {
        let user = format!("user_B{i:06}");
        let t = client
            .post(w.backend.url("/v1/notifications/ws-ticket"))
            .header("authorization", format!("Bearer {}", w.token(&user)))
            .send()
            .await
            .expect("ticket")
            .json::<serde_json::Value>()
            .await
            .expect("ticket json");
        let ticket = t["ticket"].as_str().expect("a ticket").to_owned();
        let (mut ws, _) = connect_async(
            w.backend
                .ws_url(&format!("/v1/notifications/ws?ticket={ticket}")),
        )
        .await
        .expect("hub upgrade");
        let _hello = ws.next().await;
        sockets.push(ws);
    }
    println!("{} hub sockets open", sockets.len());
    let admin = w.token_with_role(ADMIN, "admin");
    let mut receipts = Vec::new();
    let mut lasts = Vec::new();
    for round in 0..a.rounds {
        let t = Instant::now();
        let post = async {
            let resp = client
                .post(w.backend.url("/v1/admin/announcements"))
                .header("authorization", format!("Bearer {admin}"))
                .json(&json!({ "title": format!("round {round}") }))
                .send()
                .await
                .expect("announce");
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            body["batches"].as_u64().unwrap_or(0) as usize
        };
        // Every member is a recipient (N16: the first batch by the request,
        // the others by queued jobs); every socket is read while the
        // announcement is still fanning out.
        let expected = sockets.len();
        // This round's frame by its title: a frame a socket missed by the
        // deadline in an earlier round still arrives later and must not
        // count here.
        let title = format!("\"round {round}\"");
        let waits = sockets.iter_mut().map(|ws| {
            let title = &title;
            async move {
                let deadline = Duration::from_secs(60);
                match tokio::time::timeout(deadline, async {
                    while let Some(Ok(m)) = ws.next().await {
                        if let Message::Text(text) = m {
                            if text.contains("\"notification\"") && text.contains(title.as_str()) {
                                return Some(());
                            }
                        }
                    }
                    None
                })
                .await
                {
                    Ok(Some(())) => Some(Instant::now()),
                    _ => None,
                }
            }
        });
        let (batches, arrivals) = tokio::join!(post, futures::future::join_all(waits));
        let mut got = 0;
        for at in arrivals.into_iter().flatten() {
            got += 1;
            receipts.push(at.duration_since(t).as_secs_f64() * 1000.0);
        }
        lasts.push(t.elapsed().as_secs_f64() * 1000.0);
        println!("round {round}: {got} of the {expected} sockets received it ({batches} batches)");
    }
    println!("\n| fan-out ({users} hubs open) | n | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|");
    report("event → socket, per recipient", receipts);
    report("event → last recipient", lasts);
}

#[tokio::main]
async fn main() {
    let a = args();
    match a.mode.as_str() {
        "search" => search(&a).await,
        "fanout" => fanout(&a).await,
        other => panic!("unknown mode {other}"),
    }
}
