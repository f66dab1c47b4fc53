//! The import benchmark (not a test; `scripts/bench-migrate` runs it):
//! generates an old store of `--users` users (default 100k) with their
//! profiles, interests, connections, meetings and participants, and
//! `--messages` chat messages (default 1M) in the PostgreSQL at
//! CONNVO_LEGACY_PG_URL, then times `import` and `verify` into a migrated
//! local D1 (CONNVO_STATE_TEMPLATE) with a fake WorkOS directory that knows
//! 95 % of the emails. Prints a markdown report; asserts nothing about time.

use std::path::{Path, PathBuf};
use std::time::Instant;

use connvo_migrate::commands::{self, Options};
use connvo_migrate::legacy::Legacy;
use connvo_migrate::target::SqliteD1;

#[path = "../tests/support/mod.rs"]
mod support;
use support::workos::{FakeWorkos, API_KEY};

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The old store's volume, generated in PostgreSQL itself.
fn volume_sql(users: i64, messages: i64) -> String {
    let meetings = (users / 10).max(1);
    format!(
        "INSERT INTO users (id, auth_id, email, full_name, created_at, updated_at)
           SELECT md5('u' || i)::uuid, md5('a' || i)::uuid, 'user' || i || '@bench.example', 'User ' || i,
                  timestamptz '2023-01-01 00:00:00+00' + i * interval '1 second',
                  timestamptz '2023-06-01 00:00:00+00' + i * interval '1 second'
           FROM generate_series(1, {users}) i;
         INSERT INTO profiles (user_id, headline, bio, job_title, company, skills, languages, created_at, updated_at)
           SELECT md5('u' || i)::uuid, 'Headline ' || i, 'Bio of user ' || i, 'Engineer', 'Company ' || (i % 500),
                  ARRAY['rust', 'sql'], ARRAY['en'], now(), now()
           FROM generate_series(1, {users}) i;
         INSERT INTO interests (name, category) SELECT 'Interest ' || k, 'cat' || (k % 5) FROM generate_series(1, 50) k;
         INSERT INTO user_interests (user_id, interest_id)
           SELECT md5('u' || i)::uuid, ((i + o) % 50) + 1 FROM generate_series(1, {users}) i, (VALUES (0), (17), (31)) v(o);
         INSERT INTO connections (requester_id, receiver_id, status)
           SELECT md5('u' || i)::uuid, md5('u' || (i + 1))::uuid, 'accepted' FROM generate_series(1, {users} - 1) i;
         INSERT INTO meetings (id, host_id, title, stream_room_id, status, scheduled_at, started_at, ended_at)
           SELECT md5('m' || j)::uuid, md5('u' || (j * 10))::uuid, 'Meeting ' || j, 'room_' || j, 'ended',
                  now() - interval '2 days', now() - interval '2 days', now() - interval '1 day'
           FROM generate_series(1, {meetings}) j;
         INSERT INTO meeting_participants (meeting_id, user_id, role, joined_at, left_at)
           SELECT md5('m' || j)::uuid, md5('u' || ((j * 10 + o - 1) % {users} + 1))::uuid, CASE WHEN o = 0 THEN 'host' ELSE 'guest' END::participant_role,
                  now() - interval '2 days', now() - interval '1 day'
           FROM generate_series(1, {meetings}) j, (VALUES (0), (1)) v(o);
         INSERT INTO messages (meeting_id, sender_id, content, created_at, updated_at)
           SELECT md5('m' || ((i % {meetings}) + 1))::uuid, md5('u' || (((i % {meetings}) + 1) * 10))::uuid,
                  'message ' || i, timestamp '2024-01-01' + i * interval '1 millisecond',
                  timestamptz '2024-01-01 00:00:00+00' + i * interval '1 millisecond'
           FROM generate_series(1, {messages}) i;
         ANALYZE;"
    )
}

fn d1_from_template(dir: &Path) -> PathBuf {
    let template = std::env::var("CONNVO_STATE_TEMPLATE")
        .expect("CONNVO_STATE_TEMPLATE (a migrated state folder; scripts/bench-migrate makes one)");
    let src = connvo_migrate::target::d1_file_in(Path::new(&template)).expect("template D1");
    let file = dir.join("bench.sqlite");
    std::fs::copy(&src, &file).expect("copy the template D1");
    let wal = PathBuf::from(format!("{}-wal", src.display()));
    if wal.exists() {
        std::fs::copy(&wal, dir.join("bench.sqlite-wal")).expect("copy the template's WAL");
    }
    file
}

#[tokio::main]
async fn main() {
    let users = arg("--users", 100_000);
    let messages = arg("--messages", 1_000_000);
    let batch = arg("--batch-size", 1000);
    let admin_url = std::env::var("CONNVO_LEGACY_PG_URL")
        .expect("CONNVO_LEGACY_PG_URL (run under scripts/postgres run)");
    let (admin, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    admin
        .batch_execute("DROP DATABASE IF EXISTS legacy_bench")
        .await
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE legacy_bench")
        .await
        .unwrap();
    let url = format!(
        "{}/legacy_bench",
        admin_url.rsplit_once('/').expect("URL with a database").0
    );
    let (pg, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let schema = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/legacy/schema.sql"),
    )
    .unwrap();
    pg.batch_execute(&schema).await.unwrap();
    let t = Instant::now();
    pg.batch_execute(&volume_sql(users, messages))
        .await
        .unwrap();
    let generate_s = t.elapsed().as_secs_f64();
    let rows: i64 = pg
        .query_one(
            "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM profiles) + (SELECT count(*) FROM interests) + \
             (SELECT count(*) FROM user_interests) + (SELECT count(*) FROM connections) + (SELECT count(*) FROM meetings) + \
             (SELECT count(*) FROM meeting_participants) + (SELECT count(*) FROM messages)",
            &[],
        )
        .await
        .unwrap()
        .get(0);

    // WorkOS knows 95 % of the people.
    let directory = (1..=users)
        .filter(|i| i % 20 != 0)
        .map(|i| {
            (
                format!("user_bench_{i:07}"),
                format!("user{i}@bench.example"),
            )
        })
        .collect();
    let workos = FakeWorkos::start(directory).await;

    let dir = std::env::temp_dir().join(format!("connvo-bench-migrate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d1 = d1_from_template(&dir);
    let legacy = Legacy::connect(&url)
        .await
        .expect("connect to the generated store");
    let mut target = SqliteD1::open(&d1).expect("open D1");
    let opts = Options {
        batch_size: batch,
        stop_after: None,
        throttle_ms: 0,
        merge: false,
        overlap_ms: 5000,
        workos_base: workos.base_url().to_owned(),
        workos_key: API_KEY.to_owned(),
        flags_env: "local".to_owned(),
    };
    let t = Instant::now();
    let summary = commands::copy(&legacy, &mut target, &opts, false)
        .await
        .expect("import");
    let import_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = commands::verify(&legacy, &mut target, 1000, 1)
        .await
        .expect("verify");
    let verify_s = t.elapsed().as_secs_f64();
    let d1_bytes = std::fs::metadata(&d1).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.join("bench.sqlite-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);

    println!("## connvo-migrate import benchmark\n");
    println!("- volume: {users} users, {messages} messages, {rows} old rows in all (generated in {generate_s:.1} s)");
    println!(
        "- batch size {batch}; WorkOS directory of {} users (fake, loopback)",
        users - users / 20
    );
    println!(
        "- **import: {import_s:.1} s, {:.0} rows/s**",
        rows as f64 / import_s
    );
    println!("- verify (checksums over every row, 1000-row sample per table): {verify_s:.1} s, {:.0} rows/s", rows as f64 / verify_s);
    println!(
        "- D1 file after import: {:.0} MiB",
        d1_bytes as f64 / 1048576.0
    );
    println!(
        "- parity: {}, {} flagged rows\n",
        if report.clean() { "clean" } else { "NOT CLEAN" },
        report.flagged.len()
    );
    println!("```\n{}```", summary.render());
    if !report.clean() {
        for d in report.discrepancies().take(20) {
            println!("DISCREPANCY {} {}: {}", d.table, d.key, d.what);
        }
        std::process::exit(1);
    }
}
