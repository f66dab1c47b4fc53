//! What the metrics routes answer (rule O9, docs/operations.md): the
//! `window` query of `GET /v1/admin/metrics` (`15m`, `2h`, or minutes;
//! 1 minute to the 24 h retention), the JSON body (the window's summary
//! split into routes and room series, plus one point per minute for the
//! dashboard's charts, each with its routes and room series), and where
//! recorded events go (`METRICS_SINK`).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::window::{minute_of, LatencySummary, Minutes, RETENTION_MINUTES};
use crate::validation::invalid;
use crate::ApiError;

/// The window when `?window=` is absent (minutes).
pub const DEFAULT_WINDOW_MINUTES: i64 = 15;

/// Parses `?window=`: `N`, `Nm` or `Nh`, 1 minute to the retention.
pub fn parse_window(raw: Option<&str>) -> Result<i64, ApiError> {
    let Some(raw) = raw.map(str::trim) else {
        return Ok(DEFAULT_WINDOW_MINUTES);
    };
    let (digits, unit) = match raw.strip_suffix('h') {
        Some(d) => (d, 60),
        None => (raw.strip_suffix('m').unwrap_or(raw), 1),
    };
    let minutes = digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| (1..=RETENTION_MINUTES).contains(n));
    minutes.ok_or_else(|| {
        invalid(
            "window",
            "OUT_OF_RANGE",
            "window is minutes (15, 15m) or hours (2h), from 1 minute to 24 h",
        )
    })
}

/// The window `[from, to)` of `minutes` ending with the current minute.
pub fn window_bounds(minutes: i64, now_ms: i64) -> (i64, i64) {
    let to = (minute_of(now_ms) + 1) * 60_000;
    (to - minutes * 60_000, to)
}

/// The body of `GET /v1/admin/metrics` (the spec's schema is derived
/// from this type, so it cannot drift from what the route answers).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AdminMetrics {
    /// The environment the figures come from (`local`, `staging`, …).
    pub environment: String,
    pub window_minutes: i64,
    /// The window `[from_ms, to_ms)`, whole minutes.
    pub from_ms: i64,
    pub to_ms: i64,
    /// The sketches' relative error bound on every quantile.
    pub relative_error: f64,
    /// One series per route (by route name).
    pub routes: Vec<LatencySummary>,
    /// The rooms' series (`room.*`, e.g. `room.fanout_ms`).
    pub room: Vec<LatencySummary>,
    pub counters: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, f64>,
    /// Events the aggregator could not keep (over its limits).
    pub dropped_events: u64,
    /// One point per minute of the window that has data, oldest first.
    pub points: Vec<MetricsPoint>,
}

/// One minute of [`AdminMetrics`], for the dashboard's charts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MetricsPoint {
    pub minute_ms: i64,
    pub requests: u64,
    pub errors_5xx: u64,
    pub errors_4xx: u64,
    pub routes: Vec<PointSeries>,
    pub room: Vec<PointSeries>,
    pub gauges: BTreeMap<String, f64>,
}

/// One series within a minute.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PointSeries {
    pub name: String,
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

impl From<&LatencySummary> for PointSeries {
    fn from(l: &LatencySummary) -> Self {
        PointSeries {
            name: l.name.clone(),
            count: l.count,
            p50_ms: l.p50_ms,
            p95_ms: l.p95_ms,
            p99_ms: l.p99_ms,
        }
    }
}

fn is_room(l: &LatencySummary) -> bool {
    l.name.starts_with("room.")
}

/// The body of `GET /v1/admin/metrics`.
pub fn admin_body(
    m: &Minutes,
    window_minutes: i64,
    now_ms: i64,
    environment: &str,
) -> AdminMetrics {
    let (from, to) = window_bounds(window_minutes, now_ms);
    let s = m.summary(from, to);
    let (room, routes): (Vec<_>, Vec<_>) = s.latency.into_iter().partition(is_room);
    let points = m
        .minutes
        .range(minute_of(from)..minute_of(to))
        .map(|(minute, _)| {
            let at = minute * 60_000;
            let one = m.summary(at, at + 60_000);
            let (requests, errors_5xx, errors_4xx) = one
                .latency
                .iter()
                .filter(|l| !is_room(l))
                .fold((0, 0, 0), |(n, e5, e4), l| {
                    (n + l.count, e5 + l.errors_5xx, e4 + l.errors_4xx)
                });
            MetricsPoint {
                minute_ms: at,
                requests,
                errors_5xx,
                errors_4xx,
                routes: one
                    .latency
                    .iter()
                    .filter(|l| !is_room(l))
                    .map(PointSeries::from)
                    .collect(),
                room: one
                    .latency
                    .iter()
                    .filter(|l| is_room(l))
                    .map(PointSeries::from)
                    .collect(),
                gauges: one.gauges,
            }
        })
        .collect();
    AdminMetrics {
        environment: environment.to_owned(),
        window_minutes,
        from_ms: from,
        to_ms: to,
        relative_error: super::sketch::RELATIVE_ERROR,
        routes,
        room,
        counters: s.counters,
        gauges: s.gauges,
        dropped_events: m.dropped,
        points,
    }
}

/// Where the worker and the rooms send their events (`METRICS_SINK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sinks {
    /// The aggregator Durable Object (what the admin route, the Prometheus
    /// route and the alert cron read).
    pub aggregator: bool,
    /// Workers Analytics Engine (binding `METRICS_AE`).
    pub analytics_engine: bool,
}

/// `aggregator` (the default), `analytics_engine`, `both` or `off`;
/// anything else is a configuration error naming the value.
pub fn parse_sinks(raw: Option<&str>) -> Result<Sinks, String> {
    let (aggregator, analytics_engine) = match raw.map(str::trim).unwrap_or("") {
        "" | "aggregator" => (true, false),
        "analytics_engine" => (false, true),
        "both" => (true, true),
        "off" => (false, false),
        other => {
            return Err(format!(
                "METRICS_SINK must be aggregator, analytics_engine, both or off, not {other:?}"
            ))
        }
    };
    Ok(Sinks {
        aggregator,
        analytics_engine,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::window::http_events;

    #[test]
    fn o9_the_window_parses_minutes_and_hours_within_the_retention() {
        assert_eq!(parse_window(None).unwrap(), 15);
        assert_eq!(parse_window(Some("5")).unwrap(), 5);
        assert_eq!(parse_window(Some("30m")).unwrap(), 30);
        assert_eq!(parse_window(Some("2h")).unwrap(), 120);
        for bad in ["0", "25h", "x", "-5", "1d", ""] {
            let err = parse_window(Some(bad)).unwrap_err();
            assert_eq!(err.details.unwrap()["field"], "window", "{bad}");
        }
    }

    #[test]
    fn o9_the_body_splits_routes_from_room_series_and_has_a_point_per_minute() {
        let mut m = Minutes::default();
        let now = 1_000 * 60_000 + 30_000;
        m.apply(now - 60_000, &http_events("meetings.get", 200, 10.0), now);
        m.apply(now, &http_events("meetings.get", 503, 30.0), now);
        m.apply(
            now,
            &[crate::metrics::Event::Latency {
                name: "room.fanout_ms".into(),
                ms: 4.0,
            }],
            now,
        );
        let body = serde_json::to_value(admin_body(&m, 5, now, "local")).unwrap();
        assert_eq!(body["routes"].as_array().unwrap().len(), 1);
        assert_eq!(body["routes"][0]["count"], 2);
        assert_eq!(body["room"][0]["name"], "room.fanout_ms");
        let points = body["points"].as_array().unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[1]["errors_5xx"], 1);
        assert_eq!(points[1]["room"][0]["name"], "room.fanout_ms");
        assert_eq!(points[1]["routes"].as_array().unwrap().len(), 1);
        assert_eq!(
            body["to_ms"].as_i64().unwrap() - body["from_ms"].as_i64().unwrap(),
            300_000
        );
    }

    #[test]
    fn o9_the_sink_is_configured_and_a_typo_is_an_error() {
        assert!(parse_sinks(None).unwrap().aggregator);
        let both = parse_sinks(Some("both")).unwrap();
        assert!(both.aggregator && both.analytics_engine);
        assert!(!parse_sinks(Some("off")).unwrap().aggregator);
        assert!(parse_sinks(Some("analytic_engine")).is_err());
    }
}
