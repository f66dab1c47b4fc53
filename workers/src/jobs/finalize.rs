//! `finalize_meeting` (the plan is `connvo_shared::jobs::finalize`): step 2
//! of the end-of-meeting flow from the queue (see `meetings::ending`). The
//! room is told to stop writes and flush, with backoff until it answers;
//! then the finalize record the post-call jobs wait for is written.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::finalize::{failed, finalized, start, unrecorded, Failed, Start};
use connvo_shared::jobs::{JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::ApiError;
use worker::Env;

use super::{log, records, JobCtx};
use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::logging;
use crate::room_client::Room;
use crate::stream::config::job_backoff;

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
    let d1 = D1::from_env(env)?;
    let recorded = records::get(&d1, &msg.idempotency_key).await?.is_some();
    let meeting: Option<MeetingRow> = d1.first(MeetingGet { id: meeting_id }).await?;
    let at_ms = match start(recorded, meeting.as_ref(), now_ms()) {
        Start::Done(note) => {
            if let Some(note) = note {
                logging::emit(&log(jc, Level::Info, note, msg), Level::Info);
            }
            return Ok(JobResult::Done);
        }
        Start::End { at_ms } => at_ms,
    };
    match Room::new(env, meeting_id, &jc.message_id)
        .end(at_ms, "finalize")
        .await
    {
        Ok(()) => {
            records::write(&d1, &finalized(meeting_id, "flushed", now_ms())).await?;
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
    let backoff = job_backoff(env);
    let batch = match failed(meeting_id, &backoff, jc.attempt, random_u32(), now_ms()) {
        Failed::Retry(result) => return result,
        Failed::GiveUp(batch) => batch,
    };
    logging::emit(
        &log(
            jc,
            Level::Error,
            "final flush gave up; post-call jobs run on what D1 has",
            msg,
        ),
        Level::Error,
    );
    let recorded = match D1::from_env(env) {
        Ok(d1) => records::write(&d1, &batch).await,
        Err(e) => Err(e.into()),
    };
    match recorded {
        Ok(_) => JobResult::Done,
        Err(_) => unrecorded(&backoff, jc.attempt),
    }
}
