//! What each client records while a phase runs, and the summaries the report
//! shows. Clients keep their own [`ClientStats`] (no shared lock on the hot
//! path) and hand them back when the phase ends; the phase merges them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::tag::Stream;

/// Latency samples in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<u32>);

impl Samples {
    pub fn push_us(&mut self, us: u64) {
        self.0.push(u32::try_from(us).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    /// Nearest-rank percentiles, in milliseconds.
    pub fn summary(mut self) -> Summary {
        self.0.sort_unstable();
        let n = self.0.len();
        let rank = |p: f64| -> f64 {
            if n == 0 {
                return 0.0;
            }
            // Nearest rank: the smallest sample with at least p of them at or below it.
            let k = ((p * n as f64).ceil() as usize).clamp(1, n);
            ms(self.0[k - 1])
        };
        let mean = if n == 0 {
            0.0
        } else {
            self.0.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64 / 1000.0
        };
        Summary {
            count: n as u64,
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            p99_ms: rank(0.99),
            max_ms: self.0.last().copied().map(ms).unwrap_or(0.0),
            mean_ms: round3(mean),
        }
    }
}

fn ms(us: u32) -> f64 {
    round3(f64::from(us) / 1000.0)
}

pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// What one receiver saw of one sender's stream. Tags carry the sender's
/// sequence number, and each stream is delivered in order, so anything but
/// `last + 1` is a reordering, a duplicate, or a loss.
#[derive(Debug, Clone, Default)]
pub struct Receipts {
    /// Distinct messages received.
    pub count: u64,
    pub last_seq: u64,
    pub out_of_order: u64,
    /// Sequence numbers skipped so far, so a late arrival still counts as
    /// received (capped: past that, a late arrival counts only as reordered).
    missing: std::collections::BTreeSet<u64>,
}

/// Bounds memory when a stream loses most of its messages.
const MAX_TRACKED_GAPS: usize = 10_000;

impl Receipts {
    /// Records `seq`; false for a duplicate (not counted again).
    pub fn record(&mut self, seq: u64) -> bool {
        if seq == self.last_seq + 1 {
            self.last_seq = seq;
            self.count += 1;
            return true;
        }
        self.out_of_order += 1;
        if seq > self.last_seq {
            for skipped in self.last_seq + 1..seq {
                if self.missing.len() >= MAX_TRACKED_GAPS {
                    break;
                }
                self.missing.insert(skipped);
            }
            self.last_seq = seq;
            self.count += 1;
            return true;
        }
        if self.missing.remove(&seq) {
            self.count += 1;
            return true;
        }
        false
    }
}

/// Per stream: indexed by [`Stream::index`].
pub type PerStream<T> = [T; 2];

#[derive(Debug, Default)]
pub struct ClientStats {
    /// Send → receipt at this client, for others' messages sent in the window.
    pub delivery: PerStream<Samples>,
    /// Send → acknowledgement (notes ack, transcript echo) of own messages sent in the window.
    pub ack: PerStream<Samples>,
    /// Own messages created, all of the phase (for loss accounting).
    pub sent: PerStream<u64>,
    /// Own messages created inside the measurement window.
    pub sent_in_window: PerStream<u64>,
    pub acked: PerStream<u64>,
    /// Receipts of others' messages, by sending participant.
    pub received: PerStream<BTreeMap<u32, Receipts>>,
    /// Server stream positions that skipped or went back (notes versions
    /// held for reordering, transcript seq gaps).
    pub server_reordered: u64,
    /// Errors by kind (a short stable label, with the detail of the first one).
    pub errors: BTreeMap<String, ErrorCount>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorCount {
    pub count: u64,
    pub first: String,
}

impl ClientStats {
    pub fn error(&mut self, kind: &str, detail: impl FnOnce() -> String) {
        let entry = self.errors.entry(kind.to_owned()).or_default();
        if entry.count == 0 {
            entry.first = detail();
        }
        entry.count += 1;
    }

    pub fn receipts(&mut self, stream: Stream, sender: u32) -> &mut Receipts {
        self.received[stream.index()].entry(sender).or_default()
    }
}

/// Merges error tallies, keeping the first detail seen.
pub fn merge_errors(into: &mut BTreeMap<String, ErrorCount>, from: BTreeMap<String, ErrorCount>) {
    for (kind, e) in from {
        let entry = into.entry(kind).or_default();
        if entry.count == 0 {
            entry.first = e.first;
        }
        entry.count += e.count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s = Samples::default();
        for us in 1..=100u64 {
            s.push_us(us * 1000);
        }
        let sum = s.summary();
        assert_eq!(
            (sum.count, sum.p50_ms, sum.p95_ms, sum.p99_ms, sum.max_ms),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(Samples::default().summary().count, 0);
    }

    #[test]
    fn receipts_count_gaps_and_duplicates() {
        let mut r = Receipts::default();
        assert!(r.record(1));
        assert!(r.record(4));
        assert!(r.record(2), "late after a gap still counts as received");
        assert!(!r.record(2), "a duplicate does not");
        assert!(!r.record(4));
        assert_eq!((r.count, r.last_seq, r.out_of_order), (3, 4, 4));
    }
}
