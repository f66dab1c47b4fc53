//! Issue 3, the local-development identity provider: `POST /v1/dev/token`
//! mints tokens the Worker accepts, only where `ENVIRONMENT=local` and
//! `DEV_AUTH=on`. Outside local, the route is gone and dev tokens fail; with
//! `DEV_AUTH` set outside local, the Worker refuses to serve at all.

use connvo_e2e::fakes::workos::{now_secs, FakeWorkos, TestKey};
use connvo_e2e::{Backend, BackendOptions};
use connvo_shared::auth::dev::{DEV_ISSUER, DEV_KID};
use connvo_shared::auth::{rsa_private_key_from_jwk, sign_access_token};
use serde_json::{json, Value};

async fn post_json(b: &Backend, path: &str, body: &Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(b.url(path))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn me(b: &Backend, token: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(b.url("/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A token signed with the committed dev key, as an attacker who read the
/// repository could make one.
fn dev_key_token(user: &str, issuer: &str) -> String {
    let jwk = std::fs::read_to_string(
        connvo_e2e::backend::repo_root()
            .join("workers/dev-only-keys/DEV_ONLY_local_signing_key.jwk.json"),
    )
    .expect("dev key file");
    let key = rsa_private_key_from_jwk(&jwk).expect("dev key loads");
    let now = now_secs();
    let claims = json!({"iss": issuer, "sub": user, "org_id": "org_x", "role": "admin",
        "roles": ["admin"], "sid": "session_dev_x", "iat": now, "exp": now + 300});
    sign_access_token(&claims, &key, DEV_KID)
}

#[tokio::test]
async fn dev_tokens_work_locally_without_any_workos() {
    // Default options: ENVIRONMENT=local, DEV_AUTH=on (wrangler.toml), and a
    // WorkOS JWKS URL nobody can reach: dev tokens must not need it.
    let b = Backend::start().await;
    let (status, body) = post_json(
        &b,
        "/v1/dev/token",
        &json!({"user_id": "user_demo_alice", "org_id": "org_demo", "role": "admin",
                "email": "alice@example.test", "ttl_secs": 600}),
    )
    .await;
    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    let token = body["access_token"].as_str().expect("a token").to_owned();
    let (status, me_body) = me(&b, &token).await;
    assert_eq!(status, 200, "body: {me_body}\n{}", b.log_tail());
    assert_eq!(me_body["user_id"], "user_demo_alice");
    assert_eq!(me_body["org_id"], "org_demo");
    assert_eq!(me_body["org_role"], "admin");
    assert_eq!(me_body["dev_token"], true);

    // Bodies are validated, naming the field.
    for (body, field) in [
        (json!({}), "user_id"),
        (json!({"user_id": "has space"}), "user_id"),
        (json!({"user_id": "u", "ttl_secs": 999999}), "ttl_secs"),
        (json!({"user_id": "u", "role": "admin"}), "role"),
        (json!({"user_id": "u", "is_admin": true}), "is_admin"),
    ] {
        let (status, err) = post_json(&b, "/v1/dev/token", &body).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(err["error"]["details"]["field"], field, "{body}: {err}");
    }
    // The committed key works locally, as intended, but only with the dev
    // issuer: it cannot mint a token passing as a WorkOS one.
    let (status, _) = me(&b, &dev_key_token("user_x", DEV_ISSUER)).await;
    assert_eq!(status, 200);
    let (status, body) = me(&b, &dev_key_token("user_x", "https://api.workos.com")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_WRONG_ISSUER");
}

#[tokio::test]
async fn production_with_dev_auth_refuses_to_serve() {
    let b = Backend::start_with(
        BackendOptions::default()
            .var("ENVIRONMENT", "production")
            .var("DEV_AUTH", "on")
            .ready_on_any_status(),
    )
    .await;
    let token = dev_key_token("user_mallory", DEV_ISSUER);
    let client = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/v1/health"),
        ("POST", "/v1/dev/token"),
        ("GET", "/v1/me"),
        ("GET", "/v1/version"),
    ] {
        let req = match method {
            "POST" => client
                .post(b.url(path))
                .json(&json!({"user_id": "user_mallory"})),
            _ => client.get(b.url(path)),
        };
        let resp = req.bearer_auth(&token).send().await.expect("request");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 500, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "INTERNAL");
        assert_eq!(
            body["error"]["details"]["reason"],
            "CONFIG_DEV_AUTH_OUTSIDE_LOCAL"
        );
        assert!(body.get("access_token").is_none());
    }
}

#[tokio::test]
async fn outside_local_there_is_no_dev_route_and_dev_tokens_fail() {
    let workos = FakeWorkos::start(&[&TestKey::one()]).await;
    let b = Backend::start_with(
        workos
            .backend_options()
            .var("ENVIRONMENT", "staging")
            .var("DEV_AUTH", "off"),
    )
    .await;
    let (status, body) = post_json(&b, "/v1/dev/token", &json!({"user_id": "user_mallory"})).await;
    assert_eq!(status, 404, "body: {body}");
    let (status, body) = me(&b, &dev_key_token("user_mallory", DEV_ISSUER)).await;
    assert_eq!(status, 401, "body: {body}");
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_UNKNOWN_KID");
}
