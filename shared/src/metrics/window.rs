//! Per-minute metric buckets and their summaries over a window (rules
//! O2–O3, docs/operations.md). Isolates record events; the aggregator
//! folds them into [`Minutes`] (bounded in time and in names); the admin
//! route and the alert cron read a [`Summary`] of a window. Pure: the
//! current minute is an argument.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sketch::Sketch;

/// Minutes kept (24 h).
pub const RETENTION_MINUTES: i64 = 24 * 60;
/// Distinct names per minute and kind, so a flood of odd names cannot grow
/// the aggregator without bound (O2). Route names come from the route
/// table, so real traffic stays far below it.
pub const MAX_NAMES_PER_MINUTE: usize = 512;

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A timing in ms (route latency, room fan-out).
    Latency { name: String, ms: f64 },
    /// A count to add (responses by status class, shed work, resyncs).
    Count { name: String, n: u64 },
    /// A level; the newest value of the minute wins (sockets, queue depth).
    Gauge { name: String, value: f64 },
    /// Many timings at once, already in a sketch (a room's fan-out
    /// latencies since its last report, O15); merged like `Latency`.
    Histogram { name: String, sketch: Sketch },
}

/// The HTTP events of one response (O3): its latency under the route's
/// name, and a count under `http.<class>.<route>`.
pub fn http_events(route: &str, status: u16, ms: f64) -> [Event; 2] {
    let class = match status {
        500..=599 => "5xx",
        400..=499 => "4xx",
        300..=399 => "3xx",
        _ => "2xx",
    };
    [
        Event::Latency {
            name: route.to_owned(),
            ms,
        },
        Event::Count {
            name: format!("http.{class}.{route}"),
            n: 1,
        },
    ]
}

/// One minute's metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Minute {
    pub latency: BTreeMap<String, Sketch>,
    pub counters: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, f64>,
}

impl Minute {
    /// Folds one event in. Returns false when the event was dropped
    /// because the minute already holds `MAX_NAMES_PER_MINUTE` names of
    /// its kind.
    pub fn apply(&mut self, event: &Event) -> bool {
        fn room<V>(m: &BTreeMap<String, V>, name: &str) -> bool {
            m.contains_key(name) || m.len() < MAX_NAMES_PER_MINUTE
        }
        match event {
            Event::Latency { name, ms } => {
                if !room(&self.latency, name) {
                    return false;
                }
                self.latency.entry(name.clone()).or_default().record(*ms);
            }
            Event::Histogram { name, sketch } => {
                if !room(&self.latency, name) {
                    return false;
                }
                self.latency.entry(name.clone()).or_default().merge(sketch);
            }
            Event::Count { name, n } => {
                if !room(&self.counters, name) {
                    return false;
                }
                *self.counters.entry(name.clone()).or_insert(0) += n;
            }
            Event::Gauge { name, value } => {
                if !room(&self.gauges, name) {
                    return false;
                }
                self.gauges.insert(name.clone(), *value);
            }
        }
        true
    }
}

/// The aggregator's state: minutes (unix ms / 60 000) → metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    pub minutes: BTreeMap<i64, Minute>,
    /// Events dropped by the name bound (a counter of its own).
    pub dropped: u64,
}

pub fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(60_000)
}

/// The minutes that hold `[from_ms, to_ms)` (at least the first one).
pub fn minute_range(from_ms: i64, to_ms: i64) -> std::ops::Range<i64> {
    minute_of(from_ms)..minute_of(to_ms.max(from_ms + 1) - 1) + 1
}

impl Minutes {
    /// Folds events recorded at `at_ms` in, and forgets minutes older than
    /// the retention as of `now_ms`. Events older than the retention are
    /// ignored (a delayed flush cannot resurrect a pruned minute).
    pub fn apply(&mut self, at_ms: i64, events: &[Event], now_ms: i64) {
        let oldest = minute_of(now_ms) - RETENTION_MINUTES;
        let m = minute_of(at_ms);
        if m > oldest {
            let minute = self.minutes.entry(m).or_default();
            for e in events {
                if !minute.apply(e) {
                    self.dropped += 1;
                }
            }
        }
        self.minutes = self.minutes.split_off(&(oldest + 1));
    }

    /// The summary of the minutes in `[from_ms, to_ms)`.
    pub fn summary(&self, from_ms: i64, to_ms: i64) -> Summary {
        let mut merged = Minute::default();
        let range = minute_range(from_ms, to_ms);
        let mut last_gauge: BTreeMap<String, f64> = BTreeMap::new();
        for minute in self.minutes.range(range).map(|(_, m)| m) {
            for (name, s) in &minute.latency {
                merged.latency.entry(name.clone()).or_default().merge(s);
            }
            for (name, n) in &minute.counters {
                *merged.counters.entry(name.clone()).or_insert(0) += n;
            }
            for (name, v) in &minute.gauges {
                last_gauge.insert(name.clone(), *v);
            }
        }
        let latency = merged
            .latency
            .iter()
            .map(|(name, s)| {
                let errors = |class: &str| {
                    merged
                        .counters
                        .get(&format!("http.{class}.{name}"))
                        .copied()
                        .unwrap_or(0)
                };
                LatencySummary {
                    name: name.clone(),
                    count: s.count(),
                    p50_ms: s.quantile(0.5).unwrap_or(0.0),
                    p95_ms: s.quantile(0.95).unwrap_or(0.0),
                    p99_ms: s.quantile(0.99).unwrap_or(0.0),
                    max_ms: s.max(),
                    sum_ms: s.sum(),
                    errors_4xx: errors("4xx"),
                    errors_5xx: errors("5xx"),
                }
            })
            .collect();
        Summary {
            from_ms,
            to_ms,
            latency,
            counters: merged.counters,
            gauges: last_gauge,
        }
    }
}

/// One latency series over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LatencySummary {
    pub name: String,
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub sum_ms: f64,
    /// Responses of this route by class (0 for non-HTTP series).
    pub errors_4xx: u64,
    pub errors_5xx: u64,
}

impl LatencySummary {
    /// The share of 5xx responses (0 when there were none).
    pub fn error_rate_5xx(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.errors_5xx as f64 / self.count as f64
        }
    }
}

/// Everything over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub from_ms: i64,
    pub to_ms: i64,
    pub latency: Vec<LatencySummary>,
    pub counters: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn o3_a_window_merges_its_minutes_and_counts_errors_per_route() {
        let mut m = Minutes::default();
        let now = 100 * MIN;
        for i in 0..100 {
            let status = if i % 10 == 0 { 500 } else { 200 };
            m.apply(
                now - 2 * MIN + i,
                &http_events("meetings.get", status, f64::from(i as u32) + 1.0),
                now,
            );
        }
        for i in 0..50 {
            m.apply(now - MIN + i, &http_events("meetings.get", 404, 200.0), now);
        }
        let s = m.summary(now - 5 * MIN, now);
        let route = &s.latency[0];
        assert_eq!(route.name, "meetings.get");
        assert_eq!(route.count, 150);
        assert_eq!(route.errors_5xx, 10);
        assert_eq!(route.errors_4xx, 50);
        assert!((route.error_rate_5xx() - 10.0 / 150.0).abs() < 1e-9);
        assert!(
            route.p99_ms >= 198.0 && route.p99_ms <= 202.0,
            "{}",
            route.p99_ms
        );
        // A window of the older minute only.
        let older = m.summary(now - 2 * MIN, now - MIN);
        assert_eq!(older.latency[0].count, 100);
    }

    #[test]
    fn o2_retention_and_the_name_bound_keep_the_aggregator_small() {
        let mut m = Minutes::default();
        let now = 10_000 * MIN;
        m.apply(
            now - (RETENTION_MINUTES + 5) * MIN,
            &http_events("old", 200, 1.0),
            now,
        );
        assert!(m.minutes.is_empty(), "an event past retention is ignored");
        m.apply(now - 10 * MIN, &http_events("a", 200, 1.0), now - 10 * MIN);
        m.apply(
            now,
            &http_events("b", 200, 1.0),
            now + (RETENTION_MINUTES - 5) * MIN,
        );
        assert_eq!(m.minutes.len(), 1, "the old minute is pruned");
        let flood: Vec<Event> = (0..MAX_NAMES_PER_MINUTE + 10)
            .map(|i| Event::Gauge {
                name: format!("g{i}"),
                value: 1.0,
            })
            .collect();
        let mut one = Minutes::default();
        one.apply(now, &flood, now);
        assert_eq!(one.dropped, 10);
        let gauges = &one.minutes.values().next().unwrap().gauges;
        assert_eq!(gauges.len(), MAX_NAMES_PER_MINUTE);
    }

    #[test]
    fn o3_gauges_report_their_newest_value() {
        let mut m = Minutes::default();
        let now = 50 * MIN;
        let g = |v| {
            [Event::Gauge {
                name: "rooms.sockets".into(),
                value: v,
            }]
        };
        m.apply(now - 3 * MIN, &g(5.0), now);
        m.apply(now - MIN, &g(7.0), now);
        assert_eq!(m.summary(now - 10 * MIN, now).gauges["rooms.sockets"], 7.0);
    }

    #[test]
    fn o15_a_histogram_event_merges_like_that_many_timings() {
        let now = 70 * MIN;
        let mut one_by_one = Minutes::default();
        let mut sketch = Sketch::new();
        for ms in [0.0, 0.0, 12.0, 95.0] {
            sketch.record(ms);
            one_by_one.apply(
                now,
                &[Event::Latency {
                    name: "room.fanout_ms".into(),
                    ms,
                }],
                now,
            );
        }
        let mut merged = Minutes::default();
        let event = Event::Histogram {
            name: "room.fanout_ms".into(),
            sketch,
        };
        merged.apply(now, std::slice::from_ref(&event), now);
        assert_eq!(
            merged.summary(now - MIN, now + MIN),
            one_by_one.summary(now - MIN, now + MIN)
        );
        // It survives the aggregator's JSON.
        let back: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
        assert_eq!(back, event);
    }
}
