//! Fan-out latency, `room.fanout_ms` (rule O15, docs/operations.md): per
//! hot item (notes op, transcript chunk; R26), the time from its
//! commit to the room's store (accepted, durable) to the delivery that
//! queues it for its live recipients. Counting only: nothing here changes
//! when anything is sent.
//!
//! The times are the shell's `now` passed into the core. Workers' clock
//! does not advance during synchronous work, so an item delivered in the
//! event that committed it reads 0 ms; an item held by adaptive coalescing
//! (R26) or by load shedding (R27) reads its real wait. A recipient paced
//! behind its own full queue catches up later; that wait is not in this
//! figure (it shows as `room.queue_depth` and `room.resynced`). Chat and
//! prompts are not hot: they go out in the event that commits them.

use crate::metrics::Sketch;

/// Commit times kept per delivery at most (distinct ms values; a waiting
/// delivery goes out after `coalesce_max` items anyway).
const MAX_PENDING: usize = 1024;

/// Items waiting for delivery and the waits measured since the last report.
#[derive(Debug, Clone, Default)]
pub(super) struct Fanout {
    /// (commit time, items committed then), oldest first.
    pending: Vec<(u64, u64)>,
    /// Waits (ms) of the items delivered since the shell last took it.
    measured: Sketch,
}

impl Fanout {
    /// An item was committed at `now_ms`.
    pub(super) fn accepted(&mut self, now_ms: u64) {
        if let Some((at, n)) = self.pending.last_mut() {
            if *at == now_ms {
                *n += 1;
                return;
            }
        }
        if self.pending.len() < MAX_PENDING {
            self.pending.push((now_ms, 1));
        }
    }

    /// Every waiting item went out at `now_ms`.
    pub(super) fn delivered(&mut self, now_ms: u64) {
        for (at, n) in self.pending.drain(..) {
            self.measured.record_n(now_ms.saturating_sub(at) as f64, n);
        }
    }

    /// The waits measured since the last call.
    pub(super) fn take(&mut self) -> Sketch {
        std::mem::take(&mut self.measured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o15_an_item_delivered_in_its_own_event_reads_zero() {
        let mut f = Fanout::default();
        f.accepted(5_000);
        f.delivered(5_000);
        let s = f.take();
        assert_eq!(s.count(), 1);
        assert_eq!(s.max(), 0.0);
        assert_eq!(f.take().count(), 0, "taking resets");
    }

    #[test]
    fn o15_a_held_item_reads_its_wait() {
        let mut f = Fanout::default();
        f.accepted(10_000);
        f.accepted(10_000);
        f.accepted(10_060);
        f.delivered(10_100);
        let s = f.take();
        assert_eq!(s.count(), 3);
        assert_eq!(s.max(), 100.0);
        let p50 = s.quantile(0.5).unwrap();
        assert!((p50 - 100.0).abs() <= 1.0, "{p50}");
        let p0 = s.quantile(0.0).unwrap();
        assert!((p0 - 40.0).abs() <= 0.4, "{p0}");
    }
}
