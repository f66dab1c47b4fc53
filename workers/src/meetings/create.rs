//! `POST /v1/meetings`: schedule a meeting. The creator is its host; the
//! invited participants get their roles. One D1 batch writes the meeting and
//! every membership (the triggers keep `participant_count`), then the
//! provisioning job goes on the queue.
//!
//! **Idempotency.** With an `Idempotency-Key` header (1..=255 printable
//! characters, scoped to the caller), a retried create does not create
//! twice: the first request claims the key in `idempotency_keys`, and its
//! completion is written *in the same batch* as the meeting, so either both
//! exist or neither does. A retry with the same key and body gets the
//! meeting again (201, `idempotent-replayed: true`); the same key with
//! another body is a 409, as is a retry while the first is still running.

use connvo_shared::acl::{Action, MeetingRole};
use connvo_shared::jobs::Job;
use connvo_shared::limits::max_body_bytes;
use connvo_shared::meeting::fields::invalid;
use connvo_shared::meeting::ids::{new_id, MEETING_PREFIX};
use connvo_shared::meeting::request::{parse_create, CreateMeeting};
use connvo_shared::meeting::view::{MeetingRow, ParticipantListRow, Provisioning};
use connvo_shared::route::RouteClass;
use connvo_shared::signature::sha256_hex;
use connvo_shared::sql::{idempotency, meetings, participants, users};
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{D1Database, Env, Request, Response};

use super::access::require;
use super::audited::{self, action};
use super::read::detail_json;
use super::{caller, store};
use crate::args;
use crate::db::{self, decode};
use crate::jobs::send::enqueue;
use crate::request::{read_body, RequestCtx};
use crate::respond;
use crate::sys::{now_ms, random};

/// How long a claimed-but-unfinished key blocks retries (a crashed request
/// frees its key after this).
const CLAIM_TTL_MS: i64 = 60_000;
/// How long a finished create is remembered for replay.
const REPLAY_TTL_MS: i64 = 24 * 60 * 60 * 1000;
const MAX_KEY_LEN: usize = 255;

enum Claim {
    Ours,
    Replay { meeting_id: String },
}

fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key").ok().flatten() else {
        return Ok(None);
    };
    let ok = !value.is_empty()
        && value.len() <= MAX_KEY_LEN
        && value.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(invalid(
            "Idempotency-Key",
            "invalid_value",
            "Idempotency-Key must be 1 to 255 printable characters",
        ));
    }
    Ok(Some(value))
}

fn conflict(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message).with_details(json!({ "reason": reason }))
}

async fn claim(
    db: &D1Database,
    scope: &str,
    key: &str,
    hash: &str,
    now: i64,
) -> Result<Claim, ApiError> {
    let claimed = db::run(
        db,
        idempotency::IDEMPOTENCY_CLAIM,
        args![scope, key, hash, now, now + CLAIM_TTL_MS],
    )
    .await?;
    if claimed == 1 {
        return Ok(Claim::Ours);
    }
    let Some(row) = db::first(db, idempotency::IDEMPOTENCY_GET, args![scope, key]).await? else {
        // Purged between the two statements: a retry will claim it.
        return Err(conflict(
            "IDEMPOTENCY_IN_PROGRESS",
            "a request with this Idempotency-Key is in progress; retry shortly",
        ));
    };
    if row["request_hash"].as_str() != Some(hash) {
        return Err(conflict(
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request",
        ));
    }
    let meeting_id = row["result"]
        .as_str()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .and_then(|result| result["meeting_id"].as_str().map(str::to_owned));
    match (row["status"].as_str(), meeting_id) {
        (Some("completed"), Some(meeting_id)) => Ok(Claim::Replay { meeting_id }),
        _ => Err(conflict(
            "IDEMPOTENCY_IN_PROGRESS",
            "a request with this Idempotency-Key is in progress; retry shortly",
        )),
    }
}

/// Refuses invitees who are not users yet (the membership's foreign key
/// would refuse them anyway, without saying who).
async fn check_invitees_exist(db: &D1Database, input: &CreateMeeting) -> Result<(), ApiError> {
    if input.invitees.is_empty() {
        return Ok(());
    }
    let statements = input
        .invitees
        .iter()
        .map(|i| db::stmt(db, users::USER_GET, args![i.user_id.as_str()]))
        .collect::<Result<Vec<_>, _>>()?;
    let results = db::batch(db, statements).await?;
    for (i, result) in results.iter().enumerate() {
        if db::rows(result)?.is_empty() {
            return Err(invalid(
                &format!("participants[{i}].user_id"),
                "unknown_user",
                "no such user",
            ));
        }
    }
    Ok(())
}

/// `POST /v1/meetings`
pub async fn create(ctx: &RequestCtx, mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let caller = caller::authenticate(&req, env, ctx).await?;
    let key = idempotency_key(&req)?;
    let body = read_body(&mut req, max_body_bytes(RouteClass::MeetingCreate)).await?;
    let now = now_ms();
    let input = parse_create(&body, &caller.user_id, now)?;
    let db = db::database(env)?;

    let scope = format!("meetings.create:{}", caller.user_id);
    if let Some(key) = &key {
        match claim(&db, &scope, key, &sha256_hex(&body), now).await? {
            Claim::Ours => {}
            Claim::Replay { meeting_id } => {
                return replay(ctx, env, &db, &caller, &meeting_id).await;
            }
        }
    }
    let outcome = insert(&db, &caller, &input, key.as_deref(), &scope, now).await;
    let (row, participants) = match outcome {
        Ok(done) => done,
        Err(err) => {
            if let Some(key) = &key {
                // Give the key back so a corrected retry can use it.
                let _ = db::run(
                    &db,
                    idempotency::IDEMPOTENCY_RELEASE,
                    args![scope.as_str(), key.as_str()],
                )
                .await;
            }
            return Err(err);
        }
    };
    audited::done(
        ctx,
        &caller,
        &row.id,
        action::CREATE,
        &[
            ("participants", json!(participants.len())),
            ("idempotency_key", json!(key.is_some())),
        ],
    );
    enqueue(
        env,
        Job::ProvisionCall {
            meeting_id: row.id.clone(),
        },
        &ctx.request_id,
    )
    .await;
    let mut resp = respond::json(
        201,
        &detail_json(&row, Some(MeetingRole::Host), &participants),
    );
    let _ = resp
        .headers_mut()
        .set("location", &format!("/v1/meetings/{}", row.id));
    Ok(resp)
}

async fn insert(
    db: &D1Database,
    caller: &connvo_shared::meeting::access::Caller,
    input: &CreateMeeting,
    key: Option<&str>,
    scope: &str,
    now: i64,
) -> Result<(MeetingRow, Vec<ParticipantListRow>), ApiError> {
    check_invitees_exist(db, input).await?;
    let id = new_id(MEETING_PREFIX, now, random::<10>()?);
    let mut statements = vec![
        db::stmt(
            db,
            meetings::MEETING_INSERT,
            args![
                id.as_str(),
                caller.user_id.as_str(),
                caller.org_id.as_deref(),
                input.title.as_str(),
                input.description.as_deref(),
                input.scheduled_at,
                input.duration_ms,
                input.recording_enabled,
                input.transcription_enabled,
                now
            ],
        )?,
        db::stmt(
            db,
            participants::PARTICIPANT_INSERT,
            args![
                id.as_str(),
                caller.user_id.as_str(),
                "host",
                caller.user_id.as_str(),
                now
            ],
        )?,
    ];
    for invitee in &input.invitees {
        statements.push(db::stmt(
            db,
            participants::PARTICIPANT_INSERT,
            args![
                id.as_str(),
                invitee.user_id.as_str(),
                invitee.role.as_str(),
                caller.user_id.as_str(),
                now
            ],
        )?);
    }
    if let Some(key) = key {
        let result = json!({ "meeting_id": id }).to_string();
        statements.push(db::stmt(
            db,
            idempotency::IDEMPOTENCY_COMPLETE,
            args![scope, key, result, now, now + REPLAY_TTL_MS],
        )?);
    }
    let read_back = statements.len();
    statements.push(db::stmt(db, meetings::MEETING_GET, args![id.as_str()])?);
    statements.push(db::stmt(
        db,
        participants::PARTICIPANT_LIST_BY_MEETING,
        args![id.as_str(), "", 100i64],
    )?);
    let results = db::batch(db, statements).await.map_err(|err| {
        if db::is_foreign_key_error(&err) {
            invalid(
                "participants",
                "unknown_user",
                "a participant is not a user",
            )
        } else {
            err
        }
    })?;
    let row = results
        .get(read_back)
        .map(db::rows)
        .transpose()?
        .and_then(|rows| rows.into_iter().next())
        .ok_or_else(|| ApiError::internal("the new meeting could not be read back"))?;
    let participants = results
        .get(read_back + 1)
        .map(db::rows)
        .transpose()?
        .unwrap_or_default()
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<ParticipantListRow>, _>>()?;
    Ok((decode(row)?, participants))
}

/// A retried create: the meeting the first request made, as it is now.
async fn replay(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1Database,
    caller: &connvo_shared::meeting::access::Caller,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let access = require(ctx, db, caller, meeting_id, Action::ReadMeeting).await?;
    if access.meeting.provisioning() == Provisioning::Pending {
        // The first request's job may never have been queued; another is harmless.
        enqueue(
            env,
            Job::ProvisionCall {
                meeting_id: meeting_id.to_owned(),
            },
            &ctx.request_id,
        )
        .await;
    }
    let participants = store::participants(db, meeting_id).await?;
    let mut resp = respond::json(
        201,
        &detail_json(&access.meeting, access.role(), &participants),
    );
    let headers = resp.headers_mut();
    let _ = headers.set("idempotent-replayed", "true");
    let _ = headers.set("location", &format!("/v1/meetings/{meeting_id}"));
    Ok(resp)
}
