//! Issue 15: the served OpenAPI document and the interactive docs. The
//! document's content is checked natively (`connvo_shared::openapi::tests`)
//! and validated as OpenAPI 3.1 (`scripts/openapi`); schemathesis runs
//! against it (`scripts/contract`). Here: the worker serves exactly that
//! document, publicly, and `/docs` is Swagger UI from the static assets.

use connvo_e2e::Backend;
use serde_json::Value;

#[tokio::test]
async fn the_document_is_served_publicly_and_is_the_one_the_core_builds() {
    let b = Backend::start().await;
    let resp = reqwest::get(b.url("/v1/openapi.json"))
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(resp.headers().get("x-request-id").is_some());
    let served: Value = resp.json().await.expect("json");
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(served["info"]["version"], connvo_shared::VERSION);
    let built: Value = serde_json::from_str(&connvo_shared::openapi::json()).unwrap();
    assert_eq!(served, built, "the worker serves the core's document");

    let resp = reqwest::Client::new()
        .post(b.url("/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 405);
}

#[tokio::test]
async fn docs_is_swagger_ui_from_the_static_assets() {
    let b = Backend::start().await;
    let resp = reqwest::get(b.url("/docs/")).await.expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.expect("text");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "nothing from a CDN: {html}");
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/connvo-docs.js",
    ] {
        let resp = reqwest::get(b.url(asset)).await.expect("request");
        assert_eq!(resp.status().as_u16(), 200, "{asset}");
    }
    let init = reqwest::get(b.url("/docs/connvo-docs.js"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/v1/openapi.json"));
}
