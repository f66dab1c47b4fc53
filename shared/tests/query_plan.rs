//! The D1 schema and its query registry, checked against a real SQLite.
//!
//! Every file in `d1-migrations/` is applied, in order, to a fresh in-memory
//! SQLite (bundled, with FTS5 and JSON, foreign keys on as in D1). Then every
//! statement in `connvo_shared::sql::ALL` is prepared and run through
//! `EXPLAIN QUERY PLAN`, and the test fails, naming the statement, if any plan
//! step reads a whole table.
//!
//! # The full-scan rule
//!
//! SQLite reports each step of a plan as `SEARCH …` (an index seek or range)
//! or `SCAN …` (a walk over everything). A plan row is a violation when:
//!
//! 1. it is `SCAN <name>` of a stored table, with or without
//!    `USING [COVERING] INDEX`: a full walk of an index is still O(rows), and a
//!    `LIMIT` does not bound it when a filter rejects rows. The only `SCAN`s
//!    allowed are of transient things: `CONSTANT ROW`, a subquery
//!    (`(subquery-N)`, or a name that the same plan introduces with
//!    `CO-ROUTINE <name>` / `MATERIALIZE <name>`, i.e. a CTE or FROM-subquery,
//!    whose own inner steps are checked like any other row), and virtual
//!    tables that receive a constraint (FTS5 `MATCH`, rowid);
//! 2. it is a virtual-table scan with no constraint at all (`VIRTUAL TABLE
//!    INDEX 0:`): for FTS5 that reads the whole index;
//! 3. it mentions `AUTOMATIC` (`USING AUTOMATIC [PARTIAL] COVERING INDEX`):
//!    SQLite builds a throwaway index by scanning the table on every run.
//!
//! `EXPLAIN QUERY PLAN` shows the alias where a query has one (`SCAN m`), so
//! the rule does not need to resolve names: any non-transient `SCAN` fails.
//! `USE TEMP B-TREE FOR ORDER BY` is allowed: it sorts rows already found
//! through an index (e.g. one user's meetings).
//!
//! Two blind spots are covered by their own tests. Foreign-key actions show
//! up only one level deep in the plan of a registered DELETE, not for cascades
//! further down or for parents deleted by other statements, so every foreign
//! key must have a (non-partial) index whose leading columns are the child
//! columns. Trigger bodies never appear in a plan, so each trigger statement
//! is explained on its own, with `NEW.x` / `OLD.x` bound as parameters.
//!
//! `USE TEMP B-TREE` steps are not violations, but they deserve a look: run
//! `QUERY_PLAN_DUMP=1 cargo test -p connvo-shared --test query_plan -- --nocapture`
//! to print every plan.
//!
//! The planner here has no `sqlite_stat1` statistics, like a D1 database on
//! which `PRAGMA optimize` has not run, so it picks indexes by shape alone;
//! a plan that passes here does not depend on table sizes.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use connvo_shared::sql;
use rusqlite::{params, types::Null, Connection, OptionalExtension};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// The migration files, sorted by name, as (file name, SQL).
fn migrations() -> Vec<(String, String)> {
    let dir = repo_path("d1-migrations");
    let mut files: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (name, text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations in {}", dir.display());
    files
}

/// A fresh database with every migration applied. D1 enforces foreign keys,
/// so they are switched on here too.
fn migrated_db() -> Connection {
    let conn = Connection::open_in_memory().expect("open in-memory SQLite");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("enable foreign keys");
    for (name, text) in migrations() {
        conn.execute_batch(&text)
            .unwrap_or_else(|e| panic!("migration {name} failed: {e}"));
    }
    conn
}

/// One row of `EXPLAIN QUERY PLAN`.
#[derive(Debug, Clone)]
struct PlanRow {
    detail: String,
}

/// Prepare `EXPLAIN QUERY PLAN <sql>`, bind NULL to every parameter and
/// return the plan rows.
fn explain(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<PlanRow>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    for index in 1..=stmt.parameter_count() {
        stmt.raw_bind_parameter(index, Null)?;
    }
    let mut rows = stmt.raw_query();
    let mut plan = Vec::new();
    while let Some(row) = rows.next()? {
        plan.push(PlanRow {
            detail: row.get(3)?,
        });
    }
    Ok(plan)
}

/// The plan rows that break the full-scan rule (see the module docs), each
/// with the reason.
fn full_scans(plan: &[PlanRow]) -> Vec<String> {
    let transient: HashSet<&str> = plan
        .iter()
        .filter_map(|row| {
            row.detail
                .strip_prefix("CO-ROUTINE ")
                .or_else(|| row.detail.strip_prefix("MATERIALIZE "))
        })
        .map(str::trim)
        .collect();

    let mut violations = Vec::new();
    for row in plan {
        let detail = row.detail.as_str();
        if detail.contains("AUTOMATIC") {
            violations.push(format!(
                "`{detail}`: SQLite builds a throwaway index (a full scan) on every run"
            ));
            continue;
        }
        let Some(rest) = detail.strip_prefix("SCAN ") else {
            continue;
        };
        if rest == "CONSTANT ROW" || rest.starts_with('(') {
            continue;
        }
        let name = rest.split_whitespace().next().unwrap_or_default();
        if transient.contains(name) {
            continue;
        }
        if let Some(index) = rest.split(" VIRTUAL TABLE INDEX ").nth(1) {
            let constraint = index.split_once(':').map(|(_, s)| s).unwrap_or_default();
            let idx_num = index.split(':').next().unwrap_or_default();
            if idx_num == "0" && constraint.trim().is_empty() {
                violations.push(format!(
                    "`{detail}`: virtual table scanned without any constraint (e.g. an FTS5 query without MATCH)"
                ));
            }
            continue;
        }
        if rest.contains(" USING ") {
            violations.push(format!(
                "`{detail}`: walks a whole index (no equality or range constraint on its leading columns)"
            ));
        } else {
            violations.push(format!("`{detail}`: full table scan"));
        }
    }
    violations
}

/// Explain `sql` and return its violations, or the prepare error.
fn check_statement(conn: &Connection, sql: &str) -> Result<Vec<String>, String> {
    let plan = explain(conn, sql).map_err(|e| format!("does not prepare: {e}"))?;
    Ok(full_scans(&plan))
}

fn table_names(conn: &Connection) -> BTreeSet<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap();
    stmt.query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Ordinary tables (no FTS5 virtual or shadow tables, no sqlite_ internals).
fn base_tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE '%_fts_%' ORDER BY name",
        )
        .unwrap();
    stmt.query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> i64 {
    conn.query_row(sql, p, |row| row.get(0)).unwrap()
}

// ---------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------

#[test]
fn migrations_are_numbered_in_sequence() {
    for (i, (name, _)) in migrations().iter().enumerate() {
        let expected = format!("{:04}_", i + 1);
        assert!(
            name.starts_with(&expected),
            "migration {name} should start with {expected} (numbered 0001, 0002, … without gaps)"
        );
        let stem = name.trim_end_matches(".sql");
        assert!(
            stem.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "migration {name}: use lowercase snake_case names"
        );
    }
}

#[test]
fn migrations_apply_cleanly_one_by_one() {
    let conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    for (name, text) in migrations() {
        conn.execute_batch(&text)
            .unwrap_or_else(|e| panic!("migration {name} failed: {e}"));
        let version: String = conn
            .query_row(
                "SELECT value FROM schema_meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .unwrap_or_else(|e| panic!("{name} did not leave a schema_version: {e}"));
        assert_eq!(
            version,
            name[..4],
            "{name} must end by recording schema_version '{}'",
            &name[..4]
        );
    }
    let violations: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(violations.is_empty(), "FK violations: {violations:?}");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

/// What D1 and `wrangler d1 migrations apply` cannot take (or should not be
/// given: a PRAGMA other than `defer_foreign_keys` changes the connection, not
/// the schema). Wrangler splits a
/// file into statements itself and has mis-split trigger bodies that contain
/// `CASE … END` or CRLF line endings (cloudflare/workers-sdk #4326, #14991).
#[test]
fn migrations_avoid_what_d1_rejects() {
    for (name, text) in migrations() {
        assert!(!text.contains('\r'), "{name}: use LF line endings");
        assert!(
            text.len() < 100_000,
            "{name}: keep each statement (and file) under D1's 100 KB"
        );
        let upper = text.to_uppercase();
        let code: String = upper
            .lines()
            .map(|line| line.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        for forbidden in [
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT",
            "RELEASE",
            "ATTACH",
            "DETACH",
            "VACUUM",
        ] {
            assert!(
                !words.contains(&forbidden),
                "{name}: `{forbidden}` is not allowed in a D1 migration"
            );
        }
        // The one PRAGMA a D1 migration may need: deferring FK checks while a
        // table is rebuilt. Anything else belongs outside migrations.
        for pair in words.windows(2) {
            assert!(
                pair[0] != "PRAGMA" || pair[1] == "DEFER_FOREIGN_KEYS",
                "{name}: only `PRAGMA defer_foreign_keys` is allowed in a D1 migration"
            );
        }
        // BEGIN only opens a trigger body, never a transaction.
        for pair in words.windows(2) {
            assert!(
                !(pair[0] == "BEGIN"
                    && ["TRANSACTION", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"].contains(&pair[1])),
                "{name}: D1 refuses explicit transactions"
            );
        }
        assert!(
            !code.contains("BEGIN;"),
            "{name}: D1 refuses explicit transactions"
        );
        for trigger in code.split("CREATE TRIGGER").skip(1) {
            let body = trigger.split("\nEND;").next().unwrap_or_default();
            assert!(
                !body.contains("CASE"),
                "{name}: no CASE inside a trigger body (wrangler's splitter ends the trigger at its END)"
            );
            assert!(
                trigger.contains("\nEND;"),
                "{name}: end each trigger with `END;` on its own line"
            );
        }
    }
}

const EXPECTED_TABLES: &[&str] = &[
    "users",
    "profiles",
    "interests",
    "user_interests",
    "connections",
    "meetings",
    "meeting_participants",
    "meeting_state",
    "meeting_notes",
    "note_ops",
    "transcripts",
    "transcript_segments",
    "prompts",
    "prompt_feedback",
    "insights",
    "messages",
    "matching_queue",
    "matching_analytics",
    "embeddings",
    "vector_index_meta",
    "audit_logs",
    "feature_flags",
    "idempotency_keys",
    "rate_limits",
    "meeting_recordings",
    "notifications",
    "schema_meta",
    "transcript_segments_fts",
    "meeting_notes_fts",
];

#[test]
fn every_table_exists() {
    let conn = migrated_db();
    let tables = table_names(&conn);
    let missing: Vec<&&str> = EXPECTED_TABLES
        .iter()
        .filter(|t| !tables.contains(**t))
        .collect();
    assert!(missing.is_empty(), "missing tables: {missing:?}");
}

#[test]
fn every_base_table_is_strict() {
    let conn = migrated_db();
    for table in base_tables(&conn) {
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [&table],
                |row| row.get(0),
            )
            .unwrap();
        assert!(
            sql.trim_end().ends_with("STRICT"),
            "table {table} should be STRICT"
        );
    }
}

/// SQLite looks up child rows on every parent delete (and cascades); without
/// an index on the child columns that lookup is a full scan, invisible to
/// EXPLAIN QUERY PLAN.
#[test]
fn every_foreign_key_has_an_index() {
    let conn = migrated_db();
    let mut missing = Vec::new();
    for table in base_tables(&conn) {
        // (fk id) -> child columns in order
        let mut fks: BTreeMap<i64, Vec<(i64, String, String)>> = BTreeMap::new();
        let mut stmt = conn
            .prepare(&format!("PRAGMA foreign_key_list(\"{table}\")"))
            .unwrap();
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (id, seq, parent, from) = row.unwrap();
            fks.entry(id).or_default().push((seq, parent, from));
        }

        // Leading columns of every index (and the rowid alias, if any).
        let mut index_columns: Vec<Vec<String>> = Vec::new();
        let mut list = conn
            .prepare(&format!("PRAGMA index_list(\"{table}\")"))
            .unwrap();
        let indexes: Vec<(String, bool)> = list
            .query_map([], |row| {
                Ok((row.get::<_, String>(1)?, row.get::<_, bool>(4)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (index, partial) in indexes {
            if partial {
                // A partial index is only used when the query implies its WHERE;
                // the FK lookup does not, so it does not count.
                continue;
            }
            let mut info = conn
                .prepare(&format!("PRAGMA index_info(\"{index}\")"))
                .unwrap();
            let cols: Vec<String> = info
                .query_map([], |row| row.get::<_, Option<String>>(2))
                .unwrap()
                .map(|c| c.unwrap().unwrap_or_default())
                .collect();
            index_columns.push(cols);
        }
        let mut pk = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') WHERE pk = 1 AND type = 'INTEGER'"
            ))
            .unwrap();
        if let Some(rowid_alias) = pk
            .query_row([], |row| row.get::<_, String>(0))
            .optional()
            .unwrap()
        {
            index_columns.push(vec![rowid_alias]);
        }

        for (_, mut cols) in fks {
            cols.sort();
            let child: Vec<String> = cols.iter().map(|(_, _, from)| from.clone()).collect();
            let covered = index_columns
                .iter()
                .any(|idx| idx.len() >= child.len() && idx[..child.len()] == child[..]);
            if !covered {
                missing.push(format!("{table}({}) -> {}", child.join(", "), cols[0].1));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "foreign keys without an index on the child columns: {missing:#?}"
    );
}

#[test]
fn check_constraints_reject_bad_enum_values() {
    let conn = migrated_db();
    conn.execute(
        "INSERT INTO users (id, created_at, updated_at) VALUES ('u1', 1, 1)",
        [],
    )
    .unwrap();
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", "u1", Null, "Sync", Null, 1000, Null, 0, 1, 1],
    )
    .unwrap();

    let rejected = |label: &str, statement: &str| {
        let err = conn
            .execute(statement, [])
            .expect_err(&format!("{label} should be rejected"));
        assert!(
            err.to_string().contains("CHECK constraint failed"),
            "{label}: expected a CHECK failure, got {err}"
        );
    };
    rejected(
        "meetings.state = 'paused'",
        "UPDATE meetings SET state = 'paused' WHERE id = 'm1'",
    );
    rejected(
        "meeting_participants.role = 'owner'",
        "INSERT INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at) \
         VALUES ('m1', 'u1', 'owner', 1, 1)",
    );
    rejected(
        "meeting_participants.presence = 'away'",
        "INSERT INTO meeting_participants (meeting_id, user_id, presence, created_at, updated_at) \
         VALUES ('m1', 'u1', 'away', 1, 1)",
    );
    rejected(
        "audit_logs.outcome = 'maybe'",
        "INSERT INTO audit_logs (id, resource_type, action, outcome, created_at) \
         VALUES ('a1', 'meeting', 'meeting.read', 'maybe', 1)",
    );
    rejected(
        "transcripts.kind = 'partial'",
        "INSERT INTO transcripts (meeting_id, seq, bucket_ms, kind, text, start_ms, end_ms, created_at) \
         VALUES ('m1', 1, 0, 'partial', 'hi', 10, 20, 1)",
    );
    rejected(
        "transcripts bucket not aligned to 5 minutes",
        "INSERT INTO transcripts (meeting_id, seq, bucket_ms, text, start_ms, end_ms, created_at) \
         VALUES ('m1', 1, 1000, 'hi', 1000, 2000, 1)",
    );
    rejected(
        "transcripts start outside its bucket",
        "INSERT INTO transcripts (meeting_id, seq, bucket_ms, text, start_ms, end_ms, created_at) \
         VALUES ('m1', 1, 0, 'hi', 300000, 300001, 1)",
    );
    rejected(
        "embeddings.source_type = 'message'",
        "INSERT INTO embeddings (id, source_type, source_id, model, dim, version, vector, content_hash, \
         last_computed_at, created_at, updated_at) \
         VALUES ('e1', 'message', 'x', 'm', 1, 'v1', X'00000000', 'h', 1, 1, 1)",
    );
    rejected(
        "connections.status = 'friends'",
        "INSERT INTO connections (id, requester_id, addressee_id, status, created_at, updated_at) \
         VALUES ('c1', 'u1', 'u2', 'friends', 1, 1)",
    );
    rejected(
        "invalid JSON in audit_logs.metadata",
        "INSERT INTO audit_logs (id, resource_type, action, outcome, metadata, created_at) \
         VALUES ('a2', 'meeting', 'meeting.read', 'allow', '{not json', 1)",
    );
    rejected(
        "meeting concluded without concluded_at",
        "UPDATE meetings SET state = 'concluded' WHERE id = 'm1'",
    );

    // STRICT: a string where an INTEGER belongs is refused, not stored.
    let err = conn
        .execute(
            "UPDATE meetings SET scheduled_at = 'tomorrow' WHERE id = 'm1'",
            [],
        )
        .expect_err("STRICT should refuse text in an INTEGER column");
    assert!(
        err.to_string()
            .contains("cannot store TEXT value in INTEGER column"),
        "{err}"
    );
}

#[test]
fn deleting_a_meeting_cascades_to_everything_it_owns() {
    let conn = migrated_db();
    for user in ["u1", "u2"] {
        conn.execute(
            sql::users::USER_UPSERT,
            params![user, Null, Null, Null, Null, Null, 1],
        )
        .unwrap();
    }
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", "u1", Null, "Sync", Null, 1000, Null, 0, 1, 1],
    )
    .unwrap();
    for (user, role) in [("u1", "host"), ("u2", "participant")] {
        conn.execute(
            sql::participants::PARTICIPANT_INSERT,
            params!["m1", user, role, "u1", 2],
        )
        .unwrap();
    }
    // The participant triggers keep the denormalised count, and a repeated
    // insert is ignored without counting twice.
    conn.execute(
        sql::participants::PARTICIPANT_INSERT,
        params!["m1", "u2", "participant", "u1", 3],
    )
    .unwrap();
    assert_eq!(
        count(
            &conn,
            "SELECT participant_count FROM meetings WHERE id = 'm1'",
            []
        ),
        2
    );
    conn.execute(sql::participants::PARTICIPANT_REMOVE, params!["m1", "u2"])
        .unwrap();
    assert_eq!(
        count(
            &conn,
            "SELECT participant_count FROM meetings WHERE id = 'm1'",
            []
        ),
        1
    );

    conn.execute(
        sql::notes::NOTES_UPSERT,
        params!["m1", "budget review notes", 1, 5, "u1", 5],
    )
    .unwrap();
    conn.execute(
        sql::notes::NOTE_OP_INSERT,
        params![
            "m1",
            1,
            0,
            "u1",
            "c1",
            1,
            "insert",
            "[{\"insert\":\"x\"}]",
            4,
            5
        ],
    )
    .unwrap();
    conn.execute(
        sql::transcripts::TRANSCRIPT_INSERT,
        params!["m1", 1, 0, "final", "client", "u1", "hello", 0.9, "en", 10, 20, 5],
    )
    .unwrap();
    conn.execute(
        sql::segments::SEGMENT_UPSERT,
        params![
            "s1",
            "m1",
            "u1",
            "[\"u1\"]",
            "quarterly budget",
            "[]",
            Null,
            "[]",
            10,
            20,
            1,
            1,
            6
        ],
    )
    .unwrap();
    conn.execute(
        sql::messages::MESSAGE_INSERT,
        params!["m1", 1, "msg1", "u1", "hi", Null, 5],
    )
    .unwrap();
    conn.execute(
        sql::prompts::PROMPT_INSERT,
        params![
            "p1",
            "m1",
            "precall",
            "Ask about X",
            "[]",
            0.5,
            "ai",
            Null,
            "k1",
            Null,
            5
        ],
    )
    .unwrap();
    conn.execute(
        sql::prompts::PROMPT_FEEDBACK_UPSERT,
        params!["p1", "u1", "upvoted", 6],
    )
    .unwrap();
    conn.execute(
        sql::insights::INSIGHT_UPSERT,
        params!["i1", "u1", "m1", "Summary", "[]", "[]", "[]", "[]", "[]", "{}", 7],
    )
    .unwrap();
    conn.execute(
        sql::recordings::RECORDING_INSERT,
        params![
            "r1",
            "m1",
            "recording",
            "composite",
            "default:m1",
            Null,
            Null,
            "a.mp4",
            "https://x",
            1,
            2,
            7,
            "composite",
            1
        ],
    )
    .unwrap();
    conn.execute(
        sql::meeting_state::MEETING_STATE_UPSERT_ENGAGEMENT,
        params!["m1", "{}", Null, "[]", 7],
    )
    .unwrap();
    for (id, source_type, source_id) in [
        ("e1", "meeting", "m1"),
        ("e2", "transcript_segment", "s1"),
        ("e3", "note", "m1"),
        ("e4", "user", "u2"),
    ] {
        conn.execute(
            sql::embeddings::EMBEDDING_UPSERT,
            params![
                id,
                source_type,
                source_id,
                Null,
                Null,
                "stub",
                1,
                "v1",
                vec![0u8; 4],
                "h",
                "{}",
                8
            ],
        )
        .unwrap();
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM transcript_segments_fts WHERE transcript_segments_fts MATCH 'budget'", []), 1);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM meeting_notes_fts WHERE meeting_notes_fts MATCH 'budget'",
            []
        ),
        1
    );

    conn.execute(sql::meetings::MEETING_DELETE, params!["m1"])
        .unwrap();

    for table in [
        "meeting_participants",
        "meeting_state",
        "meeting_notes",
        "note_ops",
        "transcripts",
        "transcript_segments",
        "messages",
        "prompts",
        "prompt_feedback",
        "insights",
        "meeting_recordings",
    ] {
        assert_eq!(
            count(&conn, &format!("SELECT count(*) FROM {table}"), []),
            0,
            "{table} rows survived their meeting"
        );
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM transcript_segments_fts WHERE transcript_segments_fts MATCH 'budget'", []), 0, "segment search rows survived");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM meeting_notes_fts WHERE meeting_notes_fts MATCH 'budget'",
            []
        ),
        0,
        "notes search rows survived"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM embeddings WHERE source_type <> 'user'",
            []
        ),
        0,
        "embeddings of the meeting, its notes and segments survived"
    );

    // Erasing a user cascades to their rows and their embeddings.
    conn.execute(sql::users::USER_DELETE, params!["u2"])
        .unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM embeddings", []), 0);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    conn.execute(
        "INSERT INTO transcript_segments_fts (transcript_segments_fts) VALUES ('integrity-check')",
        [],
    )
    .expect("segment FTS index consistent with its table");
    conn.execute(
        "INSERT INTO meeting_notes_fts (meeting_notes_fts) VALUES ('integrity-check')",
        [],
    )
    .expect("notes FTS index consistent with its table");
}

#[test]
fn deleting_a_user_keeps_shared_content_and_clears_authorship() {
    let conn = migrated_db();
    for user in ["u1", "u2"] {
        conn.execute(
            sql::users::USER_UPSERT,
            params![user, Null, Null, Null, Null, Null, 1],
        )
        .unwrap();
    }
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", "u2", Null, "Sync", Null, 1000, Null, 0, 1, 1],
    )
    .unwrap();
    conn.execute(
        sql::participants::PARTICIPANT_INSERT,
        params!["m1", "u2", "host", Null, 2],
    )
    .unwrap();
    conn.execute(
        sql::messages::MESSAGE_INSERT,
        params!["m1", 1, "x", "u2", "hello", Null, 3],
    )
    .unwrap();
    conn.execute(sql::users::USER_DELETE, params!["u2"])
        .unwrap();
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM meetings WHERE organizer_id IS NULL",
            []
        ),
        1
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM messages WHERE user_id IS NULL",
            []
        ),
        1
    );
    assert_eq!(
        count(&conn, "SELECT participant_count FROM meetings", []),
        0
    );
}

// ---------------------------------------------------------------------------
// Query plans
// ---------------------------------------------------------------------------

#[test]
fn every_registered_statement_prepares_and_uses_indexes() {
    let conn = migrated_db();
    let dump = std::env::var_os("QUERY_PLAN_DUMP").is_some();
    let mut failures = Vec::new();
    for (name, statement) in sql::ALL {
        if dump {
            // QUERY_PLAN_DUMP=1 cargo test … -- --nocapture: print every plan for review.
            let plan = explain(&conn, statement).unwrap_or_default();
            eprintln!("{name}");
            for row in plan {
                eprintln!("    {}", row.detail);
            }
        }
        match check_statement(&conn, statement) {
            Ok(violations) if violations.is_empty() => {}
            Ok(violations) => {
                for violation in violations {
                    failures.push(format!("{name}: {violation}"));
                }
            }
            Err(error) => failures.push(format!("{name}: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} registered statement(s) break the full-scan rule:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Trigger bodies run on every write to their table but never show up in the
/// plan of that write; explain each statement on its own.
#[test]
fn every_trigger_statement_uses_indexes() {
    let conn = migrated_db();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")
        .unwrap();
    let triggers: Vec<(String, String)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!triggers.is_empty());
    let mut failures = Vec::new();
    for (name, text) in triggers {
        let body_start = text.find("\nBEGIN").expect("trigger body") + "\nBEGIN".len();
        let body_end = text.rfind("END").expect("trigger end");
        for statement in text[body_start..body_end].split(';') {
            let statement = bind_row_references(statement.trim());
            if statement.is_empty() {
                continue;
            }
            match check_statement(&conn, &statement) {
                Ok(violations) => {
                    for violation in violations {
                        failures.push(format!("trigger {name}: {violation}"));
                    }
                }
                Err(error) => failures.push(format!("trigger {name}: {error} in {statement}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Replace `NEW.col` / `OLD.col` with `?` so a trigger statement can be
/// explained outside its trigger.
fn bind_row_references(statement: &str) -> String {
    let mut out = String::with_capacity(statement.len());
    let chars: Vec<char> = statement.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
        let upper = rest.to_uppercase();
        if at_word_start && (upper == "NEW." || upper == "OLD.") {
            i += 4;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push('?');
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The detector must be able to fail: known-bad statements are flagged,
/// known-good shapes are not.
#[test]
fn the_detector_flags_full_scans_and_nothing_else() {
    let conn = migrated_db();
    let flagged = |sql: &str| check_statement(&conn, sql).expect("prepares");

    // A filter on an unindexed column: the classic full table scan.
    let bad = flagged("SELECT * FROM audit_logs WHERE user_agent = ?1");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains("full table scan"), "{bad:?}");
    // An alias does not hide it.
    assert!(!flagged("SELECT a.id FROM audit_logs a WHERE a.ip = ?1 LIMIT 10").is_empty());
    // Counting a whole table walks an index end to end.
    assert!(!flagged("SELECT count(*) FROM meetings").is_empty());
    // A join on an unindexed column makes SQLite build an automatic index.
    let automatic = flagged(
        "SELECT m.id FROM meetings m JOIN audit_logs a ON a.request_id = m.id WHERE m.id = ?1",
    );
    assert!(
        !automatic.is_empty(),
        "automatic index / scan must be flagged"
    );
    // An FTS5 table read without MATCH reads the whole index.
    assert!(!flagged("SELECT rowid FROM transcript_segments_fts").is_empty());
    // A WHERE that cannot use an index (function of the column).
    assert!(!flagged("SELECT id FROM meetings WHERE lower(title) = ?1").is_empty());

    // Good shapes.
    assert_eq!(
        flagged("SELECT id FROM meetings WHERE id = ?1"),
        Vec::<String>::new()
    );
    assert_eq!(flagged("SELECT 1 AS ok"), Vec::<String>::new());
    assert_eq!(
        flagged(
            "WITH ids(id) AS (SELECT ?1) SELECT m.title FROM ids JOIN meetings m ON m.id = ids.id"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        flagged(
            "SELECT s.id FROM transcript_segments_fts JOIN transcript_segments s \
             ON s.segment_no = transcript_segments_fts.rowid WHERE transcript_segments_fts MATCH ?1"
        ),
        Vec::<String>::new()
    );
    // A statement that does not prepare is reported, not silently skipped.
    assert!(check_statement(&conn, "SELECT nope FROM meetings").is_err());
}

/// Every `pub const NAME: &str` in shared/src/sql/*.rs is in `sql::ALL`, so a
/// statement cannot dodge the plan check by being left out of the registry.
#[test]
fn the_registry_lists_every_statement_constant() {
    let dir = repo_path("shared/src/sql");
    let mut declared = BTreeSet::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        for line in fs::read_to_string(&path).unwrap().lines() {
            let line = line.trim_start();
            if let Some(rest) = line.strip_prefix("pub const ") {
                if let Some((name, ty)) = rest.split_once(':') {
                    if ty.trim_start().starts_with("&str") {
                        declared.insert(name.trim().to_string());
                    }
                }
            }
        }
    }
    let registered: BTreeSet<String> = sql::ALL.iter().map(|(n, _)| n.to_string()).collect();
    let unregistered: Vec<&String> = declared.difference(&registered).collect();
    let unknown: Vec<&String> = registered.difference(&declared).collect();
    assert!(
        unregistered.is_empty(),
        "statements missing from sql::ALL: {unregistered:?}"
    );
    assert!(
        unknown.is_empty(),
        "sql::ALL names without a constant: {unknown:?}"
    );
    assert_eq!(
        registered.len(),
        sql::ALL.len(),
        "duplicate names in sql::ALL"
    );
}

// ---------------------------------------------------------------------------
// Behaviour of the statements the protocols rely on
// ---------------------------------------------------------------------------

#[test]
fn user_upsert_writes_only_when_something_changed() {
    let conn = migrated_db();
    let upsert = |email: Option<&str>, role: &str, now: i64| {
        conn.execute(
            sql::users::USER_UPSERT,
            params!["user_01", "org_1", role, email, Null, Null, now],
        )
        .unwrap()
    };
    assert_eq!(
        upsert(Some("a@x.io"), "member", 1),
        1,
        "first sight inserts"
    );
    assert_eq!(
        upsert(Some("a@x.io"), "member", 2),
        0,
        "same claims: no write"
    );
    assert_eq!(
        upsert(None, "member", 3),
        0,
        "a token without email keeps the stored one"
    );
    assert_eq!(upsert(None, "admin", 4), 1, "a role change is written");
    let (email, role, updated): (String, String, i64) = conn
        .query_row(sql::users::USER_GET, params!["user_01"], |row| {
            Ok((row.get(3)?, row.get(2)?, row.get(10)?))
        })
        .unwrap();
    assert_eq!(
        (email.as_str(), role.as_str(), updated),
        ("a@x.io", "admin", 4)
    );

    // Out-of-order WorkOS events: the older one is ignored.
    let apply = |name: &str, at: i64| {
        conn.execute(
            sql::users::USER_APPLY_WORKOS_EVENT,
            params!["user_01", "a@x.io", name, Null, at, 10],
        )
        .unwrap()
    };
    assert_eq!(apply("New name", 200), 1);
    assert_eq!(apply("Old name", 100), 0);
}

#[test]
fn idempotency_claim_is_exclusive_until_expiry() {
    let conn = migrated_db();
    let claim = |now: i64| {
        conn.execute(
            sql::idempotency::IDEMPOTENCY_CLAIM,
            params!["stream_webhook", "wh_1", "hash", now, now + 1000],
        )
        .unwrap()
    };
    assert_eq!(claim(0), 1, "first claim wins");
    assert_eq!(claim(10), 0, "a concurrent retry does not");
    assert_eq!(
        conn.execute(
            sql::idempotency::IDEMPOTENCY_COMPLETE,
            params!["stream_webhook", "wh_1", "{\"ok\":true}", 20, 5000],
        )
        .unwrap(),
        1
    );
    assert_eq!(claim(4000), 0, "completed and not yet expired");
    assert_eq!(claim(6000), 1, "an expired key is claimable again");
    assert_eq!(
        conn.execute(
            sql::idempotency::IDEMPOTENCY_PURGE_EXPIRED,
            params![100_000, 10]
        )
        .unwrap(),
        1
    );
}

#[test]
fn meeting_transitions_are_guarded_by_the_expected_state() {
    let conn = migrated_db();
    conn.execute(
        sql::users::USER_UPSERT,
        params!["u1", Null, Null, Null, Null, Null, 1],
    )
    .unwrap();
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", "u1", Null, "Sync", Null, 1000, Null, 0, 1, 1],
    )
    .unwrap();
    let transition = |from: &str, to: &str, now: i64| -> Option<i64> {
        conn.query_row(
            sql::meetings::MEETING_TRANSITION_STATE,
            params!["m1", from, to, now],
            |row| row.get(0),
        )
        .optional()
        .unwrap()
    };
    assert_eq!(transition("scheduled", "active", 10), Some(2));
    assert_eq!(
        transition("scheduled", "active", 11),
        None,
        "lost race: CONFLICT"
    );
    assert_eq!(transition("active", "concluded", 20), Some(3));
    let (started, concluded): (i64, i64) = conn
        .query_row(
            "SELECT started_at, concluded_at FROM meetings WHERE id = 'm1'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((started, concluded), (10, 20));

    // Provisioning: claim once, then ready; a second claim is refused while
    // the first holds its lease, and taken over once the lease ran out.
    let claim = |now: i64, lease_cutoff: i64| {
        conn.execute(
            sql::meetings::MEETING_PROVISIONING_CLAIM,
            params!["m1", "default", "m1", "default:m1", now, lease_cutoff],
        )
        .unwrap()
    };
    assert_eq!(claim(30, 0), 1);
    assert_eq!(claim(30, 30), 0, "the first claim still holds its lease");
    assert_eq!(claim(30, 31), 1, "a claim past its lease is taken over");
    assert_eq!(
        conn.execute(sql::meetings::MEETING_PROVISIONING_READY, params!["m1", 31])
            .unwrap(),
        1
    );
    let id: String = conn
        .query_row(
            sql::meetings::MEETING_GET_BY_STREAM_CID,
            params!["default:m1"],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(id, "m1");
}

#[test]
fn my_meetings_paginate_by_keyset() {
    let conn = migrated_db();
    conn.execute(
        sql::users::USER_UPSERT,
        params!["u1", Null, Null, Null, Null, Null, 1],
    )
    .unwrap();
    // Five meetings at the same time (ties broken by id) and one later.
    for (id, at) in [
        ("a", 100),
        ("b", 100),
        ("c", 100),
        ("d", 100),
        ("e", 100),
        ("f", 200),
    ] {
        conn.execute(
            sql::meetings::MEETING_INSERT,
            params![id, "u1", Null, "T", Null, at, Null, 0, 1, 1],
        )
        .unwrap();
        conn.execute(
            sql::participants::PARTICIPANT_INSERT,
            params![id, "u1", "host", Null, 1],
        )
        .unwrap();
    }
    let page = |after_at: i64, after_id: &str| -> Vec<(String, i64)> {
        let mut stmt = conn
            .prepare(sql::meetings::MEETING_LIST_FOR_USER_ASC)
            .unwrap();
        stmt.query_map(params!["u1", Null, after_at, after_id, 1000, 2], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(5)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let mut seen = Vec::new();
    let (mut at, mut id) = (0, String::new());
    loop {
        let rows = page(at, &id);
        if rows.is_empty() {
            break;
        }
        let last = rows.last().unwrap().clone();
        seen.extend(rows.into_iter().map(|(id, _)| id));
        at = last.1;
        id = last.0;
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e", "f"]);
}

#[test]
fn notes_versions_only_move_forward() {
    let conn = migrated_db();
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", Null, Null, "T", Null, 1, Null, 0, 1, 1],
    )
    .unwrap();
    let upsert = |content: &str, version: i64| {
        conn.execute(
            sql::notes::NOTES_UPSERT,
            params!["m1", content, version, 1, Null, 1],
        )
        .unwrap()
    };
    assert_eq!(upsert("v2 text", 2), 1);
    assert_eq!(upsert("v1 text", 1), 0, "a late flush is ignored");
    assert_eq!(upsert("v3 text", 3), 1);
    let content: String = conn
        .query_row(sql::notes::NOTES_GET, params!["m1"], |row| row.get(1))
        .unwrap();
    assert_eq!(content, "v3 text");
    // The search index follows the document, old words leave it.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM meeting_notes_fts WHERE meeting_notes_fts MATCH 'v3'",
            []
        ),
        1
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM meeting_notes_fts WHERE meeting_notes_fts MATCH 'v2'",
            []
        ),
        0
    );
}

#[test]
fn search_and_retention_statements_run() {
    let conn = migrated_db();
    conn.execute(
        sql::users::USER_UPSERT,
        params!["u1", Null, Null, Null, Null, Null, 1],
    )
    .unwrap();
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", "u1", Null, "T", Null, 1, Null, 0, 1, 1],
    )
    .unwrap();
    conn.execute(
        sql::participants::PARTICIPANT_INSERT,
        params!["m1", "u1", "host", Null, 1],
    )
    .unwrap();
    conn.execute(
        sql::segments::SEGMENT_UPSERT,
        params![
            "s1",
            "m1",
            "u1",
            "[]",
            "We discussed the hiring plan",
            "[]",
            Null,
            "[]",
            0,
            10,
            Null,
            Null,
            5
        ],
    )
    .unwrap();
    let hits: Vec<String> = conn
        .prepare(sql::search::SEARCH_SEGMENTS_FOR_USER)
        .unwrap()
        .query_map(params!["\"hiring\"", "u1", 10], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(hits, ["s1"]);
    let none: Vec<String> = conn
        .prepare(sql::search::SEARCH_SEGMENTS_FOR_USER)
        .unwrap()
        .query_map(params!["\"hiring\"", "someone_else", 10], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(none.is_empty(), "search is scoped to the user's meetings");

    for seq in 0..5 {
        conn.execute(
            sql::messages::MESSAGE_INSERT,
            params!["m1", seq, "x", "u1", "hi", Null, seq],
        )
        .unwrap();
    }
    // Bounded: two at a time, oldest first, until nothing older than the cutoff remains.
    assert_eq!(
        conn.execute(sql::retention::RETENTION_PURGE_MESSAGES, params![4, 2])
            .unwrap(),
        2
    );
    assert_eq!(
        conn.execute(sql::retention::RETENTION_PURGE_MESSAGES, params![4, 2])
            .unwrap(),
        2
    );
    assert_eq!(
        conn.execute(sql::retention::RETENTION_PURGE_MESSAGES, params![4, 2])
            .unwrap(),
        0
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM messages", []), 1);

    let version: String = conn
        .query_row(sql::health::HEALTH_SCHEMA_VERSION, [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, migrations().last().unwrap().0[..4]);

    let hit: i64 = conn
        .query_row(
            sql::rate_limits::RATE_LIMIT_HIT,
            params!["user:u1", "write", 0, 1],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(hit, 1);
    let hit: i64 = conn
        .query_row(
            sql::rate_limits::RATE_LIMIT_HIT,
            params!["user:u1", "write", 0, 2],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(hit, 2);
}

#[test]
fn host_transfer_moves_both_roles_or_neither() {
    let conn = migrated_db();
    for user in ["h", "c", "p"] {
        conn.execute(
            sql::users::USER_UPSERT,
            params![user, Null, Null, Null, Null, Null, 1],
        )
        .unwrap();
    }
    conn.execute(
        sql::meetings::MEETING_INSERT,
        params!["m1", "h", Null, "T", Null, 0, Null, 0, 1, 1],
    )
    .unwrap();
    for (user, role) in [("h", "host"), ("c", "cohost"), ("p", "participant")] {
        conn.execute(
            sql::participants::PARTICIPANT_INSERT,
            params!["m1", user, role, "h", 1],
        )
        .unwrap();
    }
    let roles = || -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare("SELECT user_id, role FROM meeting_participants WHERE meeting_id = 'm1' ORDER BY user_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let transfer = |from: &str, to: &str, to_role: &str| {
        conn.execute(
            sql::participants::PARTICIPANT_TRANSFER_HOST,
            params!["m1", from, to, to_role, "cohost", 2],
        )
        .unwrap()
    };
    // The target's role changed since the caller read it: nothing moves.
    assert_eq!(transfer("h", "p", "cohost"), 0);
    // The caller is not (or no longer) the host: nothing moves.
    assert_eq!(transfer("c", "p", "participant"), 0);
    // A target that is not a member: nothing moves.
    assert_eq!(transfer("h", "nobody", "participant"), 0);
    assert_eq!(
        roles(),
        [("c", "cohost"), ("h", "host"), ("p", "participant")].map(|(a, b)| (a.into(), b.into()))
    );
    assert_eq!(transfer("h", "p", "participant"), 2);
    assert_eq!(
        roles(),
        [("c", "cohost"), ("h", "cohost"), ("p", "host")].map(|(a, b)| (a.into(), b.into()))
    );
    // Replayed: the old host is no longer host, so nothing changes.
    assert_eq!(transfer("h", "p", "participant"), 0);
}

#[test]
fn job_deliveries_are_counted_per_message() {
    let conn = migrated_db();
    let next = |id: &str, now: i64| -> i64 {
        conn.query_row(
            sql::jobs::JOB_ATTEMPT_NEXT,
            params![id, now, now + 1000],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(next("msg-a", 1), 1);
    assert_eq!(next("msg-a", 2), 2);
    assert_eq!(next("msg-b", 3), 1);
    assert_eq!(next("msg-a", 4), 3);
}
