//! Applying one verified, claimed Stream event: load its meeting, run the
//! core's plan (`connvo_shared::stream::plan`, where the table of what each
//! event does lives) as one D1 batch, then its effects: room notices
//! (logged when they fail: D1 holds the truth) and, when `call.ended`
//! concluded the meeting, the end-of-meeting flow from the queue.

use connvo_rooms::d1::D1;
use connvo_shared::idempotency::{Idempotent, StoredKey};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::meeting::ids::{new_id, RECORDING_PREFIX};
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::sql::meetings::{MeetingGet, MeetingGetByStreamCid};
use connvo_shared::stream::plan::{derived_meeting_id, plan, route, Applied, Effect, PlanInput};
use connvo_shared::stream::webhook::{CallCid, EventKind, WebhookEvent};
use connvo_shared::ApiError;
use worker::Env;

use super::config::StreamConfig;
use crate::entropy::random;
use crate::logging;
use crate::meetings::ending::finalize_later;
use crate::request::RequestCtx;
use crate::room_client::Room;

#[allow(clippy::too_many_arguments)]
pub async fn apply(
    ctx: &RequestCtx,
    env: &Env,
    d1: &D1,
    cfg: &StreamConfig,
    event: &WebhookEvent,
    delivery: &Idempotent,
    webhook_id: &str,
    now: i64,
) -> Result<Applied, ApiError> {
    let meeting = match (&event.kind, &event.call_cid) {
        (EventKind::Unknown, _) | (_, None) => None,
        (_, Some(cid)) => meeting_for(d1, cid, &cfg.call_type).await?,
    };
    let recording_id = match event.kind {
        EventKind::FileReady(_) => new_id(RECORDING_PREFIX, now, random::<10>()?),
        _ => String::new(),
    };
    let plan = plan(
        event,
        meeting.as_ref(),
        &PlanInput {
            delivery,
            webhook_id,
            now_ms: now,
            recording_id: &recording_id,
        },
    );
    if let Some(note) = plan.note {
        let mut line = LogLine::new(Level::Info, note, &ctx.request_id)
            .field("event", event.event_type.as_str());
        if let Some(cid) = &event.call_cid {
            line = line.field("call_cid", cid.as_string());
        }
        logging::emit(&line, Level::Info);
    }
    let outcomes = d1.batch(&plan.batch).await?;
    let changes: Vec<usize> = outcomes.iter().map(|o| o.changes).collect();
    let stored: Option<StoredKey> = match plan.lookup_index().and_then(|i| outcomes.get(i)) {
        Some(outcome) => outcome.first()?,
        None => None,
    };
    let meeting_id = plan.meeting_id.clone();
    let settled = plan.settle(&changes, stored.as_ref());
    // A new file: learn its size from the file store (F25, best effort).
    if let (EventKind::FileReady(file), Applied::Applied) = (&event.kind, settled.applied) {
        crate::recordings::probe_size(env, &recording_id, &file.url, &ctx.request_id).await;
    }
    if let Some(meeting_id) = meeting_id {
        crate::notifications::producers::stream_event(
            env,
            &meeting_id,
            event,
            settled.applied,
            &settled.effects,
        )
        .await;
        let room = Room::new(env, &meeting_id, &ctx.request_id);
        for effect in settled.effects {
            match effect {
                Effect::Presence {
                    user_id,
                    status,
                    at_ms,
                } => room.notify("presence", room.presence(&user_id, status, at_ms).await),
                Effect::Caption(notice) => room.notify("caption", room.caption(&notice).await),
                Effect::FinalizeLater => finalize_later(env, &meeting_id, &ctx.request_id).await,
            }
        }
    }
    Ok(settled.applied)
}

/// The meeting of `cid`: the one that recorded it, else (before the
/// provisioning job recorded it) the one whose id the call id is.
async fn meeting_for(
    d1: &D1,
    cid: &CallCid,
    call_type: &str,
) -> Result<Option<MeetingRow>, ApiError> {
    let text = cid.as_string();
    let recorded: Option<MeetingRow> = d1
        .first(MeetingGetByStreamCid {
            call_cid: Some(&text),
        })
        .await?;
    let derived: Option<MeetingRow> = match (&recorded, derived_meeting_id(cid, call_type)) {
        (None, Some(id)) => d1.first(MeetingGet { id }).await?,
        _ => None,
    };
    Ok(route(cid, recorded.as_ref(), derived.as_ref(), call_type).cloned())
}
