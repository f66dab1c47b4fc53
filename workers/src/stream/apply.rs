//! What each Stream event does (after `webhook` verified and deduplicated
//! it). The meeting is found by the event's `call_cid`; an event for a call
//! we do not know is ignored (200, logged).
//!
//! | event | D1 | room |
//! | --- | --- | --- |
//! | `call.session_participant_joined` / `_left` | the member's presence, unless a newer change was applied (`presence_changed_at`) | `internal/presence` |
//! | `call.session_started` | `meeting_state`: active, session id | |
//! | `call.session_ended` | `meeting_state`: inactive; everyone joined → left | |
//! | `call.ended` | as session_ended, and an active meeting is concluded: the host's end-of-meeting flow, its flush and post-call jobs via the queue (`finalize_meeting`) | `internal/end` (from the job) |
//! | `call.recording_ready` / `call.transcription_ready` | a `meeting_recordings` row (a repeat is a no-op) | |
//! | `call.closed_caption` | its caption id, once (scope `stream_caption`) | `internal/caption`, while the meeting is active |
//!
//! A session starting does not start the meeting: starting is the host's
//! decision (`POST …/start`); people may join the call in the lobby window
//! before it. Room notices that fail are logged: D1 holds the truth.

use connvo_shared::acl::MeetingState;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::meeting::ids::{new_id, RECORDING_PREFIX};
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::room_internal::{CaptionNotice, PresenceStatus};
use connvo_shared::sql::{idempotency, meeting_state, meetings, participants, recordings};
use connvo_shared::stream::webhook::{CallCid, EventKind, FileReady, PresenceChange, WebhookEvent};
use connvo_shared::ApiError;
use worker::{D1Database, Env};

use crate::args;
use crate::db::{self, decode};
use crate::logging;
use crate::meetings::ending::{conclude, finalize_later};
use crate::request::RequestCtx;
use crate::room_client::Room;
use crate::sys::random;

/// The `idempotency_keys.scope` of caption ids already sent to a room.
const CAPTION_SCOPE: &str = "stream_caption";
/// How long a caption id is remembered.
const CAPTION_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Nothing to do: unknown type or call, stale presence, repeated file.
    Ignored,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Applied => "applied",
            Applied::Ignored => "ignored",
        }
    }
}

pub async fn apply(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1Database,
    event: &WebhookEvent,
    webhook_id: &str,
    now: i64,
) -> Result<Applied, ApiError> {
    let cid = match (&event.kind, &event.call_cid) {
        (EventKind::Unknown, _) | (_, None) => {
            logging::emit(
                &LogLine::new(Level::Info, "unknown stream event type", &ctx.request_id)
                    .field("event", event.event_type.as_str()),
                Level::Info,
            );
            return Ok(Applied::Ignored);
        }
        (_, Some(cid)) => cid,
    };
    let Some(meeting) = meeting_for(db, cid).await? else {
        logging::emit(
            &LogLine::new(
                Level::Info,
                "stream event for an unknown call",
                &ctx.request_id,
            )
            .field("event", event.event_type.as_str())
            .field("call_cid", cid.as_string()),
            Level::Info,
        );
        return Ok(Applied::Ignored);
    };
    let at = event.created_at_ms;
    let room = Room::new(env, &meeting.id, &ctx.request_id);
    match &event.kind {
        EventKind::ParticipantJoined(p) => {
            presence(db, &room, &meeting, p, PresenceStatus::Joined, at, now).await
        }
        EventKind::ParticipantLeft(p) => {
            presence(db, &room, &meeting, p, PresenceStatus::Left, at, now).await
        }
        EventKind::SessionStarted { session_id } => {
            db::run(
                db,
                meeting_state::MEETING_STATE_UPSERT_ACTIVITY,
                args![
                    meeting.id.as_str(),
                    true,
                    at,
                    None::<i64>,
                    session_id.as_deref(),
                    at,
                    now
                ],
            )
            .await?;
            Ok(Applied::Applied)
        }
        EventKind::SessionEnded { session_id } => {
            session_over(db, &meeting.id, session_id.as_deref(), at, now).await?;
            Ok(Applied::Applied)
        }
        EventKind::CallEnded => {
            if meeting.state() == MeetingState::Active && conclude(db, &meeting.id, at, now).await?
            {
                // Same flow as the host's end; the flush is slow, so it runs
                // from the queue and this webhook answers at once.
                finalize_later(env, &meeting.id, &ctx.request_id).await;
            } else {
                session_over(db, &meeting.id, None, at, now).await?;
            }
            Ok(Applied::Applied)
        }
        EventKind::FileReady(file) => file_ready(db, &meeting, cid, file, now).await,
        EventKind::ClosedCaption(c) => {
            if meeting.state() != MeetingState::Active {
                return Ok(Applied::Ignored);
            }
            if let Some(caption_id) = &c.id {
                // Each caption line reaches the room once, even if Stream
                // sends it again under a new webhook id.
                let key = format!("{}:{caption_id}", meeting.id);
                let first = db::run(
                    db,
                    idempotency::IDEMPOTENCY_CLAIM,
                    args![
                        CAPTION_SCOPE,
                        key,
                        None::<String>,
                        now,
                        now + CAPTION_TTL_MS
                    ],
                )
                .await?;
                if first == 0 {
                    return Ok(Applied::Ignored);
                }
            }
            let notice = CaptionNotice {
                speaker_id: c.speaker_id.clone(),
                text: c.text.clone(),
                start_ms: c.start_ms,
                end_ms: c.end_ms,
                language: c.language.clone(),
                is_final: true,
                // Stable across redeliveries: Stream's id, else the webhook's.
                caption_id: c.id.clone().unwrap_or_else(|| webhook_id.to_owned()),
            };
            room.notify("caption", room.caption(&notice).await);
            Ok(Applied::Applied)
        }
        EventKind::Unknown => Ok(Applied::Ignored),
    }
}

async fn meeting_for(db: &D1Database, cid: &CallCid) -> Result<Option<MeetingRow>, ApiError> {
    db::first(
        db,
        meetings::MEETING_GET_BY_STREAM_CID,
        args![cid.as_string()],
    )
    .await?
    .map(decode)
    .transpose()
}

async fn presence(
    db: &D1Database,
    room: &Room<'_>,
    meeting: &MeetingRow,
    p: &PresenceChange,
    status: PresenceStatus,
    at: i64,
    now: i64,
) -> Result<Applied, ApiError> {
    let stored = match status {
        PresenceStatus::Joined => "joined",
        PresenceStatus::Left => "left",
    };
    let changed = db::run(
        db,
        participants::PARTICIPANT_SET_PRESENCE,
        args![
            meeting.id.as_str(),
            p.user_id.as_str(),
            stored,
            at,
            p.user_session_id.as_deref(),
            now
        ],
    )
    .await?;
    if changed == 0 {
        // Not a member, or a newer presence change was already applied.
        return Ok(Applied::Ignored);
    }
    room.notify("presence", room.presence(&p.user_id, status, at).await);
    Ok(Applied::Applied)
}

async fn session_over(
    db: &D1Database,
    meeting_id: &str,
    session_id: Option<&str>,
    at: i64,
    now: i64,
) -> Result<(), ApiError> {
    db::batch(
        db,
        vec![
            db::stmt(
                db,
                meeting_state::MEETING_STATE_UPSERT_ACTIVITY,
                args![meeting_id, false, None::<i64>, at, session_id, at, now],
            )?,
            db::stmt(
                db,
                participants::PARTICIPANT_MARK_ALL_LEFT,
                args![meeting_id, at, now],
            )?,
        ],
    )
    .await?;
    Ok(())
}

async fn file_ready(
    db: &D1Database,
    meeting: &MeetingRow,
    cid: &CallCid,
    file: &FileReady,
    now: i64,
) -> Result<Applied, ApiError> {
    let id = new_id(RECORDING_PREFIX, now, random::<10>()?);
    let inserted = db::run(
        db,
        recordings::RECORDING_INSERT,
        args![
            id.as_str(),
            meeting.id.as_str(),
            file.kind.as_str(),
            file.recording_type.as_deref(),
            cid.as_string(),
            file.session_id.as_deref(),
            file.egress_id.as_deref(),
            file.filename.as_str(),
            file.url.as_str(),
            file.start_ms,
            file.end_ms,
            now
        ],
    )
    .await?;
    Ok(if inserted == 1 {
        Applied::Applied
    } else {
        Applied::Ignored
    })
}
