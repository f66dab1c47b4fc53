//! Issue 2: the skeleton against the real local runtime: health really checks
//! D1, KV and the Durable Object namespace; every error has the one shape;
//! every response carries a request id and the security headers.

use connvo_e2e::Backend;
use serde_json::Value;

async fn get(b: &Backend, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = reqwest::get(b.url(path)).await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn assert_error_shape(body: &Value, code: &str) {
    let err = &body["error"];
    assert_eq!(err["code"], code, "body: {body}");
    assert!(err["message"].is_string(), "body: {body}");
    assert!(err.get("details").is_some(), "body: {body}");
}

#[tokio::test]
async fn health_checks_every_binding_for_real() {
    let b = Backend::start().await;
    let (status, headers, body) = get(&b, "/v1/health").await;
    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], connvo_shared::VERSION);
    assert_eq!(body["environment"], "local");
    for check in ["d1", "kv", "durable_objects"] {
        assert_eq!(body["checks"][check]["ok"], true, "{check}: {body}");
    }
    assert!(headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("req_")));
}

#[tokio::test]
async fn errors_share_one_shape_and_headers() {
    let b = Backend::start().await;

    let (status, headers, body) = get(&b, "/v1/nope").await;
    assert_eq!(status, 404);
    assert_error_shape(&body, "NOT_FOUND");
    for h in [
        "x-request-id",
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "strict-transport-security",
        "referrer-policy",
    ] {
        assert!(headers.get(h).is_some(), "missing {h} on an error response");
    }
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");

    let client = reqwest::Client::new();
    let resp = client.post(b.url("/v1/health")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_error_shape(&resp.json().await.unwrap(), "METHOD_NOT_ALLOWED");

    // A declared body over the limit is refused before it is read.
    let resp = client
        .get(b.url("/v1/version"))
        .body(vec![b'x'; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert_error_shape(&resp.json().await.unwrap(), "PAYLOAD_TOO_LARGE");

    // A caller's own request id is echoed when it is safe, replaced when not.
    let resp = client
        .get(b.url("/v1/version"))
        .header("x-request-id", "trace-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-abc.123");
    let resp = client
        .get(b.url("/v1/version"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
}

#[tokio::test]
async fn log_lines_are_json_with_request_ids() {
    let b = Backend::start().await;
    let client = reqwest::Client::new();
    let resp = client
        .get(b.url("/v1/version"))
        .header("x-request-id", "log-probe-1")
        .header(
            "authorization",
            "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // workerd flushes console output asynchronously.
    let mut found = None;
    for _ in 0..50 {
        found = b
            .log()
            .lines()
            .find(|l| l.contains("\"request_id\":\"log-probe-1\""))
            .map(str::to_owned);
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = found.unwrap_or_else(|| panic!("no log line for the request:\n{}", b.log_tail()));
    let start = line.find('{').expect("json in the log line");
    let json: Value = serde_json::from_str(&line[start..]).expect("the log line is JSON");
    assert_eq!(json["route"], "version");
    assert_eq!(json["status"], 200);
    assert!(
        !b.log().contains("eyJzdWIiOiJ1In0"),
        "a token reached the log"
    );
}
