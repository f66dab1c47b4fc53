//! Where the read routes and the alert cron read metrics (rule O16,
//! docs/operations.md, "Reading"): `METRICS_SOURCE` chooses the aggregator
//! Durable Object (the default) or the Workers Analytics Engine SQL API.
//! Both answer the same per-minute `Minutes`, so everything downstream is
//! one code path. The query text and the parsing of the answer are pure
//! (`connvo_shared::metrics::analytics_engine`); this file only fetches.

use connvo_rooms::metrics_sink::aggregator_fetch;
use connvo_shared::metrics::analytics_engine::{
    minutes_query, parse_minutes, parse_source, MetricsSource, SqlApi,
};
use connvo_shared::metrics::exemplar::Exemplars;
use connvo_shared::metrics::report::parse_sinks;
use connvo_shared::metrics::Minutes;
use connvo_shared::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::config::var;

/// What a source holds over a range. Analytics Engine has no exemplars
/// (request ids are not written there): alerts then trace `cron-<ms>`.
#[derive(Deserialize)]
pub struct Stored {
    pub minutes: Minutes,
    pub exemplars: Exemplars,
}

/// The configured source, or why there is nothing to read: a
/// configuration error, or the aggregator chosen while `METRICS_SINK`
/// does not feed it.
pub fn source(env: &Env) -> Result<MetricsSource, ApiError> {
    let source = parse_source(|name| var(env, name)).map_err(ApiError::internal)?;
    if source == MetricsSource::Aggregator {
        let sinks = parse_sinks(var(env, "METRICS_SINK").as_deref()).map_err(ApiError::internal)?;
        if !sinks.aggregator {
            return Err(ApiError::new(
                ErrorCode::ProviderError,
                "metrics go to Analytics Engine only (METRICS_SINK); set METRICS_SOURCE = analytics_engine to read them there",
            )
            .with_details(json!({ "reason": "METRICS_NOT_AGGREGATED" })));
        }
    }
    Ok(source)
}

/// Reads the minutes in `[from_ms, to_ms)` from `source`.
pub async fn load(
    env: &Env,
    source: &MetricsSource,
    from_ms: i64,
    to_ms: i64,
) -> Result<Stored, ApiError> {
    match source {
        MetricsSource::Aggregator => load_aggregator(env, from_ms, to_ms).await,
        MetricsSource::AnalyticsEngine(api) => Ok(Stored {
            minutes: query(api, from_ms, to_ms).await?,
            exemplars: Exemplars::default(),
        }),
    }
}

async fn load_aggregator(env: &Env, from_ms: i64, to_ms: i64) -> Result<Stored, ApiError> {
    let path = format!("/minutes?from_ms={from_ms}&to_ms={to_ms}");
    let mut resp = aggregator_fetch(env, &path, Method::Get, None)
        .await
        .map_err(|e| ApiError::internal(format!("metrics aggregator unreachable: {e}")))?;
    if resp.status_code() != 200 {
        return Err(ApiError::internal(format!(
            "metrics aggregator answered {}",
            resp.status_code()
        )));
    }
    resp.json::<Stored>()
        .await
        .map_err(|e| ApiError::internal(format!("metrics aggregator answer unreadable: {e}")))
}

fn provider(message: String) -> ApiError {
    ApiError::new(ErrorCode::ProviderError, message)
        .with_details(json!({ "reason": "ANALYTICS_ENGINE_FAILED" }))
}

/// `POST {base}/accounts/{id}/analytics_engine/sql` with the query as the
/// body and the API token as a bearer.
async fn query(api: &SqlApi, from_ms: i64, to_ms: i64) -> Result<Minutes, ApiError> {
    let sql = minutes_query(&api.dataset, from_ms, to_ms);
    let send = async {
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", api.token))?;
        headers.set("content-type", "text/plain")?;
        let req = Request::new_with_init(
            &api.url(),
            RequestInit::new()
                .with_method(Method::Post)
                .with_headers(headers)
                .with_body(Some(sql.into())),
        )?;
        let mut resp = Fetch::Request(req).send().await?;
        let text = resp.text().await?;
        Ok::<_, worker::Error>((resp.status_code(), text))
    };
    let (status, text) = send
        .await
        .map_err(|e| provider(format!("Analytics Engine unreachable: {e}")))?;
    if status != 200 {
        let head: String = text.chars().take(300).collect();
        return Err(provider(format!(
            "Analytics Engine answered {status}: {head}"
        )));
    }
    parse_minutes(&text).map_err(provider)
}
