//! Metrics in Workers Analytics Engine (rule O16, docs/operations.md,
//! "Analytics Engine"): the data point layout the sink writes, and reading
//! it back with the Analytics Engine SQL API when `METRICS_SOURCE =
//! "analytics_engine"` — the query text and the parsing of its JSON answer
//! into the same per-minute [`Minutes`] the aggregator holds, so the admin
//! route, the Prometheus route and the alert cron read either source alike.
//! Pure: the worker only sends the query (`workers/src/metrics/source.rs`).
//!
//! Layout of one data point: `index1` the series name; `blob1` the kind
//! (`latency`, `count`, `gauge`), `blob2` the series name; `double1` the
//! value (ms, a count to add, a level), `double2` how many values the point
//! stands for (1, or a sketch bucket's count for a room's fan-out histogram;
//! points written before `double2` existed read as 1).
//!
//! Reading rebuilds the sketches exactly as the aggregator would have made
//! them: the query groups latency points by minute, series and *sketch
//! bucket* (computed in SQL with the sketch's own γ), summing the weights
//! (`_sample_interval` × `double2`, so Analytics Engine's sampling is
//! accounted for); a bucket count is all a sketch needs for its quantiles
//! (O1). Counters are the weighted sum of their values; a gauge is its
//! newest value of the minute (`argMax(double1, timestamp)`).

use serde_json::Value;

use super::sketch::Sketch;
use super::window::{Event, Minute, Minutes, MAX_NAMES_PER_MINUTE};

/// The Cloudflare API's base when `METRICS_AE_API_BASE` is unset.
pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4";
/// Rows asked for at most (a day of a few dozen series' buckets).
pub const MAX_ROWS: u32 = 100_000;

/// One data point as the sink writes it (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    pub kind: &'static str,
    pub name: String,
    pub value: f64,
    pub weight: f64,
}

/// The data points of one event: one, or one per non-empty bucket of a
/// histogram (its value is the bucket's representative value, so the
/// query puts it back in the same bucket).
pub fn data_points(event: &Event) -> Vec<DataPoint> {
    let one = |kind, name: &String, value| {
        vec![DataPoint {
            kind,
            name: name.clone(),
            value,
            weight: 1.0,
        }]
    };
    match event {
        Event::Latency { name, ms } => one("latency", name, *ms),
        Event::Count { name, n } => one("count", name, *n as f64),
        Event::Gauge { name, value } => one("gauge", name, *value),
        Event::Histogram { name, sketch } => sketch
            .buckets()
            .map(|(value, n)| DataPoint {
                kind: "latency",
                name: name.clone(),
                value,
                weight: n as f64,
            })
            .collect(),
    }
}

/// Where the read routes and the alert cron read metrics (`METRICS_SOURCE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsSource {
    /// The aggregator Durable Object (the default).
    Aggregator,
    /// The Analytics Engine SQL API.
    AnalyticsEngine(SqlApi),
}

/// How to reach the Analytics Engine SQL API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlApi {
    /// `METRICS_AE_API_BASE` (tests point it at a fake).
    pub base: String,
    /// `METRICS_AE_ACCOUNT_ID`.
    pub account_id: String,
    /// `METRICS_AE_API_TOKEN` (a secret; an API token with Account
    /// Analytics read).
    pub token: String,
    /// `METRICS_AE_DATASET`: the dataset the `METRICS_AE` binding writes.
    pub dataset: String,
}

impl SqlApi {
    /// `POST` the query here, with `Authorization: Bearer <token>`.
    pub fn url(&self) -> String {
        format!(
            "{}/accounts/{}/analytics_engine/sql",
            self.base.trim_end_matches('/'),
            self.account_id
        )
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Reads `METRICS_SOURCE` and, for `analytics_engine`, its settings
/// (`var` answers a variable or secret). A typo or a missing setting is a
/// configuration error naming it.
pub fn parse_source(var: impl Fn(&str) -> Option<String>) -> Result<MetricsSource, String> {
    match var("METRICS_SOURCE").as_deref().map(str::trim) {
        None | Some("") | Some("aggregator") => return Ok(MetricsSource::Aggregator),
        Some("analytics_engine") => {}
        Some(other) => {
            return Err(format!(
                "METRICS_SOURCE must be aggregator or analytics_engine, not {other:?}"
            ))
        }
    }
    let need = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("METRICS_SOURCE = analytics_engine needs {name}"))
    };
    let api = SqlApi {
        base: var("METRICS_AE_API_BASE")
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_BASE.to_owned()),
        account_id: need("METRICS_AE_ACCOUNT_ID")?,
        token: need("METRICS_AE_API_TOKEN")?,
        dataset: need("METRICS_AE_DATASET")?,
    };
    // Both go into the URL or the query text: plain words only.
    if !is_word(&api.account_id) {
        return Err("METRICS_AE_ACCOUNT_ID must be letters and digits".into());
    }
    if !is_word(&api.dataset) {
        return Err("METRICS_AE_DATASET must be letters, digits and _".into());
    }
    Ok(MetricsSource::AnalyticsEngine(api))
}

/// The query for the minutes in `[from_ms, to_ms)` (whole minutes: the
/// bounds are rounded out to the minute, as the aggregator's range is).
pub fn minutes_query(dataset: &str, from_ms: i64, to_ms: i64) -> String {
    let from_s = from_ms.div_euclid(60_000) * 60;
    let to_s = (to_ms + 59_999).div_euclid(60_000) * 60;
    let min = Sketch::MIN_VALUE;
    let ln_gamma = Sketch::ln_gamma();
    let weight = "_sample_interval * if(double2 > 0, double2, 1)";
    format!(
        "SELECT intDiv(toUnixTimestamp(timestamp), 60) AS minute, blob1 AS kind, blob2 AS name, \
         if(double1 <= {min}, 0, ceil(log(double1 / {min}) / {ln_gamma})) AS bucket, \
         sum({weight}) AS n, sum({weight} * double1) AS total, max(double1) AS top, \
         argMax(double1, timestamp) AS newest, max(toUnixTimestamp(timestamp)) AS at \
         FROM {dataset} \
         WHERE timestamp >= toDateTime({from_s}) AND timestamp < toDateTime({to_s}) \
         GROUP BY minute, kind, name, bucket \
         ORDER BY minute, kind, name, bucket \
         LIMIT {MAX_ROWS} FORMAT JSON"
    )
}

/// A number in the answer: JSON numbers, or strings (64-bit integers are
/// quoted in the JSON format).
fn num(row: &Value, field: &str) -> Result<f64, String> {
    let v = &row[field];
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse::<f64>().ok()))
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("Analytics Engine answer: {field} is not a number in {row}"))
}

/// Parses the SQL API's JSON answer (`{meta, data, rows, …}`) into minutes.
pub fn parse_minutes(body: &str) -> Result<Minutes, String> {
    let answer: Value = serde_json::from_str(body)
        .map_err(|e| format!("Analytics Engine answer is not JSON: {e}"))?;
    let rows = answer["data"]
        .as_array()
        .ok_or("Analytics Engine answer has no data array")?;
    let mut out = Minutes::default();
    // (minute, name) → the newest gauge value's second.
    let mut gauge_at = std::collections::BTreeMap::<(i64, String), f64>::new();
    for row in rows {
        let minute = num(row, "minute")? as i64;
        let (Some(kind), Some(name)) = (row["kind"].as_str(), row["name"].as_str()) else {
            return Err(format!(
                "Analytics Engine answer: a row lacks kind or name: {row}"
            ));
        };
        let m: &mut Minute = out.minutes.entry(minute).or_default();
        let fits = |len: usize, has: bool| has || len < MAX_NAMES_PER_MINUTE;
        match kind {
            "latency" => {
                if !fits(m.latency.len(), m.latency.contains_key(name)) {
                    out.dropped += 1;
                    continue;
                }
                let n = num(row, "n")?.round().max(0.0) as u64;
                let bucket = num(row, "bucket")?.clamp(0.0, f64::from(i32::MAX)) as i32;
                m.latency.entry(name.to_owned()).or_default().add_bucket(
                    bucket,
                    n,
                    num(row, "total")?,
                    num(row, "top")?,
                );
            }
            "count" => {
                if !fits(m.counters.len(), m.counters.contains_key(name)) {
                    out.dropped += 1;
                    continue;
                }
                let n = num(row, "total")?.round().max(0.0) as u64;
                *m.counters.entry(name.to_owned()).or_insert(0) += n;
            }
            "gauge" => {
                if !fits(m.gauges.len(), m.gauges.contains_key(name)) {
                    out.dropped += 1;
                    continue;
                }
                let at = num(row, "at")?;
                let key = (minute, name.to_owned());
                if gauge_at.get(&key).is_none_or(|seen| at >= *seen) {
                    gauge_at.insert(key, at);
                    m.gauges.insert(name.to_owned(), num(row, "newest")?);
                }
            }
            // A kind this version does not know (written by a newer one).
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::window::http_events;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn o16_the_source_is_configured_and_incomplete_settings_are_errors() {
        assert_eq!(parse_source(vars(&[])).unwrap(), MetricsSource::Aggregator);
        let full = [
            ("METRICS_SOURCE", "analytics_engine"),
            ("METRICS_AE_ACCOUNT_ID", "abc123"),
            ("METRICS_AE_API_TOKEN", "t"),
            ("METRICS_AE_DATASET", "connvo_metrics_staging"),
        ];
        let MetricsSource::AnalyticsEngine(api) = parse_source(vars(&full)).unwrap() else {
            panic!("analytics_engine");
        };
        assert_eq!(
            api.url(),
            "https://api.cloudflare.com/client/v4/accounts/abc123/analytics_engine/sql"
        );
        let err = parse_source(vars(&full[..3])).unwrap_err();
        assert!(err.contains("METRICS_AE_DATASET"), "{err}");
        let mut bad = full;
        bad[3] = ("METRICS_AE_DATASET", "x; DROP");
        assert!(parse_source(vars(&bad)).is_err());
        assert!(parse_source(vars(&[("METRICS_SOURCE", "analytic_engine")])).is_err());
    }

    #[test]
    fn o16_the_query_names_the_dataset_whole_minutes_and_the_sketch_buckets() {
        let q = minutes_query("connvo_metrics", 90_000, 200_000);
        assert!(q.contains("FROM connvo_metrics "), "{q}");
        assert!(
            q.contains("toDateTime(60)") && q.contains("toDateTime(240)"),
            "{q}"
        );
        assert!(q.contains("GROUP BY minute, kind, name, bucket"), "{q}");
        assert!(q.contains(&format!("{}", Sketch::ln_gamma())), "{q}");
        assert!(q.ends_with("FORMAT JSON"));
    }

    /// The answer a SQL API would give for `points` (what the query
    /// computes, done here by hand): the sketches read back equal the
    /// aggregator's.
    #[test]
    fn o16_an_answer_reads_back_as_the_aggregators_minutes() {
        let minute = 29_000_000;
        let at = minute * 60_000 + 5_000;
        let mut events: Vec<Event> = Vec::new();
        for ms in [0.0, 3.0, 3.0, 12.0, 250.0] {
            events.extend(http_events("meetings.get", 200, ms));
        }
        let mut fanout = Sketch::new();
        fanout.record_n(0.0, 4);
        fanout.record(80.0);
        events.push(Event::Histogram {
            name: "room.fanout_ms".into(),
            sketch: fanout,
        });
        let mut aggregator = Minutes::default();
        aggregator.apply(at, &events, at);
        // Group the data points as the query does.
        let mut groups =
            std::collections::BTreeMap::<(String, String, i32), (f64, f64, f64)>::new();
        for p in events.iter().flat_map(data_points) {
            let bucket = if p.kind == "latency" {
                Sketch::bucket_of(p.value)
            } else {
                0
            };
            let g = groups
                .entry((p.kind.to_owned(), p.name.clone(), bucket))
                .or_default();
            g.0 += p.weight;
            g.1 += p.weight * p.value;
            g.2 = g.2.max(p.value);
        }
        let data: Vec<Value> = groups
            .into_iter()
            .map(|((kind, name, bucket), (n, total, top))| {
                json!({"minute": minute.to_string(), "kind": kind, "name": name,
                       "bucket": bucket, "n": n.to_string(), "total": total, "top": top,
                       "newest": top, "at": (at / 1000).to_string()})
            })
            .collect();
        let body = json!({"meta": [], "data": data, "rows": data.len()}).to_string();
        let read = parse_minutes(&body).unwrap();
        let (from, to) = (minute * 60_000, (minute + 1) * 60_000);
        let want = aggregator.summary(from, to);
        let got = read.summary(from, to);
        assert_eq!(got.counters, want.counters);
        assert_eq!(got.latency.len(), 2);
        for (g, w) in got.latency.iter().zip(&want.latency) {
            assert_eq!((g.name.as_str(), g.count), (w.name.as_str(), w.count));
            for (a, b) in [
                (g.p50_ms, w.p50_ms),
                (g.p95_ms, w.p95_ms),
                (g.p99_ms, w.p99_ms),
            ] {
                assert!((a - b).abs() <= b * 0.01 + 1e-9, "{}: {a} vs {b}", g.name);
            }
        }
    }

    #[test]
    fn o16_a_gauge_reads_its_newest_value_and_bad_answers_are_errors() {
        let row = |bucket: i32, newest: f64, at: i64| {
            json!({"minute": 7, "kind": "gauge", "name": "rooms.sockets", "bucket": bucket,
                   "n": 1, "total": newest, "top": newest, "newest": newest, "at": at})
        };
        let body = json!({"data": [row(3, 9.0, 425), row(1, 4.0, 430), row(2, 6.0, 428)]});
        let m = parse_minutes(&body.to_string()).unwrap();
        assert_eq!(m.minutes[&7].gauges["rooms.sockets"], 4.0);
        assert!(parse_minutes("not json").is_err());
        assert!(parse_minutes(r#"{"errors": ["x"]}"#).is_err());
        assert!(
            parse_minutes(r#"{"data": [{"minute": "x", "kind": "count", "name": "a"}]}"#).is_err()
        );
    }
}
