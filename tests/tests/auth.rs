//! Issue 3, authentication: WorkOS access tokens verified in the Worker
//! against a fake WorkOS JWKS, every way a token can be bad refused with
//! 401 on `GET /v1/me`, and the JWKS cache's failure modes.

use connvo_e2e::fakes::workos::{access_token_claims, now_secs, FakeWorkos, TestKey};
use connvo_e2e::Backend;
use connvo_shared::auth::base64url;
use connvo_shared::signature::hmac_sha256;
use serde_json::{json, Value};

/// `GET /v1/me` with an `Authorization` header (or none).
async fn me(b: &Backend, authorization: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().get(b.url("/v1/me"));
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A compact JWS with the given header and claims and an arbitrary signature.
fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(claims.to_string().as_bytes()),
        base64url::encode(signature)
    )
}

async fn start() -> (FakeWorkos, Backend) {
    let workos = FakeWorkos::start(&[&TestKey::one()]).await;
    let backend = Backend::start_with(workos.backend_options()).await;
    (workos, backend)
}

#[tokio::test]
async fn a_workos_token_is_accepted() {
    let (workos, b) = start().await;
    let mut claims = access_token_claims("user_01ALICE", "org_01ACME", "admin");
    claims["act"] = json!({"sub": "admin@foocorp.com"});
    claims["email"] = json!("alice@acme.test");
    let token = TestKey::one().sign(&claims);
    let (status, body) = me(&b, Some(&bearer(&token))).await;
    assert_eq!(status, 200, "body: {body}\n{}", b.log_tail());
    assert_eq!(body["user_id"], "user_01ALICE");
    assert_eq!(body["org_id"], "org_01ACME");
    assert_eq!(body["org_role"], "admin");
    assert_eq!(body["session_id"], "session_user_01ALICE");
    assert_eq!(body["impersonator"], "admin@foocorp.com");
    assert_eq!(body["dev_token"], false);
    // The user row was upserted from the token.
    assert_eq!(body["email"], "alice@acme.test");
    let created_at = body["created_at"].as_i64().expect("created_at");
    // The key set is cached: a second request fetches nothing; the row is the same.
    let (status, again) = me(&b, Some(&bearer(&token))).await;
    assert_eq!(status, 200);
    assert_eq!(again["created_at"], created_at);
    assert_eq!(workos.jwks_fetches(), 1);
    // The Bearer scheme is case-insensitive (RFC 9110 §11.1).
    let (status, _) = me(&b, Some(&format!("bearer {token}"))).await;
    assert_eq!(status, 200);
}

/// Every way a credential can be bad, each refused with 401 and its reason.
#[tokio::test]
async fn every_bad_token_is_rejected() {
    let (_workos, b) = start().await;
    let key = TestKey::one();
    let good_claims = access_token_claims("user_01BOB", "org_01ACME", "member");
    let good = key.sign(&good_claims);
    let now = now_secs();
    let [good_header, good_payload, good_sig] = {
        let parts: Vec<&str> = good.split('.').collect();
        [
            parts[0].to_owned(),
            parts[1].to_owned(),
            parts[2].to_owned(),
        ]
    };

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut c = good_claims.clone();
        edit(&mut c);
        c
    };
    let hs256_input = format!(
        "{}.{}",
        base64url::encode(
            json!({"alg": "HS256", "kid": key.kid, "typ": "JWT"})
                .to_string()
                .as_bytes()
        ),
        good_payload
    );
    let hs256_sig =
        hmac_sha256(TestKey::public_pem().as_bytes(), &[hs256_input.as_bytes()]).unwrap();
    let tampered_payload = base64url::encode(
        with(&|c| c["sub"] = json!("user_01MALLORY"))
            .to_string()
            .as_bytes(),
    );
    let mut flipped = base64url::decode(&good_sig).unwrap();
    flipped[10] ^= 0x01;

    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no_header", None, "AUTH_MISSING"),
        ("empty_bearer", Some("Bearer ".into()), "AUTH_MISSING"),
        (
            "wrong_scheme",
            Some("Basic dXNlcjpwYXNz".into()),
            "AUTH_UNSUPPORTED_SCHEME",
        ),
        (
            "token_scheme",
            Some(format!("Token {good}")),
            "AUTH_UNSUPPORTED_SCHEME",
        ),
        (
            "two_tokens",
            Some(format!("Bearer {good}, {good}")),
            "AUTH_MALFORMED",
        ),
        (
            "malformed_not_a_jwt",
            Some(bearer("not-a-jwt")),
            "TOKEN_MALFORMED",
        ),
        (
            "malformed_bad_base64",
            Some(bearer("e30.e30.!!!")),
            "AUTH_MALFORMED",
        ),
        (
            "malformed_header_json",
            Some(bearer(&format!(
                "{}.{good_payload}.{good_sig}",
                base64url::encode(b"{not json")
            ))),
            "TOKEN_MALFORMED",
        ),
        (
            "alg_none",
            Some(bearer(&forge(
                &json!({"alg": "none", "kid": key.kid}),
                &good_claims,
                b"x",
            ))),
            "TOKEN_UNSUPPORTED_ALG",
        ),
        (
            "alg_none_empty_signature",
            Some(bearer(&format!(
                "{}.{good_payload}.",
                base64url::encode(json!({"alg": "none"}).to_string().as_bytes())
            ))),
            "TOKEN_MALFORMED",
        ),
        (
            "hs256_with_the_rsa_public_key_as_secret",
            Some(bearer(&format!(
                "{hs256_input}.{}",
                base64url::encode(&hs256_sig)
            ))),
            "TOKEN_UNSUPPORTED_ALG",
        ),
        (
            "missing_kid",
            Some(bearer(&forge(&json!({"alg": "RS256"}), &good_claims, b"x"))),
            "TOKEN_MISSING_KID",
        ),
        (
            "unknown_kid",
            Some(bearer(
                &key.with_kid("kid-nobody-published").sign(&good_claims),
            )),
            "TOKEN_UNKNOWN_KID",
        ),
        (
            "bad_signature_other_key",
            Some(bearer(&TestKey::two().with_kid(key.kid).sign(&good_claims))),
            "TOKEN_BAD_SIGNATURE",
        ),
        (
            "bad_signature_flipped_bit",
            Some(bearer(&format!(
                "{good_header}.{good_payload}.{}",
                base64url::encode(&flipped)
            ))),
            "TOKEN_BAD_SIGNATURE",
        ),
        (
            "tampered_claims",
            Some(bearer(&format!(
                "{good_header}.{tampered_payload}.{good_sig}"
            ))),
            "TOKEN_BAD_SIGNATURE",
        ),
        (
            "expired",
            Some(bearer(&key.sign(&with(&|c| {
                c["iat"] = json!(now - 3600);
                c["exp"] = json!(now - 3000);
            })))),
            "TOKEN_EXPIRED",
        ),
        (
            "not_yet_valid",
            Some(bearer(&key.sign(&with(&|c| {
                c["nbf"] = json!(now + 3600);
                c["exp"] = json!(now + 7200);
            })))),
            "TOKEN_NOT_YET_VALID",
        ),
        (
            "issued_in_the_future",
            Some(bearer(&key.sign(&with(&|c| c["iat"] = json!(now + 3600))))),
            "TOKEN_IAT_IN_FUTURE",
        ),
        (
            "wrong_issuer",
            Some(bearer(&key.sign(&with(&|c| {
                c["iss"] = json!("https://evil.example/user_management/x")
            })))),
            "TOKEN_WRONG_ISSUER",
        ),
        (
            "missing_sub",
            Some(bearer(&key.sign(&with(&|c| {
                c.as_object_mut().unwrap().remove("sub");
            })))),
            "TOKEN_MISSING_CLAIM",
        ),
        (
            "empty_sub",
            Some(bearer(&key.sign(&with(&|c| c["sub"] = json!(""))))),
            "TOKEN_MISSING_CLAIM",
        ),
        (
            "missing_exp",
            Some(bearer(&key.sign(&with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            })))),
            "TOKEN_MISSING_CLAIM",
        ),
    ];

    let mut failures = Vec::new();
    for (name, header, reason) in &cases {
        let (status, body) = me(&b, header.as_deref()).await;
        let ok = status == 401
            && body["error"]["code"] == "UNAUTHORIZED"
            && body["error"]["details"]["reason"] == *reason;
        if !ok {
            failures.push(format!(
                "{name}: expected 401 {reason}, got {status} {body}"
            ));
        }
    }
    // The good token still works after all that.
    let (status, body) = me(&b, Some(&bearer(&good))).await;
    if status != 200 {
        failures.push(format!("good token after the bad ones: {status} {body}"));
    }
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        b.log_tail()
    );
    // No token or secret reached the log.
    assert!(!b.log().contains(&good_sig), "a token reached the log");
}

#[tokio::test]
async fn jwks_unavailable_is_503_never_a_pass() {
    let workos = FakeWorkos::start(&[&TestKey::one()]).await;
    workos.set_failing(true);
    let b = Backend::start_with(workos.backend_options()).await;
    let token = TestKey::one().sign(&access_token_claims("user_01C", "org_01ACME", "member"));
    let (status, body) = me(&b, Some(&bearer(&token))).await;
    assert_eq!(status, 503, "body: {body}");
    assert_eq!(body["error"]["code"], "PROVIDER_ERROR");
    assert_eq!(body["error"]["details"]["reason"], "JWKS_UNAVAILABLE");
    assert!(workos.jwks_fetches() >= 1);
    // A malformed token is refused without needing the keys at all.
    let (status, _) = me(&b, Some("Bearer nope")).await;
    assert_eq!(status, 401);
    // WorkOS recovers: after the short failure backoff, tokens verify again.
    workos.set_failing(false);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, body) = me(&b, Some(&bearer(&token))).await;
    assert_eq!(status, 200, "body: {body}");
}

#[tokio::test]
async fn unknown_kid_refetches_once_then_accepts_the_rotated_key_and_is_throttled() {
    let (workos, b) = start().await;
    let one = TestKey::one();
    let two = TestKey::two();
    let claims = access_token_claims("user_01DAVE", "org_01ACME", "member");
    let (status, _) = me(&b, Some(&bearer(&one.sign(&claims)))).await;
    assert_eq!(status, 200);
    assert_eq!(
        workos.jwks_fetches(),
        1,
        "the first request fetches the JWKS"
    );

    // WorkOS rotates to key 2: a token signed with it names an unknown kid,
    // which triggers exactly one refetch, after which it verifies.
    workos.rotate(&[&one, &two]);
    let (status, body) = me(&b, Some(&bearer(&two.sign(&claims)))).await;
    assert_eq!(status, 200, "body: {body}\n{}", b.log_tail());
    assert_eq!(workos.jwks_fetches(), 2, "one refetch for the new kid");
    let (status, _) = me(&b, Some(&bearer(&two.sign(&claims)))).await;
    assert_eq!(status, 200);
    assert_eq!(workos.jwks_fetches(), 2, "the new key is cached");

    // Another unknown kid within the minute: refused without any refetch.
    for kid in ["kid-garbage-1", "kid-garbage-2", "kid-garbage-3"] {
        let (status, body) = me(&b, Some(&bearer(&one.with_kid(kid).sign(&claims)))).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["details"]["reason"], "TOKEN_UNKNOWN_KID");
    }
    assert_eq!(
        workos.jwks_fetches(),
        2,
        "unknown-kid refetches are throttled"
    );
}

/// Issue 11, fault 1: on a local run (dev auth on, no `WORKOS_JWKS_URL`)
/// the development key set is the one trusted. A token naming any other
/// `kid`, or an empty one, is refused with 401: there is no WorkOS to ask,
/// so it is never a provider outage (503).
#[tokio::test]
async fn a_local_run_answers_an_unknown_or_empty_kid_with_401_not_503() {
    let b = Backend::start().await;
    let claims = access_token_claims("user_01EVE", "org_01ACME", "member");
    let key = TestKey::one();
    let cases = [
        (
            key.with_kid("no-such-kid").sign(&claims),
            "TOKEN_UNKNOWN_KID",
        ),
        (
            key.with_kid("../../etc/passwd").sign(&claims),
            "TOKEN_UNKNOWN_KID",
        ),
        (key.with_kid("").sign(&claims), "TOKEN_MISSING_KID"),
        (
            forge(&json!({"alg": "RS256", "kid": ""}), &claims, b"x"),
            "TOKEN_MISSING_KID",
        ),
    ];
    for (token, reason) in &cases {
        let (status, body) = me(&b, Some(&bearer(token))).await;
        assert_eq!(
            (status, &body["error"]["details"]["reason"]),
            (401, &json!(reason)),
            "{body}\n{}",
            b.log_tail()
        );
    }
    // The development provider's own tokens still pass.
    let dev = connvo_e2e::api::dev_token(
        &b,
        &json!({"user_id": "user_01EVE", "org_id": "org_01ACME", "role": "member"}),
    )
    .await;
    let (status, body) = me(&b, Some(&bearer(&dev))).await;
    assert_eq!(status, 200, "{body}");
}

/// Issue 11, fault 1, against a JWKS URL: an empty `kid` is refused without
/// any fetch; an unknown `kid` is 401 after at most the rate-limited
/// refetch; a real outage with nothing cached stays 503.
#[tokio::test]
async fn an_empty_kid_fetches_nothing_and_an_unknown_kid_costs_at_most_one_refetch() {
    let workos = FakeWorkos::start(&[&TestKey::one()]).await;
    workos.set_failing(true);
    let b = Backend::start_with(workos.backend_options()).await;
    let claims = access_token_claims("user_01FAY", "org_01ACME", "member");
    let key = TestKey::one();

    let empty = key.with_kid("").sign(&claims);
    let (status, body) = me(&b, Some(&bearer(&empty))).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_MISSING_KID");
    assert_eq!(workos.jwks_fetches(), 0, "an empty kid fetches nothing");

    // WorkOS down, nothing cached: that is an outage, whatever the kid.
    let unknown = key.with_kid("no-such-kid").sign(&claims);
    let (status, body) = me(&b, Some(&bearer(&unknown))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["details"]["reason"], "JWKS_UNAVAILABLE");

    // WorkOS back (after the failure backoff): the unknown kid is a 401,
    // after the key set's fetch and at most one refetch.
    workos.set_failing(false);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let before = workos.jwks_fetches();
    let (status, body) = me(&b, Some(&bearer(&unknown))).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_UNKNOWN_KID");
    assert!(
        workos.jwks_fetches() - before <= 2,
        "a fetch and one refetch"
    );
    let settled = workos.jwks_fetches();
    for kid in ["", "no-such-kid", "../../etc/passwd"] {
        let (status, _) = me(&b, Some(&bearer(&key.with_kid(kid).sign(&claims)))).await;
        assert_eq!(status, 401);
    }
    assert_eq!(workos.jwks_fetches(), settled, "refetches are rate-limited");
    // A good token is accepted with the cached set.
    let (status, body) = me(&b, Some(&bearer(&key.sign(&claims)))).await;
    assert_eq!(status, 200, "{body}");
}
