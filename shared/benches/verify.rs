//! Benchmark (not a test; asserts nothing): the cost of verifying one WorkOS
//! access token natively with `verify_access_token` (RS256, 2048-bit key,
//! claims shaped like AuthKit's). Reports mean, median and p99 over
//! individually timed verifications.
//!
//!     cargo bench -p connvo-shared --bench verify
//!
//! The in-Worker figure (wasm, workerd) comes from `POST /v1/dev/bench/verify`;
//! see docs/benchmarks.md.

use std::time::Instant;

use connvo_shared::auth::{
    jwks_from_public_key, rsa_private_key_from_jwk, sign_access_token, verify_access_token, KeySet,
    VerifyConfig,
};
use serde_json::json;

const N: usize = 5_000;
const NOW: i64 = 1_709_193_600;

fn main() {
    let jwk = include_str!("../tests/fixtures/auth_rsa_test_key_1.jwk.json");
    let key = match rsa_private_key_from_jwk(jwk) {
        Ok(key) => key,
        Err(e) => return eprintln!("test key does not load: {e}"),
    };
    let jwks = jwks_from_public_key(&key.to_public_key(), "test-key-1").to_string();
    let keys = match KeySet::from_jwks_json(&jwks) {
        Ok(keys) => keys,
        Err(e) => return eprintln!("JWKS does not parse: {e}"),
    };
    let config = VerifyConfig::workos("client_01BENCH");
    let claims = json!({
        "iss": "https://api.workos.com/user_management/client_01BENCH",
        "sub": "user_01HBEQKA6K4QJAS93VPE39W1JT", "org_id": "org_01HRDMC6CM357W30QMHMQ96Q0S",
        "role": "member", "roles": ["member"], "permissions": ["posts:read"],
        "entitlements": ["audit-logs"], "sid": "session_01HQSXZGF8FHF7A9ZZFCW4387R",
        "jti": "01HQSXZXPPFPKMDD32RKTFY6PV", "exp": NOW + 300, "iat": NOW,
    });
    let token = sign_access_token(&claims, &key, "test-key-1");

    for _ in 0..200 {
        if verify_access_token(&token, &keys, &config, NOW).is_err() {
            return eprintln!("the benchmark token does not verify");
        }
    }
    let mut ns: Vec<u128> = Vec::with_capacity(N);
    let all = Instant::now();
    for _ in 0..N {
        let t = Instant::now();
        let ok = verify_access_token(&token, &keys, &config, NOW).is_ok();
        ns.push(t.elapsed().as_nanos());
        std::hint::black_box(ok);
    }
    let total = all.elapsed();
    ns.sort_unstable();
    let pct = |q: f64| ns[((ns.len() - 1) as f64 * q).round() as usize] as f64 / 1e6;
    println!("verify_access_token (native, RS256-2048), n = {N}");
    println!("  mean   {:.4} ms", total.as_secs_f64() * 1e3 / N as f64);
    println!("  median {:.4} ms", pct(0.5));
    println!("  p99    {:.4} ms", pct(0.99));
    println!("  max    {:.4} ms", pct(1.0));
}
