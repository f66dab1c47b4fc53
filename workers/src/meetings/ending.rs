//! The end-of-meeting flow, the same whoever ends the meeting (the host's
//! `POST …/end`, or Stream's `call.ended` webhook):
//!
//! 1. D1, the source of truth: `active` → `concluded` (guarded), the
//!    concluded time recorded, everyone still joined marked left, the live
//!    state marked inactive ([`conclude`]);
//! 2. the room: `internal/end` stops writes, closes or downgrades the
//!    sockets and flushes its tail to D1, answering once flushed; then the
//!    meeting is recorded as finalized ([`record_finalized`]);
//! 3. the post-call jobs: transcript aggregation (`jobs::aggregate`) and
//!    insights (`jobs::post_call`), which wait for that record.
//!
//! The host's request tries step 2 at once and queues step 3; the webhook
//! answers fast, so it queues both. A failed flush is not swallowed: the
//! `finalize_meeting` job retries step 2 with backoff until the room
//! answers, and the host's response reports it (202,
//! `finalization.status = "retrying"`).

use connvo_rooms::d1::D1;
use connvo_shared::jobs::records;
use connvo_shared::jobs::Job;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::meeting::plan::ending::{self, session_over};
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::Env;

use crate::clock::now_ms;
use crate::jobs::send::enqueue;
use crate::logging;
use crate::room_client::Room;

/// Step 1: concludes an active meeting in D1. `event_at` is when it ended
/// (the webhook's `created_at`, or now). `Ok(false)` when the meeting was
/// not active any more (concluded by someone else meanwhile).
pub async fn conclude(
    d1: &D1,
    meeting_id: &str,
    event_at: i64,
    now: i64,
) -> Result<bool, ApiError> {
    let won: Option<Value> = d1.first(ending::conclude(meeting_id, now)?).await?;
    if won.is_none() {
        return Ok(false);
    }
    d1.batch(&session_over(meeting_id, None, event_at, now))
        .await?;
    Ok(true)
}

/// The record that step 2 is over (`flushed`, or `gave_up`).
pub fn finalize_key(meeting_id: &str) -> String {
    Job::FinalizeMeeting {
        meeting_id: meeting_id.to_owned(),
    }
    .idempotency_key()
}

/// Records step 2 as over; the post-call jobs wait for this.
pub async fn record_finalized(d1: &D1, meeting_id: &str, status: &str) -> Result<(), ApiError> {
    let batch = records::write(
        &finalize_key(meeting_id),
        &json!({ "status": status }),
        now_ms(),
    );
    crate::jobs::records::write(d1, &batch).await?;
    Ok(())
}

/// Step 3: the post-call jobs.
pub async fn enqueue_post_call(env: &Env, meeting_id: &str, request_id: &str) {
    for job in [
        Job::AggregateTranscript {
            meeting_id: meeting_id.to_owned(),
        },
        Job::GenerateInsights {
            meeting_id: meeting_id.to_owned(),
        },
        // M28: the notes and transcript segments, once aggregated.
        Job::EmbedMeeting {
            meeting_id: meeting_id.to_owned(),
        },
        // M35: a matched pair's meeting teaches the matcher.
        Job::MatchingPostCall {
            meeting_id: meeting_id.to_owned(),
        },
    ] {
        enqueue(env, job, request_id).await;
    }
}

/// Steps 2 and 3 from the host's request: the flush now, the post-call jobs
/// queued. Returns the `finalization` object the response carries.
pub async fn finalize_now(
    env: &Env,
    db: &D1,
    meeting_id: &str,
    reason: &str,
    at_ms: i64,
    request_id: &str,
) -> Value {
    let room = Room::new(env, meeting_id, request_id);
    let outcome = match room.end(at_ms, reason).await {
        Ok(()) => match record_finalized(db, meeting_id, "flushed").await {
            Ok(()) => json!({ "status": "done" }),
            Err(err) => {
                // Flushed but not recorded: the job re-flushes (idempotent)
                // and records it.
                enqueue(env, finalize_job(meeting_id), request_id).await;
                json!({ "status": "retrying", "error": err.message })
            }
        },
        Err(err) => {
            logging::emit(
                &LogLine::new(
                    Level::Error,
                    "final flush failed; retrying from the queue",
                    request_id,
                )
                .field("meeting_id", meeting_id)
                .field("error", err.to_string()),
                Level::Error,
            );
            enqueue(env, finalize_job(meeting_id), request_id).await;
            json!({ "status": "retrying", "error": err.to_string() })
        }
    };
    enqueue_post_call(env, meeting_id, request_id).await;
    outcome
}

fn finalize_job(meeting_id: &str) -> Job {
    Job::FinalizeMeeting {
        meeting_id: meeting_id.to_owned(),
    }
}

/// Steps 2 and 3 from the queue (`call.ended`: the webhook answers fast).
pub async fn finalize_later(env: &Env, meeting_id: &str, request_id: &str) {
    enqueue(env, finalize_job(meeting_id), request_id).await;
    enqueue_post_call(env, meeting_id, request_id).await;
}
