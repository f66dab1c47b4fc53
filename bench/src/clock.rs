//! The run's one clock. Every client lives in this process, so a send time
//! written into a message by one participant and the receipt time read by
//! another come from the same monotonic clock: latencies need no clock sync.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Microseconds since the run started.
pub fn now_us() -> u64 {
    micros(epoch().elapsed())
}

/// `instant` as microseconds since the run started (0 if before it).
pub fn at_us(instant: Instant) -> u64 {
    micros(instant.saturating_duration_since(epoch()))
}

/// Saturating: a run never lasts 584,000 years.
pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
