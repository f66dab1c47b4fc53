//! `finalize_meeting`: step 2 of the end-of-meeting flow from the queue
//! (see `meetings::ending`): make the room stop writes and flush, retrying
//! with backoff until it answers, then record the meeting as finalized
//! (`flushed`). The post-call jobs wait for that record. Out of attempts, it
//! records `gave_up` instead (logged as an error), so they run on what D1
//! has (the room also flushes on its own alarm).

use connvo_shared::acl::MeetingState;
use connvo_shared::jobs::{JobMessage, RetryDecision};
use connvo_shared::log::Level;
use connvo_shared::ApiError;
use worker::Env;

use super::{log, records, JobCtx, JobResult};
use crate::args;
use crate::db;
use crate::logging;
use crate::meetings::ending::record_finalized;
use crate::room_client::Room;
use crate::stream::config::job_backoff;
use crate::sys::{now_ms, random_u32};

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    match attempt(env, msg, meeting_id, jc).await {
        Ok(result) => result,
        Err(err) => {
            logging::emit(
                &log(jc, Level::Error, "finalize failed", msg).field("error", err.message.as_str()),
                Level::Error,
            );
            retry_or_give_up(env, msg, meeting_id, jc).await
        }
    }
}

async fn attempt(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    jc: &JobCtx,
) -> Result<JobResult, ApiError> {
    let db = db::database(env)?;
    if records::get(&db, &msg.idempotency_key).await?.is_some() {
        return Ok(JobResult::Done);
    }
    let row = db::first(
        &db,
        connvo_shared::sql::meetings::MEETING_GET,
        args![meeting_id],
    )
    .await?;
    let Some(concluded_at) = row
        .filter(|r| r["state"].as_str() == Some(MeetingState::Concluded.as_str()))
        .map(|r| r["concluded_at"].as_i64().unwrap_or_else(now_ms))
    else {
        logging::emit(
            &log(
                jc,
                Level::Info,
                "meeting not concluded; nothing to finalize",
                msg,
            ),
            Level::Info,
        );
        return Ok(JobResult::Done);
    };
    let room = Room::new(env, meeting_id, &jc.message_id);
    match room.end(concluded_at, "finalize").await {
        Ok(()) => {
            record_finalized(&db, meeting_id, "flushed").await?;
            Ok(JobResult::Done)
        }
        Err(err) => {
            logging::emit(
                &log(jc, Level::Warn, "final flush failed", msg).field("error", err.to_string()),
                Level::Warn,
            );
            Ok(retry_or_give_up(env, msg, meeting_id, jc).await)
        }
    }
}

async fn retry_or_give_up(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    match job_backoff(env).after_failure(jc.attempt, random_u32()) {
        RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
        RetryDecision::GiveUp => {
            logging::emit(
                &log(
                    jc,
                    Level::Error,
                    "final flush gave up; post-call jobs run on what D1 has",
                    msg,
                ),
                Level::Error,
            );
            let recorded = match db::database(env) {
                Ok(db) => record_finalized(&db, meeting_id, "gave_up").await,
                Err(e) => Err(e),
            };
            match recorded {
                Ok(()) => JobResult::Done,
                // Could not even record it: let the queue's own retries and
                // its dead-letter queue have the message.
                Err(_) => JobResult::Retry {
                    delay_secs: job_backoff(env).delay_secs(jc.attempt),
                },
            }
        }
    }
}
