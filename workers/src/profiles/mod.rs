//! Profiles (the inputs of pre-call ideas and insights): `GET/PUT
//! /v1/me/profile`, `GET /v1/users/{id}/profile` and `GET /v1/interests`.
//! Load → plan (`connvo_shared::profiles`, rules I31–I32) → execute →
//! respond. A changed profile does not re-queue pre-call ideas by itself:
//! the next member change or schedule of a meeting does, and its request
//! hash includes the profile. Saving a profile queues its embedding
//! (`Job::EmbedProfile`, docs/matching.md M28).

use connvo_rooms::d1::D1;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::jobs::Job;
use connvo_shared::profiles::{
    catalogue_json, empty_json, may_view, not_found, parse_put, plan_put, InterestRow, ProfileRow,
    MAX_CATALOGUE,
};
use connvo_shared::sql::profiles::{
    InterestList, ProfileGet, ProfileListForMeeting, ProfileSharesMeeting,
    UserInterestListForMeeting, UserInterestListForUser,
};
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::{Env, Response};

use crate::clock::now_ms;
use crate::jobs::send::enqueue;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

/// A meeting's members with their profiles and interests (the pre-call and
/// insights jobs' input).
pub async fn members(
    db: &D1,
    meeting_id: &str,
) -> Result<(Vec<ProfileRow>, Vec<InterestRow>), ApiError> {
    let profiles = db
        .all::<ProfileRow>(ProfileListForMeeting { meeting_id })
        .await?;
    let interests = db
        .all::<InterestRow>(UserInterestListForMeeting { meeting_id })
        .await?;
    Ok((profiles, interests))
}

async fn catalogue(db: &D1) -> Result<Vec<InterestRow>, ApiError> {
    Ok(db
        .all::<InterestRow>(InterestList {
            after_key: "",
            limit: MAX_CATALOGUE,
        })
        .await?)
}

async fn profile_json(db: &D1, user_id: &str) -> Result<Option<serde_json::Value>, ApiError> {
    let Some(row) = db.first::<ProfileRow>(ProfileGet { user_id }).await? else {
        return Ok(None);
    };
    let interests = db
        .all::<InterestRow>(UserInterestListForUser { user_id })
        .await?;
    Ok(Some(row.to_json(&interests)))
}

/// `GET /v1/me/profile`
pub async fn me(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let db = D1::from_env(env)?;
    let body = profile_json(&db, authed.user_id())
        .await?
        .unwrap_or_else(|| empty_json(authed.user_id(), authed.user.display_name.as_deref()));
    Ok(respond::json(200, &body))
}

/// `PUT /v1/me/profile`: validated against the catalogue; one batch.
pub async fn put(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let user_id = authed.user_id();
    let db = D1::from_env(env)?;
    let input = parse_put(&call.body, &catalogue(&db).await?)?;
    let stored = db.first::<ProfileRow>(ProfileGet { user_id }).await?;
    let batch = plan_put(
        user_id,
        &input,
        stored.as_ref().map(|r| r.roles.as_str()),
        now_ms(),
    );
    db.batch(&batch).await?;
    // M28: the profile's vector follows the saved text (the job skips an
    // unchanged one).
    enqueue(
        env,
        Job::EmbedProfile {
            user_id: user_id.to_owned(),
        },
        &ctx.request_id,
    )
    .await;
    let body = profile_json(&db, user_id)
        .await?
        .ok_or_else(|| ApiError::internal("the profile vanished after its write"))?;
    Ok(respond::json(200, &body))
}

#[derive(Deserialize)]
struct Shared {
    shared: i64,
}

/// `GET /v1/users/{id}/profile`: visible to the same organisation and to
/// anyone sharing a meeting (I32); 404 otherwise, as for no such user.
pub async fn user(call: &Call, env: &Env, target_id: &str) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let db = D1::from_env(env)?;
    let target = db
        .first::<StoredUser>(UserGetForAuth { id: target_id })
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(not_found)?;
    let same_or_self = may_view(
        authed.user_id(),
        authed.org_id.as_deref(),
        target_id,
        target.org_id.as_deref(),
        false,
    );
    let visible = same_or_self
        || db
            .first::<Shared>(ProfileSharesMeeting {
                viewer_id: authed.user_id(),
                target_id,
            })
            .await?
            .is_some_and(|s| s.shared != 0);
    if !visible {
        return Err(not_found());
    }
    let body = profile_json(&db, target_id)
        .await?
        .unwrap_or_else(|| empty_json(target_id, target.display_name.as_deref()));
    Ok(respond::json(200, &body))
}

/// `GET /v1/interests`
pub async fn interests(env: &Env) -> Result<Response, ApiError> {
    let db = D1::from_env(env)?;
    Ok(respond::json(200, &catalogue_json(&catalogue(&db).await?)))
}
