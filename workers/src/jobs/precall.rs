//! `generate_precall` (rule I33; `connvo_shared::jobs::precall` decides):
//! check the flag and the meeting, load the members' profiles and
//! interests, skip a generation already stored (same request hash), else
//! generate through the configured provider (with its fallback) and store
//! the ideas in one batch.

use connvo_rooms::d1::D1;
use connvo_shared::intelligence::flags::FlagKey;
use connvo_shared::jobs::precall::{gate, input, store, Skip};
use connvo_shared::jobs::{JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::sql::prompts::PromptCountForRequest;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::Env;

use super::{failed, log, JobCtx};
use crate::clock::now_ms;
use crate::entropy::random;
use crate::intelligence::{flags, provider::Providers};
use crate::logging;
use crate::meetings::store;

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    match attempt(env, meeting_id).await {
        Ok(Ok(stored)) => {
            logging::emit(
                &log(jc, Level::Info, "pre-call ideas stored", msg).field("prompts", stored),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(Err(skip)) => {
            logging::emit(
                &log(jc, Level::Info, "pre-call ideas skipped", msg).field("reason", skip.as_str()),
                Level::Info,
            );
            JobResult::Done
        }
        Err(err) => failed(env, jc, msg, "pre-call job failed", &err),
    }
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

async fn attempt(env: &Env, meeting_id: &str) -> Result<Result<usize, Skip>, ApiError> {
    let d1 = D1::from_env(env)?;
    let meeting = store::meeting(&d1, meeting_id).await?;
    let flag_on = match &meeting {
        Some(m) => flags::is_on(env, FlagKey::Precall, m.org_id.as_deref(), meeting_id).await?,
        None => false,
    };
    if let Err(skip) = gate(meeting.as_ref().map(|m| m.state.as_str()), flag_on) {
        return Ok(Err(skip));
    }
    let Some(meeting) = meeting else {
        return Ok(Err(Skip::NoMeeting));
    };
    let (profiles, interests) = crate::profiles::members(&d1, meeting_id).await?;
    let input = input(
        meeting_id,
        &meeting.title,
        meeting.description.as_deref(),
        &profiles,
        &interests,
    );
    let providers = Providers::from_env(env)?;
    let hash = providers.precall_hash(&input)?;
    let stored = d1
        .first::<Count>(PromptCountForRequest {
            meeting_id,
            kind: "precall",
            request_hash: &hash,
        })
        .await?
        .map_or(0, |c| c.n);
    if stored > 0 {
        return Ok(Err(Skip::AlreadyStored));
    }
    let generated = providers.precall(&input).await?;
    let mut ids = Vec::with_capacity(generated.output.ideas.len());
    for _ in &generated.output.ideas {
        let bytes: [u8; 12] = random()?;
        ids.push(format!(
            "prm_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
    }
    let batch = store(meeting_id, &generated, &ids, now_ms());
    d1.batch(&batch).await?;
    Ok(Ok(ids.len()))
}
