//! `PATCH /v1/meetings/{id}`: the host edits title, description, schedule
//! and recording/transcription flags. Optimistic concurrency: the update
//! applies to the version the caller read (`version` in the body) or, when
//! absent, to the version this request read; a concurrent edit is a 409.

use connvo_shared::acl::Action;
use connvo_shared::limits::max_body_bytes;
use connvo_shared::meeting::request::{apply_patch, parse_patch};
use connvo_shared::route::RouteClass;
use connvo_shared::sql::meetings;
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Request, Response};

use super::access::require;
use super::audited::{self, action};
use super::read::detail_json;
use super::{caller, store};
use crate::args;
use crate::db;
use crate::request::{read_body, RequestCtx};
use crate::respond;
use crate::sys::now_ms;

fn version_conflict(current: i64) -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "the meeting changed since you read it; read it again",
    )
    .with_details(json!({ "reason": "VERSION_MISMATCH", "version": current }))
}

pub async fn update(
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let caller = caller::authenticate(&req, env, ctx).await?;
    let body = read_body(&mut req, max_body_bytes(RouteClass::Default)).await?;
    let db = db::database(env)?;
    let access = require(ctx, &db, &caller, meeting_id, Action::UpdateMeeting).await?;
    let now = now_ms();
    let patch = parse_patch(&body, now)?;
    let row = &access.meeting;
    let expected = patch.expected_version.unwrap_or(row.version);
    if expected != row.version {
        return Err(version_conflict(row.version));
    }
    let next = apply_patch(&row.details(), row.state(), &patch)?;
    let updated = db::first(
        &db,
        meetings::MEETING_UPDATE_DETAILS,
        args![
            meeting_id,
            expected,
            next.title.as_str(),
            next.description.as_deref(),
            next.scheduled_at,
            next.duration_ms,
            next.recording_enabled,
            next.transcription_enabled,
            now
        ],
    )
    .await?;
    if updated.is_none() {
        let current = store::meeting(&db, meeting_id).await?;
        return Err(match current {
            Some(m) if m.version != expected => version_conflict(m.version),
            // Same version but refused: the meeting ended meanwhile.
            Some(m) => ApiError::new(ErrorCode::Conflict, "the meeting can no longer be edited")
                .with_details(json!({ "reason": "NOT_EDITABLE", "state": m.state })),
            None => connvo_shared::meeting::access::not_visible(),
        });
    }
    audited::done(
        ctx,
        &caller,
        meeting_id,
        action::UPDATE,
        &[("version", json!(expected + 1))],
    );
    let fresh = store::meeting(&db, meeting_id)
        .await?
        .ok_or_else(|| ApiError::internal("the meeting vanished"))?;
    let participants = store::participants(&db, meeting_id).await?;
    Ok(respond::json(
        200,
        &detail_json(&fresh, access.role(), &participants),
    ))
}
