//! The two inputs the pure core never reads itself: the clock and the
//! random source. Handlers read them here once and pass them in.

use connvo_shared::ApiError;
use worker::Date;

/// Now, in unix milliseconds. Stays below 2^53 (D1 keeps it exact).
pub fn now_ms() -> i64 {
    i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX)
}

/// `N` bytes from `crypto.getRandomValues`. An error (never seen in
/// practice) is refused rather than replaced by predictable bytes: these
/// become ticket nonces and ids.
pub fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| ApiError::internal("the random source failed"))?;
    Ok(bytes)
}

/// A random `u32` for jitter, where predictability does no harm.
pub fn random_u32() -> u32 {
    random::<4>().map(u32::from_le_bytes).unwrap_or(0)
}
