//! The intelligence read routes: `GET /v1/meetings/{id}/prompts` (members,
//! `connvo_shared::prompts`), and the caller's own insights (rule I36,
//! `connvo_shared::insights`): `GET /v1/insights`, `GET` and `DELETE
//! /v1/meetings/{id}/insights/me`, `DELETE /v1/insights/{id}`. Every
//! insights statement binds the caller's id.

use connvo_rooms::d1::D1;
use connvo_shared::insights::{
    list_json, list_statement, not_found, parse_list, InsightListRow, InsightRow,
};
use connvo_shared::prompts::{page_json, parse_query, statement, PromptRow};
use connvo_shared::sql::insights::{InsightDelete, InsightDeleteForMeeting, InsightGetForMeeting};
use connvo_shared::ApiError;
use worker::{Env, Request, Response};

use crate::pipeline::Call;
use crate::respond;

fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL is malformed"))?;
    Ok(url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

fn no_content() -> Result<Response, ApiError> {
    Response::empty()
        .map(|r| r.with_status(204))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `GET /v1/meetings/{id}/prompts?type=&cursor=&limit=`
pub async fn prompts(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let q = parse_query(&query_pairs(req)?)?;
    let rows = D1::from_env(env)?
        .all::<PromptRow>(statement(&access.meeting.id, &q))
        .await?;
    Ok(respond::json(200, &page_json(&rows, &q)))
}

/// `GET /v1/insights?cursor=&limit=`
pub async fn list(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let q = parse_list(&query_pairs(req)?)?;
    let rows = D1::from_env(env)?
        .all::<InsightListRow>(list_statement(user, &q))
        .await?;
    Ok(respond::json(200, &list_json(&rows, &q)))
}

/// `GET /v1/meetings/{id}/insights/me`
pub async fn mine(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let meeting_id = &call.meeting()?.meeting.id;
    let row = D1::from_env(env)?
        .first::<InsightRow>(InsightGetForMeeting {
            meeting_id,
            user_id: user,
        })
        .await?
        .ok_or_else(not_found)?;
    Ok(respond::json(200, &row.to_json()))
}

/// `DELETE /v1/meetings/{id}/insights/me`
pub async fn delete_mine(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let meeting_id = &call.meeting()?.meeting.id;
    let deleted = D1::from_env(env)?
        .run(InsightDeleteForMeeting {
            meeting_id,
            user_id: user,
        })
        .await?;
    if deleted == 0 {
        return Err(not_found());
    }
    no_content()
}

/// `DELETE /v1/insights/{id}`: the caller's own, else 404.
pub async fn delete(call: &Call, env: &Env, insight_id: &str) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let deleted = D1::from_env(env)?
        .run(InsightDelete {
            id: insight_id,
            user_id: user,
        })
        .await?;
    if deleted == 0 {
        return Err(not_found());
    }
    no_content()
}
