//! A mergeable latency sketch (rule O1, docs/operations.md): log-spaced
//! buckets with a bounded relative error, so per-minute sketches from many
//! isolates add up into one, and any quantile of the sum is within
//! [`RELATIVE_ERROR`] of the true value. The same idea as DDSketch
//! (Masson et al., 2019), written for our needs: sparse buckets in a
//! `BTreeMap` (a route's minute touches a few dozen), serde for storage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The bound on a quantile's relative error (1 %).
pub const RELATIVE_ERROR: f64 = 0.01;

/// Values at or below this (ms) share bucket 0 (sub-microsecond timings
/// carry no information for request latency).
const MIN_VALUE: f64 = 0.001;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
}

/// Reads the buckets with their keys as JSON writes them (strings). Serde's
/// own integer-key parsing does not survive being buffered inside a tagged
/// enum (`Event::Histogram`), so the keys are parsed here.
fn bucket_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<i32, u64>, D::Error> {
    let raw = BTreeMap::<String, u64>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, n)| {
            k.parse::<i32>()
                .map(|i| (i, n))
                .map_err(|_| serde::de::Error::custom(format!("bucket key {k:?}")))
        })
        .collect()
}

/// A sketch of non-negative values (milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    /// Bucket index → count. Bucket `i` holds values in
    /// `(γ^(i-1), γ^i]` (× `MIN_VALUE`); 0 holds everything at or below `MIN_VALUE`.
    #[serde(deserialize_with = "bucket_keys")]
    buckets: BTreeMap<i32, u64>,
    count: u64,
    sum: f64,
    max: f64,
}

impl Sketch {
    pub fn new() -> Sketch {
        Sketch::default()
    }

    fn index(value: f64) -> i32 {
        // NaN lands here too: it is not greater than anything.
        if value.is_nan() || value <= MIN_VALUE {
            return 0;
        }
        // ceil(log_γ(value / MIN_VALUE)) ≥ 1.
        ((value / MIN_VALUE).ln() / gamma().ln()).ceil().max(1.0) as i32
    }

    /// The value a bucket stands for: the point whose relative distance to
    /// both bucket edges is the same (at most `RELATIVE_ERROR`).
    fn value_of(index: i32) -> f64 {
        if index <= 0 {
            return MIN_VALUE;
        }
        let g = gamma();
        MIN_VALUE * 2.0 * g.powi(index) / (g + 1.0)
    }

    /// Records one value. Negative and non-finite values count as 0.
    pub fn record(&mut self, value: f64) {
        self.record_n(value, 1);
    }

    /// Records `n` occurrences of one value (as `n` calls of `record`).
    pub fn record_n(&mut self, value: f64, n: u64) {
        if n == 0 {
            return;
        }
        let v = if value.is_finite() && value > 0.0 {
            value
        } else {
            0.0
        };
        *self.buckets.entry(Sketch::index(v)).or_insert(0) += n;
        self.count += n;
        self.sum += v * n as f64;
        if v > self.max {
            self.max = v;
        }
    }

    /// The non-empty buckets as (the value each stands for, count), in
    /// increasing order: how a sketch is written to Analytics Engine.
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.buckets
            .iter()
            .map(|(i, n)| (Sketch::value_of(*i).min(self.max.max(MIN_VALUE)), *n))
    }

    /// Adds another sketch in (merging is exact: bucket counts add).
    pub fn merge(&mut self, other: &Sketch) {
        for (i, n) in &other.buckets {
            *self.buckets.entry(*i).or_insert(0) += n;
        }
        self.count += other.count;
        self.sum += other.sum;
        if other.max > self.max {
            self.max = other.max;
        }
    }

    /// Adds `n` values of bucket `index` whose sum is `sum` and largest is
    /// `max`: rebuilding a sketch from its buckets as stored elsewhere
    /// (Analytics Engine, `analytics_engine.rs`). The result is the sketch
    /// those values would have made.
    pub fn add_bucket(&mut self, index: i32, n: u64, sum: f64, max: f64) {
        if n == 0 {
            return;
        }
        *self.buckets.entry(index.max(0)).or_insert(0) += n;
        self.count += n;
        self.sum += sum.max(0.0);
        if max > self.max {
            self.max = max;
        }
    }

    /// The bucket a value falls in (what `add_bucket` takes).
    pub fn bucket_of(value: f64) -> i32 {
        Sketch::index(value)
    }

    /// ln γ, for computing bucket indexes elsewhere (an SQL query).
    pub fn ln_gamma() -> f64 {
        gamma().ln()
    }

    /// Values at or below this share bucket 0.
    pub const MIN_VALUE: f64 = MIN_VALUE;

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    pub fn max(&self) -> f64 {
        self.max
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) by the nearest-rank definition, within
    /// `RELATIVE_ERROR`; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        // Nearest rank: the smallest value with at least ⌈q·n⌉ values at or below it.
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Some(Sketch::value_of(*i).min(self.max.max(MIN_VALUE)));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(mut v: Vec<f64>, q: f64) -> f64 {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let rank = ((q * v.len() as f64).ceil() as usize).max(1);
        v[rank - 1]
    }

    #[test]
    fn o1_quantiles_are_within_the_relative_error() {
        // A spread of latencies from 0.05 ms to 5 s.
        let values: Vec<f64> = (1..=5000).map(|i| 0.05 * (1.0023f64).powi(i)).collect();
        let mut s = Sketch::new();
        for v in &values {
            s.record(*v);
        }
        for q in [0.5, 0.9, 0.95, 0.99, 1.0] {
            let want = exact(values.clone(), q);
            let got = s.quantile(q).unwrap();
            assert!(
                (got - want).abs() / want <= RELATIVE_ERROR + 1e-9,
                "q{q}: {got} vs {want}"
            );
        }
        assert_eq!(s.count(), 5000);
    }

    #[test]
    fn o1_merged_sketches_answer_as_one_sketch_of_everything() {
        let (mut a, mut b, mut all) = (Sketch::new(), Sketch::new(), Sketch::new());
        for i in 0..1000 {
            let v = f64::from(i % 97) + 0.5;
            if i % 3 == 0 {
                a.record(v);
            } else {
                b.record(v);
            }
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a, all);
        // Survives storage as JSON.
        let back: Sketch = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, all);
    }

    #[test]
    fn o1_odd_values_never_panic_and_empty_has_no_quantile() {
        let mut s = Sketch::new();
        assert_eq!(s.quantile(0.5), None);
        for v in [f64::NAN, -3.0, f64::INFINITY, 0.0, 1e-9] {
            s.record(v);
        }
        assert_eq!(s.count(), 5);
        assert!(s.quantile(0.99).unwrap() <= MIN_VALUE);
    }
}
