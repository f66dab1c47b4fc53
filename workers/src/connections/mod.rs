//! The connection routes (issue 12 part 1): load the pair's row → plan
//! (`connvo_shared::matching::connection_plan`, rules M17–M20) → one guarded
//! statement → respond. A guarded write that changes nothing is a
//! concurrent move (409 `CONCURRENT_CHANGE`, M19).

use connvo_rooms::d1::D1;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::matching::connection_plan::{
    concurrent_change, list_json, list_statement, parse_list, parse_request, plan_action,
    plan_block, plan_request, plan_unblock, ConnectionPlan, StoredConnection, CONNECTION_PREFIX,
};
use connvo_shared::matching::connections::{ConnectionAction, ConnectionPolicy};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::sql::connections::{ConnectionGet, ConnectionGetBetween};
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::ApiError;
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::entropy::random;
use crate::pipeline::Call;
use crate::respond;

/// The query string as pairs.
pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL is malformed"))?;
    Ok(url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// An active (not deleted) user exists with this id.
async fn user_exists(db: &D1, id: &str) -> Result<bool, ApiError> {
    Ok(db
        .first::<StoredUser>(UserGetForAuth { id })
        .await?
        .is_some_and(|u| u.deleted_at.is_none()))
}

async fn between(db: &D1, a: &str, b: &str) -> Result<Option<StoredConnection>, ApiError> {
    Ok(db
        .first::<StoredConnection>(ConnectionGetBetween {
            user_a: a,
            user_b: b,
        })
        .await?)
}

/// Runs the plan's one guarded statement and answers with the row after it.
async fn execute(db: &D1, plan: ConnectionPlan, viewer: &str) -> Result<Response, ApiError> {
    if db.run(plan.statement).await? != 1 {
        return Err(concurrent_change());
    }
    match plan.after.and_then(|row| row.to_json(viewer)) {
        Some(body) => Ok(respond::json(plan.status, &body)),
        None => Response::empty()
            .map(|r| r.with_status(204))
            .map_err(|e| ApiError::internal(e.to_string())),
    }
}

/// `POST /v1/connections`
pub async fn request(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let actor = call.user()?.user_id();
    let body = parse_request(&call.body)?;
    let db = D1::from_env(env)?;
    let now = now_ms();
    let exists = actor != body.user_id && user_exists(&db, &body.user_id).await?;
    let existing = between(&db, actor, &body.user_id).await?;
    let id = new_id(CONNECTION_PREFIX, now, random::<10>()?);
    let plan = plan_request(
        actor,
        &body,
        exists,
        existing.as_ref(),
        &ConnectionPolicy::default(),
        &id,
        now,
    )?;
    let resp = execute(&db, plan, actor).await?;
    crate::notifications::producers::connection_changed(env, actor, &body.user_id).await;
    Ok(resp)
}

/// `POST /v1/connections/{id}/{accept,decline,withdraw}`, `DELETE /v1/connections/{id}`
pub async fn act(
    call: &Call,
    env: &Env,
    connection_id: &str,
    action: ConnectionAction,
) -> Result<Response, ApiError> {
    let actor = call.user()?.user_id();
    let db = D1::from_env(env)?;
    let stored = db
        .first::<StoredConnection>(ConnectionGet { id: connection_id })
        .await?;
    let plan = plan_action(actor, stored.as_ref(), action, now_ms())?;
    let resp = execute(&db, plan, actor).await?;
    if let Some(c) = stored.filter(|_| action == ConnectionAction::Accept) {
        crate::notifications::producers::connection_changed(env, actor, &c.requester_id).await;
        // M35: a connection between a matched pair teaches the matcher.
        crate::matching::post_call::connected(env, actor, &c.requester_id, "connection").await;
    }
    Ok(resp)
}

/// `PUT /v1/users/{id}/block`
pub async fn block(call: &Call, env: &Env, target: &str) -> Result<Response, ApiError> {
    let actor = call.user()?.user_id();
    let db = D1::from_env(env)?;
    let now = now_ms();
    let exists = actor != target && user_exists(&db, target).await?;
    let existing = between(&db, actor, target).await?;
    let id = new_id(CONNECTION_PREFIX, now, random::<10>()?);
    let plan = plan_block(actor, target, exists, existing.as_ref(), &id, now)?;
    execute(&db, plan, actor).await
}

/// `DELETE /v1/users/{id}/block`
pub async fn unblock(call: &Call, env: &Env, target: &str) -> Result<Response, ApiError> {
    let actor = call.user()?.user_id();
    let db = D1::from_env(env)?;
    let existing = between(&db, actor, target).await?;
    let plan = plan_unblock(actor, existing.as_ref(), now_ms())?;
    execute(&db, plan, actor).await
}

/// `GET /v1/connections?status=&cursor=&limit=`
pub async fn list(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let actor = call.user()?.user_id();
    let q = parse_list(&query_pairs(req)?)?;
    let rows = D1::from_env(env)?
        .all::<StoredConnection>(list_statement(actor, &q))
        .await?;
    Ok(respond::json(200, &list_json(actor, &rows, &q)))
}
