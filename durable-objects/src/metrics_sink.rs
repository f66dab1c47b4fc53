//! Where recorded metric events go (docs/operations.md, "Recording"): the
//! [`MetricsSink`] trait with two implementations, chosen by `METRICS_SINK`
//! (`connvo_shared::metrics::report::parse_sinks`): the local aggregator
//! Durable Object ([`Aggregator`], binding `METRICS`), and Workers
//! Analytics Engine ([`AnalyticsEngine`], binding `METRICS_AE`). The worker
//! and the rooms record through [`record`]; callers run it inside
//! `wait_until` (or after their reply), so nothing waits on it. A failure
//! is logged, never surfaced: metrics must not fail a request.

use connvo_shared::metrics::analytics_engine::data_points;
use connvo_shared::metrics::report::parse_sinks;
use connvo_shared::metrics::rooms::RoomLevel;
use connvo_shared::metrics::Event;
use serde::{Deserialize, Serialize};
use worker::{AnalyticsEngineDataPointBuilder, Env, Method, Request, RequestInit};

use crate::logging;
use connvo_shared::log::Level;

/// The aggregator's Durable Object binding and the one object's name.
pub const AGGREGATOR_BINDING: &str = "METRICS";
pub const AGGREGATOR_NAME: &str = "metrics";
/// The Analytics Engine dataset binding.
pub const AE_BINDING: &str = "METRICS_AE";

/// One HTTP response, for the aggregator's exemplars (rule O8).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trace {
    pub series: String,
    pub status: u16,
    pub ms: f64,
    pub request_id: String,
}

/// What one record call carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    pub at_ms: i64,
    pub events: Vec<Event>,
    #[serde(default)]
    pub trace: Option<Trace>,
    /// A room's levels (rooms' reports only, O14).
    #[serde(default)]
    pub room: Option<RoomLevel>,
}

/// A destination for metric events.
#[allow(async_fn_in_trait)] // single-threaded wasm: no Send bound wanted
pub trait MetricsSink {
    async fn send(&self, batch: &Batch) -> Result<(), String>;
}

/// The aggregator Durable Object: one object folds every event into
/// per-minute sketches (`connvo_shared::metrics::Minutes`).
pub struct Aggregator<'a>(pub &'a Env);

impl MetricsSink for Aggregator<'_> {
    async fn send(&self, batch: &Batch) -> Result<(), String> {
        let body = serde_json::to_string(batch).map_err(|e| e.to_string())?;
        let mut resp = aggregator_fetch(self.0, "/record", Method::Post, Some(body)).await?;
        if resp.status_code() != 204 {
            let text = resp.text().await.unwrap_or_default();
            return Err(format!(
                "aggregator answered {}: {text}",
                resp.status_code()
            ));
        }
        Ok(())
    }
}

/// Calls the aggregator object (the worker's read routes use it too).
pub async fn aggregator_fetch(
    env: &Env,
    path: &str,
    method: Method,
    body: Option<String>,
) -> Result<worker::Response, String> {
    let ns = env
        .durable_object(AGGREGATOR_BINDING)
        .map_err(|e| e.to_string())?;
    let stub = ns
        .id_from_name(AGGREGATOR_NAME)
        .and_then(|id| id.get_stub())
        .map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(method).with_body(body.map(Into::into));
    let req = Request::new_with_init(&format!("https://metrics{path}"), &init)
        .map_err(|e| e.to_string())?;
    stub.fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())
}

/// Workers Analytics Engine: one data point per event, or per bucket of a
/// histogram, in the layout of `connvo_shared::metrics::analytics_engine`
/// (index: the name, so queries by series sample evenly; blobs: kind,
/// name; doubles: value, weight). `METRICS_SOURCE = "analytics_engine"`
/// reads them back with the SQL API; nothing is folded here.
pub struct AnalyticsEngine<'a>(pub &'a Env);

impl MetricsSink for AnalyticsEngine<'_> {
    async fn send(&self, batch: &Batch) -> Result<(), String> {
        let dataset = self
            .0
            .analytics_engine(AE_BINDING)
            .map_err(|e| e.to_string())?;
        for p in batch.events.iter().flat_map(data_points) {
            let point = AnalyticsEngineDataPointBuilder::new()
                .indexes([p.name.as_str()])
                .add_blob(p.kind)
                .add_blob(p.name.as_str())
                .add_double(p.value)
                .add_double(p.weight)
                .build();
            dataset
                .write_data_point(&point)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Sends `batch` to every configured sink, logging failures.
pub async fn record(env: &Env, batch: Batch) {
    let raw = env.var("METRICS_SINK").ok().map(|v| v.to_string());
    let sinks = match parse_sinks(raw.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            logging::emit(
                Level::Error,
                "metrics not recorded",
                "metrics",
                &[("error", e)],
            );
            return;
        }
    };
    if sinks.analytics_engine {
        warn_failed("Analytics Engine", AnalyticsEngine(env).send(&batch).await);
    }
    if sinks.aggregator {
        warn_failed("the aggregator", Aggregator(env).send(&batch).await);
    }
}

fn warn_failed(sink: &str, result: Result<(), String>) {
    if let Err(e) = result {
        let msg = format!("metrics not sent to {sink}");
        logging::emit(Level::Warn, &msg, "metrics", &[("error", e)]);
    }
}
