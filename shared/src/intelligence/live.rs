//! The in-call pipeline the room holds, one per meeting (rule I25): every
//! transcript chunk goes to the engagement stats and both detectors; a
//! poll turns their detections into at most one generation request, through
//! the prompt gate (I8, I9). A topic shift is preferred to a lull at the same
//! instant. [`LiveDetectors::poll_timeout`] is the earliest wake-up either
//! detector wants; [`LiveDetectors::meeting_state`] gives the three
//! `meeting_state` columns to write on flush. The whole state serialises for
//! Durable Object storage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::engagement::{Engagement, EngagementConfig};
use super::gate::{GateConfig, GateCounters, GateDecision, PromptGate};
use super::generator::Trigger;
use super::lull::{LullConfig, LullDetector};
use super::topic_shift::{TopicShiftConfig, TopicShiftDetector};
use super::Utterance;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveConfig {
    pub engagement: EngagementConfig,
    pub lull: LullConfig,
    pub topic: TopicShiftConfig,
    pub gate: GateConfig,
}

/// A detection that passed the gate: queue an in-call generation with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub at_ms: u64,
    pub trigger: Trigger,
    /// The current topics (for the generation input).
    pub topics: Vec<String>,
    /// Speaking shares by speaker id (for the generation input).
    pub speaking_ratios: BTreeMap<String, f64>,
}

/// What a poll decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PollOutcome {
    /// Nothing detected.
    Idle,
    Generate(Detection),
    /// Detected, but a prompt went out too recently.
    RateLimited {
        trigger: Trigger,
        next_at_ms: u64,
    },
    /// Detected, but the room is overloaded: shed and counted.
    Shed {
        trigger: Trigger,
    },
}

/// The three `meeting_state` JSON columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingStateColumns {
    /// `speaking_stats` (an object).
    pub speaking_stats: serde_json::Value,
    /// `lull_state`: lull count, last speech, gate counters.
    pub lull_state: serde_json::Value,
    /// `topics` (an array of strings).
    pub topics: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveDetectors {
    engagement: Engagement,
    lull: LullDetector,
    topic: TopicShiftDetector,
    gate: PromptGate,
}

impl LiveDetectors {
    /// For a meeting whose call starts at `now_ms`.
    pub fn new(config: LiveConfig, now_ms: u64) -> LiveDetectors {
        LiveDetectors {
            engagement: Engagement::new(config.engagement),
            lull: LullDetector::new(config.lull, now_ms),
            topic: TopicShiftDetector::new(config.topic),
            gate: PromptGate::new(config.gate),
        }
    }

    /// Applies new detector and gate settings (counters and history kept).
    pub fn set_config(&mut self, config: LiveConfig) {
        self.lull.set_config(config.lull);
        self.topic.set_config(config.topic);
        self.gate.set_config(config.gate);
    }

    /// Folds one transcript chunk in (in order).
    pub fn observe(&mut self, u: &Utterance) {
        self.engagement.observe(u);
        self.lull.observe(u);
        self.topic.observe(u);
    }

    /// Checks both detectors at `now_ms`; `overloaded` is the room's
    /// backpressure signal.
    pub fn poll(&mut self, now_ms: u64, overloaded: bool) -> PollOutcome {
        let shift = self.topic.poll(now_ms);
        let lull = self.lull.poll(now_ms);
        let trigger = match (shift, lull) {
            (Some(s), _) => Trigger::TopicShift {
                previous_topics: s.previous_topics,
            },
            (None, Some(l)) => Trigger::Lull { kind: l.kind },
            (None, None) => return PollOutcome::Idle,
        };
        match self.gate.decide(now_ms, overloaded) {
            GateDecision::Allow => PollOutcome::Generate(Detection {
                at_ms: now_ms,
                trigger,
                topics: self.topic.current_topics(now_ms),
                speaking_ratios: self.engagement.ratios(),
            }),
            GateDecision::TooSoon { next_at_ms } => PollOutcome::RateLimited {
                trigger,
                next_at_ms,
            },
            GateDecision::Shed => PollOutcome::Shed { trigger },
        }
    }

    /// The earliest time a detector wants a poll (absolute unix ms). The
    /// topic detector only looks before the lull's wake-up: a poll then
    /// checks both.
    pub fn poll_timeout(&self) -> Option<u64> {
        let lull = self.lull.poll_timeout();
        match self.topic.poll_timeout_before(lull) {
            Some(t) => Some(lull.map_or(t, |l| l.min(t))),
            None => lull,
        }
    }

    pub fn gate_counters(&self) -> GateCounters {
        self.gate.counters()
    }

    pub fn current_topics(&self, now_ms: u64) -> Vec<String> {
        self.topic.current_topics(now_ms)
    }

    pub fn speaking_ratios(&self) -> BTreeMap<String, f64> {
        self.engagement.ratios()
    }

    pub fn meeting_state(&self, now_ms: u64) -> MeetingStateColumns {
        MeetingStateColumns {
            speaking_stats: self.engagement.to_json(now_ms),
            lull_state: serde_json::json!({
                "lulls": self.lull.lull_count(),
                "topic_shifts": self.topic.shift_count(),
                "last_speech_ms": self.engagement.last_speech_ms(),
                "words_per_min": self.lull.words_per_min(now_ms),
                "next_poll_ms": self.poll_timeout(),
                "gate": self.gate.counters(),
            }),
            topics: serde_json::json!(self.topic.current_topics(now_ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::lull::LullKind;

    const PRICING: &[&str] = &[
        "our pricing model needs a cheaper starter tier",
        "enterprise customers pay annual pricing with discounts",
        "the starter tier pricing should stay under twenty dollars",
    ];
    const HIRING: &[&str] = &[
        "we are hiring two backend engineers in berlin",
        "the interview loop for engineers takes three weeks",
        "recruiters in berlin say backend salaries are rising",
    ];

    /// Drives the pipeline the way the room does: each chunk is observed
    /// and polled at its end; between chunks the room sleeps until
    /// `poll_timeout` (if earlier than the next chunk) and polls then.
    fn script(
        d: &mut LiveDetectors,
        chunks: &[(u64, &str, &str)],
        until_ms: u64,
    ) -> Vec<PollOutcome> {
        let mut out = Vec::new();
        let mut now = 0;
        let mut next_chunk = chunks.iter().peekable();
        loop {
            let chunk_at = next_chunk.peek().map(|c| c.0 + 4_000);
            let wake = d.poll_timeout().filter(|t| *t > now);
            let t = match (chunk_at, wake) {
                (Some(c), Some(w)) if w < c => w,
                (Some(c), _) => c,
                (None, Some(w)) if w <= until_ms => w,
                _ => break,
            };
            now = t;
            if chunk_at == Some(t) {
                if let Some((start, who, text)) = next_chunk.next() {
                    d.observe(&Utterance::new(who, text, *start, start + 4_000));
                }
            }
            let o = d.poll(now, false);
            if o != PollOutcome::Idle {
                out.push(o);
            }
        }
        out
    }

    #[test]
    fn i25_scripted_call_silence_then_topic_change() {
        let mut d = LiveDetectors::new(
            LiveConfig {
                gate: GateConfig {
                    min_interval_ms: 30_000,
                },
                ..Default::default()
            },
            0,
        );
        let mut chunks: Vec<(u64, &str, &str)> = Vec::new();
        // 0–120 s pricing talk, one chunk per 5 s.
        for i in 0..24u64 {
            let who = if i % 3 == 0 { "bob" } else { "alice" };
            chunks.push((i * 5_000, who, PRICING[(i % 3) as usize]));
        }
        // Silence 119–150 s, then hiring talk 150–329 s.
        for i in 0..36u64 {
            chunks.push((150_000 + i * 5_000, "alice", HIRING[(i % 3) as usize]));
        }
        let outcomes = script(&mut d, &chunks, 330_000);
        let generated: Vec<&Detection> = outcomes
            .iter()
            .filter_map(|o| match o {
                PollOutcome::Generate(d) => Some(d),
                _ => None,
            })
            .collect();
        // Exactly one lull (the silence) and one topic shift.
        let lulls: Vec<_> = generated
            .iter()
            .filter(|d| matches!(d.trigger, Trigger::Lull { .. }))
            .collect();
        assert_eq!(lulls.len(), 1, "{outcomes:#?}");
        assert_eq!(
            lulls[0].trigger,
            Trigger::Lull {
                kind: LullKind::Silence
            }
        );
        assert_eq!(lulls[0].at_ms, 119_000 + 15_000);
        let shifts: Vec<_> = generated
            .iter()
            .filter(|d| matches!(d.trigger, Trigger::TopicShift { .. }))
            .collect();
        assert_eq!(shifts.len(), 1, "{outcomes:#?}");
        match &shifts[0].trigger {
            Trigger::TopicShift { previous_topics } => {
                assert!(previous_topics.contains(&"pricing".to_owned()))
            }
            t => panic!("{t:?}"),
        }
        assert!(shifts[0]
            .topics
            .iter()
            .any(|t| t == "berlin" || t == "engineers" || t == "backend"));
        assert!(shifts[0].speaking_ratios["alice"] > shifts[0].speaking_ratios["bob"]);
        let state = d.meeting_state(330_000);
        assert!(state.speaking_stats.is_object());
        assert!(state.topics.is_array());
        assert_eq!(state.lull_state["lulls"], 1);
        assert_eq!(state.lull_state["topic_shifts"], 1);
        // The trailing silence is the next wake-up.
        assert_eq!(d.poll_timeout(), Some(329_000 + 15_000));
        // The restored state behaves the same.
        let back: LiveDetectors =
            serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn i25_overload_sheds_detections() {
        let mut d = LiveDetectors::new(LiveConfig::default(), 0);
        assert_eq!(d.poll_timeout(), Some(15_000));
        match d.poll(15_000, true) {
            PollOutcome::Shed { trigger } => assert_eq!(trigger.reason(), "lull"),
            o => panic!("{o:?}"),
        }
        assert_eq!(d.gate_counters().shed, 1);
        assert_eq!(d.poll(16_000, false), PollOutcome::Idle);
    }
}
