//! The room's flush rows against the real D1 schema: every migration in
//! `d1-migrations/` applied to SQLite with foreign keys on (as D1 runs),
//! then the statements of real flush batches executed — twice, because a
//! retried flush must write nothing twice.

mod room_support;

use connvo_shared::acl::{MeetingRole, MeetingState};
use connvo_shared::room::{FlushBatch, RoomConfig, SqlValue, TranscriptInput};
use room_support::sqlite::d1;
use room_support::*;
use rusqlite::{params, Connection};
use serde_json::json;

fn seed(db: &Connection) {
    for user in ["alice", "bob"] {
        db.execute(
            "INSERT INTO users (id, created_at, updated_at) VALUES (?1, 0, 0)",
            params![user],
        )
        .unwrap();
    }
    db.execute(
        "INSERT INTO meetings (id, organizer_id, title, scheduled_at, state, started_at, created_at, updated_at)
         VALUES (?1, 'alice', 'Intro', 0, 'active', 1, 0, 0)",
        params![MEETING],
    )
    .unwrap();
}

fn to_sql(value: &SqlValue) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(v) => Value::Integer(*v),
        SqlValue::Real(v) => Value::Real(*v),
        SqlValue::Text(v) => Value::Text(v.clone()),
        SqlValue::Blob(v) => Value::Blob(v.clone()),
    }
}

/// Runs a batch as D1 would (one transaction); returns the rows changed.
fn apply(db: &mut Connection, batch: &FlushBatch, now_ms: u64) -> usize {
    let tx = db.transaction().unwrap();
    let mut changed = 0;
    for statement in batch.statements(now_ms).unwrap() {
        let params: Vec<_> = statement.params.iter().map(to_sql).collect();
        changed += tx
            .execute(statement.sql, rusqlite::params_from_iter(params))
            .unwrap_or_else(|e| panic!("{}: {e}", statement.name));
    }
    tx.commit().unwrap();
    changed
}

fn count(db: &Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn flush_rows_fit_the_d1_tables_and_retries_write_nothing() {
    let mut db = d1();
    seed(&db);
    let config = RoomConfig {
        flush_max_rows: 3,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", MeetingRole::Host);
    shell.join("b", "bob", MeetingRole::Participant);
    for i in 0..4u64 {
        shell.json(
            "a",
            json!({"type": "notes.op", "client_seq": i + 1, "base_version": i, "op": [i as usize, "😀"]}),
        );
        // Chunks straddle a 5-minute bucket boundary (T0 + 100 s is one).
        shell.json(
            "b",
            chunk_json(&format!("words {i}"), T0 + 99_000 + i * 1000, i != 2),
        );
        shell.json(
            "b",
            json!({"type": "chat.send", "client_ref": format!("r{i}"), "text": "hi 'there'"}),
        );
    }
    shell
        .room
        .append_server_transcript(
            shell.now,
            TranscriptInput {
                speaker_id: Some("provisional-1".into()),
                text: "caption".into(),
                confidence: 1.0,
                start_ms: T0,
                end_ms: T0,
                is_final: true,
                language: Some("en".into()),
            },
        )
        .unwrap();
    shell.drain();
    shell
        .room
        .set_meeting_state(shell.now + 10, MeetingState::Concluded)
        .unwrap();
    shell.drain();
    let mut rounds = 0;
    while !shell.flushes.is_empty() {
        let batch = shell.flushes.remove(0);
        rounds += 1;
        assert!(rounds < 10, "flushing does not converge");
        let written = apply(&mut db, &batch, shell.now);
        assert!(written > 0);
        // The same batch again: every row collides on its natural key. Only
        // the meeting_state upserts may rewrite (their own, equal) values.
        let tables = [
            "transcripts",
            "note_ops",
            "messages",
            "meeting_notes",
            "meeting_state",
        ];
        let before: Vec<i64> = tables.iter().map(|t| count(&db, t)).collect();
        let again = apply(&mut db, &batch, shell.now);
        let after: Vec<i64> = tables.iter().map(|t| count(&db, t)).collect();
        assert_eq!(before, after);
        assert!(
            again <= 2 * usize::from(batch.activity.is_some()),
            "{again}"
        );
        shell.room.flush_done(shell.now, batch.upto).unwrap();
        shell.drain();
    }
    assert!(!shell.room.has_unflushed());
    assert_eq!(count(&db, "transcripts"), 5);
    assert_eq!(count(&db, "note_ops"), 4);
    assert_eq!(count(&db, "messages"), 4);
    let (content, version): (String, i64) = db
        .query_row(
            "SELECT content, version FROM meeting_notes WHERE meeting_id = ?1",
            params![MEETING],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((content.as_str(), version), ("😀😀😀😀", 4));
    let buckets: Vec<(i64, i64)> = db
        .prepare("SELECT seq, bucket_ms FROM transcripts ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(buckets.iter().all(|(_, b)| b % 300_000 == 0));
    assert_ne!(
        buckets[0].1, buckets[1].1,
        "chunks 1 and 2 fall in different buckets"
    );
    let (kind, source): (String, String) = db
        .query_row(
            "SELECT kind, source FROM transcripts WHERE seq = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), source.as_str()), ("interim", "client"));
    let stream_source: String = db
        .query_row("SELECT source FROM transcripts WHERE seq = 5", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stream_source, "stream");
    let (active, ended, stats, lull, topics): (i64, Option<i64>, String, String, String) = db
        .query_row(
            "SELECT active, ended_at, speaking_stats, lull_state, topics FROM meeting_state
             WHERE meeting_id = ?1",
            params![MEETING],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(active, 0);
    assert!(ended.is_some());
    // The in-call detectors' columns (docs/intelligence.md, I2 and I25).
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(
        stats["speakers"]["bob"]["speaking_ms"], 3000,
        "final chunks only"
    );
    let lull: serde_json::Value = serde_json::from_str(&lull).unwrap();
    assert!(lull["gate"]["shed"].is_u64(), "{lull}");
    let topics: serde_json::Value = serde_json::from_str(&topics).unwrap();
    assert!(topics.is_array());
}

#[test]
fn an_older_notes_flush_never_overwrites_a_newer_document() {
    let mut db = d1();
    seed(&db);
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", MeetingRole::Host);
    shell.json(
        "a",
        json!({"type": "notes.op", "client_seq": 1, "base_version": 0, "op": ["one"]}),
    );
    shell.advance(5_000);
    let first = shell.flushes.pop().unwrap();
    shell.json(
        "a",
        json!({"type": "notes.op", "client_seq": 2, "base_version": 1, "op": [3, " two"]}),
    );
    shell.room.flush_done(shell.now, first.upto).unwrap();
    // The second flush is emitted at once (the second op is waiting):
    // a shell drains after every input.
    shell.drain();
    shell.advance(5_000);
    let second = shell.flushes.pop().unwrap();
    apply(&mut db, &second, shell.now);
    apply(&mut db, &first, shell.now);
    let content: String = db
        .query_row("SELECT content FROM meeting_notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(content, "one two");
}
