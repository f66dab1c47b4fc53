//! Stream tokens. The expected tokens were computed independently with
//! Python's `hmac`/`base64` over the SDK's header `{"alg":"HS256","typ":"JWT"}`.

use connvo_shared::auth::base64url;
use connvo_shared::auth::stream_token::{
    decode_stream_token, mint_call_token, mint_server_token, mint_user_token, StreamTokenError,
    MAX_TTL_SECS,
};
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;

const SECRET: &str = "stream-secret";
const NOW: i64 = 1_700_000_000;

/// `{"user_id":"user_01TEST","iat":1699999999,"exp":1700003599}`
const USER_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoidXNlcl8wMVRFU1QiLCJpYXQiOjE2OTk5OTk5OTksImV4cCI6MTcwMDAwMzU5OX0.oaEDg18Ewc6fvUuF-84PSXIkxDTmGo2WY0HHxECHghk";
/// `{"user_id":"user_01TEST","iat":1699999999,"exp":1700000599,"call_cids":["default:abc"],"role":"host"}`
const CALL_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoidXNlcl8wMVRFU1QiLCJpYXQiOjE2OTk5OTk5OTksImV4cCI6MTcwMDAwMDU5OSwiY2FsbF9jaWRzIjpbImRlZmF1bHQ6YWJjIl0sInJvbGUiOiJob3N0In0.1dHtmmbin_1OhhkrnHRjkbw28bmrutSdshM6KFpJrT4";
/// `{"server":true}`
const SERVER_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXJ2ZXIiOnRydWV9.Jpl6mXwjnaYy53cH5IZOE2tV3MeAEmhUk01Pn70M1AE";

#[test]
fn user_token_matches_the_independent_vector() {
    assert_eq!(
        mint_user_token(SECRET, "user_01TEST", NOW, 3600).unwrap(),
        USER_TOKEN
    );
}

#[test]
fn call_token_matches_the_independent_vector() {
    let token = mint_call_token(
        SECRET,
        "user_01TEST",
        &["default:abc"],
        Some("host"),
        NOW,
        600,
    );
    assert_eq!(token.unwrap(), CALL_TOKEN);
}

#[test]
fn server_token_matches_the_independent_vector() {
    assert_eq!(mint_server_token(SECRET).unwrap(), SERVER_TOKEN);
}

#[test]
fn user_token_decodes_with_backdated_iat_and_ttl_expiry() {
    let token = mint_user_token(SECRET, "user_1", NOW, 900).unwrap();
    let claims = decode_stream_token(SECRET, &token).unwrap();
    assert_eq!(
        claims,
        json!({"user_id": "user_1", "iat": NOW - 1, "exp": NOW - 1 + 900})
    );
    let header: serde_json::Value =
        serde_json::from_slice(&base64url::decode(token.split('.').next().unwrap()).unwrap())
            .unwrap();
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
}

#[test]
fn call_token_decodes_with_cids_and_optional_role() {
    let token = mint_call_token(
        SECRET,
        "user_1",
        &["default:abc", "default:def"],
        None,
        NOW,
        60,
    );
    let claims = decode_stream_token(SECRET, &token.unwrap()).unwrap();
    assert_eq!(
        claims,
        json!({"user_id": "user_1", "iat": NOW - 1, "exp": NOW + 59,
               "call_cids": ["default:abc", "default:def"]})
    );
    let token = mint_call_token(SECRET, "user_1", &["default:abc"], Some("viewer"), NOW, 60);
    let claims = decode_stream_token(SECRET, &token.unwrap()).unwrap();
    assert_eq!(claims["role"], "viewer");
}

#[test]
fn server_token_has_no_times() {
    let claims = decode_stream_token(SECRET, &mint_server_token(SECRET).unwrap()).unwrap();
    assert_eq!(claims, json!({"server": true}));
}

#[test]
fn ttl_is_capped_at_one_hour_and_must_be_positive() {
    assert!(mint_user_token(SECRET, "u", NOW, MAX_TTL_SECS).is_ok());
    assert_eq!(
        mint_user_token(SECRET, "u", NOW, MAX_TTL_SECS + 1),
        Err(StreamTokenError::InvalidTtl)
    );
    assert_eq!(
        mint_user_token(SECRET, "u", NOW, 0),
        Err(StreamTokenError::InvalidTtl)
    );
    assert_eq!(
        mint_call_token(SECRET, "u", &["default:a"], None, NOW, 7200),
        Err(StreamTokenError::InvalidTtl)
    );
}

#[test]
fn rejects_bad_inputs() {
    assert_eq!(
        mint_user_token(SECRET, "", NOW, 60),
        Err(StreamTokenError::InvalidInput("user_id"))
    );
    assert_eq!(
        mint_user_token(SECRET, "a b", NOW, 60),
        Err(StreamTokenError::InvalidInput("user_id"))
    );
    assert_eq!(
        mint_user_token(SECRET, &"u".repeat(256), NOW, 60),
        Err(StreamTokenError::InvalidInput("user_id"))
    );
    assert_eq!(
        mint_call_token(SECRET, "u", &[], None, NOW, 60),
        Err(StreamTokenError::InvalidInput("call_cids"))
    );
    for cid in ["abc", ":abc", "default:", "a:b:c", "default:a b"] {
        assert_eq!(
            mint_call_token(SECRET, "u", &[cid], None, NOW, 60),
            Err(StreamTokenError::InvalidInput("call_cid")),
            "{cid}"
        );
    }
    assert_eq!(
        mint_call_token(SECRET, "u", &["default:a"], Some(""), NOW, 60),
        Err(StreamTokenError::InvalidInput("role"))
    );
    assert_eq!(
        mint_user_token("", "u", NOW, 60),
        Err(StreamTokenError::SecretNotConfigured)
    );
    assert_eq!(
        mint_server_token(""),
        Err(StreamTokenError::SecretNotConfigured)
    );
}

#[test]
fn decoding_checks_the_signature_and_algorithm() {
    let token = mint_user_token(SECRET, "user_1", NOW, 60).unwrap();
    assert_eq!(
        decode_stream_token("wrong", &token),
        Err(StreamTokenError::BadSignature)
    );
    let (input, _) = token.rsplit_once('.').unwrap();
    let forged_payload = base64url::encode(br#"{"user_id":"admin","iat":0,"exp":9999999999}"#);
    let header = input.split('.').next().unwrap();
    let sig = token.rsplit('.').next().unwrap();
    let tampered = format!("{header}.{forged_payload}.{sig}");
    assert_eq!(
        decode_stream_token(SECRET, &tampered),
        Err(StreamTokenError::BadSignature)
    );
    let none = format!(
        "{}.{}.",
        base64url::encode(br#"{"alg":"none"}"#),
        base64url::encode(br#"{"server":true}"#)
    );
    assert!(decode_stream_token(SECRET, &none).is_err());
    assert!(matches!(
        decode_stream_token(SECRET, "a.b"),
        Err(StreamTokenError::Malformed(_))
    ));
}

#[test]
fn stream_token_errors_map_to_api_errors() {
    let err: ApiError = StreamTokenError::InvalidInput("user_id").into();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(
        err.body()["error"]["details"]["reason"],
        "STREAM_TOKEN_INVALID_INPUT"
    );
    let err: ApiError = StreamTokenError::SecretNotConfigured.into();
    assert_eq!(err.code, ErrorCode::Internal);
}
