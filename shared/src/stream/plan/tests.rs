use serde_json::json;

use super::*;
use crate::meeting::view::tests::row_value;
use crate::stream::webhook::parse_event;

const AT: &str = "2024-10-16T04:15:01.911Z";
const AT_MS: i64 = 1_729_052_101_911;
const NOW: i64 = AT_MS + 1_000;

fn meeting(state: &str, cid: Option<&str>) -> MeetingRow {
    let mut v = row_value();
    v["state"] = json!(state);
    v["stream_call_cid"] = json!(cid);
    MeetingRow::from_value(v).unwrap()
}

fn event(kind: &str, cid: &str, extra: serde_json::Value) -> WebhookEvent {
    let mut v = json!({"type": kind, "created_at": AT, "call_cid": cid});
    if let (Some(target), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
        target.extend(extra);
    }
    parse_event(v.to_string().as_bytes()).unwrap()
}

fn joined() -> WebhookEvent {
    event(
        "call.session_participant_joined",
        "default:mtg_1",
        json!({"participant": {"user": {"id": "user_g"}, "user_session_id": "us1"}}),
    )
}

fn run(event: &WebhookEvent, meeting: Option<&MeetingRow>) -> EventPlan {
    let d = delivery("wh-1", b"{}", 300_000);
    plan(
        event,
        meeting,
        &PlanInput {
            delivery: &d,
            webhook_id: "wh-1",
            now_ms: NOW,
            recording_id: "rec_1",
        },
    )
}

fn names(p: &EventPlan) -> Vec<&'static str> {
    p.batch.iter().map(|s| s.name).collect()
}

fn cid(s: &str) -> CallCid {
    CallCid::parse(s).unwrap()
}

// ---- routing (issue 11, fault 3) -------------------------------------------

#[test]
fn a_recorded_call_routes_to_its_meeting() {
    let m = meeting("active", Some("default:mtg_1"));
    assert_eq!(
        route(&cid("default:mtg_1"), Some(&m), None, "default"),
        Some(&m)
    );
}

#[test]
fn a_call_not_yet_recorded_is_derived_from_the_meeting_id() {
    // Before provisioning claimed the meeting: no cid stored yet.
    let pending = meeting("scheduled", None);
    let c = cid("default:mtg_1");
    assert_eq!(derived_meeting_id(&c, "default"), Some("mtg_1"));
    assert_eq!(route(&c, None, Some(&pending), "default"), Some(&pending));
}

#[test]
fn another_call_type_or_another_recorded_call_is_not_ours() {
    let pending = meeting("scheduled", None);
    let other_type = cid("livestream:mtg_1");
    assert_eq!(derived_meeting_id(&other_type, "default"), None);
    assert_eq!(route(&other_type, None, Some(&pending), "default"), None);
    // The meeting already has a different call recorded.
    let elsewhere = meeting("active", Some("custom:mtg_1"));
    assert_eq!(
        route(&cid("default:mtg_1"), None, Some(&elsewhere), "default"),
        None
    );
    // A call id that cannot be a meeting id is not looked up at all.
    assert_eq!(derived_meeting_id(&cid("default:a.b"), "default"), None);
    // A derived row for a different id is not taken.
    assert_eq!(
        route(&cid("default:mtg_2"), None, Some(&pending), "default"),
        None
    );
}

// ---- plans ---------------------------------------------------------------

#[test]
fn every_plan_completes_the_delivery_last() {
    let m = meeting("active", None);
    for e in [
        joined(),
        event(
            "call.session_started",
            "default:mtg_1",
            json!({"session_id": "s"}),
        ),
        event("call.session_ended", "default:mtg_1", json!({})),
        event("call.ended", "default:mtg_1", json!({})),
        event("call.reaction_new", "default:mtg_1", json!({})),
    ] {
        for meeting in [Some(&m), None] {
            let p = run(&e, meeting);
            assert_eq!(names(&p).last(), Some(&"IDEMPOTENCY_COMPLETE"), "{e:?}");
            let done = p.batch.last().unwrap();
            assert_eq!(
                done.params[0],
                crate::sql::SqlValue::Text(WEBHOOK_SCOPE.into())
            );
            assert_eq!(done.params[1], crate::sql::SqlValue::Text("wh-1".into()));
        }
    }
}

#[test]
fn unknown_calls_and_types_are_ignored_with_a_note() {
    let p = run(&joined(), None);
    assert_eq!(names(&p), ["IDEMPOTENCY_COMPLETE"]);
    assert_eq!(p.note, Some("stream event for an unknown call"));
    assert_eq!(p.clone().settle(&[0], None).applied, Applied::Ignored);
    let m = meeting("active", None);
    let p = run(
        &event("call.reaction_new", "default:mtg_1", json!({})),
        Some(&m),
    );
    assert_eq!(p.note, Some("unknown stream event type"));
    assert_eq!(p.settle(&[1], None).applied, Applied::Ignored);
}

#[test]
fn presence_is_applied_and_told_to_the_room_only_when_it_changed() {
    let m = meeting("scheduled", None);
    let p = run(&joined(), Some(&m));
    assert_eq!(
        names(&p),
        ["PARTICIPANT_SET_PRESENCE", "IDEMPOTENCY_COMPLETE"]
    );
    let set = &p.batch[0];
    assert_eq!(set.params[2], crate::sql::SqlValue::Text("joined".into()));
    assert_eq!(set.params[3], crate::sql::SqlValue::Integer(AT_MS));
    let applied = p.clone().settle(&[1, 1], None);
    assert_eq!(applied.applied, Applied::Applied);
    assert_eq!(
        applied.effects,
        vec![Effect::Presence {
            user_id: "user_g".into(),
            status: PresenceStatus::Joined,
            at_ms: AT_MS
        }]
    );
    // A newer change was applied, or not a member: nothing to tell.
    let stale = p.settle(&[0, 1], None);
    assert_eq!(
        stale,
        Settled {
            applied: Applied::Ignored,
            effects: vec![]
        }
    );
}

#[test]
fn sessions_write_the_live_state() {
    let m = meeting("scheduled", None);
    let p = run(
        &event(
            "call.session_started",
            "default:mtg_1",
            json!({"session_id": "s1"}),
        ),
        Some(&m),
    );
    assert_eq!(
        names(&p),
        ["MEETING_STATE_UPSERT_ACTIVITY", "IDEMPOTENCY_COMPLETE"]
    );
    assert_eq!(p.batch[0].params[1], crate::sql::SqlValue::Integer(1));
    assert_eq!(p.settle(&[1, 1], None).applied, Applied::Applied);
    let p = run(
        &event("call.session_ended", "default:mtg_1", json!({})),
        Some(&m),
    );
    assert_eq!(
        names(&p),
        [
            "MEETING_STATE_UPSERT_ACTIVITY",
            "PARTICIPANT_MARK_ALL_LEFT",
            "IDEMPOTENCY_COMPLETE"
        ]
    );
    assert_eq!(p.batch[0].params[1], crate::sql::SqlValue::Integer(0));
}

#[test]
fn call_ended_concludes_an_active_meeting_and_queues_its_end() {
    let e = event("call.ended", "default:mtg_1", json!({}));
    let active = meeting("active", Some("default:mtg_1"));
    let p = run(&e, Some(&active));
    assert_eq!(
        names(&p),
        [
            "MEETING_TRANSITION_STATE",
            "MEETING_STATE_UPSERT_ACTIVITY",
            "PARTICIPANT_MARK_ALL_LEFT",
            "IDEMPOTENCY_COMPLETE"
        ]
    );
    assert_eq!(
        p.batch[0].params[1],
        crate::sql::SqlValue::Text("active".into())
    );
    assert_eq!(
        p.batch[0].params[2],
        crate::sql::SqlValue::Text("concluded".into())
    );
    let won = p.clone().settle(&[1, 1, 2, 1], None);
    assert_eq!(won.applied, Applied::Applied);
    assert_eq!(won.effects, vec![Effect::FinalizeLater]);
    // The host ended it meanwhile: the session is over, their flow runs.
    let lost = p.settle(&[0, 1, 0, 1], None);
    assert_eq!(
        lost,
        Settled {
            applied: Applied::Applied,
            effects: vec![]
        }
    );
    // Not active: only the session is over.
    let scheduled = meeting("scheduled", None);
    let p = run(&e, Some(&scheduled));
    assert_eq!(names(&p)[0], "MEETING_STATE_UPSERT_ACTIVITY");
    assert_eq!(p.settle(&[1, 0, 1], None).effects, vec![]);
}

#[test]
fn a_file_is_recorded_once() {
    let m = meeting("concluded", Some("default:mtg_1"));
    let e = event(
        "call.recording_ready",
        "default:mtg_1",
        json!({"call_recording": {"filename": "f.mp4", "url": "https://x/f.mp4"}}),
    );
    let p = run(&e, Some(&m));
    // F7: the recording's job completes with the file.
    assert_eq!(
        names(&p),
        [
            "RECORDING_INSERT",
            "RECORDING_JOB_FILES_READY",
            "IDEMPOTENCY_COMPLETE"
        ]
    );
    assert_eq!(
        p.batch[0].params[0],
        crate::sql::SqlValue::Text("rec_1".into())
    );
    assert_eq!(
        p.batch[0].params[4],
        crate::sql::SqlValue::Text("default:mtg_1".into())
    );
    assert_eq!(p.clone().settle(&[1, 1, 1], None).applied, Applied::Applied);
    assert_eq!(p.settle(&[0, 0, 1], None).applied, Applied::Ignored);
    // A transcription file leaves the job alone.
    let t = event(
        "call.transcription_ready",
        "default:mtg_1",
        json!({"call_transcription": {"filename": "t.jsonl", "url": "https://x/t.jsonl"}}),
    );
    assert_eq!(
        names(&run(&t, Some(&m))),
        ["RECORDING_INSERT", "IDEMPOTENCY_COMPLETE"]
    );
}

#[test]
fn f23_f24_a_file_is_stored_as_a_track_with_its_duration() {
    use crate::sql::SqlValue;
    let m = meeting("active", Some("default:mtg_1"));
    let e = event(
        "call.recording_ready",
        "default:mtg_1",
        json!({"recording_type": "individual",
               "call_recording": {"filename": "u1_screenshare_audio_video.mp4", "url": "https://x/s.mp4",
                                  "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:01:30Z"}}),
    );
    let p = run(&e, Some(&m));
    // ?13 track, ?14 duration_ms.
    assert_eq!(p.batch[0].params[12], SqlValue::Text("screen_share".into()));
    assert_eq!(p.batch[0].params[13], SqlValue::Integer(90_000));
}

#[test]
fn f26_a_provider_failure_fails_the_unfinished_job_with_its_error() {
    use crate::sql::SqlValue;
    let m = meeting("active", Some("default:mtg_1"));
    let e = event(
        "call.transcription_failed",
        "default:mtg_1",
        json!({"egress_id": "eg_9", "error": "language not supported"}),
    );
    let p = run(&e, Some(&m));
    assert_eq!(
        names(&p),
        ["RECORDING_JOB_PROVIDER_FAILED", "IDEMPOTENCY_COMPLETE"]
    );
    assert_eq!(
        p.batch[0].params[1],
        SqlValue::Text("call.transcription_failed, egress eg_9: language not supported".into())
    );
    assert_eq!(p.clone().settle(&[1, 1], None).applied, Applied::Applied);
    // A redelivery (or no job): nothing to fail.
    assert_eq!(p.settle(&[0, 1], None).applied, Applied::Ignored);
    let r = event(
        "call.recording_failed",
        "default:mtg_1",
        json!({"egress_id": "eg_1", "recording_type": "composite"}),
    );
    assert_eq!(
        run(&r, Some(&m)).batch[0].params[1],
        SqlValue::Text("call.recording_failed (composite), egress eg_1".into())
    );
}

#[test]
fn a_caption_reaches_an_active_room_once_per_caption_id() {
    let e = event(
        "call.closed_caption",
        "default:mtg_1",
        json!({"closed_caption": {"id": "cc1", "text": "hi", "speaker_id": "user_g"}}),
    );
    let active = meeting("active", None);
    let p = run(&e, Some(&active));
    assert_eq!(
        names(&p),
        [
            "IDEMPOTENCY_CLAIM",
            "IDEMPOTENCY_COMPLETE",
            "IDEMPOTENCY_GET",
            "IDEMPOTENCY_COMPLETE"
        ]
    );
    assert_eq!(
        p.batch[0].params[0],
        crate::sql::SqlValue::Text(CAPTION_SCOPE.into())
    );
    assert_eq!(
        p.batch[0].params[1],
        crate::sql::SqlValue::Text("mtg_1:cc1".into())
    );
    assert_eq!(p.lookup_index(), Some(2));
    let first = p.clone().settle(&[1, 1, 0, 1], None);
    assert_eq!(first.applied, Applied::Applied);
    let [Effect::Caption(notice)] = first.effects.as_slice() else {
        panic!("{first:?}")
    };
    assert_eq!((notice.caption_id.as_str(), notice.is_final), ("cc1", true));
    // The same caption under another webhook id: already sent.
    let sent = StoredKey {
        status: "completed".into(),
        request_hash: None,
        result: None,
    };
    assert_eq!(
        p.settle(&[0, 0, 0, 1], Some(&sent)),
        Settled {
            applied: Applied::Ignored,
            effects: vec![]
        }
    );
    // Without a caption id: sent, keyed by the webhook id.
    let e = event(
        "call.closed_caption",
        "default:mtg_1",
        json!({"closed_caption": {"text": "hi", "speaker_id": "user_g"}}),
    );
    let p = run(&e, Some(&active));
    assert_eq!(names(&p), ["IDEMPOTENCY_COMPLETE"]);
    let s = p.settle(&[1], None);
    assert!(matches!(s.effects.as_slice(), [Effect::Caption(n)] if n.caption_id == "wh-1"));
    // Outside an active meeting: ignored.
    let p = run(&e, Some(&meeting("scheduled", None)));
    assert_eq!(p.note, Some("caption outside an active meeting"));
    assert_eq!(p.settle(&[1], None).applied, Applied::Ignored);
}

#[test]
fn a_delivery_is_fingerprinted_by_its_body() {
    let a = delivery("wh-1", b"one", 300_000);
    let b = delivery("wh-1", b"two", 300_000);
    assert_eq!(a.scope, WEBHOOK_SCOPE);
    assert_ne!(a.request_hash, b.request_hash);
    // The same id with another body is refused under the one policy.
    let stored = StoredKey {
        status: "completed".into(),
        request_hash: a.request_hash.clone(),
        result: None,
    };
    assert_eq!(b.decide(0, Some(&stored)), Decision::KeyReused);
    assert!(matches!(
        a.decide(0, Some(&stored)),
        Decision::Replay { .. }
    ));
    // Remembered for at least a day, and twice a long freshness window.
    assert_eq!(a.keep_ms, KEEP_MS);
    assert_eq!(delivery("x", b"", KEEP_MS).keep_ms, 2 * KEEP_MS);
}
