//! `finalize_meeting`: the end-of-meeting flow's steps 2 and 3 from the
//! queue (see `meetings::ending`): make the room stop writes and flush,
//! retrying with backoff until it answers; then queue aggregation and
//! insights. Out of attempts, the post-call jobs run anyway on what D1 has
//! (the room also flushes on its own alarm), and the failure is logged as
//! an error.

use connvo_shared::acl::MeetingState;
use connvo_shared::jobs::{JobMessage, RetryDecision};
use connvo_shared::log::Level;
use worker::Env;

use super::{log, JobCtx, JobResult};
use crate::args;
use crate::db;
use crate::logging;
use crate::meetings::ending::enqueue_post_call;
use crate::room_client::Room;
use crate::stream::config::job_backoff;
use crate::sys::{now_ms, random_u32};

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    let concluded_at = match concluded_at(env, meeting_id).await {
        Ok(Some(at)) => at,
        Ok(None) => {
            logging::emit(
                &log(
                    jc,
                    Level::Info,
                    "meeting not concluded; nothing to finalize",
                    msg,
                ),
                Level::Info,
            );
            return JobResult::Done;
        }
        Err(err) => {
            logging::emit(
                &log(jc, Level::Error, "finalize: D1 read failed", msg).field("error", err),
                Level::Error,
            );
            return retry_or_give_up(env, msg, jc).await;
        }
    };
    let room = Room::new(env, meeting_id, &jc.message_id);
    match room.end(concluded_at, "finalize").await {
        Ok(()) => {
            enqueue_post_call(env, meeting_id, &jc.message_id).await;
            JobResult::Done
        }
        Err(err) => {
            logging::emit(
                &log(jc, Level::Warn, "final flush failed", msg).field("error", err.to_string()),
                Level::Warn,
            );
            retry_or_give_up(env, msg, jc).await
        }
    }
}

async fn concluded_at(env: &Env, meeting_id: &str) -> Result<Option<i64>, String> {
    let db = db::database(env).map_err(|e| e.message)?;
    let row = db::first(
        &db,
        connvo_shared::sql::meetings::MEETING_GET,
        args![meeting_id],
    )
    .await
    .map_err(|e| e.message)?;
    Ok(row
        .filter(|r| r["state"].as_str() == Some(MeetingState::Concluded.as_str()))
        .map(|r| r["concluded_at"].as_i64().unwrap_or_else(now_ms)))
}

async fn retry_or_give_up(env: &Env, msg: &JobMessage, jc: &JobCtx) -> JobResult {
    match job_backoff(env).after_failure(msg.attempt, random_u32()) {
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
            enqueue_post_call(env, msg.job.meeting_id(), &jc.message_id).await;
            JobResult::Done
        }
    }
}
