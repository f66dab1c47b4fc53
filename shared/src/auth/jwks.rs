//! The WorkOS JSON Web Key Set (`https://api.workos.com/sso/jwks/{client_id}`)
//! as a lookup from `kid` to RSA public key, plus the reverse direction
//! (publishing a key as a JWKS) for local development and tests.
//!
//! Parsing is forgiving per key and strict per document: a key we cannot use
//! (another `kty`, an encryption key, a weak modulus) is skipped so that WorkOS
//! adding a new key type never locks everyone out, while a document that is not
//! a JWKS at all is an error.

use jwt_compact::alg::{RsaPrivateKey, RsaPublicKey};
use jwt_compact::jwk::JsonWebKey;
use serde::Deserialize;
use std::borrow::Cow;

use super::{base64url, JwksError};

/// RFC 7518 §3.3: RS256 keys must be at least 2048 bits.
const MIN_MODULUS_BITS: usize = 2048;
/// A `kid` is an opaque label; anything longer is not one WorkOS issued.
const MAX_KID_LEN: usize = 256;

/// RSA verification keys by `kid`. Small (WorkOS publishes one or two keys),
/// so a vector beats a map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeySet {
    keys: Vec<(String, RsaPublicKey)>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
}

impl KeySet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a JWKS document, keeping only RSA signature keys with a `kid`
    /// that are usable for RS256.
    pub fn from_jwks_json(json: &str) -> Result<Self, JwksError> {
        let raw: RawJwks = serde_json::from_str(json).map_err(|_| JwksError::Malformed)?;
        let mut set = KeySet::new();
        for value in raw.keys {
            // A key of an unexpected shape is skipped, not fatal: see module docs.
            let Ok(jwk) = serde_json::from_value::<RawJwk>(value) else {
                continue;
            };
            if let Some((kid, key)) = usable_rsa_key(&jwk) {
                set.insert(kid, key);
            }
        }
        if set.is_empty() {
            return Err(JwksError::NoUsableKeys);
        }
        Ok(set)
    }

    /// Adds a key. The first key for a `kid` wins: a JWKS that repeats a
    /// `kid` is ambiguous, and silently switching keys would be worse.
    pub fn insert(&mut self, kid: impl Into<String>, key: RsaPublicKey) {
        let kid = kid.into();
        if self.get(&kid).is_none() {
            self.keys.push((kid, key));
        }
    }

    pub fn get(&self, kid: &str) -> Option<&RsaPublicKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }

    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| kid.as_str())
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn usable_rsa_key(jwk: &RawJwk) -> Option<(String, RsaPublicKey)> {
    if jwk.kty != "RSA" {
        return None;
    }
    // Absent `use`/`alg` mean "unrestricted"; present ones must allow RS256 signing.
    if jwk.key_use.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if jwk.alg.as_deref().is_some_and(|a| a != "RS256") {
        return None;
    }
    let kid = jwk
        .kid
        .as_deref()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KID_LEN)?;
    let n = base64url::decode(jwk.n.as_deref()?).ok()?;
    let e = base64url::decode(jwk.e.as_deref()?).ok()?;
    if modulus_bits(&n) < MIN_MODULUS_BITS {
        return None;
    }
    let key = public_key_from_parts(n, e)?;
    Some((kid.to_owned(), key))
}

/// Significant bits of a big-endian unsigned integer.
fn modulus_bits(be: &[u8]) -> usize {
    let first = be.iter().position(|&b| b != 0);
    match first {
        Some(i) => (be.len() - i) * 8 - be[i].leading_zeros() as usize,
        None => 0,
    }
}

fn public_key_from_parts(n: Vec<u8>, e: Vec<u8>) -> Option<RsaPublicKey> {
    let jwk = JsonWebKey::Rsa {
        modulus: Cow::Owned(n),
        public_exponent: Cow::Owned(e),
        private_parts: None,
    };
    // The rsa crate validates the exponent and modulus (odd, e < n, size cap).
    RsaPublicKey::try_from(&jwk).ok()
}

/// A JWKS document publishing one RS256 verification key, in the shape
/// WorkOS serves. The local-development identity provider and tests serve it.
pub fn jwks_from_public_key(key: &RsaPublicKey, kid: &str) -> serde_json::Value {
    serde_json::json!({ "keys": [jwk_from_public_key(key, kid)] })
}

/// One JWK (`{"kty":"RSA","kid","use":"sig","alg":"RS256","n","e"}`).
pub fn jwk_from_public_key(key: &RsaPublicKey, kid: &str) -> serde_json::Value {
    let (n, e) = match JsonWebKey::from(key) {
        JsonWebKey::Rsa {
            modulus,
            public_exponent,
            ..
        } => (
            base64url::encode(&modulus),
            base64url::encode(&public_exponent),
        ),
        // jwt-compact always converts an RSA key to the RSA variant; the arm
        // exists only because the enum is non-exhaustive.
        _ => (String::new(), String::new()),
    };
    serde_json::json!({
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": n,
        "e": e,
    })
}

/// Loads an RSA private key from a JWK holding `n`, `e`, `d`, `p`, `q`
/// (as `openssl` + any JWK tool produce). Used by the local-development
/// identity provider, which keeps its signing key in a dev-only secret, and
/// by tests. Never used to verify anything.
pub fn rsa_private_key_from_jwk(json: &str) -> Result<RsaPrivateKey, JwksError> {
    let jwk: JsonWebKey<'_> =
        serde_json::from_str(json).map_err(|_| JwksError::BadKey("not an RSA private JWK"))?;
    let key = RsaPrivateKey::try_from(&jwk)
        .map_err(|_| JwksError::BadKey("inconsistent RSA private key"))?;
    let public = key.to_public_key();
    let bits = match JsonWebKey::from(&public) {
        JsonWebKey::Rsa { modulus, .. } => modulus_bits(&modulus),
        _ => 0,
    };
    if bits < MIN_MODULUS_BITS {
        return Err(JwksError::BadKey("RSA modulus shorter than 2048 bits"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_ignores_leading_zero_bytes() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[0, 1]), 1);
        assert_eq!(modulus_bits(&[0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0, 0x7f, 0xff]), 15);
    }

    #[test]
    fn rejects_documents_that_are_not_a_jwks() {
        assert_eq!(KeySet::from_jwks_json("nope"), Err(JwksError::Malformed));
        assert_eq!(KeySet::from_jwks_json("{}"), Err(JwksError::Malformed));
        assert_eq!(
            KeySet::from_jwks_json(r#"{"keys":"x"}"#),
            Err(JwksError::Malformed)
        );
        assert_eq!(
            KeySet::from_jwks_json(r#"{"keys":[]}"#),
            Err(JwksError::NoUsableKeys)
        );
    }

    #[test]
    fn skips_keys_it_cannot_use() {
        let doc = r#"{"keys":[
            {"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},
            {"kty":"oct","kid":"sym","k":"AAAA"},
            {"kty":"RSA","kid":"tiny","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","kid":7,"n":"AQAB","e":"AQAB"},
            "not an object"
        ]}"#;
        assert_eq!(KeySet::from_jwks_json(doc), Err(JwksError::NoUsableKeys));
    }
}
