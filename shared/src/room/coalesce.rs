//! When the hot streams (notes ops, transcript chunks, speaking stats) go
//! out: adaptive coalescing, rule **R26** of `docs/protocol.md`.
//!
//! A fixed trailing window made every lone edit wait the whole window for
//! nothing. Instead a hot item goes out at the end of the input that
//! committed it while the room is idle — no delivery is waiting and the
//! room's hot rate is at most `coalesce_idle_per_sec` — so a lone edit
//! carries no delay. Items that arrive while a delivery waits join it;
//! the first item of a busy room (above the rate, or shedding load,
//! `load.rs`) opens a window of `coalesce_ms`. A waiting delivery goes out
//! when its window closes or `coalesce_max` items wait, so nothing waits
//! longer than the window (requirement 5.3), and everything one input
//! commits (a burst) goes out together.

/// Hot items counted per fixed second, with the previous second kept, for
/// a sliding estimate of the last second's rate without a clock of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HotRate {
    /// The start of the current second (a multiple of 1000 ms).
    second: u64,
    /// Items counted in the current second.
    count: u32,
    /// Items counted in the second before it (0 if that second was skipped).
    previous: u32,
}

impl HotRate {
    fn roll(&mut self, now_ms: u64) {
        let second = now_ms - now_ms % 1000;
        if second == self.second {
            return;
        }
        self.previous = if second == self.second.saturating_add(1000) {
            self.count
        } else {
            0
        };
        self.count = 0;
        self.second = second;
    }

    /// Counts one item at `now_ms`.
    pub(super) fn record(&mut self, now_ms: u64) {
        self.roll(now_ms);
        self.count = self.count.saturating_add(1);
    }

    /// Items in the last second: this second's count plus the previous
    /// second's, weighted by how much of it still lies within the last second.
    pub(super) fn per_sec(&mut self, now_ms: u64) -> u64 {
        self.roll(now_ms);
        let into = now_ms - self.second;
        u64::from(self.count) + u64::from(self.previous) * (1000 - into) / 1000
    }
}

/// The hot streams' pending delivery.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hot {
    /// When the waiting items must go out (`None`: nothing waits).
    pub(super) deadline: Option<u64>,
    /// Items committed since the last delivery.
    pub(super) pending: usize,
    /// The speaking stats changed: send a `state` frame with the next delivery.
    pub(super) state_dirty: bool,
    /// The room's recent hot rate (kept across deliveries).
    pub(super) rate: HotRate,
}

impl Hot {
    /// Counts a committed hot item and says when it must go out: joins a
    /// waiting delivery; otherwise at once when the room is idle (at or
    /// under `idle_per_sec`, not `busy`), else after `window_ms`.
    pub(super) fn mark(&mut self, now_ms: u64, window_ms: u64, idle_per_sec: u64, busy: bool) {
        self.pending += 1;
        // The rate before this item: a lone item after a quiet second is idle.
        let rate = self.rate.per_sec(now_ms);
        self.rate.record(now_ms);
        if self.deadline.is_none() {
            let idle = !busy && rate < idle_per_sec;
            let wait = if idle { 0 } else { window_ms };
            self.deadline = Some(now_ms.saturating_add(wait));
        }
    }

    /// The waiting items went out; the rate is kept.
    pub(super) fn delivered(&mut self) {
        self.deadline = None;
        self.pending = 0;
        self.state_dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: u64 = 100;
    const IDLE: u64 = 30;

    #[test]
    fn r26_idle_an_item_goes_out_at_once() {
        let mut hot = Hot::default();
        hot.mark(5_000, WINDOW, IDLE, false);
        assert_eq!(hot.deadline, Some(5_000));
        hot.delivered();
        // A second lone item a while later: still at once.
        hot.mark(5_700, WINDOW, IDLE, false);
        assert_eq!(hot.deadline, Some(5_700));
    }

    #[test]
    fn r26_busy_items_wait_for_the_window_which_never_moves() {
        let mut hot = Hot::default();
        // 40 items in the last second: above the idle rate.
        for i in 0..40 {
            hot.mark(10_000 + i * 20, WINDOW, IDLE, false);
            hot.delivered();
        }
        hot.mark(10_900, WINDOW, IDLE, false);
        assert_eq!(hot.deadline, Some(11_000));
        // Later items join the waiting delivery; the bound stays.
        hot.mark(10_950, WINDOW, IDLE, false);
        hot.mark(10_999, WINDOW, IDLE, false);
        assert_eq!(hot.deadline, Some(11_000));
        assert_eq!(hot.pending, 3);
        // Shedding load counts as busy even when the rate is low.
        let mut shedding = Hot::default();
        shedding.mark(1_000, WINDOW, IDLE, true);
        assert_eq!(shedding.deadline, Some(1_100));
    }

    #[test]
    fn r26_a_burst_joins_one_delivery_and_the_rate_decays() {
        let mut hot = Hot::default();
        // Everything one input commits at the same instant: one delivery.
        for _ in 0..5 {
            hot.mark(20_000, WINDOW, IDLE, false);
        }
        assert_eq!(hot.deadline, Some(20_000));
        assert_eq!(hot.pending, 5);
        hot.delivered();
        assert_eq!(hot.pending, 0);
        // A burst big enough to pass the rate makes the next item wait…
        for _ in 0..30 {
            hot.mark(20_010, WINDOW, IDLE, false);
        }
        hot.delivered();
        hot.mark(20_020, WINDOW, IDLE, false);
        assert_eq!(hot.deadline, Some(20_120));
        hot.delivered();
        // …and a quiet second later the room is idle again.
        hot.mark(22_100, WINDOW, IDLE, false);
        assert_eq!(hot.deadline, Some(22_100));
    }

    #[test]
    fn the_rate_slides_over_the_previous_second() {
        let mut rate = HotRate::default();
        for _ in 0..10 {
            rate.record(3_900);
        }
        assert_eq!(rate.per_sec(3_950), 10);
        // Half into the next second, half of the previous one counts.
        assert_eq!(rate.per_sec(4_500), 5);
        rate.record(4_500);
        assert_eq!(rate.per_sec(4_500), 6);
        // A skipped second forgets everything.
        assert_eq!(rate.per_sec(6_000), 0);
    }
}
