//! The topic detector's two windows kept live, for its checks and its
//! wake-up (rules I6–I7): the current window `(t − w, t]` and the previous
//! one `(t − 2w, t − w]` as dense term vectors with their dot product,
//! squared norms and word counts, at the detector's latest time.
//!
//! A chunk ending at `e` enters the current window at `e`, crosses into
//! the previous one at `e + w` and leaves at `e + 2w`; nothing else moves
//! the windows. So moving them forward costs only the chunks that cross an
//! edge, a check at the latest time costs one cosine, and the wake-up is a
//! sweep from a copy of the live windows over the edges before its limit —
//! instead of re-placing every chunk of two windows after every chunk.
//!
//! Derived state: never serialised, rebuilt from the detector's chunks
//! after a restore or a configuration change. It needs the chunks in order
//! of their ends (the room's are: a chunk ends at its commit); the detector
//! falls back to its from-scratch sweep when they are not.

use std::collections::{BTreeMap, VecDeque};

use super::keywords::TermCounts;

/// Where a chunk ending at `end` is at `t`: 1 the current window, 2 the
/// previous one, 0 neither (the same bounds as the detector's windows,
/// saturating at 0).
pub(super) fn place(end: u64, t: u64, w: u64) -> u8 {
    let mid = t.saturating_sub(w);
    let lo = mid.saturating_sub(w);
    if end > mid && end <= t {
        1
    } else if end > lo && end <= mid {
        2
    } else {
        0
    }
}

/// A chunk's terms as (term id, count) pairs, and its content words.
#[derive(Debug, Clone)]
pub(super) struct IndexedChunk {
    pub(super) end: u64,
    pub(super) terms: Vec<(usize, i64)>,
    pub(super) words: u64,
}

/// The two windows as dense vectors: index 1 is the current window, 2 the
/// previous one (0 is "neither" and holds nothing).
#[derive(Debug, Clone)]
pub(super) struct Sweep {
    counts: [Vec<i64>; 3],
    pub(super) words: [u64; 3],
    dot: i64,
    norm2: [i64; 3],
}

impl Sweep {
    pub(super) fn new(terms: usize) -> Sweep {
        Sweep {
            counts: [Vec::new(), vec![0; terms], vec![0; terms]],
            words: [0; 3],
            dot: 0,
            norm2: [0; 3],
        }
    }

    /// Makes room for term ids up to `terms - 1`.
    fn grow(&mut self, terms: usize) {
        for c in &mut self.counts[1..] {
            if c.len() < terms {
                c.resize(terms, 0);
            }
        }
    }

    /// Adds (`sign` 1) or removes (−1) a chunk's terms to window `which`.
    pub(super) fn shift(&mut self, which: u8, terms: &[(usize, i64)], words: u64, sign: i64) {
        let (this, other) = match which {
            1 => (1, 2),
            2 => (2, 1),
            _ => return,
        };
        for (id, n) in terms {
            let d = sign * n;
            let before = self.counts[this][*id];
            self.dot += d * self.counts[other][*id];
            self.norm2[this] += 2 * before * d + d * d;
            self.counts[this][*id] = before + d;
        }
        self.words[this] = if sign > 0 {
            self.words[this] + words
        } else {
            self.words[this].saturating_sub(words)
        };
    }

    /// [`TermCounts::cosine`] of the previous window with the current one
    /// (the same value: every sum is of integers, and the division is in
    /// the same order).
    pub(super) fn cosine(&self) -> f64 {
        let (a, b) = (self.norm2[1] as f64, self.norm2[2] as f64);
        if a == 0.0 || b == 0.0 {
            return 0.0;
        }
        (self.dot as f64 / (b.sqrt() * a.sqrt())).clamp(0.0, 1.0)
    }
}

/// The windows at one instant, with each chunk's place and the first
/// chunks still to cross each edge.
#[derive(Debug, Clone)]
struct Windows {
    sweep: Sweep,
    place: VecDeque<u8>,
    at: u64,
    /// The first chunk with `end + w > at` (the next to enter the previous window).
    next_prev: usize,
    /// The first chunk with `end + 2w > at` (the next to leave).
    next_gone: usize,
}

impl Windows {
    /// Moves the chunk `i` to its place at `t`.
    fn replace(&mut self, chunks: &VecDeque<IndexedChunk>, i: usize, t: u64, w: u64) {
        let c = &chunks[i];
        let want = place(c.end, t, w);
        if want != self.place[i] {
            self.sweep.shift(self.place[i], &c.terms, c.words, -1);
            self.sweep.shift(want, &c.terms, c.words, 1);
            self.place[i] = want;
        }
    }

    /// Moves the windows forward to `to`: only the chunks crossing an edge
    /// in `(at, to]` move.
    fn advance(&mut self, chunks: &VecDeque<IndexedChunk>, w: u64, to: u64) {
        if to <= self.at {
            return;
        }
        while self.next_prev < chunks.len() && chunks[self.next_prev].end.saturating_add(w) <= to {
            self.replace(chunks, self.next_prev, to, w);
            self.next_prev += 1;
        }
        let w2 = w.saturating_mul(2);
        while self.next_gone < chunks.len() && chunks[self.next_gone].end.saturating_add(w2) <= to {
            self.replace(chunks, self.next_gone, to, w);
            self.next_gone += 1;
        }
        self.at = to;
    }

    /// Finds the edge cursors again after chunks were added or removed.
    fn reseek(&mut self, chunks: &VecDeque<IndexedChunk>, w: u64) {
        let at = self.at;
        self.next_prev = chunks.partition_point(|c| c.end.saturating_add(w) <= at);
        let w2 = w.saturating_mul(2);
        self.next_gone = chunks.partition_point(|c| c.end.saturating_add(w2) <= at);
    }
}

/// The detector's chunks indexed by term id, with the live windows.
#[derive(Debug, Clone)]
pub(super) struct TopicWindows {
    window_ms: u64,
    vocab: BTreeMap<String, usize>,
    /// Each term id's stem.
    stems: Vec<String>,
    chunks: VecDeque<IndexedChunk>,
    /// (term id, count) pairs over all chunks: how much of `vocab` is live.
    entries: usize,
    live: Windows,
}

impl TopicWindows {
    /// The windows of `chunks` (end, terms) at `at`; `None` when the ends
    /// are out of order.
    pub(super) fn build<'a>(
        window_ms: u64,
        at: u64,
        chunks: impl Iterator<Item = (u64, &'a TermCounts)>,
    ) -> Option<TopicWindows> {
        let mut windows = TopicWindows {
            window_ms,
            vocab: BTreeMap::new(),
            stems: Vec::new(),
            chunks: VecDeque::new(),
            entries: 0,
            live: Windows {
                sweep: Sweep::new(0),
                place: VecDeque::new(),
                at,
                next_prev: 0,
                next_gone: 0,
            },
        };
        for (end, terms) in chunks {
            if !windows.push(end, terms) {
                return None;
            }
        }
        Some(windows)
    }

    /// The instant the live windows are at.
    pub(super) fn at(&self) -> u64 {
        self.live.at
    }

    /// Whether the term ids outnumber the live terms enough that a rebuild
    /// (which drops the ids of terms no chunk holds) is worth it.
    pub(super) fn wants_compaction(&self) -> bool {
        self.vocab.len() > 1_024 + 2 * self.entries
    }

    /// Moves the live windows forward to `to` (the detector's latest time).
    pub(super) fn advance(&mut self, to: u64) {
        self.live.advance(&self.chunks, self.window_ms, to);
    }

    /// Appends a chunk (its end at or before the live instant). `false`,
    /// and nothing changed, when it ends before the last chunk.
    pub(super) fn push(&mut self, end: u64, counts: &TermCounts) -> bool {
        if self.chunks.back().is_some_and(|last| end < last.end) {
            return false;
        }
        let terms: Vec<(usize, i64)> = counts
            .iter()
            .map(|(stem, n)| {
                let next = self.vocab.len();
                let id = match self.vocab.get(stem) {
                    Some(id) => *id,
                    None => {
                        self.vocab.insert(stem.to_owned(), next);
                        self.stems.push(stem.to_owned());
                        next
                    }
                };
                (id, i64::from(n))
            })
            .collect();
        self.live.sweep.grow(self.vocab.len());
        let chunk = IndexedChunk {
            end,
            terms,
            words: u64::from(counts.total()),
        };
        let at = place(end, self.live.at, self.window_ms);
        self.live.sweep.shift(at, &chunk.terms, chunk.words, 1);
        self.entries += chunk.terms.len();
        self.chunks.push_back(chunk);
        self.live.place.push_back(at);
        self.live.reseek(&self.chunks, self.window_ms);
        true
    }

    /// Drops the oldest chunk (the detector trimmed it).
    pub(super) fn pop_front(&mut self) {
        if let (Some(c), Some(at)) = (self.chunks.pop_front(), self.live.place.pop_front()) {
            self.live.sweep.shift(at, &c.terms, c.words, -1);
            self.entries = self.entries.saturating_sub(c.terms.len());
        }
        self.live.reseek(&self.chunks, self.window_ms);
    }

    /// The `k` most frequent stems of the current window at `t` (at or
    /// after the live instant) with their counts, ties broken by stem: what
    /// [`TermCounts::top`] gives for the merged window, without merging.
    pub(super) fn current_top(&self, t: u64, k: usize) -> Vec<(&str, i64)> {
        let mut windows;
        let live = if t > self.live.at {
            windows = self.live.clone();
            windows.advance(&self.chunks, self.window_ms, t);
            &windows
        } else {
            &self.live
        };
        let mut ranked: Vec<(&str, i64)> = live.sweep.counts[1]
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(id, n)| (self.stems[id].as_str(), *n))
            .collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked.truncate(k);
        ranked
    }

    /// The live windows (for a check at the live instant).
    pub(super) fn sweep(&self) -> &Sweep {
        &self.live.sweep
    }

    /// The first instant in `[at, limit)` — the live instant, `hold_until`,
    /// or an edge crossing — at which the windows hold `min_words` each, the
    /// hold-off is over and the cosine is under `threshold`.
    pub(super) fn first_shift(
        &self,
        limit: Option<u64>,
        hold_until: u64,
        min_words: u64,
        threshold: f64,
    ) -> Option<u64> {
        let w = self.window_ms;
        let w2 = w.saturating_mul(2);
        let now = self.live.at;
        let before = |t: u64| t >= now && limit.is_none_or(|l| t < l);
        let mut candidates: Vec<u64> = Vec::new();
        candidates.extend([now, hold_until].into_iter().filter(|t| before(*t)));
        // The chunks whose edge falls in [now, limit): a range each, as the
        // chunks are in order of their ends.
        for edge in [w, w2] {
            let from = self
                .chunks
                .partition_point(|c| c.end.saturating_add(edge) < now);
            let to = limit.map_or(self.chunks.len(), |l| {
                self.chunks
                    .partition_point(|c| c.end.saturating_add(edge) < l)
            });
            candidates.extend(
                self.chunks
                    .range(from..to.max(from))
                    .map(|c| c.end.saturating_add(edge)),
            );
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut windows = self.live.clone();
        for t in candidates {
            windows.advance(&self.chunks, w, t);
            let s = &windows.sweep;
            if t < hold_until || s.words[1] < min_words || s.words[2] < min_words {
                continue;
            }
            if s.cosine() < threshold {
                return Some(t);
            }
        }
        None
    }
}
