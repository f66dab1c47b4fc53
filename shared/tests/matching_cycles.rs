//! Matching cycles against a real SQLite with every D1 migration applied
//! (rules M15, M21–M25): the cycle's own statements load the shard, its
//! candidates and people, `plan_run` plans, and the claims run as the
//! worker runs them (each batch in one transaction). Two cycles planned
//! from the same snapshot and applied interleaved never put a user in two
//! proposals; a declined pair is not proposed again inside the cooldown.

#[path = "vector_suite/sqlite.rs"]
mod sqlite_rows;

use sqlite_rows::{bind, migrated, SqliteRows};

use connvo_shared::matching::consent_gate::{processing_withdrawn, ConsentRow};
use connvo_shared::matching::cycle_run::{
    plan_run, seed_ids_json, user_ids_json, BlockRow, CycleInput, CycleRun, DeclineRow, HistoryRow,
    PersonRow, WaitingRow,
};
use connvo_shared::matching::embedder::SourceType;
use connvo_shared::matching::local_embedder::LocalEmbedder;
use connvo_shared::matching::local_embedder::LOCAL_EMBEDDER_MODEL;
use connvo_shared::matching::profile_vector::plan_profile_embedding;
use connvo_shared::matching::profile_vector::StoredVector;
use connvo_shared::matching::proposal_plan::{plan_settle, ProposalRow};
use connvo_shared::matching::queue::{shard_of, QueueStatus};
use connvo_shared::matching::queue_plan::{MatchingConfig, QueueRow};
use connvo_shared::matching::ready::now_or_never;
use connvo_shared::matching::scoring::Weights;
use connvo_shared::matching::vector_candidates::{
    hit_user_ids_json, join_waiting, merge_candidates, nearest,
};
use connvo_shared::matching::vector_sql::SqlExactIndex;
use connvo_shared::sql::connections::ConnectionBlocksAmong;
use connvo_shared::sql::embeddings::ConsentProcessingAmong;
use connvo_shared::sql::embeddings::EmbeddingListForSources;
use connvo_shared::sql::matching::{
    MatchDeclinesAmong, MatchHistoryForUsers, MatchingCandidatesByInterest, MatchingPeople,
    MatchingProposalGet, MatchingQueueGet, MatchingQueueInsert, MatchingQueueListWaiting,
    MatchingQueueWaitingAmong,
};
use connvo_shared::sql::Statement;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::de::DeserializeOwned;

const NOW: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;

fn db() -> Connection {
    let conn = migrated();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn
}

/// Rows as JSON objects, decoded like the D1 executor does.
fn all<T: DeserializeOwned>(conn: &Connection, s: impl Into<Statement>) -> Vec<T> {
    let s = s.into();
    let mut stmt = conn.prepare(s.sql).unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(bind(&s))).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        let mut obj = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let v = match row.get_ref(i).unwrap() {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(r) => r.into(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                ValueRef::Blob(_) => serde_json::Value::Null,
            };
            obj.insert(name.clone(), v);
        }
        out.push(serde_json::from_value(obj.into()).unwrap());
    }
    out
}

fn run(conn: &Connection, s: &Statement) -> usize {
    conn.execute(s.sql, rusqlite::params_from_iter(bind(s)))
        .unwrap_or_else(|e| panic!("{}: {e}", s.name))
}

/// A batch, atomically (as D1 runs one); the changes of each statement.
fn batch(conn: &Connection, statements: &[Statement]) -> Vec<usize> {
    conn.execute_batch("BEGIN").unwrap();
    let changes = statements.iter().map(|s| run(conn, s)).collect();
    conn.execute_batch("COMMIT").unwrap();
    changes
}

const SHARDS: u32 = 1;

fn person(conn: &Connection, id: &str, interests: &[&str]) {
    conn.execute(
        "INSERT INTO users (id, display_name, created_at, updated_at) VALUES (?1, ?1, 0, 0)",
        [id],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO profiles (user_id, display_name, goals, skills, languages, created_at, updated_at)
         VALUES (?1, ?1, 'find a cofounder', '[\"product\"]', '[\"en\"]', 0, 0)",
        [id],
    )
    .unwrap();
    for key in interests {
        conn.execute(
            "INSERT INTO user_interests (user_id, interest_key, created_at) VALUES (?1, ?2, 0)",
            [id, key],
        )
        .unwrap();
    }
    let entry = format!("mq_{id}");
    run(
        conn,
        &MatchingQueueInsert {
            id: &entry,
            user_id: id,
            org_id: None,
            shard: i64::from(shard_of(id, SHARDS)),
            available_from: NOW,
            available_to: NOW + 4 * HOUR,
            constraints: "{}",
            now_ms: NOW,
        }
        .statement(),
    );
}

fn config() -> MatchingConfig {
    MatchingConfig {
        shards: SHARDS,
        ..MatchingConfig::default()
    }
}

/// One cycle's reads and plan, as the worker does them.
fn plan(conn: &Connection, now: i64) -> CycleRun {
    let cfg = config();
    let seeds: Vec<WaitingRow> = all(
        conn,
        MatchingQueueListWaiting {
            shard: 0,
            window_from_ms: now,
            window_to_ms: now + cfg.queue.max_lead_ms + cfg.queue.max_window_ms,
            limit: 100,
        },
    );
    let seed_ids = seed_ids_json(&seeds);
    let candidates: Vec<WaitingRow> = all(
        conn,
        MatchingCandidatesByInterest {
            seed_user_ids: &seed_ids,
            now_ms: now,
            per_seed: 20,
            per_interest: cfg.candidate_fan_out,
        },
    );
    // M30 through the exact index over these rows (M32), as the worker.
    let index = SqlExactIndex::new(SqliteRows(conn), LocalEmbedder::model_info(), now);
    let vectors: Vec<StoredVector> = all(
        conn,
        EmbeddingListForSources {
            model: LOCAL_EMBEDDER_MODEL,
            source_type: SourceType::Profile.as_str(),
            source_ids: &seed_ids,
        },
    );
    let hits = now_or_never(nearest(&index, &seeds, &vectors))
        .unwrap()
        .unwrap();
    let waiting: Vec<WaitingRow> = all(
        conn,
        MatchingQueueWaitingAmong {
            user_ids: &hit_user_ids_json(&hits),
            now_ms: now,
            limit: 2_000,
        },
    );
    let near = join_waiting(&hits, &waiting, cfg.cycle.max_candidates_per_entry);
    let candidates = merge_candidates(candidates, near);
    let ids = user_ids_json(&seeds, &candidates);
    let input = CycleInput {
        people: all::<PersonRow>(conn, MatchingPeople { user_ids: &ids }),
        history: all::<HistoryRow>(conn, MatchHistoryForUsers { user_ids: &ids }),
        declines: all::<DeclineRow>(
            conn,
            MatchDeclinesAmong {
                user_ids: &ids,
                since_ms: now - cfg.scoring.decline_cooldown_ms,
            },
        ),
        blocks: all::<BlockRow>(conn, ConnectionBlocksAmong { user_ids: &ids }),
        withdrawn: processing_withdrawn(&all::<ConsentRow>(
            conn,
            ConsentProcessingAmong {
                user_ids: &ids,
                limit: 10_000,
            },
        )),
        seeds,
        candidates,
        ..CycleInput::default()
    };
    plan_run(&input, &Weights::default(), &cfg, now)
}

fn proposals_per_user(conn: &Connection) -> Vec<(String, i64)> {
    let mut stmt = conn
        .prepare(
            "SELECT u, count(*) FROM (SELECT a_user_id AS u FROM matching_proposals WHERE status = 'pending'
             UNION ALL SELECT b_user_id FROM matching_proposals WHERE status = 'pending') GROUP BY u",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn m15_overlapping_cycles_never_put_a_user_in_two_proposals() {
    let conn = db();
    // A triangle of people who all share interests, and a fourth.
    person(&conn, "ann", &["ai-ml", "databases"]);
    person(&conn, "bob", &["ai-ml", "databases"]);
    person(&conn, "cat", &["ai-ml", "databases"]);
    person(&conn, "dan", &["ai-ml"]);
    // Two cycles read the same snapshot...
    let first = plan(&conn, NOW);
    let mut second = plan(&conn, NOW);
    assert!(!first.claims.is_empty());
    // ...and the second one differs: pretend it paired differently by
    // reversing its order of claims.
    second.claims.reverse();
    let mut won = 0;
    for claim in first.claims.iter().chain(&second.claims) {
        let changes = batch(&conn, claim);
        assert!(
            changes[0] == 0 || changes[0] == 2,
            "claim is both or neither"
        );
        assert_eq!(
            changes[1],
            changes[0] / 2,
            "a proposal row only with its claim"
        );
        won += changes[1];
    }
    assert_eq!(
        won,
        first.claims.len(),
        "the second cycle's claims all lost"
    );
    for (user, n) in proposals_per_user(&conn) {
        assert_eq!(n, 1, "{user} is in {n} proposals");
    }
    // A third cycle finds nobody free to pair with a proposed user.
    let third = plan(&conn, NOW + 1);
    for claim in &third.claims {
        batch(&conn, claim);
    }
    for (user, n) in proposals_per_user(&conn) {
        assert_eq!(n, 1, "{user} is in {n} proposals");
    }
}

#[test]
fn m25_a_cycle_proposes_with_factors_and_m11_a_decline_rests_the_pair() {
    let conn = db();
    person(&conn, "ann", &["ai-ml", "databases"]);
    person(&conn, "bob", &["ai-ml", "databases"]);
    person(&conn, "zed", &["climate"]);
    let run1 = plan(&conn, NOW);
    assert_eq!(
        run1.claims.len(),
        1,
        "zed shares nothing and is not reached"
    );
    batch(&conn, &run1.claims[0]);
    let id = &run1.plan.proposals[0].match_id;
    let proposal: ProposalRow = all(&conn, MatchingProposalGet { id }).remove(0);
    assert!(proposal.detail.contains("shares interests"));
    let entry = |id: &str| -> QueueRow { all(&conn, MatchingQueueGet { id }).remove(0) };
    let (a, b) = (entry(&proposal.a_entry_id), entry(&proposal.b_entry_id));
    assert_eq!(
        (a.status, b.status),
        (QueueStatus::Proposed, QueueStatus::Proposed)
    );

    // Ann declines: her entry moves, then the settlement.
    let ann = if a.user_id == "ann" { a } else { b.clone() };
    run(&conn, &ann.move_to(QueueStatus::Declined, false, NOW + 1));
    let (a, b) = (entry(&proposal.a_entry_id), entry(&proposal.b_entry_id));
    let settlement = plan_settle(
        &proposal,
        &a,
        &b,
        (&Weights::default(), -1),
        &config().learning,
        NOW + 2,
    )
    .unwrap();
    let changes = batch(&conn, &settlement.statements);
    assert_eq!(changes[0], 1, "settled once");
    // Bob waits again; ann re-enters; the pair rests inside the cooldown.
    conn.execute(
        "INSERT INTO matching_queue (id, user_id, shard, available_from, available_to, status, created_at, updated_at)
         VALUES ('mq_ann2', 'ann', 0, ?1, ?2, 'waiting', ?1, ?1)",
        [NOW + 3, NOW + 4 * HOUR],
    )
    .unwrap();
    let run2 = plan(&conn, NOW + 3);
    assert!(run2.claims.is_empty(), "declined pair proposed again");
    // The weights learned from the decline.
    let learned: String = conn
        .query_row("SELECT weights FROM matching_weights", [], |r| r.get(0))
        .unwrap();
    assert_ne!(learned, serde_json::to_string(&Weights::default()).unwrap());
}

#[test]
fn m27_a_withdrawn_data_processing_consent_keeps_the_user_out_of_cycles() {
    let conn = db();
    person(&conn, "ann", &["ai-ml", "databases"]);
    person(&conn, "bob", &["ai-ml", "databases"]);
    let consent = |id: &str, consented: i64, at: i64| {
        conn.execute(
            "INSERT INTO user_consents (id, user_id, consent_type, version, consented, created_at)
             VALUES (?1, 'bob', 'data_processing', '1', ?2, ?3)",
            rusqlite::params![id, consented, at],
        )
        .unwrap();
    };
    consent("c1", 1, NOW - 2 * HOUR);
    consent("c2", 0, NOW - HOUR);
    assert!(plan(&conn, NOW).claims.is_empty(), "bob withdrew");
    consent("c3", 1, NOW - 1);
    assert_eq!(plan(&conn, NOW).claims.len(), 1, "bob granted again");
}

#[test]
fn m29_an_unscheduled_match_is_listed_once_rested_and_leased_by_one_retry() {
    use connvo_shared::matching::proposal_retry::{lease, SCHEDULE_RETRY_AFTER_MS};
    use connvo_shared::sql::matching::MatchingProposalListUnscheduled;
    let conn = db();
    person(&conn, "ann", &["ai-ml"]);
    person(&conn, "bob", &["ai-ml"]);
    conn.execute(
        "INSERT INTO matching_proposals (id, a_entry_id, a_user_id, b_entry_id, b_user_id, score,
           starts_at, respond_by, status, created_at, updated_at)
         VALUES ('match_1', 'mq_ann', 'ann', 'mq_bob', 'bob', 0.5, ?1, ?1, 'matched', ?1, ?1)",
        [NOW],
    )
    .unwrap();
    let list = |now: i64| -> Vec<ProposalRow> {
        all(
            &conn,
            MatchingProposalListUnscheduled {
                touched_before_ms: now - SCHEDULE_RETRY_AFTER_MS,
                limit: 20,
            },
        )
    };
    assert!(list(NOW + 1).is_empty(), "not rested yet");
    let later = NOW + SCHEDULE_RETRY_AFTER_MS;
    let found = list(later);
    assert_eq!(found.len(), 1);
    // Two retries read the same row; only the first lease holds.
    assert_eq!(run(&conn, &lease(&found[0], later)), 1);
    assert_eq!(run(&conn, &lease(&found[0], later + 1)), 0);
    assert!(list(later).is_empty(), "the lease rests it again");
}

#[test]
fn m30_alike_profiles_without_a_shared_interest_meet_through_the_vector_index() {
    let conn = db();
    person(&conn, "ann", &["ai-ml"]);
    person(&conn, "bob", &["climate"]);
    person(&conn, "cat", &["databases"]);
    // Complementary skills, and profiles that read alike.
    conn.execute_batch(
        "UPDATE profiles SET goals = 'meet a websockets and webrtc engineer',
           skills = '[\"rust\", \"tokio\"]' WHERE user_id = 'ann';
         UPDATE profiles SET goals = 'learn rust and tokio',
           skills = '[\"websockets\", \"webrtc\"]' WHERE user_id = 'bob';",
    )
    .unwrap();
    assert!(
        plan(&conn, NOW).claims.is_empty(),
        "no interest in common, no vectors"
    );
    for (user, bio) in [
        (
            "ann",
            "realtime websocket servers in rust, collaborative editing",
        ),
        (
            "bob",
            "rust engineer building realtime websocket servers for editors",
        ),
        ("cat", "sourdough bread, pastry and laminated doughs"),
    ] {
        let st = plan_profile_embedding(user, None, bio, &format!("emb_{user}"), NOW)
            .unwrap()
            .statement;
        run(&conn, &st);
    }
    let r = plan(&conn, NOW);
    assert_eq!(
        r.claims.len(),
        1,
        "{} pairs scored",
        r.plan.pairs_considered
    );
    let p = &r.plan.proposals[0];
    let mut pair = [p.a.user_id.as_str(), p.b.user_id.as_str()];
    pair.sort_unstable();
    assert_eq!(pair, ["ann", "bob"]);
}

#[test]
fn m31_sweep_progress_adds_up_and_a_stale_cursor_records_nothing() {
    use connvo_shared::matching::embed_sweep::{advance, PageCounts, ProgressRow, SWEEP_PAGE};
    use connvo_shared::sql::embeddings::EmbeddingProgressGet;
    let conn = db();
    let page = |n: usize| -> Vec<String> { (0..n).map(|i| format!("user_{i:03}")).collect() };
    let full = usize::try_from(SWEEP_PAGE).unwrap();
    let counts = PageCounts {
        scanned: SWEEP_PAGE,
        embedded: 2,
        current: SWEEP_PAGE - 2,
        ..PageCounts::default()
    };
    assert_eq!(run(&conn, &advance("m", "", &page(full), &counts, 1)), 1);
    // A concurrent sweep that read the same (empty) cursor records nothing.
    assert_eq!(run(&conn, &advance("m", "", &page(full), &counts, 2)), 0);
    let last = format!("user_{:03}", full - 1);
    let short = PageCounts {
        scanned: 3,
        fallback: 1,
        ..PageCounts::default()
    };
    assert_eq!(run(&conn, &advance("m", &last, &page(3), &short, 3)), 1);
    let row: ProgressRow = all(&conn, EmbeddingProgressGet { model: "m" }).remove(0);
    assert_eq!(row.cursor, "", "a short page ends the pass");
    assert_eq!(
        (row.passes, row.scanned, row.embedded, row.fallback),
        (1, SWEEP_PAGE + 3, 2, 1)
    );
    assert_eq!(row.last_pass_at, Some(3));
}

#[test]
fn m35_post_call_signals_teach_once_even_when_the_job_runs_again() {
    use connvo_shared::matching::feedback::LearningConfig;
    use connvo_shared::matching::post_call::{plan_signals, Signal};
    use connvo_shared::matching::proposal_plan::{current_weights, WeightsRow};
    use connvo_shared::sql::matching::MatchingWeightsGet;
    let conn = db();
    person(&conn, "ann", &["ai-ml"]);
    person(&conn, "bob", &["ai-ml"]);
    let p = ProposalRow {
        id: "match_1".into(),
        a_entry_id: "mq_ann".into(),
        a_user_id: "ann".into(),
        b_entry_id: "mq_bob".into(),
        b_user_id: "bob".into(),
        score: 0.7,
        detail: r#"{"features": {"interests": 1.0, "skills": 0.0, "org": 0.5, "history": 0.5, "vector": null}}"#.into(),
        starts_at: NOW,
        respond_by: NOW,
        status: "matched".into(),
        meeting_id: None,
        created_at: NOW,
        updated_at: NOW,
    };
    let weights = |conn: &Connection| {
        let row: Option<WeightsRow> = all::<WeightsRow>(conn, MatchingWeightsGet {}).pop();
        current_weights(row.as_ref(), &Weights::default())
    };
    let learning = LearningConfig::default();
    // The job: met and the insights, from an empty weights table.
    let (w0, n0) = weights(&conn);
    assert_eq!(n0, -1);
    let signals = [Signal::Met, Signal::Insights { a: 1.0, b: 0.5 }];
    let changes = batch(
        &conn,
        &plan_signals(&p, &signals, (&w0, n0), &learning, NOW),
    );
    assert_eq!(changes, [1, 1, 1, 1, 1, 1], "both puts and four rows");
    let (w1, n1) = weights(&conn);
    assert_eq!(n1, 2);
    assert!(w1.interests > w0.interests, "{w1:?}");
    // The same job again (a retry): nothing changes.
    let again = batch(
        &conn,
        &plan_signals(&p, &signals, (&w1, n1), &learning, NOW),
    );
    assert_eq!(again, [0, 0, 0, 0, 0, 0]);
    assert_eq!(weights(&conn), (w1, n1));
    // A connection: a third update; a stale count writes the rows only.
    let stale = batch(
        &conn,
        &plan_signals(&p, &[Signal::Connected], (&w0, 0), &learning, NOW),
    );
    assert_eq!(stale, [0, 1, 1]);
    assert_eq!(weights(&conn).1, 2);
    let history = all::<HistoryRow>(
        &conn,
        MatchHistoryForUsers {
            user_ids: r#"["ann"]"#,
        },
    );
    assert_eq!((history[0].proposals, history[0].completed), (1, 1));
}
