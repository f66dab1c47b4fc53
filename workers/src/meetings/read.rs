//! Reading meetings: one meeting with its participants, the caller's
//! meetings (filtered, keyset-paginated), a meeting's participants.

use connvo_rooms::d1::D1;
use connvo_shared::meeting::list::{parse_list_query, Order};
use connvo_shared::meeting::view::{list_item, ParticipantListRow};
use connvo_shared::sql::meetings::{MeetingListForUserAsc, MeetingListForUserDesc};
use connvo_shared::sql::Statement;
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use super::execute::detail_json;
use super::store;
use crate::pipeline::Call;
use crate::respond;

/// `GET /v1/meetings/{id}`
pub async fn get(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let db = D1::from_env(env)?;
    let participants = store::participants(&db, &access.meeting.id).await?;
    Ok(respond::json(
        200,
        &detail_json(&access.meeting, access.role(), &participants),
    ))
}

/// `GET /v1/meetings/{id}/participants`
pub async fn participants(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let db = D1::from_env(env)?;
    let rows = store::participants(&db, &access.meeting.id).await?;
    let items: Vec<Value> = rows.iter().map(ParticipantListRow::to_json).collect();
    Ok(respond::json(200, &json!({ "participants": items })))
}

/// `GET /v1/meetings?state=&from=&to=&order=&limit=&cursor=`: the meetings
/// the caller is a member of.
pub async fn list(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let user_id = call.user()?.user_id();
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = parse_list_query(&pairs)?;
    let (after_at, after_id) = query.keyset();
    let state = query.state.map(|s| s.as_str());
    let limit = i64::from(query.limit) + 1;
    let statement: Statement = match query.order {
        Order::Asc => MeetingListForUserAsc {
            user_id,
            state_filter: state,
            after_scheduled_at: after_at,
            after_id,
            to_ms: query.far_bound(),
            limit,
        }
        .statement(),
        Order::Desc => MeetingListForUserDesc {
            user_id,
            state_filter: state,
            before_scheduled_at: after_at,
            before_id: after_id,
            from_ms: query.far_bound(),
            limit,
        }
        .statement(),
    };
    let db = D1::from_env(env)?;
    let rows: Vec<Value> = db.all(statement).await?;
    let more = rows.len() > query.limit as usize;
    let mut items = Vec::with_capacity(rows.len());
    let mut last: Option<(i64, String)> = None;
    for value in rows.into_iter().take(query.limit as usize) {
        let (row, item) =
            list_item(value).map_err(|e| ApiError::internal(format!("row decode: {e}")))?;
        last = Some((row.scheduled_at, row.id));
        items.push(item);
    }
    let next_cursor = match (more, last) {
        (true, Some((at, id))) => Value::from(query.next_cursor(at, &id)),
        _ => Value::Null,
    };
    Ok(respond::json(
        200,
        &json!({ "meetings": items, "next_cursor": next_cursor }),
    ))
}
