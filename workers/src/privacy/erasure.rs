//! Erasure (docs/privacy.md P6–P10, P34–P36): `POST
//! /v1/privacy/delete-account`, `GET /v1/privacy/delete-account/{id}`, and
//! the `erase_user` job that runs the erasure plan
//! (`connvo_shared::privacy::erasure`).
//!
//! The job works in bounded runs of at most `PRIVACY_ERASURE_STATEMENTS_PER_RUN`
//! statements, each bounded step repeated while it fills its batch; the
//! steps done are recorded, so a crash or the next run resumes there (and
//! every step is idempotent, so a repeat is harmless). Under an active
//! legal hold on the user it changes nothing and waits (P10): the request
//! says `waiting_for: legal_hold`, and the cron sweep looks again later.
//! Before the plan's statements, each run closes the user's sockets (hub
//! and meeting rooms), revokes the session that asked, and deletes the
//! user's export files from R2.

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditContext, AuditEvent, Outcome, AUDIT_ID_BYTES};
use connvo_shared::jobs::{Job, JobMessage, JobResult};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::matching::embedder::SourceType;
use connvo_shared::matching::vector_index::VectorKey;
use connvo_shared::meeting::ids::new_id;
use connvo_shared::privacy::erasure::{
    next_step, plan, pseudonym, resume_at, ErasureError, ErasureInput, DEFAULT_BATCH,
};
use connvo_shared::privacy::export_run::{document_key, parts_dir};
use connvo_shared::privacy::requests::{
    deletion_view, plan_deletion, DeletionPlan, DeletionRow, OpenRequest, DELETION_PREFIX,
};
use connvo_shared::sql::legal_holds::LegalHoldActiveFor;
use connvo_shared::sql::privacy::{
    DeletionRequestAdvance, DeletionRequestGet, DeletionRequestOpenForUser, DeletionRequestWait,
    ExportMemberships, ExportRequestIdsForUser,
};
use connvo_shared::validation::expect_empty;
use connvo_shared::workos_events::revocation::Revocation;
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::Value;
use worker::{Env, Response};

use super::export::continue_later;
use super::files::{bucket, delete_under, r2_error};
use crate::audit;
use crate::auth::revocation;
use crate::clock::now_ms;
use crate::config::{var, ws_ticket_secret};
use crate::entropy::random;
use crate::jobs::send::enqueue;
use crate::jobs::{failed, log, JobCtx};
use crate::logging;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

/// Statements per run, by default.
const DEFAULT_STATEMENTS_PER_RUN: i64 = 200;
/// Memberships read per page when the job lists the user's meetings.
const MEETING_PAGE: i64 = 500;
/// Exports whose files one run deletes (a user has a handful).
const EXPORTS_PER_RUN: i64 = 100;

/// The user's pseudonym (P9) under `ERASURE_SECRET`, else the ticket secret.
fn pseudonym_of(env: &Env, user_id: &str) -> Result<String, ApiError> {
    let secret = match var(env, "ERASURE_SECRET") {
        Some(s) => s.into_bytes(),
        None => ws_ticket_secret(env)?,
    };
    pseudonym(&secret, user_id).ok_or_else(|| ApiError::internal("ERASURE_SECRET is empty"))
}

async fn load(db: &D1, id: &str) -> Result<Option<DeletionRow>, ApiError> {
    Ok(db.first(DeletionRequestGet { id }).await?)
}

/// `POST /v1/privacy/delete-account` (P34): 202 with a new request, or 200
/// with the open one; either way its job is queued.
pub async fn request(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    expect_empty(&call.body)?;
    let user_id = authed.user_id();
    let alias = pseudonym_of(env, user_id)?;
    let db = D1::from_env(env)?;
    let open: Option<OpenRequest> = db.first(DeletionRequestOpenForUser { user_id }).await?;
    let now = now_ms();
    let new = new_id(DELETION_PREFIX, now, random::<10>()?);
    let (id, created) = match plan_deletion(open.as_ref(), &new, user_id, &alias, now) {
        DeletionPlan::Existing(id) => (id, false),
        DeletionPlan::Create(insert) => {
            if db.run(insert).await? > 0 {
                (new, true)
            } else {
                // Two requests at once: the unique index let one in.
                let open: OpenRequest = db
                    .first(DeletionRequestOpenForUser { user_id })
                    .await?
                    .ok_or_else(|| ApiError::conflict("the deletion request changed; retry"))?;
                (open.id, false)
            }
        }
    };
    if created {
        audit::record(
            ctx,
            AuditEvent::new(
                "privacy.erasure.request",
                Outcome::Success,
                "privacy_erasure",
            )
            .actor(user_id)
            .org(authed.org_id.clone())
            .resource(id.as_str()),
        );
    }
    enqueue(
        env,
        Job::EraseUser {
            request_id: id.clone(),
            session_id: authed.identity.session_id.clone(),
        },
        &ctx.request_id,
    )
    .await;
    let row = load(&db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("the deletion request is missing"))?;
    Ok(respond::json(
        if created { 202 } else { 200 },
        &deletion_view(&row),
    ))
}

/// `GET /v1/privacy/delete-account/{id}` (P35): the owner's request; 404
/// for anyone else.
pub async fn status(call: &Call, env: &Env, request_id: &str) -> Result<Response, ApiError> {
    let user_id = call.user()?.user_id();
    let db = D1::from_env(env)?;
    let alias = pseudonym_of(env, user_id)?;
    let row = load(&db, request_id)
        .await?
        .filter(|r| r.owned_by(user_id, Some(&alias)))
        .ok_or_else(|| ApiError::not_found("no such deletion request"))?;
    Ok(respond::json(200, &deletion_view(&row)))
}

/// What one run did.
enum Ran {
    More,
    Waiting,
    Erased,
    Nothing,
}

/// The `erase_user` job.
pub async fn run(
    env: &Env,
    msg: &JobMessage,
    request_id: &str,
    session_id: Option<&str>,
    jc: &JobCtx,
) -> JobResult {
    match step(env, request_id, session_id, jc).await {
        Ok(Ran::More) => continue_later(env, jc),
        Ok(Ran::Waiting) => {
            logging::emit(
                &log(jc, Level::Info, "erasure waits for a legal hold", msg),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(Ran::Erased) => {
            logging::emit(&log(jc, Level::Info, "user erased", msg), Level::Info);
            JobResult::Done
        }
        Ok(Ran::Nothing) => JobResult::Done,
        // An erasure is never given up: out of attempts, the request stays
        // open and the cron sweep queues it again.
        Err(err) => failed(env, jc, msg, "erasure failed", &err),
    }
}

#[derive(Deserialize)]
struct Membership {
    meeting_id: String,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

/// Every meeting of `user_id` (memberships, paged).
async fn meetings_of(db: &D1, user_id: &str, into: &mut Vec<String>) -> Result<(), ApiError> {
    let mut after = String::new();
    loop {
        let page: Vec<Membership> = db
            .all(ExportMemberships {
                user_id,
                after_meeting_id: &after,
                limit: MEETING_PAGE,
            })
            .await?;
        let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= MEETING_PAGE;
        match page.last() {
            Some(last) if full => after = last.meeting_id.clone(),
            _ => {
                into.extend(page.into_iter().map(|m| m.meeting_id));
                return Ok(());
            }
        }
        into.extend(page.into_iter().map(|m| m.meeting_id));
    }
}

async fn step(
    env: &Env,
    request_id: &str,
    session_id: Option<&str>,
    jc: &JobCtx,
) -> Result<Ran, ApiError> {
    let db = D1::from_env(env)?;
    let Some(row) = load(&db, request_id).await? else {
        return Ok(Ran::Nothing);
    };
    let Some(user_id) = row
        .user_id
        .clone()
        .filter(|_| matches!(row.status.as_str(), "pending" | "processing"))
    else {
        return Ok(Ran::Nothing); // completed before
    };
    let holds: Vec<Value> = db
        .all(LegalHoldActiveFor {
            scope: "user",
            subject_id: &user_id,
        })
        .await?;
    let mut meetings = Vec::new();
    meetings_of(&db, &user_id, &mut meetings).await?;
    meetings_of(&db, &row.pseudonym, &mut meetings).await?;
    meetings.sort();
    meetings.dedup();
    let meeting_ids: Vec<&str> = meetings.iter().map(String::as_str).collect();
    let now = now_ms();
    let steps = match plan(&ErasureInput {
        request_id,
        user_id: &user_id,
        pseudonym: &row.pseudonym,
        meeting_ids: &meeting_ids,
        under_legal_hold: !holds.is_empty(),
        now_ms: now,
        batch: DEFAULT_BATCH,
    }) {
        Ok(steps) => steps,
        Err(ErasureError::LegalHold) => {
            db.run(DeletionRequestWait {
                id: request_id,
                waiting_for: "legal_hold",
                now_ms: now,
            })
            .await?;
            return Ok(Ran::Waiting);
        }
        Err(e) => return Err(ApiError::internal(format!("erasure plan: {e:?}"))),
    };
    revoke_access(env, &db, &user_id, session_id, &jc.message_id).await?;

    let budget = var(env, "PRIVACY_ERASURE_STATEMENTS_PER_RUN")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| (1..=10_000).contains(v))
        .unwrap_or(DEFAULT_STATEMENTS_PER_RUN);
    let total = steps.len();
    let total_i64 = i64::try_from(total).unwrap_or(i64::MAX);
    let mut i = resume_at(row.steps_done, row.steps_total, total);
    let mut rows = 0i64;
    let mut used = 0i64;
    while i < total && used < budget {
        let step = &steps[i];
        if i + 1 == total {
            // The last step completes the request (and drops its user id):
            // the counters go in the same batch.
            db.batch(&[
                DeletionRequestAdvance {
                    id: request_id,
                    steps_done: total_i64,
                    steps_total: total_i64,
                    rows,
                    now_ms: now_ms(),
                }
                .statement(),
                step.statement.clone(),
            ])
            .await?;
            i = total;
            break;
        }
        let changes = db.run(step.statement.clone()).await?;
        rows += i64::try_from(changes).unwrap_or(0);
        used += 1;
        i = next_step(step, i, changes);
    }
    if i < total {
        db.run(DeletionRequestAdvance {
            id: request_id,
            steps_done: i64::try_from(i).unwrap_or(0),
            steps_total: total_i64,
            rows,
            now_ms: now_ms(),
        })
        .await?;
        return Ok(Ran::More);
    }
    // Audit logs are kept (P8); this row names the pseudonym, not the user.
    let event = AuditEvent::new(
        "privacy.erasure.complete",
        Outcome::Success,
        "privacy_erasure",
    )
    .actor(row.pseudonym.as_str())
    .resource(request_id)
    .meta("statements", i64::try_from(total).unwrap_or(0));
    let context = AuditContext {
        request_id: Some(jc.message_id.clone()),
        ip: None,
        user_agent: None,
        at_ms: now_ms(),
    };
    db.run(event.statement(&random::<AUDIT_ID_BYTES>()?, &context))
        .await?;
    Ok(Ran::Erased)
}

/// Before the plan runs: the user's sockets close (hub and active meetings,
/// as for a WorkOS `user.deleted`), the session that asked is revoked, and
/// the user's export files leave R2 (their rows go with the user).
async fn revoke_access(
    env: &Env,
    db: &D1,
    user_id: &str,
    session_id: Option<&str>,
    message_id: &str,
) -> Result<(), ApiError> {
    if let Some(sid) = session_id {
        revocation::revoke(env, sid, u64::try_from(now_ms()).unwrap_or(0))
            .await
            .map_err(|e| ApiError::internal(format!("revoking the session failed: {e}")))?;
    }
    crate::webhooks::rooms::revoke(
        env,
        message_id,
        &Revocation {
            user_id: user_id.to_owned(),
            org_id: None,
            cause: "privacy.erasure".into(),
        },
    )
    .await;
    // Their notifications live in their hub too (N17): erase the ring.
    crate::notifications::erase_user_hub(env, user_id)
        .await
        .map_err(|e| ApiError::internal(format!("hub erase: {e}")))?;
    // Their own vectors leave an external index (Vectorize) as well; the
    // D1 rows go with the plan's steps (P7).
    let model = crate::embeddings::Configured::from_env(env)?.model();
    let keys = [SourceType::User, SourceType::Profile].map(|t| VectorKey::new(t, user_id));
    crate::embeddings::vector::forget(env, &model, &keys, now_ms()).await?;
    let exports: Vec<Id> = db
        .all(ExportRequestIdsForUser {
            user_id,
            limit: EXPORTS_PER_RUN,
        })
        .await?;
    let files = bucket(env)?;
    let mut deleted = 0;
    for export in &exports {
        deleted += delete_under(&files, &parts_dir(&export.id)).await?;
        files
            .delete(document_key(&export.id))
            .await
            .map_err(r2_error)?;
    }
    if !exports.is_empty() {
        logging::emit(
            &LogLine::new(Level::Info, "erasure deleted export files", message_id)
                .field("exports", exports.len())
                .field("parts", deleted),
            Level::Info,
        );
    }
    Ok(())
}
