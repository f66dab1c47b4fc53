//! Membership changes: add, remove (or leave), change a role, hand over the
//! host role. The ACL decides who may (`acl::allowed`), the member rules
//! (`meeting::members`) keep exactly one host, every write is guarded by the
//! role the caller saw, and each change reaches the live room at once
//! (`internal/member`: revoke or set_role on the member's sockets).

use connvo_shared::acl::{Action, MeetingRole};
use connvo_shared::limits::max_body_bytes;
use connvo_shared::meeting::access::Caller;
use connvo_shared::meeting::fields::invalid;
use connvo_shared::meeting::members::{
    check_add, check_change_role, check_remove, check_transfer, removal_action, PREVIOUS_HOST_ROLE,
};
use connvo_shared::meeting::request::{
    parse_add_participant, parse_change_role, parse_transfer_host, MAX_PARTICIPANTS,
};
use connvo_shared::meeting::view::MembershipRow;
use connvo_shared::route::RouteClass;
use connvo_shared::sql::{participants, users};
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{D1Database, Env, Request, Response};

use super::access::{require, Access};
use super::audited::{self, action};
use super::{caller, store};
use crate::args;
use crate::db;
use crate::request::{read_body, RequestCtx};
use crate::respond;
use crate::room_client::Room;
use crate::sys::now_ms;

fn conflict(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message).with_details(json!({ "reason": reason }))
}

fn changed_meanwhile() -> ApiError {
    conflict(
        "MEMBERSHIP_CHANGED",
        "the membership changed since it was read; read it again",
    )
}

/// The target member, or 404: the caller may read the participant list,
/// so saying "no such participant" leaks nothing.
async fn target(
    db: &D1Database,
    meeting_id: &str,
    user_id: &str,
) -> Result<MembershipRow, ApiError> {
    store::membership(db, meeting_id, user_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("no such participant in this meeting")
                .with_details(json!({ "user_id": user_id }))
        })
}

/// The actor's role; `require` only passes members for these actions.
fn actor_role(access: &Access) -> Result<MeetingRole, ApiError> {
    access
        .role()
        .ok_or_else(|| ApiError::forbidden("not a participant of this meeting"))
}

async fn start(
    ctx: &RequestCtx,
    req: &mut Request,
    env: &Env,
    meeting_id: &str,
    action: impl FnOnce(&Caller) -> Action,
) -> Result<(Caller, Vec<u8>, D1Database, Access), ApiError> {
    let caller = caller::authenticate(req, env, ctx).await?;
    let body = read_body(req, max_body_bytes(RouteClass::Default)).await?;
    let db = db::database(env)?;
    let access = require(ctx, &db, &caller, meeting_id, action(&caller)).await?;
    Ok((caller, body, db, access))
}

/// `POST /v1/meetings/{id}/participants` `{"user_id", "role"?}` → 201.
pub async fn add(
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let (caller, body, db, access) = start(ctx, &mut req, env, meeting_id, |_| {
        Action::ManageParticipants
    })
    .await?;
    let invitee = parse_add_participant(&body)?;
    check_add(actor_role(&access)?, invitee.role)?;
    if usize::try_from(access.meeting.participant_count).unwrap_or(usize::MAX) >= MAX_PARTICIPANTS {
        return Err(conflict(
            "MEETING_FULL",
            "the meeting has the most participants it can have",
        ));
    }
    if db::first(&db, users::USER_GET, args![invitee.user_id.as_str()])
        .await?
        .is_none()
    {
        return Err(invalid("user_id", "unknown_user", "no such user"));
    }
    let now = now_ms();
    let inserted = db::run(
        &db,
        participants::PARTICIPANT_INSERT,
        args![
            meeting_id,
            invitee.user_id.as_str(),
            invitee.role.as_str(),
            caller.user_id.as_str(),
            now
        ],
    )
    .await?;
    if inserted == 0 {
        return Err(conflict(
            "ALREADY_PARTICIPANT",
            "this user is already a participant",
        ));
    }
    audited::done(
        ctx,
        &caller,
        meeting_id,
        action::PARTICIPANT_ADD,
        &[
            ("user_id", json!(invitee.user_id)),
            ("role", json!(invitee.role.as_str())),
        ],
    );
    Ok(respond::json(
        201,
        &json!({ "user_id": invitee.user_id, "role": invitee.role.as_str(), "presence": "invited" }),
    ))
}

/// `DELETE /v1/meetings/{id}/participants/{user_id}` → 204. Removing
/// yourself is leaving.
pub async fn remove(
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
    meeting_id: &str,
    user_id: &str,
) -> Result<Response, ApiError> {
    let (caller, _body, db, access) = start(ctx, &mut req, env, meeting_id, |c| {
        removal_action(&c.user_id, user_id)
    })
    .await?;
    let target = target(&db, meeting_id, user_id).await?;
    let is_self = caller.user_id == user_id;
    check_remove(actor_role(&access)?, target.role(), is_self)?;
    let removed = db::run(
        &db,
        participants::PARTICIPANT_REMOVE_WITH_ROLE,
        args![meeting_id, user_id, target.role.as_str()],
    )
    .await?;
    if removed == 0 {
        return Err(changed_meanwhile());
    }
    audited::done(
        ctx,
        &caller,
        meeting_id,
        action::PARTICIPANT_REMOVE,
        &[
            ("user_id", json!(user_id)),
            ("role", json!(target.role)),
            ("left", json!(is_self)),
        ],
    );
    let room = Room::new(env, meeting_id, &ctx.request_id);
    room.notify("member.revoke", room.revoke(user_id).await);
    Response::empty()
        .map(|r| r.with_status(204))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `PATCH /v1/meetings/{id}/participants/{user_id}` `{"role"}` → 200.
pub async fn change_role(
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
    meeting_id: &str,
    user_id: &str,
) -> Result<Response, ApiError> {
    let (caller, body, db, _access) =
        start(ctx, &mut req, env, meeting_id, |_| Action::ChangeRole).await?;
    let role = parse_change_role(&body)?;
    let target = target(&db, meeting_id, user_id).await?;
    check_change_role(target.role(), role)?;
    if target.role() != role {
        let changed = db::run(
            &db,
            participants::PARTICIPANT_SET_ROLE,
            args![
                meeting_id,
                user_id,
                target.role.as_str(),
                role.as_str(),
                now_ms()
            ],
        )
        .await?;
        if changed == 0 {
            return Err(changed_meanwhile());
        }
        audited::done(
            ctx,
            &caller,
            meeting_id,
            action::PARTICIPANT_ROLE,
            &[
                ("user_id", json!(user_id)),
                ("from", json!(target.role)),
                ("to", json!(role.as_str())),
            ],
        );
        let room = Room::new(env, meeting_id, &ctx.request_id);
        room.notify(
            "member.set_role",
            room.set_role(user_id, role.as_str()).await,
        );
    }
    Ok(respond::json(
        200,
        &json!({ "user_id": user_id, "role": role.as_str(), "presence": target.presence }),
    ))
}

/// `POST /v1/meetings/{id}/transfer-host` `{"user_id"}` → 200. One
/// statement moves both roles (the old host becomes a cohost), or neither.
pub async fn transfer_host(
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let (caller, body, db, _access) =
        start(ctx, &mut req, env, meeting_id, |_| Action::TransferHost).await?;
    let new_host = parse_transfer_host(&body)?;
    check_transfer(&caller.user_id, &new_host)?;
    let target = target(&db, meeting_id, &new_host).await?;
    let changed = db::run(
        &db,
        participants::PARTICIPANT_TRANSFER_HOST,
        args![
            meeting_id,
            caller.user_id.as_str(),
            new_host.as_str(),
            target.role.as_str(),
            PREVIOUS_HOST_ROLE.as_str(),
            now_ms()
        ],
    )
    .await?;
    if changed != 2 {
        return Err(changed_meanwhile());
    }
    audited::done(
        ctx,
        &caller,
        meeting_id,
        action::TRANSFER_HOST,
        &[("to", json!(new_host))],
    );
    let room = Room::new(env, meeting_id, &ctx.request_id);
    room.notify(
        "member.set_role",
        room.set_role(&new_host, MeetingRole::Host.as_str()).await,
    );
    room.notify(
        "member.set_role",
        room.set_role(&caller.user_id, PREVIOUS_HOST_ROLE.as_str())
            .await,
    );
    Ok(respond::json(
        200,
        &json!({
            "host": new_host,
            "previous_host": { "user_id": caller.user_id, "role": PREVIOUS_HOST_ROLE.as_str() },
        }),
    ))
}
