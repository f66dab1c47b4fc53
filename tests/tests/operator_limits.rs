//! Issue 15 item 8 (docs/security.md, "Rate limits"; O11–O13): operators
//! read and change the rate limits at run time (validated, audited), tiers
//! scale a caller's limit by who they are, and allow-listed addresses are
//! not limited.

use std::time::Duration;

use connvo_e2e::api::{call, dev_token, get};
use connvo_e2e::{Backend, BackendOptions};
use serde_json::json;

/// `PUT /v1/admin/rate-limits` as `token`.
async fn put(b: &Backend, token: &str, body: &serde_json::Value) -> connvo_e2e::api::Answer {
    call(
        b,
        "PUT",
        "/v1/admin/rate-limits",
        Some(token),
        &[],
        Some(body),
    )
    .await
}

#[tokio::test]
async fn o11_o13_limits_change_at_run_time_by_tier_and_the_allow_list_bypasses_them() {
    let b = Backend::start_with(BackendOptions::default().var(
        "RATE_LIMITS",
        r#"{"default":{"per_user":{"limit":4,"window_secs":60},"per_ip":{"limit":200,"window_secs":60}}}"#,
    ))
    .await;
    let admin = dev_token(
        &b,
        &json!({"user_id": "user_ol_admin", "org_id": "org_ol", "role": "admin"}),
    )
    .await;
    let carol = dev_token(&b, &json!({"user_id": "user_ol_carol", "org_id": "org_ol"})).await;

    // Read: the configured limits, default tiers.
    let a = get(&b, "/v1/admin/rate-limits", &admin).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["classes"]["default"]["per_user"]["limit"], 4);
    assert_eq!(a.body["tiers"]["admin"], 100);
    assert_eq!(get(&b, "/v1/admin/rate-limits", &carol).await.status, 403);

    // A bad change is refused whole, naming the field; nothing is stored.
    let bad = json!({"tiers": {"admin": 0}, "reason": "try"});
    let a = put(&b, &admin, &bad).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["details"]["field"], "tiers.admin");
    let a = put(&b, &admin, &json!({"tiers": {}})).await;
    assert_eq!(a.body["error"]["details"]["field"], "reason");

    // Admins get five times the per-user limit (the admin's 4 requests so
    // far were under the class's own limit of 4).
    let set = json!({"tiers": {"admin": 500}, "reason": "admins run the dashboard"});
    let a = put(&b, &admin, &set).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["tiers"]["admin"], 500);
    assert_eq!(a.body["updated_by"], "user_ol_admin");
    // Other isolates follow within the settings TTL (5 s).
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let mut admin_ok = 0;
    for _ in 0..8 {
        if get(&b, "/v1/me", &admin).await.status == 200 {
            admin_ok += 1;
        }
    }
    // 8 more than the class's 4 (a limit is its own counter: 4 × 500 % = 20).
    assert_eq!(admin_ok, 8, "the admin tier's limit");
    let mut carol_codes = Vec::new();
    for _ in 0..4 {
        carol_codes.push(get(&b, "/v1/me", &carol).await.status);
    }
    // Her refused read of the settings counted as her first request.
    assert_eq!(
        carol_codes,
        vec![200, 200, 200, 429],
        "signed-in users keep the class limit"
    );

    // Allow-listed: carol's address is no longer limited.
    let set =
        json!({"tiers": {"admin": 500}, "allow_ips": ["127.0.0.0/8", "::1"], "reason": "office"});
    let a = put(&b, &admin, &set).await;
    assert_eq!(a.status, 200, "{}", a.text);
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    for _ in 0..4 {
        let a = call(
            &b,
            "GET",
            "/v1/me",
            Some(&carol),
            &[("x-forwarded-for", "127.0.0.1")],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
    }

    // Both changes are audited.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let a = get(&b, "/v1/admin/audit?user_id=user_ol_admin", &admin).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let sets = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] == "admin.rate_limits.set")
        .count();
    assert_eq!(sets, 2, "{}", a.text);
}
