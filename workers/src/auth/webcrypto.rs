//! RS256 signature checks with the runtime's WebCrypto (`crypto.subtle`,
//! native code in workerd) instead of RSA compiled to wasm: a first-sight
//! token costs a fraction of a millisecond instead of ~2.7 ms
//! (docs/benchmarks.md, "Token verification"). Only the signature moves:
//! the header rules run before it and the claim rules after it, both in
//! the pure core (`connvo_shared::auth::SignedToken`).
//!
//! Imported keys are kept per isolate, by modulus, so a key is imported
//! once. If WebCrypto is missing or refuses a key, the same check runs in
//! Rust: slower, never different.

use std::cell::RefCell;

use connvo_shared::auth::{
    jwk_from_public_key, prepare_access_token, AuthError, KeySet, SignedToken, VerifiedToken,
    VerifyConfig,
};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// WorkOS publishes one or two keys; a few more cover rotations and the dev key.
const MAX_IMPORTED_KEYS: usize = 8;

thread_local! {
    /// (modulus in base64url, imported `CryptoKey`), oldest first.
    static IMPORTED: RefCell<Vec<(String, JsValue)>> = const { RefCell::new(Vec::new()) };
}

fn get(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(target, &JsValue::from_str(name))
}

fn subtle() -> Result<JsValue, JsValue> {
    get(&get(&js_sys::global(), "crypto")?, "subtle")
}

/// Calls `crypto.subtle[method](...args)` and awaits its promise.
async fn call(method: &str, args: &Array) -> Result<JsValue, JsValue> {
    let subtle = subtle()?;
    let f: Function = get(&subtle, method)?.dyn_into()?;
    let promise: Promise = f.apply(&subtle, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// `{name: "RSASSA-PKCS1-v1_5", hash: "SHA-256"}`: RS256 (RFC 7518 §3.3).
fn rs256() -> Result<JsValue, JsValue> {
    let alg = Object::new();
    Reflect::set(&alg, &"name".into(), &"RSASSA-PKCS1-v1_5".into())?;
    Reflect::set(&alg, &"hash".into(), &"SHA-256".into())?;
    Ok(alg.into())
}

/// The token's key as a WebCrypto verification key, imported once.
async fn crypto_key(signed: &SignedToken<'_>) -> Result<JsValue, JsValue> {
    let jwk = jwk_from_public_key(signed.key, &signed.kid);
    let modulus = jwk["n"].as_str().unwrap_or_default().to_owned();
    let cached = IMPORTED.with(|keys| {
        keys.borrow()
            .iter()
            .find(|(n, _)| *n == modulus)
            .map(|(_, key)| key.clone())
    });
    if let Some(key) = cached {
        return Ok(key);
    }
    let args = Array::of5(
        &"jwk".into(),
        &JSON::parse(&jwk.to_string())?,
        &rs256()?,
        &false.into(),
        &Array::of1(&"verify".into()),
    );
    let key = call("importKey", &args).await?;
    IMPORTED.with(|keys| {
        let mut keys = keys.borrow_mut();
        if keys.len() >= MAX_IMPORTED_KEYS {
            keys.remove(0);
        }
        keys.push((modulus, key.clone()));
    });
    Ok(key)
}

/// The signature check in WebCrypto; `Err` when WebCrypto could not run it.
pub(crate) async fn webcrypto_check(signed: &SignedToken<'_>) -> Result<bool, JsValue> {
    let key = crypto_key(signed).await?;
    let args = Array::of4(
        &rs256()?,
        &key,
        &Uint8Array::from(signed.signature.as_slice()),
        &Uint8Array::from(signed.signing_input.as_bytes()),
    );
    Ok(call("verify", &args).await?.as_bool() == Some(true))
}

/// `verify_access_token_full` with the signature checked by WebCrypto.
pub async fn verify_access_token(
    token: &str,
    keys: &KeySet,
    config: &VerifyConfig,
    now_secs: i64,
) -> Result<VerifiedToken, AuthError> {
    let signed = prepare_access_token(token, keys)?;
    let valid = match webcrypto_check(&signed).await {
        Ok(valid) => valid,
        Err(_) => signed.signature_is_valid(),
    };
    if !valid {
        return Err(AuthError::BadSignature);
    }
    signed.accept(config, now_secs)
}
