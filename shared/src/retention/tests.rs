use super::*;
use crate::sql::SqlValue;
use rusqlite::{params_from_iter, types::Value, Connection};

const NOW: i64 = 400 * DAY_MS;

fn names(batches: &[Batch]) -> Vec<&'static str> {
    batches.iter().map(|b| b.statement.name).collect()
}

#[test]
fn p13_the_default_schedule_matches_section_14() {
    let p = Policy::default();
    assert_eq!(p.days(DataClass::TranscriptChunks), Some(90));
    assert_eq!(p.days(DataClass::TranscriptSegments), Some(365));
    assert_eq!(p.days(DataClass::NoteOps), Some(90));
    assert_eq!(p.days(DataClass::Notes), Some(365));
    assert_eq!(p.days(DataClass::Messages), Some(90));
    assert_eq!(p.days(DataClass::Prompts), Some(365));
    assert_eq!(p.days(DataClass::Insights), Some(365));
    assert_eq!(p.days(DataClass::AuditLogs), Some(365));
    assert_eq!(p.days(DataClass::Recordings), None, "recordings are kept");
    let batches = plan(&p, NOW, 100);
    // Every class but recordings has one batch.
    assert_eq!(batches.len(), DataClass::ALL.len() - 1);
    let chunks = &batches[0];
    assert_eq!(chunks.statement.name, "RETENTION_HELD_PURGE_TRANSCRIPTS");
    assert_eq!(
        chunks.statement.params,
        vec![SqlValue::Integer(NOW - 90 * DAY_MS), SqlValue::Integer(100)]
    );
    assert!(names(&batches).contains(&"IDEMPOTENCY_PURGE_EXPIRED"));
}

#[test]
fn p14_policies_are_bounded() {
    let mut p = Policy::default();
    assert_eq!(
        p.set(DataClass::TranscriptChunks, Some(10)),
        Err(PolicyError::OutOfRange {
            class: DataClass::TranscriptChunks,
            days: 10
        })
    );
    assert!(p.set(DataClass::TranscriptChunks, Some(30)).is_ok());
    assert!(p.set(DataClass::AuditLogs, Some(30)).is_err());
    assert!(p.set(DataClass::IdempotencyKeys, Some(5)).is_err());
    assert!(p.set(DataClass::Notes, None).is_ok());
    assert!(!names(&plan(&p, NOW, 10)).contains(&"RETENTION_HELD_PURGE_MEETING_NOTES"));
    for c in DataClass::ALL {
        assert_eq!(DataClass::parse(c.as_str()), Some(c));
    }
}

#[test]
fn p16_org_message_overrides_get_their_own_batches() {
    let mut p = Policy::default();
    p.set_org_messages("org_long", 365).unwrap();
    p.set_org_messages("org_short", 7).unwrap();
    assert!(p.set_org_messages("", 7).is_err());
    assert!(p.set_org_messages("org_x", 0).is_err());
    let batches = plan(&p, NOW, 50);
    let default = batches
        .iter()
        .find(|b| b.statement.name == "RETENTION_HELD_PURGE_MESSAGES")
        .unwrap();
    assert_eq!(
        default.statement.params[2],
        SqlValue::Text(r#"["org_long","org_short"]"#.into())
    );
    let per_org: Vec<_> = batches
        .iter()
        .filter(|b| b.statement.name == "RETENTION_HELD_PURGE_MESSAGES_FOR_ORG")
        .collect();
    assert_eq!(per_org.len(), 2);
    assert_eq!(
        per_org[1].statement.params[0],
        SqlValue::Integer(NOW - 7 * DAY_MS)
    );
    // Keeping messages forever by default still honours the org overrides.
    p.set(DataClass::Messages, None).unwrap();
    let n = names(&plan(&p, NOW, 50));
    assert!(!n.contains(&"RETENTION_HELD_PURGE_MESSAGES"));
    assert_eq!(
        n.iter()
            .filter(|x| **x == "RETENTION_HELD_PURGE_MESSAGES_FOR_ORG")
            .count(),
        2
    );
}

#[test]
fn p17_p18_the_run_repeats_full_batches_and_stops_at_its_budget() {
    let batches = plan(&Policy::default(), NOW, 10);
    let total = batches.len();
    let mut run = RetentionRun::new(batches, 5);
    assert_eq!(
        run.next_statement().unwrap().name,
        "RETENTION_HELD_PURGE_TRANSCRIPTS"
    );
    run.record(10); // full: again
    assert_eq!(
        run.next_statement().unwrap().name,
        "RETENTION_HELD_PURGE_TRANSCRIPTS"
    );
    run.record(3); // short: next class
    assert_eq!(
        run.next_statement().unwrap().name,
        "RETENTION_HELD_PURGE_TRANSCRIPT_SEGMENTS"
    );
    run.record(0);
    run.record(10);
    run.record(10);
    assert!(run.next_statement().is_none(), "budget of 5 statements");
    let report = run.report();
    assert!(!report.complete);
    assert_eq!(report.statements_run, 5);
    assert_eq!(report.deleted[&DataClass::TranscriptChunks], 13);
    assert_eq!(report.deleted[&DataClass::NoteOps], 20);

    let mut run = RetentionRun::new(plan(&Policy::default(), NOW, 10), 1000);
    while run.next_statement().is_some() {
        run.record(0);
    }
    assert!(run.report().complete);
    assert_eq!(run.report().statements_run as usize, total);
}

// --- against a real SQLite with the D1 migrations ---------------------------

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "sql"))
    {
        conn.execute_batch(&std::fs::read_to_string(f).unwrap())
            .unwrap();
    }
    conn
}

fn run(conn: &Connection, s: &Statement) -> usize {
    let values = s.params.iter().map(|v| match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(r) => Value::Real(*r),
        SqlValue::Text(t) => Value::Text(t.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
    });
    conn.execute(s.sql, params_from_iter(values)).unwrap()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn p15_retention_deletes_expired_rows_and_keeps_held_ones() {
    let conn = db();
    conn.execute_batch(
        "INSERT INTO users (id, created_at, updated_at) VALUES ('u1', 0, 0), ('u2', 0, 0), ('u3', 0, 0);
         INSERT INTO meetings (id, org_id, title, scheduled_at, created_at, updated_at) VALUES
           ('m_free', 'org_a', 't', 0, 0, 0), ('m_held', 'org_a', 't', 0, 0, 0),
           ('m_user_held', 'org_a', 't', 0, 0, 0), ('m_long', 'org_long', 't', 0, 0, 0);
         INSERT INTO meeting_participants (meeting_id, user_id, created_at, updated_at) VALUES
           ('m_free', 'u1', 0, 0), ('m_user_held', 'u2', 0, 0), ('m_user_held', 'u1', 0, 0);
         INSERT INTO messages (meeting_id, seq, id, user_id, content, created_at) VALUES
           ('m_free', 1, 'a', 'u1', 'old', 0), ('m_free', 2, 'b', 'u1', 'new', 34560000000),
           ('m_held', 1, 'c', 'u1', 'old', 0), ('m_user_held', 1, 'd', 'u1', 'old', 0),
           ('m_free', 3, 'e', 'u3', 'old but u3 held', 0), ('m_long', 1, 'f', 'u1', 'old', 0);
         INSERT INTO legal_holds (id, scope, subject_id, reason, created_at, updated_at) VALUES
           ('h1', 'meeting', 'm_held', 'litigation', 0, 0),
           ('h2', 'user', 'u2', 'litigation', 0, 0),
           ('h3', 'user', 'u3', 'litigation', 0, 0),
           ('h4', 'meeting', 'm_free', 'released', 0, 0);
         UPDATE legal_holds SET released_at = 1 WHERE id = 'h4';",
    )
    .unwrap();
    let mut policy = Policy::default();
    policy.set_org_messages("org_long", 3650).unwrap();
    let mut retention = RetentionRun::new(plan(&policy, NOW, 2), 100);
    while let Some(s) = retention.next_statement().cloned() {
        let changes = run(&conn, &s);
        retention.record(changes as u64);
    }
    let report = retention.report();
    assert!(report.complete);
    assert_eq!(report.deleted[&DataClass::Messages], 1);
    let left: Vec<String> = conn
        .prepare("SELECT id FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // 'a' expired and free: gone. 'b' is recent; 'c' meeting hold; 'd' a held
    // user took part; 'e' written by a held user; 'f' org_long keeps 10 years.
    assert_eq!(left, ["b", "c", "d", "e", "f"]);
    // Releasing the holds lets the next run delete.
    conn.execute_batch("UPDATE legal_holds SET released_at = 2")
        .unwrap();
    let mut retention = RetentionRun::new(plan(&policy, NOW, 2), 100);
    while let Some(s) = retention.next_statement().cloned() {
        let changes = run(&conn, &s);
        retention.record(changes as u64);
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM messages"), 2);
}
