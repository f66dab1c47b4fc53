//! `POST /v1/dev/bench/verify?n=1000`: how long verifying one access token
//! takes inside the Worker (dev auth only; 404 elsewhere). Not a test, and
//! nothing asserts on it; docs/benchmarks.md reports the figures.
//!
//! Workers' clocks (`Date.now()`, `performance.now()`) do not advance
//! during pure computation, only across I/O (a Spectre mitigation), and
//! have 1 ms granularity. So the tokens are verified in batches with a
//! zero-length timer (an I/O event) between batches: each batch's time is
//! (clock after the next timer) − (clock before it), divided by the batch
//! size. The figure is the mean cost per token within a batch, including
//! one timer round trip per batch; the median and p99 are over batches.
//! Both paths are timed: RSA in wasm (the top-level figures) and the one
//! the Worker uses, the signature checked by WebCrypto (`webcrypto`).

use std::time::Duration;

use connvo_shared::auth::dev::DevTokenRequest;
use connvo_shared::auth::verified_cache::{CachedVerification, VerifiedCache};
use connvo_shared::auth::{sign_access_token, verify_access_token_full};
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Date, Delay, Request, Response};

use crate::respond;

const BATCH: u32 = 50;

/// The pipeline answers 404 unless dev mode is on.
pub async fn verify(req: &Request) -> Result<Response, ApiError> {
    let n = req
        .url()
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "n")
                .map(|(_, v)| v.into_owned())
        })
        .map(|v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (BATCH..=20_000).contains(n))
        })
        .unwrap_or(Some(1_000))
        .ok_or_else(|| {
            connvo_shared::validation::invalid(
                "n",
                connvo_shared::validation::reason::OUT_OF_RANGE,
                "`n` must be 50 to 20000",
            )
        })?;
    let (keys, config) = crate::auth::verification_for_bench()?;
    let now_secs = i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX);
    let claims = DevTokenRequest::parse(
        br#"{"user_id":"user_bench","org_id":"org_bench","role":"member"}"#,
    )?
    .claims(now_secs, "session_bench", "jti_bench");
    let token = sign_access_token(
        &claims,
        &crate::auth::dev::bench_private_key()?,
        connvo_shared::auth::dev::DEV_KID,
    );

    // Warm-up: first-use costs (allocations, lazy tables) out of the figures.
    for _ in 0..10 {
        verify_access_token_full(&token, &keys, &config, now_secs).map_err(ApiError::from)?;
    }
    let frozen_probe = Date::now().as_millis();
    for _ in 0..BATCH {
        verify_access_token_full(&token, &keys, &config, now_secs).map_err(ApiError::from)?;
    }
    let clock_moved_without_io = Date::now().as_millis() != frozen_probe;
    // WebCrypto ran the check itself (no fallback to Rust), and its key is imported.
    let signed = connvo_shared::auth::prepare_access_token(&token, &keys)?;
    let webcrypto_ran = crate::auth::webcrypto::webcrypto_check(&signed).await == Ok(true);

    // Rust RSA in wasm (`verify_access_token_full`), then the Worker's
    // path: the signature in WebCrypto (`auth::webcrypto`).
    let (per_token_ms, total_ms, done) = batches(n, || async {
        verify_access_token_full(&token, &keys, &config, now_secs)
            .map(drop)
            .map_err(ApiError::from)
    })
    .await?;
    let (webcrypto_ms, webcrypto_total_ms, _) = batches(n, || async {
        crate::auth::webcrypto::verify_access_token(&token, &keys, &config, now_secs)
            .await
            .map(drop)
            .map_err(ApiError::from)
    })
    .await?;

    // The repeat-token path: a hit in the isolate's verified-token cache.
    let mut cache = VerifiedCache::default();
    let verified =
        verify_access_token_full(&token, &keys, &config, now_secs).map_err(ApiError::from)?;
    cache.insert(
        &token,
        CachedVerification {
            verified,
            dev: true,
        },
        now_secs,
    );
    Delay::from(Duration::from_millis(0)).await;
    let start = Date::now().as_millis();
    let mut hits = 0u32;
    for _ in 0..n {
        hits += u32::from(cache.get(&token, now_secs, config.leeway_secs()).is_some());
    }
    Delay::from(Duration::from_millis(0)).await;
    let cached_total_ms = Date::now().as_millis().saturating_sub(start);
    let pick = |xs: &[f64], q: f64| {
        let i = ((xs.len() as f64 - 1.0) * q).round() as usize;
        xs.get(i).copied().unwrap_or(0.0)
    };
    Ok(respond::json(
        200,
        &json!({
            "n": done,
            "batch_size": BATCH,
            "batches": per_token_ms.len(),
            "total_ms": total_ms,
            "mean_ms_per_token": total_ms as f64 / f64::from(done),
            "median_batch_ms_per_token": pick(&per_token_ms, 0.5),
            "p99_batch_ms_per_token": pick(&per_token_ms, 0.99),
            "webcrypto": {
                "ran": webcrypto_ran,
                "total_ms": webcrypto_total_ms,
                "mean_ms_per_token": webcrypto_total_ms as f64 / f64::from(done),
                "median_batch_ms_per_token": pick(&webcrypto_ms, 0.5),
                "p99_batch_ms_per_token": pick(&webcrypto_ms, 0.99),
            },
            "clock_moved_without_io": clock_moved_without_io,
            "cached_hits": hits,
            "cached_total_ms": cached_total_ms,
            "cached_mean_ms_per_token": cached_total_ms as f64 / f64::from(n),
        }),
    ))
}

/// Runs `verify` `n` times in batches of [`BATCH`], a zero-length timer
/// around each batch (see the module docs). Returns each batch's time per
/// token, sorted, the total time, and how many ran.
async fn batches<F, Fut>(n: u32, verify: F) -> Result<(Vec<f64>, u64, u32), ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let mut per_token_ms = Vec::new();
    let mut done = 0;
    let mut total_ms = 0u64;
    while done < n {
        Delay::from(Duration::from_millis(0)).await;
        let start = Date::now().as_millis();
        for _ in 0..BATCH {
            verify().await?;
        }
        Delay::from(Duration::from_millis(0)).await;
        let elapsed = Date::now().as_millis().saturating_sub(start);
        total_ms += elapsed;
        per_token_ms.push(elapsed as f64 / f64::from(BATCH));
        done += BATCH;
    }
    per_token_ms.sort_by(f64::total_cmp);
    Ok((per_token_ms, total_ms, done))
}
