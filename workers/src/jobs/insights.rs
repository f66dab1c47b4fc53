//! `generate_insights` (rules I34–I35; `connvo_shared::jobs::insights`
//! decides): wait for the finalize and aggregation records, check the
//! `intelligence.insights` flag, load the segments, notes and profiles,
//! generate through the configured provider (with its fallback), then write
//! one `insights` row per participant, the matching signal and the job's
//! record, in bounded batches (the record last).

use connvo_rooms::d1::D1;
use connvo_shared::intelligence::flags::FlagKey;
use connvo_shared::jobs::insights::{input, step, store, Seen, SegmentRow, Step, MAX_SEGMENTS};
use connvo_shared::jobs::records::finalize_key;
use connvo_shared::jobs::{Job, JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::sql::notes::NotesGet;
use connvo_shared::sql::segments::SegmentListByMeeting;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::Env;

use super::{failed, log, records, JobCtx};
use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::intelligence::{flags, provider::Providers};
use crate::logging;
use crate::meetings::store as meetings;
use crate::stream::config::job_backoff;

/// Segments read per D1 query.
const PAGE: i64 = 500;

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    attempt(env, msg, meeting_id, jc)
        .await
        .unwrap_or_else(|err| failed(env, jc, msg, "post-call job failed", &err))
}

#[derive(Deserialize)]
struct Notes {
    content: String,
}

async fn attempt(
    env: &Env,
    msg: &JobMessage,
    meeting_id: &str,
    jc: &JobCtx,
) -> Result<JobResult, ApiError> {
    let d1 = D1::from_env(env)?;
    let recorded = records::get(&d1, &msg.idempotency_key).await?.is_some();
    let finalized = records::get(&d1, &finalize_key(meeting_id))
        .await?
        .is_some();
    let aggregate_key = Job::AggregateTranscript {
        meeting_id: meeting_id.to_owned(),
    }
    .idempotency_key();
    let aggregated = records::get(&d1, &aggregate_key).await?.is_some();
    let meeting = meetings::meeting(&d1, meeting_id).await?;
    let flag_on = match &meeting {
        Some(m) => flags::is_on(env, FlagKey::Insights, m.org_id.as_deref(), meeting_id).await?,
        None => false,
    };
    let seen = Seen {
        recorded,
        finalized,
        aggregated,
    };
    let decided = step(
        &msg.idempotency_key,
        seen,
        flag_on,
        &job_backoff(env),
        jc.attempt,
        random_u32(),
        now_ms(),
    );
    match decided {
        Step::Wait(result) => return Ok(result),
        Step::Done => return Ok(JobResult::Done),
        Step::Disabled(batch) => {
            records::write(&d1, &batch).await?;
            logging::emit(
                &log(jc, Level::Info, "insights skipped: flag off", msg),
                Level::Info,
            );
            return Ok(JobResult::Done);
        }
        Step::Generate => {}
    }
    let title = meeting
        .as_ref()
        .map(|m| m.title.clone())
        .unwrap_or_default();
    let mut segments: Vec<SegmentRow> = Vec::new();
    let (mut after_start, mut after_speaker) = (-1i64, String::new());
    loop {
        let page = d1
            .all::<SegmentRow>(SegmentListByMeeting {
                meeting_id,
                after_start_ms: after_start,
                after_speaker_id: &after_speaker,
                limit: PAGE,
            })
            .await?;
        let full = page.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
        if let Some(last) = page.last() {
            after_start = last.start_ms;
            after_speaker = last.speaker_id.clone();
        }
        segments.extend(page);
        if !full || segments.len() >= MAX_SEGMENTS {
            break;
        }
    }
    let notes = d1.first::<Notes>(NotesGet { meeting_id }).await?;
    let (profiles, interests) = crate::profiles::members(&d1, meeting_id).await?;
    let input = input(
        meeting_id,
        &title,
        &segments,
        notes.as_ref().map(|n| n.content.as_str()),
        &profiles,
        &interests,
    );
    let generated = Providers::from_env(env)?.insights(&input).await?;
    for batch in store(&msg.idempotency_key, meeting_id, &generated, now_ms()) {
        d1.batch(&batch).await?;
    }
    let owners: Vec<String> = generated
        .output
        .participants
        .iter()
        .map(|p| p.user_id.clone())
        .collect();
    crate::notifications::producers::insights_ready(env, meeting_id, &owners).await;
    logging::emit(
        &log(jc, Level::Info, "insights stored", msg)
            .field("participants", generated.output.participants.len())
            .field("segments", input.segments.len())
            .field("source", generated.provenance.source.as_str()),
        Level::Info,
    );
    Ok(JobResult::Done)
}
