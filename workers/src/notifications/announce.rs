//! System announcements (N16): `POST /v1/admin/announcements` records the
//! announcement and its batches and queues one `AnnounceBatch` job per
//! batch (`connvo_shared::notifications::announce`), so an organisation of
//! any size is reached in bounded pieces (the first delivered by the
//! request itself); `GET
//! /v1/admin/announcements/{id}` reports the progress; the job notifies one
//! batch through [`notify`] and marks it done.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::{Job, JobMessage, JobResult};
use connvo_shared::notifications::announce::{
    batch_notifications, plan, Announcement, BATCH_MEMBER_LIMIT, BATCH_SIZE,
};
use connvo_shared::notifications::Priority;
use connvo_shared::sql::notifications::{
    AnnouncementBatchDone, AnnouncementBatchGet, AnnouncementBatchMembers, AnnouncementBounds,
    AnnouncementProgress,
};
use connvo_shared::validation::{parse_object, FieldReader};
use connvo_shared::ApiError;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Response};

use super::notify::notify;
use crate::clock::now_ms;
use crate::jobs::send::JOBS;
use crate::jobs::{failed, JobCtx};
use crate::pipeline::Call;
use crate::respond;

/// Announcement ids.
const ANNOUNCEMENT_PREFIX: &str = "ann_";
/// Queue messages per `sendBatch` (the runtime's limit is 100).
const SEND_BATCH: usize = 100;
/// Notifications in flight at once in a batch job.
const CONCURRENCY: usize = 16;

#[derive(Deserialize)]
struct Bound {
    id: String,
}
#[derive(Deserialize)]
struct BatchRow {
    org_id: String,
    title: String,
    body: Option<String>,
    priority: String,
    after_id: String,
    last_id: String,
    status: String,
}

/// `POST /v1/admin/announcements` `{title, body?, priority?}`: a system
/// announcement to every active member of the admin's organisation, in
/// batches: the first now, the others by the queue. 202 `{announcement_id,
/// batches, queued}`.
pub async fn announce(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let org = call.org_id()?;
    let admin = call.user()?.user_id();
    let map = parse_object(&call.body)?;
    let mut r = FieldReader::new(&map, "");
    let title = r.text("title", 200, false)?;
    let body = r.opt_text("body", 2000, true)?;
    let priority = r.opt_enum("priority", Priority::parse, "low, medium, high, urgent")?;
    r.finish()?;
    let db = D1::from_env(env)?;
    let bounds: Vec<String> = db
        .all::<Bound>(AnnouncementBounds {
            org_id: org,
            batch_size: BATCH_SIZE,
        })
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let now = now_ms();
    let id = connvo_shared::meeting::ids::new_id(
        ANNOUNCEMENT_PREFIX,
        now,
        crate::entropy::random::<10>()?,
    );
    let p = plan(
        &Announcement {
            id: &id,
            org_id: org,
            created_by: admin,
            title: &title,
            body: body.as_deref(),
            priority: priority.unwrap_or(Priority::Medium),
        },
        &bounds,
        now,
    );
    db.batch(&p.statements).await?;
    // The first batch is delivered by this request (an organisation of up
    // to BATCH_SIZE members is reached before the answer, as before the
    // fan-out existed); the rest, or the first if it failed, by the queue.
    // The rows first: a job that runs at once finds its batch.
    let mut jobs = p.jobs;
    if let Some(Job::AnnounceBatch {
        announcement_id,
        batch_no,
    }) = jobs.first().cloned()
    {
        if deliver(env, &announcement_id, batch_no).await.is_ok() {
            jobs.remove(0);
        }
    }
    let queue = env
        .queue(JOBS)
        .map_err(|e| ApiError::internal(format!("JOBS binding: {e}")))?;
    for chunk in jobs.chunks(SEND_BATCH) {
        let messages: Vec<JobMessage> = chunk.iter().cloned().map(JobMessage::new).collect();
        queue
            .send_batch(messages)
            .await
            .map_err(|e| ApiError::internal(format!("queue send failed: {e}")))?;
    }
    Ok(respond::json(
        202,
        &json!({ "announcement_id": id, "batches": bounds.len(), "queued": jobs.len() }),
    ))
}

/// `GET /v1/admin/announcements/{id}`: `{id, title, priority,
/// batches_total, batches_done, recipients, created_at, status}` (`status`
/// is `done` when every batch is). Another organisation's id is 404.
pub async fn progress(call: &Call, env: &Env, id: &str) -> Result<Response, ApiError> {
    let org = call.org_id()?;
    let mut row = D1::from_env(env)?
        .first::<Value>(AnnouncementProgress { id, org_id: org })
        .await?
        .ok_or_else(|| ApiError::not_found("no such announcement"))?;
    let done = row["batches_done"] == row["batches_total"];
    row["status"] = json!(if done { "done" } else { "sending" });
    Ok(respond::json(200, &row))
}

/// Notifies the members of one batch, then marks it done. A member
/// already notified (a redelivery) is a `Duplicate`; any failure is an
/// error, and the whole batch is tried again by its job.
async fn deliver(env: &Env, announcement_id: &str, batch_no: u32) -> Result<(), ApiError> {
    let db = D1::from_env(env)?;
    let batch_no = i64::from(batch_no);
    let Some(row) = db
        .first::<BatchRow>(AnnouncementBatchGet {
            announcement_id,
            batch_no,
        })
        .await?
    else {
        return Ok(()); // deleted with its announcement
    };
    if row.status == "done" {
        return Ok(());
    }
    let members: Vec<String> = db
        .all::<Bound>(AnnouncementBatchMembers {
            org_id: &row.org_id,
            after_id: &row.after_id,
            last_id: &row.last_id,
            limit: BATCH_MEMBER_LIMIT,
        })
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let items = batch_notifications(
        announcement_id,
        &row.title,
        row.body.as_deref(),
        Priority::parse(&row.priority).unwrap_or(Priority::Medium),
        &members,
    );
    for chunk in items.chunks(CONCURRENCY) {
        let results = join_all(chunk.iter().map(|n| notify(env, n))).await;
        if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
            return Err(e);
        }
    }
    db.run(AnnouncementBatchDone {
        announcement_id,
        batch_no,
        recipients: i64::try_from(members.len()).unwrap_or(i64::MAX),
        now_ms: now_ms(),
    })
    .await?;
    Ok(())
}

/// The `AnnounceBatch` job: [`deliver`], retried with the jobs' backoff.
pub async fn run(
    env: &Env,
    msg: &JobMessage,
    announcement_id: &str,
    batch_no: u32,
    jc: &JobCtx,
) -> JobResult {
    match deliver(env, announcement_id, batch_no).await {
        Ok(()) => JobResult::Done,
        Err(e) => failed(env, jc, msg, "announce: batch failed", &e),
    }
}
