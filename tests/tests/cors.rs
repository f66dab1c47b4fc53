//! Issue 3, CORS: preflights answered for allowed origins only,
//! `Access-Control-Allow-Origin` echoed only for them, `Vary: Origin` always.

use connvo_e2e::api::call;
use connvo_e2e::{Backend, BackendOptions};

#[tokio::test]
async fn only_allowed_origins_get_cors() {
    // The local default (wrangler.toml) allows http://localhost:3000 and
    // http://127.0.0.1:3000; this backend adds one more.
    let b = Backend::start_with(BackendOptions::default().var(
        "CORS_ALLOWED_ORIGINS",
        "http://localhost:3000, https://app.connvo.test",
    ))
    .await;
    let preflight = |origin: &'static str| {
        [
            ("origin", origin),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type",
            ),
        ]
    };

    for origin in ["http://localhost:3000", "https://app.connvo.test"] {
        let a = call(&b, "OPTIONS", "/v1/me", None, &preflight(origin), None).await;
        assert_eq!(a.status, 204, "{origin}: {}", a.text);
        assert_eq!(a.header("access-control-allow-origin"), Some(origin));
        assert!(a
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST"));
        assert!(a
            .header("access-control-allow-headers")
            .unwrap()
            .contains("authorization"));
        assert!(a.header("access-control-max-age").is_some());
        assert!(a.header("access-control-allow-credentials").is_none());
        assert!(a.header("vary").unwrap().contains("Origin"));
        assert!(a.header("x-request-id").is_some());
    }

    for origin in [
        "https://evil.test",
        "http://localhost:3001",
        "null",
        "https://app.connvo.test.evil.test",
    ] {
        let a = call(&b, "OPTIONS", "/v1/me", None, &preflight(origin), None).await;
        assert_eq!(a.status, 403, "{origin}: {}", a.text);
        assert_eq!(
            a.body["error"]["details"]["reason"],
            "CORS_ORIGIN_NOT_ALLOWED"
        );
        assert!(
            a.header("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }

    // Actual requests: the origin is echoed only when allowed; Vary always.
    let a = call(
        &b,
        "GET",
        "/v1/version",
        None,
        &[("origin", "https://app.connvo.test")],
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://app.connvo.test")
    );
    assert!(a
        .header("access-control-expose-headers")
        .unwrap()
        .contains("x-ratelimit-remaining"));
    assert!(a.header("vary").unwrap().contains("Origin"));
    let a = call(
        &b,
        "GET",
        "/v1/version",
        None,
        &[("origin", "https://evil.test")],
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.header("access-control-allow-origin").is_none());
    assert!(a.header("vary").unwrap().contains("Origin"));
    // Errors carry CORS too, so a page can read them.
    let a = call(
        &b,
        "GET",
        "/v1/me",
        None,
        &[("origin", "http://localhost:3000")],
        None,
    )
    .await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    // An OPTIONS without CORS headers is not a preflight: the route's 405.
    let a = call(&b, "OPTIONS", "/v1/me", None, &[], None).await;
    assert_eq!(a.status, 405);
}
