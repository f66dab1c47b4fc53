//! The embed jobs (rule M28): `embed_profile` (a user's profile text) and
//! `embed_meeting` (a meeting's notes and transcript segments, once the
//! transcript is aggregated). Load each source's text, its owner's
//! data-processing consent (M27) and the stored row of the configured
//! model → `embed_plan::decide` → embed what changed with the configured
//! embedder (local fallback, M3) → store in one batch.

use connvo_rooms::d1::D1;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::jobs::insights::SegmentRow;
use connvo_shared::jobs::{wait_for_finalize, Job, JobMessage, JobResult};
use connvo_shared::log::Level;
use connvo_shared::matching::consent_gate::{processing_withdrawn, ConsentRow};
use connvo_shared::matching::embed_plan::{decide, store, EmbedStep, EmbedTarget, EmbeddingState};
use connvo_shared::matching::embedder::{ModelInfo, SourceType};
use connvo_shared::matching::profile_vector::{profile_text, EMBEDDING_PREFIX};
use connvo_shared::matching::vector_index::{VectorKey, VectorRecord};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::profiles::{InterestRow, ProfileRow};
use connvo_shared::sql::embeddings::{ConsentProcessingAmong, EmbeddingStateForSource};
use connvo_shared::sql::notes::NotesGet;
use connvo_shared::sql::profiles::{ProfileGet, UserInterestListForUser};
use connvo_shared::sql::segments::SegmentListByMeeting;
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::sql::Statement;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::Env;

use super::{vector, Configured};
use crate::clock::now_ms;
use crate::entropy::{random, random_u32};
use crate::jobs::{failed, log, records, JobCtx};
use crate::logging;
use crate::meetings::store as meetings;
use crate::stream::config::job_backoff;

/// Segments embedded per meeting (the first ones in time order).
const MAX_SEGMENTS: i64 = 500;
/// Statements per D1 batch when storing.
const BATCH: usize = 50;

/// What one run did.
#[derive(Default)]
pub struct Counts {
    pub embedded: usize,
    pub deleted: usize,
    pub current: usize,
    pub fallback: bool,
}

pub async fn run(env: &Env, msg: &JobMessage, jc: &JobCtx) -> JobResult {
    let result = match &msg.job {
        Job::EmbedProfile { user_id } => profile(env, user_id).await.map(Some),
        Job::EmbedMeeting { meeting_id } => meeting(env, meeting_id, jc).await,
        _ => return JobResult::Done,
    };
    match result {
        Ok(Some(c)) => {
            logging::emit(
                &log(jc, Level::Info, "embeddings updated", msg)
                    .field("embedded", c.embedded)
                    .field("deleted", c.deleted)
                    .field("current", c.current)
                    .field("fallback", c.fallback),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(None) => job_backoff(env).retry_or_done(jc.attempt, random_u32()),
        Err(err) => failed(env, jc, msg, "embed job failed", &err),
    }
}

/// One source as loaded: its target, its text (`None` = gone) and consent.
struct Source<'a> {
    target: EmbedTarget<'a>,
    text: Option<String>,
    allowed: bool,
}

#[derive(Deserialize)]
struct Notes {
    content: String,
}

/// M28 for one profile (the job, and each profile of the sweep, M31).
pub async fn profile(env: &Env, user_id: &str) -> Result<Counts, ApiError> {
    let db = D1::from_env(env)?;
    let user = db
        .first::<StoredUser>(UserGetForAuth { id: user_id })
        .await?
        .filter(|u| u.deleted_at.is_none());
    let text = match &user {
        Some(_) => {
            let row = db.first::<ProfileRow>(ProfileGet { user_id }).await?;
            let interests = db
                .all::<InterestRow>(UserInterestListForUser { user_id })
                .await?;
            Some(profile_text(row.as_ref(), &interests))
        }
        None => None,
    };
    let withdrawn = consents(&db, &[user_id]).await?;
    let source = Source {
        target: EmbedTarget {
            source_type: SourceType::Profile,
            source_id: user_id,
            org_id: user.as_ref().and_then(|u| u.org_id.as_deref()),
            language: None,
        },
        text,
        allowed: !withdrawn.contains(user_id),
    };
    embed_sources(env, &db, &[source]).await
}

/// `None`: the transcript is not aggregated yet (retry later).
async fn meeting(env: &Env, meeting_id: &str, jc: &JobCtx) -> Result<Option<Counts>, ApiError> {
    let db = D1::from_env(env)?;
    let aggregate_key = Job::AggregateTranscript {
        meeting_id: meeting_id.to_owned(),
    }
    .idempotency_key();
    let aggregated = records::get(&db, &aggregate_key).await?.is_some();
    if wait_for_finalize(aggregated, &job_backoff(env), jc.attempt, random_u32()).is_some() {
        return Ok(None);
    }
    let Some(m) = meetings::meeting(&db, meeting_id).await? else {
        // Deleted: the triggers of migration 0004 took its vectors.
        return Ok(Some(Counts::default()));
    };
    let notes = db.first::<Notes>(NotesGet { meeting_id }).await?;
    let segments = db
        .all::<SegmentRow>(SegmentListByMeeting {
            meeting_id,
            after_start_ms: -1,
            after_speaker_id: "",
            limit: MAX_SEGMENTS,
        })
        .await?;
    let speakers: Vec<&str> = segments
        .iter()
        .map(|s| s.speaker_id.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let withdrawn = consents(&db, &speakers).await?;
    let target = |source_type, source_id| EmbedTarget {
        source_type,
        source_id,
        org_id: m.org_id.as_deref(),
        language: None,
    };
    let mut sources = vec![Source {
        target: target(SourceType::Note, meeting_id),
        text: notes.map(|n| n.content),
        allowed: true,
    }];
    sources.extend(segments.iter().map(|s| Source {
        target: target(SourceType::TranscriptSegment, &s.id),
        text: Some(s.text.clone()),
        allowed: !withdrawn.contains(&s.speaker_id),
    }));
    embed_sources(env, &db, &sources).await.map(Some)
}

/// M27: the users among `ids` who withdrew data-processing consent.
async fn consents(db: &D1, ids: &[&str]) -> Result<std::collections::BTreeSet<String>, ApiError> {
    let ids = serde_json::to_string(ids).map_err(|e| ApiError::internal(e.to_string()))?;
    let rows = db
        .all::<ConsentRow>(ConsentProcessingAmong {
            user_ids: &ids,
            limit: 10_000,
        })
        .await?;
    Ok(processing_withdrawn(&rows))
}

async fn state(
    db: &D1,
    target: &EmbedTarget<'_>,
    model: &ModelInfo,
) -> Result<Option<EmbeddingState>, ApiError> {
    Ok(db
        .first::<EmbeddingState>(EmbeddingStateForSource {
            source_type: target.source_type.as_str(),
            source_id: target.source_id,
            model: &model.name,
        })
        .await?)
}

/// M28 for a set of sources: decide each, embed the changed ones in one
/// call, store everything in bounded batches.
async fn embed_sources(env: &Env, db: &D1, sources: &[Source<'_>]) -> Result<Counts, ApiError> {
    let embedder = Configured::from_env(env)?;
    let model = embedder.model();
    let mut counts = Counts::default();
    let mut writes: Vec<Statement> = Vec::new();
    let mut forget: Vec<VectorKey> = Vec::new();
    let mut to_embed: Vec<(&EmbedTarget<'_>, String)> = Vec::new();
    for s in sources {
        let stored = state(db, &s.target, &model).await?;
        match decide(
            &s.target,
            s.text.as_deref(),
            s.allowed,
            stored.as_ref(),
            &model,
        ) {
            EmbedStep::Delete(st) => {
                counts.deleted += 1;
                writes.push(st);
                forget.push(s.target.key());
            }
            EmbedStep::UpToDate => counts.current += 1,
            EmbedStep::Embed { text } => to_embed.push((&s.target, text)),
        }
    }
    let now = now_ms();
    let mut records: Vec<VectorRecord> = Vec::new();
    if !to_embed.is_empty() {
        let texts: Vec<String> = to_embed.iter().map(|(_, t)| t.clone()).collect();
        let embedded = embedder.embed(&texts).await?;
        counts.fallback = embedded.provenance.fallback_from.is_some();
        for ((target, text), vector) in to_embed.iter().zip(&embedded.vectors) {
            let id = new_id(EMBEDDING_PREFIX, now, random::<10>()?);
            writes.extend(store(target, text, vector, &embedded.provenance, &id, now));
            // Only the configured model's vectors belong in its index; a
            // local fallback (another model, M3) stays in D1 until redone.
            if embedded.provenance.model.name == model.name {
                records.push(target.record(vector.clone()));
            }
            counts.embedded += 1;
        }
    }
    // The index first (M32–M34): if it fails, the job retries before D1
    // says the source is current, so the index is never left behind.
    vector::forget(env, &model, &forget, now).await?;
    vector::upsert(env, &model, records, now).await?;
    for chunk in writes.chunks(BATCH) {
        db.batch(chunk).await?;
    }
    Ok(counts)
}
