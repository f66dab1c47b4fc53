//! Issue 14, retention against the real local runtime (docs/privacy.md
//! P13–P18, P20): a run deletes a row older than its class's retention,
//! keeps a recent one, and keeps an old one under a legal hold until the
//! hold is released; holds are placed and released by organisation admins
//! of the subject's own organisation only. Storage policies (P22–P25):
//! organisation admins create, change and delete their organisation's
//! message and recording retention, validated and audited; the next run
//! applies them to that organisation only, and its counters are readable.

use connvo_e2e::fakes::workos::{access_token_claims, TestKey};
use connvo_e2e::meet::{World, ORG};
use connvo_e2e::BackendOptions;
use serde_json::{json, Value};

const ADMIN: &str = "user_01ADMIN";
const MEMBER: &str = "user_01MEMBER";

fn seed() -> BackendOptions {
    let now = connvo_e2e::fakes::workos::now_ms() as i64;
    let mut o = BackendOptions::default();
    for (id, org) in [
        ("mtg_old", ORG),
        ("mtg_held", ORG),
        ("mtg_other_org", "org_other"),
    ] {
        o = o.seed_sql(format!(
            "INSERT INTO meetings (id, organizer_id, org_id, title, scheduled_at, state, concluded_at, started_at, created_at, updated_at) \
             VALUES ('{id}', '{MEMBER}', '{org}', 'Old', 1000, 'concluded', 2000, 1000, 1000, 1000)"
        ));
    }
    for (meeting, seq, created) in [
        ("mtg_old", 0, 1000),
        ("mtg_old", 1, now),
        ("mtg_held", 0, 1000),
    ] {
        o = o.seed_sql(format!(
            "INSERT INTO messages (meeting_id, seq, id, user_id, content, created_at) \
             VALUES ('{meeting}', {seq}, 'msg_{meeting}_{seq}', '{MEMBER}', 'hello', {created})"
        ));
    }
    o
}

fn messages(w: &World) -> Vec<String> {
    w.d1("SELECT id FROM messages ORDER BY id")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn run(w: &World) -> Value {
    let a = w.call("POST", "/v1/dev/retention/run", None, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["report"].clone()
}

#[tokio::test]
async fn p15_p20_retention_deletes_an_expired_row_and_keeps_a_held_one() {
    let w = World::start_with(&[ADMIN, MEMBER], seed()).await;
    let admin = w.token_with_role(ADMIN, "admin");
    let place = |body: Value| {
        let admin = admin.clone();
        let w = &w;
        async move {
            w.call_with(
                "POST",
                "/v1/admin/legal-holds",
                Some(&admin),
                Some(&body),
                &[],
            )
            .await
        }
    };

    // Members may not hold; bad input and another organisation's meeting are refused.
    let body = json!({"scope": "meeting", "subject_id": "mtg_held", "reason": "litigation"});
    let a = w
        .call("POST", "/v1/admin/legal-holds", Some(MEMBER), Some(&body))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = place(json!({"scope": "org", "subject_id": "mtg_held", "reason": "x"})).await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = place(json!({"scope": "meeting", "subject_id": "mtg_other_org", "reason": "x"})).await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert!(w.d1("SELECT id FROM legal_holds").is_empty());

    let a = place(body).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let hold_id = a.body["hold"]["id"].as_str().unwrap().to_owned();

    let report = run(&w).await;
    assert_eq!(report["deleted"]["messages"], 1, "{report}");
    assert_eq!(
        messages(&w),
        vec!["msg_mtg_held_0".to_owned(), "msg_mtg_old_1".to_owned()],
        "the expired row went, the recent and the held ones stayed"
    );

    // Released: the next run deletes the formerly held row.
    let a = w
        .call_with(
            "DELETE",
            &format!("/v1/admin/legal-holds/{hold_id}"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["hold"]["released_at"].is_i64());
    run(&w).await;
    assert_eq!(messages(&w), vec!["msg_mtg_old_1".to_owned()]);
    w.wait_rows(
        "SELECT action FROM audit_logs WHERE resource_type = 'legal_hold'",
        2,
        std::time::Duration::from_secs(10),
    )
    .await;
}

const DAY_MS: i64 = 86_400_000;

/// Messages 30 days old (kept by the 90-day default) and recordings a year
/// old (recordings are kept by default), in ORG's meeting and another
/// organisation's.
fn policy_seed() -> BackendOptions {
    let now = connvo_e2e::fakes::workos::now_ms() as i64;
    let month_ago = now - 30 * DAY_MS;
    let year_ago = now - 365 * DAY_MS;
    let mut o = BackendOptions::default();
    for (id, org) in [("mtg_ours", ORG), ("mtg_theirs", "org_other")] {
        o = o
            .seed_sql(format!(
                "INSERT INTO meetings (id, organizer_id, org_id, title, scheduled_at, state, concluded_at, started_at, created_at, updated_at) \
                 VALUES ('{id}', '{MEMBER}', '{org}', 'Old', 1000, 'concluded', 2000, 1000, 1000, 1000)"
            ))
            .seed_sql(format!(
                "INSERT INTO messages (meeting_id, seq, id, user_id, content, created_at) \
                 VALUES ('{id}', 0, 'msg_{id}', '{MEMBER}', 'hello', {month_ago})"
            ))
            .seed_sql(format!(
                "INSERT INTO meeting_recordings (id, meeting_id, kind, recording_type, call_cid, filename, url, created_at, updated_at) \
                 VALUES ('rec_{id}', '{id}', 'recording', 'composite', 'default:{id}', 'a.mp4', 'https://x/a.mp4', {year_ago}, {year_ago})"
            ));
    }
    o
}

fn ids(w: &World, table: &str) -> Vec<String> {
    w.d1(&format!("SELECT id FROM {table} ORDER BY id"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn p22_p25_storage_policies_are_validated_audited_and_applied_per_org() {
    let w = World::start_with(&[ADMIN, MEMBER], policy_seed()).await;
    let admin = w.token_with_role(ADMIN, "admin");
    let send = |method: &'static str, path: String, body: Option<Value>| {
        let admin = admin.clone();
        let w = &w;
        async move {
            w.call_with(method, &path, Some(&admin), body.as_ref(), &[])
                .await
        }
    };
    let base = "/v1/admin/storage-policies".to_owned();
    let messages = json!({"name": "Short chat", "scope": "messages", "retention_days": 7,
                          "auto_delete": true, "tier": "hot"});

    // Members may not; bad bodies are refused naming the field; nothing is written.
    let a = w.call("POST", &base, Some(MEMBER), Some(&messages)).await;
    assert_eq!(a.status, 403, "{}", a.body);
    for (body, field) in [
        (
            json!({"name": "x", "scope": "audit_logs", "retention_days": 400, "auto_delete": true}),
            "scope",
        ),
        (
            json!({"name": "x", "scope": "messages", "retention_days": 5000, "auto_delete": true}),
            "retention_days",
        ),
        (
            json!({"name": "x", "scope": "messages", "retention_days": 7, "auto_delete": true, "tier": "cold"}),
            "tier",
        ),
        (
            json!({"name": "x", "scope": "messages", "retention_days": 7}),
            "auto_delete",
        ),
    ] {
        let a = send("POST", base.clone(), Some(body)).await;
        assert_eq!(a.status, 400, "{}", a.body);
        assert_eq!(a.body["error"]["details"]["field"], field, "{}", a.body);
    }
    assert!(w.d1("SELECT id FROM storage_policies").is_empty());

    // Defaults before any policy: recordings kept, messages 90 days; a run
    // with only the defaults deletes neither.
    let a = send("GET", base.clone(), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["policies"], json!([]));
    assert_eq!(a.body["defaults"]["messages"]["days"], 90);
    assert!(a.body["defaults"]["recordings"]["days"].is_null());
    run(&w).await;
    assert_eq!(ids(&w, "messages").len(), 2);
    assert_eq!(ids(&w, "meeting_recordings").len(), 2);

    // Create both policies; a second one for the same scope is 409.
    let a = send("POST", base.clone(), Some(messages.clone())).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["policy"]["retention_days"], 7);
    let a = send("POST", base.clone(), Some(messages)).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["reason"], "POLICY_EXISTS");
    let a = send(
        "POST",
        base.clone(),
        Some(
            json!({"name": "Recordings", "scope": "recordings", "retention_days": 0,
                    "auto_delete": true, "tier": "archive"}),
        ),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let rec_policy = a.body["policy"]["id"].as_str().unwrap().to_owned();

    // 0 days = keep: recordings stay; ORG's month-old message goes, the
    // other organisation's stays (its default is 90 days).
    let report = run(&w).await;
    assert_eq!(report["deleted"]["messages"], 1, "{report}");
    assert_eq!(ids(&w, "messages"), vec!["msg_mtg_theirs".to_owned()]);
    assert_eq!(ids(&w, "meeting_recordings").len(), 2);

    // Change the recordings policy to 30 days: ORG's year-old recording goes.
    let path = format!("{base}/{rec_policy}");
    let a = send(
        "PUT",
        path.clone(),
        Some(json!({"name": "Recordings", "scope": "messages", "retention_days": 30, "auto_delete": true})),
    )
    .await;
    assert_eq!(a.status, 400, "the scope never changes: {}", a.body);
    let a = send(
        "PUT",
        path.clone(),
        Some(json!({"name": "Recordings", "retention_days": 30, "auto_delete": true, "tier": "cool"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["policy"]["tier"], "cool");
    let report = run(&w).await;
    assert_eq!(report["deleted"]["recordings"], 1, "{report}");
    assert_eq!(
        ids(&w, "meeting_recordings"),
        vec!["rec_mtg_theirs".to_owned()]
    );

    // Another organisation's admin sees none of it and cannot change it.
    let a = w
        .call_with(
            "DELETE",
            &path,
            Some(&TestKey::one().sign(&access_token_claims(MEMBER, "org_other", "admin"))),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 404, "another organisation's policy: {}", a.body);
    let a = send("DELETE", path.clone(), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = send("DELETE", path, None).await;
    assert_eq!(a.status, 404, "{}", a.body);

    // The runs' counters, newest first.
    let a = send("GET", "/v1/admin/retention/runs?limit=2".to_owned(), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let runs = a.body["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{}", a.body);
    assert_eq!(runs[0]["deleted"]["recordings"], 1, "{}", a.body);
    assert_eq!(runs[1]["deleted"]["messages"], 1, "{}", a.body);
    assert_eq!(runs[0]["trigger"], "dev");
    assert_eq!(runs[0]["complete"], true);
    let a = send("GET", "/v1/admin/retention/runs?limit=0".to_owned(), None).await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = w
        .call("GET", "/v1/admin/retention/runs", Some(MEMBER), None)
        .await;
    assert_eq!(a.status, 403, "{}", a.body);

    w.wait_rows(
        "SELECT action FROM audit_logs WHERE resource_type = 'storage_policy'",
        4,
        std::time::Duration::from_secs(10),
    )
    .await;
}
