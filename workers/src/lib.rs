//! Connvo's API worker: the stateless edge entry point. It decodes requests,
//! calls the pure core in `connvo-shared`, reads and writes D1 and KV, sends
//! queue jobs, and forwards live traffic to each meeting's Durable Object.
//!
//! The Durable Object classes live in `connvo-rooms` and are re-exported here
//! so one wasm module carries the whole system (`wrangler dev` runs it all).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod audit;
pub mod auth;
mod bench;
mod clock;
mod config;
mod connections;
mod cors;
mod cron;
mod embeddings;
mod entropy;
mod health;
#[allow(dead_code)] // the issue-10 shells call these; the skeleton lands first
mod intelligence;
mod jobs;
mod logging;
mod matching;
mod meetings;
mod metrics;
mod migration_reads;
mod notifications;
mod openapi;
mod pipeline;
mod privacy;
mod profiles;
pub mod rate_limit;
mod recordings;
mod request;
mod respond;
mod retention;
mod room_client;
pub mod router;
mod search;
mod stream;
mod users;
mod webhooks;

pub use connvo_rooms::MeetingRoom;
pub use connvo_rooms::MetricsAggregator;
pub use connvo_rooms::UserHub;
pub use rate_limit::limiter::RateLimiter;

use worker::{
    event, Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent,
};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(router::handle(req, env, Some(ctx)).await)
}

#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    jobs::consume(batch, env).await;
    Ok(())
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    cron::run(event, env).await;
}
