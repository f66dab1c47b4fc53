//! Reading meetings: one meeting with its participants, the caller's
//! meetings (filtered, keyset-paginated), a meeting's participants.

use connvo_shared::acl::{Action, MeetingRole};
use connvo_shared::meeting::list::{parse_list_query, Order};
use connvo_shared::meeting::view::{list_item, MeetingRow, ParticipantListRow};
use connvo_shared::sql::meetings;
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use super::access::require;
use super::{caller, store};
use crate::args;
use crate::db;
use crate::request::RequestCtx;
use crate::respond;

/// A meeting as `GET /v1/meetings/{id}` shows it: its fields, the caller's
/// role (`null` for an org admin who is not a member) and its members.
pub fn detail_json(
    row: &MeetingRow,
    my_role: Option<MeetingRole>,
    participants: &[ParticipantListRow],
) -> Value {
    let mut body = row.to_json();
    body["my_role"] = my_role.map_or(Value::Null, |r| Value::from(r.as_str()));
    body["participants"] = Value::Array(participants.iter().map(|p| p.to_json()).collect());
    body
}

/// `GET /v1/meetings/{id}`
pub async fn get(
    ctx: &RequestCtx,
    req: &Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let caller = caller::authenticate(req, env, ctx).await?;
    let db = db::database(env)?;
    let access = require(ctx, &db, &caller, meeting_id, Action::ReadMeeting).await?;
    let participants = store::participants(&db, meeting_id).await?;
    Ok(respond::json(
        200,
        &detail_json(&access.meeting, access.role(), &participants),
    ))
}

/// `GET /v1/meetings/{id}/participants`
pub async fn participants(
    ctx: &RequestCtx,
    req: &Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let caller = caller::authenticate(req, env, ctx).await?;
    let db = db::database(env)?;
    require(ctx, &db, &caller, meeting_id, Action::ReadParticipants).await?;
    let rows = store::participants(&db, meeting_id).await?;
    let items: Vec<Value> = rows.iter().map(ParticipantListRow::to_json).collect();
    Ok(respond::json(200, &json!({ "participants": items })))
}

/// `GET /v1/meetings?state=&from=&to=&order=&limit=&cursor=`: the meetings
/// the caller is a member of.
pub async fn list(ctx: &RequestCtx, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let caller = caller::authenticate(req, env, ctx).await?;
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = parse_list_query(&pairs)?;
    let sql = match query.order {
        Order::Asc => meetings::MEETING_LIST_FOR_USER_ASC,
        Order::Desc => meetings::MEETING_LIST_FOR_USER_DESC,
    };
    let (after_at, after_id) = query.keyset();
    let db = db::database(env)?;
    let rows = db::all(
        &db,
        sql,
        args![
            caller.user_id.as_str(),
            query.state.map(|s| s.as_str()),
            after_at,
            after_id,
            query.far_bound(),
            i64::from(query.limit) + 1
        ],
    )
    .await?;
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
