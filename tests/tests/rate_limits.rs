//! Issue 3, rate limits: per IP and per user, by route class, from
//! configuration (`RATE_LIMITS`), answered with 429 `RATE_LIMITED`,
//! `Retry-After` and the `X-RateLimit-*` headers, which also ride on allowed
//! responses. A refused request writes nothing.

use std::time::Duration;

use connvo_e2e::api::{call, dev_token};
use connvo_e2e::{Backend, BackendOptions};
use serde_json::json;

fn num(a: &connvo_e2e::api::Answer, name: &str) -> u64 {
    a.header(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", a.headers))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

#[tokio::test]
async fn per_ip_limit_answers_429_with_headers() {
    let b = Backend::start_with(BackendOptions::default().var(
        "RATE_LIMITS",
        r#"{"default":{"per_ip":{"limit":3,"window_secs":60}}}"#,
    ))
    .await;
    let from = |ip: &'static str| [("cf-connecting-ip", ip)];
    for expected_remaining in [2, 1, 0] {
        let a = call(&b, "GET", "/v1/version", None, &from("203.0.113.7"), None).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(num(&a, "x-ratelimit-limit"), 3);
        assert_eq!(num(&a, "x-ratelimit-remaining"), expected_remaining);
        let reset = num(&a, "x-ratelimit-reset");
        assert!((1..=60).contains(&reset), "reset {reset}");
        assert!(a.header("retry-after").is_none());
    }
    let a = call(&b, "GET", "/v1/version", None, &from("203.0.113.7"), None).await;
    assert_eq!(a.status, 429, "{}", a.text);
    assert_eq!(a.body["error"]["code"], "RATE_LIMITED");
    assert_eq!(a.body["error"]["details"]["scope"], "ip");
    assert_eq!(a.body["error"]["details"]["class"], "default");
    assert_eq!(num(&a, "x-ratelimit-limit"), 3);
    assert_eq!(num(&a, "x-ratelimit-remaining"), 0);
    let retry = num(&a, "retry-after");
    assert!((1..=120).contains(&retry), "retry-after {retry}");
    assert_eq!(a.body["error"]["details"]["retry_after_secs"], retry);
    // Repeats stay refused (answered from the isolate's memory).
    let a = call(&b, "GET", "/v1/version", None, &from("203.0.113.7"), None).await;
    assert_eq!(a.status, 429);
    // Another address is unaffected.
    let a = call(&b, "GET", "/v1/version", None, &from("198.51.100.9"), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(num(&a, "x-ratelimit-remaining"), 2);
    // So is another class: webhooks have their own (default) limit.
    let a = call(
        &b,
        "POST",
        "/v1/webhooks/workos",
        None,
        &from("203.0.113.7"),
        Some(&json!({})),
    )
    .await;
    assert_ne!(a.status, 429, "{}", a.text);
}

#[tokio::test]
async fn per_user_limit_answers_429_and_the_refusal_writes_nothing() {
    let b = Backend::start_with(BackendOptions::default().var(
        "RATE_LIMITS",
        r#"{"default":{"per_user":{"limit":2,"window_secs":60}}}"#,
    ))
    .await;
    let admin = dev_token(
        &b,
        &json!({"user_id": "user_rl_admin", "org_id": "org_rl", "role": "admin"}),
    )
    .await;
    let carol = dev_token(&b, &json!({"user_id": "user_rl_carol", "org_id": "org_rl"})).await;
    for _ in 0..2 {
        let a = call(&b, "GET", "/v1/me", Some(&carol), &[], None).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let a = call(
        &b,
        "GET",
        "/v1/me",
        Some(&carol),
        &[("x-request-id", "rl-denied-1")],
        None,
    )
    .await;
    assert_eq!(a.status, 429, "{}", a.text);
    assert_eq!(a.body["error"]["details"]["scope"], "user");
    assert!(num(&a, "retry-after") >= 1);
    assert_eq!(num(&a, "x-ratelimit-remaining"), 0);
    // Another user is unaffected.
    let a = call(&b, "GET", "/v1/me", Some(&admin), &[], None).await;
    assert_eq!(a.status, 200, "{}", a.text);

    // The refused request left no audit row (no D1 write at all), while the
    // allowed ones did. Audit rows are written after the response: give
    // them a moment.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let a = call(
        &b,
        "GET",
        "/v1/admin/audit?user_id=user_rl_carol",
        Some(&admin),
        &[],
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let items = a.body["items"].as_array().expect("items");
    assert!(
        !items.is_empty(),
        "carol's successful sign-in is audited: {}",
        a.text
    );
    assert!(
        items.iter().all(|i| i["request_id"] != "rl-denied-1"),
        "the refused request was audited: {}",
        a.text
    );
}
