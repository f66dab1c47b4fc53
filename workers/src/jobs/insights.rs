//! `generate_insights`: a **stub** (see `connvo_shared::jobs::insights`,
//! which decides; this runs it): wait for the finalize record, then record
//! "insights pending" once per meeting.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::insights::{plan, Step};
use connvo_shared::jobs::records::finalize_key;
use connvo_shared::jobs::{JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::ApiError;
use worker::Env;

use super::{failed, log, records, JobCtx};
use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::logging;
use crate::stream::config::job_backoff;

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    attempt(env, msg, meeting_id, jc)
        .await
        .unwrap_or_else(|err| failed(env, jc, msg, "post-call job failed", &err))
}

async fn attempt(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    jc: &JobCtx,
) -> Result<JobResult, ApiError> {
    let d1 = D1::from_env(env)?;
    let finalized = records::get(&d1, &finalize_key(meeting_id)).await?;
    let step = plan(
        &msg.idempotency_key,
        meeting_id,
        finalized.as_ref(),
        &job_backoff(env),
        jc.attempt,
        random_u32(),
        now_ms(),
    );
    match step {
        Step::Wait(result) => Ok(result),
        Step::Record(batch) => {
            let first_time = records::write(&d1, &batch).await?;
            logging::emit(
                &log(
                    jc,
                    Level::Info,
                    "post-call job recorded as pending (stub)",
                    msg,
                )
                .field("first_time", first_time),
                Level::Info,
            );
            Ok(JobResult::Done)
        }
    }
}
