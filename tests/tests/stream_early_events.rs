//! Issue 11, fault 3: Stream events that race provisioning. A meeting's call
//! id is its meeting id, so an event for one of our calls is ours whatever
//! the provisioning job has recorded so far: it is applied before the job
//! claimed the meeting (no `stream_call_cid` yet), while the create-call
//! request is in flight, and after the call is ready. Never `ignored`.
//!
//! Two meetings are created back to back, so their provisioning jobs share
//! one queue batch; the fake Stream holds the first create-call request for
//! a few seconds, so one meeting sits in `provisioning` (the request in
//! flight) while the other still waits in `pending` (not yet claimed).

use std::time::Duration;

use connvo_e2e::fakes::stream::{created_at, participant, webhook_event};
use connvo_e2e::fakes::workos::now_ms;
use connvo_e2e::meet::{meeting_body, World};
use connvo_e2e::BackendOptions;
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";

fn presence(w: &World, id: &str, user: &str) -> String {
    w.d1(&format!(
        "SELECT presence FROM meeting_participants WHERE meeting_id = '{id}' AND user_id = '{user}'"
    ))[0]["presence"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn presence_event(kind: &str, id: &str, at: i64) -> Value {
    let mut e = webhook_event(
        kind,
        &format!("default:{id}"),
        json!({"participant": participant(GUEST)}),
    );
    e["created_at"] = json!(created_at(at));
    e
}

async fn video_status(w: &World, id: &str) -> String {
    let m = w.get_meeting(HOST, id).await;
    m.body["video"]["status"].as_str().unwrap_or("").to_owned()
}

#[tokio::test]
async fn events_before_during_and_after_provisioning_are_applied() {
    let w = World::start_with(
        &[HOST, GUEST],
        // The held create-call request must not time out.
        BackendOptions::default().var("STREAM_TIMEOUT_MS", "20000"),
    )
    .await;
    w.stream.delay_next(Duration::from_secs(6));
    let t0 = now_ms() as i64;
    let first = w
        .create_meeting(HOST, meeting_body("First", &[(GUEST, "participant")]))
        .await;
    let second = w
        .create_meeting(HOST, meeting_body("Second", &[(GUEST, "participant")]))
        .await;
    let ids = [
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    ];

    // Before: sent at once, before any job looked at the meetings.
    for (i, id) in ids.iter().enumerate() {
        let mut started = webhook_event(
            "call.session_started",
            &format!("default:{id}"),
            json!({"session_id": format!("sess-{i}"), "call": {}}),
        );
        started["created_at"] = json!(created_at(t0));
        let a = w.webhook(&started, &format!("wh-start-{i}")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.body["status"], "applied",
            "before provisioning: {}",
            a.body
        );
        let a = w
            .webhook(
                &presence_event("call.session_participant_joined", id, t0 + 1),
                &format!("wh-join-{i}"),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.body["status"], "applied",
            "before provisioning: {}",
            a.body
        );
        assert_eq!(presence(&w, id, GUEST), "joined");
        let state = w.d1(&format!(
            "SELECT active, stream_session_id FROM meeting_state WHERE meeting_id = '{id}'"
        ));
        assert_eq!(
            state,
            vec![json!({"active": 1, "stream_session_id": format!("sess-{i}")})]
        );
    }

    // During: one meeting's create-call request is held by the fake Stream.
    let during = connvo_e2e::meet::eventually(
        "a meeting in provisioning",
        Duration::from_secs(20),
        || async {
            for id in &ids {
                if video_status(&w, id).await == "provisioning" {
                    return Some(id.clone());
                }
            }
            None
        },
    )
    .await;
    let a = w
        .webhook(
            &presence_event("call.session_participant_left", &during, t0 + 2),
            "wh-left-during",
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["status"], "applied",
        "during provisioning: {}",
        a.body
    );
    assert_eq!(presence(&w, &during, GUEST), "left");

    // After: both calls exist, under the cid the events already used.
    for (i, id) in ids.iter().enumerate() {
        let m = w.wait_provisioned(HOST, id).await;
        assert_eq!(m["video"]["call_cid"], format!("default:{id}"));
        let a = w
            .webhook(
                &presence_event("call.session_participant_joined", id, t0 + 3),
                &format!("wh-join-after-{i}"),
            )
            .await;
        assert_eq!(
            a.body["status"], "applied",
            "after provisioning: {}",
            a.body
        );
        assert_eq!(presence(&w, id, GUEST), "joined");
    }
    assert_eq!(w.stream.creations(), 2);

    // A call of another type, or of a meeting we do not have, is not ours.
    for (cid, tag) in [
        (format!("livestream:{}", ids[0]), "type"),
        ("default:mtg_no_such_meeting".to_owned(), "id"),
    ] {
        let e = webhook_event("call.ended", &cid, json!({"call": {}}));
        let a = w.webhook(&e, &format!("wh-foreign-{tag}")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["status"], "ignored", "{cid}: {}", a.body);
    }
}
