//! `provision_call` (the plan is `connvo_shared::jobs::provision`): claim
//! the meeting, get-or-create its Stream call, record the answer.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::provision::{
    claim_lost, claimed, members_query, outcome, request, start, Claimed, MemberRow, Start,
};
use connvo_shared::jobs::{JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::stream::call::CallOutcome;
use connvo_shared::ApiError;
use serde_json::Value;
use worker::Env;

use super::{failed, log, JobCtx};
use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::logging;
use crate::stream::client::create_call;
use crate::stream::config::{job_backoff, StreamConfig};

/// A claim older than this belongs to a job that died (the cron sweep
/// re-queues such meetings).
pub use connvo_shared::jobs::provision::LEASE_MS;

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    attempt(env, msg, meeting_id, jc)
        .await
        .unwrap_or_else(|err| failed(env, jc, msg, "provisioning error", &err))
}

async fn load(d1: &D1, meeting_id: &str) -> Result<Option<MeetingRow>, ApiError> {
    Ok(d1.first(MeetingGet { id: meeting_id }).await?)
}

async fn attempt(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    jc: &JobCtx,
) -> Result<JobResult, ApiError> {
    let cfg = StreamConfig::from_env(env)?;
    let d1 = D1::from_env(env)?;
    let meeting = load(&d1, meeting_id).await?;
    let claim = match start(meeting.as_ref(), &cfg.call_type, now_ms()) {
        Start::Done(note) => {
            if let Some(note) = note {
                logging::emit(&log(jc, Level::Info, note, msg), Level::Info);
            }
            return Ok(JobResult::Done);
        }
        Start::Claim(claim) => claim,
    };
    if d1.run(claim).await? == 0 {
        return Ok(claim_lost(load(&d1, meeting_id).await?.as_ref()));
    }
    let meeting = load(&d1, meeting_id).await?;
    let meeting = match (claimed(meeting.as_ref(), now_ms()), meeting) {
        (Claimed::Call, Some(m)) => m,
        (Claimed::Refuse(write), _) => {
            d1.run(write).await?;
            return Ok(JobResult::Done);
        }
        _ => return Ok(JobResult::Done),
    };
    let members: Vec<MemberRow> = d1.all(members_query(meeting_id)).await?;
    let call = request(&meeting, &members, &cfg.call_type)?;
    let answer = create_call(&cfg, &call).await;
    let done = outcome(
        meeting_id,
        &answer,
        &job_backoff(env),
        jc.attempt,
        random_u32(),
        now_ms(),
    );
    d1.run(done.write).await?;
    let (level, note) = done.log;
    let mut line = log(jc, level, note, msg);
    if let CallOutcome::Ready { created } = answer {
        line = line.field("created", created.map_or(Value::Null, Value::from));
    }
    if let Some(error) = &done.error {
        line = line
            .field("status", error.status.map_or(Value::Null, Value::from))
            .field("provider_message", error.message.as_str());
    }
    logging::emit(&line, level);
    Ok(done.result)
}
