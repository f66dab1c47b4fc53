//! The alert cron (requirement 14.5; rules O4–O6, O10 in
//! docs/operations.md): every tick evaluates the SLO rules (`ALERT_RULES`,
//! or the defaults) over the minutes of the configured source
//! (`source.rs`: the aggregator or Analytics Engine), hands the breaches to
//! the aggregator, which keeps the firing set and answers which breaches
//! are new (one object: a breach fires exactly once however the ticks
//! overlap), and for each new one posts Slack's incoming-webhook body to
//! `ALERT_WEBHOOK_URL` and notifies every organisation admin
//! (`crate::notifications::notify`, deduplicated per breach).
//! `POST /v1/dev/alerts/run` runs one tick now (dev auth only).

use connvo_rooms::d1::D1;
use connvo_rooms::metrics_sink::aggregator_fetch;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::metrics::slo::{
    default_rules, evaluate_all, parse_rules, slack_message, AlertTick, Breach, SloMetric,
    Transitions,
};
use connvo_shared::notifications::{Category, Outgoing, Priority};
use connvo_shared::sql::operations::UsersOrgAdmins;
use connvo_shared::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response};

use super::source::{load, source};
use crate::clock::now_ms;
use crate::config::var;
use crate::intelligence::flags::env_name;
use crate::{logging, respond};

/// Organisation admins notified per alert (the oldest ids first).
const MAX_ADMINS_NOTIFIED: i64 = 200;

#[derive(Deserialize)]
struct AdminRow {
    id: String,
}

/// The cron's entry: logs what happened, never fails the cron.
pub async fn tick(env: &Env) {
    match run(env).await {
        Ok(t) if !t.fired.is_empty() || !t.resolved.is_empty() => logging::emit(
            &LogLine::new(Level::Warn, "alerts", "cron")
                .field("fired", t.fired.join(","))
                .field("resolved", t.resolved.join(",")),
            Level::Warn,
        ),
        Ok(_) => {}
        Err(e) => logging::emit(
            &LogLine::new(Level::Error, "alert evaluation failed", "cron")
                .field("error", e.message.as_str()),
            Level::Error,
        ),
    }
}

/// `POST /v1/dev/alerts/run`
pub async fn dev(env: &Env) -> Result<Response, ApiError> {
    let t = run(env).await?;
    Ok(respond::json(200, &t))
}

async fn run(env: &Env) -> Result<AlertTick, ApiError> {
    let source = match source(env) {
        Ok(s) => s,
        // Nothing to judge when the aggregator is read but not fed.
        Err(e) if e.code == ErrorCode::ProviderError => return Ok(AlertTick::default()),
        Err(e) => return Err(e),
    };
    let rules = match var(env, "ALERT_RULES").filter(|r| !r.trim().is_empty()) {
        Some(text) => parse_rules(&text).map_err(ApiError::internal)?,
        None => default_rules(),
    };
    let now = now_ms();
    let longest = rules
        .iter()
        .map(|r| i64::from(r.window_minutes))
        .max()
        .unwrap_or(5);
    let stored = load(env, &source, now - (longest + 1) * 60_000, now + 60_000).await?;
    let judged = evaluate_all(&rules, &stored.minutes, now);
    let breaches: Vec<Breach> = judged.iter().map(|(b, _, _)| b.clone()).collect();
    let transitions = apply(env, &breaches, now).await?;
    let mut tick = AlertTick {
        breaching: breaches.len(),
        resolved: transitions.resolved.clone(),
        ..AlertTick::default()
    };
    for fired in &transitions.fire {
        let window = judged.iter().find(|(b, _, _)| b.key() == fired.key());
        let errors = rules
            .iter()
            .find(|r| r.id == fired.rule_id)
            .is_some_and(|r| matches!(r.metric, SloMetric::ErrorRate5xx { .. }));
        let trace = window
            .and_then(|(_, from, to)| stored.exemplars.trace(&fired.subject, *from, *to, errors))
            .unwrap_or_else(|| format!("cron-{now}"));
        let message = slack_message(fired, env_name(env), &trace);
        if send_webhook(env, &message).await {
            tick.webhook_sent += 1;
        }
        tick.admins_notified += notify_admins(env, fired, &message, &trace, now).await;
        tick.fired.push(fired.key());
    }
    Ok(tick)
}

/// The aggregator's answer: which breaches start now, which cleared.
async fn apply(env: &Env, breaches: &[Breach], now: i64) -> Result<Transitions, ApiError> {
    let body = json!({ "breaches": breaches, "now_ms": now }).to_string();
    let mut resp = aggregator_fetch(env, "/alerts", Method::Post, Some(body))
        .await
        .map_err(|e| ApiError::internal(format!("metrics aggregator unreachable: {e}")))?;
    if resp.status_code() != 200 {
        return Err(ApiError::internal(
            "metrics aggregator refused the alert state",
        ));
    }
    resp.json::<Transitions>()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// Posts the Slack body; `false` (logged) when unset or it failed. A
/// failed post is not retried: the breach stays firing, and the admins'
/// notification still carries it.
async fn send_webhook(env: &Env, message: &serde_json::Value) -> bool {
    let Some(url) = env
        .secret("ALERT_WEBHOOK_URL")
        .ok()
        .map(|s| s.to_string())
        .or_else(|| var(env, "ALERT_WEBHOOK_URL"))
        .filter(|u| !u.is_empty())
    else {
        return false;
    };
    let attempt = async {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let req = Request::new_with_init(
            &url,
            RequestInit::new()
                .with_method(Method::Post)
                .with_headers(headers)
                .with_body(Some(message.to_string().into())),
        )?;
        let mut resp = Fetch::Request(req).send().await?;
        let _ = resp.text().await;
        Ok::<_, worker::Error>(resp.status_code())
    };
    match attempt.await {
        Ok(status) if (200..300).contains(&status) => true,
        other => {
            let error = match other {
                Ok(status) => format!("webhook answered {status}"),
                Err(e) => e.to_string(),
            };
            logging::emit(
                &LogLine::new(Level::Error, "alert webhook failed", "cron").field("error", error),
                Level::Error,
            );
            false
        }
    }
}

/// Notifies every organisation admin of one alert; returns how many.
async fn notify_admins(
    env: &Env,
    b: &Breach,
    message: &serde_json::Value,
    trace: &str,
    now: i64,
) -> usize {
    let admins = match D1::from_env(env) {
        Ok(db) => db
            .all::<AdminRow>(UsersOrgAdmins {
                limit: MAX_ADMINS_NOTIFIED,
            })
            .await
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let mut n = 0;
    for admin in admins {
        let out = Outgoing::new(
            &admin.id,
            "slo_alert",
            Category::System,
            Priority::High,
            format!("SLO breach: {} on {}", b.rule_id, b.subject),
        )
        .body(message["text"].as_str().unwrap_or_default())
        .data("rule_id", b.rule_id.clone())
        .data("subject", b.subject.clone())
        .data("observed", b.observed)
        .data("threshold", b.threshold)
        .data("request_id", trace)
        .dedupe(format!("slo_alert:{}:{now}", b.key()));
        if crate::notifications::notify(env, &out).await.is_ok() {
            n += 1;
        }
    }
    n
}
