//! Metrics shells (docs/operations.md): recording each response
//! ([`record_response`], called once by the router with the route's name),
//! the read routes (`routes`: `GET /v1/admin/metrics`, the Prometheus
//! exposition), where they read (`source`: the aggregator or Analytics
//! Engine, O16) and the alert cron (`alerts`). The decisions are the pure
//! core's (`connvo_shared::metrics`); the sinks and the aggregator Durable
//! Object are in `connvo_rooms` (`metrics_sink`, `MetricsAggregator`).

pub mod alerts;
pub mod routes;
pub mod source;

use connvo_rooms::metrics_sink::{record, Batch, Trace};
use connvo_shared::metrics::http_events;
use worker::Env;

use crate::request::RequestCtx;

/// Records one response (O3) in the background: inside `wait_until`, so
/// the response does not wait for the sink. Without a fetch context
/// (never in production) it is not recorded.
pub fn record_response(
    env: &Env,
    ctx: &RequestCtx,
    route: &str,
    status: u16,
    ms: u64,
    now_ms: i64,
) {
    let Some(worker_ctx) = ctx.worker_ctx.as_ref() else {
        return;
    };
    let ms = ms as f64;
    let batch = Batch {
        at_ms: now_ms,
        events: http_events(route, status, ms).to_vec(),
        trace: Some(Trace {
            series: route.to_owned(),
            status,
            ms,
            request_id: ctx.request_id.clone(),
        }),
        room: None,
    };
    let env = env.clone();
    worker_ctx.wait_until(async move { record(&env, batch).await });
}
