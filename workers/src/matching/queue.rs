//! `POST`, `GET` and `DELETE /v1/matching/queue` (rules M12–M14, M21):
//! load the caller's active entry and the interest catalogue → plan
//! (`connvo_shared::matching::queue_plan`) → one statement → respond.
//! A caller who withdrew data-processing consent may not enter (M27).
//! Leaving while in a proposal settles the proposal (M23).

use connvo_rooms::d1::D1;
use connvo_shared::jobs::Job;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::matching::connection_plan::concurrent_change;
use connvo_shared::matching::profile_vector::{
    plan_profile_embedding, profile_text, EMBEDDING_PREFIX,
};
use connvo_shared::matching::queue::QueueStatus;
use connvo_shared::matching::queue_plan::{
    enter_raced, known_keys, not_queued, plan_enter, status_json, QueueRow, QUEUE_PREFIX,
};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::privacy::consent_routes::{processing_gate, ConsentRow, HISTORY_LIMIT};
use connvo_shared::profiles::{InterestRow, ProfileRow, MAX_CATALOGUE};
use connvo_shared::sql::matching::MatchingQueueGetActive;
use connvo_shared::sql::privacy::ConsentListForUser;
use connvo_shared::sql::profiles::{InterestList, ProfileGet, UserInterestListForUser};
use connvo_shared::ApiError;
use worker::{Env, Response};

use super::{config, gate};
use crate::clock::now_ms;
use crate::embeddings::{vector, Configured};
use crate::entropy::random;
use crate::jobs::send::enqueue;
use crate::logging;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

pub async fn active(db: &D1, user_id: &str) -> Result<Option<QueueRow>, ApiError> {
    Ok(db
        .first::<QueueRow>(MatchingQueueGetActive { user_id })
        .await?)
}

/// `POST /v1/matching/queue`
pub async fn enter(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    gate(env, authed).await?;
    let user_id = authed.user_id();
    let db = D1::from_env(env)?;
    // P21 (and M27): a withdrawn data-processing consent stops matching.
    let consents: Vec<ConsentRow> = db
        .all(ConsentListForUser {
            user_id,
            limit: HISTORY_LIMIT,
        })
        .await?;
    processing_gate(&consents)?;
    let now = now_ms();
    let catalogue = db
        .all::<InterestRow>(InterestList {
            after_key: "",
            limit: MAX_CATALOGUE,
        })
        .await?;
    let known = known_keys(catalogue.into_iter().map(|r| r.key));
    let current = active(&db, user_id).await?;
    let id = new_id(QUEUE_PREFIX, now, random::<10>()?);
    let plan = plan_enter(
        user_id,
        authed.org_id.as_deref(),
        &call.body,
        &known,
        current.as_ref(),
        &config(env),
        &id,
        now,
    )?;
    // M26: with the local embedder the profile's vector rides in the same
    // batch (unchanged text writes nothing); with a remote one the embed
    // job (M28) computes it.
    let embedder = Configured::from_env(env)?;
    let mut batch = vec![plan.statement];
    let mut record = None;
    if embedder.is_local() {
        let profile = db.first::<ProfileRow>(ProfileGet { user_id }).await?;
        let interests = db
            .all::<InterestRow>(UserInterestListForUser { user_id })
            .await?;
        let text = profile_text(profile.as_ref(), &interests);
        let vector_id = new_id(EMBEDDING_PREFIX, now, random::<10>()?);
        if let Some(p) =
            plan_profile_embedding(user_id, authed.org_id.as_deref(), &text, &vector_id, now)
        {
            batch.push(p.statement);
            record = Some(p.record);
        }
    }
    let outcomes = db.batch(&batch).await?;
    if outcomes.first().map_or(0, |o| o.changes) != 1 {
        return Err(enter_raced());
    }
    // The vector index of the model learns the vector too (M32–M34; for
    // the exact index over D1 the row just written is the index and this
    // writes nothing). A failure leaves the entry in the queue with
    // interest candidates; the next embed of the profile retries.
    if let Some(record) = record {
        if let Err(err) = vector::upsert(env, &embedder.model(), vec![record], now).await {
            logging::emit(
                &LogLine::new(Level::Warn, "vector index upsert failed", &ctx.request_id)
                    .field("error", err.message.as_str()),
                Level::Warn,
            );
        }
    }
    if !embedder.is_local() {
        let job = Job::EmbedProfile {
            user_id: user_id.to_owned(),
        };
        enqueue(env, job, &ctx.request_id).await;
    }
    Ok(respond::json(201, &plan.entry.to_json()))
}

/// `GET /v1/matching/queue`
pub async fn status(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    gate(env, authed).await?;
    let db = D1::from_env(env)?;
    let current = active(&db, authed.user_id()).await?;
    Ok(respond::json(200, &status_json(current.as_ref())))
}

/// `DELETE /v1/matching/queue`
pub async fn leave(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    gate(env, authed).await?;
    let db = D1::from_env(env)?;
    let now = now_ms();
    let current = active(&db, authed.user_id())
        .await?
        .ok_or_else(not_queued)?;
    let moved = db
        .run(current.move_to(QueueStatus::Cancelled, false, now))
        .await?;
    if moved != 1 {
        return Err(concurrent_change());
    }
    if let Some(match_id) = &current.match_id {
        super::proposals::settle(&db, env, match_id, None, now).await?;
    }
    Response::empty()
        .map(|r| r.with_status(204))
        .map_err(|e| ApiError::internal(e.to_string()))
}
