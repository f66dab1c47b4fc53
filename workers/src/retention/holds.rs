//! `POST /v1/admin/legal-holds` and `DELETE /v1/admin/legal-holds/{id}`
//! (P20): organisation admins hold a meeting or a user of their own
//! organisation; audited.

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::retention::holds::{check_subject, parse_place, place, release, HoldRow, Scope};
use connvo_shared::sql::legal_holds::LegalHoldGet;
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::sql::users::UserGet;
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Response};

use crate::audit;
use crate::clock::now_ms;
use crate::entropy::random;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

/// The organisation a hold's subject belongs to.
async fn subject_org(db: &D1, scope: Scope, subject_id: &str) -> Result<Option<String>, ApiError> {
    Ok(match scope {
        Scope::Meeting => db
            .first::<MeetingRow>(MeetingGet { id: subject_id })
            .await?
            .and_then(|m| m.org_id),
        Scope::User => db
            .first::<Value>(UserGet { id: subject_id })
            .await?
            .and_then(|u| u["org_id"].as_str().map(str::to_owned)),
    })
}

fn audit_hold(ctx: &RequestCtx, call: &Call, action: &str, hold: &HoldRow) -> Result<(), ApiError> {
    let authed = call.user()?;
    audit::record(
        ctx,
        AuditEvent::new(action, Outcome::Success, "legal_hold")
            .actor(authed.user_id())
            .org(Some(call.org_id()?))
            .resource(hold.id.as_str())
            .meta("scope", hold.scope.as_str())
            .meta("subject_id", hold.subject_id.as_str()),
    );
    Ok(())
}

pub async fn place_hold(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let org = call.org_id()?;
    let authed = call.user()?;
    let hold = parse_place(&call.body)?;
    let db = D1::from_env(env)?;
    check_subject(
        org,
        subject_org(&db, hold.scope, &hold.subject_id)
            .await?
            .as_deref(),
    )?;
    let now = now_ms();
    let id = new_id("hold", now, random::<10>()?);
    db.run(place(&id, &hold, authed.user_id(), now)).await?;
    let row: HoldRow = db
        .first(LegalHoldGet { id: &id })
        .await?
        .ok_or_else(|| ApiError::internal("the hold vanished"))?;
    audit_hold(ctx, call, "admin.legal_hold.place", &row)?;
    Ok(respond::json(201, &json!({ "hold": row })))
}

pub async fn release_hold(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    hold_id: &str,
) -> Result<Response, ApiError> {
    let org = call.org_id()?;
    let db = D1::from_env(env)?;
    let not_found = || ApiError::not_found("no such legal hold");
    let hold: HoldRow = db
        .first(LegalHoldGet { id: hold_id })
        .await?
        .ok_or_else(not_found)?;
    let scope = Scope::parse(&hold.scope).ok_or_else(not_found)?;
    check_subject(
        org,
        subject_org(&db, scope, &hold.subject_id).await?.as_deref(),
    )
    .map_err(|_| not_found())?;
    if let Some(statement) = release(&hold, now_ms()) {
        db.run(statement).await?;
        audit_hold(ctx, call, "admin.legal_hold.release", &hold)?;
    }
    let row: Option<HoldRow> = db.first(LegalHoldGet { id: hold_id }).await?;
    Ok(respond::json(200, &json!({ "hold": row })))
}
