//! What the room exposes to metrics (docs/operations.md, "Recording",
//! rule O14): a read-only snapshot of its load — live sessions, frames
//! waiting in its outbox, sessions paced behind — and counters of sessions
//! it dropped (closed as slow consumers) and resynced (paced sessions whose
//! queue drained and who got the rest at once), plus what it shed (R27).
//! Counting only: nothing here changes what the room does.

use super::core::RoomCore;
use super::load::ShedCounters;
use super::store::RoomStore;

/// Counters the room keeps for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    pub dropped: u64,
    pub resynced: u64,
}

/// A snapshot for the shell's metrics report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomMetrics {
    pub sessions: usize,
    pub queued: usize,
    pub behind: usize,
    pub observed: Observed,
    pub shed: ShedCounters,
}

impl<S: RoomStore> RoomCore<S> {
    pub fn metrics(&self) -> RoomMetrics {
        RoomMetrics {
            sessions: self.sessions.len(),
            queued: self.outbox.len(),
            behind: self.behind.len(),
            observed: self.observed,
            shed: self.load.counters,
        }
    }

    /// The fan-out latencies measured since the last call (`room.fanout_ms`,
    /// O15): the shell takes them when it reports.
    pub fn take_fanout(&mut self) -> crate::metrics::Sketch {
        self.fanout.take()
    }
}
