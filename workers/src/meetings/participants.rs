//! Membership changes: add, remove (or leave), change a role, hand over the
//! host role. The pipeline decided the ACL action; the plans
//! (`meeting::plan::members`) apply the member rules and guard each write;
//! each change reaches the live room at once (`internal/member`).

use connvo_rooms::d1::D1;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::meeting::plan::members;
use connvo_shared::meeting::request::{
    parse_add_participant, parse_change_role, parse_transfer_host,
};
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::ApiError;
use worker::{Env, Response};

use super::execute::{execute, For};
use super::store;
use crate::clock::now_ms;
use crate::pipeline::Call;
use crate::request::RequestCtx;

fn unreachable_race(_: Option<&connvo_shared::meeting::view::MeetingRow>) -> ApiError {
    members::changed_meanwhile()
}

/// `POST /v1/meetings/{id}/participants` `{"user_id", "role"?}` → 201.
pub async fn add(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let invitee = parse_add_participant(&call.body)?;
    let db = D1::from_env(env)?;
    let user: Option<StoredUser> = db
        .first(UserGetForAuth {
            id: &invitee.user_id,
        })
        .await?;
    let plan = members::add(
        &access.caller,
        access.role(),
        &access.meeting,
        &invitee,
        user.is_some(),
        now_ms(),
    )?;
    let on = For::new(ctx, env, &db, access);
    Ok(execute(&on, plan, unreachable_race).await?.0)
}

/// `DELETE /v1/meetings/{id}/participants/{user_id}` → 204.
pub async fn remove(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    user_id: &str,
) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let db = D1::from_env(env)?;
    let target = members::target(
        store::membership(&db, &access.meeting.id, user_id).await?,
        user_id,
    )?;
    let plan = members::remove(&access.caller, access.role(), &access.meeting.id, &target)?;
    let on = For::new(ctx, env, &db, access);
    Ok(execute(&on, plan, unreachable_race).await?.0)
}

/// `PATCH /v1/meetings/{id}/participants/{user_id}` `{"role"}` → 200.
pub async fn change_role(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    user_id: &str,
) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let role = parse_change_role(&call.body)?;
    let db = D1::from_env(env)?;
    let target = members::target(
        store::membership(&db, &access.meeting.id, user_id).await?,
        user_id,
    )?;
    let plan = members::change_role(&access.meeting.id, &target, role, now_ms())?;
    let on = For::new(ctx, env, &db, access);
    let resp = execute(&on, plan, unreachable_race).await?.0;
    crate::notifications::producers::role_changed(env, &access.meeting.id, user_id, role.as_str())
        .await;
    Ok(resp)
}

/// `POST /v1/meetings/{id}/transfer-host` `{"user_id"}` → 200.
pub async fn transfer_host(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let new_host = parse_transfer_host(&call.body)?;
    members::check_new_host(&access.caller, &new_host)?;
    let db = D1::from_env(env)?;
    let target = members::target(
        store::membership(&db, &access.meeting.id, &new_host).await?,
        &new_host,
    )?;
    let plan = members::transfer_host(&access.caller, &access.meeting.id, &target, now_ms())?;
    let on = For::new(ctx, env, &db, access);
    Ok(execute(&on, plan, unreachable_race).await?.0)
}
