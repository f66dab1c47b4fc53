//! Load shedding (requirement 15.4, rule **R27** of `docs/protocol.md`):
//! the room measures whether it is falling behind and, while it is, sheds
//! the cheapest-to-lose work first, counting what it shed.
//!
//! Two measures, both the room's own: **lag**, how late its timer fired
//! against the deadline it asked for (an isolate busy with other rooms
//! fires late), and **queue depth**, frames waiting in its outbox or
//! connections being paced. While either is past its bound the room:
//! - coalesces every hot item over the full window (R26 treats it as busy);
//! - sends the speaking stats (`state` frames) at most every
//!   `shed_state_every_ms`, the latest values only;
//! - sheds in-call prompt detections (the prompt gate, I9).
//!
//! Acknowledged notes ops and transcript chunks are never dropped: they
//! are stored before anything else happens and only wait longer.

/// A lag sample older than this says nothing about now.
const LAG_SAMPLE_TTL_MS: u64 = 2_000;

/// What the room shed while overloaded (for logs and the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShedCounters {
    /// `state` frames (speaking stats) not sent: a later one carried their values.
    pub state_frames: u64,
    /// Hot items held for the window that an unloaded room would have sent at once.
    pub held_items: u64,
    /// Times the room entered shedding.
    pub episodes: u64,
}

/// The room's load measure and its shedding state.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Load {
    /// The last timer lag observed, and when.
    lag_ms: u64,
    sampled_at: Option<u64>,
    shedding: bool,
    /// When the last speaking-stats `state` frame went out.
    pub(super) state_sent_at: Option<u64>,
    /// A held `state` frame is due then (part of the room's deadline).
    pub(super) state_due: Option<u64>,
    pub(super) counters: ShedCounters,
}

impl Load {
    /// The timer fired at `now_ms` for a deadline at `due_ms`.
    pub(super) fn sample_lag(&mut self, now_ms: u64, due_ms: u64) {
        self.lag_ms = now_ms.saturating_sub(due_ms);
        self.sampled_at = Some(now_ms);
    }

    /// Re-evaluates shedding at `now_ms` from the lag and the queue depth.
    /// Leaves it only once the lag is under half its bound (hysteresis, so
    /// a room on the edge does not flap).
    pub(super) fn update(&mut self, now_ms: u64, lag_bound_ms: u64, queue_over: bool) -> bool {
        let lag = match self.sampled_at {
            Some(at) if now_ms.saturating_sub(at) <= LAG_SAMPLE_TTL_MS => self.lag_ms,
            _ => 0,
        };
        let over = queue_over || lag > lag_bound_ms;
        let under = !queue_over && lag <= lag_bound_ms / 2;
        if over && !self.shedding {
            self.shedding = true;
            self.counters.episodes += 1;
        } else if under {
            self.shedding = false;
        }
        self.shedding
    }

    /// Whether the lag alone has the room shedding (the core adds the
    /// queue depth, read live).
    pub(super) fn shedding(&self) -> bool {
        self.shedding
    }

    /// Whether a `state` frame may go now; counts one shed when not.
    pub(super) fn state_frame_allowed(
        &mut self,
        now_ms: u64,
        every_ms: u64,
        shedding: bool,
    ) -> bool {
        let allowed = !shedding
            || self
                .state_sent_at
                .is_none_or(|at| now_ms.saturating_sub(at) >= every_ms);
        if !allowed {
            self.counters.state_frames += 1;
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r27_lag_past_the_bound_starts_shedding_and_half_of_it_ends_it() {
        let mut load = Load::default();
        assert!(!load.update(1_000, 50, false));
        load.sample_lag(1_080, 1_000);
        assert!(load.update(1_080, 50, false));
        // Between half the bound and the bound: still shedding.
        load.sample_lag(1_200, 1_160);
        assert!(load.update(1_200, 50, false));
        load.sample_lag(1_300, 1_290);
        assert!(!load.update(1_300, 50, false));
        assert_eq!(load.counters.episodes, 1);
        // A stale sample says nothing.
        load.sample_lag(2_000, 1_000);
        assert!(!load.update(5_000, 50, false));
    }

    #[test]
    fn r27_a_deep_queue_sheds_until_it_drains() {
        let mut load = Load::default();
        assert!(load.update(0, 50, true));
        assert!(load.update(10, 50, true));
        assert!(!load.update(20, 50, false));
        assert_eq!(load.counters.episodes, 1);
    }

    #[test]
    fn r27_state_frames_are_thinned_and_counted_only_while_shedding() {
        let mut load = Load::default();
        assert!(load.state_frame_allowed(0, 1_000, false));
        load.state_sent_at = Some(0);
        assert!(load.state_frame_allowed(10, 1_000, false));
        let shedding = load.update(10, 50, true);
        assert!(!load.state_frame_allowed(500, 1_000, shedding));
        assert!(load.state_frame_allowed(1_000, 1_000, shedding));
        assert_eq!(load.counters.state_frames, 1);
    }
}
