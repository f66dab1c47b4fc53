//! Issue 5, the meeting lifecycle against the real local runtime: schedule
//! (with invited participants and roles), read, list, edit, start, end;
//! provisioning through the fake Stream; video tokens and WebSocket tickets;
//! illegal transitions refused with 409 and nothing changed; validation
//! naming the field; idempotent creation.

use std::time::Duration;

use connvo_e2e::fakes::stream::{API_KEY, API_SECRET};
use connvo_e2e::fakes::workos::now_ms;
use connvo_e2e::meet::{meeting_body, World};
use connvo_e2e::BackendOptions;
use connvo_shared::auth::stream_token::decode_stream_token;
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const COHOST: &str = "user_01COHOST";
const GUEST: &str = "user_01GUEST";
const OBSERVER: &str = "user_01OBSERVER";

fn ids(list: &Value) -> Vec<String> {
    list["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_whole_lifecycle() {
    let w = World::start_with(
        &[HOST, COHOST, GUEST, OBSERVER],
        // Post-call jobs run soon even while the room cannot flush yet.
        BackendOptions::default().var("JOB_MAX_ATTEMPTS", "2"),
    )
    .await;
    let start_at = now_ms() as i64 + 10 * 60 * 1000;
    let mut body = meeting_body(
        "Coffee chat",
        &[
            (COHOST, "cohost"),
            (GUEST, "participant"),
            (OBSERVER, "observer"),
        ],
    );
    body["description"] = json!("Talk about\nthings");
    body["scheduled_at"] = json!(start_at);
    body["duration_ms"] = json!(1_800_000);
    let m = w.create_meeting(HOST, body).await;
    let id = m["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("mtg_"));
    assert_eq!(m["state"], "scheduled");
    assert_eq!(m["my_role"], "host");
    assert_eq!(m["organizer_id"], HOST);
    assert_eq!(m["org_id"], "org_01ACME");
    assert_eq!(m["participant_count"], 4);
    assert_eq!(m["scheduled_at"], start_at);
    let roles: Vec<(String, String)> = m["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user_id"].as_str().unwrap().to_owned(),
                p["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(roles.contains(&(HOST.into(), "host".into())));
    assert!(roles.contains(&(COHOST.into(), "cohost".into())));
    assert!(roles.contains(&(OBSERVER.into(), "observer".into())));

    // Scheduling queued the provisioning job: the call is created in Stream,
    // with every member and their call role, by the organizer.
    let m = w.wait_provisioned(GUEST, &id).await;
    assert_eq!(m["video"]["call_cid"], format!("default:{id}"));
    assert_eq!(m["my_role"], "participant");
    let call = w
        .stream
        .call(&format!("default:{id}"))
        .expect("call created");
    assert_eq!(call.created_by_id, HOST);
    assert_eq!(call.members.len(), 4);
    assert!(call
        .members
        .contains(&json!({"user_id": HOST, "role": "host"})));
    assert!(call
        .members
        .contains(&json!({"user_id": GUEST, "role": "call_member"})));
    assert_eq!(call.custom["meeting_id"], id);
    assert_eq!(
        connvo_shared::time::parse_rfc3339_ms(call.starts_at.as_deref().unwrap()),
        Some(start_at)
    );
    assert_eq!(w.stream.creations(), 1);

    // Everyone sees it in their list.
    for user in [HOST, GUEST, OBSERVER] {
        let list = w.call("GET", "/v1/meetings", Some(user), None).await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(ids(&list.body), vec![id.clone()]);
    }

    // The host edits it.
    let a = w
        .call(
            "PATCH",
            &format!("/v1/meetings/{id}"),
            Some(HOST),
            Some(&json!({"title": "Coffee chat (moved)", "version": m["version"]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["title"], "Coffee chat (moved)");
    assert_eq!(a.body["version"], m["version"].as_i64().unwrap() + 1);

    // Ten minutes before the start, the lobby is open: a video token.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/video-token"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(a.body["api_key"], API_KEY);
    assert_eq!(a.body["call_cid"], format!("default:{id}"));
    let claims = decode_stream_token(API_SECRET, a.body["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims["user_id"], GUEST);
    assert_eq!(claims["call_cids"], json!([format!("default:{id}")]));
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp - iat <= 3600 && exp > iat);
    assert!((iat - now_ms() as i64 / 1000).abs() < 30);

    // A ticket for the meeting's WebSocket.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/ws-ticket"),
            Some(OBSERVER),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["ticket"].as_str().unwrap().starts_with("v1."));
    let expires = a.body["expires_at"].as_u64().unwrap();
    assert!(expires > now_ms() && expires <= now_ms() + 60_000);

    // Start (host only), then end.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["state"], "active");
    assert!(a.body["started_at"].is_i64());
    let a = w
        .call("POST", &format!("/v1/meetings/{id}/end"), Some(HOST), None)
        .await;
    assert!(
        a.status == 200 || a.status == 202,
        "{} {}",
        a.status,
        a.body
    );
    assert_eq!(a.body["state"], "concluded");
    assert!(a.body["concluded_at"].as_i64().unwrap() >= a.body["started_at"].as_i64().unwrap());
    assert!(a.body["finalization"]["status"].is_string());

    // After the end: no more tokens, the post-call jobs are queued once.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/video-token"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "MEETING_NOT_ACTIVE");
    // The room is told to flush (finalize_meeting records it), then the
    // post-call jobs run: insights (after aggregation) records what it generated, aggregation
    // writes transcript segments (none here: nobody spoke) and its result.
    for key in [
        "finalize_meeting",
        "generate_insights",
        "aggregate_transcript",
    ] {
        let row = w
            .wait_row(
                &format!(
                    "SELECT status, result FROM idempotency_keys WHERE scope = 'job' AND key = '{key}:{id}'"
                ),
                Duration::from_secs(45),
            )
            .await;
        assert_eq!(row["status"], "completed");
    }
    let insights = w.d1(&format!(
        "SELECT result FROM idempotency_keys WHERE scope = 'job' AND key = 'generate_insights:{id}'"
    ));
    let result: Value = serde_json::from_str(insights[0]["result"].as_str().unwrap()).unwrap();
    // Issue 10 replaced the stub: one insight per participant (I34).
    assert_eq!(result["status"], "generated", "{result}");
    assert_eq!(result["source"], "heuristic");
    w.wait_log(
        &format!("\"meeting_id\":\"{id}\",\"msg\":\"transcript aggregated\""),
        Duration::from_secs(45),
    )
    .await;
    // The trail: who created, started and ended it, who got credentials.
    let trail = w
        .wait_rows(
            &format!(
                "SELECT action, actor_user_id, outcome FROM audit_logs \
                 WHERE resource_type = 'meeting' AND resource_id = '{id}' AND outcome = 'success'"
            ),
            6,
            Duration::from_secs(10),
        )
        .await;
    for (action, actor) in [
        ("meeting.create", HOST),
        ("meeting.update", HOST),
        ("meeting.video_token", GUEST),
        ("meeting.ws_ticket", OBSERVER),
        ("meeting.start", HOST),
        ("meeting.end", HOST),
    ] {
        assert!(
            trail
                .iter()
                .any(|r| r["action"] == action && r["actor_user_id"] == actor),
            "no {action} by {actor} in {trail:?}"
        );
    }
    // History view.
    let list = w
        .call(
            "GET",
            "/v1/meetings?state=concluded&order=desc",
            Some(COHOST),
            None,
        )
        .await;
    assert_eq!(ids(&list.body), vec![id.clone()]);
    assert_eq!(list.body["meetings"][0]["my_role"], "cohost");
}

/// Every refused transition answers 409 CONFLICT and changes nothing.
#[tokio::test]
async fn illegal_transitions_are_409_and_change_nothing() {
    let w = World::start(&[HOST, GUEST]).await;
    let m = w
        .create_meeting(HOST, meeting_body("T", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/v1/meetings/{id}/{action}");
    // Let the provisioning job finish: it writes the row too.
    w.wait_provisioned(HOST, &id).await;

    let snapshot = |w: &World| {
        w.d1(&format!(
            "SELECT state, version, updated_at, started_at, concluded_at, cancelled_at \
             FROM meetings WHERE id = '{id}'"
        ))
        .remove(0)
    };
    let refuse = |action: &'static str, state: &'static str| {
        let w = &w;
        let path = path(action);
        async move {
            let before = snapshot(w);
            let a = w.call("POST", &path, Some(HOST), None).await;
            assert_eq!(a.status, 409, "{action} in {state}: {}", a.body);
            assert_eq!(a.body["error"]["code"], "CONFLICT");
            assert_eq!(a.body["error"]["details"]["reason"], "ILLEGAL_TRANSITION");
            assert_eq!(a.body["error"]["details"]["state"], state);
            assert_eq!(a.body["error"]["details"]["transition"], action);
            assert_eq!(snapshot(w), before, "{action} in {state} changed something");
        }
    };

    refuse("end", "scheduled").await;
    let a = w.call("POST", &path("start"), Some(HOST), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    refuse("start", "active").await;
    refuse("cancel", "active").await;
    let a = w.call("POST", &path("end"), Some(HOST), None).await;
    assert!(a.status == 200 || a.status == 202, "{}", a.body);
    refuse("end", "concluded").await;
    refuse("start", "concluded").await;
    refuse("cancel", "concluded").await;

    let m2 = w.create_meeting(HOST, meeting_body("T2", &[])).await;
    let id2 = m2["id"].as_str().unwrap();
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id2}/cancel"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["state"], "cancelled");
    assert!(a.body["cancelled_at"].is_i64());
    for action in ["start", "end", "cancel"] {
        let a = w
            .call(
                "POST",
                &format!("/v1/meetings/{id2}/{action}"),
                Some(HOST),
                None,
            )
            .await;
        assert_eq!(a.status, 409, "{action}: {}", a.body);
    }
    // A body on a transition is a validation error, and changes nothing.
    let m3 = w.create_meeting(HOST, meeting_body("T3", &[])).await;
    let id3 = m3["id"].as_str().unwrap();
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id3}/start"),
            Some(HOST),
            Some(&json!({"force": true})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "force");
    assert_eq!(w.get_meeting(HOST, id3).await.body["state"], "scheduled");
}

#[tokio::test]
async fn only_the_host_moves_the_lifecycle_and_edits() {
    let w = World::start(&[HOST, COHOST, GUEST]).await;
    let m = w
        .create_meeting(
            HOST,
            meeting_body("T", &[(COHOST, "cohost"), (GUEST, "participant")]),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    for user in [COHOST, GUEST] {
        for action in ["start", "cancel"] {
            let a = w
                .call(
                    "POST",
                    &format!("/v1/meetings/{id}/{action}"),
                    Some(user),
                    None,
                )
                .await;
            assert_eq!(a.status, 403, "{user} {action}: {}", a.body);
            assert_eq!(
                a.body["error"]["details"]["reason"],
                "DENY_ROLE_INSUFFICIENT"
            );
        }
        let a = w
            .call(
                "PATCH",
                &format!("/v1/meetings/{id}"),
                Some(user),
                Some(&json!({"title": "mine now"})),
            )
            .await;
        assert_eq!(a.status, 403, "{}", a.body);
    }
    w.call(
        "POST",
        &format!("/v1/meetings/{id}/start"),
        Some(HOST),
        None,
    )
    .await;
    let a = w
        .call("POST", &format!("/v1/meetings/{id}/end"), Some(GUEST), None)
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(w.get_meeting(HOST, id).await.body["state"], "active");
    // No credential at all: 401.
    let a = w
        .call("POST", &format!("/v1/meetings/{id}/end"), None, None)
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
}

#[tokio::test]
async fn validation_names_the_field_and_writes_nothing() {
    let w = World::start(&[HOST, GUEST]).await;
    let cases = [
        (json!({}), "title"),
        (json!({"title": ""}), "title"),
        (json!({"title": "t", "scheduled_at": 5}), "scheduled_at"),
        (json!({"title": "t", "duration_ms": 0}), "duration_ms"),
        (
            json!({"title": "t", "participants": [{"user_id": GUEST, "role": "king"}]}),
            "participants[0].role",
        ),
        (
            json!({"title": "t", "participants": [{"user_id": "user_NOBODY"}]}),
            "participants[0].user_id",
        ),
        (
            json!({"title": "t", "participants": [{"user_id": GUEST}, {"user_id": GUEST}]}),
            "participants[1].user_id",
        ),
        (json!({"title": "t", "state": "active"}), "state"),
    ];
    for (body, field) in cases {
        let a = w
            .call("POST", "/v1/meetings", Some(HOST), Some(&body))
            .await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        assert_eq!(a.body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(a.body["error"]["details"]["field"], field, "{body}");
    }
    let a = w
        .call_with(
            "POST",
            "/v1/meetings",
            Some(&w.token(HOST)),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(a.status, 400, "an empty body has no title: {}", a.body);
    // Bad list parameters name themselves too.
    for (query, field) in [
        ("limit=0", "limit"),
        ("state=over", "state"),
        ("cursor=zz", "cursor"),
        ("page=2", "page"),
    ] {
        let a = w
            .call("GET", &format!("/v1/meetings?{query}"), Some(HOST), None)
            .await;
        assert_eq!(a.status, 400, "{query}: {}", a.body);
        assert_eq!(a.body["error"]["details"]["field"], field);
    }
    assert!(w.d1("SELECT id FROM meetings").is_empty());
    assert!(w.d1("SELECT * FROM meeting_participants").is_empty());
    assert!(w.stream.requests().is_empty());
}

#[tokio::test]
async fn a_retried_create_with_the_same_key_creates_once() {
    let w = World::start(&[HOST, GUEST]).await;
    let body = meeting_body("Once", &[(GUEST, "participant")]);
    let key = [("idempotency-key", "create-once-1")];
    let token = w.token(HOST);
    let first = w
        .call_with("POST", "/v1/meetings", Some(&token), Some(&body), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = w
        .call_with("POST", "/v1/meetings", Some(&token), Some(&body), &key)
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(w.d1("SELECT id FROM meetings").len(), 1);
    // The same key with another body is refused; without a key, a new meeting.
    let other = meeting_body("Twice?", &[]);
    let a = w
        .call_with("POST", "/v1/meetings", Some(&token), Some(&other), &key)
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(
        a.body["error"]["details"]["reason"],
        "IDEMPOTENCY_KEY_REUSED"
    );
    // Keys are per caller: the same key from someone else is theirs.
    let a = w
        .call_with(
            "POST",
            "/v1/meetings",
            Some(&w.token(GUEST)),
            Some(&other),
            &key,
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(w.d1("SELECT id FROM meetings").len(), 2);
    let id = first.body["id"].as_str().unwrap();
    w.wait_provisioned(HOST, id).await;
    assert_eq!(
        w.stream
            .requests()
            .iter()
            .filter(|r| r.path.contains(id) && r.status == 201)
            .count(),
        1
    );
}

#[tokio::test]
async fn lists_filter_and_paginate_by_keyset() {
    let w = World::start(&[HOST, GUEST]).await;
    let base = now_ms() as i64 + 60 * 60 * 1000;
    let mut all = Vec::new();
    for i in 0..5 {
        let mut body = meeting_body(&format!("M{i}"), &[(GUEST, "participant")]);
        body["scheduled_at"] = json!(base + i * 60_000);
        all.push(
            w.create_meeting(HOST, body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Someone else's meeting never shows.
    w.create_meeting(GUEST, meeting_body("theirs", &[])).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/v1/meetings?limit=2&from={base}&cursor={c}"),
            None => format!("/v1/meetings?limit=2&from={base}"),
        };
        let a = w.call("GET", &q, Some(HOST), None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let page = ids(&a.body);
        assert!(page.len() <= 2);
        seen.extend(page);
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, all, "ascending, every meeting once");

    let a = w
        .call(
            "GET",
            &format!("/v1/meetings?order=desc&limit=3&from={base}"),
            Some(HOST),
            None,
        )
        .await;
    let mut expected: Vec<String> = all.iter().rev().take(3).cloned().collect();
    assert_eq!(ids(&a.body), expected);
    let to = base + 2 * 60_000;
    let a = w
        .call(
            "GET",
            &format!("/v1/meetings?from={base}&to={to}"),
            Some(HOST),
            None,
        )
        .await;
    expected = all[..2].to_vec();
    assert_eq!(ids(&a.body), expected);
    w.call(
        "POST",
        &format!("/v1/meetings/{}/cancel", all[0]),
        Some(HOST),
        None,
    )
    .await;
    let a = w
        .call("GET", "/v1/meetings?state=cancelled", Some(GUEST), None)
        .await;
    assert_eq!(ids(&a.body), vec![all[0].clone()]);
}

#[tokio::test]
async fn edits_are_guarded_by_version_and_state() {
    let w = World::start(&[HOST]).await;
    let m = w.create_meeting(HOST, meeting_body("T", &[])).await;
    let id = m["id"].as_str().unwrap();
    let path = format!("/v1/meetings/{id}");
    let a = w
        .call(
            "PATCH",
            &path,
            Some(HOST),
            Some(&json!({"title": "A", "version": 1})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = w
        .call(
            "PATCH",
            &path,
            Some(HOST),
            Some(&json!({"title": "B", "version": 1})),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["reason"], "VERSION_MISMATCH");
    assert_eq!(w.get_meeting(HOST, id).await.body["title"], "A");
    w.call("POST", &format!("{path}/start"), Some(HOST), None)
        .await;
    let later = now_ms() as i64 + 3_600_000;
    let a = w
        .call(
            "PATCH",
            &path,
            Some(HOST),
            Some(&json!({"scheduled_at": later})),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "scheduled_at");
    w.call("POST", &format!("{path}/end"), Some(HOST), None)
        .await;
    let a = w
        .call("PATCH", &path, Some(HOST), Some(&json!({"title": "C"})))
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(w.get_meeting(HOST, id).await.body["title"], "A");
}
