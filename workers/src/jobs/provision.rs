//! `provision_call`: get-or-create the meeting's Stream call and record it.
//!
//! The claim (`MEETING_PROVISIONING_CLAIM`) makes one job the provisioner at
//! a time, with a lease so a job that died is taken over. The call id is the
//! meeting id, so every attempt converges on the same call. Outcomes:
//! - 2xx → `ready`, with the call's type, id and cid;
//! - 5xx, 429, 408, timeouts, network errors → `pending` with the error, and
//!   a retry after the backoff delay; out of attempts → `failed`;
//! - any other 4xx → `failed` with Stream's `{code, message}`.
//!
//! A repeated job finds `ready` (or a live claim) and does nothing.

use connvo_shared::acl::MeetingRole;
use connvo_shared::jobs::{JobMessage, RetryDecision};
use connvo_shared::log::Level;
use connvo_shared::meeting::view::{MeetingRow, Provisioning};
use connvo_shared::sql::meetings;
use connvo_shared::stream::call::{call_role, CallMember, CallOutcome, CreateCall, ProviderError};
use connvo_shared::time::format_rfc3339_ms;
use connvo_shared::ApiError;
use serde_json::json;
use worker::{D1Database, Env};

use super::{log, JobCtx, JobResult};
use crate::args;
use crate::db::{self, decode};
use crate::logging;
use crate::stream::client::create_call;
use crate::stream::config::{job_backoff, StreamConfig};
use crate::sys::{now_ms, random_u32};

/// A claim older than this belongs to a job that died.
pub const LEASE_MS: i64 = 60_000;

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    match attempt(env, msg, meeting_id, jc).await {
        Ok(result) => result,
        Err(err) => {
            // D1 or configuration trouble: retry like a provider outage.
            logging::emit(
                &log(jc, Level::Error, "provisioning error", msg)
                    .field("error", err.message.as_str()),
                Level::Error,
            );
            match job_backoff(env).after_failure(jc.attempt, random_u32()) {
                RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
                RetryDecision::GiveUp => JobResult::Done,
            }
        }
    }
}

async fn load(db: &D1Database, meeting_id: &str) -> Result<Option<MeetingRow>, ApiError> {
    db::first(db, meetings::MEETING_GET, args![meeting_id])
        .await?
        .map(decode)
        .transpose()
}

async fn attempt(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    jc: &JobCtx,
) -> Result<JobResult, ApiError> {
    let cfg = StreamConfig::from_env(env)?;
    let db = db::database(env)?;
    let Some(meeting) = load(&db, meeting_id).await? else {
        logging::emit(
            &log(jc, Level::Info, "meeting gone; nothing to provision", msg),
            Level::Info,
        );
        return Ok(JobResult::Done);
    };
    if meeting.provisioning() == Provisioning::Ready {
        return Ok(JobResult::Done);
    }
    let now = now_ms();
    let cid = format!("{}:{}", cfg.call_type, meeting_id);
    let claimed = db::run(
        &db,
        meetings::MEETING_PROVISIONING_CLAIM,
        args![
            meeting_id,
            cfg.call_type.as_str(),
            meeting_id,
            cid.as_str(),
            now,
            now - LEASE_MS
        ],
    )
    .await?;
    if claimed == 0 {
        let held = load(&db, meeting_id)
            .await?
            .is_some_and(|m| m.provisioning() == Provisioning::Provisioning);
        // Another job holds a live claim: look again after its lease.
        return Ok(if held {
            JobResult::Retry {
                delay_secs: u32::try_from(LEASE_MS / 1000).unwrap_or(60),
            }
        } else {
            JobResult::Done
        });
    }
    let Some(meeting) = load(&db, meeting_id).await? else {
        return Ok(JobResult::Done);
    };
    if connvo_shared::meeting::lifecycle::is_final(meeting.state()) {
        let error =
            ProviderError::transport(format!("not provisioned: the meeting is {}", meeting.state));
        db::run(
            &db,
            meetings::MEETING_PROVISIONING_FAILED,
            args![meeting_id, error.to_json_text(), now],
        )
        .await?;
        return Ok(JobResult::Done);
    }
    let call = create_call_request(&db, &meeting, &cfg).await?;
    let outcome = create_call(&cfg, &call).await;
    let now = now_ms();
    match outcome {
        CallOutcome::Ready { created } => {
            db::run(
                &db,
                meetings::MEETING_PROVISIONING_READY,
                args![meeting_id, now],
            )
            .await?;
            logging::emit(
                &log(jc, Level::Info, "call provisioned", msg).field(
                    "created",
                    created.map_or(serde_json::Value::Null, serde_json::Value::from),
                ),
                Level::Info,
            );
            Ok(JobResult::Done)
        }
        CallOutcome::Permanent(error) => {
            db::run(
                &db,
                meetings::MEETING_PROVISIONING_FAILED,
                args![meeting_id, error.to_json_text(), now],
            )
            .await?;
            logging::emit(
                &log(jc, Level::Warn, "provisioning refused by Stream", msg)
                    .field(
                        "status",
                        error
                            .status
                            .map_or(serde_json::Value::Null, serde_json::Value::from),
                    )
                    .field("provider_message", error.message.as_str()),
                Level::Warn,
            );
            Ok(JobResult::Done)
        }
        CallOutcome::Transient(error) => {
            let decision = job_backoff(env).after_failure(jc.attempt, random_u32());
            let (sql, stored) = match decision {
                RetryDecision::RetryAfter { .. } => {
                    (meetings::MEETING_PROVISIONING_RETRY, error.to_json_text())
                }
                RetryDecision::GiveUp => {
                    let mut v = json!(error);
                    v["gave_up_after_attempts"] = json!(jc.attempt);
                    (meetings::MEETING_PROVISIONING_FAILED, v.to_string())
                }
            };
            db::run(&db, sql, args![meeting_id, stored, now]).await?;
            logging::emit(
                &log(jc, Level::Warn, "provisioning failed transiently", msg)
                    .field(
                        "status",
                        error
                            .status
                            .map_or(serde_json::Value::Null, serde_json::Value::from),
                    )
                    .field("provider_message", error.message.as_str()),
                Level::Warn,
            );
            Ok(match decision {
                RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
                RetryDecision::GiveUp => JobResult::Done,
            })
        }
    }
}

/// The request for this meeting's call: every member with their call role,
/// created by the organizer (or the current host, if the organizer left).
async fn create_call_request(
    db: &D1Database,
    meeting: &MeetingRow,
    cfg: &StreamConfig,
) -> Result<CreateCall, ApiError> {
    let rows = db::all(
        db,
        connvo_shared::sql::participants::PARTICIPANT_LIST_BY_MEETING,
        args![meeting.id.as_str(), "", 100i64],
    )
    .await?;
    let mut members = Vec::with_capacity(rows.len());
    let mut host = None;
    for row in rows {
        let (Some(user_id), Some(role)) = (row["user_id"].as_str(), row["role"].as_str()) else {
            continue;
        };
        let role = MeetingRole::parse(role).unwrap_or(MeetingRole::Observer);
        if role == MeetingRole::Host {
            host = Some(user_id.to_owned());
        }
        members.push(CallMember {
            user_id: user_id.to_owned(),
            role: call_role(role),
        });
    }
    let created_by_id = meeting
        .organizer_id
        .clone()
        .filter(|o| members.iter().any(|m| &m.user_id == o))
        .or(host)
        .ok_or_else(|| ApiError::internal("the meeting has no host"))?;
    Ok(CreateCall {
        call_type: meeting
            .stream_call_type
            .clone()
            .unwrap_or_else(|| cfg.call_type.clone()),
        call_id: meeting
            .stream_call_id
            .clone()
            .unwrap_or_else(|| meeting.id.clone()),
        created_by_id,
        members,
        custom: json!({ "meeting_id": meeting.id, "org_id": meeting.org_id }),
        starts_at: format_rfc3339_ms(meeting.scheduled_at),
    })
}
