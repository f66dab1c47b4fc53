//! The topic-shift detector (rules I6–I7): the keywords of the current
//! window `(now - window, now]` are compared with those of the previous
//! window `(now - 2·window, now - window]` by cosine similarity of their
//! term frequencies. A shift is a similarity under `threshold` while both
//! windows hold at least `min_words` content words (I6). After a shift the
//! detector holds off for one window, so the window that triggered it
//! becomes the "previous" one and the same shift is not reported twice (I7).
//!
//! Pure: chunks through [`TopicShiftDetector::observe`], time through
//! [`TopicShiftDetector::poll`]; [`TopicShiftDetector::poll_timeout`] is the
//! next time a shift would be reported if no chunk arrives (windows change as
//! chunks age out). [`TopicShiftDetector::current_topics`] is what the room
//! writes to `meeting_state.topics`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::keywords::TermCounts;
use super::Utterance;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TopicShiftConfig {
    pub window_ms: u64,
    /// Content words each window needs before it is compared.
    pub min_words: u32,
    /// A similarity under this is a shift.
    pub threshold: f64,
    /// Topics reported per window.
    pub top_k: usize,
}

impl Default for TopicShiftConfig {
    fn default() -> Self {
        TopicShiftConfig {
            window_ms: 60_000,
            min_words: 12,
            threshold: 0.2,
            top_k: 5,
        }
    }
}

/// A detected shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicShift {
    pub at_ms: u64,
    /// Cosine similarity of the two windows, in [0, 1].
    pub similarity: f64,
    pub previous_topics: Vec<String>,
    pub current_topics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicShiftDetector {
    config: TopicShiftConfig,
    /// (end_ms, terms) of the chunks inside the last two windows.
    chunks: VecDeque<(u64, TermCounts)>,
    hold_until_ms: u64,
    latest_ms: u64,
    shifts: u64,
}

impl TopicShiftDetector {
    pub fn new(config: TopicShiftConfig) -> TopicShiftDetector {
        TopicShiftDetector {
            config,
            chunks: VecDeque::new(),
            hold_until_ms: 0,
            latest_ms: 0,
            shifts: 0,
        }
    }

    pub fn config(&self) -> &TopicShiftConfig {
        &self.config
    }

    pub fn set_config(&mut self, config: TopicShiftConfig) {
        self.config = config;
    }

    pub fn shift_count(&self) -> u64 {
        self.shifts
    }

    pub fn observe(&mut self, u: &Utterance) {
        let terms = TermCounts::from_text(&u.text);
        self.latest_ms = self.latest_ms.max(u.end_ms);
        if terms.total() > 0 {
            self.chunks.push_back((u.end_ms, terms));
        }
        let from = self
            .latest_ms
            .saturating_sub(self.config.window_ms.saturating_mul(2));
        while self.chunks.front().is_some_and(|(end, _)| *end <= from) {
            self.chunks.pop_front();
        }
    }

    /// Term counts of the chunks ending in `(from, to]`.
    fn window(&self, from: u64, to: u64) -> TermCounts {
        let mut c = TermCounts::new();
        for (_, t) in self
            .chunks
            .iter()
            .filter(|(end, _)| *end > from && *end <= to)
        {
            c.merge(t);
        }
        c
    }

    fn windows(&self, now_ms: u64) -> (TermCounts, TermCounts) {
        let w = self.config.window_ms;
        let mid = now_ms.saturating_sub(w);
        (
            self.window(mid.saturating_sub(w), mid),
            self.window(mid, now_ms),
        )
    }

    fn topics(&self, c: &TermCounts) -> Vec<String> {
        c.top(self.config.top_k)
            .into_iter()
            .map(|k| k.term)
            .collect()
    }

    /// The top keywords of the current window (`meeting_state.topics`).
    pub fn current_topics(&self, now_ms: u64) -> Vec<String> {
        let (_, cur) = self.windows(now_ms);
        self.topics(&cur)
    }

    /// Words in the chunks ending in `(from, to]`, without merging terms.
    fn words(&self, from: u64, to: u64) -> u64 {
        self.chunks
            .iter()
            .filter(|(end, _)| *end > from && *end <= to)
            .map(|(_, t)| u64::from(t.total()))
            .sum()
    }

    fn check(&self, now_ms: u64) -> Option<TopicShift> {
        if now_ms < self.hold_until_ms {
            return None;
        }
        // Cheap first: both windows need enough words before any merging.
        let w = self.config.window_ms;
        let mid = now_ms.saturating_sub(w);
        let min = u64::from(self.config.min_words);
        if self.words(mid.saturating_sub(w), mid) < min || self.words(mid, now_ms) < min {
            return None;
        }
        let (prev, cur) = self.windows(now_ms);
        if prev.total() < self.config.min_words || cur.total() < self.config.min_words {
            return None;
        }
        let similarity = prev.cosine(&cur);
        (similarity < self.config.threshold).then(|| TopicShift {
            at_ms: now_ms,
            similarity,
            previous_topics: self.topics(&prev),
            current_topics: self.topics(&cur),
        })
    }

    /// Checks for a shift at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> Option<TopicShift> {
        self.latest_ms = self.latest_ms.max(now_ms);
        let shift = self.check(now_ms)?;
        self.hold_until_ms = now_ms.saturating_add(self.config.window_ms);
        self.shifts += 1;
        Some(shift)
    }

    /// The next time a shift would be reported if no chunk arrives: the
    /// windows only change when a chunk crosses a window edge, so those
    /// instants (and the end of a hold-off) are the only candidates.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.poll_timeout_before(None)
    }

    /// [`TopicShiftDetector::poll_timeout`] among the instants before
    /// `limit` only: a caller that wakes at `limit` anyway (the lull's
    /// wake-up) polls then and needs no later candidate. Each candidate
    /// costs a window check, so this keeps a busy room's deadline cheap.
    pub fn poll_timeout_before(&self, limit: Option<u64>) -> Option<u64> {
        let w = self.config.window_ms;
        let now = self.latest_ms;
        let mut candidates: Vec<u64> = vec![now, self.hold_until_ms];
        for (end, _) in &self.chunks {
            candidates.push(end.saturating_add(w));
            candidates.push(end.saturating_add(w.saturating_mul(2)));
        }
        candidates.retain(|t| *t >= now && limit.is_none_or(|l| *t < l));
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find(|t| self.check(*t).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICING: &[&str] = &[
        "our pricing model needs a cheaper starter tier",
        "enterprise customers pay annual pricing with discounts",
        "the starter tier pricing should stay under twenty dollars",
        "discounts for annual enterprise plans hurt margins",
    ];
    const HIRING: &[&str] = &[
        "we are hiring two backend engineers in berlin",
        "the interview loop for engineers takes three weeks",
        "recruiters in berlin say backend salaries are rising",
        "hiring a staff engineer first would speed interviews",
    ];

    /// One 5-second chunk per sentence, cycling, polled at each chunk end.
    fn speak(
        d: &mut TopicShiftDetector,
        lines: &[&str],
        from_ms: u64,
        to_ms: u64,
    ) -> Vec<TopicShift> {
        let mut out = Vec::new();
        let mut t = from_ms;
        let mut i = 0;
        while t < to_ms {
            let line = lines[i % lines.len()];
            d.observe(&Utterance::new("a", line, t, t + 5_000));
            out.extend(d.poll(t + 5_000));
            t += 5_000;
            i += 1;
        }
        out
    }

    #[test]
    fn i6_a_topic_change_produces_one_shift() {
        let mut d = TopicShiftDetector::new(TopicShiftConfig::default());
        assert!(speak(&mut d, PRICING, 0, 180_000).is_empty());
        assert!(d.current_topics(180_000).contains(&"pricing".to_owned()));
        let shifts = speak(&mut d, HIRING, 180_000, 360_000);
        assert_eq!(shifts.len(), 1, "{shifts:?}");
        let s = &shifts[0];
        assert!(s.similarity < 0.2);
        assert!(s.previous_topics.contains(&"pricing".to_owned()));
        assert!(
            s.current_topics
                .iter()
                .any(|t| t == "hiring" || t == "engineers" || t == "berlin"),
            "{s:?}"
        );
        assert!(d
            .current_topics(360_000)
            .iter()
            .any(|t| t == "berlin" || t == "hiring" || t == "engineers"));
    }

    #[test]
    fn i6_the_same_topic_never_shifts() {
        let mut d = TopicShiftDetector::new(TopicShiftConfig::default());
        assert!(speak(&mut d, PRICING, 0, 600_000).is_empty());
    }

    #[test]
    fn i6_too_few_words_is_not_a_shift() {
        let mut d = TopicShiftDetector::new(TopicShiftConfig::default());
        speak(&mut d, PRICING, 0, 120_000);
        // One short sentence on a new topic: under min_words.
        d.observe(&Utterance::new("b", "hiring engineers", 120_000, 121_000));
        for s in 121..300 {
            assert!(d.poll(s * 1000).is_none());
        }
    }

    #[test]
    fn i7_poll_timeout_finds_a_shift_that_time_alone_reveals() {
        let mut d = TopicShiftDetector::new(TopicShiftConfig::default());
        speak(&mut d, PRICING, 0, 120_000);
        // Hiring talk for 35 s, then silence: the new window has enough
        // words but still overlaps pricing talk; as pricing ages out of the
        // current window the similarity drops.
        let before = speak(&mut d, HIRING, 120_000, 155_000);
        assert!(before.is_empty(), "{before:?}");
        let at = d.poll_timeout().unwrap();
        assert!(at > 155_000);
        assert!(d.poll(at - 1).is_none());
        assert!(d.poll(at).is_some());
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn i7_a_bounded_wake_up_is_the_full_one_when_it_comes_first() {
        let mut d = TopicShiftDetector::new(TopicShiftConfig::default());
        speak(&mut d, PRICING, 0, 60_000);
        speak(&mut d, HIRING, 60_000, 100_000);
        let full = d.poll_timeout();
        let t = full.expect("old talk ageing out reveals a shift");
        assert_eq!(d.poll_timeout_before(Some(t + 1)), full);
        assert_eq!(d.poll_timeout_before(Some(t)), None);
        assert_eq!(d.poll_timeout_before(None), full);
    }
}
