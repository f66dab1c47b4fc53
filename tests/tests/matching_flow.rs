//! Issue 12 end to end, against `wrangler dev`: connections (M17–M20), the
//! matching queue (M12, M21), cycles run through `POST
//! /v1/dev/matching/cycle` (M25), proposals told live on each user's
//! channel (`GET /v1/me/ws`, docs/notifications.md) and answered over REST
//! (M22–M24), a meeting for a matched pair, the decline cooldown (M11), and
//! concurrent cycles that never double-book a user (M15).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connvo_e2e::meet::{eventually, Answer, World};
use connvo_e2e::BackendOptions;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const ANN: &str = "user_01MATCHANN";
const BOB: &str = "user_01MATCHBOB";
const EVE: &str = "user_01MATCHEVE";
const WAIT: Duration = Duration::from_secs(20);
const HOUR: i64 = 3_600_000;

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A flag row turning matching on for the local environment.
fn flag_on() -> BackendOptions {
    BackendOptions::default()
        .seed_sql(
            "INSERT INTO feature_flags (key, env, enabled, created_at, updated_at) \
             VALUES ('matching', 'local', 1, 1, 1)",
        )
        .var("MATCHING_SHARDS", "2")
}

fn profile(name: &str, goals: &str, skills: &[&str], interests: &[&str]) -> Value {
    json!({"display_name": name, "goals": goals, "skills": skills, "languages": ["en"],
           "interests": interests})
}

async fn expect(
    w: &World,
    method: &str,
    path: &str,
    user: &str,
    body: Option<&Value>,
    status: u16,
) -> Answer {
    let a = w.call(method, path, Some(user), body).await;
    assert_eq!(
        a.status,
        status,
        "{method} {path} as {user}: {}\n{}",
        a.body,
        w.backend.log_tail()
    );
    a
}

async fn profiles(w: &World) {
    let ann = profile(
        "Ann",
        "hire engineers who know websockets",
        &["pricing"],
        &["realtime", "developer-tools"],
    );
    let bob = profile(
        "Bob",
        "learn pricing for developer tools",
        &["websockets"],
        &["realtime", "developer-tools"],
    );
    expect(w, "PUT", "/v1/me/profile", ANN, Some(&ann), 200).await;
    expect(w, "PUT", "/v1/me/profile", BOB, Some(&bob), 200).await;
}

fn window() -> Value {
    let now = now_ms();
    json!({"available_from": now, "available_to": now + 3 * HOUR,
           "constraints": {"interests": ["realtime"]}})
}

async fn enter(w: &World, user: &str) -> Answer {
    expect(w, "POST", "/v1/matching/queue", user, Some(&window()), 201).await
}

/// Runs every shard's cycle now; the proposals claimed.
async fn cycle(w: &World) -> Vec<String> {
    let a = w.call("POST", "/v1/dev/matching/cycle", None, None).await;
    assert_eq!(a.status, 200, "cycle: {}\n{}", a.body, w.backend.log_tail());
    a.body["shards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["proposals"].as_array().cloned().unwrap_or_default())
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The user's channel, past its hello.
async fn channel(w: &World, user: &str) -> Ws {
    let t = expect(w, "POST", "/v1/me/ws-ticket", user, None, 200).await;
    let ticket = t.body["ticket"].as_str().unwrap();
    let (mut ws, _) = connect_async(w.backend.ws_url(&format!("/v1/me/ws?ticket={ticket}")))
        .await
        .expect("channel upgrade");
    let hello = frame(&mut ws).await;
    assert_eq!(hello, json!({"type": "hello", "user_id": user}));
    ws
}

async fn frame(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m25_overlapping_people_are_proposed_told_live_and_meet() {
    let w = World::start_with(
        &[ANN, BOB, EVE],
        BackendOptions::default().var("MATCHING_SHARDS", "2"),
    )
    .await;
    profiles(&w).await;

    // Off by default: the routes do not exist for the caller.
    let a = w.call("GET", "/v1/matching/queue", Some(ANN), None).await;
    assert_eq!(
        (a.status, a.body["error"]["details"]["reason"].clone()),
        (404, json!("DISABLED"))
    );
    let admin = w.token_with_role(ANN, "admin");
    let on = json!({"key": "matching", "enabled": true, "reason": "e2e: matching"});
    let a = w
        .call_with("PUT", "/v1/admin/flags", Some(&admin), Some(&on), &[])
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    eventually("matching on", WAIT, || async {
        (w.call("GET", "/v1/matching/queue", Some(ANN), None)
            .await
            .status
            == 200)
            .then_some(())
    })
    .await;

    let mut ann_ws = channel(&w, ANN).await;
    let mut bob_ws = channel(&w, BOB).await;
    let entry = enter(&w, ANN).await;
    assert_eq!(entry.body["status"], "waiting");
    enter(&w, BOB).await;
    // Entering twice is refused (M21).
    let a = w
        .call("POST", "/v1/matching/queue", Some(ANN), Some(&window()))
        .await;
    assert_eq!(
        (a.status, a.body["error"]["details"]["reason"].clone()),
        (409, json!("ALREADY_QUEUED"))
    );

    let claimed = cycle(&w).await;
    assert_eq!(claimed.len(), 1, "one proposal: {claimed:?}");
    let id = &claimed[0];
    // Both told, each on their own channel.
    for ws in [&mut ann_ws, &mut bob_ws] {
        let f = frame(ws).await;
        assert_eq!(
            (f["type"].as_str(), f["proposal_id"].as_str()),
            (Some("match.proposed"), Some(id.as_str()))
        );
    }
    let p = expect(
        &w,
        "GET",
        &format!("/v1/matching/proposals/{id}"),
        ANN,
        None,
        200,
    )
    .await;
    assert_eq!(p.body["peer_user_id"], BOB);
    assert_eq!(p.body["my_answer"], "pending");
    let factors = p.body["factors"].as_array().unwrap();
    assert!(
        factors
            .iter()
            .any(|f| f["text"].as_str().unwrap_or("").contains("realtime")),
        "factors in words: {factors:?}"
    );
    // A stranger learns nothing (M24): 404 as for no proposal, and their
    // own queue status is their own.
    expect(
        &w,
        "GET",
        &format!("/v1/matching/proposals/{id}"),
        EVE,
        None,
        404,
    )
    .await;
    expect(
        &w,
        "POST",
        &format!("/v1/matching/proposals/{id}/accept"),
        EVE,
        None,
        404,
    )
    .await;
    let q = expect(&w, "GET", "/v1/matching/queue", EVE, None, 200).await;
    assert_eq!(q.body, json!({"entry": null}));

    let a = expect(
        &w,
        "POST",
        &format!("/v1/matching/proposals/{id}/accept"),
        ANN,
        None,
        200,
    )
    .await;
    assert_eq!(
        (a.body["status"].as_str(), a.body["my_answer"].as_str()),
        (Some("pending"), Some("accepted"))
    );
    let b = expect(
        &w,
        "POST",
        &format!("/v1/matching/proposals/{id}/accept"),
        BOB,
        None,
        200,
    )
    .await;
    assert_eq!(b.body["status"], "matched");
    let meeting = b.body["meeting_id"].as_str().expect("a meeting").to_owned();
    for ws in [&mut ann_ws, &mut bob_ws] {
        let f = frame(ws).await;
        assert_eq!(f["type"], "match.settled");
        assert_eq!(
            (f["outcome"].as_str(), f["meeting_id"].as_str()),
            (Some("matched"), Some(meeting.as_str()))
        );
    }
    for user in [ANN, BOB] {
        let m = expect(
            &w,
            "GET",
            &format!("/v1/meetings/{meeting}"),
            user,
            None,
            200,
        )
        .await;
        assert_eq!(m.body["id"], meeting.as_str());
    }
    // A member of the same organisation who is not in it (meeting ACL).
    expect(
        &w,
        "GET",
        &format!("/v1/meetings/{meeting}"),
        EVE,
        None,
        403,
    )
    .await;
    // The accepted answers are in the analytics.
    let rows = w.d1(&format!("SELECT count(*) AS n FROM matching_analytics WHERE match_id = '{id}' AND outcome = 'accepted'"));
    assert_eq!(rows[0]["n"], 2);

    // M35: the matched pair connects; the matcher learns it once.
    let updates = |w: &World| w.d1("SELECT updates FROM matching_weights")[0]["updates"].clone();
    let before = updates(&w);
    let c = expect(
        &w,
        "POST",
        "/v1/connections",
        ANN,
        Some(&json!({"user_id": BOB})),
        201,
    )
    .await;
    let conn = c.body["id"].as_str().unwrap().to_owned();
    expect(
        &w,
        "POST",
        &format!("/v1/connections/{conn}/accept"),
        BOB,
        None,
        200,
    )
    .await;
    let rows = w.d1(&format!(
        "SELECT user_id FROM matching_analytics WHERE match_id = '{id}' AND outcome = 'connected' ORDER BY user_id"
    ));
    assert_eq!(rows, [json!({"user_id": ANN}), json!({"user_id": BOB})]);
    assert_eq!(
        updates(&w).as_i64().unwrap(),
        before.as_i64().unwrap() + 1,
        "one weight update for the connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m11_a_decline_prevents_a_reproposal_inside_the_window() {
    let w = World::start_with(&[ANN, BOB], flag_on()).await;
    profiles(&w).await;
    enter(&w, ANN).await;
    enter(&w, BOB).await;
    let claimed = cycle(&w).await;
    assert_eq!(claimed.len(), 1);
    let id = &claimed[0];
    let a = expect(
        &w,
        "POST",
        &format!("/v1/matching/proposals/{id}/decline"),
        BOB,
        None,
        200,
    )
    .await;
    assert_eq!(a.body["status"], "declined");
    // Ann is waiting again; Bob enters again; the pair rests.
    let q = expect(&w, "GET", "/v1/matching/queue", ANN, None, 200).await;
    assert_eq!(q.body["entry"]["status"], "waiting");
    enter(&w, BOB).await;
    assert!(
        cycle(&w).await.is_empty(),
        "re-proposed inside the cooldown"
    );
    let q = expect(&w, "GET", "/v1/matching/queue", BOB, None, 200).await;
    assert_eq!(q.body["entry"]["status"], "waiting");
    // Leaving works once; then there is nothing to leave.
    let a = w
        .call("DELETE", "/v1/matching/queue", Some(BOB), None)
        .await;
    assert_eq!(a.status, 204);
    expect(&w, "DELETE", "/v1/matching/queue", BOB, None, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m15_concurrent_cycles_never_double_book_a_user() {
    let users: Vec<String> = (0..8).map(|i| format!("user_01MATCHC{i}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let w = World::start_with(&refs, flag_on()).await;
    for u in &refs {
        let p = profile(
            u,
            "meet people building realtime tools",
            &["realtime"],
            &["realtime", "developer-tools"],
        );
        expect(&w, "PUT", "/v1/me/profile", u, Some(&p), 200).await;
        enter(&w, u).await;
    }
    let runs = futures::future::join_all((0..4).map(|_| cycle(&w))).await;
    let claimed: usize = runs.iter().map(Vec::len).sum();
    let rows = w.d1(
        "SELECT u, count(*) AS n FROM (SELECT a_user_id AS u FROM matching_proposals \
         UNION ALL SELECT b_user_id FROM matching_proposals) GROUP BY u",
    );
    assert!(!rows.is_empty(), "no proposals at all");
    for r in &rows {
        assert_eq!(r["n"], 1, "double-booked: {r}");
    }
    let total = w.d1("SELECT count(*) AS n FROM matching_proposals");
    assert_eq!(
        total[0]["n"], claimed,
        "every proposal row is a claim that held"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m12_bad_queue_bodies_are_refused_and_write_nothing() {
    let w = World::start_with(&[ANN], flag_on()).await;
    let now = now_ms();
    let cases = [
        (
            json!({"available_from": now - 3 * HOUR, "available_to": now - HOUR}),
            "window_in_past",
        ),
        (
            json!({"available_from": now, "available_to": now + 30 * 24 * HOUR}),
            "window_too_long",
        ),
        (
            json!({"available_from": now, "available_to": now + HOUR, "constraints": {"interests": ["no-such-interest"]}}),
            "unknown_interest",
        ),
        (
            json!({"available_from": now, "available_to": now + HOUR, "constraints": {"roles": ["x".repeat(101)]}}),
            "invalid_value",
        ),
    ];
    for (body, reason) in cases {
        let a = expect(&w, "POST", "/v1/matching/queue", ANN, Some(&body), 400).await;
        assert_eq!(a.body["error"]["details"]["reason"], reason, "{}", a.body);
    }
    let rows = w.d1("SELECT count(*) AS n FROM matching_queue");
    assert_eq!(rows[0]["n"], 0);
}

/// `POST /v1/connections` as `from`, which must answer `status`.
async fn ask(w: &World, from: &str, body: Value, status: u16) -> Answer {
    expect(w, "POST", "/v1/connections", from, Some(&body), status).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m18_connections_request_answer_list_and_block() {
    let w = World::start(&[ANN, BOB, EVE]).await;
    let reason = |a: &Answer| a.body["error"]["details"]["reason"].clone();
    let a = ask(&w, ANN, json!({"user_id": ANN}), 400).await;
    assert_eq!(reason(&a), "SELF_REQUEST");
    let a = ask(&w, ANN, json!({"user_id": BOB, "message": "hi"}), 201).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(a.body["status"], "pending");
    let a = ask(&w, ANN, json!({"user_id": BOB}), 409).await;
    assert_eq!(reason(&a), "DUPLICATE_REQUEST");
    let a = ask(&w, BOB, json!({"user_id": ANN}), 409).await;
    assert_eq!(reason(&a), "REQUEST_PENDING_FROM_PEER");
    // Only the addressee accepts; a stranger sees nothing.
    let a = expect(
        &w,
        "POST",
        &format!("/v1/connections/{id}/accept"),
        ANN,
        None,
        403,
    )
    .await;
    assert_eq!(reason(&a), "WRONG_PARTY");
    expect(
        &w,
        "POST",
        &format!("/v1/connections/{id}/accept"),
        EVE,
        None,
        404,
    )
    .await;
    let a = expect(
        &w,
        "POST",
        &format!("/v1/connections/{id}/accept"),
        BOB,
        None,
        200,
    )
    .await;
    assert_eq!(a.body["status"], "accepted");
    ask(&w, EVE, json!({"user_id": ANN}), 201).await;
    // Ann's list, filtered and paged.
    let l = expect(&w, "GET", "/v1/connections?status=accepted", ANN, None, 200).await;
    assert_eq!(l.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(l.body["items"][0]["peer_id"], BOB);
    let l = expect(&w, "GET", "/v1/connections?limit=1", ANN, None, 200).await;
    let next = l.body["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let l = expect(
        &w,
        "GET",
        &format!("/v1/connections?limit=1&cursor={next}"),
        ANN,
        None,
        200,
    )
    .await;
    assert_eq!(l.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(l.body["next_cursor"], Value::Null);
    expect(&w, "GET", "/v1/connections?status=nope", ANN, None, 400).await;
    // Remove, then block: the blocked side cannot ask again.
    let a = w
        .call("DELETE", &format!("/v1/connections/{id}"), Some(BOB), None)
        .await;
    assert_eq!(a.status, 204);
    expect(&w, "PUT", &format!("/v1/users/{BOB}/block"), ANN, None, 201).await;
    let a = ask(&w, BOB, json!({"user_id": ANN}), 403).await;
    assert_eq!(reason(&a), "BLOCKED");
    let l = expect(&w, "GET", "/v1/connections?status=blocked", BOB, None, 200).await;
    assert!(
        l.body["items"].as_array().unwrap().is_empty(),
        "the block is not shown to the blocked"
    );
    let a = w
        .call("DELETE", &format!("/v1/users/{BOB}/block"), Some(ANN), None)
        .await;
    assert_eq!(a.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m8_blocked_and_deleted_people_are_never_proposed_and_oversize_profiles_are_refused() {
    const CAR: &str = "user_01MATCHCAR";
    const ZED: &str = "user_01MATCHZED";
    // Zed deleted their account while waiting with the same interests.
    let zed = format!(
        "INSERT INTO users (id, org_id, org_role, display_name, is_active, deleted_at, created_at, updated_at) \
           VALUES ('{ZED}', '{org}', 'member', 'Zed', 0, 1, 1, 1); \
         INSERT INTO profiles (user_id, display_name, goals, skills, languages, created_at, updated_at) \
           VALUES ('{ZED}', 'Zed', 'learn pricing for developer tools', '[\"websockets\"]', '[\"en\"]', 1, 1); \
         INSERT INTO user_interests (user_id, interest_key, created_at) \
           VALUES ('{ZED}', 'realtime', 1), ('{ZED}', 'developer-tools', 1); \
         INSERT INTO matching_queue (id, user_id, org_id, shard, available_from, available_to, constraints, \
           status, version, created_at, updated_at) \
           VALUES ('mq_zed', '{ZED}', '{org}', 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000, \
             (CAST(strftime('%s', 'now') AS INTEGER) + 10800) * 1000, '{{}}', 'waiting', 1, 1, 1)",
        org = connvo_e2e::meet::ORG
    );
    let w = World::start_with(&[ANN, BOB, CAR], flag_on().seed_sql(zed)).await;
    profiles(&w).await;
    let car = profile(
        "Car",
        "hire engineers who know websockets",
        &["pricing"],
        &["realtime", "developer-tools"],
    );
    expect(&w, "PUT", "/v1/me/profile", CAR, Some(&car), 200).await;

    // Oversize text is refused with the field named, and nothing is written.
    let big = json!({"display_name": "Car", "bio": "x".repeat(2001)});
    let a = expect(&w, "PUT", "/v1/me/profile", CAR, Some(&big), 400).await;
    assert_eq!(a.body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(a.body["error"]["details"]["field"], "bio", "{}", a.body);
    let rows = w.d1(&format!("SELECT bio FROM profiles WHERE user_id = '{CAR}'"));
    assert_eq!(rows[0]["bio"], Value::Null);

    // Ann blocks Bob: the best pair by profile is never proposed.
    expect(&w, "PUT", &format!("/v1/users/{BOB}/block"), ANN, None, 201).await;
    enter(&w, ANN).await;
    enter(&w, BOB).await;
    assert!(cycle(&w).await.is_empty(), "blocked or deleted proposed");
    // Car enters: proposed with one of them, never with Zed.
    enter(&w, CAR).await;
    let claimed = cycle(&w).await;
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    let rows = w.d1("SELECT a_user_id, b_user_id FROM matching_proposals");
    assert_eq!(rows.len(), 1);
    let pair = [
        rows[0]["a_user_id"].as_str().unwrap(),
        rows[0]["b_user_id"].as_str().unwrap(),
    ];
    assert!(pair.contains(&CAR), "{pair:?}");
    assert!(!pair.contains(&ZED), "{pair:?}");
    let zed = w.d1(&format!(
        "SELECT status FROM matching_queue WHERE user_id = '{ZED}'"
    ));
    assert_eq!(zed[0]["status"], "waiting");
}
