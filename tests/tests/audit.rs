//! Issue 3, the audit trail: authentication outcomes and access denials are
//! recorded (after the response, in one batch), and org admins, only they,
//! read and export their own organisation's trail with filters and cursors.

use std::time::Duration;

use connvo_e2e::api::{call, dev_token, get, Answer};
use connvo_e2e::{Backend, BackendOptions};
use serde_json::{json, Value};

/// Rows of a meeting in ACME and one in another org (seeded: no route of
/// this branch writes meeting-scoped events).
const SEED: &str = "
INSERT INTO audit_logs (id, actor_user_id, org_id, resource_type, resource_id, action, outcome, created_at) VALUES
  ('aud_seed_1', 'user_au_bob', 'org_au_acme', 'meeting', 'mtg_au_1', 'meeting.join', 'allow', 1000),
  ('aud_seed_2', 'user_au_bob', 'org_au_acme', 'meeting', 'mtg_au_1', 'notes.write', 'allow', 2000),
  ('aud_seed_3', 'user_au_eve', 'org_au_evil', 'meeting', 'mtg_au_1', 'meeting.join', 'allow', 3000);
";

async fn items_when(
    b: &Backend,
    path: &str,
    token: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> (Answer, Vec<Value>) {
    for _ in 0..50 {
        let a = get(b, path, token).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        let items = a.body["items"].as_array().cloned().unwrap_or_default();
        if pred(&items) {
            return (a, items);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never satisfied the condition:\n{}", b.log_tail());
}

#[tokio::test]
async fn org_admins_read_and_export_their_own_trail_and_no_one_else_does() {
    let b = Backend::start_with(BackendOptions::default().seed_sql(SEED)).await;
    let admin = dev_token(
        &b,
        &json!({"user_id": "user_au_alice", "org_id": "org_au_acme", "role": "admin"}),
    )
    .await;
    let member = dev_token(
        &b,
        &json!({"user_id": "user_au_bob", "org_id": "org_au_acme", "role": "member"}),
    )
    .await;
    let outsider = dev_token(
        &b,
        &json!({"user_id": "user_au_eve", "org_id": "org_au_evil", "role": "admin"}),
    )
    .await;

    // Sign-ins are audited.
    assert_eq!(get(&b, "/v1/me", &member).await.status, 200);
    // A member is refused, and the refusal is audited.
    let a = call(
        &b,
        "GET",
        "/v1/admin/audit",
        Some(&member),
        &[("x-request-id", "au-denied-1")],
        None,
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.text);
    assert_eq!(a.body["error"]["code"], "FORBIDDEN");
    let a = get(&b, "/v1/admin/audit/export", &member).await;
    assert_eq!(a.status, 403, "{}", a.text);
    // A failed sign-in is audited too (with no org: nobody's admin sees it).
    assert_eq!(
        call(&b, "GET", "/v1/me", Some("garbage"), &[], None)
            .await
            .status,
        401
    );

    // The admin sees ACME's rows: Bob's sign-in, his denials, the seeded
    // meeting rows; never the other org's.
    let (_, items) = items_when(&b, "/v1/admin/audit?user_id=user_au_bob", &admin, |items| {
        items
            .iter()
            .any(|i| i["action"] == "access.denied" && i["request_id"] == "au-denied-1")
            && items
                .iter()
                .any(|i| i["action"] == "auth.authenticate" && i["outcome"] == "success")
    })
    .await;
    let denied = items
        .iter()
        .find(|i| i["request_id"] == "au-denied-1")
        .unwrap();
    assert_eq!(denied["outcome"], "deny");
    assert_eq!(denied["org_id"], "org_au_acme");
    assert_eq!(denied["metadata"]["reason"], "DENY_ADMIN_ONLY");
    assert!(denied["ip"].is_string() || denied["ip"].is_null());
    assert!(items
        .iter()
        .all(|i| i["actor_user_id"] == "user_au_bob" && i["org_id"] == "org_au_acme"));
    // Newest first.
    let times: Vec<i64> = items
        .iter()
        .map(|i| i["created_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // Filters: meeting, action, time range.
    let (_, items) = items_when(&b, "/v1/admin/audit?meeting_id=mtg_au_1", &admin, |i| {
        !i.is_empty()
    })
    .await;
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["aud_seed_2", "aud_seed_1"],
        "only ACME's rows of the meeting"
    );
    let (_, items) = items_when(
        &b,
        "/v1/admin/audit?meeting_id=mtg_au_1&action=notes.write",
        &admin,
        |i| !i.is_empty(),
    )
    .await;
    assert_eq!(items.len(), 1);
    let (_, items) = items_when(&b, "/v1/admin/audit?from=1500&to=2500", &admin, |i| {
        !i.is_empty()
    })
    .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "aud_seed_2");

    // Cursor pagination walks everything exactly once.
    let all = get(&b, "/v1/admin/audit?limit=200", &admin).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    let mut seen = Vec::new();
    let mut path = "/v1/admin/audit?limit=2".to_owned();
    loop {
        let a = get(&b, &path, &admin).await;
        assert_eq!(a.status, 200, "{}", a.text);
        seen.extend(
            a.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match a.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/admin/audit?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a row came twice: {seen:?}");
    assert!(seen.len() >= all, "{} of {all}", seen.len());

    // Export: NDJSON, bounded pages with x-next-cursor.
    let a = get(&b, "/v1/admin/audit/export?limit=2", &admin).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = a
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["org_id"] == "org_au_acme"));
    let next = a.header("x-next-cursor").expect("more pages").to_owned();
    let a = get(
        &b,
        &format!("/v1/admin/audit/export?limit=10000&cursor={next}"),
        &admin,
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.header("x-next-cursor").is_none());
    assert!(a.text.lines().all(|l| !l.contains("org_au_evil")));

    // Bad parameters name themselves.
    for (q, field) in [
        ("limit=0", "limit"),
        ("from=x", "from"),
        ("cursor=zz", "cursor"),
        ("org_id=org_au_evil", "org_id"),
    ] {
        let a = get(&b, &format!("/v1/admin/audit?{q}"), &admin).await;
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert_eq!(a.body["error"]["details"]["field"], field, "{q}");
    }

    // The other org's admin sees only their own row.
    let (_, items) = items_when(&b, "/v1/admin/audit?meeting_id=mtg_au_1", &outsider, |i| {
        !i.is_empty()
    })
    .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "aud_seed_3");

    // The admin's reads are audited too.
    items_when(
        &b,
        "/v1/admin/audit?action=admin.audit.export",
        &admin,
        |i| !i.is_empty(),
    )
    .await;
}
