//! The room, driven through its protocol by two or three sessions. Test
//! names carry the rule ids of `docs/protocol.md` (`r04_…` is rule R4):
//! when a test and the document disagree, one of them is wrong.

mod room_support;

use connvo_shared::acl::{MeetingRole, MeetingState};
use connvo_shared::room::protocol::ServerMsg;
use connvo_shared::room::{
    CallPresence, CloseCode, CloseReason, Frame, MemoryStore, RoomConfig, RoomStore, Stream, Sub,
    TranscriptInput,
};
use room_support::*;
use serde_json::json;

use MeetingRole::{Host, Observer, Participant};

fn op(client_seq: u64, base_version: u64, op: serde_json::Value) -> serde_json::Value {
    json!({"type": "notes.op", "client_seq": client_seq, "base_version": base_version, "op": op})
}

/// A room that is always busy (R26): every hot item waits for the window,
/// which is what the tests of the window's bounds need.
fn busy(config: RoomConfig) -> RoomConfig {
    RoomConfig {
        coalesce_idle_per_sec: 0,
        ..config
    }
}

#[test]
fn r01_nothing_is_sent_before_hello_and_frames_before_it_are_refused() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.connect("b", "bob", Participant);
    assert!(shell.take("b").is_empty());
    shell.json(
        "a",
        json!({"type": "chat.send", "client_ref": "m1", "text": "hi"}),
    );
    shell.json("a", chunk_json("hello", T0, true));
    shell.advance(1000);
    assert!(shell.take("b").is_empty(), "no broadcast before hello");
    shell.json(
        "b",
        json!({"type": "chat.send", "client_ref": "m1", "text": "hi", "ref": "r9"}),
    );
    shell.json("b", json!({"type": "ping", "ref": "p1"}));
    let got = shell.take("b");
    assert_eq!(error_codes(&got), ["HELLO_REQUIRED"]);
    assert!(matches!(&got[0], ServerMsg::Error { r#ref: Some(r), .. } if r == "r9"));
    assert!(matches!(&got[1], ServerMsg::Pong { r#ref: Some(r) } if r == "p1"));
    shell.hello("b", "cb", json!({}));
    shell.hello("b", "cb", json!({}));
    let got = shell.take("b");
    assert_eq!(got.iter().filter(|m| msg_type(m) == "welcome").count(), 1);
    assert_eq!(error_codes(&got), ["ALREADY_HELLO"]);
    assert_eq!(transcript_seqs(&got), [1]);
    assert_eq!(chat_seqs(&got), [1]);
}

#[test]
fn r02_welcome_then_catch_up_in_stream_order() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.connect("a", "alice", Host);
    shell.hello("a", "ca", json!({}));
    let got = shell.take("a");
    assert_eq!(
        got.iter().map(msg_type).collect::<Vec<_>>(),
        ["welcome", "state", "presence", "notes.snapshot"]
    );
    match &got[0] {
        ServerMsg::Welcome {
            protocol,
            user_id,
            role,
            meeting_state,
            subscribed,
            session_id,
            ..
        } => {
            assert_eq!(*protocol, 1);
            assert_eq!(user_id, "alice");
            assert_eq!(session_id, "a");
            assert_eq!(*role, Host);
            assert_eq!(*meeting_state, MeetingState::Active);
            assert_eq!(subscribed.iter().count(), 6);
        }
        other => panic!("{other:?}"),
    }
    match &got[2] {
        ServerMsg::Presence { full: true, users } => {
            assert_eq!(users.len(), 1);
            assert_eq!(users[0].user_id, "alice");
        }
        other => panic!("{other:?}"),
    }
    // Only what was asked for.
    shell.connect("b", "bob", Participant);
    shell.json(
        "b",
        json!({"type": "hello", "protocol": 1, "client_id": "cb", "subscribe": ["chat"]}),
    );
    assert_eq!(shell.types("b"), ["welcome"]);
    // Audit: one entry per stream subscription (Requirement 4.5).
    let subs = shell
        .audits
        .iter()
        .filter(|a| a.action == "room.subscribe" && a.actor_user_id.as_deref() == Some("bob"))
        .count();
    assert_eq!(subs, 1);
}

#[test]
fn r03_r04_notes_sender_is_acked_at_once_others_within_the_window() {
    let mut shell = Shell::active(busy(RoomConfig::default()));
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.clear();
    shell.json("a", op(1, 0, json!(["hi"])));
    assert_eq!(
        shell.take("a"),
        [ServerMsg::NotesAck {
            client_seq: 1,
            version: 1
        }]
    );
    assert!(shell.take("b").is_empty());
    // Stored before the ack left.
    assert_eq!(shell.room.store().note_ops_since(0, 10).unwrap().len(), 1);
    shell.advance(99);
    assert!(shell.take("b").is_empty());
    shell.advance(1);
    match shell.take("b").as_slice() {
        [ServerMsg::NotesOps { ops }] => {
            assert_eq!(ops.len(), 1);
            assert_eq!(ops[0].version, 1);
            assert_eq!(ops[0].author_id, "alice");
            assert_eq!(ops[0].client_id, "client-a");
        }
        other => panic!("{other:?}"),
    }
    // Bob edits concurrently against version 0: transformed, acked as 2.
    shell.json("b", op(1, 0, json!(["yo "])));
    assert_eq!(
        shell.take("b"),
        [ServerMsg::NotesAck {
            client_seq: 1,
            version: 2
        }]
    );
    // Alice sends against 1 before seeing bob's op: she gets bob's op first, then her ack.
    shell.json("a", op(2, 1, json!([2, "!"])));
    let got = shell.take("a");
    assert_eq!(
        got.iter().map(msg_type).collect::<Vec<_>>(),
        ["notes.ops", "notes.ack"]
    );
    assert_eq!(shell.room.notes().content(), "yo hi!");
    // A resend is acked with the original version and applied nowhere.
    shell.json("a", op(2, 1, json!([2, "!"])));
    assert_eq!(
        shell.take("a"),
        [ServerMsg::NotesAck {
            client_seq: 2,
            version: 3
        }]
    );
    assert_eq!(shell.room.notes().version(), 3);
}

#[test]
fn r05_a_refused_op_gets_its_client_seq_and_the_document() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.json("a", op(1, 0, json!(["abc"])));
    shell.take("a");
    shell.json("a", op(2, 1, json!([5, {"d": 3}])));
    match shell.take("a").as_slice() {
        [ServerMsg::NotesReject {
            client_seq,
            code,
            content,
            version,
            ..
        }] => {
            assert_eq!((*client_seq, code.as_str()), (2, "OT_BASE_LENGTH_MISMATCH"));
            assert_eq!((content.as_str(), *version), ("abc", 1));
        }
        other => panic!("{other:?}"),
    }
    shell.json("a", op(3, 9, json!(["x"])));
    assert!(
        matches!(&shell.take("a")[..], [ServerMsg::NotesReject { code, .. }] if code == "OT_VERSION_AHEAD")
    );
    shell.json("a", op(4, 1, json!([-1])));
    assert!(
        matches!(&shell.take("a")[..], [ServerMsg::NotesReject { code, client_seq: 4, .. }] if code == "OT_INVALID_OP")
    );
    // Observers are refused by the ACL, with a reject so they can roll back.
    shell.join("o", "olga", Observer);
    shell.json("o", op(1, 1, json!(["x"])));
    assert!(
        matches!(&shell.take("o")[..], [ServerMsg::NotesReject { code, .. }] if code == "FORBIDDEN")
    );
    assert!(shell.audits.iter().any(
        |a| a.action == "room.write_notes" && a.metadata["reason"] == "DENY_OBSERVER_READ_ONLY"
    ));
    assert_eq!(shell.room.notes().content(), "abc");
}

#[test]
fn r06_resume_sends_exactly_the_missing_tail() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    for i in 0..5u64 {
        shell.json("a", chunk_json(&format!("c{i}"), T0 + i * 1000, true));
        shell.json(
            "a",
            json!({"type": "chat.send", "client_ref": format!("m{i}"), "text": "hey"}),
        );
        shell.json("a", op(i + 1, i, json!(["x"])));
    }
    shell.advance(200);
    let b = shell.take("b");
    assert_eq!(transcript_seqs(&b), [1, 2, 3, 4, 5]);
    assert_eq!(chat_seqs(&b), [1, 2, 3, 4, 5]);
    shell.disconnect("b");
    for i in 5..8u64 {
        shell.json("a", chunk_json("more", T0 + i * 1000, true));
        shell.json(
            "a",
            json!({"type": "chat.send", "client_ref": format!("m{i}"), "text": "hey"}),
        );
        shell.json("a", op(i + 1, i, json!(["y"])));
    }
    shell.connect("b2", "bob", Participant);
    shell.hello(
        "b2",
        "cb2",
        json!({"notes_version": 5, "transcript_seq": 3, "chat_seq": 5}),
    );
    let got = shell.take("b2");
    assert_eq!(transcript_seqs(&got), [4, 5, 6, 7, 8]);
    assert_eq!(chat_seqs(&got), [6, 7, 8]);
    let versions: Vec<u64> = got
        .iter()
        .flat_map(|m| match m {
            ServerMsg::NotesOps { ops } => ops.iter().map(|o| o.version).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(versions, [6, 7, 8]);
    assert!(!got
        .iter()
        .any(|m| matches!(m, ServerMsg::NotesSnapshot { .. })));
}

#[test]
fn r06_too_far_behind_gets_a_snapshot_or_the_latest_window() {
    let config = RoomConfig {
        resume_max_items: 3,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    for i in 0..6u64 {
        shell.json("a", chunk_json("c", T0 + i, true));
        shell.json(
            "a",
            json!({"type": "chat.send", "client_ref": format!("m{i}"), "text": "hey"}),
        );
        shell.json("a", op(i + 1, i, json!(["x"])));
    }
    shell.connect("b", "bob", Participant);
    shell.hello(
        "b",
        "cb",
        json!({"notes_version": 1, "transcript_seq": 1, "chat_seq": 0}),
    );
    let got = shell.take("b");
    assert_eq!(transcript_seqs(&got), [4, 5, 6]);
    assert!(got.iter().any(|m| matches!(
        m,
        ServerMsg::TranscriptChunks {
            truncated: true,
            ..
        }
    )));
    assert!(got.iter().any(|m| matches!(
        m,
        ServerMsg::ChatMessages {
            truncated: true,
            ..
        }
    )));
    assert!(got.iter().any(
        |m| matches!(m, ServerMsg::NotesSnapshot { version: 6, content } if content == "xxxxxx")
    ));
}

#[test]
fn r07_transcript_is_coalesced_by_time_and_by_count() {
    let config = busy(RoomConfig {
        coalesce_max: 4,
        ..RoomConfig::default()
    });
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Participant);
    shell.join("b", "bob", Participant);
    shell.json("a", chunk_json("one", T0, false));
    shell.advance(50);
    shell.json("a", chunk_json("two", T0, true));
    assert!(shell.take("b").is_empty());
    shell.advance(50);
    let got = shell.take("b");
    let frames: Vec<_> = got
        .iter()
        .filter(|m| msg_type(m) == "transcript.chunks")
        .collect();
    assert_eq!(frames.len(), 1, "one frame for both chunks");
    assert_eq!(transcript_seqs(&got), [1, 2]);
    // Four at once go out without waiting.
    for i in 0..4 {
        shell.json("a", chunk_json("burst", T0 + i, true));
    }
    assert_eq!(transcript_seqs(&shell.take("b")), [3, 4, 5, 6]);
    // Captions from Stream join the same sequence.
    let seq = shell
        .room
        .append_server_transcript(
            shell.now,
            TranscriptInput {
                speaker_id: Some("stream-user-7".into()),
                text: "caption".into(),
                confidence: 0.8,
                start_ms: T0,
                end_ms: T0 + 500,
                is_final: true,
                language: None,
            },
        )
        .unwrap();
    assert_eq!(seq, 7);
    shell.advance(100);
    let got = shell.take("b");
    match got.iter().find(|m| msg_type(m) == "transcript.chunks") {
        Some(ServerMsg::TranscriptChunks { chunks, .. }) => {
            assert_eq!(chunks[0].source.as_str(), "stream");
            assert_eq!(chunks[0].speaker_id.as_deref(), Some("stream-user-7"));
        }
        other => panic!("{other:?}"),
    }
    // The speaking stats follow final chunks, in the state frame.
    match got.iter().find(|m| msg_type(m) == "state") {
        Some(ServerMsg::State { speaking_ms, .. }) => {
            assert_eq!(speaking_ms.get("alice"), Some(&5000));
            assert_eq!(speaking_ms.get("stream-user-7"), Some(&500));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r26_an_idle_room_delivers_at_once_a_busy_one_within_the_window() {
    let config = RoomConfig {
        coalesce_idle_per_sec: 5,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.advance(2_000);
    shell.clear();
    // Idle: a lone edit reaches bob in the input that committed it.
    shell.json("a", op(1, 0, json!(["hi"])));
    assert!(matches!(
        shell.take("b").as_slice(),
        [ServerMsg::NotesOps { ops }] if ops.len() == 1
    ));
    assert!(shell
        .room
        .poll_timeout()
        .is_none_or(|t| t > shell.now + 100));
    // Busy: past the idle rate (the edit and four chunks in this second),
    // the next items wait for the window together…
    for i in 0..4 {
        shell.json("a", chunk_json("fast", T0 + i, false));
        assert_eq!(transcript_seqs(&shell.take("b")), [i + 1]);
    }
    shell.json("a", chunk_json("held", T0, false));
    shell.json("a", chunk_json("joins", T0, false));
    assert!(shell.take("b").is_empty());
    shell.advance(99);
    assert!(shell.take("b").is_empty());
    shell.advance(1);
    let got = shell.take("b");
    assert_eq!(
        got.iter()
            .filter(|m| msg_type(m) == "transcript.chunks")
            .count(),
        1
    );
    assert_eq!(transcript_seqs(&got), [5, 6]);
    // …and after a quiet second the room is idle again.
    shell.advance(2_000);
    shell.json("a", op(2, 1, json!([2, "!"])));
    assert_eq!(shell.take("b").len(), 1);
}

#[test]
fn r27_a_lagging_room_sheds_state_frames_and_coalescing_but_no_chunk() {
    let config = RoomConfig {
        shed_lag_ms: 50,
        shed_state_every_ms: 1_000,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(busy(config));
    shell.join("a", "alice", Participant);
    shell.join("b", "bob", Participant);
    shell.json("a", chunk_json("one", T0, true));
    // The timer fires 300 ms late: the room is falling behind.
    shell.now += 400;
    shell.room.handle_timeout(shell.now);
    shell.drain();
    assert_eq!(transcript_seqs(&shell.take("b")), [1]);
    assert_eq!(shell.room.shed_counters().episodes, 1);
    // While shedding, the speaking stats go out at most once a second;
    // every chunk still arrives, in order.
    let mut seqs = Vec::new();
    let mut states = 0;
    for i in 0..10 {
        shell.json("a", chunk_json("more", T0 + i * 100, true));
        // Each window's timer fires 100 ms late: still behind.
        shell.now += 200;
        shell.room.handle_timeout(shell.now);
        shell.drain();
        let got = shell.take("b");
        states += got.iter().filter(|m| msg_type(m) == "state").count();
        seqs.extend(transcript_seqs(&got));
    }
    shell.advance(1_000);
    let got = shell.take("b");
    states += got.iter().filter(|m| msg_type(m) == "state").count();
    seqs.extend(transcript_seqs(&got));
    assert_eq!(seqs, (2..=11).collect::<Vec<u64>>());
    assert!((2..=4).contains(&states), "{states} state frames");
    let shed = shell.room.shed_counters();
    assert!(shed.state_frames >= 6, "{shed:?}");
    assert_eq!(shed.held_items, 10);
    // The last state frame carries every chunk's speaking time.
    assert_eq!(
        shell.room.meta().speaking_ms.get("alice").copied(),
        Some(11 * 1_000)
    );
}

#[test]
fn r08_transcript_chunks_carry_the_sender_as_speaker() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Participant);
    let mut chunk = chunk_json("mine", T0, true);
    chunk["chunk"]["speaker_id"] = json!("bob");
    shell.json("a", chunk);
    assert_eq!(error_codes(&shell.take("a")), ["SPEAKER_MISMATCH"]);
    shell.json("a", chunk_json("mine", T0, true));
    shell.advance(100);
    let got = shell.take("a");
    match got.iter().find(|m| msg_type(m) == "transcript.chunks") {
        Some(ServerMsg::TranscriptChunks { chunks, .. }) => {
            assert_eq!(chunks[0].speaker_id.as_deref(), Some("alice"));
            assert_eq!(chunks[0].source.as_str(), "participant");
            assert_eq!(chunks[0].seq, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r09_chat_is_idempotent_per_user_and_client_ref() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Participant);
    shell.join("b", "bob", Participant);
    shell.clear();
    let send = json!({"type": "chat.send", "client_ref": "m-1", "text": "hello"});
    shell.json("a", send.clone());
    let got = shell.take("a");
    assert_eq!(
        got.iter().map(msg_type).collect::<Vec<_>>(),
        ["chat.messages", "chat.ack"]
    );
    assert!(matches!(
        &got[1],
        ServerMsg::ChatAck {
            seq: 1,
            duplicate: false,
            ..
        }
    ));
    assert_eq!(chat_seqs(&shell.take("b")), [1], "chat is not held back");
    shell.json("a", send.clone());
    assert_eq!(
        shell.take("a"),
        [ServerMsg::ChatAck {
            client_ref: "m-1".into(),
            seq: 1,
            duplicate: true
        }]
    );
    assert!(shell.take("b").is_empty());
    // Another user may use the same ref.
    shell.json("b", send);
    assert!(matches!(
        shell.take("b").last(),
        Some(ServerMsg::ChatAck {
            seq: 2,
            duplicate: false,
            ..
        })
    ));
    let long = "é".repeat(2001);
    shell.json(
        "a",
        json!({"type": "chat.send", "client_ref": "m-2", "text": long}),
    );
    assert_eq!(error_codes(&shell.take("a")), ["CHAT_TOO_LONG"]);
    assert_eq!(shell.room.heads().chat_seq, 2);
}

#[test]
fn r10_presence_counts_each_user_once() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b1", "bob", Participant);
    let change = |msgs: Vec<ServerMsg>| -> Vec<(String, bool, u32, bool)> {
        msgs.into_iter()
            .filter_map(|m| match m {
                ServerMsg::Presence { full: false, users } => Some(users),
                _ => None,
            })
            .flatten()
            .map(|u| (u.user_id, u.online, u.sessions, u.speaking))
            .collect()
    };
    assert_eq!(change(shell.take("a")), [("bob".into(), true, 1, false)]);
    shell.join("b2", "bob", Participant);
    assert_eq!(change(shell.take("a")), [("bob".into(), true, 2, false)]);
    shell.json("b2", json!({"type": "presence.update", "speaking": true}));
    assert_eq!(change(shell.take("a")), [("bob".into(), true, 2, true)]);
    shell.disconnect("b2");
    assert_eq!(change(shell.take("a")), [("bob".into(), true, 1, false)]);
    shell.disconnect("b1");
    assert_eq!(change(shell.take("a")), [("bob".into(), false, 0, false)]);
    // Observers appear, but cannot claim to speak.
    shell.join("o", "olga", Observer);
    shell.json("o", json!({"type": "presence.update", "speaking": true}));
    assert_eq!(error_codes(&shell.take("o")), ["FORBIDDEN"]);
    assert_eq!(change(shell.take("a")), [("olga".into(), true, 1, false)]);
}

#[test]
fn r11_every_write_is_checked_against_role_and_meeting_state() {
    let mut shell = Shell::new(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("o", "olga", Observer);
    // Scheduled: notes yes, transcript and chat not yet.
    shell.json("a", chunk_json("early", T0, true));
    shell.json(
        "a",
        json!({"type": "chat.send", "client_ref": "m", "text": "early"}),
    );
    shell.json("a", op(1, 0, json!(["agenda"])));
    let got = shell.take("a");
    assert_eq!(
        error_codes(&got),
        ["MEETING_NOT_ACTIVE", "MEETING_NOT_ACTIVE"]
    );
    assert!(got
        .iter()
        .any(|m| matches!(m, ServerMsg::NotesAck { version: 1, .. })));
    assert!(matches!(
        got.iter().find(|m| msg_type(m) == "error"),
        Some(ServerMsg::Error { reason: Some(r), .. }) if r == "DENY_MEETING_STATE"
    ));
    assert!(shell
        .room
        .append_server_transcript(
            shell.now,
            TranscriptInput {
                speaker_id: None,
                text: "x".into(),
                confidence: 1.0,
                start_ms: 0,
                end_ms: 0,
                is_final: true,
                language: None,
            }
        )
        .is_err());
    shell
        .room
        .set_meeting_state(shell.now, MeetingState::Active)
        .unwrap();
    shell.drain();
    shell.take("o");
    shell.json("o", chunk_json("x", T0, true));
    shell.json(
        "o",
        json!({"type": "chat.send", "client_ref": "m", "text": "x"}),
    );
    assert_eq!(error_codes(&shell.take("o")), ["FORBIDDEN", "FORBIDDEN"]);
    assert_eq!(shell.room.heads().transcript_seq, 0);
    // A connection without a meeting role never becomes a session.
    shell.connect_identity(
        "x",
        connvo_shared::room::SessionIdentity::new("xavier", None),
    );
    assert_eq!(
        shell.socket("x").closed,
        Some((CloseCode::AccessRevoked, CloseReason::NotAParticipant))
    );
    assert!(shell.room.session(&sid("x")).is_none());
}

#[test]
fn r12_role_changes_apply_in_place_and_removal_closes() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.join("b2", "bob", Participant);
    shell
        .room
        .set_member_role(shell.now, "bob", Some(Observer))
        .unwrap();
    shell.drain();
    let got: Vec<ServerMsg> = shell
        .take("b")
        .into_iter()
        .filter(|m| msg_type(m) != "presence")
        .collect();
    assert_eq!(got, [ServerMsg::Role { role: Observer }]);
    assert!(shell.take("a").iter().any(|m| matches!(m,
        ServerMsg::Presence { users, .. } if users[0].role == Observer)));
    shell.json(
        "b",
        json!({"type": "chat.send", "client_ref": "m", "text": "x"}),
    );
    assert_eq!(error_codes(&shell.take("b")), ["FORBIDDEN"]);
    // A reconnect claiming the old role gets the lowered one.
    shell.connect("b3", "bob", Participant);
    shell.hello("b3", "cb3", json!({}));
    assert!(matches!(
        &shell.take("b3")[0],
        ServerMsg::Welcome { role: Observer, .. }
    ));
    // Removal closes every connection of the user, and sticks.
    shell.room.set_member_role(shell.now, "bob", None).unwrap();
    shell.drain();
    for id in ["b", "b2", "b3"] {
        assert_eq!(
            shell.socket(id).closed,
            Some((CloseCode::AccessRevoked, CloseReason::AccessRevoked))
        );
        assert!(matches!(
            shell.take(id).last(),
            Some(ServerMsg::Goodbye { code: 4003, reason }) if reason == "ACCESS_REVOKED"
        ));
    }
    assert!(shell.socket("a").closed.is_none());
    shell.connect("b4", "bob", Participant);
    assert_eq!(
        shell.socket("b4").closed.map(|c| c.0),
        Some(CloseCode::AccessRevoked)
    );
    // Re-added: welcome back.
    shell
        .room
        .set_member_role(shell.now, "bob", Some(Participant))
        .unwrap();
    shell.connect("b5", "bob", Participant);
    assert!(shell.socket("b5").closed.is_none());
    // The change is stored: a reloaded room remembers it.
    shell.room.set_member_role(shell.now, "bob", None).unwrap();
    shell.hibernate();
    shell.connect("b6", "bob", Participant);
    assert!(shell.socket("b6").closed.is_some());
}

#[test]
fn r13_ending_the_meeting_delivers_closes_and_flushes() {
    let mut shell = Shell::active(busy(RoomConfig::default()));
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.json("a", chunk_json("last words", T0, true));
    shell.json("a", op(1, 0, json!(["notes"])));
    shell.take("a");
    shell
        .room
        .set_meeting_state(shell.now + 5, MeetingState::Concluded)
        .unwrap();
    shell.drain();
    let got = shell.take("b");
    let kinds: Vec<String> = got.iter().map(msg_type).collect();
    assert_eq!(
        kinds,
        ["notes.ops", "transcript.chunks", "state", "goodbye"]
    );
    assert!(matches!(
        &got[2],
        ServerMsg::State {
            state: MeetingState::Concluded,
            ended_at_ms: Some(_),
            ..
        }
    ));
    assert_eq!(
        shell.socket("b").closed,
        Some((CloseCode::MeetingEnded, CloseReason::MeetingEnded))
    );
    assert_eq!(shell.flushes.len(), 1, "the final flush goes at once");
    let batch = &shell.flushes[0];
    assert_eq!(batch.transcripts.len(), 1);
    assert_eq!(batch.note_ops.len(), 1);
    assert_eq!(
        batch.notes.as_ref().map(|n| n.content.as_str()),
        Some("notes")
    );
    assert!(matches!(&batch.activity, Some(a) if !a.active && a.ended_at_ms.is_some()));
    // Nobody gets in afterwards.
    shell.connect("c", "carol", Participant);
    assert_eq!(
        shell.socket("c").closed.map(|c| c.0),
        Some(CloseCode::MeetingEnded)
    );
}

#[test]
fn r14_bad_input_is_answered_to_its_sender_only() {
    let config = RoomConfig {
        max_frame_bytes: 1024,
        max_bad_frames: 3,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    for bad in [
        "",
        "{",
        "[]",
        "null",
        r#"{"type":"teleport"}"#,
        r#"{"type":"notes.op"}"#,
    ] {
        shell.frame("b", bad);
    }
    let got = shell.take("b");
    assert_eq!(
        error_codes(&got),
        ["BAD_FRAME", "BAD_FRAME", "BAD_FRAME", "BAD_FRAME"],
        "the fourth bad frame closes the connection"
    );
    assert_eq!(
        shell.socket("b").closed,
        Some((CloseCode::ProtocolViolation, CloseReason::TooManyBadFrames))
    );
    let a = shell.take("a");
    assert!(a.iter().all(|m| msg_type(m) == "presence"), "{a:?}");

    shell.join("c", "carol", Participant);
    shell
        .room
        .handle_frame(shell.now, &sid("c"), Frame::Binary(&[0xff, 0x00]));
    shell.drain();
    assert_eq!(error_codes(&shell.take("c")), ["BINARY_UNSUPPORTED"]);
    shell.frame("c", &"x".repeat(1025));
    assert_eq!(error_codes(&shell.take("c")), ["FRAME_TOO_LARGE"]);
    assert_eq!(shell.socket("c").closed.map(|c| c.0.as_u16()), Some(1009));
    assert!(shell.socket("a").closed.is_none());
}

#[test]
fn r14_rate_limits_drop_frames_then_close() {
    let config = RoomConfig {
        rate_per_sec: 10,
        rate_burst: 5,
        max_rate_violations: 10,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    shell.advance(1000);
    for i in 0..10 {
        shell.json("a", json!({"type": "ping", "ref": format!("p{i}")}));
    }
    let got = shell.take("a");
    assert_eq!(got.iter().filter(|m| msg_type(m) == "pong").count(), 5);
    assert_eq!(
        error_codes(&got),
        ["RATE_LIMITED"],
        "one error per run of drops"
    );
    shell.advance(100);
    shell.json("a", json!({"type": "ping"}));
    assert_eq!(shell.types("a"), ["pong"]);
    for _ in 0..11 {
        shell.json("a", json!({"type": "ping"}));
    }
    assert_eq!(
        shell.socket("a").closed,
        Some((CloseCode::Policy, CloseReason::RateLimited))
    );
}

#[test]
fn r15_a_slow_consumer_is_told_to_resync_and_can_resume() {
    let config = RoomConfig {
        queue_max_frames: 3,
        coalesce_max: 1,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    // The shell does not poll while four chunks are committed.
    for i in 0..4u64 {
        shell.room.handle_frame(
            shell.now,
            &sid("a"),
            Frame::Text(&chunk_json("x", T0 + i, true).to_string()),
        );
    }
    shell.drain();
    let got = shell.take("b");
    assert_eq!(
        transcript_seqs(&got),
        Vec::<u64>::new(),
        "queued chunks were dropped"
    );
    assert!(got.contains(&ServerMsg::Resync {
        stream: Stream::Transcript
    }));
    assert_eq!(
        shell.room.session(&sid("b")).unwrap().live().unwrap().subs[&Stream::Transcript],
        Sub::Resync
    );
    // Nothing more on that stream until the client resumes.
    shell.json("a", chunk_json("more", T0, true));
    assert!(transcript_seqs(&shell.take("b")).is_empty());
    shell.json(
        "b",
        json!({"type": "subscribe", "streams": ["transcript"], "resume": {"transcript_seq": 0}}),
    );
    assert_eq!(transcript_seqs(&shell.take("b")), [1, 2, 3, 4, 5]);
    // The shell can report a failed send too: every live stream resyncs.
    let live = shell
        .room
        .session(&sid("b"))
        .unwrap()
        .live_streams()
        .iter()
        .count();
    assert!(live >= 2);
    shell.room.handle_send_failed(shell.now, &sid("b"));
    shell.drain();
    let resyncs = shell
        .take("b")
        .into_iter()
        .filter(|m| matches!(m, ServerMsg::Resync { .. }))
        .count();
    assert_eq!(resyncs, live);
}

#[test]
fn r16_a_hibernated_room_delivers_what_was_pending_exactly_once() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.json("a", chunk_json("before", T0, true));
    shell.json("a", op(1, 0, json!(["doc"])));
    shell.advance(100);
    assert_eq!(transcript_seqs(&shell.take("b")), [1]);
    shell.json("a", chunk_json("pending", T0, true));
    shell.take("a");
    // Hibernate inside the coalescing window.
    shell.hibernate();
    assert!(shell.room.poll_timeout().is_some_and(|t| t <= shell.now));
    shell.advance(0);
    let b = shell.take("b");
    assert_eq!(transcript_seqs(&b), [2]);
    assert!(shell
        .take("a")
        .iter()
        .all(|m| !matches!(m, ServerMsg::NotesOps { .. })));
    // The restored sessions are whole: writes, acks and presence work.
    shell.json("b", op(1, 1, json!([3, "!"])));
    assert_eq!(
        shell.take("b"),
        [ServerMsg::NotesAck {
            client_seq: 1,
            version: 2
        }]
    );
    assert_eq!(shell.room.notes().content(), "doc!");
    shell.disconnect("b");
    assert!(shell
        .take("a")
        .iter()
        .any(|m| matches!(m, ServerMsg::Presence { full: false, .. })));
}

#[test]
fn r17_flushes_are_debounced_bounded_and_acknowledged() {
    let config = RoomConfig {
        flush_interval_ms: 1000,
        flush_max_rows: 3,
        notes_log_keep: 1,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    shell.flushes.clear();
    shell.json("a", chunk_json("one", T0, true));
    shell.advance(500);
    shell.json("a", chunk_json("two", T0, true));
    shell.advance(499);
    assert!(shell.flushes.is_empty());
    shell.advance(1);
    assert_eq!(
        shell.flushes.len(),
        1,
        "a later write does not push the flush back"
    );
    let batch = shell.flushes.remove(0);
    assert_eq!(
        batch.transcripts.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(batch.upto.transcript_seq, 2);
    // Unacknowledged: emitted again after the retry time, same rows.
    shell.advance(59_999);
    assert!(shell.flushes.is_empty());
    shell.advance(1);
    assert_eq!(shell.flushes.len(), 1);
    assert_eq!(shell.flushes[0].transcripts, batch.transcripts);
    shell.flushes.clear();
    shell.room.flush_done(shell.now, batch.upto).unwrap();
    shell.drain();
    assert_eq!(shell.room.meta().flushed.transcript_seq, 2);
    assert!(!shell.room.has_unflushed());
    // Four ops: a full batch goes at once, and the rest right after it is acknowledged.
    for i in 0..4u64 {
        shell.json("a", op(i + 1, i, json!(["n"])));
    }
    assert_eq!(shell.flushes.len(), 1);
    let first = shell.flushes.remove(0);
    assert_eq!(first.note_ops.len(), 3);
    assert_eq!(first.upto.notes_version, 3);
    shell.room.flush_done(shell.now, first.upto).unwrap();
    shell.drain();
    let second = shell.flushes.remove(0);
    assert_eq!(
        second
            .note_ops
            .iter()
            .map(|o| o.version)
            .collect::<Vec<_>>(),
        [4]
    );
    // A stale or forged acknowledgement never moves a mark backwards or past the head.
    let mut forged = second.upto;
    forged.chat_seq = 99;
    shell.room.flush_done(shell.now, forged).unwrap();
    shell.room.flush_done(shell.now, first.upto).unwrap();
    assert_eq!(shell.room.meta().flushed.notes_version, 4);
    assert_eq!(shell.room.meta().flushed.chat_seq, 0);
    // Flushed ops beyond the resume window were compacted from the store.
    assert!(shell.room.store().notes_head().unwrap().log_base >= 3);
    // The D1 statements for a batch are the registry's, one per row.
    let statements = batch.statements(shell.now).unwrap();
    assert_eq!(statements.len(), batch.row_count());
    assert!(statements.iter().all(|s| s.params.len() <= 100));
}

#[test]
fn r18_tickets_are_single_use() {
    use connvo_shared::auth::ticket::{issue_ticket, verify_ticket};
    let secret = [7u8; 32];
    let mut shell = Shell::active(RoomConfig::default());
    let ticket = issue_ticket(
        &secret,
        "alice",
        MEETING,
        Some("host"),
        [1; 16],
        shell.now,
        30_000,
    )
    .unwrap();
    let claims = verify_ticket(&secret, &ticket, MEETING, shell.now).unwrap();
    shell.room.consume_ticket(shell.now, &claims).unwrap();
    assert_eq!(
        shell
            .room
            .consume_ticket(shell.now, &claims)
            .unwrap_err()
            .code(),
        "TICKET_REPLAYED"
    );
    assert!(shell
        .room
        .poll_timeout()
        .is_some_and(|t| t <= claims.expires_at_ms));
    // Remembered across hibernation, forgotten once expired.
    shell.hibernate();
    assert!(shell.room.consume_ticket(shell.now, &claims).is_err());
    shell.advance(30_000);
    assert_eq!(shell.room.store().nonce_next_expiry().unwrap(), None);
    let other = issue_ticket(&secret, "alice", "m2", None, [2; 16], shell.now, 30_000).unwrap();
    let other = verify_ticket(&secret, &other, "m2", shell.now).unwrap();
    assert_eq!(
        shell
            .room
            .consume_ticket(shell.now, &other)
            .unwrap_err()
            .code(),
        "TICKET_WRONG_MEETING"
    );
}

#[test]
fn r19_a_client_id_belongs_to_one_user_and_one_connection() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.connect("a1", "alice", Host);
    shell.hello("a1", "tab-1", json!({}));
    shell.connect("m", "mallory", Participant);
    shell.hello("m", "tab-1", json!({}));
    assert_eq!(error_codes(&shell.take("m")), ["CLIENT_ID_TAKEN"]);
    // Alice's tab reconnects before the old socket closed: the old one goes.
    shell.connect("a2", "alice", Host);
    shell.hello("a2", "tab-1", json!({"notes_version": 0}));
    assert_eq!(
        shell.socket("a1").closed,
        Some((CloseCode::Policy, CloseReason::Replaced))
    );
    assert!(shell.socket("a2").closed.is_none());
}

/// `(user, online, in_call, sessions)` of the presence changes (`full: false`).
fn call_changes(msgs: Vec<ServerMsg>) -> Vec<(String, bool, bool, u32)> {
    msgs.into_iter()
        .filter_map(|m| match m {
            ServerMsg::Presence { full: false, users } => Some(users),
            _ => None,
        })
        .flatten()
        .map(|u| (u.user_id, u.online, u.in_call, u.sessions))
        .collect()
}

/// The full presence list a connection got, as `(user, online, in_call)`.
fn full_presence(msgs: &[ServerMsg]) -> Vec<(String, bool, bool)> {
    msgs.iter()
        .find_map(|m| match m {
            ServerMsg::Presence { full: true, users } => Some(
                users
                    .iter()
                    .map(|u| (u.user_id.clone(), u.online, u.in_call))
                    .collect(),
            ),
            _ => None,
        })
        .expect("no full presence list")
}

fn call<S: RoomStore>(shell: &mut Shell<S>, user: &str, in_call: bool, at_ms: u64) {
    shell
        .room
        .set_call_presence(shell.now, user, in_call, at_ms)
        .unwrap();
    shell.drain();
}

#[test]
fn r20_call_presence_is_announced_and_the_newest_event_wins() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.take("a");
    call(&mut shell, "bob", true, T0 + 10);
    assert_eq!(
        call_changes(shell.take("a")),
        [("bob".into(), true, true, 1)]
    );
    assert_eq!(
        call_changes(shell.take("b")),
        [("bob".into(), true, true, 1)]
    );
    // Stream delivered an older `left` late, then the same join again:
    // neither changes anything.
    call(&mut shell, "bob", false, T0 + 5);
    call(&mut shell, "bob", true, T0 + 10);
    assert!(shell.take("a").is_empty());
    assert!(shell.room.meta().call_presence["bob"].in_call);
    // Bob's tab closes; he is still in the call, so he stays listed.
    shell.disconnect("b");
    assert_eq!(
        call_changes(shell.take("a")),
        [("bob".into(), false, true, 0)]
    );
    // A newcomer gets him in the full list.
    shell.connect("c", "carol", Participant);
    shell.hello("c", "cc", json!({}));
    assert_eq!(
        full_presence(&shell.take("c")),
        [
            ("alice".into(), true, false),
            ("bob".into(), false, true),
            ("carol".into(), true, false)
        ]
    );
    shell.take("a");
    // He leaves the call: his last entry, and he is off the list.
    call(&mut shell, "bob", false, T0 + 20);
    assert_eq!(
        call_changes(shell.take("a")),
        [("bob".into(), false, false, 0)]
    );
    // A join older than that leave, delivered late, is ignored.
    call(&mut shell, "bob", true, T0 + 15);
    assert!(shell.take("a").is_empty());
    shell.connect("d", "dan", Participant);
    shell.hello("d", "cd", json!({}));
    assert_eq!(
        full_presence(&shell.take("d")),
        [
            ("alice".into(), true, false),
            ("carol".into(), true, false),
            ("dan".into(), true, false)
        ]
    );
    // Reconnecting while in the call shows both.
    call(&mut shell, "carol", true, T0 + 30);
    shell.take("a");
    shell.disconnect("c");
    shell.join("c2", "carol", Participant);
    assert_eq!(
        call_changes(shell.take("a")),
        [
            ("carol".into(), false, true, 0),
            ("carol".into(), true, true, 1)
        ]
    );
}

#[test]
fn r20_call_presence_of_unknown_users_is_kept_and_shown_once_their_role_is_known() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    // The Worker checked membership in D1; the room does not know erin's
    // role yet, so she is recorded but not listed.
    call(&mut shell, "erin", true, T0);
    assert!(shell.take("a").is_empty());
    assert!(shell.room.meta().call_presence["erin"].in_call);
    shell
        .room
        .set_member_role(shell.now, "erin", Some(Observer))
        .unwrap();
    shell.drain();
    let got = shell.take("a");
    assert!(
        matches!(&got[..], [ServerMsg::Presence { full: false, users }]
        if users[0].role == Observer && !users[0].online && users[0].in_call)
    );
    // A removed member is not listed, in the call or not.
    shell.room.set_member_role(shell.now, "erin", None).unwrap();
    shell.drain();
    assert_eq!(
        call_changes(shell.take("a")),
        [("erin".into(), false, false, 0)]
    );
    // Bad input is refused and changes nothing.
    assert_eq!(
        shell
            .room
            .set_call_presence(shell.now, "has space", true, T0)
            .unwrap_err()
            .code(),
        "INVALID_IDENTITY"
    );
    assert_eq!(
        shell
            .room
            .set_call_presence(shell.now, "frank", true, u64::MAX)
            .unwrap_err()
            .code(),
        "INVALID_FIELD"
    );
    // A storage failure refuses the event and leaves nothing behind.
    shell.room.store_mut().set_fail_writes(true);
    assert_eq!(
        shell
            .room
            .set_call_presence(shell.now, "alice", true, T0)
            .unwrap_err()
            .code(),
        "STORAGE_FAILED"
    );
    shell.room.store_mut().set_fail_writes(false);
    shell.drain();
    assert!(shell.take("a").is_empty());
    assert!(!shell.room.meta().call_presence.contains_key("alice"));
    assert!(!shell.room.meta().call_presence.contains_key("frank"));
}

#[test]
fn r20_call_presence_is_bounded() {
    let config = RoomConfig {
        max_call_users: 2,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    call(&mut shell, "u1", true, T0);
    call(&mut shell, "u1", false, T0 + 1);
    call(&mut shell, "u2", true, T0 + 2);
    // u1 left longest ago: u3 takes the place.
    call(&mut shell, "u3", true, T0 + 3);
    let kept: Vec<&String> = shell.room.meta().call_presence.keys().collect();
    assert_eq!(kept, ["u2", "u3"]);
    // Everyone kept is in the call: a join is refused, a leave dropped.
    assert_eq!(
        shell
            .room
            .set_call_presence(shell.now, "u4", true, T0 + 4)
            .unwrap_err()
            .code(),
        "INVALID_FIELD"
    );
    call(&mut shell, "u4", false, T0 + 4);
    assert_eq!(shell.room.meta().call_presence.len(), 2);
    // Known users are always updated.
    call(&mut shell, "u2", false, T0 + 5);
    call(&mut shell, "u4", true, T0 + 6);
    let kept: Vec<&String> = shell.room.meta().call_presence.keys().collect();
    assert_eq!(kept, ["u3", "u4"]);
}

/// Call presence is stored with the room: a reload rebuilds who is in the
/// call (with the role seen on their connection) and keeps the ordering
/// guard.
fn call_presence_survives_a_reload<S: RoomStore + Clone>(store: S) {
    let mut shell = Shell::with_store(store, RoomConfig::default());
    shell
        .room
        .set_meeting_state(shell.now, MeetingState::Active)
        .unwrap();
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    call(&mut shell, "bob", true, T0 + 10);
    call(&mut shell, "alice", true, T0 + 11);
    // Dan joined the call before the room knew him; his connection
    // teaches the room his role.
    call(&mut shell, "dan", true, T0 + 12);
    shell.join("d", "dan", Observer);
    for gone in ["b", "d"] {
        shell.disconnect(gone);
        shell.sockets.remove(&sid(gone));
    }
    shell.clear();
    shell.hibernate();
    assert!(shell.take("a").is_empty(), "rebuilt silently");
    assert_eq!(
        shell.room.meta().call_presence["bob"],
        CallPresence {
            in_call: true,
            at_ms: T0 + 10,
            role: Some(Participant)
        }
    );
    shell.connect("c", "carol", Participant);
    shell.hello("c", "cc", json!({}));
    assert_eq!(
        full_presence(&shell.take("c")),
        [
            ("alice".into(), true, true),
            ("bob".into(), false, true),
            ("carol".into(), true, false),
            ("dan".into(), false, true)
        ]
    );
    assert_eq!(shell.room.meta().call_presence["dan"].role, Some(Observer));
    shell.take("a");
    call(&mut shell, "bob", false, T0 + 5);
    assert!(
        shell.take("a").is_empty(),
        "the older event is still ignored"
    );
    call(&mut shell, "bob", false, T0 + 12);
    assert_eq!(
        call_changes(shell.take("a")),
        [("bob".into(), false, false, 0)]
    );
}

#[test]
fn r20_call_presence_survives_a_reload_from_memory_store() {
    call_presence_survives_a_reload(MemoryStore::new());
}

#[test]
fn r20_call_presence_survives_a_reload_from_sql_store() {
    call_presence_survives_a_reload(room_support::sqlite::sql_store());
}

#[test]
fn connections_that_never_say_hello_are_closed() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.connect("a", "alice", Host);
    shell.advance(14_999);
    assert!(shell.socket("a").closed.is_none());
    shell.advance(1);
    assert_eq!(
        shell.socket("a").closed,
        Some((CloseCode::ProtocolViolation, CloseReason::HelloTimeout))
    );
}

#[test]
fn a_user_gets_a_bounded_number_of_connections() {
    let config = RoomConfig {
        max_sessions_per_user: 2,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a1", "alice", Host);
    shell.advance(1);
    shell.join("a2", "alice", Host);
    shell.advance(1);
    shell.join("a3", "alice", Host);
    assert_eq!(
        shell.socket("a1").closed,
        Some((CloseCode::Policy, CloseReason::TooManySessions))
    );
    assert!(shell.socket("a2").closed.is_none() && shell.socket("a3").closed.is_none());
}

#[test]
fn storage_failures_refuse_the_write_and_leave_the_room_consistent() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.json("a", op(1, 0, json!(["ok"])));
    shell.take("a");
    shell.room.store_mut().set_fail_writes(true);
    shell.json("a", op(2, 1, json!([2, "?"])));
    shell.json("a", chunk_json("lost", T0, true));
    shell.json(
        "a",
        json!({"type": "chat.send", "client_ref": "m", "text": "lost"}),
    );
    let got = shell.take("a");
    assert!(
        matches!(&got[0], ServerMsg::NotesReject { code, content, version: 1, .. }
        if code == "STORAGE_FAILED" && content == "ok")
    );
    assert_eq!(error_codes(&got), ["STORAGE_FAILED", "STORAGE_FAILED"]);
    assert_eq!(shell.room.notes().version(), 1);
    assert_eq!(shell.room.heads().transcript_seq, 0);
    shell.room.store_mut().set_fail_writes(false);
    shell.json("a", op(3, 1, json!([2, "!"])));
    assert_eq!(
        shell.take("a"),
        [ServerMsg::NotesAck {
            client_seq: 3,
            version: 2
        }]
    );
    shell.advance(100);
    let b = shell.take("b");
    let versions: Vec<u64> = b
        .iter()
        .flat_map(|m| match m {
            ServerMsg::NotesOps { ops } => ops.iter().map(|o| o.version).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(versions, [1, 2]);
}

#[test]
fn r22_a_notes_op_that_changes_nothing_is_acked_at_the_current_version_and_not_stored() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.json("a", op(1, 0, json!(["abc"])));
    shell.advance(200);
    shell.clear();
    let stored = |shell: &Shell<MemoryStore>| shell.room.store().note_ops_since(0, 100).unwrap();
    assert_eq!(stored(&shell).len(), 1);
    // `[]`, `[0]` and `[""]` all normalise to nothing.
    for (seq, nothing) in [(2, json!([])), (3, json!([0])), (4, json!([""]))] {
        shell.json("a", op(seq, 1, nothing));
        assert_eq!(
            shell.take("a"),
            [ServerMsg::NotesAck {
                client_seq: seq,
                version: 1
            }]
        );
    }
    // A sender behind the head gets the ops it missed first, then the ack
    // at the head.
    shell.json("b", op(1, 1, json!([3, "d"])));
    assert_eq!(shell.take("b").len(), 1);
    shell.json("a", op(5, 1, json!([1])));
    let got = shell.take("a");
    assert_eq!(
        got.iter().map(msg_type).collect::<Vec<_>>(),
        ["notes.ops", "notes.ack"]
    );
    assert_eq!(
        got[1],
        ServerMsg::NotesAck {
            client_seq: 5,
            version: 2
        }
    );
    // Transformed to nothing: a delete of text someone else deleted first.
    shell.json("b", op(2, 2, json!([{"d": 1}])));
    shell.take("b");
    shell.json("a", op(6, 2, json!([{"d": 1}])));
    assert_eq!(
        shell.take("a").last(),
        Some(&ServerMsg::NotesAck {
            client_seq: 6,
            version: 3
        })
    );
    // Nothing stored, no version, nothing broadcast.
    assert_eq!(shell.room.notes().version(), 3);
    assert_eq!(shell.room.notes().content(), "bcd");
    assert_eq!(stored(&shell).len(), 3);
    shell.advance(1000);
    let b = shell.take("b");
    assert!(
        !b.iter().any(|m| matches!(m, ServerMsg::NotesOps { .. })),
        "no-ops reach nobody: {b:?}"
    );
    // The client's next real op commits as the next version.
    shell.json("a", op(7, 3, json!(["x"])));
    assert_eq!(
        shell.take("a"),
        [ServerMsg::NotesAck {
            client_seq: 7,
            version: 4
        }]
    );
}
