//! Webhook signatures. The hex digests below were computed independently
//! with Python's `hmac` module, e.g.
//! `python3 -c "import hmac,hashlib;print(hmac.new(b'secret', b'body', hashlib.sha256).hexdigest())"`.

use connvo_shared::signature::{
    constant_time_eq, from_hex, hmac_sha256_hex, is_gzip, parse_workos_signature, secret_eq,
    sign_workos_webhook, to_hex, verify_stream_webhook, verify_workos_webhook, SignatureError,
    WORKOS_DEFAULT_TOLERANCE_MS,
};
use connvo_shared::{ApiError, ErrorCode};

const STREAM_KEY: &str = "stream-api-key";
const STREAM_SECRET: &str = "stream-secret";
const STREAM_BODY: &[u8] =
    br#"{"type":"call.created","created_at":"2024-10-16T04:15:01.911604755Z","call_cid":"default:abc"}"#;
/// python: hmac.new(b'stream-secret', STREAM_BODY, sha256).hexdigest()
const STREAM_SIG: &str = "e881d31664ae7a34edb7a478f6e9843bf6da5c17b4f08cabae66fb3b02b3f589";

const WORKOS_SECRET: &str = "workos-secret";
const WORKOS_BODY: &[u8] =
    br#"{"id":"event_01","event":"user.created","data":{},"created_at":"2024-01-01T00:00:00.000Z"}"#;
const WORKOS_T: u64 = 1_700_000_000_000;
/// python: hmac.new(b'workos-secret', b'1700000000000.' + WORKOS_BODY, sha256).hexdigest()
const WORKOS_SIG: &str = "d2d5b449b60334029328bea13380a1a04313186061b778d9514f592ced4f1ae6";

fn workos_header() -> String {
    format!("t={WORKOS_T}, v1={WORKOS_SIG}")
}

// ---- HMAC helpers -----------------------------------------------------------

#[test]
fn hmac_known_answers() {
    assert_eq!(
        hmac_sha256_hex(b"secret", b"body").unwrap(),
        "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355"
    );
    // RFC 4231 test case 2.
    assert_eq!(
        hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?").unwrap(),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hmac_sha256_hex(STREAM_SECRET.as_bytes(), STREAM_BODY).unwrap(),
        STREAM_SIG
    );
}

#[test]
fn hex_round_trips_and_rejects_garbage() {
    assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
    assert_eq!(from_hex("00abff"), Some(vec![0x00, 0xab, 0xff]));
    assert_eq!(from_hex("00ABFF"), Some(vec![0x00, 0xab, 0xff]));
    assert_eq!(from_hex("abc"), None);
    assert_eq!(from_hex("zz"), None);
    assert_eq!(from_hex(""), Some(vec![]));
}

#[test]
fn constant_time_comparisons() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"abcd"));
    assert!(secret_eq(b"key", b"key"));
    assert!(!secret_eq(b"key", b"key2"));
    assert!(!secret_eq(b"", b"key"));
}

#[test]
fn gzip_magic_is_detected() {
    assert!(is_gzip(&[0x1f, 0x8b, 0x08, 0x00]));
    assert!(!is_gzip(b"{\"type\":1}"));
    assert!(!is_gzip(&[0x1f]));
    assert!(!is_gzip(&[]));
}

// ---- Stream ---------------------------------------------------------------------

fn stream(key: Option<&str>, sig: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    verify_stream_webhook(STREAM_KEY, STREAM_SECRET, key, sig, body)
}

#[test]
fn stream_accepts_the_known_signature() {
    assert_eq!(
        stream(Some(STREAM_KEY), Some(STREAM_SIG), STREAM_BODY),
        Ok(())
    );
    // Hex case is not significant.
    let upper = STREAM_SIG.to_ascii_uppercase();
    assert_eq!(stream(Some(STREAM_KEY), Some(&upper), STREAM_BODY), Ok(()));
}

#[test]
fn stream_rejects_a_modified_body() {
    let mut body = STREAM_BODY.to_vec();
    body[10] ^= 1;
    assert_eq!(
        stream(Some(STREAM_KEY), Some(STREAM_SIG), &body),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn stream_rejects_a_wrong_or_truncated_signature() {
    let wrong = hmac_sha256_hex(b"other-secret", STREAM_BODY).unwrap();
    assert_eq!(
        stream(Some(STREAM_KEY), Some(&wrong), STREAM_BODY),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        stream(Some(STREAM_KEY), Some(&STREAM_SIG[..62]), STREAM_BODY),
        Err(SignatureError::MalformedHeader("X-Signature"))
    );
    assert_eq!(
        stream(Some(STREAM_KEY), Some("sha256=abc"), STREAM_BODY),
        Err(SignatureError::MalformedHeader("X-Signature"))
    );
}

#[test]
fn stream_rejects_a_wrong_api_key() {
    assert_eq!(
        stream(Some("someone-else"), Some(STREAM_SIG), STREAM_BODY),
        Err(SignatureError::ApiKeyMismatch)
    );
    assert_eq!(
        stream(Some(""), Some(STREAM_SIG), STREAM_BODY),
        Err(SignatureError::ApiKeyMismatch)
    );
}

#[test]
fn stream_rejects_missing_headers() {
    assert_eq!(
        stream(None, Some(STREAM_SIG), STREAM_BODY),
        Err(SignatureError::MissingHeader("X-Api-Key"))
    );
    assert_eq!(
        stream(Some(STREAM_KEY), None, STREAM_BODY),
        Err(SignatureError::MissingHeader("X-Signature"))
    );
    assert_eq!(
        stream(Some(STREAM_KEY), Some("  "), STREAM_BODY),
        Err(SignatureError::MissingHeader("X-Signature"))
    );
}

#[test]
fn stream_refuses_a_still_compressed_body() {
    let gz = [0x1f, 0x8b, 0x08, 0x00, 0x00];
    let sig = hmac_sha256_hex(STREAM_SECRET.as_bytes(), &gz).unwrap();
    assert_eq!(
        stream(Some(STREAM_KEY), Some(&sig), &gz),
        Err(SignatureError::CompressedBody)
    );
}

#[test]
fn stream_refuses_to_verify_without_configuration() {
    assert_eq!(
        verify_stream_webhook("", STREAM_SECRET, Some(""), Some(STREAM_SIG), STREAM_BODY),
        Err(SignatureError::SecretNotConfigured)
    );
    let empty_key_sig = hmac_sha256_hex(b"", STREAM_BODY).unwrap();
    assert_eq!(
        verify_stream_webhook(
            STREAM_KEY,
            "",
            Some(STREAM_KEY),
            Some(&empty_key_sig),
            STREAM_BODY
        ),
        Err(SignatureError::SecretNotConfigured)
    );
}

// ---- WorkOS ---------------------------------------------------------------------

fn workos(header: Option<&str>, body: &[u8], now_ms: u64) -> Result<(), SignatureError> {
    verify_workos_webhook(
        WORKOS_SECRET,
        header,
        body,
        now_ms,
        WORKOS_DEFAULT_TOLERANCE_MS,
    )
}

#[test]
fn workos_accepts_the_known_signature() {
    assert_eq!(
        workos(Some(&workos_header()), WORKOS_BODY, WORKOS_T),
        Ok(())
    );
}

#[test]
fn workos_signer_produces_the_known_header() {
    assert_eq!(
        sign_workos_webhook(WORKOS_SECRET, WORKOS_BODY, WORKOS_T).unwrap(),
        workos_header()
    );
}

#[test]
fn workos_header_parts_in_either_order_with_any_spacing() {
    for header in [
        format!("t={WORKOS_T},v1={WORKOS_SIG}"),
        format!("v1={WORKOS_SIG}, t={WORKOS_T}"),
        format!("  t = {WORKOS_T} ,  v1 = {WORKOS_SIG}  "),
        format!("t={WORKOS_T}, v0=ignored, v1={WORKOS_SIG}"),
    ] {
        assert_eq!(
            workos(Some(&header), WORKOS_BODY, WORKOS_T),
            Ok(()),
            "{header}"
        );
    }
    let header = workos_header();
    let parsed = parse_workos_signature(&header).unwrap();
    assert_eq!(parsed.timestamp, "1700000000000");
    assert_eq!(parsed.timestamp_ms, WORKOS_T);
    assert_eq!(to_hex(&parsed.v1), WORKOS_SIG);
}

#[test]
fn workos_tolerance_is_180s_either_way_inclusive() {
    let h = workos_header();
    assert_eq!(workos(Some(&h), WORKOS_BODY, WORKOS_T + 180_000), Ok(()));
    assert_eq!(workos(Some(&h), WORKOS_BODY, WORKOS_T - 180_000), Ok(()));
    assert_eq!(
        workos(Some(&h), WORKOS_BODY, WORKOS_T + 180_001),
        Err(SignatureError::TimestampOutOfTolerance)
    );
    assert_eq!(
        workos(Some(&h), WORKOS_BODY, WORKOS_T - 180_001),
        Err(SignatureError::TimestampOutOfTolerance)
    );
}

#[test]
fn workos_tolerance_is_configurable() {
    let h = workos_header();
    assert_eq!(
        verify_workos_webhook(
            WORKOS_SECRET,
            Some(&h),
            WORKOS_BODY,
            WORKOS_T + 31_000,
            30_000
        ),
        Err(SignatureError::TimestampOutOfTolerance)
    );
    assert_eq!(
        verify_workos_webhook(
            WORKOS_SECRET,
            Some(&h),
            WORKOS_BODY,
            WORKOS_T + 30_000,
            30_000
        ),
        Ok(())
    );
}

#[test]
fn workos_rejects_modified_body_timestamp_or_secret() {
    let mut body = WORKOS_BODY.to_vec();
    body[5] ^= 1;
    assert_eq!(
        workos(Some(&workos_header()), &body, WORKOS_T),
        Err(SignatureError::Mismatch)
    );
    // Moving the timestamp (to dodge the replay window) breaks the MAC.
    let moved = format!("t={}, v1={WORKOS_SIG}", WORKOS_T + 60_000);
    assert_eq!(
        workos(Some(&moved), WORKOS_BODY, WORKOS_T + 60_000),
        Err(SignatureError::Mismatch)
    );
    // The timestamp is signed as sent: a leading zero is a different message.
    let padded = format!("t=0{WORKOS_T}, v1={WORKOS_SIG}");
    assert_eq!(
        workos(Some(&padded), WORKOS_BODY, WORKOS_T),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_workos_webhook(
            "other-secret",
            Some(&workos_header()),
            WORKOS_BODY,
            WORKOS_T,
            WORKOS_DEFAULT_TOLERANCE_MS
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn workos_rejects_malformed_headers() {
    for header in [
        format!("v1={WORKOS_SIG}"),
        format!("t={WORKOS_T}"),
        format!("t=abc, v1={WORKOS_SIG}"),
        format!("t=-1, v1={WORKOS_SIG}"),
        format!("t=, v1={WORKOS_SIG}"),
        format!("t={WORKOS_T}, v1=xyz"),
        format!("t={WORKOS_T}, v1={}", &WORKOS_SIG[..40]),
        format!("t={WORKOS_T}, t={WORKOS_T}, v1={WORKOS_SIG}"),
        format!("t={WORKOS_T}, v1={WORKOS_SIG}, v1={WORKOS_SIG}"),
        format!("t={WORKOS_T} v1={WORKOS_SIG}"),
        "garbage".to_owned(),
        format!("t=99999999999999999999999, v1={WORKOS_SIG}"),
    ] {
        assert!(
            matches!(
                workos(Some(&header), WORKOS_BODY, WORKOS_T),
                Err(SignatureError::MalformedHeader(_))
            ),
            "{header}"
        );
    }
}

#[test]
fn workos_rejects_missing_header_and_missing_secret() {
    assert_eq!(
        workos(None, WORKOS_BODY, WORKOS_T),
        Err(SignatureError::MissingHeader("WorkOS-Signature"))
    );
    assert_eq!(
        workos(Some(" "), WORKOS_BODY, WORKOS_T),
        Err(SignatureError::MissingHeader("WorkOS-Signature"))
    );
    assert_eq!(
        verify_workos_webhook("", Some(&workos_header()), WORKOS_BODY, WORKOS_T, 1),
        Err(SignatureError::SecretNotConfigured)
    );
}

#[test]
fn signature_errors_map_to_api_errors() {
    let err: ApiError = SignatureError::Mismatch.into();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(
        err.body()["error"]["details"]["reason"],
        "SIGNATURE_MISMATCH"
    );
    let err: ApiError = SignatureError::SecretNotConfigured.into();
    assert_eq!(err.code, ErrorCode::Internal);
    let err: ApiError = SignatureError::TimestampOutOfTolerance.into();
    assert_eq!(
        err.body()["error"]["details"]["reason"],
        "SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE"
    );
}
