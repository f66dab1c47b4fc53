//! The embeddings sweep (rule M31, `connvo_shared::matching::embed_sweep`):
//! one bounded page of profiles per cron tick, or per `POST
//! /v1/dev/embeddings/sweep`, through the embed job's steps, then its
//! progress recorded; and `GET /v1/admin/embeddings`, every model's
//! counters.

use connvo_rooms::d1::D1;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::matching::embed_sweep::{advance, PageCounts, ProgressRow, SWEEP_PAGE};
use connvo_shared::sql::embeddings::{
    EmbeddingProgressGet, EmbeddingProgressList, EmbeddingSweepProfiles,
};
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Response};

use super::Configured;
use crate::clock::now_ms;
use crate::logging;
use crate::pipeline::Call;
use crate::respond;

#[derive(Deserialize)]
struct Id {
    user_id: String,
}

fn n(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// One page of the sweep for the configured model; what it did.
pub async fn page(env: &Env) -> Result<PageCounts, ApiError> {
    let db = D1::from_env(env)?;
    let model = Configured::from_env(env)?.model();
    let progress = db
        .first::<ProgressRow>(EmbeddingProgressGet { model: &model.name })
        .await?;
    let read_cursor = progress.map(|p| p.cursor).unwrap_or_default();
    let ids: Vec<String> = db
        .all::<Id>(EmbeddingSweepProfiles {
            after_user_id: &read_cursor,
            limit: SWEEP_PAGE,
        })
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let mut counts = PageCounts::default();
    for user_id in &ids {
        let done = super::job::profile(env, user_id).await?;
        counts.scanned += 1;
        counts.embedded += n(done.embedded);
        counts.deleted += n(done.deleted);
        counts.current += n(done.current);
        counts.fallback += i64::from(done.fallback);
    }
    db.run(advance(&model.name, &read_cursor, &ids, &counts, now_ms()))
        .await?;
    Ok(counts)
}

/// The cron step: one page; errors are logged, the next tick goes on.
pub async fn tick(env: &Env) {
    let (line, level) = match page(env).await {
        Ok(c) => (
            LogLine::new(Level::Info, "embeddings sweep", "cron")
                .field("scanned", c.scanned)
                .field("embedded", c.embedded)
                .field("fallback", c.fallback),
            Level::Info,
        ),
        Err(err) => (
            LogLine::new(Level::Error, "embeddings sweep failed", "cron")
                .field("error", err.message.as_str()),
            Level::Error,
        ),
    };
    logging::emit(&line, level);
}

async fn progress(env: &Env) -> Result<serde_json::Value, ApiError> {
    let db = D1::from_env(env)?;
    // A deployment has a handful of models (one per provider switch).
    let rows = db
        .all::<ProgressRow>(EmbeddingProgressList {
            after_model: "",
            limit: 100,
        })
        .await?;
    let model = Configured::from_env(env)?.model();
    Ok(json!({ "configured_model": model, "progress": rows }))
}

/// `POST /v1/dev/embeddings/sweep`: one page now; answers the page's
/// counts and the progress. Dev auth only.
pub async fn dev(env: &Env) -> Result<Response, ApiError> {
    let counts = page(env).await?;
    let mut body = progress(env).await?;
    body["page"] = json!(counts);
    Ok(respond::json(200, &body))
}

/// `GET /v1/admin/embeddings`: the configured model and every model's
/// sweep counters (organisation admins, like the flags).
pub async fn admin(call: &Call, env: &Env) -> Result<Response, ApiError> {
    call.user()?;
    Ok(respond::json(200, &progress(env).await?))
}
