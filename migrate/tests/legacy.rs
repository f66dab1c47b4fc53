//! connvo-migrate against a real PostgreSQL (started by `scripts/postgres`,
//! URL in CONNVO_LEGACY_PG_URL) loaded with the legacy fixtures
//! (tests/fixtures/legacy/), a migrated local D1 file (the wrangler-made
//! template of scripts/test when CONNVO_STATE_TEMPLATE is set), and a fake
//! WorkOS user-management API. Each test has its own database and D1.
//!
//! Without CONNVO_LEGACY_PG_URL these tests fail: they are never skipped.

use std::path::{Path, PathBuf};
use std::process::Output;

use connvo_e2e::backend::{repo_root, TempDir};
use rusqlite::Connection;
use tokio_postgres::NoTls;

mod support;
use support::workos::{FakeWorkos, API_KEY};

fn pg_url() -> String {
    std::env::var("CONNVO_LEGACY_PG_URL").unwrap_or_else(|_| {
        panic!("CONNVO_LEGACY_PG_URL is not set: these tests need PostgreSQL. Run them with `scripts/postgres run -- cargo test -p connvo-migrate`")
    })
}

/// A fresh database in the test cluster, loaded with the legacy schema and data.
async fn legacy_db(name: &str) -> (String, tokio_postgres::Client) {
    let admin_url = pg_url();
    let (admin, conn) = tokio_postgres::connect(&admin_url, NoTls)
        .await
        .expect("connect to the test PostgreSQL");
    tokio::spawn(conn);
    let db = format!("legacy_{name}_{}", std::process::id());
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => panic!("CONNVO_LEGACY_PG_URL has no database part: {admin_url}"),
    };
    let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(conn);
    let fixtures = repo_root().join("tests/fixtures/legacy");
    for f in ["schema.sql", "data.sql"] {
        let sql = std::fs::read_to_string(fixtures.join(f)).unwrap();
        client
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    (url, client)
}

/// A migrated, empty local D1 file.
fn fresh_d1(dir: &TempDir, name: &str) -> PathBuf {
    let file = dir.path().join(format!("{name}.sqlite"));
    match std::env::var("CONNVO_STATE_TEMPLATE") {
        Ok(template) => {
            // miniflare keeps the database in WAL mode: the -wal file holds
            // the migrations until a checkpoint, so it travels with the file.
            let src = connvo_e2e::d1::d1_file(Path::new(&template));
            std::fs::copy(&src, &file).expect("copy the template D1");
            let wal = PathBuf::from(format!("{}-wal", src.display()));
            if wal.exists() {
                std::fs::copy(&wal, dir.path().join(format!("{name}.sqlite-wal")))
                    .expect("copy the template's WAL");
            }
        }
        Err(_) => {
            // Running alone: apply d1-migrations/ the way wrangler does, file by file.
            let conn = Connection::open(&file).unwrap();
            let mut files: Vec<_> = std::fs::read_dir(repo_root().join("d1-migrations"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            for f in files
                .iter()
                .filter(|f| f.extension().is_some_and(|x| x == "sql"))
            {
                conn.execute_batch(&std::fs::read_to_string(f).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            }
        }
    }
    file
}

fn command(workos: &FakeWorkos, legacy: &str, d1: &Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_connvo-migrate"));
    cmd.args(args)
        .arg("--legacy")
        .arg(legacy)
        .arg("--d1-file")
        .arg(d1)
        .env("WORKOS_API_BASE", workos.base_url())
        .env("WORKOS_API_KEY", API_KEY)
        .kill_on_drop(true);
    cmd
}

async fn run(workos: &FakeWorkos, legacy: &str, d1: &Path, args: &[&str]) -> (i32, String) {
    let out: Output = command(workos, legacy, d1, args)
        .output()
        .await
        .expect("run connvo-migrate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Every imported row and the id map, as text, for comparing two D1s.
fn dump(d1: &Path) -> String {
    let conn = Connection::open(d1).unwrap();
    let mut out = String::new();
    for (table, order) in [
        ("users", "id"),
        ("profiles", "user_id"),
        ("interests", "key"),
        ("user_interests", "user_id, interest_key"),
        ("connections", "id"),
        ("meetings", "id"),
        ("meeting_participants", "meeting_id, user_id"),
        ("messages", "meeting_id, seq"),
        ("legacy_id_map", "legacy_table, legacy_id"),
        ("legacy_import_issues", "legacy_table, legacy_id"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let rows = stmt
            .query_map([], |r| {
                Ok(names
                    .iter()
                    .enumerate()
                    // The bookkeeping's own clock differs between runs.
                    .filter(|(_, n)| {
                        !(table.starts_with("legacy_")
                            && (n.ends_with("created_at")
                                || n.ends_with("updated_at") && *n != "source_updated_at"))
                    })
                    .map(|(i, n)| format!("{n}={:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join(" "))
            })
            .unwrap();
        for r in rows {
            out.push_str(&format!("{table}: {}\n", r.unwrap()));
        }
    }
    out
}

fn query_one(d1: &Path, sql: &str) -> String {
    let conn = Connection::open(d1).unwrap();
    conn.query_row(sql, [], |r| {
        r.get::<_, rusqlite::types::Value>(0)
            .map(|v| format!("{v:?}"))
    })
    .unwrap_or_else(|e| format!("error: {e}"))
}

/// The rows the fixture's defects must flag, by (table, legacy id, kind).
const FLAGGED: &[(&str, &str, &str)] = &[
    (
        "connections",
        "20000000-0000-4000-8000-000000000002",
        "schema_violation",
    ),
    (
        "connections",
        "20000000-0000-4000-8000-000000000003",
        "schema_violation",
    ),
    (
        "meeting_participants",
        "40000000-0000-4000-8000-000000000003",
        "duplicate_key",
    ),
    (
        "meeting_participants",
        "40000000-0000-4000-8000-000000000006",
        "orphan",
    ),
    (
        "meeting_participants",
        "40000000-0000-4000-8000-000000000007",
        "orphan",
    ),
    (
        "profiles",
        "10000000-0000-4000-8000-000000000002",
        "merged_account_profile",
    ),
    (
        "user_interests",
        "00000000-0000-4000-8000-000000000002/1",
        "duplicate_key",
    ),
    (
        "users",
        "00000000-0000-4000-8000-000000000002",
        "duplicate_email",
    ),
    (
        "users",
        "00000000-0000-4000-8000-000000000004",
        "no_workos_identity",
    ),
];

fn assert_clean_with_the_fixture_flags(out: &str) {
    assert!(out.contains("parity: clean"), "parity not clean:\n{out}");
    let flagged: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("FLAGGED"))
        .collect();
    assert_eq!(
        flagged.len(),
        FLAGGED.len(),
        "flagged rows:\n{}",
        flagged.join("\n")
    );
    for (table, id, kind) in FLAGGED {
        let line = format!("FLAGGED {table} {id} [{kind}]");
        assert!(out.contains(&line), "missing `{line}` in:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_defect_laden_fixture_imports_with_clean_parity_except_the_listed_orphans() {
    let (url, _pg) = legacy_db("import").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");

    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");
    assert_clean_with_the_fixture_flags(&out);

    // Identities: WorkOS ids by folded email; the duplicate merged; the unknown provisional.
    assert_eq!(
        query_one(&d1, "SELECT email FROM users WHERE id = 'user_01BEN'"),
        "Text(\"ben@example.com\")"
    );
    assert_eq!(query_one(&d1, "SELECT COUNT(*) FROM users"), "Integer(5)");
    assert_eq!(
        query_one(
            &d1,
            "SELECT id FROM users WHERE email = 'chloe@example.com'"
        ),
        "Text(\"legacy_00000000-0000-4000-8000-000000000004\")"
    );
    // The duplicate account's message is kept, attributed to the merged user, in order.
    assert_eq!(
        query_one(&d1, "SELECT group_concat(seq || ':' || user_id, ',') FROM (SELECT * FROM messages WHERE meeting_id = '30000000-0000-4000-8000-000000000001' ORDER BY seq)"),
        "Text(\"0:user_01ANA,1:user_01BEN,2:user_01ANA\")"
    );
    // Zoned times are unix ms: 15:31:12.345+05:30 is 10:01:12.345Z.
    assert_eq!(
        query_one(
            &d1,
            "SELECT concluded_at FROM meetings WHERE id = '30000000-0000-4000-8000-000000000001'"
        ),
        "Integer(1709287272345)"
    );
    // The triggers kept the participant count of what was imported.
    assert_eq!(query_one(&d1, "SELECT participant_count FROM meetings WHERE id = '30000000-0000-4000-8000-000000000001'"), "Integer(2)");
    // Nothing is dropped: a flagged row keeps its old row.
    assert!(query_one(&d1, "SELECT row_json FROM legacy_import_issues WHERE legacy_id = '40000000-0000-4000-8000-000000000006'").contains("3dead000"));
    // L1: reads of the migrated modules stay on the old backend until cutover.
    assert_eq!(
        query_one(
            &d1,
            "SELECT group_concat(key || '=' || enabled, ',') FROM (SELECT * FROM feature_flags WHERE env = 'local' AND key LIKE 'migration.read.%' ORDER BY key)"
        ),
        "Text(\"migration.read.connections=0,migration.read.meetings=0,migration.read.profiles=0\")"
    );

    // verify alone agrees, and a second import is a no-op that changes nothing.
    let before = dump(&d1);
    let (code, out) = run(&workos, &url, &d1, &["verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert_clean_with_the_fixture_flags(&out);
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(dump(&d1), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_stopped_mid_way_resumes_to_the_same_result() {
    let (url, _pg) = legacy_db("resume").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let straight = fresh_d1(&dir, "d1");
    let (code, out) = run(&workos, &url, &straight, &["import", "--batch-size", "2"]).await;
    assert_eq!(code, 0, "{out}");

    let resumed = fresh_d1(&dir, "resumed");
    let mut stops = 0;
    loop {
        let (code, out) = run(
            &workos,
            &url,
            &resumed,
            &["import", "--batch-size", "2", "--stop-after", "3"],
        )
        .await;
        if out.contains("stopped after 3 batches") {
            assert_eq!(code, 0, "{out}");
            stops += 1;
            assert!(stops < 50, "never finished");
            continue;
        }
        assert_eq!(code, 0, "{out}");
        assert_clean_with_the_fixture_flags(&out);
        break;
    }
    assert!(
        stops >= 5,
        "only {stops} interruptions: the test would not show resumption"
    );
    assert_eq!(dump(&resumed), dump(&straight));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_mid_batch_resumes_without_duplicates_or_gaps() {
    let (url, _pg) = legacy_db("kill").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let straight = fresh_d1(&dir, "d1");
    let (code, out) = run(&workos, &url, &straight, &["import", "--batch-size", "1"]).await;
    assert_eq!(code, 0, "{out}");

    let killed = fresh_d1(&dir, "killed");
    let mut child = command(
        &workos,
        &url,
        &killed,
        &["import", "--batch-size", "1", "--throttle-ms", "40"],
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // Kill it once it is well into the tables (about 15 of the 40 rows).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n = query_one(
            &killed,
            "SELECT COALESCE(SUM(rows_read), 0) FROM legacy_checkpoints",
        );
        if n.trim_start_matches("Integer(")
            .trim_end_matches(')')
            .parse::<i64>()
            .unwrap_or(0)
            >= 15
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import made no progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().await.unwrap(); // SIGKILL
    assert!(
        query_one(&killed, "SELECT COUNT(*) FROM legacy_checkpoints WHERE import_completed_at IS NOT NULL AND legacy_table = 'messages'") == "Integer(0)",
        "the kill came too late to interrupt anything"
    );
    let (code, out) = run(&workos, &url, &killed, &["import", "--batch-size", "1"]).await;
    assert_eq!(code, 0, "{out}");
    assert_clean_with_the_fixture_flags(&out);
    assert_eq!(dump(&killed), dump(&straight));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_carries_inserts_updates_and_deletes_made_after_the_import() {
    let (url, pg) = legacy_db("sync").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");

    // The old app keeps writing.
    workos.add("user_01FAY", "fay@example.com");
    pg.batch_execute(
        "INSERT INTO users (id, email, full_name) VALUES ('00000000-0000-4000-8000-00000000000f', 'Fay@Example.com', 'Fay Wong');
         INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ('30000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-00000000000f', 'guest');
         INSERT INTO messages (id, meeting_id, sender_id, content) VALUES ('50000000-0000-4000-8000-00000000000f', '30000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-00000000000f', 'Hi all, Fay here');
         UPDATE meetings SET title = 'Design review (v2)', status = 'ended', ended_at = now(), updated_at = now() WHERE id = '30000000-0000-4000-8000-000000000002';
         UPDATE profiles SET headline = 'Staff ML engineer', updated_at = now() WHERE id = '10000000-0000-4000-8000-000000000001';
         DELETE FROM messages WHERE id = '50000000-0000-4000-8000-000000000004';
         DELETE FROM user_interests WHERE user_id = '00000000-0000-4000-8000-000000000003' AND interest_id = 3;
         DELETE FROM connections WHERE id = '20000000-0000-4000-8000-000000000005';",
    )
    .await
    .unwrap();

    let (code, out) = run(&workos, &url, &d1, &["sync", "--verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert_clean_with_the_fixture_flags(&out);

    // Inserts.
    assert_eq!(
        query_one(&d1, "SELECT email FROM users WHERE id = 'user_01FAY'"),
        "Text(\"fay@example.com\")"
    );
    assert_eq!(
        query_one(&d1, "SELECT seq || ':' || content FROM messages WHERE id = '50000000-0000-4000-8000-00000000000f'"),
        "Text(\"2:Hi all, Fay here\")",
        "the new message takes the meeting's next seq"
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT role FROM meeting_participants WHERE user_id = 'user_01FAY'"
        ),
        "Text(\"participant\")"
    );
    // Updates.
    assert_eq!(
        query_one(&d1, "SELECT title || '|' || state FROM meetings WHERE id = '30000000-0000-4000-8000-000000000002'"),
        "Text(\"Design review (v2)|concluded\")"
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT headline FROM profiles WHERE user_id = 'user_01ANA'"
        ),
        "Text(\"Staff ML engineer\")"
    );
    // Deletes.
    assert_eq!(
        query_one(
            &d1,
            "SELECT COUNT(*) FROM messages WHERE id = '50000000-0000-4000-8000-000000000004'"
        ),
        "Integer(0)"
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT COUNT(*) FROM user_interests WHERE user_id = 'user_01BEN'"
        ),
        "Integer(0)"
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT COUNT(*) FROM connections WHERE id = '20000000-0000-4000-8000-000000000005'"
        ),
        "Integer(0)"
    );
    assert_eq!(
        query_one(&d1, "SELECT status FROM legacy_id_map WHERE legacy_id = '50000000-0000-4000-8000-000000000004'"),
        "Text(\"deleted\")"
    );

    // Repeatable: a second sync with nothing new changes nothing.
    let before = dump(&d1);
    let (code, out) = run(&workos, &url, &d1, &["sync"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(dump(&d1), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn l4_a_provisional_user_moves_to_the_workos_id_once_workos_knows_the_email() {
    let (url, _pg) = legacy_db("rekey").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");
    let provisional = "legacy_00000000-0000-4000-8000-000000000004";
    assert_eq!(
        query_one(
            &d1,
            "SELECT id FROM users WHERE email = 'chloe@example.com'"
        ),
        format!("Text(\"{provisional}\")")
    );
    let references = "SELECT (SELECT COUNT(*) FROM profiles WHERE user_id = ?1) || '/' || \
         (SELECT COUNT(*) FROM user_interests WHERE user_id = ?1) || '/' || \
         (SELECT COUNT(*) FROM connections WHERE requester_id = ?1 OR addressee_id = ?1)";
    let before = query_one(&d1, &references.replace("?1", &format!("'{provisional}'")));
    assert_ne!(
        before, "Text(\"0/0/0\")",
        "the fixture gives Chloé rows to move"
    );

    // Chloé signs up with WorkOS; the next sync moves her.
    workos.add("user_01CHL", "Chloe@Example.com");
    let (code, out) = run(&workos, &url, &d1, &["sync", "--verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("re-keyed: legacy user 00000000-0000-4000-8000-000000000004 from {provisional} to user_01CHL")),
        "{out}"
    );
    assert!(out.contains("parity: clean"), "{out}");
    assert_eq!(
        query_one(
            &d1,
            "SELECT id FROM users WHERE email = 'chloe@example.com'"
        ),
        "Text(\"user_01CHL\")"
    );
    assert_eq!(
        query_one(
            &d1,
            &format!("SELECT COUNT(*) FROM users WHERE id = '{provisional}'")
        ),
        "Integer(0)"
    );
    // Every row that was hers is hers under the new id; none was lost.
    assert_eq!(
        query_one(&d1, &references.replace("?1", "'user_01CHL'")),
        before
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT status || ':' || new_key FROM legacy_id_map WHERE legacy_table = 'users' AND legacy_id = '00000000-0000-4000-8000-000000000004'"
        ),
        "Text(\"imported:user_01CHL\")"
    );
    assert_eq!(
        query_one(
            &d1,
            &format!("SELECT COUNT(*) FROM legacy_id_map WHERE new_key LIKE '%{provisional}%'")
        ),
        "Integer(0)"
    );
    assert_ne!(
        query_one(
            &d1,
            "SELECT COALESCE(resolved_at, 0) FROM legacy_import_issues WHERE legacy_table = 'users' AND legacy_id = '00000000-0000-4000-8000-000000000004'"
        ),
        "Integer(0)"
    );
    // A further pass finds nothing to move and changes nothing.
    let settled = dump(&d1);
    let (code, out) = run(&workos, &url, &d1, &["sync"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("re-keyed"), "{out}");
    assert_eq!(dump(&d1), settled);
}

/// One value from the old store, as text.
async fn pg_one(pg: &tokio_postgres::Client, sql: &str) -> String {
    let row = pg
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    row.get::<_, Option<String>>(0)
        .unwrap_or_else(|| "NULL".into())
}

#[tokio::test(flavor = "multi_thread")]
async fn l5_rollback_replays_what_the_new_store_changed_after_cutover_into_the_old_one() {
    let (url, pg) = legacy_db("rollback").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");

    // Cutover at T; then the new app writes (as its handlers would).
    let t: i64 = 1_800_000_000_000;
    Connection::open(&d1)
        .unwrap()
        .execute_batch(&format!(
            "UPDATE meetings SET title = 'Design review (after cutover)', updated_at = {t} + 1000
               WHERE id = '30000000-0000-4000-8000-000000000002';
             INSERT INTO users (id, email, display_name, created_at, updated_at)
               VALUES ('user_01NEW', 'new@example.com', 'Nia New', {t} + 10, {t} + 10);
             INSERT INTO profiles (user_id, display_name, experience, skills, languages, created_at, updated_at)
               VALUES ('user_01NEW', 'Nia New', 'PM at Acme', '[\"roadmaps\"]', '[\"en\"]', {t} + 11, {t} + 11);
             INSERT INTO user_interests (user_id, interest_key, created_at)
               VALUES ('user_01NEW', 'distributed-systems', {t} + 12);
             INSERT INTO meetings (id, organizer_id, title, scheduled_at, state, created_at, updated_at)
               VALUES ('mtg_after', 'user_01ANA', 'Retro', {t} + 86400000, 'scheduled', {t} + 20, {t} + 20);
             INSERT INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at) VALUES
               ('mtg_after', 'user_01ANA', 'host', {t} + 21, {t} + 21),
               ('mtg_after', 'user_01NEW', 'cohost', {t} + 21, {t} + 21);
             INSERT INTO messages (meeting_id, seq, id, user_id, content, created_at)
               VALUES ('mtg_after', 0, 'cli-msg-1', 'user_01NEW', 'Agenda coming', {t} + 30);
             DELETE FROM connections WHERE id = '20000000-0000-4000-8000-000000000001';"
        ))
        .unwrap();

    let since = t.to_string();
    let (code, out) = run(
        &workos,
        &url,
        &d1,
        &["rollback", "--since", &since, "--dry-run"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("dry run, nothing written"), "{out}");
    assert_eq!(
        pg_one(&pg, "SELECT COUNT(*)::text FROM meetings").await,
        "4"
    );

    let (code, out) = run(&workos, &url, &d1, &["rollback", "--since", &since]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("replayed into the old store"), "{out}");
    assert!(out.contains("role cohost has no old value"), "{out}");
    assert_eq!(
        pg_one(
            &pg,
            "SELECT title FROM meetings WHERE id = '30000000-0000-4000-8000-000000000002'"
        )
        .await,
        "Design review (after cutover)"
    );
    assert_eq!(
        pg_one(&pg, "SELECT full_name || '|' || COALESCE(auth_id::text, 'no auth') FROM users WHERE email = 'new@example.com'").await,
        "Nia New|no auth"
    );
    assert_eq!(
        pg_one(&pg, "SELECT p.job_title || '|' || p.company || '|' || array_to_string(p.skills, ',') FROM profiles p JOIN users u ON u.id = p.user_id WHERE u.email = 'new@example.com'").await,
        "PM|Acme|roadmaps"
    );
    assert_eq!(
        pg_one(&pg, "SELECT i.name FROM user_interests ui JOIN interests i ON i.id = ui.interest_id JOIN users u ON u.id = ui.user_id WHERE u.email = 'new@example.com'").await,
        "Distributed systems"
    );
    assert_eq!(
        pg_one(&pg, "SELECT m.status::text || '|' || h.email || '|' || (SELECT string_agg(p.role::text, ',' ORDER BY p.role) FROM meeting_participants p WHERE p.meeting_id = m.id) FROM meetings m JOIN users h ON h.id = m.host_id WHERE m.title = 'Retro'").await,
        "scheduled|ana@example.com|host,guest"
    );
    assert_eq!(
        pg_one(&pg, "SELECT msg.content || '|' || u.email || '|' || to_char(msg.created_at, 'YYYY-MM-DD HH24:MI:SS') FROM messages msg JOIN users u ON u.id = msg.sender_id WHERE msg.content = 'Agenda coming'").await,
        "Agenda coming|new@example.com|2027-01-15 08:00:00"
    );
    assert_eq!(
        pg_one(&pg, "SELECT COUNT(*)::text FROM connections WHERE id = '20000000-0000-4000-8000-000000000001'").await,
        "0"
    );

    // Running it again writes the same rows: nothing doubles.
    let counts = "SELECT (SELECT COUNT(*) FROM users) || '/' || (SELECT COUNT(*) FROM profiles) || '/' || \
        (SELECT COUNT(*) FROM user_interests) || '/' || (SELECT COUNT(*) FROM interests) || '/' || \
        (SELECT COUNT(*) FROM meetings) || '/' || (SELECT COUNT(*) FROM meeting_participants) || '/' || \
        (SELECT COUNT(*) FROM messages) || '/' || (SELECT COUNT(*) FROM connections)";
    let before = pg_one(&pg, counts).await;
    let (code, out) = run(&workos, &url, &d1, &["rollback", "--since", &since]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(pg_one(&pg, counts).await, before);

    // The next attempt starts with `sync`: the replayed rows map onto the
    // D1 rows they came from (the minted ids are in the id map).
    workos.add("user_01NEW", "new@example.com");
    let d1_users = query_one(&d1, "SELECT COUNT(*) FROM users");
    let (code, out) = run(&workos, &url, &d1, &["sync", "--verify"]).await;
    assert_eq!(
        query_one(&d1, "SELECT COUNT(*) FROM users"),
        d1_users,
        "{out}"
    );
    assert_eq!(
        query_one(&d1, "SELECT COUNT(*) FROM meetings WHERE title = 'Retro'"),
        "Integer(1)",
        "{out}"
    );
    assert_eq!(code, 0, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_fails_on_a_planted_discrepancy_and_names_it() {
    let (url, _pg) = legacy_db("verify").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");

    Connection::open(&d1)
        .unwrap()
        .execute_batch(
            "UPDATE messages SET content = 'tampered' WHERE id = '50000000-0000-4000-8000-000000000002';
             DELETE FROM connections WHERE id = '20000000-0000-4000-8000-000000000004';",
        )
        .unwrap();
    let (code, out) = run(&workos, &url, &d1, &["verify"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("parity: 2 discrepancies"), "{out}");
    assert!(
        out.contains("DISCREPANCY messages 30000000-0000-4000-8000-000000000001/1: content: old store implies \"Hi Ana 👋\", D1 has \"tampered\""),
        "{out}"
    );
    assert!(
        out.contains(
            "DISCREPANCY connections 20000000-0000-4000-8000-000000000004: missing from D1"
        ),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_refuses_a_d1_with_live_writes_unless_told_to_merge() {
    let (url, _pg) = legacy_db("live").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");
    Connection::open(&d1)
        .unwrap()
        .execute_batch("INSERT INTO users (id, email, created_at, updated_at) VALUES ('user_01NEWAPP', 'new@example.com', 1, 1)")
        .unwrap();
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("live writes") && out.contains("users: 1"),
        "{out}"
    );
    assert_eq!(
        query_one(&d1, "SELECT COUNT(*) FROM legacy_id_map"),
        "Integer(0)",
        "nothing written after a refusal"
    );

    let (code, out) = run(&workos, &url, &d1, &["import", "--merge"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("DISCREPANCY users user_01NEWAPP: in D1 but not in the old store"),
        "{out}"
    );
    assert_eq!(query_one(&d1, "SELECT COUNT(*) FROM users"), "Integer(6)");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_prints_the_mapping_and_finds_every_old_column_mapped() {
    let (url, _pg) = legacy_db("plan").await;
    let workos = FakeWorkos::for_fixture().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_connvo-migrate"))
        .args(["plan", "--legacy", &url])
        .env("WORKOS_API_BASE", workos.base_url())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.starts_with(&connvo_migrate::spec::render_markdown()),
        "{text}"
    );
    assert!(
        text.contains("every old column is mapped or listed as not carried"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_interest_the_seeded_catalogue_already_has_maps_onto_it() {
    let (url, _pg) = legacy_db("catalogue").await;
    let workos = FakeWorkos::for_fixture().await;
    let dir = TempDir::new("connvo-migrate");
    let d1 = fresh_d1(&dir, "d1");
    // What a D1 migration seeds (the interest catalogue) is neither a live
    // write nor something to collide with.
    Connection::open(&d1)
        .unwrap()
        .execute_batch(
            "INSERT INTO interests (key, label, category, created_at, updated_at) VALUES
               ('rock-climbing', 'Climbing', 'sports', 1, 1), ('rust', 'Rust', 'engineering', 1, 1)
             ON CONFLICT (key) DO NOTHING",
        )
        .unwrap();
    let (code, out) = run(&workos, &url, &d1, &["import"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("parity: clean"), "{out}");
    assert!(
        out.contains("FLAGGED interests 3 [catalogue_match]"),
        "{out}"
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT label FROM interests WHERE key = 'rock-climbing'"
        ),
        "Text(\"Climbing\")",
        "the catalogue's row is kept as it is"
    );
    assert_eq!(
        query_one(
            &d1,
            "SELECT interest_key FROM user_interests WHERE user_id = 'user_01BEN'"
        ),
        "Text(\"rock-climbing\")",
        "the old user interest points at the catalogue's key"
    );
}
