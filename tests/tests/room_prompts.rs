//! Issue 10, in-call prompts against the real runtime: the MeetingRoom's
//! detectors (short windows, set through the `INCALL_*` vars), the
//! `generate_incall` job on the local queue with the heuristic provider,
//! and the prompts stream (docs/protocol.md R23–R25). A scripted call: a
//! silence puts a prompt on every participant's socket, a change of topic
//! another; reactions are streamed to the others and recorded in D1; a bad
//! reaction is answered to its sender only; a removed participant gets
//! nothing more. The in-call flag turned off by an operator reaches the
//! live room at once (I13, I30): its silences produce nothing until the
//! flag is back on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connvo_e2e::meet::eventually;
use connvo_e2e::room::{call, connect, meeting, user, user_with_role, Session};
use connvo_e2e::{d1, Backend, BackendOptions};
use serde_json::{json, Value};

const PRICING: [&str; 3] = [
    "our pricing model needs a cheaper starter tier",
    "enterprise customers pay annual pricing with discounts",
    "the starter tier pricing should stay under twenty dollars",
];
const HIRING: [&str; 3] = [
    "we are hiring two backend engineers in berlin",
    "the interview loop for engineers takes three weeks",
    "recruiters in berlin say backend salaries are rising",
];

/// A prompt takes the queue's batch window, the job and a notice: allow
/// for a loaded machine.
const PROMPT_WAIT: Duration = Duration::from_secs(30);

async fn backend() -> Backend {
    Backend::start_with(
        BackendOptions::default()
            .var("INCALL_SILENCE_MS", "2500")
            .var("INCALL_LULL_MIN_WPM", "0")
            .var("INCALL_TOPIC_WINDOW_MS", "6000")
            .var("INCALL_TOPIC_MIN_WORDS", "4")
            .var("INCALL_MIN_INTERVAL_MS", "1000"),
    )
    .await
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn say(s: &mut Session, text: &str) {
    let end = now_ms();
    s.send(json!({"type": "transcript.append",
        "chunk": {"text": text, "confidence": 0.9, "start_ms": end - 900, "end_ms": end,
                  "final": true, "language": "en"}}))
        .await;
}

fn is_prompt(item: &Value, trigger: &str, after: u64) -> bool {
    item["kind"] == "prompt" && item["trigger"] == trigger && item["seq"].as_u64() > Some(after)
}

fn last_seq(s: &Session) -> u64 {
    s.prompt_items()
        .iter()
        .filter_map(|i| i["seq"].as_u64())
        .max()
        .unwrap_or(0)
}

/// Lets frames already on their way arrive, so `seen` is current.
async fn settle(sessions: &mut [&mut Session]) {
    for s in sessions.iter_mut() {
        while s.next(Duration::from_millis(200)).await.is_some() {}
    }
}

#[tokio::test]
async fn a_scripted_call_gets_prompts_on_every_socket_and_reactions_are_recorded() {
    let b = backend().await;
    let alice = user(&b, "u_alice").await;
    let bob = user(&b, "u_bob").await;
    let carol = user(&b, "u_carol").await;
    let m = meeting(
        &b,
        &alice,
        &[(&bob, "participant"), (&carol, "participant")],
        true,
    )
    .await;
    let mut a = connect(&b, &alice, &m).await;
    let mut bb = connect(&b, &bob, &m).await;
    let mut c = connect(&b, &carol, &m).await;
    let welcome = a.hello("c_alice", json!({})).await;
    assert!(welcome["heads"]["prompts_seq"].is_u64(), "{welcome}");
    bb.hello("c_bob", json!({})).await;
    c.hello("c_carol", json!({})).await;

    // A silence: alice speaks, then nobody does for longer than the window.
    say(&mut a, PRICING[0]).await;
    say(&mut a, PRICING[1]).await;
    settle(&mut [&mut a, &mut bb, &mut c]).await;
    let before = last_seq(&a).max(last_seq(&bb)).max(last_seq(&c));
    let lull = a
        .prompt_item(PROMPT_WAIT, |i| is_prompt(i, "lull", before))
        .await;
    let prompt_id = lull["prompt_id"].as_str().unwrap().to_owned();
    assert!(lull["content"].as_str().is_some_and(|t| !t.is_empty()));
    for s in [&mut bb, &mut c] {
        let got = s
            .prompt_item(PROMPT_WAIT, |i| i["prompt_id"] == prompt_id.as_str())
            .await;
        assert_eq!(got["seq"], lull["seq"], "one sequence for everyone");
    }

    // A change of topic: pricing, then hiring, a line a second.
    settle(&mut [&mut a, &mut bb, &mut c]).await;
    let before = last_seq(&a);
    for i in 0..7 {
        let speaker = if i % 2 == 0 { &mut a } else { &mut bb };
        say(speaker, PRICING[i % 3]).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    for i in 0..8 {
        say(&mut a, HIRING[i % 3]).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let shift = a
        .prompt_item(PROMPT_WAIT, |i| is_prompt(i, "topic_shift", before))
        .await;
    for s in [&mut bb, &mut c] {
        let got = s
            .prompt_item(PROMPT_WAIT, |i| i["prompt_id"] == shift["prompt_id"])
            .await;
        assert_eq!(got["seq"], shift["seq"]);
    }

    // Reactions: bob uses the lull prompt; alice and carol see it.
    bb.send(json!({"type": "prompts.react", "prompt_id": prompt_id, "reaction": "used"}))
        .await;
    for s in [&mut a, &mut c] {
        let r = s
            .prompt_item(PROMPT_WAIT, |i| {
                i["kind"] == "reaction"
                    && i["user_id"] == "u_bob"
                    && i["prompt_id"] == prompt_id.as_str()
            })
            .await;
        assert_eq!(r["reaction"], "used");
        assert_eq!(r["tally"]["used"], 1);
        assert!(r["transcript_seq"].as_u64() > Some(0), "{r}");
    }
    // A bad reaction is answered to its sender only.
    c.send(
        json!({"type": "prompts.react", "prompt_id": prompt_id, "reaction": "liked", "ref": "r1"}),
    )
    .await;
    let err = c.until(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "INVALID_FIELD");
    assert_eq!(err["ref"], "r1");
    settle(&mut [&mut a, &mut bb]).await;
    assert!(
        !a.seen.iter().any(|f| f["type"] == "error"),
        "alice saw carol's error: {:?}",
        a.seen
    );

    // Recorded: the prompt row (type incall, its trigger and provenance)
    // and, after the room's flush, bob's reaction and the prompt's use.
    let db = b.state_dir().to_path_buf();
    let row = eventually("the reaction in D1", Duration::from_secs(20), || {
        let db = db.clone();
        let prompt_id = prompt_id.clone();
        async move {
            d1::query(
                &db,
                "SELECT p.type, p.trigger_reason, p.source, p.request_hash, p.used_at,
                        p.feedback, f.user_id, f.feedback AS mine
                 FROM prompts p JOIN prompt_feedback f ON f.prompt_id = p.id
                 WHERE p.id = ?1",
                &[&prompt_id],
            )
            .into_iter()
            .next()
        }
    })
    .await;
    assert_eq!(row["type"], "incall", "{row}");
    assert_eq!(row["trigger_reason"], "lull");
    assert_eq!(row["source"], "heuristic");
    assert!(row["request_hash"].as_str().is_some_and(|h| h.len() == 64));
    assert!(row["used_at"].as_i64().is_some());
    assert_eq!(row["feedback"], "used");
    assert_eq!(
        (row["user_id"].clone(), row["mine"].clone()),
        (json!("u_bob"), json!("used"))
    );
    let state = eventually("meeting_state columns", Duration::from_secs(20), || {
        let db = db.clone();
        let m = m.clone();
        async move {
            d1::query(
                &db,
                "SELECT speaking_stats, lull_state, topics FROM meeting_state WHERE meeting_id = ?1
                 AND lull_state IS NOT NULL",
                &[&m],
            )
            .into_iter()
            .next()
        }
    })
    .await;
    let lull_state: Value = serde_json::from_str(state["lull_state"].as_str().unwrap()).unwrap();
    assert!(
        lull_state["gate"]["allowed"].as_u64() >= Some(2),
        "{lull_state}"
    );

    // Carol is removed: her socket closes at once and she gets no more prompts.
    let (status, body) = call(
        &b,
        &alice,
        "DELETE",
        &format!("/v1/meetings/{m}/participants/{}", carol.id),
        None,
    )
    .await;
    assert!(status == 200 || status == 204, "remove: {status} {body}");
    assert_eq!(c.closed(Duration::from_secs(2)).await, Some(4003));
    let carol_had = c.prompt_items().len();
    settle(&mut [&mut a, &mut bb]).await;
    let before = last_seq(&a);
    say(&mut a, HIRING[0]).await;
    let next = a
        .prompt_item(PROMPT_WAIT, |i| is_prompt(i, "lull", before))
        .await;
    bb.prompt_item(PROMPT_WAIT, |i| i["prompt_id"] == next["prompt_id"])
        .await;
    assert!(c.next(Duration::from_millis(500)).await.is_none());
    assert_eq!(
        c.prompt_items().len(),
        carol_had,
        "nothing after the removal"
    );
}

/// Sets `intelligence.incall` as `admin`; returns how many live rooms were told.
async fn set_incall(b: &Backend, admin: &connvo_e2e::room::User, on: bool) -> u64 {
    let (status, body) = call(
        b,
        admin,
        "PUT",
        "/v1/admin/flags",
        Some(json!({"key": "intelligence.incall", "enabled": on, "reason": "e2e drill"})),
    )
    .await;
    assert_eq!(status, 200, "flag: {body}");
    body["rooms_notified"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn i30_the_incall_flag_reaches_the_live_room_at_once() {
    let b = backend().await;
    let alice = user_with_role(&b, "u_alice", "admin").await;
    let bob = user(&b, "u_bob").await;
    let m = meeting(&b, &alice, &[(&bob, "participant")], true).await;
    let mut a = connect(&b, &alice, &m).await;
    let mut bb = connect(&b, &bob, &m).await;
    a.hello("c_alice", json!({})).await;
    bb.hello("c_bob", json!({})).await;

    // Off: pushed to this live room; a silence window passes with no prompt.
    assert!(
        set_incall(&b, &alice, false).await >= 1,
        "the room was told"
    );
    say(&mut a, PRICING[0]).await;
    say(&mut bb, PRICING[1]).await;
    tokio::time::sleep(Duration::from_millis(6_000)).await;
    settle(&mut [&mut a, &mut bb]).await;
    assert!(
        !a.prompt_items().iter().any(|i| i["kind"] == "prompt"),
        "a prompt while the flag was off: {:?}",
        a.prompt_items()
    );

    // Back on: the next silence produces one, on both sockets.
    assert!(set_incall(&b, &alice, true).await >= 1);
    say(&mut a, PRICING[2]).await;
    let p = a
        .prompt_item(PROMPT_WAIT, |i| is_prompt(i, "lull", 0))
        .await;
    bb.prompt_item(PROMPT_WAIT, |i| i["prompt_id"] == p["prompt_id"])
        .await;
}
