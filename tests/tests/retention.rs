//! Issue 14, retention against the real local runtime (docs/privacy.md
//! P13–P18, P20): a run deletes a row older than its class's retention,
//! keeps a recent one, and keeps an old one under a legal hold until the
//! hold is released; holds are placed and released by organisation admins
//! of the subject's own organisation only.

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
