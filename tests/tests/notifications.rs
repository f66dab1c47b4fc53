//! Issue 13, notifications against the real local runtime: a hub socket
//! gets "meeting started" within a second of the host starting; SSE resume
//! returns exactly the missed frames; grouping and the hourly cap; the
//! unread count is exact after racing creates and marks; quiet hours hold
//! an email that is sent after the window; the email fake receives exactly
//! one message per notification; preferences are validated.

use std::time::{Duration, Instant};

use connvo_e2e::fakes::resend::FakeResend;
use connvo_e2e::fakes::stream::{participant, webhook_event};
use connvo_e2e::meet::{eventually, meeting_body, World, ORG};
use connvo_e2e::BackendOptions;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";
const ANN: &str = "user_01ANN";
const BOB: &str = "user_01BOB";
const CAT: &str = "user_01CAT";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn hub(w: &World, user: &str, after: Option<u64>) -> (Ws, Value) {
    let t = w
        .call("POST", "/v1/notifications/ws-ticket", Some(user), None)
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
    let ticket = t.body["ticket"].as_str().unwrap();
    let mut path = format!("/v1/notifications/ws?ticket={ticket}");
    if let Some(a) = after {
        path.push_str(&format!("&after={a}"));
    }
    let (mut ws, _) = connect_async(w.backend.ws_url(&path))
        .await
        .expect("hub upgrade");
    let hello = next_frame(&mut ws, Duration::from_secs(5))
        .await
        .expect("hello");
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["user_id"], user);
    (ws, hello)
}

async fn next_frame(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

async fn announce(w: &World, title: &str) -> Value {
    let token = w.token_with_role(HOST, "admin");
    let a = w
        .call_with(
            "POST",
            "/v1/admin/announcements",
            Some(&token),
            Some(&json!({ "title": title })),
            &[],
        )
        .await;
    assert_eq!(a.status, 202, "{}\n{}", a.body, w.backend.log_tail());
    a.body
}

fn unread_in_d1(w: &World, user: &str) -> i64 {
    w.d1(&format!(
        "SELECT count(*) AS n FROM notifications WHERE user_id = '{user}' AND read_at IS NULL"
    ))[0]["n"]
        .as_i64()
        .unwrap()
}

async fn unread(w: &World, user: &str) -> i64 {
    let a = w
        .call("GET", "/v1/notifications/unread-count", Some(user), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["unread"].as_i64().unwrap()
}

#[tokio::test]
async fn n15_a_hub_socket_gets_meeting_started_within_a_second() {
    let w = World::start(&[HOST, GUEST]).await;
    let m = w
        .create_meeting(HOST, meeting_body("Weekly sync", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let (mut ws, hello) = hub(&w, GUEST, None).await;
    assert!(hello["seq"].is_u64(), "{hello}");
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let started = Instant::now();
    let f = next_frame(&mut ws, Duration::from_secs(1))
        .await
        .unwrap_or_else(|| panic!("no frame within a second\n{}", w.backend.log_tail()));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(f["type"], "notification", "{f}");
    assert_eq!(f["notification"]["type"], "meeting_started");
    assert_eq!(f["notification"]["meeting_id"], id.as_str());
    assert_eq!(f["unread"], 1);
    assert!(f["seq"].as_u64().unwrap() > hello["seq"].as_u64().unwrap());
    // The host started it: the host is not told.
    assert_eq!(unread(&w, HOST).await, 0);
    // The inbox has it, and reading it clears the count.
    let list = w.call("GET", "/v1/notifications", Some(GUEST), None).await;
    assert_eq!(list.status, 200);
    let item = &list.body["items"][0];
    assert_eq!(item["type"], "meeting_started");
    let nid = item["id"].as_str().unwrap();
    let r = w
        .call(
            "POST",
            &format!("/v1/notifications/{nid}/read"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!((r.status, r.body["unread"].clone()), (200, json!(0)));
    // Another user's notification is 404, to read and to delete; its
    // owner deletes it.
    let read = format!("/v1/notifications/{nid}/read");
    let one = format!("/v1/notifications/{nid}");
    for (method, path, user, status) in [
        ("POST", &read, HOST, 404),
        ("DELETE", &one, HOST, 404),
        ("DELETE", &one, GUEST, 204),
    ] {
        let a = w.call(method, path, Some(user), None).await;
        assert_eq!(a.status, status, "{method} {path} as {user}: {}", a.body);
    }
    // The legacy channel (issue 12) keeps its hello and gets no
    // `notification` frames.
    let t = w.call("POST", "/v1/me/ws-ticket", Some(GUEST), None).await;
    let ticket = t.body["ticket"].as_str().unwrap();
    let (mut old, _) = connect_async(w.backend.ws_url(&format!("/v1/me/ws?ticket={ticket}")))
        .await
        .unwrap();
    let hello = next_frame(&mut old, Duration::from_secs(5)).await.unwrap();
    assert_eq!(hello, json!({"type": "hello", "user_id": GUEST}));
    announce(&w, "Maintenance tonight").await;
    let f = next_frame(&mut ws, Duration::from_secs(2)).await.unwrap();
    assert_eq!(f["notification"]["type"], "system_announcement");
    assert_eq!(next_frame(&mut old, Duration::from_millis(700)).await, None);
    ws.send(Message::Text("ping".into())).await.unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(2), ws.next()).await;
    assert!(matches!(pong, Ok(Some(Ok(Message::Text(t)))) if t.as_str() == "pong"));
}

/// Reads SSE events until `n` arrived or `within` passed: (id, data).
async fn sse_events(resp: &mut reqwest::Response, n: usize, within: Duration) -> Vec<(u64, Value)> {
    let deadline = Instant::now() + within;
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => buf.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in event.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse::<u64>().ok();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str::<Value>(v).ok();
                }
            }
            if let (Some(id), Some(data)) = (id, data) {
                out.push((id, data));
            }
        }
    }
    out
}

async fn sse(w: &World, user: &str, last_event_id: Option<u64>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(w.backend.url("/v1/notifications/stream"))
        .header("authorization", format!("Bearer {}", w.token(user)));
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let resp = req.send().await.expect("stream");
    assert_eq!(resp.status(), 200);
    assert!(resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream")));
    resp
}

#[tokio::test]
async fn n13_sse_resume_returns_exactly_the_missed_ones() {
    let w = World::start(&[HOST, GUEST]).await;
    let mut stream = sse(&w, GUEST, None).await;
    announce(&w, "one").await;
    announce(&w, "two").await;
    let live = sse_events(&mut stream, 2, Duration::from_secs(5)).await;
    assert_eq!(live.len(), 2, "{live:?}\n{}", w.backend.log_tail());
    let last = live[1].0;
    drop(stream);
    // Missed while disconnected.
    for title in ["three", "four", "five"] {
        announce(&w, title).await;
    }
    let mut resumed = sse(&w, GUEST, Some(last)).await;
    let missed = sse_events(&mut resumed, 10, Duration::from_secs(2)).await;
    let titles: Vec<&str> = missed
        .iter()
        .map(|(_, d)| d["notification"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["three", "four", "five"]);
    let ids: Vec<u64> = missed.iter().map(|(i, _)| *i).collect();
    assert_eq!(ids, [last + 1, last + 2, last + 3]);
    // And the same stream goes on live.
    announce(&w, "six").await;
    let next = sse_events(&mut resumed, 1, Duration::from_secs(3)).await;
    assert_eq!(next[0].1["notification"]["title"], "six");
    assert_eq!(next[0].0, last + 4);
    // The WebSocket resumes the same way.
    let (mut ws, _) = hub(&w, GUEST, Some(last + 1)).await;
    let a = next_frame(&mut ws, Duration::from_secs(2)).await.unwrap();
    let b = next_frame(&mut ws, Duration::from_secs(2)).await.unwrap();
    let c = next_frame(&mut ws, Duration::from_secs(2)).await.unwrap();
    assert_eq!(
        [&a, &b, &c].map(|f| f["notification"]["title"].clone()),
        [json!("four"), json!("five"), json!("six")]
    );
    assert_eq!(next_frame(&mut ws, Duration::from_millis(500)).await, None);
}

#[tokio::test]
async fn n2_grouping_and_n3_the_hourly_cap() {
    let w = World::start(&[HOST, ANN, BOB, CAT]).await;
    let m = w
        .create_meeting(
            HOST,
            meeting_body(
                "Standup",
                &[
                    (ANN, "participant"),
                    (BOB, "participant"),
                    (CAT, "participant"),
                ],
            ),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let provisioned = w.wait_provisioned(HOST, &id).await;
    let cid = provisioned["video"]["call_cid"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200);
    for (i, user) in [ANN, BOB, CAT].iter().enumerate() {
        let e = webhook_event(
            "call.session_participant_joined",
            &cid,
            json!({"participant": participant(user)}),
        );
        let a = w.webhook(&e, &format!("wh-join-{i}")).await;
        assert_eq!(a.body["status"], "applied", "{}", a.body);
    }
    // Three joins within a minute are one notification for the host.
    let rows = w.d1(&format!(
        "SELECT title, json_extract(data, '$.count') AS count FROM notifications \
         WHERE user_id = '{HOST}' AND kind = 'participant_joined'"
    ));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["count"], 3);
    assert_eq!(unread(&w, HOST).await, 1);

    // The cap: two more this hour; the third is stored but not pushed.
    let before = w.d1(&format!(
        "SELECT count(*) AS n FROM notifications WHERE user_id = '{ANN}' \
         AND created_at > strftime('%s','now') * 1000 - 3600000"
    ))[0]["n"]
        .as_i64()
        .unwrap();
    let p = w
        .call(
            "PUT",
            "/v1/notifications/preferences",
            Some(ANN),
            Some(&json!({"max_per_hour": before + 2})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (mut ws, _) = hub(&w, ANN, None).await;
    let room = 2;
    for i in 0..3 {
        announce(&w, &format!("cap {i}")).await;
    }
    let mut pushed = 0;
    while let Some(f) = next_frame(&mut ws, Duration::from_millis(800)).await {
        if f["type"] == "notification" {
            pushed += 1;
        }
    }
    assert_eq!(pushed, room, "only what fits under the cap is pushed");
    let stored = w.d1(&format!(
        "SELECT count(*) AS n FROM notifications WHERE user_id = '{ANN}' AND title LIKE 'cap %'"
    ))[0]["n"]
        .as_i64()
        .unwrap();
    assert_eq!(stored, 3, "capped ones are still in the inbox");
}

#[tokio::test]
async fn n10_the_unread_count_is_exact_after_a_race() {
    let w = World::start(&[HOST, GUEST]).await;
    for i in 0..4 {
        announce(&w, &format!("seed {i}")).await;
    }
    let list = w
        .call("GET", "/v1/notifications?limit=10", Some(GUEST), None)
        .await;
    let ids: Vec<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 4);
    // Creates, single marks, a mark-all and a delete, all at once.
    let mut work = Vec::new();
    for i in 0..6 {
        let w = &w;
        work.push(Box::pin(async move {
            announce(w, &format!("race {i}")).await;
        })
            as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>);
    }
    for id in &ids[..3] {
        let w = &w;
        work.push(Box::pin(async move {
            w.call(
                "POST",
                &format!("/v1/notifications/{id}/read"),
                Some(GUEST),
                None,
            )
            .await;
        }));
    }
    {
        let w = &w;
        let id = ids[3].clone();
        work.push(Box::pin(async move {
            w.call(
                "DELETE",
                &format!("/v1/notifications/{id}"),
                Some(GUEST),
                None,
            )
            .await;
        }));
        work.push(Box::pin(async move {
            w.call("POST", "/v1/notifications/read-all", Some(GUEST), None)
                .await;
        }));
    }
    futures::future::join_all(work).await;
    let truth = unread_in_d1(&w, GUEST);
    assert_eq!(unread(&w, GUEST).await, truth);
    // And after one more create, still exact.
    announce(&w, "after").await;
    assert_eq!(unread(&w, GUEST).await, unread_in_d1(&w, GUEST));
    assert_eq!(unread(&w, GUEST).await, truth + 1);
}

#[tokio::test]
async fn n8_preferences_are_validated_and_round_trip() {
    let w = World::start(&[GUEST]).await;
    let bad = w
        .call(
            "PUT",
            "/v1/notifications/preferences",
            Some(GUEST),
            Some(&json!({"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Olympus"}})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body["error"]["details"]["field"],
        "quiet_hours.time_zone"
    );
    let doc = json!({
        "channels": {"default": {"in_app": true, "email": true},
                     "participant_left": {"in_app": false, "email": false}},
        "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "America/New_York"},
        "group_similar": false,
        "max_per_hour": 30
    });
    let put = w
        .call(
            "PUT",
            "/v1/notifications/preferences",
            Some(GUEST),
            Some(&doc),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let get = w
        .call("GET", "/v1/notifications/preferences", Some(GUEST), None)
        .await;
    assert_eq!(get.body, doc);
}

/// The current UTC time as `HH:MM`, `plus` minutes ahead.
fn hhmm(plus: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let minute = (secs / 60 + plus).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[tokio::test]
async fn n4_quiet_hours_hold_email_then_send_and_n5_exactly_one_email_each() {
    let resend = FakeResend::start().await;
    let w = World::start_with(
        &[HOST, GUEST],
        resend
            .backend_options()
            .merge(BackendOptions::default().seed_sql(format!(
                "UPDATE users SET email = 'guest@example.com' WHERE id = '{GUEST}'"
            ))),
    )
    .await;
    let prefs = |quiet: Option<Value>| json!({"channels": {"default": {"in_app": true, "email": true}}, "quiet_hours": quiet});
    let p = w
        .call(
            "PUT",
            "/v1/notifications/preferences",
            Some(GUEST),
            Some(&prefs(None)),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    // Outside quiet hours: sent at once.
    announce(&w, "now").await;
    eventually("the first email", Duration::from_secs(20), || async {
        (resend.sent().len() == 1).then_some(())
    })
    .await;
    let first = &resend.sent()[0];
    assert_eq!(first.body["to"], json!(["guest@example.com"]));
    assert_eq!(first.body["subject"], "now");
    // Quiet from this minute to the next: held until the window ends.
    let secs_into_minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if secs_into_minute > 45 {
        tokio::time::sleep(Duration::from_secs(62 - secs_into_minute)).await;
    }
    let quiet = json!({"start": hhmm(0), "end": hhmm(1), "time_zone": "UTC"});
    let p = w
        .call(
            "PUT",
            "/v1/notifications/preferences",
            Some(GUEST),
            Some(&prefs(Some(quiet))),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    announce(&w, "held").await;
    let row = w
        .wait_row(
            &format!(
                "SELECT status, send_after FROM email_outbox o JOIN notifications n \
                 ON n.id = o.notification_id WHERE n.title = 'held' AND n.user_id = '{GUEST}'"
            ),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(row["status"], "pending");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(resend.sent().len(), 1, "held during quiet hours");
    eventually("the held email", Duration::from_secs(120), || async {
        (resend.sent().len() == 2).then_some(())
    })
    .await;
    let held = &resend.sent()[1];
    assert_eq!(held.body["subject"], "held");
    let sent_at = w.d1(
        "SELECT o.sent_at, o.send_after FROM email_outbox o JOIN notifications n \
         ON n.id = o.notification_id WHERE n.title = 'held'",
    );
    assert!(sent_at[0]["sent_at"].as_i64() >= sent_at[0]["send_after"].as_i64());
    // Exactly one per notification: distinct idempotency keys, no repeats
    // even after the queue settles.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let sent = resend.sent();
    assert_eq!(sent.len(), 2);
    let keys: std::collections::BTreeSet<_> =
        sent.iter().map(|s| s.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 2);
    let outbox = w.d1(&format!(
        "SELECT status, provider FROM email_outbox WHERE user_id = '{GUEST}'"
    ));
    assert!(outbox
        .iter()
        .all(|r| r["status"] == "sent" && r["provider"] == "resend"));
    // The host has no address: no email row at all.
    assert!(w
        .d1(&format!(
            "SELECT 1 FROM email_outbox WHERE user_id = '{HOST}'"
        ))
        .is_empty());
    let _ = ORG;
}

#[tokio::test]
async fn n5_the_local_outbox_shows_mail_in_development() {
    let w = World::start_with(
        &[HOST, GUEST],
        BackendOptions::default().seed_sql(format!(
            "UPDATE users SET email = 'guest@example.com' WHERE id = '{GUEST}'"
        )),
    )
    .await;
    let p = w
        .call(
            "PUT",
            "/v1/notifications/preferences",
            Some(GUEST),
            Some(&json!({"channels": {"default": {"in_app": true, "email": true}}})),
        )
        .await;
    assert_eq!(p.status, 200);
    announce(&w, "local mail").await;
    let items = eventually("the outbox", Duration::from_secs(20), || async {
        let a = w.call("GET", "/v1/dev/outbox", None, None).await;
        let items = a.body["items"].as_array().cloned().unwrap_or_default();
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["to"], "guest@example.com");
    assert_eq!(items[0]["subject"], "local mail");
    assert_eq!(items[0]["provider"], "local");
}

#[tokio::test]
async fn n16_an_announcement_reaches_an_org_of_any_size_in_batches() {
    // 130 members more than the two of the world: three batches of 50.
    let mut seed = String::new();
    for i in 0..130 {
        seed.push_str(&format!(
            "INSERT INTO users (id, org_id, org_role, display_name, is_active, created_at, updated_at) \
             VALUES ('user_01M{i:03}', '{ORG}', 'member', 'M{i}', 1, 1, 1);\n"
        ));
    }
    let w = World::start_with(&[HOST, GUEST], BackendOptions::default().seed_sql(seed)).await;
    let a = announce(&w, "Everyone").await;
    assert_eq!(a["batches"], 3, "{a}");
    assert_eq!(
        a["queued"], 2,
        "the first batch is delivered by the request: {a}"
    );
    let id = a["announcement_id"].as_str().unwrap().to_owned();
    let admin = w.token_with_role(HOST, "admin");
    let progress = eventually("every batch", Duration::from_secs(60), || async {
        let p = w
            .call_with(
                "GET",
                &format!("/v1/admin/announcements/{id}"),
                Some(&admin),
                None,
                &[],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        (p.body["status"] == "done").then_some(p.body)
    })
    .await;
    assert_eq!(progress["batches_total"], 3);
    assert_eq!(progress["batches_done"], 3);
    assert_eq!(progress["recipients"], 132, "{progress}");
    // Exactly one each, whatever the queue redelivered.
    let rows = w.d1(
        "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM notifications \
         WHERE kind = 'system_announcement'",
    );
    assert_eq!(
        (rows[0]["n"].clone(), rows[0]["users"].clone()),
        (json!(132), json!(132))
    );
    // Progress is for the organisation's admins.
    let p = w
        .call(
            "GET",
            &format!("/v1/admin/announcements/{id}"),
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(p.status, 403);
    let p = w
        .call_with(
            "GET",
            "/v1/admin/announcements/ann_unknown",
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, 404);
}

#[tokio::test]
async fn n17_erasing_a_hub_closes_its_sockets_and_forgets_its_ring() {
    let w = World::start(&[HOST, GUEST]).await;
    let (mut ws, _) = hub(&w, GUEST, None).await;
    announce(&w, "before erase").await;
    let f = next_frame(&mut ws, Duration::from_secs(2)).await.unwrap();
    assert_eq!(f["notification"]["title"], "before erase");
    assert!(f["seq"].as_u64().unwrap() >= 1);
    let erase = format!("/v1/dev/users/{GUEST}/hub/erase");
    let a = w.call("POST", &erase, None, None).await;
    assert_eq!(a.status, 200, "{}\n{}", a.body, w.backend.log_tail());
    // The socket is closed with 4003.
    let closed = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed within 3 s");
    assert_eq!(closed, Some(4003));
    // Nothing is left to resume: sequence 0, no frames.
    let (mut again, hello) = hub(&w, GUEST, Some(0)).await;
    assert_eq!(hello["seq"], 0, "{hello}");
    assert_eq!(
        next_frame(&mut again, Duration::from_millis(500)).await,
        None
    );
    let mut stream = sse(&w, GUEST, Some(0)).await;
    assert!(sse_events(&mut stream, 1, Duration::from_millis(700))
        .await
        .is_empty());
    // Erasing again is the same empty hub.
    let a = w.call("POST", &erase, None, None).await;
    assert_eq!(a.status, 200);
}
