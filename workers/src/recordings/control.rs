//! `POST /v1/meetings/{id}/recording/start|stop` (F18–F21): host and
//! cohosts, active meetings only (the ACL's `ManageRecording`). A start
//! passes the consent gate, opens a `pending` job, asks Stream to start the
//! composite recording and the transcription, and moves the job to
//! `recording`, or to `failed` with the provider's error. A stop asks Stream
//! to stop both and moves the job to `processing`; `call.recording_ready`
//! completes it (`stream::plan`).

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::recordings::control::{
    auto_start_refusal, call_of, consent_gate, start as plan_start, stoppable, transition, JobRow,
    MemberConsentRow, ProviderOp,
};
use connvo_shared::recordings::job::{JobEvent, JobStatus};
use connvo_shared::sql::privacy::ConsentListForMeeting;
use connvo_shared::sql::recordings::RecordingJobList;
use connvo_shared::stream::call::CallOutcome;
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Response};

use crate::audit::record;
use crate::clock::now_ms;
use crate::entropy::random;
use crate::logging;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;
use crate::stream::client::recording_op;
use crate::stream::config::StreamConfig;

/// Members read for the consent gate (a meeting has at most a few hundred;
/// each has at most a handful of recording consent rows).
const CONSENT_ROWS: i64 = 2000;

async fn latest(db: &D1, meeting_id: &str) -> Result<Option<JobRow>, ApiError> {
    Ok(db
        .first(RecordingJobList {
            meeting_id,
            limit: 1,
        })
        .await?)
}

/// Runs the two provider requests; the first failure wins.
async fn provider(
    cfg: &StreamConfig,
    ops: [ProviderOp; 2],
    call_type: &str,
    call_id: &str,
) -> Result<(), String> {
    for op in ops {
        match recording_op(cfg, op, call_type, call_id).await {
            CallOutcome::Ready { .. } => {}
            CallOutcome::Transient(e) | CallOutcome::Permanent(e) => {
                return Err(format!("{}: {}", op.as_str(), e.to_json_text()))
            }
        }
    }
    Ok(())
}

fn job_json(job: &JobRow) -> serde_json::Value {
    json!({ "job": job })
}

/// Passes the consent gate, opens a job and asks Stream to start; the job
/// as stored afterwards (`recording`), or the refusal. `started_by` is
/// `None` for the automatic start of a `recording_enabled` meeting.
async fn begin(
    ctx: &RequestCtx,
    env: &Env,
    meeting: &MeetingRow,
    started_by: Option<&str>,
) -> Result<JobRow, ApiError> {
    let db = D1::from_env(env)?;
    let consents: Vec<MemberConsentRow> = db
        .all(ConsentListForMeeting {
            meeting_id: &meeting.id,
            consent_type: "recording",
            limit: CONSENT_ROWS,
        })
        .await?;
    consent_gate(&consents)?;
    let cid = meeting.stream_call_cid.as_deref();
    let (call_type, call_id) = call_of(cid)?;
    let now = now_ms();
    let job_id = new_id("rj", now, random::<10>()?);
    let create = plan_start(
        latest(&db, &meeting.id).await?.as_ref(),
        &job_id,
        &meeting.id,
        cid.unwrap_or_default(),
        started_by,
        now,
    )?;
    if db.run(create).await? == 0 {
        return Err(
            ApiError::new(ErrorCode::Conflict, "the meeting is already being recorded")
                .with_details(json!({ "reason": "RECORDING_IN_PROGRESS" })),
        );
    }
    let cfg = StreamConfig::from_env(env)?;
    let outcome = provider(
        &cfg,
        [ProviderOp::StartRecording, ProviderOp::StartTranscription],
        call_type,
        call_id,
    )
    .await;
    let event = match &outcome {
        Ok(()) => JobEvent::Started,
        Err(error) => JobEvent::Failed {
            error: error.clone(),
        },
    };
    if let Some(s) = transition(&job_id, JobStatus::Pending, &event, now_ms())? {
        db.run(s).await?;
    }
    let mut audit = AuditEvent::new(
        "meeting.recording.start",
        if outcome.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        "meeting",
    )
    .org(meeting.org_id.clone())
    .resource(meeting.id.as_str())
    .meta("job_id", job_id.as_str());
    if let Some(user) = started_by {
        audit = audit.actor(user);
    }
    record(ctx, audit);
    let job = latest(&db, &meeting.id).await?;
    match (outcome, job) {
        (Ok(()), Some(job)) => Ok(job),
        (Err(error), _) => Err(ApiError::provider_unavailable(
            "Stream refused to start the recording",
        )
        .with_details(json!({ "reason": "PROVIDER_ERROR", "job_id": job_id, "error": error }))),
        (Ok(()), None) => Err(ApiError::internal("the recording job vanished")),
    }
}

pub async fn start(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let job = begin(
        ctx,
        env,
        &access.meeting,
        Some(access.caller.user_id.as_str()),
    )
    .await?;
    Ok(respond::json(201, &job_json(&job)))
}

/// A `recording_enabled` meeting records from its start (F22). Best
/// effort: the start itself never fails for it. A refusal (no consent, no
/// call yet) is kept as a `failed` job with its reason and audited
/// (`meeting.recording.auto_start`, failure); a provider failure is already
/// on its own job. A host can start it by hand afterwards.
pub async fn auto_start(ctx: &RequestCtx, env: &Env, meeting: &MeetingRow) {
    if meeting.recording_enabled == 0 {
        return;
    }
    let Err(err) = begin(ctx, env, meeting, None).await else {
        return;
    };
    let kept = match random::<10>() {
        Ok(bytes) => {
            let now = now_ms();
            let job_id = new_id("rj", now, bytes);
            match auto_start_refusal(
                &err,
                &job_id,
                &meeting.id,
                meeting.stream_call_cid.as_deref(),
                now,
            ) {
                Some((statement, reason)) => {
                    let stored = match D1::from_env(env) {
                        Ok(db) => db.run(statement).await.map(|_| ()),
                        Err(e) => Err(e),
                    }
                    .map_err(|e| ApiError::from(e).message);
                    record(
                        ctx,
                        AuditEvent::new(
                            "meeting.recording.auto_start",
                            Outcome::Failure,
                            "meeting",
                        )
                        .org(meeting.org_id.clone())
                        .resource(meeting.id.as_str())
                        .meta("job_id", job_id.as_str())
                        .meta("reason", reason.as_str()),
                    );
                    stored.err()
                }
                None => None,
            }
        }
        Err(e) => Some(e.message),
    };
    let mut line = LogLine::new(
        Level::Warn,
        "automatic recording start refused",
        &ctx.request_id,
    )
    .field("meeting_id", meeting.id.as_str())
    .field("error", err.message.as_str());
    if let Some(store_err) = kept {
        line = line.field("store_error", store_err);
    }
    logging::emit(&line, Level::Warn);
}

pub async fn stop(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let meeting = &access.meeting;
    let db = D1::from_env(env)?;
    let current = latest(&db, &meeting.id).await?;
    let job = stoppable(current.as_ref())?;
    let (call_type, call_id) = call_of(Some(job.call_cid.as_str()))?;
    let cfg = StreamConfig::from_env(env)?;
    let outcome = provider(
        &cfg,
        [ProviderOp::StopRecording, ProviderOp::StopTranscription],
        call_type,
        call_id,
    )
    .await;
    let event = match &outcome {
        Ok(()) => JobEvent::Stopped,
        Err(error) => JobEvent::Failed {
            error: error.clone(),
        },
    };
    if let Some(s) = transition(&job.id, JobStatus::Recording, &event, now_ms())? {
        db.run(s).await?;
    }
    record(
        ctx,
        AuditEvent::new(
            "meeting.recording.stop",
            if outcome.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            "meeting",
        )
        .actor(access.caller.user_id.as_str())
        .org(meeting.org_id.clone())
        .resource(meeting.id.as_str())
        .meta("job_id", job.id.as_str()),
    );
    if let Err(error) = outcome {
        return Err(
            ApiError::provider_unavailable("Stream refused to stop the recording").with_details(
                json!({ "reason": "PROVIDER_ERROR", "job_id": job.id, "error": error }),
            ),
        );
    }
    let job = latest(&db, &meeting.id).await?;
    Ok(respond::json(200, &json!({ "job": job })))
}
