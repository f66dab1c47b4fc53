//! Exemplars (rule O8, docs/operations.md): per series and minute, the
//! request id of the slowest request and of the newest 5xx, so an alert can
//! name one request to trace (O6) rather than only figures. Kept beside the
//! sketches by the aggregator, pruned with them, bounded like them (O2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::window::{minute_of, minute_range, MAX_NAMES_PER_MINUTE, RETENTION_MINUTES};

/// One series' exemplars in one minute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Exemplar {
    /// The slowest request's latency and id.
    pub slowest: Option<(f64, String)>,
    /// The newest 5xx's id.
    pub last_5xx: Option<String>,
}

/// Minute → series → exemplar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Exemplars {
    pub minutes: BTreeMap<i64, BTreeMap<String, Exemplar>>,
}

impl Exemplars {
    /// Notes one response of `series` at `at_ms`; prunes as [`super::Minutes::apply`] does.
    pub fn note(
        &mut self,
        at_ms: i64,
        series: &str,
        status: u16,
        ms: f64,
        request_id: &str,
        now_ms: i64,
    ) {
        let oldest = minute_of(now_ms) - RETENTION_MINUTES;
        let m = minute_of(at_ms);
        if m > oldest && !request_id.is_empty() {
            let minute = self.minutes.entry(m).or_default();
            if minute.contains_key(series) || minute.len() < MAX_NAMES_PER_MINUTE {
                let e = minute.entry(series.to_owned()).or_default();
                if e.slowest.as_ref().is_none_or(|(slow, _)| ms > *slow) {
                    e.slowest = Some((ms, request_id.to_owned()));
                }
                if (500..=599).contains(&status) {
                    e.last_5xx = Some(request_id.to_owned());
                }
            }
        }
        self.minutes = self.minutes.split_off(&(oldest + 1));
    }

    /// The request to trace for `series` over `[from_ms, to_ms)`: the newest
    /// 5xx when `errors`, else the slowest request.
    pub fn trace(&self, series: &str, from_ms: i64, to_ms: i64, errors: bool) -> Option<String> {
        let range = minute_range(from_ms, to_ms);
        let mut slowest: Option<(f64, String)> = None;
        let mut last_5xx = None;
        for minute in self.minutes.range(range).map(|(_, m)| m) {
            let Some(e) = minute.get(series) else {
                continue;
            };
            if let Some((ms, id)) = &e.slowest {
                if slowest.as_ref().is_none_or(|(s, _)| ms > s) {
                    slowest = Some((*ms, id.clone()));
                }
            }
            if e.last_5xx.is_some() {
                last_5xx = e.last_5xx.clone();
            }
        }
        if errors {
            last_5xx.or(slowest.map(|(_, id)| id))
        } else {
            slowest.map(|(_, id)| id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn o8_the_trace_is_the_slowest_request_or_the_newest_5xx() {
        let mut e = Exemplars::default();
        let now = 100 * MIN;
        e.note(now - 2 * MIN, "meetings.get", 200, 40.0, "req_a", now);
        e.note(now - 2 * MIN, "meetings.get", 200, 900.0, "req_slow", now);
        e.note(now - MIN, "meetings.get", 503, 10.0, "req_5xx", now);
        e.note(now - MIN, "meetings.get", 200, 20.0, "req_b", now);
        assert_eq!(
            e.trace("meetings.get", now - 5 * MIN, now, false)
                .as_deref(),
            Some("req_slow")
        );
        assert_eq!(
            e.trace("meetings.get", now - 5 * MIN, now, true).as_deref(),
            Some("req_5xx")
        );
        assert_eq!(
            e.trace("meetings.get", now - MIN, now, false).as_deref(),
            Some("req_b")
        );
        assert_eq!(e.trace("other", now - 5 * MIN, now, false), None);
        // Pruned with the retention.
        e.note(
            now,
            "x",
            200,
            1.0,
            "req_x",
            now + (RETENTION_MINUTES - 1) * MIN,
        );
        assert_eq!(e.minutes.len(), 1);
    }
}
