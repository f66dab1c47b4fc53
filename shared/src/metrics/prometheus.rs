//! The Prometheus text exposition (format 0.0.4) of a metrics window
//! (rule O7, docs/operations.md): latency series as summaries with
//! 0.5/0.95/0.99 quantiles, counters and gauges, names sanitised to the
//! metric-name grammar and label values escaped.

use std::fmt::Write;

use super::window::Summary;

/// A label value with `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A metric-name fragment: `[a-zA-Z0-9_]`, everything else `_`.
fn metric(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Renders `summary`.
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP connvo_latency_ms Latency per route (and room series) over the window, in ms."
    );
    let _ = writeln!(out, "# TYPE connvo_latency_ms summary");
    for l in &summary.latency {
        let name = label(&l.name);
        for (q, v) in [("0.5", l.p50_ms), ("0.95", l.p95_ms), ("0.99", l.p99_ms)] {
            let _ = writeln!(
                out,
                "connvo_latency_ms{{series=\"{name}\",quantile=\"{q}\"}} {v}"
            );
        }
        let _ = writeln!(
            out,
            "connvo_latency_ms_sum{{series=\"{name}\"}} {}",
            l.sum_ms
        );
        let _ = writeln!(
            out,
            "connvo_latency_ms_count{{series=\"{name}\"}} {}",
            l.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP connvo_events_total Counted events over the window (responses by class, shed work, dead letters)."
    );
    let _ = writeln!(out, "# TYPE connvo_events_total counter");
    for (name, n) in &summary.counters {
        let _ = writeln!(out, "connvo_events_total{{name=\"{}\"}} {n}", label(name));
    }
    for (name, v) in &summary.gauges {
        let m = format!("connvo_{}", metric(name));
        let _ = writeln!(out, "# TYPE {m} gauge");
        let _ = writeln!(out, "{m} {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::window::{http_events, Event, Minutes};

    #[test]
    fn o7_the_exposition_has_quantiles_counts_and_escaped_labels() {
        let mut m = Minutes::default();
        let now = 600_000;
        m.apply(now, &http_events("meetings.get", 200, 12.0), now);
        m.apply(
            now,
            &[
                Event::Gauge {
                    name: "rooms.sockets".into(),
                    value: 3.0,
                },
                Event::Count {
                    name: "odd\"name".into(),
                    n: 2,
                },
            ],
            now,
        );
        let text = render(&m.summary(0, now + 60_000));
        assert!(text.contains("connvo_latency_ms{series=\"meetings.get\",quantile=\"0.95\"}"));
        assert!(text.contains("connvo_latency_ms_count{series=\"meetings.get\"} 1"));
        assert!(text.contains("connvo_events_total{name=\"http.2xx.meetings.get\"} 1"));
        assert!(text.contains("connvo_events_total{name=\"odd\\\"name\"} 2"));
        assert!(text.contains("connvo_rooms_sockets 3"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
