//! The lull detector (rules I3–I5): a lull is a silence longer than
//! `silence_ms` (I3), or talk slower than `min_words_per_min` over the last
//! `window_ms` (I4). Each lull episode is reported once (I5): after a lull,
//! a silence lull needs new speech first, and a slow-talk lull needs the
//! word rate to have recovered to the threshold first.
//!
//! Pure: chunks come in through [`LullDetector::observe`], time through
//! [`LullDetector::poll`]; [`LullDetector::poll_timeout`] says when the
//! detector next wants to be polled if nothing else happens, so the room can
//! set its alarm. The whole state serialises (`meeting_state.lull_state`).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::Utterance;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LullConfig {
    /// A silence this long is a lull.
    pub silence_ms: u64,
    /// The word-rate window.
    pub window_ms: u64,
    /// Under this many words per minute over the window is a lull.
    pub min_words_per_min: f64,
}

impl Default for LullConfig {
    fn default() -> Self {
        LullConfig {
            silence_ms: 15_000,
            window_ms: 60_000,
            min_words_per_min: 40.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LullKind {
    Silence,
    SlowTalk,
}

/// A detected lull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lull {
    pub kind: LullKind,
    pub at_ms: u64,
    /// Time since the last speech (or since the start when nobody spoke).
    pub silent_for_ms: u64,
    pub words_per_min: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LullDetector {
    config: LullConfig,
    started_ms: u64,
    last_speech_ms: Option<u64>,
    /// (end_ms, words) of chunks inside the window.
    recent: VecDeque<(u64, u64)>,
    last_fired_ms: Option<u64>,
    /// Whether a slow-talk lull may fire (re-armed when the rate recovers).
    slow_armed: bool,
    /// The latest time seen (a chunk end or a poll).
    latest_ms: u64,
    lulls: u64,
}

impl LullDetector {
    /// A detector for a meeting whose talk starts at `now_ms`.
    pub fn new(config: LullConfig, now_ms: u64) -> LullDetector {
        LullDetector {
            config,
            started_ms: now_ms,
            last_speech_ms: None,
            recent: VecDeque::new(),
            last_fired_ms: None,
            slow_armed: true,
            latest_ms: now_ms,
            lulls: 0,
        }
    }

    pub fn config(&self) -> &LullConfig {
        &self.config
    }

    /// Applies a new configuration (e.g. pushed by a flag change).
    pub fn set_config(&mut self, config: LullConfig) {
        self.config = config;
    }

    /// How many lulls have been reported.
    pub fn lull_count(&self) -> u64 {
        self.lulls
    }

    pub fn observe(&mut self, u: &Utterance) {
        let words = u.word_count();
        if words == 0 {
            return;
        }
        self.last_speech_ms = Some(self.last_speech_ms.unwrap_or(0).max(u.end_ms));
        self.latest_ms = self.latest_ms.max(u.end_ms);
        self.recent.push_back((u.end_ms, words));
        let from = self.latest_ms.saturating_sub(self.config.window_ms);
        while self.recent.front().is_some_and(|(end, _)| *end <= from) {
            self.recent.pop_front();
        }
        if !self.slow_armed && !self.slow_at(self.latest_ms) {
            self.slow_armed = true;
        }
    }

    fn words_in_window(&self, now_ms: u64) -> u64 {
        let from = now_ms.saturating_sub(self.config.window_ms);
        self.recent
            .iter()
            .filter(|(end, _)| *end > from && *end <= now_ms)
            .map(|(_, w)| w)
            .sum()
    }

    fn rate(&self, words: u64) -> f64 {
        words as f64 * 60_000.0 / self.config.window_ms.max(1) as f64
    }

    /// Words per minute over the window ending at `now_ms`.
    pub fn words_per_min(&self, now_ms: u64) -> f64 {
        self.rate(self.words_in_window(now_ms))
    }

    fn slow_at(&self, now_ms: u64) -> bool {
        self.words_per_min(now_ms) < self.config.min_words_per_min
    }

    fn silent_since(&self) -> u64 {
        self.last_speech_ms
            .unwrap_or(self.started_ms)
            .max(self.started_ms)
    }

    fn silence_eligible(&self) -> bool {
        self.last_fired_ms.is_none_or(|f| self.silent_since() > f)
    }

    fn slow_eligible(&self, now_ms: u64) -> bool {
        self.slow_armed
            && self.last_speech_ms.is_some()
            && now_ms >= self.started_ms.saturating_add(self.config.window_ms)
    }

    /// Checks for a lull at `now_ms`; reports each episode once.
    pub fn poll(&mut self, now_ms: u64) -> Option<Lull> {
        self.latest_ms = self.latest_ms.max(now_ms);
        let since = self.silent_since();
        let silent_for_ms = now_ms.saturating_sub(since);
        let kind = if self.silence_eligible() && silent_for_ms >= self.config.silence_ms {
            LullKind::Silence
        } else if self.slow_eligible(now_ms) && self.slow_at(now_ms) {
            LullKind::SlowTalk
        } else {
            return None;
        };
        self.last_fired_ms = Some(now_ms);
        self.slow_armed = false;
        self.lulls += 1;
        Some(Lull {
            kind,
            at_ms: now_ms,
            silent_for_ms,
            words_per_min: self.words_per_min(now_ms),
        })
    }

    /// When the detector next needs a poll if no chunk arrives (absolute
    /// unix ms; a time at or before now means "poll now"). `None`: nothing
    /// can fire until speech arrives.
    pub fn poll_timeout(&self) -> Option<u64> {
        let silence = self
            .silence_eligible()
            .then(|| self.silent_since().saturating_add(self.config.silence_ms));
        let slow = self.next_slow_time();
        match (silence, slow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The first time, with no new chunk, at which the rate falls under
    /// the threshold (it only falls as chunks leave the window).
    fn next_slow_time(&self) -> Option<u64> {
        self.last_speech_ms?;
        if !self.slow_armed {
            return None;
        }
        let t0 = self
            .latest_ms
            .max(self.started_ms.saturating_add(self.config.window_ms));
        if self.slow_at(t0) {
            return Some(t0);
        }
        let mut ends: Vec<(u64, u64)> = self
            .recent
            .iter()
            .copied()
            .filter(|(end, _)| *end > t0.saturating_sub(self.config.window_ms) && *end <= t0)
            .collect();
        ends.sort_unstable();
        let mut remaining = self.words_in_window(t0);
        for (end, words) in ends {
            remaining = remaining.saturating_sub(words);
            if self.rate(remaining) < self.config.min_words_per_min {
                return Some(end.saturating_add(self.config.window_ms).max(t0));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2-second chunks over `[from, to)`, polled at each chunk's end.
    fn talk(d: &mut LullDetector, from_ms: u64, to_ms: u64, words_per_chunk: usize) -> Vec<Lull> {
        let text = vec!["word"; words_per_chunk].join(" ");
        let mut t = from_ms;
        let mut out = Vec::new();
        while t < to_ms {
            d.observe(&Utterance::new("a", &text, t, t + 2_000));
            out.extend(d.poll(t + 2_000));
            t += 2_000;
        }
        out
    }

    /// Polls every second over `[from, to)`, collecting lulls.
    fn poll_range(d: &mut LullDetector, from_ms: u64, to_ms: u64) -> Vec<Lull> {
        (from_ms / 1000..to_ms / 1000)
            .filter_map(|s| d.poll(s * 1000))
            .collect()
    }

    #[test]
    fn i3_lull_fires_after_silence_window_exactly_once() {
        let mut d = LullDetector::new(LullConfig::default(), 0);
        assert!(talk(&mut d, 0, 70_000, 5).is_empty()); // 150 words/min
        assert_eq!(d.poll_timeout(), Some(70_000 + 15_000));
        let lulls = poll_range(&mut d, 70_000, 200_000);
        assert_eq!(lulls.len(), 1, "{lulls:?}");
        assert_eq!(lulls[0].kind, LullKind::Silence);
        assert_eq!(lulls[0].at_ms, 85_000);
        assert_eq!(lulls[0].silent_for_ms, 15_000);
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn i3_speech_after_a_lull_rearms_the_silence_detector() {
        let mut d = LullDetector::new(LullConfig::default(), 0);
        assert!(talk(&mut d, 0, 70_000, 5).is_empty());
        assert_eq!(poll_range(&mut d, 70_000, 100_000).len(), 1);
        d.observe(&Utterance::new("b", "anyone there", 100_000, 101_000));
        assert_eq!(d.poll_timeout(), Some(116_000));
        let again = poll_range(&mut d, 101_000, 130_000);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].at_ms, 116_000);
        assert_eq!(d.lull_count(), 2);
    }

    #[test]
    fn i3_silence_from_the_start_is_a_lull() {
        let mut d = LullDetector::new(LullConfig::default(), 1_000);
        assert_eq!(d.poll_timeout(), Some(16_000));
        assert!(d.poll(15_999).is_none());
        assert_eq!(d.poll(16_000).map(|l| l.kind), Some(LullKind::Silence));
        assert!(d.poll(60_000).is_none());
    }

    #[test]
    fn i4_slow_talk_is_a_lull_once_until_the_rate_recovers() {
        let cfg = LullConfig {
            silence_ms: 15_000,
            window_ms: 60_000,
            min_words_per_min: 40.0,
        };
        let mut d = LullDetector::new(cfg, 0);
        let mut fired = Vec::new();
        // 2 words every 5 s = 24 words/min: never silent 15 s, but slow.
        let mut t = 0;
        while t < 180_000 {
            d.observe(&Utterance::new("a", "um well", t, t + 1_000));
            fired.extend(d.poll(t + 1_000));
            t += 5_000;
        }
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].kind, LullKind::SlowTalk);
        assert_eq!(fired[0].at_ms, 61_000);
        // The talk picks up, then slows again: a second episode.
        assert!(talk(&mut d, 180_000, 240_000, 5).is_empty());
        let mut t = 240_000;
        while t < 400_000 {
            d.observe(&Utterance::new("a", "hmm right", t, t + 1_000));
            fired.extend(d.poll(t + 1_000));
            t += 5_000;
        }
        assert_eq!(fired.len(), 2, "{fired:?}");
    }

    #[test]
    fn i4_poll_timeout_predicts_the_slow_talk_lull() {
        let cfg = LullConfig {
            silence_ms: 1_000_000,
            window_ms: 60_000,
            min_words_per_min: 40.0,
        };
        let mut d = LullDetector::new(cfg, 0);
        assert!(talk(&mut d, 0, 60_000, 5).is_empty()); // 150 wpm, the window full
        let at = d.poll_timeout().unwrap();
        // With no new chunk the rate drops under 40 wpm once fewer than 40
        // words remain: 8 chunks of 5 words, i.e. when the chunk ending at
        // 46 s leaves the window.
        assert_eq!(at, 106_000);
        assert!(d.poll(at - 1).is_none());
        assert_eq!(d.poll(at).map(|l| l.kind), Some(LullKind::SlowTalk));
    }

    #[test]
    fn i5_lull_state_round_trips_through_json() {
        let mut d = LullDetector::new(LullConfig::default(), 0);
        talk(&mut d, 0, 10_000, 3);
        d.poll(11_000);
        let json = serde_json::to_string(&d).unwrap();
        let back: LullDetector = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
    }
}
