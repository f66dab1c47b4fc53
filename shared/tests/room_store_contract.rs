//! The `RoomStore` contract: one behaviour suite, run against every
//! implementation (`MemoryStore` and `SqlRoomStore` over SQLite), in the
//! manner of tldraw's storage contract suite. A new store passes this
//! before the room may use it.
//!
//! The SQL store's statements are also checked here against SQLite's
//! planner: none may read a whole table, except the one that is meant to.

mod room_support;

use connvo_shared::acl::{MeetingRole, MeetingState};
use connvo_shared::ot::{CommittedOp, Op};
use connvo_shared::room::store::queries;
use connvo_shared::room::{
    CallPresence, ChatMessage, MemoryStore, NotesSnapshot, RoomConfig, RoomMeta, RoomStore,
    StoreError, TranscriptChunk, TranscriptSource, MAX_SAFE_INT,
};
use room_support::sqlite::{sql_store, Sqlite};
use room_support::*;

fn op(version: u64, client: &str, seq: u64) -> CommittedOp {
    CommittedOp {
        version,
        op: Op::insert_at(0, "x"),
        author_id: format!("author-of-{client}"),
        client_id: client.into(),
        client_seq: seq,
        base_version: version - 1,
        transformed_over: 0,
        committed_at_ms: 1000 + version,
    }
}

fn chunk(seq: u64, start_ms: u64) -> TranscriptChunk {
    TranscriptChunk {
        seq,
        speaker_id: seq.is_multiple_of(2).then(|| "spk".to_owned()),
        text: format!("chunk {seq} é😀"),
        confidence: 0.25 + seq as f64 / 1000.0,
        start_ms,
        end_ms: start_ms + 10,
        is_final: !seq.is_multiple_of(3),
        language: (seq % 2 == 1).then(|| "en-GB".to_owned()),
        source: if seq.is_multiple_of(2) {
            TranscriptSource::Stream
        } else {
            TranscriptSource::Participant
        },
        created_at_ms: 5000 + seq,
    }
}

fn message(seq: u64, user: &str, client_ref: &str) -> ChatMessage {
    ChatMessage {
        seq,
        user_id: user.into(),
        client_ref: client_ref.into(),
        text: format!("message {seq} \"quoted\" \n😀"),
        created_at_ms: 7000 + seq,
    }
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

// --- the contract ----------------------------------------------------------

fn a_fresh_store_is_empty<S: RoomStore>(store: S) {
    assert_eq!(store.load_meta().unwrap(), None);
    let head = store.notes_head().unwrap();
    assert_eq!(
        (head.version, head.log_base, head.snapshot.version),
        (0, 0, 0)
    );
    assert!(head.snapshot.content.is_empty() && head.clients.is_empty());
    assert_eq!(store.transcript_head().unwrap(), 0);
    assert_eq!(store.chat_head().unwrap(), 0);
    assert_eq!(store.nonce_next_expiry().unwrap(), None);
    assert!(store.note_ops_since(0, 10).unwrap().is_empty());
    assert!(store.transcript_after(0, 10).unwrap().is_empty());
    assert!(store.chat_after(0, 10).unwrap().is_empty());
}

fn meta_round_trips_and_is_replaced<S: RoomStore>(mut store: S) {
    let mut meta = RoomMeta::new("meeting-1");
    store.save_meta(&meta).unwrap();
    assert_eq!(store.load_meta().unwrap(), Some(meta.clone()));
    meta.state = MeetingState::Concluded;
    meta.started_at_ms = Some(10);
    meta.ended_at_ms = Some(MAX_SAFE_INT);
    meta.last_activity_ms = Some(12);
    meta.speaking_ms.insert("ü\"ser".into(), 1234);
    meta.members.insert("a".into(), Some(MeetingRole::Observer));
    meta.members.insert("b".into(), None);
    meta.activity_rev = 7;
    meta.flushed.transcript_seq = 3;
    meta.flushed.notes_version = 4;
    meta.flushed.chat_seq = 5;
    meta.flushed.activity_rev = 6;
    meta.call_presence.insert(
        "a".into(),
        CallPresence {
            in_call: true,
            at_ms: MAX_SAFE_INT,
            role: Some(MeetingRole::Host),
        },
    );
    meta.call_presence.insert(
        "ü\"c".into(),
        CallPresence {
            in_call: false,
            at_ms: 0,
            role: None,
        },
    );
    store.save_meta(&meta).unwrap();
    assert_eq!(store.load_meta().unwrap(), Some(meta.clone()));
    meta.call_presence.clear();
    store.save_meta(&meta).unwrap();
    assert_eq!(store.load_meta().unwrap(), Some(meta));
}

fn note_ops_append_in_sequence_only<S: RoomStore>(mut store: S) {
    store.append_note_op(&op(1, "c1", 1)).unwrap();
    store.append_note_op(&op(2, "c2", 1)).unwrap();
    assert!(
        is_conflict(store.append_note_op(&op(2, "c1", 2))),
        "duplicate version"
    );
    assert!(is_conflict(store.append_note_op(&op(4, "c1", 2))), "gap");
    store.append_note_op(&op(3, "c1", 2)).unwrap();
    let all = store.note_ops_since(0, 100).unwrap();
    assert_eq!(all.iter().map(|o| o.version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[2], op(3, "c1", 2), "every field round-trips");
    assert_eq!(store.note_ops_since(1, 1).unwrap(), [op(2, "c2", 1)]);
    assert!(store.note_ops_since(3, 10).unwrap().is_empty());
    let head = store.notes_head().unwrap();
    assert_eq!(head.version, 3);
    let mut clocks: Vec<_> = head
        .clients
        .iter()
        .map(|c| {
            (
                c.client_id.as_str(),
                c.author_id.as_str(),
                c.last_seq,
                c.last_version,
            )
        })
        .collect();
    clocks.sort();
    assert_eq!(
        clocks,
        [("c1", "author-of-c1", 2, 3), ("c2", "author-of-c2", 1, 2)]
    );
}

fn clocks_never_move_back<S: RoomStore>(mut store: S) {
    store.append_note_op(&op(1, "c", 5)).unwrap();
    store.append_note_op(&op(2, "c", 3)).unwrap();
    let head = store.notes_head().unwrap();
    assert_eq!(
        (head.clients[0].last_seq, head.clients[0].last_version),
        (5, 1)
    );
}

fn snapshots_move_forward_and_bound_compaction<S: RoomStore>(mut store: S) {
    for v in 1..=5 {
        store.append_note_op(&op(v, "c", v)).unwrap();
    }
    assert_eq!(
        store.compact_note_ops(5).unwrap(),
        0,
        "nothing without a snapshot"
    );
    let snap = |version: u64, content: &str| NotesSnapshot {
        content: content.into(),
        version,
        last_rebased_at: Some(9),
        last_author_id: Some("a".into()),
        updated_at: Some(10),
    };
    assert!(is_conflict(store.save_notes_snapshot(&snap(6, "ahead"))));
    store.save_notes_snapshot(&snap(3, "xxx")).unwrap();
    store.save_notes_snapshot(&snap(2, "older")).unwrap();
    let head = store.notes_head().unwrap();
    assert_eq!(head.snapshot, snap(3, "xxx"));
    assert_eq!(head.version, 5);
    // Compaction stops at the snapshot, whatever is asked.
    assert_eq!(store.compact_note_ops(10).unwrap(), 3);
    assert_eq!(store.compact_note_ops(10).unwrap(), 0);
    let head = store.notes_head().unwrap();
    assert_eq!((head.log_base, head.version), (3, 5));
    assert_eq!(
        store
            .note_ops_since(0, 10)
            .unwrap()
            .iter()
            .map(|o| o.version)
            .collect::<Vec<_>>(),
        [4, 5]
    );
    // Appends continue after the head; a snapshot at the head makes the log optional.
    store.append_note_op(&op(6, "c", 6)).unwrap();
    store.save_notes_snapshot(&snap(6, "xxxxxx")).unwrap();
    assert_eq!(store.compact_note_ops(6).unwrap(), 3);
    let head = store.notes_head().unwrap();
    assert_eq!((head.log_base, head.version, head.clients.len()), (6, 6, 1));
    store.append_note_op(&op(7, "c", 7)).unwrap();
    assert!(is_conflict(store.append_note_op(&op(6, "c", 8))));
}

fn transcript_is_sequenced_and_read_by_seq_or_time<S: RoomStore>(mut store: S) {
    let starts = [500, 100, 300, 100, 900];
    for (i, start) in starts.iter().enumerate() {
        store
            .append_transcript(&chunk(i as u64 + 1, *start))
            .unwrap();
    }
    assert!(is_conflict(store.append_transcript(&chunk(5, 1))));
    assert!(is_conflict(store.append_transcript(&chunk(7, 1))));
    assert_eq!(store.transcript_head().unwrap(), 5);
    let after = store.transcript_after(2, 2).unwrap();
    assert_eq!(
        after,
        [chunk(3, 300), chunk(4, 100)],
        "every field round-trips"
    );
    let by_time: Vec<u64> = store
        .transcript_by_time(100, 900, 10)
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(
        by_time,
        [2, 4, 3, 1],
        "by start, then seq; the end is exclusive"
    );
    assert_eq!(store.transcript_by_time(100, 900, 1).unwrap().len(), 1);
    assert!(store.transcript_by_time(901, 2000, 10).unwrap().is_empty());
}

fn chat_is_sequenced_and_idempotent_per_user_ref<S: RoomStore>(mut store: S) {
    store.append_chat(&message(1, "u1", "r1")).unwrap();
    store.append_chat(&message(2, "u2", "r1")).unwrap();
    assert!(
        is_conflict(store.append_chat(&message(3, "u1", "r1"))),
        "same user and ref"
    );
    assert!(
        is_conflict(store.append_chat(&message(2, "u1", "r2"))),
        "same seq"
    );
    assert!(
        is_conflict(store.append_chat(&message(9, "u1", "r2"))),
        "gap"
    );
    store.append_chat(&message(3, "u1", "r2")).unwrap();
    assert_eq!(store.chat_head().unwrap(), 3);
    assert_eq!(
        store.chat_by_client_ref("u2", "r1").unwrap(),
        Some(message(2, "u2", "r1"))
    );
    assert_eq!(store.chat_by_client_ref("u3", "r1").unwrap(), None);
    assert_eq!(
        store.chat_after(1, 5).unwrap(),
        [message(2, "u2", "r1"), message(3, "u1", "r2")]
    );
}

fn nonces_are_single_use_until_they_expire<S: RoomStore>(mut store: S) {
    assert!(store.nonce_insert(&[1; 16], 100).unwrap());
    assert!(!store.nonce_insert(&[1; 16], 500).unwrap());
    assert!(store.nonce_insert(&[2; 16], 50).unwrap());
    assert_eq!(store.nonce_next_expiry().unwrap(), Some(50));
    assert_eq!(store.nonce_prune(49).unwrap(), 0);
    assert_eq!(store.nonce_prune(50).unwrap(), 1);
    assert_eq!(store.nonce_next_expiry().unwrap(), Some(100));
    assert!(!store.nonce_insert(&[1; 16], 100).unwrap());
    assert_eq!(store.nonce_prune(1000).unwrap(), 1);
    assert!(store.nonce_insert(&[1; 16], 2000).unwrap());
}

fn prompt_events_are_sequenced_and_intel_round_trips<S: RoomStore>(mut store: S) {
    use connvo_shared::intelligence::feedback::{Reaction, Tally};
    use connvo_shared::intelligence::generator::IdeaKind;
    use connvo_shared::room::{
        LivePrompt, PromptEvent, PromptEventBody, PromptReaction, RoomIntel,
    };
    let prompt = |seq| PromptEvent {
        seq,
        at_ms: 10 + seq,
        body: PromptEventBody::Prompt(LivePrompt {
            prompt_id: format!("prm_{seq}"),
            idea_kind: IdeaKind::Question,
            content: "Ask Bob about pricing?".into(),
            tags: vec!["lull".into()],
            relevance: 0.75,
            trigger: "lull".into(),
            source: "heuristic".into(),
        }),
    };
    assert_eq!(store.prompt_head().unwrap(), 0);
    assert!(store.prompt_events_after(0, 10).unwrap().is_empty());
    store.append_prompt_event(&prompt(1)).unwrap();
    assert!(is_conflict(store.append_prompt_event(&prompt(1))));
    assert!(is_conflict(store.append_prompt_event(&prompt(3))));
    let reaction = PromptEvent {
        seq: 2,
        at_ms: 20,
        body: PromptEventBody::Reaction(PromptReaction {
            prompt_id: "prm_1".into(),
            user_id: "u1".into(),
            reaction: Reaction::Used,
            previous: None,
            tally: Tally {
                used: 1,
                upvoted: 0,
                dismissed: 0,
            },
            transcript_seq: 7,
            notes_version: 3,
        }),
    };
    store.append_prompt_event(&reaction).unwrap();
    assert_eq!(store.prompt_head().unwrap(), 2);
    assert_eq!(
        store.prompt_events_after(0, 10).unwrap(),
        [prompt(1), reaction.clone()]
    );
    assert_eq!(store.prompt_events_after(1, 1).unwrap(), [reaction]);
    assert_eq!(store.load_intel().unwrap(), None);
    let mut intel = RoomIntel {
        incall_enabled: false,
        detections: 4,
        flushed_prompt_seq: 2,
        ..RoomIntel::default()
    };
    store.save_intel(&intel).unwrap();
    intel.detections = 5;
    store.save_intel(&intel).unwrap();
    assert_eq!(store.load_intel().unwrap(), Some(intel));
}

fn integers_past_2_pow_53_are_refused<S: RoomStore>(mut store: S) {
    let big = MAX_SAFE_INT + 1;
    assert_eq!(
        store.append_transcript(&chunk(1, big)).unwrap_err(),
        StoreError::OutOfRange("start_ms")
    );
    let mut late = message(1, "u", "r");
    late.created_at_ms = big;
    assert!(matches!(
        store.append_chat(&late),
        Err(StoreError::OutOfRange(_))
    ));
    let mut meta = RoomMeta::new("m");
    meta.speaking_ms.insert("u".into(), big);
    assert!(matches!(
        store.save_meta(&meta),
        Err(StoreError::OutOfRange(_))
    ));
    let mut meta = RoomMeta::new("m");
    meta.call_presence.insert(
        "u".into(),
        CallPresence {
            in_call: true,
            at_ms: big,
            role: None,
        },
    );
    assert!(matches!(
        store.save_meta(&meta),
        Err(StoreError::OutOfRange(_))
    ));
    assert!(matches!(
        store.nonce_insert(&[0; 16], big),
        Err(StoreError::OutOfRange(_))
    ));
    assert_eq!(store.transcript_head().unwrap(), 0);
    assert_eq!(store.chat_head().unwrap(), 0);
    assert_eq!(store.load_meta().unwrap(), None);
}

/// The same session script over a room on this store, with a reload in
/// the middle: what the clients see, and what is flushed.
fn a_room_on_it_runs_the_reference_script<S: RoomStore + Clone>(store: S) -> Vec<String> {
    use serde_json::json;
    let config = RoomConfig {
        notes_snapshot_every: 3,
        notes_log_keep: 2,
        flush_max_rows: 4,
        ..RoomConfig::default()
    };
    let mut shell = Shell::with_store(store, config);
    shell
        .room
        .set_meeting_state(shell.now, MeetingState::Active)
        .unwrap();
    shell.join("a", "alice", MeetingRole::Host);
    shell.join("b", "bob", MeetingRole::Participant);
    for i in 0..6u64 {
        shell.json("a", json!({"type": "notes.op", "client_seq": i + 1, "base_version": i, "op": [i as usize, "é"]}));
        shell.json(
            "b",
            chunk_json(&format!("line {i}"), T0 + i * 400_000, i % 2 == 0),
        );
        shell.json(
            "b",
            json!({"type": "chat.send", "client_ref": format!("r{i}"), "text": "ok"}),
        );
        shell.advance(150);
        if i == 3 {
            shell.hibernate();
        }
    }
    shell.json(
        "b",
        json!({"type": "chat.send", "client_ref": "r1", "text": "again"}),
    );
    shell.advance(6000);
    while !shell.flushes.is_empty() {
        let batch = shell.flushes.remove(0);
        shell.room.flush_done(shell.now, batch.upto).unwrap();
        shell.drain();
    }
    shell.hibernate();
    shell.connect("c", "carol", MeetingRole::Observer);
    shell.hello(
        "c",
        "cc",
        json!({"notes_version": 1, "transcript_seq": 2, "chat_seq": 4}),
    );
    let mut seen: Vec<String> = Vec::new();
    for id in ["a", "b", "c"] {
        for msg in shell.take(id) {
            seen.push(format!("{id}: {}", msg.encode()));
        }
    }
    seen.push(format!("notes: {}", shell.room.notes().content()));
    seen.push(format!("heads: {:?}", shell.room.heads()));
    seen.push(format!("flushed: {:?}", shell.room.meta().flushed));
    seen
}

// --- the two implementations -------------------------------------------------

macro_rules! contract_suite {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn a_fresh_store_is_empty() {
                super::a_fresh_store_is_empty($make);
            }
            #[test]
            fn meta_round_trips_and_is_replaced() {
                super::meta_round_trips_and_is_replaced($make);
            }
            #[test]
            fn note_ops_append_in_sequence_only() {
                super::note_ops_append_in_sequence_only($make);
            }
            #[test]
            fn clocks_never_move_back() {
                super::clocks_never_move_back($make);
            }
            #[test]
            fn snapshots_move_forward_and_bound_compaction() {
                super::snapshots_move_forward_and_bound_compaction($make);
            }
            #[test]
            fn transcript_is_sequenced_and_read_by_seq_or_time() {
                super::transcript_is_sequenced_and_read_by_seq_or_time($make);
            }
            #[test]
            fn chat_is_sequenced_and_idempotent_per_user_ref() {
                super::chat_is_sequenced_and_idempotent_per_user_ref($make);
            }
            #[test]
            fn nonces_are_single_use_until_they_expire() {
                super::nonces_are_single_use_until_they_expire($make);
            }
            #[test]
            fn prompt_events_are_sequenced_and_intel_round_trips() {
                super::prompt_events_are_sequenced_and_intel_round_trips($make);
            }
            #[test]
            fn integers_past_2_pow_53_are_refused() {
                super::integers_past_2_pow_53_are_refused($make);
            }
        }
    };
}

contract_suite!(memory, MemoryStore::new());
contract_suite!(sqlite, sql_store());

#[test]
fn a_room_behaves_the_same_on_both_stores() {
    let memory = a_room_on_it_runs_the_reference_script(MemoryStore::new());
    let sqlite = a_room_on_it_runs_the_reference_script(sql_store());
    assert!(memory.len() > 20);
    for (m, s) in memory.iter().zip(&sqlite) {
        assert_eq!(m, s);
    }
    assert_eq!(memory.len(), sqlite.len());
}

#[test]
fn the_sql_store_survives_reopening_its_database() {
    let db = Sqlite::memory();
    let mut store = connvo_shared::room::SqlRoomStore::open(db.clone()).unwrap();
    store.append_chat(&message(1, "u", "r")).unwrap();
    let again = connvo_shared::room::SqlRoomStore::open(db).unwrap();
    assert_eq!(
        again.chat_head().unwrap(),
        1,
        "the schema is created only if missing"
    );
}

#[test]
fn a_database_from_schema_version_1_opens_and_gains_call_presence() {
    // An object created before `room_call_presence` existed: room_meta
    // holds a row, the new table is missing.
    let db = Sqlite::memory();
    let mut store = connvo_shared::room::SqlRoomStore::open(db.clone()).unwrap();
    let mut meta = RoomMeta::new("m");
    meta.members
        .insert("u".into(), Some(MeetingRole::Participant));
    store.save_meta(&meta).unwrap();
    db.0.execute_batch("DROP TABLE room_call_presence").unwrap();
    // Both rows are written atomically: without the table, neither is.
    // (The call presence changes too: an unchanged one is not rewritten.)
    let mut ended = meta.clone();
    ended.state = MeetingState::Concluded;
    ended.call_presence.insert(
        "u".into(),
        CallPresence {
            in_call: true,
            at_ms: 1,
            role: None,
        },
    );
    assert!(store.save_meta(&ended).is_err());
    let mut store = connvo_shared::room::SqlRoomStore::open(db.clone()).unwrap();
    assert_eq!(store.load_meta().unwrap(), Some(meta.clone()));
    meta.call_presence.insert(
        "u".into(),
        CallPresence {
            in_call: true,
            at_ms: 5,
            role: None,
        },
    );
    store.save_meta(&meta).unwrap();
    let again = connvo_shared::room::SqlRoomStore::open(db).unwrap();
    assert_eq!(again.load_meta().unwrap(), Some(meta));
}

#[test]
fn a_failing_atomic_step_writes_nothing() {
    // The op row goes in, the clock upsert fails: both are rolled back.
    let db = Sqlite::memory();
    let mut store = connvo_shared::room::SqlRoomStore::open(db.clone()).unwrap();
    db.0.execute_batch("DROP TABLE room_note_clients").unwrap();
    assert!(store.append_note_op(&op(1, "c", 1)).is_err());
    db.0.execute_batch(
        "CREATE TABLE room_note_clients (client_id TEXT PRIMARY KEY, author_id TEXT NOT NULL, \
         last_seq INTEGER NOT NULL, last_version INTEGER NOT NULL) STRICT, WITHOUT ROWID",
    )
    .unwrap();
    assert_eq!(store.note_ops_since(0, 10).unwrap(), []);
    store.append_note_op(&op(1, "c", 1)).unwrap();
}

#[test]
fn no_room_statement_reads_a_whole_table() {
    let db = Sqlite::memory();
    let _store = connvo_shared::room::SqlRoomStore::open(db.clone()).unwrap();
    // Loaded once per wake-up, and bounded by the clients of one meeting.
    let allowed = ["NOTES_CLIENTS_ALL"];
    for (name, sql) in queries::ALL {
        let mut stmt = db.0.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        let details: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(nulls), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let scans: Vec<&String> = details
            .iter()
            .filter(|d| d.starts_with("SCAN ") && !d.starts_with("SCAN CONSTANT ROW"))
            .collect();
        if allowed.contains(name) {
            continue;
        }
        assert!(scans.is_empty(), "{name} scans: {details:?}");
    }
}
