//! Hostile input: arbitrary bytes, and frames that look almost right, from
//! one session of a busy room. The room must never panic, and a frame it
//! refuses must not change anything another session can see: no frame
//! reaches them (beyond the sender's own departure from presence, when
//! the sender is closed), and no stream moves.

mod room_support;

use connvo_shared::acl::MeetingRole;
use connvo_shared::ot::gen::{below, chance, next_u64};
use connvo_shared::room::protocol::ServerMsg;
use connvo_shared::room::{Frame, RoomConfig};
use proptest::prelude::*;
use room_support::*;
use serde_json::{json, Value};

struct Arena {
    shell: Shell<connvo_shared::room::MemoryStore>,
    /// The current id of the attacker's connection (it may get closed).
    attacker: String,
    reconnects: u32,
    refused: u32,
    accepted: u32,
}

impl Arena {
    fn new() -> Self {
        let config = RoomConfig {
            max_frame_bytes: 4096,
            // Keep the attacker connected through many bad frames.
            max_bad_frames: 1_000_000,
            rate_burst: 1_000_000,
            ..RoomConfig::default()
        };
        let mut shell = Shell::active(config);
        shell.join("bystander", "bob", MeetingRole::Participant);
        shell.join("watcher", "olga", MeetingRole::Observer);
        // Some history, so resumes and notes have something to chew on.
        shell.json(
            "bystander",
            json!({"type": "notes.op", "client_seq": 1, "base_version": 0, "op": ["hello"]}),
        );
        shell.json("bystander", chunk_json("hi", T0, true));
        shell.json(
            "bystander",
            json!({"type": "chat.send", "client_ref": "r", "text": "yo"}),
        );
        shell.advance(200);
        let mut arena = Arena {
            shell,
            attacker: String::new(),
            reconnects: 0,
            refused: 0,
            accepted: 0,
        };
        arena.reconnect();
        arena
    }

    fn reconnect(&mut self) {
        self.reconnects += 1;
        self.attacker = format!("mallory-{}", self.reconnects);
        let id = self.attacker.clone();
        self.shell.join(&id, "mallory", MeetingRole::Participant);
        self.shell.advance(200);
        self.shell.clear();
    }

    /// Sends one frame and checks isolation if it was refused.
    fn attack(&mut self, frame: Frame<'_>) {
        let shell = &mut self.shell;
        shell.clear();
        let heads = shell.room.heads();
        let content = shell.room.notes().content().to_owned();
        let bystander = shell.room.session(&sid("bystander")).cloned();
        let watcher = shell.room.session(&sid("watcher")).cloned();
        let id = self.attacker.clone();
        shell.room.handle_frame(shell.now, &sid(&id), frame);
        shell.drain();
        let mine = shell.take(&id);
        let closed = shell.socket(&id).closed.is_some();
        let refused = closed
            || mine
                .iter()
                .any(|m| matches!(m, ServerMsg::Error { .. } | ServerMsg::NotesReject { .. }));
        if refused {
            self.refused += 1;
        } else {
            self.accepted += 1;
        }
        if refused {
            assert_eq!(shell.room.heads(), heads);
            assert_eq!(shell.room.notes().content(), content);
            assert_eq!(shell.room.session(&sid("bystander")).cloned(), bystander);
            assert_eq!(shell.room.session(&sid("watcher")).cloned(), watcher);
            for other in ["bystander", "watcher"] {
                for msg in shell.take(other) {
                    match msg {
                        ServerMsg::Presence { full: false, users }
                            if closed && users.iter().all(|u| u.user_id == "mallory") => {}
                        other => panic!("a refused frame reached another session: {other:?}"),
                    }
                }
            }
        }
        // Keep time moving so coalesced deliveries happen, and the bystanders
        // see every accepted write in order.
        shell.advance(150);
        if closed {
            self.reconnect();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_or_leak(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut arena = Arena::new();
        arena.attack(Frame::Binary(&bytes));
        let text = String::from_utf8_lossy(&bytes).into_owned();
        arena.attack(Frame::Text(&text));
    }

    #[test]
    fn arbitrary_json_never_panics_or_leaks(value in arb_json()) {
        let mut arena = Arena::new();
        let text = value.to_string();
        arena.attack(Frame::Text(&text));
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        "[a-z._]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("hello"),
            Just("notes.op"),
            Just("chat.send"),
            Just("transcript.append"),
            Just("subscribe"),
            Just("ping"),
            Just("presence.update"),
            Just("notes"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("protocol".to_owned()),
                    Just("client_id".to_owned()),
                    Just("op".to_owned()),
                    Just("client_seq".to_owned()),
                    Just("base_version".to_owned()),
                    Just("chunk".to_owned()),
                    Just("text".to_owned()),
                    Just("streams".to_owned()),
                    Just("resume".to_owned()),
                    Just("ref".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON value meant to break a field's rules.
fn nasty(rng: &mut u64) -> Value {
    match below(rng, 16) {
        0 => Value::Null,
        1 => json!(-1),
        2 => json!(u64::MAX),
        3 => json!(9_007_199_254_740_992u64),
        4 => json!(1.5),
        5 => json!(""),
        6 => json!("x".repeat(below(rng, 5000) as usize)),
        7 => json!([]),
        8 => json!({}),
        9 => json!(true),
        10 => json!("😀\u{0}\u{202e}"),
        11 => json!([1, "a", {"d": 1}]),
        12 => json!([{"d": -3}]),
        13 => Value::Array(vec![json!("x"); 20]),
        14 => json!(1e308),
        _ => json!(below(rng, 10)),
    }
}

/// A frame of a real type with some fields replaced by nasty values.
fn near_miss(rng: &mut u64) -> Value {
    let mut frame = match below(rng, 9) {
        0 => {
            json!({"type": "hello", "protocol": 1, "client_id": "x", "resume": {"notes_version": 0}})
        }
        1 => json!({"type": "subscribe", "streams": ["notes", "chat"], "resume": {"chat_seq": 1}}),
        2 => json!({"type": "unsubscribe", "streams": ["presence"]}),
        3 => json!({"type": "notes.op", "client_seq": 7, "base_version": 1, "op": [2, "z"]}),
        4 => chunk_json("words", T0, true),
        5 => json!({"type": "chat.send", "client_ref": "c", "text": "hey"}),
        6 => json!({"type": "presence.update", "speaking": true}),
        7 => json!({"type": "ping", "ref": "p"}),
        _ => json!({"type": "notes.op", "client_seq": 8, "base_version": 0, "op": [{"d": 99}]}),
    };
    let fields = [
        "type",
        "protocol",
        "client_id",
        "resume",
        "streams",
        "client_seq",
        "base_version",
        "op",
        "chunk",
        "client_ref",
        "text",
        "speaking",
        "ref",
    ];
    let edits = 1 + below(rng, 3);
    for _ in 0..edits {
        let field = fields[below(rng, fields.len() as u64) as usize];
        if chance(rng, 20) {
            frame.as_object_mut().map(|o| o.remove(field));
        } else if field == "chunk" && chance(rng, 70) {
            let sub = [
                "text",
                "confidence",
                "start_ms",
                "end_ms",
                "final",
                "speaker_id",
                "language",
            ];
            let key = sub[below(rng, sub.len() as u64) as usize];
            frame["chunk"][key] = nasty(rng);
        } else {
            frame[field] = nasty(rng);
        }
    }
    frame
}

#[test]
fn near_miss_frames_are_refused_cleanly() {
    let mut rng = 0xC0FFEE;
    let mut arena = Arena::new();
    for _ in 0..1000 {
        let frame = near_miss(&mut rng);
        let text = frame.to_string();
        arena.attack(Frame::Text(&text));
        if chance(&mut rng, 2) {
            // Now and then, a truncated or doubled frame.
            let cut = below(&mut rng, text.len() as u64 + 1) as usize;
            let cut = (0..=cut)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            arena.attack(Frame::Text(&text[..cut]));
            arena.attack(Frame::Text(&format!("{text}{text}")));
        }
        let _ = next_u64(&mut rng);
    }
    assert!(
        arena.refused > 500 && arena.accepted > 100,
        "{} / {}",
        arena.refused,
        arena.accepted
    );
    // The bystanders are still fine and in sync with the room.
    let shell = &mut arena.shell;
    shell.json("bystander", json!({"type": "ping"}));
    assert!(shell
        .take("bystander")
        .iter()
        .any(|m| matches!(m, ServerMsg::Pong { .. })));
    assert!(shell.socket("bystander").closed.is_none());
    assert!(shell.socket("watcher").closed.is_none());
}
