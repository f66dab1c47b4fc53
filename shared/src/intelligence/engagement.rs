//! Per-meeting engagement statistics, fed every transcript chunk in order:
//! speaking time, words and turns per speaker, their shares of the total,
//! a rolling word rate over a window, and the time of the last speech
//! (rule I2). The snapshot is what the room writes to
//! `meeting_state.speaking_stats` on flush, and what in-call generation uses
//! to bring quieter participants in.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::Utterance;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementConfig {
    /// The rolling word-rate window.
    pub rate_window_ms: u64,
}

impl Default for EngagementConfig {
    fn default() -> Self {
        EngagementConfig {
            rate_window_ms: 60_000,
        }
    }
}

/// One speaker's running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerTotals {
    pub speaking_ms: u64,
    pub words: u64,
    /// Runs of consecutive chunks by this speaker.
    pub turns: u64,
    pub last_speech_ms: u64,
}

/// The running state; serialisable so the room can persist it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    config: EngagementConfig,
    speakers: BTreeMap<String, SpeakerTotals>,
    /// (end_ms, words) of the chunks still inside the rate window.
    recent: VecDeque<(u64, u64)>,
    last_speaker: Option<String>,
    last_speech_ms: Option<u64>,
}

/// One speaker in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerStats {
    pub speaking_ms: u64,
    /// Share of the total speaking time, in [0, 1].
    pub ratio: f64,
    pub words: u64,
    pub turns: u64,
    pub last_speech_ms: u64,
}

/// The JSON object stored in `meeting_state.speaking_stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakingStats {
    pub speakers: BTreeMap<String, SpeakerStats>,
    pub total_speaking_ms: u64,
    pub total_words: u64,
    /// Words per minute over the last `window_ms`.
    pub word_rate_per_min: f64,
    pub window_ms: u64,
    pub last_speech_ms: Option<u64>,
    pub at_ms: u64,
}

impl Engagement {
    pub fn new(config: EngagementConfig) -> Engagement {
        Engagement {
            config,
            speakers: BTreeMap::new(),
            recent: VecDeque::new(),
            last_speaker: None,
            last_speech_ms: None,
        }
    }

    /// Folds one chunk in (chunks arrive in order).
    pub fn observe(&mut self, u: &Utterance) {
        let words = u.word_count();
        let new_turn = self.last_speaker.as_deref() != Some(u.speaker_id.as_str());
        let s = self.speakers.entry(u.speaker_id.clone()).or_default();
        s.speaking_ms = s
            .speaking_ms
            .saturating_add(u.end_ms.saturating_sub(u.start_ms));
        s.words = s.words.saturating_add(words);
        if new_turn {
            s.turns += 1;
        }
        s.last_speech_ms = s.last_speech_ms.max(u.end_ms);
        self.last_speaker = Some(u.speaker_id.clone());
        self.last_speech_ms = Some(self.last_speech_ms.unwrap_or(0).max(u.end_ms));
        self.recent.push_back((u.end_ms, words));
        self.prune(u.end_ms);
    }

    fn prune(&mut self, now_ms: u64) {
        let from = now_ms.saturating_sub(self.config.rate_window_ms);
        while self.recent.front().is_some_and(|(end, _)| *end <= from) {
            self.recent.pop_front();
        }
    }

    /// Words per minute over `(now - window, now]`.
    pub fn word_rate_per_min(&self, now_ms: u64) -> f64 {
        let from = now_ms.saturating_sub(self.config.rate_window_ms);
        let words: u64 = self
            .recent
            .iter()
            .filter(|(end, _)| *end > from && *end <= now_ms)
            .map(|(_, w)| w)
            .sum();
        words as f64 * 60_000.0 / self.config.rate_window_ms.max(1) as f64
    }

    pub fn last_speech_ms(&self) -> Option<u64> {
        self.last_speech_ms
    }

    /// Each speaker's share of the speaking time so far.
    pub fn ratios(&self) -> BTreeMap<String, f64> {
        let total: u64 = self.speakers.values().map(|s| s.speaking_ms).sum();
        self.speakers
            .iter()
            .map(|(id, s)| {
                let r = if total == 0 {
                    0.0
                } else {
                    s.speaking_ms as f64 / total as f64
                };
                (id.clone(), r)
            })
            .collect()
    }

    pub fn snapshot(&self, now_ms: u64) -> SpeakingStats {
        let ratios = self.ratios();
        SpeakingStats {
            speakers: self
                .speakers
                .iter()
                .map(|(id, s)| {
                    (
                        id.clone(),
                        SpeakerStats {
                            speaking_ms: s.speaking_ms,
                            ratio: ratios.get(id).copied().unwrap_or(0.0),
                            words: s.words,
                            turns: s.turns,
                            last_speech_ms: s.last_speech_ms,
                        },
                    )
                })
                .collect(),
            total_speaking_ms: self.speakers.values().map(|s| s.speaking_ms).sum(),
            total_words: self.speakers.values().map(|s| s.words).sum(),
            word_rate_per_min: self.word_rate_per_min(now_ms),
            window_ms: self.config.rate_window_ms,
            last_speech_ms: self.last_speech_ms,
            at_ms: now_ms,
        }
    }

    /// The snapshot as the JSON object for `meeting_state.speaking_stats`.
    pub fn to_json(&self, now_ms: u64) -> serde_json::Value {
        serde_json::to_value(self.snapshot(now_ms)).unwrap_or_else(|_| serde_json::json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i2_speaking_time_ratios_and_turns() {
        let mut e = Engagement::new(EngagementConfig::default());
        e.observe(&Utterance::new("alice", "one two three", 0, 3_000));
        e.observe(&Utterance::new("alice", "four", 3_000, 4_000));
        e.observe(&Utterance::new("bob", "five six", 4_000, 8_000));
        e.observe(&Utterance::new("alice", "seven", 8_000, 9_000));
        let s = e.snapshot(9_000);
        let a = &s.speakers["alice"];
        let b = &s.speakers["bob"];
        assert_eq!(a.speaking_ms, 5_000);
        assert_eq!(a.turns, 2);
        assert_eq!(b.turns, 1);
        assert!((a.ratio - 5.0 / 9.0).abs() < 1e-9);
        assert!((a.ratio + b.ratio - 1.0).abs() < 1e-9);
        assert_eq!(s.total_words, 7);
        assert_eq!(s.last_speech_ms, Some(9_000));
        let json = e.to_json(9_000);
        assert!(json.is_object());
        assert_eq!(json["speakers"]["bob"]["words"], 2);
    }

    #[test]
    fn i2_word_rate_rolls_over_the_window() {
        let mut e = Engagement::new(EngagementConfig {
            rate_window_ms: 10_000,
        });
        e.observe(&Utterance::new("a", "w w w w w", 0, 1_000));
        e.observe(&Utterance::new("a", "w w w w w", 5_000, 6_000));
        assert!((e.word_rate_per_min(6_000) - 60.0).abs() < 1e-9);
        // The first chunk leaves the window at 11 s.
        assert!((e.word_rate_per_min(11_000) - 30.0).abs() < 1e-9);
        assert_eq!(e.word_rate_per_min(16_000), 0.0);
    }

    #[test]
    fn i2_state_round_trips_through_json() {
        let mut e = Engagement::new(EngagementConfig::default());
        e.observe(&Utterance::new("a", "hello there", 0, 1_000));
        let back: Engagement = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
