//! SLO rules and alerting decisions (rules O4–O6, docs/operations.md):
//! rules come from configuration (`ALERT_RULES`, JSON), a cron evaluates
//! them over the metrics of their window, and an alert fires once when a
//! rule starts breaching and not again until it has cleared (O5). The
//! Slack incoming-webhook body is built here (O6). Pure: the summary and
//! the time are arguments.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::window::Summary;

/// What a rule watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "metric", rename_all = "snake_case")]
pub enum SloMetric {
    /// A latency series' p95 in ms (a route name, a room series, or `*`
    /// for every route), above `threshold`.
    P95Ms { series: String },
    /// The share of 5xx responses of a route (or `*`), above `threshold`.
    ErrorRate5xx { series: String },
    /// A counter's total over the window (e.g. `jobs.dead_lettered`),
    /// above `threshold`.
    Counter { counter: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloRule {
    pub id: String,
    #[serde(flatten)]
    pub metric: SloMetric,
    pub threshold: f64,
    #[serde(default = "default_window")]
    pub window_minutes: u32,
    /// Series with fewer samples in the window are not judged (a single
    /// slow request is not a breach).
    #[serde(default)]
    pub min_count: u64,
}

fn default_window() -> u32 {
    5
}

/// The rules when `ALERT_RULES` is unset: the seed's targets for the API
/// (p95 under 200 ms per route, at least 20 requests), at most 1 % 5xx per
/// route (at least 50 requests), and any dead-lettered job.
pub fn default_rules() -> Vec<SloRule> {
    vec![
        SloRule {
            id: "api_p95".into(),
            metric: SloMetric::P95Ms { series: "*".into() },
            threshold: 200.0,
            window_minutes: 5,
            min_count: 20,
        },
        SloRule {
            id: "api_5xx".into(),
            metric: SloMetric::ErrorRate5xx { series: "*".into() },
            threshold: 0.01,
            window_minutes: 5,
            min_count: 50,
        },
        SloRule {
            id: "dlq_growth".into(),
            metric: SloMetric::Counter {
                counter: "jobs.dead_lettered".into(),
            },
            threshold: 0.0,
            window_minutes: 15,
            min_count: 0,
        },
    ]
}

/// Parses `ALERT_RULES` (a JSON array of rules). Bad configuration is an
/// error naming the rule, never a silent default.
pub fn parse_rules(text: &str) -> Result<Vec<SloRule>, String> {
    let rules: Vec<SloRule> =
        serde_json::from_str(text).map_err(|e| format!("ALERT_RULES: {e}"))?;
    for r in &rules {
        if r.id.is_empty() || r.id.len() > 64 {
            return Err("ALERT_RULES: a rule id must be 1 to 64 characters".into());
        }
        if !r.threshold.is_finite() || r.threshold < 0.0 {
            return Err(format!("ALERT_RULES: rule {}: bad threshold", r.id));
        }
        if r.window_minutes == 0 || r.window_minutes > 24 * 60 {
            return Err(format!(
                "ALERT_RULES: rule {}: window_minutes 1..=1440",
                r.id
            ));
        }
    }
    Ok(rules)
}

/// A rule breached by one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    pub rule_id: String,
    /// The series or counter that breached (a route name for HTTP rules).
    pub subject: String,
    pub observed: f64,
    pub threshold: f64,
    pub count: u64,
    pub window_minutes: u32,
}

impl Breach {
    /// The identity of a breach for deduplication (O5).
    pub fn key(&self) -> String {
        format!("{}:{}", self.rule_id, self.subject)
    }
}

fn matches(series: &str, name: &str) -> bool {
    series == "*" && !name.starts_with("room.") || series == name
}

/// O4: every breach of `rule` in `summary` (the summary of its window).
pub fn evaluate(rule: &SloRule, summary: &Summary) -> Vec<Breach> {
    let breach = |subject: &str, observed: f64, count: u64| Breach {
        rule_id: rule.id.clone(),
        subject: subject.to_owned(),
        observed,
        threshold: rule.threshold,
        count,
        window_minutes: rule.window_minutes,
    };
    match &rule.metric {
        SloMetric::P95Ms { series } => summary
            .latency
            .iter()
            .filter(|l| matches(series, &l.name) && l.count >= rule.min_count.max(1))
            .filter(|l| l.p95_ms > rule.threshold)
            .map(|l| breach(&l.name, l.p95_ms, l.count))
            .collect(),
        SloMetric::ErrorRate5xx { series } => summary
            .latency
            .iter()
            .filter(|l| matches(series, &l.name) && l.count >= rule.min_count.max(1))
            .filter(|l| l.error_rate_5xx() > rule.threshold)
            .map(|l| breach(&l.name, l.error_rate_5xx(), l.count))
            .collect(),
        SloMetric::Counter { counter } => {
            let n = summary.counters.get(counter).copied().unwrap_or(0);
            if n >= rule.min_count && n as f64 > rule.threshold {
                vec![breach(counter, n as f64, n)]
            } else {
                Vec::new()
            }
        }
    }
}

/// O4 over stored minutes: every rule judged over its own window ending
/// with the current minute (`report::window_bounds`), with that window.
pub fn evaluate_all(
    rules: &[SloRule],
    minutes: &super::window::Minutes,
    now_ms: i64,
) -> Vec<(Breach, i64, i64)> {
    let mut out = Vec::new();
    for rule in rules {
        let (from, to) = super::report::window_bounds(i64::from(rule.window_minutes), now_ms);
        let summary = minutes.summary(from, to);
        out.extend(evaluate(rule, &summary).into_iter().map(|b| (b, from, to)));
    }
    out
}

/// Which breaches are firing, since when (unix ms). Stored by the cron
/// between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    pub firing: BTreeMap<String, i64>,
}

/// What one evaluation decided.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transitions {
    /// Breaches that started now: send an alert for each.
    pub fire: Vec<Breach>,
    /// Keys that stopped breaching (resolved).
    pub resolved: Vec<String>,
}

/// What one evaluation of the rules did (the alert cron logs it;
/// `POST /v1/dev/alerts/run` answers it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertTick {
    /// Breaches found in this evaluation, firing or not.
    pub breaching: usize,
    /// Keys of the breaches that started now (one alert each).
    pub fired: Vec<String>,
    /// Keys that stopped breaching.
    pub resolved: Vec<String>,
    /// Slack-format webhook posts that succeeded.
    pub webhook_sent: usize,
    /// Org admins told by notification.
    pub admins_notified: usize,
}

/// O5: an alert fires when a breach starts, not again while it lasts, and
/// again only after it cleared.
pub fn transitions(state: &mut AlertState, breaches: &[Breach], now_ms: i64) -> Transitions {
    let mut out = Transitions::default();
    let current: BTreeMap<String, &Breach> = breaches.iter().map(|b| (b.key(), b)).collect();
    for (key, b) in &current {
        if !state.firing.contains_key(key) {
            state.firing.insert(key.clone(), now_ms);
            out.fire.push((*b).clone());
        }
    }
    let cleared: Vec<String> = state
        .firing
        .keys()
        .filter(|k| !current.contains_key(*k))
        .cloned()
        .collect();
    for k in cleared {
        state.firing.remove(&k);
        out.resolved.push(k);
    }
    out
}

/// O6: the Slack incoming-webhook body of an alert (`text` for
/// notifications and clients without blocks, `blocks` for the message).
pub fn slack_message(b: &Breach, environment: &str, request_id: &str) -> Value {
    let what = match b.rule_id.as_str() {
        _ if b.subject.starts_with("jobs.") => {
            format!("{} = {} (threshold {})", b.subject, b.observed, b.threshold)
        }
        _ => format!(
            "{:.3} over threshold {} ({} samples)",
            b.observed, b.threshold, b.count
        ),
    };
    let text = format!(
        "[{environment}] SLO breach {}: {} — {what} over the last {} min. Trace: request id {request_id}",
        b.rule_id, b.subject, b.window_minutes
    );
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("*SLO breach* `{}` on `{}` ({environment})", b.rule_id, b.subject)}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": format!("*Observed*\n{:.3}", b.observed)},
                {"type": "mrkdwn", "text": format!("*Threshold*\n{}", b.threshold)},
                {"type": "mrkdwn", "text": format!("*Samples*\n{}", b.count)},
                {"type": "mrkdwn", "text": format!("*Window*\n{} min", b.window_minutes)}
            ]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("request id `{request_id}`")}]}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::window::{http_events, Minutes};

    const MIN: i64 = 60_000;

    fn summary(slow_ms: f64, errors: u32) -> Summary {
        let mut m = Minutes::default();
        let now = 1_000 * MIN;
        for i in 0..100u32 {
            let status = if i < errors { 503 } else { 200 };
            m.apply(
                now - MIN,
                &http_events("meetings.list", status, slow_ms),
                now,
            );
        }
        m.apply(now - MIN, &http_events("health", 200, 9_000.0), now);
        m.summary(now - 5 * MIN, now)
    }

    #[test]
    fn o4_a_slow_route_breaches_p95_and_a_lone_slow_request_does_not() {
        let rules = default_rules();
        let b = evaluate(&rules[0], &summary(450.0, 0));
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!(b[0].subject, "meetings.list");
        assert!(b[0].observed > 440.0);
        assert!(evaluate(&rules[0], &summary(20.0, 0)).is_empty());
    }

    #[test]
    fn o4_the_5xx_rate_and_counters_breach_over_their_thresholds() {
        let rules = default_rules();
        assert_eq!(evaluate(&rules[1], &summary(10.0, 5)).len(), 1);
        assert!(evaluate(&rules[1], &summary(10.0, 1)).is_empty());
        let mut s = summary(10.0, 0);
        assert!(evaluate(&rules[2], &s).is_empty());
        s.counters.insert("jobs.dead_lettered".into(), 2);
        assert_eq!(evaluate(&rules[2], &s)[0].observed, 2.0);
    }

    #[test]
    fn o5_an_alert_fires_once_per_breach_until_it_clears() {
        let rule = &default_rules()[0];
        let mut state = AlertState::default();
        let breaching = evaluate(rule, &summary(450.0, 0));
        assert_eq!(transitions(&mut state, &breaching, 1).fire.len(), 1);
        assert!(transitions(&mut state, &breaching, 2).fire.is_empty());
        let t = transitions(&mut state, &[], 3);
        assert_eq!(t.resolved, vec!["api_p95:meetings.list".to_owned()]);
        assert_eq!(transitions(&mut state, &breaching, 4).fire.len(), 1);
    }

    #[test]
    fn o4_rules_parse_from_configuration_and_bad_ones_are_named() {
        let rules = parse_rules(
            r#"[{"id": "fanout", "metric": "p95_ms", "series": "room.fanout_ms", "threshold": 150, "min_count": 10}]"#,
        )
        .unwrap();
        assert_eq!(rules[0].window_minutes, 5);
        assert_eq!(
            rules[0].metric,
            SloMetric::P95Ms {
                series: "room.fanout_ms".into()
            }
        );
        let err =
            parse_rules(r#"[{"id": "x", "metric": "p95_ms", "series": "*", "threshold": -1}]"#)
                .unwrap_err();
        assert!(err.contains("rule x"), "{err}");
        assert!(parse_rules("{").is_err());
    }

    #[test]
    fn o6_the_slack_body_names_the_route_figures_and_request_id() {
        let b = &evaluate(&default_rules()[0], &summary(450.0, 0))[0];
        let msg = slack_message(b, "staging", "req_123");
        let text = msg["text"].as_str().unwrap();
        assert!(
            text.contains("meetings.list") && text.contains("req_123") && text.contains("staging")
        );
        assert_eq!(msg["blocks"][0]["type"], "section");
    }
}
