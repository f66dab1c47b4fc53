//! The random source (`crypto.getRandomValues`), the other input the pure
//! core never reads itself: ids, ticket nonces and jitter are drawn here
//! and passed in.

use connvo_shared::ApiError;

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
