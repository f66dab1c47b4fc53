//! In-call prompts through the room core (docs/protocol.md R23–R25,
//! docs/intelligence.md "The room's pipeline"): scripted transcripts drive
//! the detectors; a detection that passes the gate is one `generate_incall`
//! job; the generated prompt comes back as a notice and is streamed to
//! every reader; reactions follow rule I10 and reach D1 with the flush.

mod room_support;

use connvo_shared::acl::MeetingRole;
use connvo_shared::intelligence::feedback::Reaction;
use connvo_shared::intelligence::generator::Trigger;
use connvo_shared::intelligence::lull::LullKind;
use connvo_shared::jobs::incall::IncallRequest;
use connvo_shared::jobs::{Job, JobMessage};
use connvo_shared::room::protocol::ServerMsg;
use connvo_shared::room::{
    Frame, MemoryStore, Notice, NoticeReply, PromptEvent, PromptEventBody, RoomConfig, RoomCore,
};
use connvo_shared::room_internal::{FlagsNotice, PromptNotice};
use room_support::{error_codes, sid, Shell, MEETING, T0};
use serde_json::json;

/// Short windows: a lull after 3 s of silence, no slow-talk lulls, topic
/// windows of 10 s, at most one prompt per `interval_ms`.
fn config(interval_ms: u64) -> RoomConfig {
    let mut c = RoomConfig::default();
    c.live.lull.silence_ms = 3_000;
    c.live.lull.min_words_per_min = 0.0;
    c.live.topic.window_ms = 10_000;
    c.live.topic.min_words = 4;
    c.live.gate.min_interval_ms = interval_ms;
    // These tests fire the timer at times of their choosing, long after
    // its deadline, which the room would read as lag (R27).
    c.shed_lag_ms = u64::MAX;
    c
}

fn say(shell: &mut Shell<MemoryStore>, id: &str, text: &str) {
    let now = shell.now;
    shell.json(
        id,
        json!({"type": "transcript.append",
               "chunk": {"text": text, "confidence": 0.9, "start_ms": now - 1_500,
                         "end_ms": now, "final": true}}),
    );
}

fn requests(jobs: &[JobMessage]) -> Vec<(u64, IncallRequest)> {
    jobs.iter()
        .map(|m| match &m.job {
            Job::GenerateIncall {
                detection, request, ..
            } => (*detection, (**request).clone()),
            other => panic!("the room queued {}", other.kind()),
        })
        .collect()
}

fn notice(id: &str, text: &str) -> PromptNotice {
    PromptNotice {
        prompt_id: id.into(),
        kind: "question".into(),
        content: text.into(),
        tags: vec!["lull".into(), "pricing".into()],
        relevance: 0.8,
        trigger: "lull".into(),
        source: "heuristic".into(),
    }
}

fn deliver(shell: &mut Shell<MemoryStore>, n: PromptNotice) -> Result<NoticeReply, u16> {
    let reply = shell
        .room
        .handle_notice(shell.now, Notice::Prompt(n))
        .map_err(|e| e.status());
    shell.drain();
    reply
}

fn items(msgs: &[ServerMsg]) -> Vec<PromptEvent> {
    msgs.iter()
        .flat_map(|m| match m {
            ServerMsg::PromptsItems { items, .. } => items.clone(),
            _ => Vec::new(),
        })
        .collect()
}

fn three() -> Shell<MemoryStore> {
    let mut shell = Shell::active(config(60_000));
    shell.join("a", "alice", MeetingRole::Host);
    shell.join("b", "bob", MeetingRole::Participant);
    shell.join("c", "carol", MeetingRole::Observer);
    shell
}

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

#[test]
fn r25_a_silence_window_queues_exactly_one_generation() {
    let mut shell = Shell::active(config(60_000));
    shell.join("a", "alice", MeetingRole::Host);
    shell.advance(1_000);
    say(&mut shell, "a", "so what do we talk about");
    // The silence wake-up is part of the room's next deadline.
    let wake = shell.room.poll_timeout().unwrap();
    assert!(wake <= shell.now + 3_000, "{wake} vs {}", shell.now);
    shell.advance(2_900);
    assert!(shell.jobs.is_empty(), "{:?}", shell.jobs);
    shell.advance(200);
    let got = requests(&shell.jobs);
    assert_eq!(got.len(), 1);
    let (detection, request) = &got[0];
    assert_eq!(*detection, 1);
    assert_eq!(
        request.trigger,
        Trigger::Lull {
            kind: LullKind::Silence
        }
    );
    assert_eq!(request.recent.len(), 1);
    assert_eq!(request.recent[0].speaker_id, "alice");
    assert_eq!(request.recent[0].id, "1");
    assert_eq!(
        shell.jobs[0].idempotency_key,
        format!("generate_incall:{MEETING}:1")
    );
    // However long the silence lasts, one lull (I5).
    shell.advance(120_000);
    assert_eq!(shell.jobs.len(), 1);
    assert_eq!(shell.room.prompt_counters().allowed, 1);
}

#[test]
fn r25_a_topic_change_queues_another() {
    let mut c = config(1_000);
    c.live.lull.silence_ms = 600_000;
    let mut shell = Shell::active(c);
    shell.join("a", "alice", MeetingRole::Host);
    shell.join("b", "bob", MeetingRole::Participant);
    for i in 0..10 {
        shell.advance(2_000);
        say(
            &mut shell,
            if i % 3 == 0 { "b" } else { "a" },
            PRICING[i % 3],
        );
    }
    assert!(shell.jobs.is_empty(), "{:?}", requests(&shell.jobs));
    for i in 0..10 {
        shell.advance(2_000);
        say(&mut shell, "a", HIRING[i % 3]);
    }
    let got = requests(&shell.jobs);
    assert_eq!(got.len(), 1, "{got:?}");
    let (_, request) = &got[0];
    match &request.trigger {
        Trigger::TopicShift { previous_topics } => {
            assert!(
                previous_topics.iter().any(|t| t == "pricing"),
                "{previous_topics:?}"
            )
        }
        t => panic!("{t:?}"),
    }
    assert!(
        request
            .topics
            .iter()
            .any(|t| ["berlin", "engineers", "backend"].contains(&t.as_str())),
        "{:?}",
        request.topics
    );
    assert!(request.speaking_ratios["alice"] > request.speaking_ratios["bob"]);
}

#[test]
fn r25_at_most_one_generation_per_interval_the_rest_counted() {
    let mut shell = Shell::active(config(60_000));
    shell.join("a", "alice", MeetingRole::Host);
    for _ in 0..5 {
        say(&mut shell, "a", "and then nothing");
        shell.advance(4_000);
    }
    assert_eq!(shell.jobs.len(), 1);
    let counters = shell.room.prompt_counters();
    assert_eq!(counters.allowed, 1);
    assert_eq!(counters.rate_limited, 4);
    // After the interval, the next lull goes through.
    shell.advance(60_000);
    say(&mut shell, "a", "back again");
    shell.advance(4_000);
    assert_eq!(requests(&shell.jobs).last().unwrap().0, 2);
}

#[test]
fn r25_an_overloaded_room_sheds_detections_and_counts_them() {
    let mut c = config(0);
    c.prompt_overload_frames = 0;
    let mut room = RoomCore::load(MemoryStore::new(), c, MEETING).unwrap();
    room.set_meeting_state(T0, connvo_shared::acl::MeetingState::Active)
        .unwrap();
    let identity =
        connvo_shared::room::SessionIdentity::new("alice", Some(MeetingRole::Participant));
    room.handle_connect(T0, sid("a"), identity).unwrap();
    let hello = json!({"type": "hello", "protocol": 1, "client_id": "c1"}).to_string();
    room.handle_frame(T0, &sid("a"), Frame::Text(&hello));
    // Nothing was drained: the welcome and catch-up still wait, so the
    // room is overloaded when the silence is detected.
    room.handle_timeout(T0 + 3_000);
    assert_eq!(room.prompt_counters().shed, 1);
    let mut sockets = Default::default();
    let mut sink = room_support::SocketMap(&mut sockets);
    let drained = room.drain(T0 + 3_000, &mut sink);
    assert!(drained.jobs.is_empty(), "a shed detection costs no job");
    // Shedding started no interval: with the outbox drained, the next
    // silence queues a generation.
    let chunk = json!({"type": "transcript.append", "chunk": {"text": "hello again",
        "confidence": 0.9, "start_ms": T0 + 3_500, "end_ms": T0 + 4_000, "final": true}})
    .to_string();
    room.handle_frame(T0 + 4_000, &sid("a"), Frame::Text(&chunk));
    room.drain(T0 + 4_000, &mut sink);
    room.handle_timeout(T0 + 4_200);
    room.drain(T0 + 4_200, &mut sink);
    room.handle_timeout(T0 + 7_000);
    let drained = room.drain(T0 + 7_000, &mut sink);
    assert_eq!(drained.jobs.len(), 1);
    assert_eq!(room.prompt_counters().shed, 1);
    // The counter is in meeting_state.lull_state.
    let cols = room.meeting_state_columns(T0 + 7_000).unwrap();
    assert_eq!(cols.lull_state["gate"]["shed"], 1);
}

#[test]
fn r23_a_prompt_reaches_every_reader_once_in_order_and_resumes() {
    let mut shell = three();
    let reply = deliver(&mut shell, notice("prm_1", "Ask Bob about pricing?")).unwrap();
    assert_eq!(reply, NoticeReply::Json(json!({"seq": 1})));
    for id in ["a", "b", "c"] {
        let got = items(&shell.take(id));
        assert_eq!(got.len(), 1, "{id}");
        assert_eq!(got[0].seq, 1);
        match &got[0].body {
            PromptEventBody::Prompt(p) => {
                assert_eq!(p.prompt_id, "prm_1");
                assert_eq!(p.trigger, "lull");
            }
            other => panic!("{other:?}"),
        }
    }
    // The job retried: the same prompt is not streamed twice.
    let again = deliver(&mut shell, notice("prm_1", "Ask Bob about pricing?")).unwrap();
    assert_eq!(again, NoticeReply::Json(json!({"seq": 1})));
    assert!(items(&shell.take("a")).is_empty());
    deliver(&mut shell, notice("prm_2", "Invite Carol in")).unwrap();
    // A reconnect resumes after what it holds.
    shell.disconnect("b");
    shell.connect("b2", "bob", MeetingRole::Participant);
    shell.hello("b2", "client-b2", json!({"prompts_seq": 1}));
    let got = items(&shell.take("b2"));
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), [2]);
    // The welcome carries the head.
    shell.connect("b3", "bob", MeetingRole::Participant);
    shell.hello("b3", "client-b3", json!({}));
    let msgs = shell.take("b3");
    let heads = msgs.iter().find_map(|m| match m {
        ServerMsg::Welcome { heads, .. } => Some(*heads),
        _ => None,
    });
    assert_eq!(heads.unwrap().prompts_seq, 2);
    assert_eq!(items(&msgs).len(), 2);
    // A bad notice is refused with 409 and streams nothing.
    assert_eq!(deliver(&mut shell, notice("", "x")), Err(409));
}

#[test]
fn r23_a_removed_participant_stops_receiving_prompts_at_once() {
    let mut shell = three();
    deliver(&mut shell, notice("prm_1", "Ask Bob about pricing?")).unwrap();
    shell.clear();
    shell
        .room
        .handle_notice(
            shell.now,
            Notice::Member {
                user_id: "bob".into(),
                role: None,
            },
        )
        .unwrap();
    shell.drain();
    assert!(shell.socket("b").closed.is_some());
    shell.take("b");
    deliver(&mut shell, notice("prm_2", "Invite Carol in")).unwrap();
    assert!(shell.take("b").is_empty(), "nothing after the revoke");
    assert_eq!(items(&shell.take("a")).len(), 1);
    // A reconnect with a stale credential is refused (R12).
    shell.connect("b2", "bob", MeetingRole::Participant);
    assert!(shell.socket("b2").closed.is_some());
    assert!(items(&shell.take("b2")).is_empty());
}

#[test]
fn r24_reactions_follow_i10_and_reach_everyone_and_the_flush() {
    let mut shell = three();
    deliver(&mut shell, notice("prm_1", "Ask Bob about pricing?")).unwrap();
    shell.clear();
    let react = |r: &str| json!({"type": "prompts.react", "prompt_id": "prm_1", "reaction": r});
    shell.json("a", react("used"));
    for id in ["a", "b", "c"] {
        let got = items(&shell.take(id));
        assert_eq!(got.len(), 1, "{id}");
        match &got[0].body {
            PromptEventBody::Reaction(r) => {
                assert_eq!((r.user_id.as_str(), r.reaction), ("alice", Reaction::Used));
                assert_eq!(r.previous, None);
                assert_eq!(r.tally.used, 1);
                // Where the meeting stood: the link for post-call reference.
                assert_eq!(r.transcript_seq, shell.room.heads().transcript_seq);
                assert_eq!(r.notes_version, shell.room.heads().notes_version);
            }
            other => panic!("{other:?}"),
        }
    }
    // The same reaction again: unchanged, not streamed.
    shell.json("a", react("used"));
    assert!(shell.take("b").is_empty());
    // Changed: streamed with what it replaced.
    shell.advance(10);
    shell.json("a", react("dismissed"));
    match &items(&shell.take("b"))[0].body {
        PromptEventBody::Reaction(r) => {
            assert_eq!(r.previous, Some(Reaction::Used));
            assert_eq!((r.tally.used, r.tally.dismissed), (0, 1));
        }
        other => panic!("{other:?}"),
    }
    shell.json("b", react("upvoted"));
    // Bad reactions: the sender only hears of it.
    shell.clear();
    shell.json(
        "b",
        json!({"type": "prompts.react", "prompt_id": "prm_9", "reaction": "used"}),
    );
    shell.json(
        "b",
        json!({"type": "prompts.react", "prompt_id": "prm_1", "reaction": "liked"}),
    );
    shell.json("c", react("upvoted"));
    assert_eq!(
        error_codes(&shell.take("b")),
        ["INVALID_FIELD", "INVALID_FIELD"]
    );
    assert_eq!(
        error_codes(&shell.take("c")),
        ["FORBIDDEN"],
        "observers read only"
    );
    assert!(shell.take("a").is_empty());
    // The flush writes each current change to prompt_feedback and the prompt.
    shell.advance(6_000);
    let reactions: Vec<_> = shell
        .flushes
        .iter()
        .flat_map(|f| f.reactions.clone())
        .collect();
    let summary: Vec<(&str, Reaction)> = reactions
        .iter()
        .map(|r| (r.user_id.as_str(), r.reaction))
        .collect();
    assert_eq!(
        summary,
        [
            ("alice", Reaction::Used),
            ("alice", Reaction::Dismissed),
            ("bob", Reaction::Upvoted)
        ]
    );
    let names: Vec<&str> = shell.flushes[0]
        .statements(shell.now)
        .unwrap()
        .iter()
        .map(|s| s.name)
        .filter(|n| n.starts_with("PROMPT"))
        .collect();
    assert_eq!(names.len(), 6);
    // The next generation carries the weights (I11): one negative
    // (alice dismissed), one positive (bob upvoted).
    shell.advance(60_000);
    let (_, request) = requests(&shell.jobs).pop().unwrap();
    assert_eq!(request.weights.meeting.positive, 1.0);
    assert_eq!(request.weights.meeting.negative, 1.0);
    assert_eq!(request.shown, ["Ask Bob about pricing?"]);
}

#[test]
fn r25_the_flag_off_stops_detection_at_once_and_on_resumes_it() {
    let mut shell = Shell::active(config(0));
    shell.join("a", "alice", MeetingRole::Host);
    say(&mut shell, "a", "hello");
    let flags = |on| Notice::Flags(FlagsNotice { incall: on });
    shell.room.handle_notice(shell.now, flags(false)).unwrap();
    shell.drain();
    assert!(!shell.room.intel().incall_enabled);
    shell.advance(10_000);
    say(&mut shell, "a", "still here");
    shell.advance(10_000);
    assert!(shell.jobs.is_empty());
    assert_eq!(
        deliver(&mut shell, notice("prm_1", "late prompt")),
        Err(409),
        "a prompt generated before the switch is not shown"
    );
    shell.room.handle_notice(shell.now, flags(true)).unwrap();
    shell.drain();
    shell.advance(100);
    assert_eq!(shell.jobs.len(), 1, "the silence since is a lull now");
}

#[test]
fn r25_the_detectors_and_reactions_survive_hibernation() {
    let mut shell = three();
    say(&mut shell, "a", "pricing for the starter tier");
    deliver(&mut shell, notice("prm_1", "Ask Bob about pricing?")).unwrap();
    shell.json(
        "b",
        json!({"type": "prompts.react", "prompt_id": "prm_1", "reaction": "upvoted"}),
    );
    say(&mut shell, "b", "it should stay cheap");
    shell.hibernate();
    shell.clear();
    let intel = shell.room.intel();
    assert_eq!(
        intel.observed_seq, 2,
        "chunks after the last save were folded in"
    );
    assert_eq!(intel.prompts.len(), 1);
    // The same reaction after the wake is still "unchanged".
    shell.json(
        "b",
        json!({"type": "prompts.react", "prompt_id": "prm_1", "reaction": "upvoted"}),
    );
    assert!(
        items(&shell.take("a")).is_empty(),
        "{:?}",
        shell.room.intel().ledger
    );
    // And the silence still gives one lull.
    shell.advance(3_100);
    assert_eq!(shell.jobs.len(), 1);
    shell.hibernate();
    shell.advance(60_000);
    assert_eq!(shell.jobs.len(), 1);
}
