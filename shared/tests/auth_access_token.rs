//! WorkOS access-token verification, the bearer header, and the JWKS.
//!
//! The RSA keys under `fixtures/auth_rsa_test_key_*.jwk.json` were made with
//! `openssl genrsa 2048` for these tests only; they sign nothing real. The
//! known-answer token below was signed by Python's `cryptography` package
//! with key 1, independently of our code.

use std::sync::OnceLock;

use connvo_shared::auth::{
    base64url, jwks_from_public_key, parse_bearer, rsa_private_key_from_jwk, sign_access_token,
    verify_access_token, AuthError, KeySet, RsaPrivateKey, VerifyConfig,
};
use connvo_shared::{ApiError, ErrorCode};
use hmac::{Hmac, Mac};
use jwt_compact::{alg::Rsa, Algorithm, AlgorithmSignature};
use serde_json::{json, Value};
use sha2::Sha256;

const CLIENT_ID: &str = "client_01TEST";
const ISSUER: &str = "https://api.workos.com/user_management/client_01TEST";
const KID: &str = "test-key-1";
const NOW: i64 = 1_709_193_600;

/// Signed by Python `cryptography` (PKCS#1 v1.5, SHA-256) with test key 1
/// over header `{"alg":"RS256","kid":"test-key-1","typ":"JWT"}` and the
/// claims in [`known_answer_claims`], serialised with sorted keys.
const KNOWN_ANSWER_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2V5LTEiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjE3MDkxOTM4NTcsImlhdCI6MTcwOTE5MzU1NywiaXNzIjoiaHR0cHM6Ly9hcGkud29ya29zLmNvbS91c2VyX21hbmFnZW1lbnQvY2xpZW50XzAxVEVTVCIsIm9yZ19pZCI6Im9yZ18wMVRFU1QiLCJyb2xlIjoibWVtYmVyIiwic2lkIjoic2Vzc2lvbl8wMVRFU1QiLCJzdWIiOiJ1c2VyXzAxVEVTVCJ9.34g9CGso3HmLb9bNqPRAssOPiIoPVWKAq425LCmULiJaBl-5xbmZG4I-5pFUd6-mKlifLuCDHeQQ9wzr697c67-oWBAYvcGj1jjrwB78TdXdYOdQ1kvyCMHDHmAYQObtLNCF7NLpYFSWP-TzVqE1gjXtwYPUwbpS2kTxEW5t9AR0SW4hhhwdjqu_1JumSyhZtuLJSjjc0n95N7x0TdEDH8coquHCUJwFvZy6W0LKhI6cK_YgryY9Z8ccis9vdL_3RJEM2ds7zfeFNqXzoFOvdozzeHhkvhIZDmbg9QwjV1EnTG4zgKAUC2mahgpAb8XbUWR0XJhtyA8g8bS_IEuA5A";

fn known_answer_claims() -> Value {
    // Keys in sorted order, so the serialisation is the same whether or not
    // serde_json's `preserve_order` is on somewhere in the build.
    json!({
        "exp": 1_709_193_857,
        "iat": 1_709_193_557,
        "iss": ISSUER,
        "org_id": "org_01TEST",
        "role": "member",
        "sid": "session_01TEST",
        "sub": "user_01TEST",
    })
}

fn key1() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        rsa_private_key_from_jwk(include_str!("fixtures/auth_rsa_test_key_1.jwk.json")).unwrap()
    })
}

fn key2() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        rsa_private_key_from_jwk(include_str!("fixtures/auth_rsa_test_key_2.jwk.json")).unwrap()
    })
}

/// Key 1 under `test-key-1`, the way the Worker would build it from WorkOS.
fn keys() -> KeySet {
    let jwks = jwks_from_public_key(&key1().to_public_key(), KID);
    KeySet::from_jwks_json(&jwks.to_string()).unwrap()
}

fn config() -> VerifyConfig {
    VerifyConfig::workos(CLIENT_ID)
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "user_01HBEQKA6K4QJAS93VPE39W1JT",
        "org_id": "org_01HRDMC6CM357W30QMHMQ96Q0S",
        "role": "member",
        "roles": ["member"],
        "permissions": ["posts:read"],
        "entitlements": ["audit-logs"],
        "sid": "session_01HQSXZGF8FHF7A9ZZFCW4387R",
        "jti": "01HQSXZXPPFPKMDD32RKTFY6PV",
        "exp": NOW + 300,
        "iat": NOW,
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn sign(claims: &Value) -> String {
    sign_access_token(claims, key1(), KID)
}

fn verify(token: &str) -> Result<connvo_shared::auth::Identity, AuthError> {
    verify_access_token(token, &keys(), &config(), NOW)
}

fn verify_at(token: &str, now: i64) -> Result<connvo_shared::auth::Identity, AuthError> {
    verify_access_token(token, &keys(), &config(), now)
}

/// A token with an arbitrary header and payload bytes, RS256-signed by `key`.
fn forge_rs256(header: &Value, payload: &[u8], key: &RsaPrivateKey) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(payload)
    );
    let sig = Rsa::rs256().sign(key, input.as_bytes());
    format!("{input}.{}", base64url::encode(&sig.as_bytes()))
}

/// A token with an arbitrary header and claims, HS256-signed with `secret`.
fn forge_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(claims.to_string().as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        base64url::encode(&mac.finalize().into_bytes())
    )
}

fn rs256_header() -> Value {
    json!({"alg": "RS256", "kid": KID, "typ": "JWT"})
}

// ---- known answers ------------------------------------------------------

#[test]
fn verifies_a_token_signed_by_an_independent_implementation() {
    let id = verify_access_token(KNOWN_ANSWER_TOKEN, &keys(), &config(), 1_709_193_600).unwrap();
    assert_eq!(id.user_id, "user_01TEST");
    assert_eq!(id.org_id.as_deref(), Some("org_01TEST"));
    assert_eq!(id.exp, 1_709_193_857);
}

#[test]
fn signer_output_matches_the_independent_vector_byte_for_byte() {
    assert_eq!(sign(&known_answer_claims()), KNOWN_ANSWER_TOKEN);
}

// ---- accepted tokens ------------------------------------------------------

#[test]
fn valid_token_yields_the_full_identity() {
    let id = verify(&sign(&claims())).unwrap();
    assert_eq!(id.user_id, "user_01HBEQKA6K4QJAS93VPE39W1JT");
    assert_eq!(id.org_id.as_deref(), Some("org_01HRDMC6CM357W30QMHMQ96Q0S"));
    assert_eq!(id.role.as_deref(), Some("member"));
    assert_eq!(id.roles, vec!["member"]);
    assert_eq!(id.permissions, vec!["posts:read"]);
    assert_eq!(id.entitlements, vec!["audit-logs"]);
    assert_eq!(
        id.session_id.as_deref(),
        Some("session_01HQSXZGF8FHF7A9ZZFCW4387R")
    );
    assert_eq!(id.email, None);
    assert_eq!(id.impersonator, None);
    assert_eq!(id.exp, NOW + 300);
    assert!(!id.is_org_admin());
}

#[test]
fn minimal_token_has_empty_optional_fields() {
    let minimal = json!({"iss": ISSUER, "sub": "user_1", "exp": NOW + 60});
    let id = verify(&sign(&minimal)).unwrap();
    assert_eq!(id.user_id, "user_1");
    assert_eq!(id.org_id, None);
    assert_eq!(id.role, None);
    assert!(id.roles.is_empty() && id.permissions.is_empty() && id.entitlements.is_empty());
    assert_eq!(id.session_id, None);
}

#[test]
fn impersonation_and_email_are_surfaced() {
    let c = with(claims(), "act", json!({"sub": "admin@foocorp.com"}));
    let c = with(c, "email", json!("ada@example.com"));
    let c = with(c, "role", json!("admin"));
    let id = verify(&sign(&c)).unwrap();
    assert_eq!(id.impersonator.as_deref(), Some("admin@foocorp.com"));
    assert_eq!(id.email.as_deref(), Some("ada@example.com"));
    assert!(id.is_org_admin());
}

#[test]
fn accepts_each_default_workos_issuer() {
    for iss in [
        "https://api.workos.com",
        "https://api.workos.com/",
        "https://api.workos.com/user_management/client_01TEST",
    ] {
        let token = sign(&with(claims(), "iss", json!(iss)));
        assert!(verify(&token).is_ok(), "{iss}");
    }
}

#[test]
fn accepts_a_configured_custom_issuer() {
    let token = sign(&with(claims(), "iss", json!("https://auth.connvo.example")));
    assert_eq!(verify(&token), Err(AuthError::WrongIssuer));
    let config = config().with_issuer("https://auth.connvo.example");
    assert!(verify_access_token(&token, &keys(), &config, NOW).is_ok());
}

#[test]
fn skew_edge_expiry_exactly_60s_late_is_accepted_61s_is_not() {
    let token = sign(&with(claims(), "exp", json!(NOW)));
    assert!(verify_at(&token, NOW + 60).is_ok());
    assert_eq!(verify_at(&token, NOW + 61), Err(AuthError::Expired));
}

#[test]
fn skew_edge_nbf_exactly_60s_ahead_is_accepted_61s_is_not() {
    let at_edge = sign(&with(claims(), "nbf", json!(NOW + 60)));
    assert!(verify(&at_edge).is_ok());
    let beyond = sign(&with(claims(), "nbf", json!(NOW + 61)));
    assert_eq!(verify(&beyond), Err(AuthError::NotYetValid));
}

#[test]
fn skew_edge_iat_exactly_60s_ahead_is_accepted_61s_is_not() {
    let at_edge = sign(&with(claims(), "iat", json!(NOW + 60)));
    assert!(verify(&at_edge).is_ok());
    let beyond = sign(&with(claims(), "iat", json!(NOW + 61)));
    assert_eq!(verify(&beyond), Err(AuthError::IssuedInFuture));
}

#[test]
fn leeway_is_configurable_and_capped_at_60s() {
    let token = sign(&with(claims(), "exp", json!(NOW)));
    let tight = config().with_leeway_secs(10);
    assert!(verify_access_token(&token, &keys(), &tight, NOW + 10).is_ok());
    assert_eq!(
        verify_access_token(&token, &keys(), &tight, NOW + 11),
        Err(AuthError::Expired)
    );
    let wide = config().with_leeway_secs(3600);
    assert_eq!(wide.leeway_secs(), 60);
    assert_eq!(
        verify_access_token(&token, &keys(), &wide, NOW + 61),
        Err(AuthError::Expired)
    );
}

#[test]
fn audience_is_ignored_when_not_configured() {
    assert!(verify(&sign(&claims())).is_ok());
    assert!(verify(&sign(&with(claims(), "aud", json!("anything")))).is_ok());
}

#[test]
fn audience_is_enforced_when_configured() {
    let config = config().with_audience("connvo-api");
    let check = |c: Value| verify_access_token(&sign(&c), &keys(), &config, NOW);
    assert!(check(with(claims(), "aud", json!("connvo-api"))).is_ok());
    assert!(check(with(claims(), "aud", json!(["other", "connvo-api"]))).is_ok());
    assert_eq!(
        check(with(claims(), "aud", json!("other"))),
        Err(AuthError::WrongAudience)
    );
    assert_eq!(
        check(with(claims(), "aud", json!(["other"]))),
        Err(AuthError::WrongAudience)
    );
    assert_eq!(check(claims()), Err(AuthError::MissingClaim("aud")));
}

#[test]
fn fractional_numeric_dates_are_accepted() {
    let token = sign(&with(claims(), "exp", json!((NOW + 10) as f64 + 0.5)));
    assert_eq!(verify(&token).unwrap().exp, NOW + 10);
}

// ---- algorithm attacks --------------------------------------------------------

#[test]
fn rejects_alg_none() {
    let header = base64url::encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url::encode(claims().to_string().as_bytes());
    // Unsecured JWTs have an empty signature; try a non-empty one too.
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}.AAAA"),
    ] {
        let err = verify(&token).unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::UnsupportedAlgorithm | AuthError::Malformed(_)
            ),
            "{err:?}"
        );
    }
    let with_sig = format!("{header}.{payload}.AAAA");
    assert_eq!(verify(&with_sig), Err(AuthError::UnsupportedAlgorithm));
    for alg in ["none", "None", "NONE"] {
        let h = base64url::encode(json!({"alg": alg, "kid": KID}).to_string().as_bytes());
        assert_eq!(
            verify(&format!("{h}.{payload}.AAAA")),
            Err(AuthError::UnsupportedAlgorithm)
        );
    }
}

#[test]
fn rejects_hs256_signed_with_the_rsa_public_key_as_hmac_secret() {
    let header = json!({"alg": "HS256", "kid": KID, "typ": "JWT"});
    let public = key1().to_public_key();
    let jwk = connvo_shared::auth::jwk_from_public_key(&public, KID);
    let n = base64url::decode(jwk["n"].as_str().unwrap()).unwrap();
    let pem = include_bytes!("fixtures/auth_rsa_test_key_1.pub.pem");
    let jwk_text = jwk.to_string();
    let secrets: [&[u8]; 4] = [
        pem,
        &n,
        jwk_text.as_bytes(),
        jwk["n"].as_str().unwrap().as_bytes(),
    ];
    for secret in secrets {
        let token = forge_hs256(&header, &claims(), secret);
        assert_eq!(verify(&token), Err(AuthError::UnsupportedAlgorithm));
    }
}

#[test]
fn rejects_other_rsa_and_unknown_algorithms() {
    for alg in ["RS384", "RS512", "PS256", "ES256", "rs256", ""] {
        let header = json!({"alg": alg, "kid": KID});
        let token = forge_rs256(&header, claims().to_string().as_bytes(), key1());
        assert_eq!(
            verify(&token),
            Err(AuthError::UnsupportedAlgorithm),
            "{alg}"
        );
    }
    let no_alg = forge_rs256(
        &json!({"kid": KID}),
        claims().to_string().as_bytes(),
        key1(),
    );
    assert_eq!(verify(&no_alg), Err(AuthError::UnsupportedAlgorithm));
}

// ---- keys and signatures ------------------------------------------------------

#[test]
fn rejects_unknown_kid_as_its_own_error() {
    let token = sign_access_token(&claims(), key1(), "rotated-key");
    let err = verify(&token).unwrap_err();
    assert_eq!(
        err,
        AuthError::UnknownKeyId {
            kid: "rotated-key".into()
        }
    );
    assert!(err.is_unknown_key());
    assert_eq!(err.code(), "TOKEN_UNKNOWN_KID");
}

#[test]
fn unknown_kid_verifies_after_the_key_set_is_refreshed() {
    // What the Worker does: refetch the JWKS once, then retry.
    let token = sign_access_token(&claims(), key2(), "test-key-2");
    assert!(verify(&token).unwrap_err().is_unknown_key());
    let mut refreshed = keys();
    refreshed.insert("test-key-2", key2().to_public_key());
    assert!(verify_access_token(&token, &refreshed, &config(), NOW).is_ok());
}

#[test]
fn rejects_token_without_kid() {
    let token = forge_rs256(
        &json!({"alg": "RS256"}),
        claims().to_string().as_bytes(),
        key1(),
    );
    assert_eq!(verify(&token), Err(AuthError::MissingKeyId));
    // An empty one is no better (and must never send the Worker fetching keys).
    let token = forge_rs256(
        &json!({"alg": "RS256", "kid": ""}),
        claims().to_string().as_bytes(),
        key1(),
    );
    assert_eq!(verify(&token), Err(AuthError::MissingKeyId));
}

#[test]
fn rejects_bad_signature() {
    let token = sign(&claims());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut sig = base64url::decode(sig).unwrap();
    sig[10] ^= 0x01;
    let flipped = format!("{input}.{}", base64url::encode(&sig));
    assert_eq!(verify(&flipped), Err(AuthError::BadSignature));
    // A truncated signature is a bad signature too, not a panic.
    let short = format!("{input}.{}", base64url::encode(&sig[..100]));
    assert_eq!(verify(&short), Err(AuthError::BadSignature));
}

#[test]
fn rejects_signature_by_another_key_under_a_known_kid() {
    let token = sign_access_token(&claims(), key2(), KID);
    assert_eq!(verify(&token), Err(AuthError::BadSignature));
}

#[test]
fn rejects_tampered_claims() {
    let token = sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let elevated = with(claims(), "role", json!("admin"));
    let forged_payload = base64url::encode(elevated.to_string().as_bytes());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(verify(&tampered), Err(AuthError::BadSignature));
    let other_user = with(claims(), "sub", json!("user_victim"));
    let forged_payload = base64url::encode(other_user.to_string().as_bytes());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(verify(&tampered), Err(AuthError::BadSignature));
}

#[test]
fn rejects_tampered_header() {
    let token = sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let header = base64url::encode(
        json!({"alg":"RS256","kid":KID,"typ":"at+jwt"})
            .to_string()
            .as_bytes(),
    );
    let tampered = format!("{header}.{}.{}", parts[1], parts[2]);
    assert_eq!(verify(&tampered), Err(AuthError::BadSignature));
}

#[test]
fn rejects_critical_header_extensions() {
    let header = json!({"alg": "RS256", "kid": KID, "crit": ["exp"], "exp": 1});
    let token = forge_rs256(&header, claims().to_string().as_bytes(), key1());
    assert!(matches!(verify(&token), Err(AuthError::Malformed(_))));
}

// ---- claim checks ---------------------------------------------------------------

#[test]
fn rejects_expired() {
    let token = sign(&with(claims(), "exp", json!(NOW - 3600)));
    assert_eq!(verify(&token), Err(AuthError::Expired));
}

#[test]
fn rejects_not_yet_valid() {
    let token = sign(&with(claims(), "nbf", json!(NOW + 600)));
    assert_eq!(verify(&token), Err(AuthError::NotYetValid));
}

#[test]
fn rejects_iat_in_the_future() {
    let token = sign(&with(claims(), "iat", json!(NOW + 600)));
    assert_eq!(verify(&token), Err(AuthError::IssuedInFuture));
}

#[test]
fn rejects_wrong_issuer() {
    for iss in [
        "https://evil.example",
        "https://api.workos.com/user_management/client_OTHER",
        "https://api.workos.com.evil.example",
        "http://api.workos.com",
        "",
    ] {
        let token = sign(&with(claims(), "iss", json!(iss)));
        assert_eq!(verify(&token), Err(AuthError::WrongIssuer), "{iss}");
    }
}

#[test]
fn rejects_missing_issuer() {
    let token = sign(&without(claims(), "iss"));
    assert_eq!(verify(&token), Err(AuthError::MissingClaim("iss")));
}

#[test]
fn rejects_missing_sub() {
    assert_eq!(
        verify(&sign(&without(claims(), "sub"))),
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(
        verify(&sign(&with(claims(), "sub", json!("")))),
        Err(AuthError::MissingClaim("sub"))
    );
}

#[test]
fn rejects_missing_exp() {
    assert_eq!(
        verify(&sign(&without(claims(), "exp"))),
        Err(AuthError::MissingClaim("exp"))
    );
}

#[test]
fn rejects_claims_of_the_wrong_type() {
    for (key, value) in [
        ("sub", json!(42)),
        ("exp", json!("1709193900")),
        ("roles", json!("member")),
        ("act", json!("admin")),
        ("aud", json!(7)),
    ] {
        let token = sign(&with(claims(), key, value));
        assert_eq!(verify(&token), Err(AuthError::Malformed("claims")), "{key}");
    }
}

// ---- malformed tokens -------------------------------------------------------------

#[test]
fn rejects_token_without_three_parts() {
    let token = sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    for bad in [
        String::new(),
        "abc".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}.{}", parts[2]),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
    ] {
        assert!(
            matches!(verify(&bad), Err(AuthError::Malformed(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn rejects_bad_base64() {
    let token = sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    for bad in [
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}/", parts[0], parts[1], parts[2]),
        format!("{}.{}.{} ", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}*", parts[0], parts[1], parts[2]),
    ] {
        assert!(
            matches!(verify(&bad), Err(AuthError::Malformed(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn rejects_bad_json() {
    // Header that is not JSON.
    let payload = base64url::encode(claims().to_string().as_bytes());
    let header = base64url::encode(b"{not json");
    assert_eq!(
        verify(&format!("{header}.{payload}.AAAA")),
        Err(AuthError::Malformed("header"))
    );
    // Properly signed payloads that are not a claims object.
    for payload in [&b"not json"[..], b"[1,2]", b"null", b"\"sub\""] {
        let token = forge_rs256(&rs256_header(), payload, key1());
        assert_eq!(verify(&token), Err(AuthError::Malformed("claims")));
    }
    // Duplicate claims are ambiguous: refused rather than first- or last-wins.
    let dup = format!(
        r#"{{"iss":"{ISSUER}","sub":"user_a","sub":"user_b","exp":{}}}"#,
        NOW + 60
    );
    let token = forge_rs256(&rs256_header(), dup.as_bytes(), key1());
    assert_eq!(verify(&token), Err(AuthError::Malformed("claims")));
}

#[test]
fn rejects_oversized_token() {
    let c = with(claims(), "padding", json!("x".repeat(20_000)));
    assert!(matches!(verify(&sign(&c)), Err(AuthError::Malformed(_))));
}

// ---- Authorization header ------------------------------------------------------------

#[test]
fn bearer_scheme_is_case_insensitive() {
    for header in [
        "Bearer abc.def.ghi",
        "bearer abc.def.ghi",
        "BEARER abc.def.ghi",
        "  Bearer   abc.def.ghi  ",
    ] {
        assert_eq!(parse_bearer(Some(header)), Ok("abc.def.ghi"), "{header:?}");
    }
}

#[test]
fn rejects_wrong_authorization_scheme() {
    for header in [
        "Basic dXNlcjpwYXNz",
        "Token abc.def.ghi",
        "Bearerabc.def.ghi",
        "Digest x",
        "abc.def.ghi",
    ] {
        assert_eq!(
            parse_bearer(Some(header)),
            Err(AuthError::UnsupportedScheme),
            "{header:?}"
        );
    }
}

#[test]
fn rejects_missing_authorization() {
    for header in [
        None,
        Some(""),
        Some("   "),
        Some("Bearer"),
        Some("Bearer   "),
    ] {
        assert_eq!(
            parse_bearer(header),
            Err(AuthError::MissingCredentials),
            "{header:?}"
        );
    }
}

#[test]
fn rejects_malformed_bearer_value() {
    for header in [
        "Bearer a b",
        "Bearer a,b",
        "Bearer a\"b",
        "Bearer tok\u{e9}n",
    ] {
        assert_eq!(
            parse_bearer(Some(header)),
            Err(AuthError::MalformedAuthorization),
            "{header:?}"
        );
    }
}

#[test]
fn auth_errors_are_401_with_a_stable_reason() {
    let err: ApiError = AuthError::Expired.into();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.status(), 401);
    assert_eq!(err.body()["error"]["details"]["reason"], "TOKEN_EXPIRED");
}

// ---- JWKS --------------------------------------------------------------------------------

#[test]
fn jwks_keeps_rsa_signing_keys_and_skips_the_rest() {
    let public = key1().to_public_key();
    let good = connvo_shared::auth::jwk_from_public_key(&public, KID);
    let mut enc = good.clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc-key");
    let mut rs512 = good.clone();
    rs512["alg"] = json!("RS512");
    rs512["kid"] = json!("rs512-key");
    let mut no_kid = good.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    let mut bare = good.clone(); // no `use`/`alg`: allowed
    bare["kid"] = json!("bare");
    bare.as_object_mut().unwrap().remove("use");
    bare.as_object_mut().unwrap().remove("alg");
    let ec = json!({"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"});
    let doc = json!({"keys": [ec, enc, rs512, no_kid, good, bare]});
    let set = KeySet::from_jwks_json(&doc.to_string()).unwrap();
    assert_eq!(set.kids().collect::<Vec<_>>(), vec![KID, "bare"]);
}

#[test]
fn jwks_first_key_wins_for_a_repeated_kid() {
    let first = connvo_shared::auth::jwk_from_public_key(&key1().to_public_key(), KID);
    let second = connvo_shared::auth::jwk_from_public_key(&key2().to_public_key(), KID);
    let set = KeySet::from_jwks_json(&json!({"keys": [first, second]}).to_string()).unwrap();
    assert_eq!(set.len(), 1);
    assert!(verify_access_token(&sign(&claims()), &set, &config(), NOW).is_ok());
}

#[test]
fn jwks_document_has_the_workos_shape() {
    let doc = jwks_from_public_key(&key1().to_public_key(), KID);
    let key = &doc["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["kid"], KID);
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/auth_rsa_test_key_1.jwk.json")).unwrap();
    assert_eq!(key["n"], fixture["n"]);
}

#[test]
fn private_key_loader_rejects_garbage() {
    assert!(rsa_private_key_from_jwk("{}").is_err());
    assert!(rsa_private_key_from_jwk("not json").is_err());
    // A public JWK has no private parts.
    let public = jwks_from_public_key(&key1().to_public_key(), KID)["keys"][0].to_string();
    assert!(rsa_private_key_from_jwk(&public).is_err());
}
