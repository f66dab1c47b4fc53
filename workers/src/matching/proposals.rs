//! `GET /v1/matching/proposals/{id}` and `POST …/{accept,decline}` (rules
//! M22–M24), and the settlement the answer route, the leave route and the
//! expiry sweep share. Both accepting schedules the meeting through the
//! meeting-creation plan (`meeting::plan::create`), so provisioning and
//! pre-call ideas follow as for any created meeting; a meeting whose
//! creation failed is retried (M29: [`retry_meeting`], from reads and the
//! sweep).

use connvo_rooms::d1::D1;
use connvo_shared::acl::MeetingRole;
use connvo_shared::matching::connection_plan::concurrent_change;
use connvo_shared::matching::proposal_plan::{
    current_weights, meeting_request, plan_answer, plan_settle, visible, Answer, ProposalRow,
    WeightsRow,
};
use connvo_shared::matching::proposal_retry::{lease, needs_meeting};
use connvo_shared::matching::queue::ProposalOutcome;
use connvo_shared::matching::queue_plan::QueueRow;
use connvo_shared::meeting::access::Caller;
use connvo_shared::meeting::plan::create;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::sql::matching::{
    MatchingProposalGet, MatchingProposalSetMeeting, MatchingQueueGet, MatchingWeightsGet,
};
use connvo_shared::ApiError;
use worker::{Env, Response};

use super::{config, gate};
use crate::clock::now_ms;
use crate::entropy::random;
use crate::meetings::execute::{effects, For};
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

async fn proposal(db: &D1, id: &str) -> Result<Option<ProposalRow>, ApiError> {
    Ok(db.first::<ProposalRow>(MatchingProposalGet { id }).await?)
}

async fn entry(db: &D1, id: &str) -> Result<Option<QueueRow>, ApiError> {
    Ok(db.first::<QueueRow>(MatchingQueueGet { id }).await?)
}

async fn view(db: &D1, viewer: &str, id: &str) -> Result<Response, ApiError> {
    let found = proposal(db, id).await?;
    let p = visible(viewer, found.as_ref())?;
    let (_, mine, _) = p.sides(viewer);
    let mine = entry(db, mine).await?;
    let body = p
        .to_json(viewer, mine.as_ref())
        .ok_or_else(|| ApiError::not_found("no such proposal"))?;
    Ok(respond::json(200, &body))
}

/// `GET /v1/matching/proposals/{id}` (M24: 404 for anyone but its two
/// users). A matched proposal whose meeting creation failed is retried
/// here, with the reader as host (M29).
pub async fn get(ctx: &RequestCtx, call: &Call, env: &Env, id: &str) -> Result<Response, ApiError> {
    let authed = call.user()?;
    gate(env, authed).await?;
    let db = D1::from_env(env)?;
    let found = proposal(&db, id).await?;
    let p = visible(authed.user_id(), found.as_ref())?;
    if needs_meeting(p, now_ms()) {
        retry_meeting(ctx, env, &db, &authed.caller(), p, now_ms()).await?;
    }
    view(&db, authed.user_id(), id).await
}

/// M29: takes the lease and schedules the meeting of a matched proposal
/// that has none; `Ok(None)` when another retry holds the lease. The pair
/// is told (`match.settled` with the meeting) as after a first schedule.
pub async fn retry_meeting(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1,
    host: &Caller,
    p: &ProposalRow,
    now: i64,
) -> Result<Option<String>, ApiError> {
    if db.run(lease(p, now)).await? != 1 {
        return Ok(None);
    }
    let meeting_id = schedule(ctx, env, db, host, p, now).await?;
    super::notify::settled(
        &p.id,
        [p.a_user_id.as_str(), p.b_user_id.as_str()],
        "matched",
        Some(&meeting_id),
    )
    .send(env)
    .await;
    Ok(Some(meeting_id))
}

/// `POST /v1/matching/proposals/{id}/accept` and `…/decline` (M22).
pub async fn answer(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    id: &str,
    answer: Answer,
) -> Result<Response, ApiError> {
    let authed = call.user()?;
    gate(env, authed).await?;
    let actor = authed.user_id();
    let db = D1::from_env(env)?;
    let now = now_ms();
    let found = proposal(&db, id).await?;
    let p = visible(actor, found.as_ref())?;
    let (_, mine_id, _) = p.sides(actor);
    let mine = entry(&db, mine_id).await?;
    let step = plan_answer(actor, Some(p), mine.as_ref(), answer, now)?;
    if db.run(step).await? != 1 {
        return Err(concurrent_change());
    }
    let caller = authed.caller();
    settle(&db, env, id, Some((ctx, &caller)), now).await?;
    view(&db, actor, id).await
}

/// M22 step 2 / M23: settles the proposal if both sides are known (as read
/// now). The one settle that wins schedules the meeting when `host` is
/// given (the answering caller); the expiry sweep never matches.
pub async fn settle(
    db: &D1,
    env: &Env,
    id: &str,
    host: Option<(&RequestCtx, &Caller)>,
    now: i64,
) -> Result<Option<ProposalOutcome>, ApiError> {
    let Some(p) = proposal(db, id).await? else {
        return Ok(None);
    };
    let (Some(a), Some(b)) = (
        entry(db, &p.a_entry_id).await?,
        entry(db, &p.b_entry_id).await?,
    ) else {
        return Ok(None);
    };
    let cfg = config(env);
    let stored = db.first::<WeightsRow>(MatchingWeightsGet {}).await?;
    let (weights, updates) = current_weights(stored.as_ref(), &cfg.scoring.weights);
    let Some(settlement) = plan_settle(&p, &a, &b, (&weights, updates), &cfg.learning, now) else {
        return Ok(None);
    };
    let outcomes = db.batch(&settlement.statements).await?;
    let won = outcomes.first().is_some_and(|o| o.changes == 1);
    if !won {
        return Ok(None);
    }
    let mut meeting_id = None;
    if settlement.outcome == ProposalOutcome::Matched {
        if let Some((ctx, caller)) = host {
            meeting_id = Some(schedule(ctx, env, db, caller, &p, now).await?);
        }
    }
    let outcome = match settlement.outcome {
        ProposalOutcome::Matched => "matched",
        ProposalOutcome::Declined => "declined",
        ProposalOutcome::Expired => "expired",
        ProposalOutcome::Cancelled | ProposalOutcome::Pending => "cancelled",
    };
    super::notify::settled(
        &p.id,
        [p.a_user_id.as_str(), p.b_user_id.as_str()],
        outcome,
        meeting_id.as_deref(),
    )
    .send(env)
    .await;
    Ok(Some(settlement.outcome))
}

/// M23: the meeting of a matched pair, through the meeting-creation plan.
async fn schedule(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1,
    caller: &Caller,
    p: &ProposalRow,
    now: i64,
) -> Result<String, ApiError> {
    let input = meeting_request(p, &caller.user_id, now);
    // The peer's user row exists: the proposal references it (FK).
    let exist = vec![true; input.invitees.len()];
    let plan = create::plan(caller, &input, &exist, None, random::<10>()?, now)?;
    let read_back = create::read_back_index(&plan);
    let outcomes = db.batch(&plan.statements).await?;
    let row: MeetingRow = outcomes
        .get(read_back)
        .map(|o| o.first())
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::internal("the matched meeting could not be read back"))?;
    let on = For {
        ctx,
        env,
        db,
        caller,
        meeting_id: &row.id,
        role: Some(MeetingRole::Host),
    };
    effects(&on, plan).await;
    db.run(MatchingProposalSetMeeting {
        id: &p.id,
        meeting_id: &row.id,
        now_ms: now,
    })
    .await?;
    Ok(row.id)
}
