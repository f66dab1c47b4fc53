//! Signed, time-limited download URLs (rules F1–F6 of `docs/recordings.md`).
//!
//! A URL grants one user one purpose on one file until an expiry:
//!
//! ```text
//! /v1/files/{file_id}?purpose=recording&u={user_id}&exp={expires_at_ms}&sig={hex}
//! ```
//!
//! `sig` is HMAC-SHA256 under the server's file-URL secret over a
//! length-prefixed encoding of (version, file id, purpose, user id, expiry),
//! so no field can bleed into its neighbour. Changing any of them — another
//! file, a later expiry, another user or purpose — breaks the signature;
//! the comparison is constant-time. The secret never leaves the worker.

use std::fmt;

use crate::signature::{from_hex, hmac_sha256, to_hex, verify_hmac_sha256};

/// Domain separation: a MAC made for anything else never verifies here.
const DOMAIN: &[u8] = b"connvo-file-url-v1";

/// The longest lifetime any URL may be issued with (F5): 30 days, the
/// privacy export's window.
pub const MAX_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// The longest file id or user id accepted (bounds the work of a forged URL).
pub const MAX_ID_LEN: usize = 255;

/// What a URL may be used for; part of the signed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A recording track (video or audio).
    Recording,
    /// A transcript file (`txt`, `srt`, `vtt`, `json`).
    Transcript,
    /// A user's privacy export.
    PrivacyExport,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Recording => "recording",
            Purpose::Transcript => "transcript",
            Purpose::PrivacyExport => "privacy_export",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "recording" => Some(Purpose::Recording),
            "transcript" => Some(Purpose::Transcript),
            "privacy_export" => Some(Purpose::PrivacyExport),
            _ => None,
        }
    }
}

/// What a signed URL grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub file_id: String,
    pub purpose: Purpose,
    pub user_id: String,
    pub expires_at_ms: i64,
}

/// Why a URL could not be issued or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// A parameter is missing, empty, too long or not in its format.
    Malformed(&'static str),
    /// Signature does not match: tampered, forged, extended or moved to another file.
    BadSignature,
    /// The expiry has passed.
    Expired,
    /// Issued with a lifetime above [`MAX_TTL_MS`], or already expired.
    BadLifetime,
    /// The secret is empty.
    NoSecret,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Malformed(what) => write!(f, "malformed signed URL: {what}"),
            UrlError::BadSignature => f.write_str("signed URL signature mismatch"),
            UrlError::Expired => f.write_str("signed URL expired"),
            UrlError::BadLifetime => f.write_str("signed URL lifetime out of range"),
            UrlError::NoSecret => f.write_str("no file URL secret configured"),
        }
    }
}

impl std::error::Error for UrlError {}

impl UrlError {
    /// The HTTP status a route answers with: 403 for a bad or expired URL,
    /// 400 for a malformed one, 500 when the server cannot sign.
    pub fn status(&self) -> u16 {
        match self {
            UrlError::Malformed(_) => 400,
            UrlError::BadSignature | UrlError::Expired => 403,
            UrlError::BadLifetime | UrlError::NoSecret => 500,
        }
    }
}

fn check_id(id: &str, what: &'static str) -> Result<(), UrlError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(UrlError::Malformed(what));
    }
    Ok(())
}

/// The length-prefixed fields, in signing order.
fn message_parts(grant: &Grant) -> [Vec<u8>; 4] {
    fn field(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 8);
        out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(bytes);
        out
    }
    [
        field(grant.file_id.as_bytes()),
        field(grant.purpose.as_str().as_bytes()),
        field(grant.user_id.as_bytes()),
        field(&grant.expires_at_ms.to_be_bytes()),
    ]
}

/// The hex signature of a grant (F1).
pub fn sign(secret: &[u8], grant: &Grant) -> Result<String, UrlError> {
    if secret.is_empty() {
        return Err(UrlError::NoSecret);
    }
    check_id(&grant.file_id, "file id")?;
    check_id(&grant.user_id, "user id")?;
    let parts = message_parts(grant);
    let tag = hmac_sha256(
        secret,
        &[DOMAIN, &parts[0], &parts[1], &parts[2], &parts[3]],
    )
    .ok_or(UrlError::NoSecret)?;
    Ok(to_hex(&tag))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Issues a URL path and query for `file_id`, valid for `ttl_ms` from
/// `now_ms` (F5: `0 < ttl_ms <= MAX_TTL_MS`). The caller prefixes its origin.
pub fn issue(
    secret: &[u8],
    file_id: &str,
    purpose: Purpose,
    user_id: &str,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<String, UrlError> {
    if ttl_ms <= 0 || ttl_ms > MAX_TTL_MS {
        return Err(UrlError::BadLifetime);
    }
    let grant = Grant {
        file_id: file_id.to_owned(),
        purpose,
        user_id: user_id.to_owned(),
        expires_at_ms: now_ms.saturating_add(ttl_ms),
    };
    let sig = sign(secret, &grant)?;
    Ok(format!(
        "/v1/files/{}?purpose={}&u={}&exp={}&sig={sig}",
        encode(file_id),
        purpose.as_str(),
        encode(user_id),
        grant.expires_at_ms
    ))
}

/// The query parameters of a signed URL, already percent-decoded by the router.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlParams<'a> {
    pub purpose: Option<&'a str>,
    pub user: Option<&'a str>,
    pub exp: Option<&'a str>,
    pub sig: Option<&'a str>,
}

/// Verifies a request for `file_id` (from the path) against its query (F2–F4).
///
/// The signature is checked before the expiry, so a forged URL learns
/// nothing from the answer; both failures are 403. `expected_purpose` is
/// what the serving route hands out: a transcript URL does not open a
/// recording.
pub fn verify(
    secret: &[u8],
    file_id: &str,
    expected_purpose: Purpose,
    params: UrlParams<'_>,
    now_ms: i64,
) -> Result<Grant, UrlError> {
    if secret.is_empty() {
        return Err(UrlError::NoSecret);
    }
    check_id(file_id, "file id")?;
    let purpose = params
        .purpose
        .and_then(Purpose::parse)
        .ok_or(UrlError::Malformed("purpose"))?;
    let user_id = params.user.ok_or(UrlError::Malformed("u"))?;
    check_id(user_id, "u")?;
    let exp_text = params.exp.ok_or(UrlError::Malformed("exp"))?;
    if exp_text.is_empty() || exp_text.len() > 16 || !exp_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::Malformed("exp"));
    }
    let expires_at_ms: i64 = exp_text.parse().map_err(|_| UrlError::Malformed("exp"))?;
    let sig_text = params.sig.ok_or(UrlError::Malformed("sig"))?;
    let tag = from_hex(sig_text)
        .filter(|t| t.len() == 32)
        .ok_or(UrlError::Malformed("sig"))?;

    let grant = Grant {
        file_id: file_id.to_owned(),
        purpose,
        user_id: user_id.to_owned(),
        expires_at_ms,
    };
    let parts = message_parts(&grant);
    if !verify_hmac_sha256(
        secret,
        &[DOMAIN, &parts[0], &parts[1], &parts[2], &parts[3]],
        &tag,
    ) {
        return Err(UrlError::BadSignature);
    }
    if purpose != expected_purpose {
        return Err(UrlError::BadSignature);
    }
    if now_ms >= expires_at_ms {
        return Err(UrlError::Expired);
    }
    // F5 at verification too: a URL signed with an over-long lifetime by an
    // older build (or a leaked secret used carelessly) is not honoured forever.
    if expires_at_ms.saturating_sub(now_ms) > MAX_TTL_MS {
        return Err(UrlError::BadLifetime);
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"file-url-secret-for-tests-0123456789";
    const NOW: i64 = 1_700_000_000_000;

    /// Splits an issued URL into (file id, params) the way a router would.
    fn parse(url: &str) -> (String, Vec<(String, String)>) {
        let (path, query) = url.split_once('?').unwrap();
        let file = path.strip_prefix("/v1/files/").unwrap();
        let decode = |s: &str| {
            let bytes = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        };
        let pairs = query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_owned(), decode(v))
            })
            .collect();
        (decode(file), pairs)
    }

    fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn params(pairs: &[(String, String)]) -> UrlParams<'_> {
        UrlParams {
            purpose: get(pairs, "purpose"),
            user: get(pairs, "u"),
            exp: get(pairs, "exp"),
            sig: get(pairs, "sig"),
        }
    }

    fn issued() -> (String, Vec<(String, String)>) {
        let url = issue(
            SECRET,
            "rec_1/track a",
            Purpose::Recording,
            "user_1",
            NOW,
            60_000,
        )
        .unwrap();
        parse(&url)
    }

    #[test]
    fn f1_r2_a_fresh_url_verifies_and_names_its_grant() {
        let (file, pairs) = issued();
        assert_eq!(file, "rec_1/track a");
        let grant = verify(
            SECRET,
            &file,
            Purpose::Recording,
            params(&pairs),
            NOW + 59_999,
        )
        .unwrap();
        assert_eq!(grant.user_id, "user_1");
        assert_eq!(grant.expires_at_ms, NOW + 60_000);
    }

    #[test]
    fn f3_an_expired_url_is_refused() {
        let (file, pairs) = issued();
        assert_eq!(
            verify(
                SECRET,
                &file,
                Purpose::Recording,
                params(&pairs),
                NOW + 60_000
            ),
            Err(UrlError::Expired)
        );
        assert_eq!(UrlError::Expired.status(), 403);
    }

    #[test]
    fn f2_a_url_is_not_reusable_for_another_file() {
        let (_, pairs) = issued();
        assert_eq!(
            verify(SECRET, "rec_2", Purpose::Recording, params(&pairs), NOW),
            Err(UrlError::BadSignature)
        );
    }

    #[test]
    fn f2_tampering_with_any_field_breaks_the_signature() {
        let (file, pairs) = issued();
        let later = (NOW + 3_600_000).to_string();
        let mut p = params(&pairs);
        p.exp = Some(&later);
        assert_eq!(
            verify(SECRET, &file, Purpose::Recording, p, NOW),
            Err(UrlError::BadSignature)
        );

        let mut p = params(&pairs);
        p.user = Some("user_2");
        assert_eq!(
            verify(SECRET, &file, Purpose::Recording, p, NOW),
            Err(UrlError::BadSignature)
        );

        let mut p = params(&pairs);
        p.purpose = Some("transcript");
        assert_eq!(
            verify(SECRET, &file, Purpose::Transcript, p, NOW),
            Err(UrlError::BadSignature)
        );

        let sig = get(&pairs, "sig").unwrap();
        let flipped = format!(
            "{}{}",
            if sig.starts_with('0') { "1" } else { "0" },
            &sig[1..]
        );
        let mut p = params(&pairs);
        p.sig = Some(&flipped);
        assert_eq!(
            verify(SECRET, &file, Purpose::Recording, p, NOW),
            Err(UrlError::BadSignature)
        );

        assert_eq!(
            verify(
                b"another-secret",
                &file,
                Purpose::Recording,
                params(&pairs),
                NOW
            ),
            Err(UrlError::BadSignature)
        );
    }

    #[test]
    fn f4_a_url_for_one_purpose_does_not_serve_another() {
        let (file, pairs) = issued();
        assert_eq!(
            verify(SECRET, &file, Purpose::PrivacyExport, params(&pairs), NOW),
            Err(UrlError::BadSignature)
        );
    }

    #[test]
    fn f2_field_boundaries_cannot_be_shifted() {
        // ("ab", "c") and ("a", "bc") must sign differently.
        let a = Grant {
            file_id: "ab".into(),
            purpose: Purpose::Recording,
            user_id: "c".into(),
            expires_at_ms: 1,
        };
        let b = Grant {
            file_id: "a".into(),
            purpose: Purpose::Recording,
            user_id: "bc".into(),
            expires_at_ms: 1,
        };
        assert_ne!(sign(SECRET, &a).unwrap(), sign(SECRET, &b).unwrap());
    }

    #[test]
    fn f5_lifetimes_are_bounded() {
        assert_eq!(
            issue(
                SECRET,
                "f",
                Purpose::PrivacyExport,
                "u",
                NOW,
                MAX_TTL_MS + 1
            ),
            Err(UrlError::BadLifetime)
        );
        assert_eq!(
            issue(SECRET, "f", Purpose::PrivacyExport, "u", NOW, 0),
            Err(UrlError::BadLifetime)
        );
        assert!(issue(SECRET, "f", Purpose::PrivacyExport, "u", NOW, MAX_TTL_MS).is_ok());
        // A validly signed but over-long grant is still refused.
        let grant = Grant {
            file_id: "f".into(),
            purpose: Purpose::PrivacyExport,
            user_id: "u".into(),
            expires_at_ms: NOW + MAX_TTL_MS + 1,
        };
        let sig = sign(SECRET, &grant).unwrap();
        let exp = grant.expires_at_ms.to_string();
        let p = UrlParams {
            purpose: Some("privacy_export"),
            user: Some("u"),
            exp: Some(&exp),
            sig: Some(&sig),
        };
        assert_eq!(
            verify(SECRET, "f", Purpose::PrivacyExport, p, NOW),
            Err(UrlError::BadLifetime)
        );
    }

    #[test]
    fn f6_malformed_urls_are_400_and_no_secret_refuses_to_sign() {
        let (file, pairs) = issued();
        let mut p = params(&pairs);
        p.sig = Some("zz");
        assert_eq!(
            verify(SECRET, &file, Purpose::Recording, p, NOW),
            Err(UrlError::Malformed("sig"))
        );
        let mut p = params(&pairs);
        p.exp = Some("-5");
        assert_eq!(
            verify(SECRET, &file, Purpose::Recording, p, NOW),
            Err(UrlError::Malformed("exp"))
        );
        let mut p = params(&pairs);
        p.user = None;
        assert_eq!(
            verify(SECRET, &file, Purpose::Recording, p, NOW),
            Err(UrlError::Malformed("u"))
        );
        assert_eq!(UrlError::Malformed("u").status(), 400);
        assert_eq!(
            issue(b"", "f", Purpose::Recording, "u", NOW, 1),
            Err(UrlError::NoSecret)
        );
        assert_eq!(
            verify(
                SECRET,
                &"x".repeat(MAX_ID_LEN + 1),
                Purpose::Recording,
                params(&pairs),
                NOW
            ),
            Err(UrlError::Malformed("file id"))
        );
    }
}
