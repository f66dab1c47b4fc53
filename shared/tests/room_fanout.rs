//! Fan-out latency through the room's protocol (rule O15,
//! docs/operations.md; `shared/src/room/fanout.rs`): an item of an idle
//! room reads 0 ms (delivered in the input that committed it, with the
//! same `now`); items a busy room holds for the coalescing window (R26)
//! read their real wait.

mod room_support;

use connvo_shared::acl::MeetingRole::{Host, Participant};
use connvo_shared::room::RoomConfig;
use room_support::*;
use serde_json::json;

#[test]
fn o15_an_idle_item_reads_zero_and_a_coalesced_item_reads_its_wait() {
    let config = RoomConfig {
        coalesce_idle_per_sec: 5,
        coalesce_ms: 100,
        ..RoomConfig::default()
    };
    let mut shell = Shell::active(config);
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.advance(2_000);
    shell.clear();
    let _ = shell.room.take_fanout();

    // Idle: a lone edit goes out in its own input.
    shell.json(
        "a",
        json!({"type": "notes.op", "client_seq": 1, "base_version": 0, "op": ["hi"]}),
    );
    let idle = shell.room.take_fanout();
    assert_eq!(idle.count(), 1);
    assert_eq!(idle.max(), 0.0);

    // Busy: past the idle rate, the next chunks wait for the window.
    for i in 0..4 {
        shell.json("a", chunk_json("fast", T0 + i, false));
    }
    let _ = shell.room.take_fanout();
    shell.json("a", chunk_json("held", T0, false));
    shell.advance(40);
    shell.json("a", chunk_json("joins", T0, false));
    assert_eq!(shell.room.take_fanout().count(), 0, "nothing sent yet");
    shell.advance(60);
    let held = shell.room.take_fanout();
    assert_eq!(held.count(), 2, "both held chunks went out");
    assert_eq!(held.max(), 100.0, "the first waited the whole window");
    let first = held.quantile(0.0).unwrap();
    assert!(
        (first - 60.0).abs() <= 0.6,
        "the second waited 60 ms: {first}"
    );
}
