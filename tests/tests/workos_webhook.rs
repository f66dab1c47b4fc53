//! Issue 3, the WorkOS webhook (`POST /v1/webhooks/workos`): signatures
//! (t/v1, 180 s), deduplication by event id, out-of-order events, and the
//! effects on tokens (demotion, removal, deletion, revoked sessions) and on
//! live meetings (calls to the MeetingRoom's internal member endpoint).

use std::time::Duration;

use connvo_e2e::api::{call, get, Answer};
use connvo_e2e::fakes::workos::{
    access_token_claims, event, membership_data, now_ms, now_secs, user_data, webhook_signature,
    FakeWorkos, TestKey,
};
use connvo_e2e::Backend;
use serde_json::{json, Value};

const SECRET: &str = "whsec_test_0123456789abcdef0123456789abcdef";
const ORG: &str = "org_01ACME";

/// Alice and Frank are in three meetings: an active one of their org, an
/// active one of another org, and a scheduled one. Only active meetings get
/// room calls.
const SEED: &str = "
INSERT INTO users (id, org_id, org_role, is_active, created_at, updated_at) VALUES
  ('user_01ALICE', 'org_01ACME', 'admin', 1, 1, 1),
  ('user_01FRANK', 'org_01ACME', 'member', 1, 1, 1);
INSERT INTO meetings (id, organizer_id, org_id, title, scheduled_at, state, started_at, created_at, updated_at) VALUES
  ('mtg_wh_acme_live', 'user_01ALICE', 'org_01ACME', 'Live', 1000, 'active', 1000, 1, 1),
  ('mtg_wh_other_live', 'user_01ALICE', 'org_01OTHER', 'Elsewhere', 2000, 'active', 2000, 1, 1),
  ('mtg_wh_acme_later', 'user_01ALICE', 'org_01ACME', 'Later', 3000, 'scheduled', NULL, 1, 1);
INSERT INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at) VALUES
  ('mtg_wh_acme_live', 'user_01ALICE', 'host', 1, 1),
  ('mtg_wh_other_live', 'user_01ALICE', 'participant', 1, 1),
  ('mtg_wh_acme_later', 'user_01ALICE', 'host', 1, 1),
  ('mtg_wh_acme_live', 'user_01FRANK', 'participant', 1, 1),
  ('mtg_wh_other_live', 'user_01FRANK', 'participant', 1, 1),
  ('mtg_wh_acme_later', 'user_01FRANK', 'participant', 1, 1);
";

async fn start() -> (FakeWorkos, Backend) {
    start_seeded(None).await
}

/// As [`start`], with `extra` SQL run after [`SEED`].
async fn start_seeded(extra: Option<String>) -> (FakeWorkos, Backend) {
    let workos = FakeWorkos::start(&[&TestKey::one()]).await;
    let mut options = workos
        .backend_options()
        .var("WORKOS_WEBHOOK_SECRET", SECRET)
        .seed_sql(SEED);
    if let Some(extra) = extra {
        options = options.seed_sql(extra);
    }
    let b = Backend::start_with(options).await;
    (workos, b)
}

/// A token issued ten seconds ago (so webhook events sent now are newer).
fn token(user: &str, role: &str, sid: &str) -> String {
    let mut claims = access_token_claims(user, ORG, role);
    claims["iat"] = json!(now_secs() - 10);
    claims["sid"] = json!(sid);
    TestKey::one().sign(&claims)
}

async fn deliver(b: &Backend, body: &Value, secret: &str, timestamp_ms: u64) -> Answer {
    let raw = body.to_string();
    let sig = webhook_signature(secret, raw.as_bytes(), timestamp_ms);
    let resp = reqwest::Client::new()
        .post(b.url("/v1/webhooks/workos"))
        .header("content-type", "application/json")
        .header("WorkOS-Signature", sig)
        .body(raw)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
        text,
    }
}

async fn role_of(b: &Backend, token: &str) -> (Value, Value) {
    let a = get(b, "/v1/me", token).await;
    assert_eq!(a.status, 200, "{}", a.text);
    (a.body["org_id"].clone(), a.body["org_role"].clone())
}

/// Waits for the worker's log to contain a line with all of `needles`.
async fn log_line_with(b: &Backend, needles: &[&str]) -> Option<String> {
    for _ in 0..50 {
        if let Some(line) = b
            .log()
            .lines()
            .find(|l| needles.iter().all(|n| l.contains(n)))
        {
            return Some(line.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn signatures_replays_and_out_of_order_events() {
    let (_workos, b) = start().await;
    let alice = token("user_01ALICE", "admin", "session_alice_1");
    let bob = token("user_01BOB", "admin", "session_bob_1");
    assert_eq!(role_of(&b, &alice).await, (json!(ORG), json!("admin")));

    let t = now_ms();
    let demote = event(
        "event_01DEMOTE",
        "organization_membership.updated",
        membership_data("user_01ALICE", ORG, "member", "active", t as i64),
    );

    // Bad signature, stale signature, no signature: 401 and nothing changes.
    let a = deliver(&b, &demote, "whsec_wrong_secret_0000000000000000", t).await;
    assert_eq!(
        (a.status, a.reason().clone()),
        (401, json!("SIGNATURE_MISMATCH")),
        "{}",
        a.text
    );
    let a = deliver(&b, &demote, SECRET, t - 181_000).await;
    assert_eq!(
        (a.status, a.reason().clone()),
        (401, json!("SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE")),
        "{}",
        a.text
    );
    let a = call(&b, "POST", "/v1/webhooks/workos", None, &[], Some(&demote)).await;
    assert_eq!(
        (a.status, a.reason().clone()),
        (401, json!("SIGNATURE_MISSING")),
        "{}",
        a.text
    );
    // A body altered after signing.
    let raw = demote.to_string();
    let sig = webhook_signature(SECRET, raw.as_bytes(), t);
    let forged = raw.replace("\"member\"", "\"admin\"");
    let resp = reqwest::Client::new()
        .post(b.url("/v1/webhooks/workos"))
        .header("WorkOS-Signature", sig)
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        role_of(&b, &alice).await,
        (json!(ORG), json!("admin")),
        "nothing changed"
    );

    // The real event: Alice is demoted at once, though her token says admin.
    let a = deliver(&b, &demote, SECRET, t).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["status"], "processed");
    assert_eq!(role_of(&b, &alice).await, (json!(ORG), json!("member")));

    // WorkOS retries the same event (re-signed): acknowledged, nothing changes.
    let a = deliver(&b, &demote, SECRET, now_ms()).await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("duplicate")),
        "{}",
        a.text
    );

    // An older event arriving late (admin as of 5 s before the demotion) is ignored.
    let stale = event(
        "event_00OLDER",
        "organization_membership.updated",
        membership_data("user_01ALICE", ORG, "admin", "active", t as i64 - 5_000),
    );
    let a = deliver(&b, &stale, SECRET, now_ms()).await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("superseded")),
        "{}",
        a.text
    );
    assert_eq!(role_of(&b, &alice).await, (json!(ORG), json!("member")));

    // An org role grants nothing inside a room, so no room was disturbed.
    assert!(
        !b.log().contains("room member"),
        "a role change called a room"
    );

    // Unknown event types and role.updated: acknowledged.
    let a = deliver(
        &b,
        &event("event_01DSYNC", "dsync.group.created", json!({"id": "g"})),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("ignored")),
        "{}",
        a.text
    );
    assert!(log_line_with(&b, &["unknown type", "dsync.group.created"])
        .await
        .is_some());
    let a = deliver(
        &b,
        &event("event_01ROLE", "role.updated", json!({"object": "role", "id": "role_1", "slug": "member",
            "permissions": ["posts:read"], "created_at": "2024-01-01T00:00:00.000Z", "updated_at": "2024-01-02T00:00:00.000Z"})),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("processed")),
        "{}",
        a.text
    );

    // A malformed (but genuinely signed) event names its field.
    let a = deliver(
        &b,
        &event("event_01BAD", "user.deleted", json!({})),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["details"]["field"], "data.id");

    // The audit trail has the role change, visible to another ACME admin.
    let mut found = Value::Null;
    for _ in 0..30 {
        let a = get(&b, "/v1/admin/audit?action=org.role_change", &bob).await;
        assert_eq!(a.status, 200, "{}", a.text);
        if let Some(first) = a.body["items"].as_array().and_then(|i| i.first()) {
            found = first.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["resource_id"], "user_01ALICE", "{found}");
    assert_eq!(found["metadata"]["from"], "admin");
    assert_eq!(found["metadata"]["to"], "member");
}

#[tokio::test]
async fn revocations_reach_tokens_and_live_rooms() {
    let (_workos, b) = start().await;
    let alice_1 = token("user_01ALICE", "admin", "session_alice_1");
    let alice_2 = token("user_01ALICE", "admin", "session_alice_2");
    let dave = token("user_01DAVE", "member", "session_dave_1");
    let erin = token("user_01ERIN", "admin", "session_erin_1");
    for t in [&alice_1, &alice_2, &dave, &erin] {
        assert_eq!(get(&b, "/v1/me", t).await.status, 200);
    }
    let t = now_ms() as i64;

    // session.revoked: that session's tokens are refused, the other session works.
    let a = deliver(
        &b,
        &event(
            "event_01REVOKE",
            "session.revoked",
            json!({"object": "session", "id": "session_alice_1",
            "user_id": "user_01ALICE", "organization_id": ORG, "status": "revoked"}),
        ),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = get(&b, "/v1/me", &alice_1).await;
    assert_eq!(
        (a.status, a.reason().clone()),
        (401, json!("SESSION_REVOKED")),
        "{}",
        a.text
    );
    assert_eq!(get(&b, "/v1/me", &alice_2).await.status, 200);
    // Both of Alice's live meetings (any org) were told to revoke her sockets.
    for meeting in ["mtg_wh_acme_live", "mtg_wh_other_live"] {
        assert!(
            log_line_with(&b, &["room member revoke", meeting, "user_01ALICE"])
                .await
                .is_some(),
            "no revoke call for {meeting}:\n{}",
            b.log_tail()
        );
    }

    // user.updated then user.deleted: Dave is locked out.
    let a = deliver(
        &b,
        &event(
            "event_01DAVEUPD",
            "user.updated",
            user_data("user_01DAVE", "dave@acme.test", t),
        ),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("processed")),
        "{}",
        a.text
    );
    assert_eq!(
        get(&b, "/v1/me", &dave).await.body["email"],
        "dave@acme.test"
    );
    let a = deliver(
        &b,
        &event(
            "event_01DAVEDEL",
            "user.deleted",
            user_data("user_01DAVE", "dave@acme.test", t + 1),
        ),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = get(&b, "/v1/me", &dave).await;
    assert_eq!(
        (a.status, a.reason().clone()),
        (401, json!("USER_DISABLED")),
        "{}",
        a.text
    );

    // organization_membership.deleted: Erin's admin token no longer makes her an admin of ACME.
    let a = deliver(
        &b,
        &event(
            "event_01ERINDEL",
            "organization_membership.deleted",
            membership_data("user_01ERIN", ORG, "admin", "active", t),
        ),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(role_of(&b, &erin).await, (Value::Null, json!("member")));
    let a = get(&b, "/v1/admin/audit", &erin).await;
    assert_eq!(a.status, 403, "{}", a.text);

    // Frank leaves ACME: his sockets in ACME's live meeting are revoked;
    // another org's meeting and a scheduled one are left alone.
    let frank = token("user_01FRANK", "member", "session_frank_1");
    assert_eq!(get(&b, "/v1/me", &frank).await.status, 200);
    let a = deliver(
        &b,
        &event(
            "event_01FRANKDEL",
            "organization_membership.deleted",
            membership_data("user_01FRANK", ORG, "member", "active", now_ms() as i64),
        ),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        log_line_with(
            &b,
            &["room member revoke", "mtg_wh_acme_live", "user_01FRANK"]
        )
        .await
        .is_some(),
        "no revoke for Frank:\n{}",
        b.log_tail()
    );
    let frank_lines: Vec<String> = b
        .log()
        .lines()
        .filter(|l| l.contains("user_01FRANK") && l.contains("room member"))
        .map(str::to_owned)
        .collect();
    assert!(
        frank_lines
            .iter()
            .all(|l| !l.contains("mtg_wh_other_live") && !l.contains("mtg_wh_acme_later")),
        "{frank_lines:?}"
    );
}

/// The one idempotency policy (docs/api.md, "Idempotency of webhooks and
/// jobs"): an event id being applied is `409 IDEMPOTENCY_IN_PROGRESS` with
/// `Retry-After` (was 503), and an id reused with another body is `409
/// IDEMPOTENCY_KEY_REUSED` with nothing applied (was a 200 duplicate).
#[tokio::test]
async fn event_ids_follow_the_one_idempotency_policy() {
    let t = now_ms() as i64;
    let busy = event(
        "event_01BUSY",
        "organization_membership.updated",
        membership_data("user_01FRANK", ORG, "admin", "active", t),
    );
    // A concurrent delivery of the same event holds its claim.
    let claimed = format!(
        "INSERT INTO idempotency_keys (scope, key, status, request_hash, result, created_at, updated_at, expires_at) \
         VALUES ('workos_webhook', 'event_01BUSY', 'claimed', '{}', NULL, {t}, {t}, {})",
        connvo_shared::signature::sha256_hex(busy.to_string().as_bytes()),
        t + 3_600_000
    );
    let (_workos, b) = start_seeded(Some(claimed)).await;
    let frank = token("user_01FRANK", "member", "session_frank_1");
    assert_eq!(role_of(&b, &frank).await, (json!(ORG), json!("member")));

    let a = deliver(&b, &busy, SECRET, now_ms()).await;
    assert_eq!(
        (
            a.status,
            a.body["error"]["code"].clone(),
            a.reason().clone()
        ),
        (409, json!("CONFLICT"), json!("IDEMPOTENCY_IN_PROGRESS")),
        "{}",
        a.text
    );
    assert_eq!(
        a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(role_of(&b, &frank).await, (json!(ORG), json!("member")));

    // Applied once; the same id with another body is refused, not applied.
    let demote = event(
        "event_01ONCE",
        "organization_membership.updated",
        membership_data("user_01ALICE", ORG, "member", "active", t),
    );
    let a = deliver(&b, &demote, SECRET, now_ms()).await;
    assert_eq!(a.body["status"], "processed", "{}", a.text);
    let other = event(
        "event_01ONCE",
        "organization_membership.updated",
        membership_data("user_01FRANK", ORG, "admin", "active", t + 1),
    );
    let a = deliver(&b, &other, SECRET, now_ms()).await;
    assert_eq!(
        (a.status, a.reason().clone()),
        (409, json!("IDEMPOTENCY_KEY_REUSED")),
        "{}",
        a.text
    );
    assert_eq!(role_of(&b, &frank).await, (json!(ORG), json!("member")));
    // The genuine retry is still a duplicate.
    let a = deliver(&b, &demote, SECRET, now_ms()).await;
    assert_eq!(
        (a.status, a.body["status"].clone()),
        (200, json!("duplicate")),
        "{}",
        a.text
    );
}

/// N14: revoking a user (here `user.deleted`) closes their open hub
/// sockets with 4001, so a deleted person stops receiving notifications at
/// once instead of at their token's expiry.
#[tokio::test]
async fn n14_a_revoked_user_s_hub_sockets_close() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let (_workos, b) = start().await;
    let frank = token("user_01FRANK", "member", "session_frank_1");
    let a = call(
        &b,
        "POST",
        "/v1/notifications/ws-ticket",
        Some(&frank),
        &[],
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let ticket = a.body["ticket"].as_str().unwrap().to_owned();
    let (mut ws, _) = tokio_tungstenite::connect_async(
        b.ws_url(&format!("/v1/notifications/ws?ticket={ticket}")),
    )
    .await
    .expect("hub upgrade");
    let hello = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("hello in time");
    match hello {
        Some(Ok(Message::Text(t))) => assert!(t.contains("\"hello\""), "{t}"),
        other => panic!("expected hello, got {other:?}"),
    }

    let a = deliver(
        &b,
        &event(
            "event_01FRANKDEL",
            "user.deleted",
            user_data("user_01FRANK", "frank@acme.test", now_ms() as i64),
        ),
        SECRET,
        now_ms(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);

    let code = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the hub closes the socket within 5 s");
    assert_eq!(code, Some(4001), "{}", b.log_tail());
}
