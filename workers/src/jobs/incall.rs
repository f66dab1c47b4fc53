//! `generate_incall` (the plan is `connvo_shared::jobs::incall`): one
//! in-call prompt for a detection the meeting's room queued. Checks the
//! meeting and the `intelligence.incall` flag before anything else (off:
//! nothing, no provider call), reads the participants' profiles, generates
//! through the configured provider (its fallback answers when it cannot),
//! stores the prompt (idempotent: its id comes from its dedupe key), and
//! hands it to the room (`POST /internal/prompt`), which streams it.
//!
//! A room that refuses the prompt (the meeting ended, the flag went off)
//! ends the job; a room that cannot be reached, or D1 failing, retries it
//! with backoff, and the job ledger and the dead-letter queue bound that.

use connvo_rooms::d1::D1;
use connvo_shared::intelligence::flags::FlagKey;
use connvo_shared::jobs::incall::{admit, input, plan, IncallRequest, Skip};
use connvo_shared::jobs::{JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::profiles::participants;
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::ApiError;
use worker::Env;

use super::{failed, log, JobCtx};
use crate::clock::now_ms;
use crate::intelligence::flags::is_on;
use crate::intelligence::provider::Providers;
use crate::logging;
use crate::room_client::{Room, RoomCallError};

pub async fn run(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    request: &IncallRequest,
    jc: &JobCtx,
) -> JobResult {
    attempt(env, msg, meeting_id, request, jc)
        .await
        .unwrap_or_else(|err| failed(env, jc, msg, "in-call prompt job failed", &err))
}

fn skipped(jc: &JobCtx, msg: &JobMessage, why: Skip) -> JobResult {
    logging::emit(
        &log(jc, Level::Info, "in-call prompt skipped", msg).field("reason", why.as_str()),
        Level::Info,
    );
    JobResult::Done
}

async fn attempt(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    request: &IncallRequest,
    jc: &JobCtx,
) -> Result<JobResult, ApiError> {
    let d1 = D1::from_env(env)?;
    let meeting: Option<MeetingRow> = d1.first(MeetingGet { id: meeting_id }).await?;
    let state = meeting.as_ref().map(|m| m.state.as_str());
    let org_id = meeting.as_ref().and_then(|m| m.org_id.as_deref());
    let flag_on = match state {
        Some("active") => is_on(env, FlagKey::Incall, org_id, meeting_id).await?,
        _ => false,
    };
    if let Err(why) = admit(state, flag_on) {
        return Ok(skipped(jc, msg, why));
    }
    let (profiles, interests) = crate::profiles::members(&d1, meeting_id).await?;
    let generation_input = input(meeting_id, request, participants(&profiles, &interests));
    let generated = Providers::from_env(env)?.incall(&generation_input).await?;
    let planned = match plan(meeting_id, request, &generated, now_ms()) {
        Ok(planned) => planned,
        Err(why) => return Ok(skipped(jc, msg, why)),
    };
    d1.run(planned.insert).await?;
    match Room::new(env, meeting_id, &jc.message_id)
        .prompt(&planned.notice)
        .await
    {
        Ok(()) => {
            logging::emit(
                &log(jc, Level::Info, "in-call prompt sent", msg)
                    .field("prompt_id", planned.notice.prompt_id.as_str())
                    .field("trigger", planned.notice.trigger.as_str())
                    .field("source", planned.notice.source.as_str())
                    .field("latency_ms", generated.provenance.latency_ms),
                Level::Info,
            );
            Ok(JobResult::Done)
        }
        // The room refused it (ended, flag off, too many): nothing to retry.
        Err(RoomCallError::Status(status)) if (400..500).contains(&status) => {
            logging::emit(
                &log(jc, Level::Info, "in-call prompt refused by the room", msg)
                    .field("status", status),
                Level::Info,
            );
            Ok(JobResult::Done)
        }
        Err(err) => Err(ApiError::internal(format!("room: {err}"))),
    }
}
