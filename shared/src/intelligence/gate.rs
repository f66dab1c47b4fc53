//! The prompt gate (rules I8–I9): the room asks it before queuing an in-call
//! generation for a detection. At most one prompt per `min_interval_ms` per
//! meeting (I8); when the room reports overload the detection is shed first,
//! before anything else the room does, and counted (I9).
//! A refused detection costs no provider call.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateConfig {
    pub min_interval_ms: u64,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_interval_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GateDecision {
    /// Generate; the interval restarts now.
    Allow,
    /// Too soon after the last prompt; the next one may go at `next_at_ms`.
    TooSoon { next_at_ms: u64 },
    /// The room is overloaded: dropped and counted.
    Shed,
}

/// Counters for metrics and `meeting_state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCounters {
    pub allowed: u64,
    pub rate_limited: u64,
    pub shed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptGate {
    config: GateConfig,
    last_allowed_ms: Option<u64>,
    counters: GateCounters,
}

impl PromptGate {
    pub fn new(config: GateConfig) -> PromptGate {
        PromptGate {
            config,
            last_allowed_ms: None,
            counters: GateCounters::default(),
        }
    }

    pub fn set_config(&mut self, config: GateConfig) {
        self.config = config;
    }

    /// Decides for a detection at `now_ms`; `overloaded` is the room's
    /// backpressure signal.
    pub fn decide(&mut self, now_ms: u64, overloaded: bool) -> GateDecision {
        if overloaded {
            self.counters.shed += 1;
            return GateDecision::Shed;
        }
        if let Some(next) = self.next_allowed_ms() {
            if now_ms < next {
                self.counters.rate_limited += 1;
                return GateDecision::TooSoon { next_at_ms: next };
            }
        }
        self.last_allowed_ms = Some(now_ms);
        self.counters.allowed += 1;
        GateDecision::Allow
    }

    /// When the next prompt may go (`None`: now).
    pub fn next_allowed_ms(&self) -> Option<u64> {
        self.last_allowed_ms
            .map(|t| t.saturating_add(self.config.min_interval_ms))
    }

    pub fn counters(&self) -> GateCounters {
        self.counters
    }

    /// How many detections were shed under overload.
    pub fn shed_count(&self) -> u64 {
        self.counters.shed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i8_at_most_one_prompt_per_interval() {
        let mut g = PromptGate::new(GateConfig {
            min_interval_ms: 30_000,
        });
        assert_eq!(g.decide(1_000, false), GateDecision::Allow);
        assert_eq!(
            g.decide(20_000, false),
            GateDecision::TooSoon { next_at_ms: 31_000 }
        );
        assert_eq!(
            g.decide(30_999, false),
            GateDecision::TooSoon { next_at_ms: 31_000 }
        );
        assert_eq!(g.decide(31_000, false), GateDecision::Allow);
        assert_eq!(g.counters().allowed, 2);
        assert_eq!(g.counters().rate_limited, 2);
        // A stream of detections every second for 5 minutes: 10 prompts.
        let mut g = PromptGate::new(GateConfig {
            min_interval_ms: 30_000,
        });
        let n = (0..300)
            .filter(|s| g.decide(s * 1000, false) == GateDecision::Allow)
            .count();
        assert_eq!(n, 10);
    }

    #[test]
    fn i9_overload_sheds_and_counts_without_using_the_interval() {
        let mut g = PromptGate::new(GateConfig::default());
        assert_eq!(g.decide(0, true), GateDecision::Shed);
        assert_eq!(g.decide(1, true), GateDecision::Shed);
        assert_eq!(g.shed_count(), 2);
        // Shedding did not start an interval.
        assert_eq!(g.decide(2, false), GateDecision::Allow);
        assert_eq!(g.decide(3, true), GateDecision::Shed);
        assert_eq!(g.shed_count(), 3);
        let json = serde_json::to_value(g.decide(4, false)).unwrap();
        assert_eq!(json["decision"], "too_soon");
    }
}
