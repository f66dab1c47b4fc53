//! Matching cycles (rules M14, M15, M25, M27, M30): one shard at a time, from the
//! cron tick (a rotating window of `shards_per_tick` shards per minute) and
//! from `POST /v1/dev/matching/cycle` (local development and the e2e tests:
//! every shard, or one). Each run also expires finished waiting entries,
//! settles proposals past their deadline and retries the meetings of
//! matched proposals that have none (M29).

use std::cell::RefCell;

use connvo_rooms::d1::D1;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::matching::consent_gate::{processing_withdrawn, ConsentRow};
use connvo_shared::matching::cycle_run::{
    plan_run, scored_pairs, seed_ids_json, user_ids_json, BlockRow, CycleInput, DeclineRow,
    HistoryRow, PersonRow, WaitingRow,
};
use connvo_shared::matching::embedder::{ModelInfo, SourceType};
use connvo_shared::matching::profile_vector::{similarities, StoredVector};
use connvo_shared::matching::proposal_plan::ProposalRow;
use connvo_shared::matching::proposal_plan::{current_weights, WeightsRow};
use connvo_shared::matching::proposal_retry::{
    SCHEDULE_RETRIES_PER_SWEEP, SCHEDULE_RETRY_AFTER_MS,
};
use connvo_shared::matching::queue_plan::MatchingConfig;
use connvo_shared::matching::vector_candidates::{
    hit_user_ids_json, join_waiting, merge_candidates, nearest, SeedHits,
};
use connvo_shared::meeting::access::Caller;
use connvo_shared::route::RouteClass;
use connvo_shared::sql::connections::ConnectionBlocksAmong;
use connvo_shared::sql::embeddings::{ConsentProcessingAmong, EmbeddingListForSources};
use connvo_shared::sql::matching::{
    MatchDeclinesAmong, MatchHistoryForUsers, MatchingCandidatesByInterest, MatchingPeople,
    MatchingProposalListDue, MatchingProposalListUnscheduled, MatchingQueueExpire,
    MatchingQueueListWaiting, MatchingQueueWaitingAmong, MatchingWeightsGet,
};
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::validation::FlatObject;
use connvo_shared::ApiError;
use serde::{Deserialize, Serialize};
use worker::{Env, Response};

use super::config;
use crate::clock::now_ms;
use crate::embeddings::{vector, Configured};
use crate::logging;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

/// Consent events read per cycle (M27): a handful per user, at most
/// a few thousand users per cycle.
const CONSENT_ROWS_LIMIT: i64 = 20_000;

/// Waiting entries read for the vector index's hits (at most
/// `VECTOR_HITS_PER_SEED` per seed, fewer distinct users).
const WAITING_AMONG_LIMIT: i64 = 10_000;

/// M30: the seeds' nearest profiles through the vector index. An index
/// that fails (Vectorize down, a misconfigured `vector_index_meta` row)
/// is logged and leaves the cycle with its interest candidates.
async fn vector_hits(
    env: &Env,
    db: &D1,
    model: &ModelInfo,
    seeds: &[WaitingRow],
    seed_ids: &str,
    now: i64,
) -> Result<Vec<SeedHits>, ApiError> {
    let vectors = db
        .all::<StoredVector>(EmbeddingListForSources {
            model: &model.name,
            source_type: SourceType::Profile.as_str(),
            source_ids: seed_ids,
        })
        .await?;
    if vectors.is_empty() {
        return Ok(Vec::new());
    }
    let failed = |code: &str, error: String| {
        logging::emit(
            &LogLine::new(Level::Warn, "vector index query failed", "cycle")
                .field("code", code)
                .field("error", error.as_str()),
            Level::Warn,
        );
        Vec::new()
    };
    let index = match vector::open(env, model, now).await {
        Ok(index) => index,
        Err(err) => return Ok(failed("VECTOR_INDEX_MISCONFIGURED", err.message)),
    };
    Ok(match nearest(&index, seeds, &vectors).await {
        Ok(hits) => hits,
        Err(err) => failed(err.code(), err.to_string()),
    })
}

/// What one shard's run did (the dev route answers with these; cron logs them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShardReport {
    pub shard: u32,
    pub seeds: usize,
    pub candidates: usize,
    pub pairs_scored: usize,
    pub planned: usize,
    /// Proposals whose claim held (the rest lost to a concurrent cycle).
    pub claimed: usize,
    pub proposals: Vec<String>,
}

/// M25: one cycle over one shard.
pub async fn run_shard(
    env: &Env,
    db: &D1,
    cfg: &MatchingConfig,
    shard: u32,
    now: i64,
) -> Result<ShardReport, ApiError> {
    let mut report = ShardReport {
        shard,
        ..ShardReport::default()
    };
    let seeds = db
        .all::<WaitingRow>(MatchingQueueListWaiting {
            shard: i64::from(shard),
            window_from_ms: now,
            window_to_ms: now
                .saturating_add(cfg.queue.max_lead_ms)
                .saturating_add(cfg.queue.max_window_ms),
            limit: i64::try_from(cfg.cycle.max_entries).unwrap_or(i64::MAX),
        })
        .await?;
    report.seeds = seeds.len();
    if seeds.is_empty() {
        return Ok(report);
    }
    let seed_ids = seed_ids_json(&seeds);
    let candidates = db
        .all::<WaitingRow>(MatchingCandidatesByInterest {
            seed_user_ids: &seed_ids,
            now_ms: now,
            per_seed: i64::try_from(cfg.cycle.max_candidates_per_entry).unwrap_or(20),
            per_interest: cfg.candidate_fan_out,
        })
        .await?;
    // M30: and the seeds' nearest waiting people by profile vector (the
    // configured embedding model's, M26, M28), through the model's vector
    // index (M32–M34).
    let model = Configured::from_env(env)?.model();
    let hits = vector_hits(env, db, &model, &seeds, &seed_ids, now).await?;
    let waiting = if hits.iter().all(|h| h.users.is_empty()) {
        Vec::new()
    } else {
        db.all::<WaitingRow>(MatchingQueueWaitingAmong {
            user_ids: &hit_user_ids_json(&hits),
            now_ms: now,
            limit: WAITING_AMONG_LIMIT,
        })
        .await?
    };
    let near = join_waiting(&hits, &waiting, cfg.cycle.max_candidates_per_entry);
    let candidates = merge_candidates(candidates, near);
    report.candidates = candidates.len();
    let ids = user_ids_json(&seeds, &candidates);
    let since = now.saturating_sub(cfg.scoring.decline_cooldown_ms);
    let reads = db
        .batch(&[
            MatchingPeople { user_ids: &ids }.statement(),
            MatchHistoryForUsers { user_ids: &ids }.statement(),
            MatchDeclinesAmong {
                user_ids: &ids,
                since_ms: since,
            }
            .statement(),
            ConnectionBlocksAmong { user_ids: &ids }.statement(),
            MatchingWeightsGet {}.statement(),
            EmbeddingListForSources {
                model: &model.name,
                source_type: SourceType::Profile.as_str(),
                source_ids: &ids,
            }
            .statement(),
            ConsentProcessingAmong {
                user_ids: &ids,
                limit: CONSENT_ROWS_LIMIT,
            }
            .statement(),
        ])
        .await?;
    let rows = |i: usize| reads.get(i).cloned().unwrap_or_default();
    let stored = rows(4).first::<WeightsRow>()?;
    let (weights, _) = current_weights(stored.as_ref(), &cfg.scoring.weights);
    let input = CycleInput {
        people: rows(0).decode::<PersonRow>()?,
        history: rows(1).decode::<HistoryRow>()?,
        declines: rows(2).decode::<DeclineRow>()?,
        blocks: rows(3).decode::<BlockRow>()?,
        similarity: similarities(
            &rows(5).decode::<StoredVector>()?,
            &scored_pairs(&candidates),
        ),
        withdrawn: processing_withdrawn(&rows(6).decode::<ConsentRow>()?),
        seeds,
        candidates,
    };
    let run = plan_run(&input, &weights, cfg, now);
    report.pairs_scored = run.plan.pairs_considered;
    report.planned = run.plan.proposals.len();
    for (claim, proposal) in run.claims.iter().zip(&run.plan.proposals) {
        let outcomes = db.batch(claim).await?;
        if outcomes.first().is_some_and(|o| o.changes == 2) {
            report.claimed += 1;
            report.proposals.push(proposal.match_id.clone());
            super::notify::proposed(
                &proposal.match_id,
                [proposal.a.user_id.as_str(), proposal.b.user_id.as_str()],
            )
            .send(env)
            .await;
        }
    }
    if !run.expire.is_empty() {
        db.batch(&run.expire).await?;
    }
    Ok(report)
}

#[derive(Deserialize)]
struct Due {
    id: String,
}

/// Finished waiting entries expire, overdue proposals settle, and matched
/// proposals without a meeting get one (M29), each bounded.
pub async fn sweep(db: &D1, env: &Env, ctx: &RequestCtx, now: i64) -> Result<usize, ApiError> {
    db.run(MatchingQueueExpire {
        now_ms: now,
        limit: 500,
    })
    .await?;
    let due = db
        .all::<Due>(MatchingProposalListDue {
            now_ms: now,
            limit: 50,
        })
        .await?;
    for d in &due {
        super::proposals::settle(db, env, &d.id, None, now).await?;
    }
    let unscheduled = db
        .all::<ProposalRow>(MatchingProposalListUnscheduled {
            touched_before_ms: now.saturating_sub(SCHEDULE_RETRY_AFTER_MS),
            limit: SCHEDULE_RETRIES_PER_SWEEP,
        })
        .await?;
    for p in &unscheduled {
        // The `a` side hosts; its user row says its organisation and role.
        let row = db
            .first::<StoredUser>(UserGetForAuth { id: &p.a_user_id })
            .await?;
        let host = Caller::from_user_row(&p.a_user_id, row.as_ref());
        if let Err(err) = super::proposals::retry_meeting(ctx, env, db, &host, p, now).await {
            logging::emit(
                &LogLine::new(Level::Warn, "matched meeting retry failed", &ctx.request_id)
                    .field("proposal", p.id.as_str())
                    .field("error", err.message.as_str()),
                Level::Warn,
            );
        }
    }
    Ok(due.len())
}

/// The context of a cron run: no request, no fetch event. Audit events a
/// retried meeting creation (M29) records here are not written (the
/// audit buffer needs a fetch event's `wait_until`; named gap, logged).
fn background() -> RequestCtx {
    RequestCtx {
        request_id: "cron".to_owned(),
        route_class: RouteClass::Default,
        client_ip: None,
        user_agent: None,
        worker_ctx: None,
        audit: Default::default(),
        rate_limit: RefCell::new(None),
        user_limit_deferred: Default::default(),
    }
}

/// The cron step: this minute's shards, then the sweep. Errors are logged;
/// the next tick tries again.
pub async fn tick(env: &Env) {
    let cfg = config(env);
    let now = now_ms();
    let result: Result<Vec<ShardReport>, ApiError> = async {
        let db = D1::from_env(env)?;
        let minute = u32::try_from((now / 60_000).rem_euclid(i64::from(cfg.shards))).unwrap_or(0);
        let mut reports = Vec::new();
        for i in 0..cfg.shards_per_tick.min(cfg.shards) {
            reports.push(run_shard(env, &db, &cfg, (minute + i) % cfg.shards, now).await?);
        }
        sweep(&db, env, &background(), now).await?;
        Ok(reports)
    }
    .await;
    let line = match &result {
        Ok(reports) => LogLine::new(Level::Info, "matching cycle", "cron")
            .field("shards", reports.len())
            .field("claimed", reports.iter().map(|r| r.claimed).sum::<usize>()),
        Err(err) => LogLine::new(Level::Error, "matching cycle failed", "cron")
            .field("error", err.message.as_str()),
    };
    let level = if result.is_ok() {
        Level::Info
    } else {
        Level::Error
    };
    logging::emit(&line, level);
}

/// `POST /v1/dev/matching/cycle` (`{"shard": n}` optional): every shard, or
/// one, then the sweep; answers the reports. Dev auth only.
pub async fn dev(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let body = if call.body.is_empty() {
        b"{}".as_slice()
    } else {
        call.body.as_slice()
    };
    let flat = FlatObject::parse(body, &["shard"])?;
    let cfg = config(env);
    let only = flat.opt_u64_in("shard", 0, u64::from(cfg.shards.saturating_sub(1)))?;
    let db = D1::from_env(env)?;
    let now = now_ms();
    let shards: Vec<u32> = match only {
        Some(s) => vec![u32::try_from(s).unwrap_or(0)],
        None => (0..cfg.shards).collect(),
    };
    let mut reports = Vec::new();
    for shard in shards {
        reports.push(run_shard(env, &db, &cfg, shard, now).await?);
    }
    let settled = sweep(&db, env, ctx, now).await?;
    Ok(respond::json(
        200,
        &serde_json::json!({ "shards": reports, "settled": settled }),
    ))
}
