//! Post-call signals of a match (rule M35, `matching::post_call`): the
//! `MatchingPostCall` job after a meeting ends (met; the insights'
//! recommendations, once the insights job is recorded), and
//! [`connected`] after a connection is accepted. Each loads the matched
//! proposal and the current weights, plans, and runs one batch.

use connvo_rooms::d1::D1;
use connvo_shared::jobs::{wait_for_finalize, Job, JobMessage, JobResult};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::matching::post_call::{
    insight_match_id, insights_signal, plan_signals, InsightSignalRow, Signal,
};
use connvo_shared::matching::proposal_plan::{current_weights, ProposalRow, WeightsRow};
use connvo_shared::sql::matching::{
    MatchInsightSignalsForPair, MatchingProposalByMeeting, MatchingProposalMatchedBetween,
    MatchingWeightsGet,
};
use connvo_shared::sql::participants::ParticipantGet;
use connvo_shared::ApiError;
use serde::Deserialize;
use worker::Env;

use super::config;
use crate::clock::now_ms;
use crate::entropy::random_u32;
use crate::jobs::{failed, log, records, JobCtx};
use crate::logging;
use crate::stream::config::job_backoff;

#[derive(Deserialize)]
struct Presence {
    joined_at: Option<i64>,
}

/// Plans `signals` for `proposal` against the current weights and runs
/// the batch; how many signals were planned.
async fn record(
    db: &D1,
    env: &Env,
    proposal: &ProposalRow,
    signals: &[Signal],
) -> Result<usize, ApiError> {
    let cfg = config(env);
    let stored = db.first::<WeightsRow>(MatchingWeightsGet {}).await?;
    let (weights, updates) = current_weights(stored.as_ref(), &cfg.scoring.weights);
    let batch = plan_signals(
        proposal,
        signals,
        (&weights, updates),
        &cfg.learning,
        now_ms(),
    );
    if !batch.is_empty() {
        db.batch(&batch).await?;
    }
    Ok(if batch.is_empty() { 0 } else { signals.len() })
}

/// `None`: the insights are not recorded yet (retry later).
async fn meeting(env: &Env, meeting_id: &str, jc: &JobCtx) -> Result<Option<usize>, ApiError> {
    let db = D1::from_env(env)?;
    let Some(p) = db
        .first::<ProposalRow>(MatchingProposalByMeeting { meeting_id })
        .await?
    else {
        return Ok(Some(0));
    };
    let insights_key = Job::GenerateInsights {
        meeting_id: meeting_id.to_owned(),
    }
    .idempotency_key();
    let recorded = records::get(&db, &insights_key).await?.is_some();
    if wait_for_finalize(recorded, &job_backoff(env), jc.attempt, random_u32()).is_some() {
        return Ok(None);
    }
    let mut signals = Vec::new();
    let mut both = true;
    for user in [&p.a_user_id, &p.b_user_id] {
        let row = db
            .first::<Presence>(ParticipantGet {
                meeting_id,
                user_id: user,
            })
            .await?;
        both &= row.is_some_and(|r| r.joined_at.is_some());
    }
    if both {
        signals.push(Signal::Met);
    }
    let rows = db
        .all::<InsightSignalRow>(MatchInsightSignalsForPair {
            a_match_id: &insight_match_id(meeting_id, &p.b_user_id),
            b_match_id: &insight_match_id(meeting_id, &p.a_user_id),
        })
        .await?;
    signals.extend(insights_signal(&p, &rows));
    record(&db, env, &p, &signals).await.map(Some)
}

pub async fn run(env: &Env, msg: &JobMessage, meeting_id: &str, jc: &JobCtx) -> JobResult {
    match meeting(env, meeting_id, jc).await {
        Ok(Some(n)) => {
            logging::emit(
                &log(jc, Level::Info, "matching post-call signals", msg).field("signals", n),
                Level::Info,
            );
            JobResult::Done
        }
        Ok(None) => job_backoff(env).retry_or_done(jc.attempt, random_u32()),
        Err(err) => failed(env, jc, msg, "matching post-call signals failed", &err),
    }
}

/// M35: `user` accepted `peer`'s connection request; if they were matched,
/// the matcher learns it. A failure is logged: the connection stands.
pub async fn connected(env: &Env, user: &str, peer: &str, request_id: &str) {
    let result: Result<usize, ApiError> = async {
        let db = D1::from_env(env)?;
        match db
            .first::<ProposalRow>(MatchingProposalMatchedBetween {
                user_id: user,
                peer_user_id: peer,
            })
            .await?
        {
            Some(p) => record(&db, env, &p, &[Signal::Connected]).await,
            None => Ok(0),
        }
    }
    .await;
    if let Err(err) = result {
        logging::emit(
            &LogLine::new(Level::Warn, "matching connection signal failed", request_id)
                .field("error", err.message.as_str()),
            Level::Warn,
        );
    }
}
