//! The local-development identity provider's Worker half: the committed
//! dev-only key pair (`workers/dev-only-keys/`), `POST /v1/dev/token`, and
//! the key set `authenticate` tries first when dev mode is on.
//!
//! Only reachable when `ENVIRONMENT=local` and `DEV_AUTH=on`
//! (see `connvo_shared::auth::dev`). Everywhere else the route answers 404
//! and the dev key is in no key set; with `DEV_AUTH` set outside local the
//! router refuses every request before getting here.

use std::cell::OnceCell;
use std::rc::Rc;

use connvo_shared::auth::dev::{check_role_has_org, DevAuth, DevTokenRequest, DEV_ISSUER, DEV_KID};
use connvo_shared::auth::{
    rsa_private_key_from_jwk, sign_access_token, KeySet, RsaPrivateKey, VerifyConfig,
};
use connvo_shared::signature::to_hex;
use connvo_shared::ApiError;
use worker::{Date, Response};

use crate::pipeline::Call;
use crate::respond;

/// DEV ONLY. This private key is public knowledge (it is in git); tokens it
/// signs are accepted only by a local deployment with `DEV_AUTH=on`.
const DEV_ONLY_PRIVATE_JWK: &str =
    include_str!("../../dev-only-keys/DEV_ONLY_local_signing_key.jwk.json");

struct DevKeys {
    private: RsaPrivateKey,
    public: Rc<KeySet>,
}

thread_local! {
    static DEV_KEYS: OnceCell<Option<Rc<DevKeys>>> = const { OnceCell::new() };
}

fn dev_keys() -> Result<Rc<DevKeys>, ApiError> {
    DEV_KEYS
        .with(|cell| {
            cell.get_or_init(|| {
                let private = rsa_private_key_from_jwk(DEV_ONLY_PRIVATE_JWK).ok()?;
                let mut public = KeySet::new();
                public.insert(DEV_KID, private.to_public_key());
                Some(Rc::new(DevKeys {
                    private,
                    public: Rc::new(public),
                }))
            })
            .clone()
        })
        .ok_or_else(|| ApiError::internal("the dev signing key does not load"))
}

/// The dev key set, only in dev mode; otherwise an empty set (so the caller's
/// first pass sorts out malformed tokens without fetching any JWKS).
pub fn key_set(mode: DevAuth) -> Result<Rc<KeySet>, ApiError> {
    match mode {
        DevAuth::On => Ok(dev_keys()?.public.clone()),
        DevAuth::Off => Ok(Rc::new(KeySet::new())),
    }
}

/// Dev tokens are accepted only with their own issuer.
pub fn verify_config() -> VerifyConfig {
    VerifyConfig::for_issuer(DEV_ISSUER)
}

/// `POST /v1/dev/token`: mints a token the Worker itself accepts (the
/// pipeline answers 404 unless dev mode is on).
pub fn mint(call: &Call) -> Result<Response, ApiError> {
    let request = DevTokenRequest::parse(&call.body)?;
    check_role_has_org(&request)?;
    let now_secs = i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX);
    let claims = request.claims(now_secs, &random_id("session_dev_"), &random_id(""));
    let token = sign_access_token(&claims, &dev_keys()?.private, DEV_KID);
    Ok(respond::json(
        200,
        &serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": request.ttl_secs,
            "expires_at": claims["exp"],
            "claims": claims,
        }),
    ))
}

/// The dev private key, for the in-Worker benchmark (dev mode only).
pub(crate) fn bench_private_key() -> Result<RsaPrivateKey, ApiError> {
    Ok(dev_keys()?.private.clone())
}

fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    let _ = getrandom::getrandom(&mut bytes);
    format!("{prefix}{}", to_hex(&bytes))
}
