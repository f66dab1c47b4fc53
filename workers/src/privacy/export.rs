//! The privacy export (docs/privacy.md P11, P12, P30–P33): the routes
//! `POST /v1/privacy/export` and `GET /v1/privacy/export/{id}`, the
//! `privacy_export` job, and the download its signed URL points at.
//!
//! The job works in bounded runs: each reads at most
//! `PRIVACY_EXPORT_PAGES_PER_RUN` keyset pages of
//! `PRIVACY_EXPORT_PAGE_ROWS` rows (`connvo_shared::privacy::export_run`),
//! writes them as one part object to R2 (`FILES`), and records its progress
//! with a compare-and-set, then asks the consumer for a retry to continue
//! (a job never sends to its own queue). When every set is read it merges
//! the parts into one JSON document, marks the request ready (its signed
//! URL lasts 30 days) and notifies the user (`export_ready:<id>`, once).

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::jobs::{JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::meeting::ids::new_id;
use connvo_shared::privacy::export::EXPORT_URL_TTL_MS;
use connvo_shared::privacy::export_run::{
    assemble, document_key, part, part_key, parts_dir, ExportProgress, Header, Read,
    DEFAULT_PAGES_PER_RUN, DEFAULT_PAGE_ROWS,
};
use connvo_shared::privacy::requests::{
    export_raced, export_ready, export_view, plan_export, ExportRow, OpenRequest, EXPORT_PREFIX,
};
use connvo_shared::recordings::signed_url::{issue, Grant, Purpose};
use connvo_shared::sql::privacy::{
    DeletionRequestOpenForUser, ExportRequestAdvance, ExportRequestFail, ExportRequestGet,
    ExportRequestLoad, ExportRequestOpenForUser, ExportRequestReady,
};
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use serde_json::Value;
use worker::{Env, HttpMetadata, Request, Response};

use super::files::{bucket, delete_under, r2_error};
use crate::audit;
use crate::clock::now_ms;
use crate::config::var;
use crate::entropy::random;
use crate::jobs::send::enqueue;
use crate::jobs::{failed, log, JobCtx};
use crate::logging;
use crate::pipeline::Call;
use crate::recordings::file_url_secret;
use crate::request::RequestCtx;
use crate::respond;
use crate::stream::config::job_backoff;

/// A positive integer variable, else `default`.
fn tuning(env: &Env, name: &str, default: i64, max: i64) -> i64 {
    var(env, name)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| (1..=max).contains(v))
        .unwrap_or(default)
}

fn origin(req: &Request) -> String {
    req.url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The signed path of a ready export's document, valid `ttl_ms`.
fn signed_path(env: &Env, row: &ExportRow, now: i64, ttl_ms: i64) -> Result<String, ApiError> {
    issue(
        &file_url_secret(env)?,
        &row.id,
        Purpose::PrivacyExport,
        &row.user_id,
        now,
        ttl_ms,
    )
    .map_err(|e| ApiError::internal(e.to_string()))
}

/// `POST /v1/privacy/export` (P33): 202 with the new request, or 409 while
/// an export or an erasure of the caller is open (P12).
pub async fn request(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    expect_empty(&call.body)?;
    let user_id = authed.user_id();
    let db = D1::from_env(env)?;
    let deletion: Option<OpenRequest> = db.first(DeletionRequestOpenForUser { user_id }).await?;
    let open: Option<OpenRequest> = db.first(ExportRequestOpenForUser { user_id }).await?;
    let now = now_ms();
    let id = new_id(EXPORT_PREFIX, now, random::<10>()?);
    let insert = plan_export(deletion.is_some(), open.as_ref(), &id, user_id, now)?;
    if db.run(insert).await? == 0 {
        return Err(export_raced());
    }
    audit::record(
        ctx,
        AuditEvent::new("privacy.export.request", Outcome::Success, "privacy_export")
            .actor(user_id)
            .org(authed.org_id.clone())
            .resource(id.as_str()),
    );
    enqueue(
        env,
        connvo_shared::jobs::Job::PrivacyExport {
            export_id: id.clone(),
        },
        &ctx.request_id,
    )
    .await;
    let row: ExportRow = db
        .first(ExportRequestGet { id: &id, user_id })
        .await?
        .ok_or_else(|| ApiError::internal("the export row is missing after its insert"))?;
    Ok(respond::json(202, &export_view(&row, now, None)))
}

/// `GET /v1/privacy/export/{id}` (P33): the owner's request with its
/// progress and, once ready, a signed URL that lasts until the export
/// expires; anyone else's id is 404.
pub async fn status(
    call: &Call,
    req: &Request,
    env: &Env,
    export_id: &str,
) -> Result<Response, ApiError> {
    let user_id = call.user()?.user_id();
    let db = D1::from_env(env)?;
    let row: ExportRow = db
        .first(ExportRequestGet {
            id: export_id,
            user_id,
        })
        .await?
        .ok_or_else(|| ApiError::not_found("no such export"))?;
    let now = now_ms();
    let url = match row.download_ttl_ms(now) {
        Some(ttl) => Some(format!(
            "{}{}",
            origin(req),
            signed_path(env, &row, now, ttl)?
        )),
        None => None,
    };
    Ok(respond::json(200, &export_view(&row, now, url.as_deref())))
}

/// The file behind a verified privacy-export URL (P32): the document from
/// R2, as an attachment, never cached. The grant names the owner, so the
/// row is looked up as theirs.
pub async fn download(env: &Env, grant: &Grant) -> Result<Response, ApiError> {
    let db = D1::from_env(env)?;
    let gone = || ApiError::not_found("the file is gone");
    let row: ExportRow = db
        .first(ExportRequestGet {
            id: &grant.file_id,
            user_id: &grant.user_id,
        })
        .await?
        .ok_or_else(gone)?;
    let key = match (&row.object_key, row.download_ttl_ms(now_ms())) {
        (Some(key), Some(_)) => key.clone(),
        _ => return Err(gone()),
    };
    let object = bucket(env)?
        .get(key)
        .execute()
        .await
        .map_err(r2_error)?
        .ok_or_else(gone)?;
    let body = object
        .body()
        .ok_or_else(gone)?
        .bytes()
        .await
        .map_err(r2_error)?;
    let fail = |e: worker::Error| ApiError::internal(e.to_string());
    let mut resp = Response::from_bytes(body).map_err(fail)?;
    let headers = resp.headers_mut();
    headers
        .set("content-type", "application/json")
        .map_err(fail)?;
    headers
        .set(
            "content-disposition",
            &format!("attachment; filename=\"connvo-export-{}.json\"", row.id),
        )
        .map_err(fail)?;
    headers
        .set("cache-control", "private, no-store")
        .map_err(fail)?;
    Ok(resp)
}

/// What one run did.
enum Ran {
    /// More to read: continue with a retry.
    More,
    /// The document is written and the user notified.
    Ready,
    /// Nothing to do (gone, finished before, or given up).
    Nothing,
}

/// The `privacy_export` job.
pub async fn run(env: &Env, msg: &JobMessage, export_id: &str, jc: &JobCtx) -> JobResult {
    match step(env, export_id, jc).await {
        Ok(Ran::More) => continue_later(env, jc),
        Ok(Ran::Ready) => {
            logging::emit(
                &log(jc, Level::Info, "privacy export ready", msg),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(Ran::Nothing) => JobResult::Done,
        Err(err) => {
            let result = failed(env, jc, msg, "privacy export failed", &err);
            if result == JobResult::Done {
                // Out of attempts: give up, so the user may ask again.
                if let Ok(db) = D1::from_env(env) {
                    let _ = db
                        .run(ExportRequestFail {
                            id: export_id,
                            error: &err.message,
                            now_ms: now_ms(),
                        })
                        .await;
                }
            }
            result
        }
    }
}

/// Continue a long job (P30): the same message again after a second, while
/// it has deliveries left; after its last one the cron sweep re-queues the
/// request (`privacy::sweep`), which then looks stale.
pub fn continue_later(env: &Env, jc: &JobCtx) -> JobResult {
    if job_backoff(env).is_last(jc.attempt) {
        JobResult::Done
    } else {
        JobResult::Retry { delay_secs: 1 }
    }
}

async fn step(env: &Env, export_id: &str, jc: &JobCtx) -> Result<Ran, ApiError> {
    let db = D1::from_env(env)?;
    let Some(row) = db
        .first::<ExportRow>(ExportRequestLoad { id: export_id })
        .await?
    else {
        return Ok(Ran::Nothing); // erased with its user
    };
    match row.status.as_str() {
        "pending" | "processing" => {}
        // Written before a crash kept the notice from going: send it now
        // (its dedupe key keeps it to one).
        "ready" => {
            finish(env, &row).await?;
            return Ok(Ran::Nothing);
        }
        _ => return Ok(Ran::Nothing),
    }
    let user_id = row.user_id.as_str();
    // An erasure started after this export: it wins (P12), and its job
    // deletes whatever this one wrote.
    if db
        .first::<OpenRequest>(DeletionRequestOpenForUser { user_id })
        .await?
        .is_some()
    {
        db.run(ExportRequestFail {
            id: export_id,
            error: "DELETION_IN_PROGRESS",
            now_ms: now_ms(),
        })
        .await?;
        return Ok(Ran::Nothing);
    }
    let before = row.progress.clone();
    let start: ExportProgress = match &before {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| ApiError::internal(format!("bad export progress: {e}")))?,
        None => ExportProgress::default(),
    };
    let limit = tuning(env, "PRIVACY_EXPORT_PAGE_ROWS", DEFAULT_PAGE_ROWS, 5_000);
    let budget = tuning(
        env,
        "PRIVACY_EXPORT_PAGES_PER_RUN",
        i64::from(DEFAULT_PAGES_PER_RUN),
        100,
    );
    let mut progress = start;
    let mut pages = Vec::new();
    let mut rows = 0i64;
    for _ in 0..budget {
        match progress.next_read(user_id, limit) {
            Read::Finished => break,
            Read::NextMeeting(statement) => {
                let found: Vec<Value> = db.all(statement).await?;
                let meeting = found
                    .first()
                    .and_then(|r| r["meeting_id"].as_str())
                    .map(str::to_owned);
                progress = progress.after_meeting(meeting.as_deref());
            }
            Read::Page(set, statement) => {
                let read: Vec<Value> = db.all(statement).await?;
                let (next, cleaned) = progress.after_page(read, limit);
                rows += i64::try_from(cleaned.len()).unwrap_or(0);
                if !cleaned.is_empty() {
                    pages.push((set, cleaned));
                }
                progress = next;
            }
        }
    }
    let files = bucket(env)?;
    let mut parts = row.parts;
    if !pages.is_empty() {
        parts += 1;
        files
            .put(part_key(export_id, parts), part(&pages).to_string())
            .execute()
            .await
            .map_err(r2_error)?;
    }
    let after = serde_json::to_string(&progress).map_err(|e| ApiError::internal(e.to_string()))?;
    let moved = db
        .run(ExportRequestAdvance {
            id: export_id,
            progress_before: before.as_deref(),
            progress_after: &after,
            rows,
            parts,
            sets_done: i64::try_from(progress.set).unwrap_or(i64::MAX),
            now_ms: now_ms(),
        })
        .await?;
    if moved == 0 {
        // Another delivery moved on first (its part has the same rows).
        logging::emit(
            &connvo_shared::log::LogLine::new(Level::Info, "export run superseded", &jc.message_id)
                .field("export_id", export_id),
            Level::Info,
        );
        return Ok(Ran::Nothing);
    }
    if !progress.finished() {
        return Ok(Ran::More);
    }
    write_document(env, &db, &row, parts).await?;
    let ready: ExportRow = db
        .first(ExportRequestLoad { id: export_id })
        .await?
        .ok_or_else(|| ApiError::internal("the export row is gone"))?;
    finish(env, &ready).await?;
    Ok(Ran::Ready)
}

/// P31: the parts merged into the document, stored, the request marked ready.
async fn write_document(env: &Env, db: &D1, row: &ExportRow, parts: i64) -> Result<(), ApiError> {
    let files = bucket(env)?;
    let mut read = Vec::new();
    for n in 1..=parts {
        let object = files
            .get(part_key(&row.id, n))
            .execute()
            .await
            .map_err(r2_error)?
            .ok_or_else(|| ApiError::internal(format!("export part {n} is missing")))?;
        let text = object
            .body()
            .ok_or_else(|| ApiError::internal("export part has no body"))?
            .text()
            .await
            .map_err(r2_error)?;
        read.push(
            serde_json::from_str::<Value>(&text)
                .map_err(|e| ApiError::internal(format!("export part {n}: {e}")))?,
        );
    }
    let now = now_ms();
    let document = assemble(
        &Header {
            export_id: &row.id,
            user_id: &row.user_id,
            requested_at: row.requested_at,
            generated_at: now,
        },
        &read,
    )
    .map_err(|e| ApiError::internal(format!("export parts do not merge: {e:?}")))?;
    let key = document_key(&row.id);
    files
        .put(key.clone(), document.to_string())
        .http_metadata(HttpMetadata {
            content_type: Some("application/json".into()),
            ..HttpMetadata::default()
        })
        .execute()
        .await
        .map_err(r2_error)?;
    db.run(ExportRequestReady {
        id: &row.id,
        object_key: &key,
        expires_at: now + EXPORT_URL_TTL_MS,
        now_ms: now,
    })
    .await?;
    Ok(())
}

/// After the document is stored: the parts go, and the user hears of it
/// with a signed path valid until the export expires. Repeatable.
async fn finish(env: &Env, row: &ExportRow) -> Result<(), ApiError> {
    delete_under(&bucket(env)?, &parts_dir(&row.id)).await?;
    let now = now_ms();
    let (Some(ttl), Some(expires_at)) = (row.download_ttl_ms(now), row.expires_at) else {
        return Ok(());
    };
    let path = signed_path(env, row, now, ttl)?;
    crate::notifications::notify(env, &export_ready(&row.user_id, &row.id, &path, expires_at))
        .await?;
    Ok(())
}
