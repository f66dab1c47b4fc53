//! A fake WorkOS for end-to-end tests, speaking the wire formats in
//! docs/vendors.md ("WorkOS AuthKit"):
//!
//! - [`FakeWorkos`] serves the JWKS at the real path shape
//!   (`/sso/jwks/{client_id}`), counts fetches, rotates keys and fails with
//!   503 on demand;
//! - [`TestKey`] signs RS256 access tokens shaped like AuthKit's
//!   ([`access_token_claims`]), with RSA keys made for tests only;
//! - [`webhook_signature`] signs a webhook body as WorkOS does
//!   (`WorkOS-Signature: t=<ms>, v1=<hex>`).
//!
//! Checked against the vendor: `@workos-inc/node` computes the webhook
//! signature as the hex HMAC-SHA256 of `"<t>.<raw body>"` and splits the
//! header on `,` then `=`, which is exactly what we emit. The SDK is not in
//! package.json (it is not needed to run anything); see docs/threat-model.md.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use connvo_shared::auth::{
    jwk_from_public_key, rsa_private_key_from_jwk, sign_access_token, RsaPrivateKey,
};
use serde_json::{json, Value};

use super::http::{FakeResponse, FakeServer};
use crate::BackendOptions;

/// The client id every fake-WorkOS backend is configured with.
pub const CLIENT_ID: &str = "client_01FAKEWORKOSTEST";

/// The issuer WorkOS puts in access tokens for [`CLIENT_ID`].
pub fn issuer() -> String {
    format!("https://api.workos.com/user_management/{CLIENT_ID}")
}

/// An RSA key made with `openssl genrsa 2048` for tests only.
#[derive(Clone)]
pub struct TestKey {
    pub kid: &'static str,
    key: RsaPrivateKey,
}

impl TestKey {
    pub fn one() -> TestKey {
        Self::load(
            "test-key-1",
            include_str!("../../../shared/tests/fixtures/auth_rsa_test_key_1.jwk.json"),
        )
    }

    pub fn two() -> TestKey {
        Self::load(
            "test-key-2",
            include_str!("../../../shared/tests/fixtures/auth_rsa_test_key_2.jwk.json"),
        )
    }

    fn load(kid: &'static str, jwk: &str) -> TestKey {
        let key = rsa_private_key_from_jwk(jwk).expect("test key loads");
        TestKey { kid, key }
    }

    /// The same key under another `kid`: for "unknown kid" tests.
    pub fn with_kid(&self, kid: &'static str) -> TestKey {
        TestKey {
            kid,
            key: self.key.clone(),
        }
    }

    /// An RS256 token over `claims`, header `{"alg":"RS256","kid","typ":"JWT"}`.
    pub fn sign(&self, claims: &Value) -> String {
        sign_access_token(claims, &self.key, self.kid)
    }

    /// The public JWK, as WorkOS publishes it.
    pub fn public_jwk(&self) -> Value {
        jwk_from_public_key(&self.key.to_public_key(), self.kid)
    }

    /// The public key as PEM text: what an HS256 key-confusion attacker uses
    /// as the HMAC secret.
    pub fn public_pem() -> &'static str {
        include_str!("../../../shared/tests/fixtures/auth_rsa_test_key_1.pub.pem")
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Claims shaped exactly like a WorkOS AuthKit access token (docs/vendors.md),
/// issued now for five minutes. Tests edit the returned value.
pub fn access_token_claims(user_id: &str, org_id: &str, role: &str) -> Value {
    let now = now_secs();
    json!({
        "iss": issuer(),
        "sub": user_id,
        "org_id": org_id,
        "role": role,
        "roles": [role],
        "permissions": ["posts:read"],
        "entitlements": ["audit-logs"],
        "sid": format!("session_{user_id}"),
        "jti": format!("jti_{user_id}_{now}"),
        "exp": now + 300,
        "iat": now,
    })
}

/// The `WorkOS-Signature` header value for `body`, signed at `timestamp_ms`.
pub fn webhook_signature(secret: &str, body: &[u8], timestamp_ms: u64) -> String {
    connvo_shared::signature::sign_workos_webhook(secret, body, timestamp_ms)
        .expect("HMAC accepts any key")
}

/// A WorkOS event envelope (`{"id","event","data","created_at"}`).
pub fn event(id: &str, event: &str, data: Value) -> Value {
    json!({ "id": id, "event": event, "data": data, "created_at": "2026-01-01T00:00:00.000Z" })
}

struct State {
    keys: Mutex<Vec<Value>>,
    fetches: AtomicUsize,
    failing: AtomicBool,
}

/// The fake WorkOS server.
pub struct FakeWorkos {
    server: FakeServer,
    state: Arc<State>,
}

impl FakeWorkos {
    /// Starts serving a JWKS holding `keys`.
    pub async fn start(keys: &[&TestKey]) -> FakeWorkos {
        let state = Arc::new(State {
            keys: Mutex::new(keys.iter().map(|k| k.public_jwk()).collect()),
            fetches: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
        });
        let shared = state.clone();
        let jwks_path = format!("/sso/jwks/{CLIENT_ID}");
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            let jwks_path = jwks_path.clone();
            async move {
                if req.method != "GET" || req.path != jwks_path {
                    return FakeResponse::json(404, &json!({"message": "Not Found"}));
                }
                state.fetches.fetch_add(1, Ordering::SeqCst);
                if state.failing.load(Ordering::SeqCst) {
                    return FakeResponse::json(503, &json!({"message": "Service Unavailable"}));
                }
                let keys = state.keys.lock().map(|k| k.clone()).unwrap_or_default();
                FakeResponse::json(200, &json!({ "keys": keys }))
            }
        })
        .await;
        FakeWorkos { server, state }
    }

    /// The JWKS URL, shaped like `https://api.workos.com/sso/jwks/{client_id}`.
    pub fn jwks_url(&self) -> String {
        format!("{}/sso/jwks/{CLIENT_ID}", self.server.base_url)
    }

    /// How many times the JWKS was requested (failed requests included).
    pub fn jwks_fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Serves `keys` from now on (key rotation).
    pub fn rotate(&self, keys: &[&TestKey]) {
        if let Ok(mut served) = self.state.keys.lock() {
            *served = keys.iter().map(|k| k.public_jwk()).collect();
        }
    }

    /// Answers 503 to every JWKS request while `on`.
    pub fn set_failing(&self, on: bool) {
        self.state.failing.store(on, Ordering::SeqCst);
    }

    /// Backend options pointing the Worker at this fake.
    pub fn backend_options(&self) -> BackendOptions {
        BackendOptions::default()
            .var("WORKOS_CLIENT_ID", CLIENT_ID)
            .var("WORKOS_JWKS_URL", self.jwks_url())
    }
}

/// Unix milliseconds as WorkOS writes times: `2024-01-01T00:00:00.000Z`.
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The `data` of an `organization_membership.*` event, as WorkOS sends it.
pub fn membership_data(
    user_id: &str,
    org_id: &str,
    role: &str,
    status: &str,
    updated_at_ms: i64,
) -> Value {
    json!({
        "object": "organization_membership",
        "id": format!("om_{user_id}_{org_id}"),
        "user_id": user_id,
        "organization_id": org_id,
        "status": status,
        "role": {"slug": role},
        "roles": [{"slug": role}],
        "created_at": iso8601(updated_at_ms - 86_400_000),
        "updated_at": iso8601(updated_at_ms),
    })
}

/// The `data` of a `user.*` event.
pub fn user_data(user_id: &str, email: &str, updated_at_ms: i64) -> Value {
    json!({
        "object": "user",
        "id": user_id,
        "email": email,
        "email_verified": true,
        "first_name": "Test",
        "last_name": "User",
        "profile_picture_url": null,
        "created_at": iso8601(updated_at_ms - 86_400_000),
        "updated_at": iso8601(updated_at_ms),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_formats_like_workos() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::iso8601(1_709_210_096_789),
            "2024-02-29T12:34:56.789Z"
        );
    }
}
