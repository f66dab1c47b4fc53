//! Verifying WorkOS AuthKit access tokens (RS256 JWTs), and signing tokens
//! of the same shape for the local-development identity provider and tests.
//!
//! The checks follow RFC 8725 (JWT best current practice): the algorithm is
//! pinned to RS256 before any key is chosen, so `alg: none` and the
//! HS256-with-the-public-key confusion attack never reach a verifier; the key
//! is chosen by `kid` from a JWKS we fetched; claims are parsed only after the
//! signature checks out.

use jwt_compact::alg::{Rsa, RsaPrivateKey, RsaPublicKey, RsaSignature};
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde::{Deserialize, Deserializer};

use super::{jws, AuthError, Identity, KeySet, VerifyConfig};

/// A `kid` longer than this is kept only in truncated form in errors.
const MAX_REPORTED_KID_LEN: usize = 64;

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    #[serde(default, deserialize_with = "numeric_date")]
    exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    nbf: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    iat: Option<i64>,
    org_id: Option<String>,
    role: Option<String>,
    roles: Option<Vec<String>>,
    permissions: Option<Vec<String>>,
    entitlements: Option<Vec<String>>,
    sid: Option<String>,
    email: Option<String>,
    act: Option<Actor>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Actor {
    sub: Option<String>,
}

/// RFC 7519 NumericDate: seconds, possibly fractional. Fractions are
/// floored; out-of-range values saturate (they fail the time checks anyway).
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    if n.as_u64().is_some() {
        return Ok(Some(i64::MAX));
    }
    match n.as_f64() {
        // `as` saturates for finite floats, which is what we want here.
        Some(f) if f.is_finite() => Ok(Some(f.floor() as i64)),
        _ => Err(serde::de::Error::custom("invalid NumericDate")),
    }
}

/// Verifies a WorkOS access token and returns who it names.
///
/// `now_secs` is the current unix time. On [`AuthError::UnknownKeyId`] the
/// caller should refetch the JWKS once (keys rotate) and call again.
pub fn verify_access_token(
    token: &str,
    keys: &KeySet,
    config: &VerifyConfig,
    now_secs: i64,
) -> Result<Identity, AuthError> {
    verify_access_token_full(token, keys, config, now_secs).map(|v| v.identity)
}

/// A verified access token: who it names, and when it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub identity: Identity,
    /// `iat`, unix seconds, when present. The Worker compares it with the
    /// time of the last WorkOS membership event it applied, so a token
    /// minted before a demotion cannot undo it.
    pub issued_at: Option<i64>,
}

/// [`verify_access_token`], also returning the token's issue time. The
/// signature is checked here in Rust; the Worker checks it with the
/// runtime's WebCrypto instead ([`SignedToken`]), with the same rules.
pub fn verify_access_token_full(
    token: &str,
    keys: &KeySet,
    config: &VerifyConfig,
    now_secs: i64,
) -> Result<VerifiedToken, AuthError> {
    let signed = prepare_access_token(token, keys)?;
    if !signed.signature_is_valid() {
        return Err(AuthError::BadSignature);
    }
    signed.accept(config, now_secs)
}

/// An access token whose header passed (RS256 pinned, no `crit`, a `kid`
/// of the key set) and whose key was found, but whose signature is not yet
/// checked. The check can run anywhere — the Worker hands it to the
/// runtime's WebCrypto, which is several times faster than RSA in wasm —
/// and [`SignedToken::accept`] then applies the claim rules, which stay here.
pub struct SignedToken<'a> {
    /// The key the header names.
    pub kid: String,
    pub key: &'a RsaPublicKey,
    /// `b64(header).b64(payload)`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// The RSASSA-PKCS1-v1_5 signature, decoded.
    pub signature: Vec<u8>,
    payload: Vec<u8>,
}

/// Splits a token, checks its header and finds its key: everything before
/// the signature check (RFC 8725 order: the algorithm is pinned before any
/// key is chosen). [`AuthError::UnknownKeyId`] asks the caller to refetch
/// the JWKS once.
pub fn prepare_access_token<'a>(
    token: &'a str,
    keys: &'a KeySet,
) -> Result<SignedToken<'a>, AuthError> {
    let compact = jws::split(token).map_err(AuthError::Malformed)?;
    let header: Header =
        serde_json::from_slice(&compact.header).map_err(|_| AuthError::Malformed("header"))?;
    // Pin the algorithm first (RFC 8725 §3.1): nothing below may depend on
    // an attacker's choice of algorithm.
    if header.alg.as_deref() != Some("RS256") {
        return Err(AuthError::UnsupportedAlgorithm);
    }
    // RFC 7515 §4.1.11: we understand no extensions, so any `crit` is fatal.
    if header.crit.is_some() {
        return Err(AuthError::Malformed("unsupported critical header"));
    }
    // An empty `kid` names no key any JWKS can hold (`KeySet` keeps only
    // non-empty ones): refused like a missing one, so it never sends the
    // Worker looking for keys.
    let kid = header
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or(AuthError::MissingKeyId)?;
    let key = keys.get(&kid).ok_or_else(|| AuthError::UnknownKeyId {
        kid: kid.chars().take(MAX_REPORTED_KID_LEN).collect(),
    })?;
    Ok(SignedToken {
        kid,
        key,
        signing_input: compact.signing_input,
        signature: compact.signature,
        payload: compact.payload,
    })
}

impl SignedToken<'_> {
    /// The signature check in Rust (jwt-compact's RS256).
    pub fn signature_is_valid(&self) -> bool {
        RsaSignature::try_from_slice(&self.signature).is_ok_and(|signature| {
            Rsa::rs256().verify_signature(&signature, self.key, self.signing_input.as_bytes())
        })
    }

    /// The claim rules, for a token whose signature the caller checked:
    /// claims are parsed only now (RFC 8725: nothing unsigned is trusted).
    pub fn accept(self, config: &VerifyConfig, now_secs: i64) -> Result<VerifiedToken, AuthError> {
        let claims: Claims =
            serde_json::from_slice(&self.payload).map_err(|_| AuthError::Malformed("claims"))?;
        check_issuer(&claims, config)?;
        let user_id = claims
            .sub
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::MissingClaim("sub"))?;
        let exp = check_times(
            claims.exp,
            claims.nbf,
            claims.iat,
            config.leeway_secs(),
            now_secs,
        )?;
        check_audience(claims.aud.as_ref(), config.audience())?;

        let identity = Identity {
            user_id,
            org_id: claims.org_id,
            role: claims.role,
            roles: claims.roles.unwrap_or_default(),
            permissions: claims.permissions.unwrap_or_default(),
            entitlements: claims.entitlements.unwrap_or_default(),
            session_id: claims.sid,
            email: claims.email,
            impersonator: claims.act.and_then(|a| a.sub),
            exp,
        };
        Ok(VerifiedToken {
            identity,
            issued_at: claims.iat,
        })
    }
}

fn check_issuer(claims: &Claims, config: &VerifyConfig) -> Result<(), AuthError> {
    let iss = claims
        .iss
        .as_deref()
        .ok_or(AuthError::MissingClaim("iss"))?;
    if config.issuers().iter().any(|allowed| allowed == iss) {
        Ok(())
    } else {
        Err(AuthError::WrongIssuer)
    }
}

/// The leeway is inclusive: a token that is off by exactly `leeway` seconds
/// is accepted, one second more is not. `exp` is required: a token without
/// one would never expire.
fn check_times(
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    leeway: i64,
    now: i64,
) -> Result<i64, AuthError> {
    let exp = exp.ok_or(AuthError::MissingClaim("exp"))?;
    if now.saturating_sub(leeway) > exp {
        return Err(AuthError::Expired);
    }
    let latest_acceptable = now.saturating_add(leeway);
    if nbf.is_some_and(|nbf| nbf > latest_acceptable) {
        return Err(AuthError::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > latest_acceptable) {
        return Err(AuthError::IssuedInFuture);
    }
    Ok(exp)
}

fn check_audience(aud: Option<&Audience>, expected: Option<&str>) -> Result<(), AuthError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let matches = match aud {
        None => return Err(AuthError::MissingClaim("aud")),
        Some(Audience::One(a)) => a == expected,
        Some(Audience::Many(list)) => list.iter().any(|a| a == expected),
    };
    if matches {
        Ok(())
    } else {
        Err(AuthError::WrongAudience)
    }
}

/// Signs `claims` as an RS256 JWT with header `{"alg":"RS256","kid","typ":"JWT"}`.
///
/// For the local-development identity provider and tests only; production
/// tokens come from WorkOS. PKCS#1 v1.5 signatures are deterministic, so the
/// same claims and key always give the same token. (jwt-compact blinds the
/// RSA operation with OS randomness internally; that changes timing, never
/// the output.)
pub fn sign_access_token(claims: &serde_json::Value, key: &RsaPrivateKey, kid: &str) -> String {
    let header = serde_json::json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
    let input = jws::signing_input(&header.to_string(), &claims.to_string());
    let signature = Rsa::rs256().sign(key, input.as_bytes());
    jws::finish(input, &signature.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_is_inclusive_and_saturating() {
        assert_eq!(check_times(Some(100), None, None, 60, 160), Ok(100));
        assert_eq!(
            check_times(Some(100), None, None, 60, 161),
            Err(AuthError::Expired)
        );
        assert_eq!(
            check_times(Some(i64::MAX), Some(i64::MAX), None, 60, i64::MAX),
            Ok(i64::MAX)
        );
        assert_eq!(
            check_times(Some(i64::MIN), None, None, 60, i64::MIN),
            Ok(i64::MIN)
        );
        assert_eq!(
            check_times(None, None, None, 60, 0),
            Err(AuthError::MissingClaim("exp"))
        );
    }

    #[test]
    fn numeric_dates_accept_floats_and_reject_strings() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "numeric_date")]
            t: Option<i64>,
        }
        let parse = |s: &str| serde_json::from_str::<T>(s).map(|t| t.t);
        assert_eq!(parse(r#"{"t":12}"#).unwrap(), Some(12));
        assert_eq!(parse(r#"{"t":12.9}"#).unwrap(), Some(12));
        assert_eq!(parse(r#"{"t":null}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert_eq!(
            parse(r#"{"t":18446744073709551615}"#).unwrap(),
            Some(i64::MAX)
        );
        assert_eq!(parse(r#"{"t":1e300}"#).unwrap(), Some(i64::MAX));
        assert!(parse(r#"{"t":"12"}"#).is_err());
    }
}
