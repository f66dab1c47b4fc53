//! The Stream webhook's use case, pure: which meeting an event is for, and
//! what it does there. The worker's handler verifies and parses the
//! delivery (`crate::signature::stream`, `super::webhook`), claims its
//! `X-Webhook-Id` ([`delivery`]), loads the meeting, and runs the
//! [`EventPlan`] this module returns: one D1 batch (the event's writes and
//! the delivery's completion, so an event is applied and remembered
//! together, or neither), then the room notices and queue work that
//! [`EventPlan::settle`] keeps.
//!
//! | event | D1 | after |
//! | --- | --- | --- |
//! | `call.session_participant_joined` / `_left` | the member's presence, unless a newer change was applied (`presence_changed_at`) | `internal/presence` |
//! | `call.session_started` | `meeting_state`: active, session id | |
//! | `call.session_ended` | `meeting_state`: inactive; everyone joined → left | |
//! | `call.ended` | as session_ended, and an active meeting is concluded (guarded `active` → `concluded`) | the end-of-meeting flow's flush and post-call jobs, queued |
//! | `call.recording_ready` / `call.transcription_ready` | a `meeting_recordings` row, one track of the newest started job, with its track and duration (a repeat is a no-op); `recording_ready` completes the job | the worker probes the file's size |
//! | `call.recording_failed` / `call.transcription_failed` | the meeting's unfinished jobs fail with Stream's error (F26) | |
//! | `call.closed_caption` | its caption id recorded once (scope `stream_caption`) | `internal/caption`, while the meeting is active |
//!
//! A session starting does not start the meeting: starting is the host's
//! decision (`POST …/start`); people may join the call in the lobby before it.

use serde_json::json;

use crate::acl::MeetingState;
use crate::idempotency::{Decision, Idempotent, StoredKey};
use crate::meeting::lifecycle::{next_state, Transition};
use crate::meeting::plan::ending::session_over;
use crate::meeting::view::MeetingRow;
use crate::recordings::tracks::{classify, duration_ms};
use crate::room_internal::{CaptionNotice, PresenceStatus};
use crate::route::is_valid_id;
use crate::signature::sha256_hex;
use crate::sql::meeting_state::MeetingStateUpsertActivity;
use crate::sql::meetings::MeetingTransitionState;
use crate::sql::participants::ParticipantSetPresence;
use crate::sql::recordings::{RecordingInsert, RecordingJobFilesReady, RecordingJobProviderFailed};
use crate::sql::Statement;

use super::webhook::{CallCid, Caption, EventKind, FileReady, PresenceChange, WebhookEvent};

/// The `idempotency_keys.scope` of webhook deliveries (`X-Webhook-Id`).
pub const WEBHOOK_SCOPE: &str = "stream_webhook";
/// The `idempotency_keys.scope` of caption ids already sent to a room.
pub const CAPTION_SCOPE: &str = "stream_caption";
/// A delivery claim not completed within this is a crashed attempt: Stream's
/// retry (seconds later) claims it again.
const CLAIM_TTL_MS: i64 = 10_000;
/// Applied ids and caption ids are remembered at least this long (and never
/// less than twice the freshness window, past which an event is refused as
/// stale anyway).
const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// The idempotent unit of one delivery: its `X-Webhook-Id`, fingerprinted
/// by the (inflated) body, so the same id with another body is refused.
pub fn delivery(webhook_id: &str, body: &[u8], max_age_ms: i64) -> Idempotent {
    Idempotent {
        scope: WEBHOOK_SCOPE.to_owned(),
        key: webhook_id.to_owned(),
        request_hash: Some(sha256_hex(body)),
        claim_ttl_ms: CLAIM_TTL_MS,
        keep_ms: KEEP_MS.max(max_age_ms.saturating_mul(2)),
    }
}

/// A caption line, once per meeting and Stream caption id, whatever
/// webhook id carries it.
fn caption_once(meeting_id: &str, caption_id: &str) -> Idempotent {
    Idempotent {
        scope: CAPTION_SCOPE.to_owned(),
        key: format!("{meeting_id}:{caption_id}"),
        request_hash: None,
        claim_ttl_ms: KEEP_MS,
        keep_ms: KEEP_MS,
    }
}

/// The meeting whose id a call id of ours is: the provisioning job creates
/// every meeting's call as `<our call type>:<meeting id>`
/// (`super::call`), so the id is known before the job has run. `None` for
/// a call of another type, or an id that cannot be a meeting's.
pub fn derived_meeting_id<'a>(cid: &'a CallCid, call_type: &str) -> Option<&'a str> {
    (cid.call_type == call_type && is_valid_id(&cid.call_id)).then_some(cid.call_id.as_str())
}

/// The meeting an event's call belongs to (issue 11, fault 3: an event that
/// races provisioning is still ours).
///
/// - `recorded`: the meeting whose `stream_call_cid` is `cid` (set when the
///   provisioning job claims the meeting);
/// - `derived`: the meeting whose id is [`derived_meeting_id`], taken when
///   no call is recorded on it yet, or the recorded one is this one.
pub fn route<'a>(
    cid: &CallCid,
    recorded: Option<&'a MeetingRow>,
    derived: Option<&'a MeetingRow>,
    call_type: &str,
) -> Option<&'a MeetingRow> {
    if recorded.is_some() {
        return recorded;
    }
    let cid_text = cid.as_string();
    derived.filter(|m| {
        derived_meeting_id(cid, call_type) == Some(m.id.as_str())
            && m.stream_call_cid
                .as_deref()
                .is_none_or(|recorded| recorded == cid_text)
    })
}

/// What became of an event (the answer's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Nothing to do: unknown type or call, stale presence, repeated file
    /// or caption, a caption outside an active meeting.
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

/// Work after the batch committed. D1 holds the truth; a failed room notice
/// is logged, not retried.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `internal/presence`.
    Presence {
        user_id: String,
        status: PresenceStatus,
        at_ms: i64,
    },
    /// `internal/caption`.
    Caption(CaptionNotice),
    /// `call.ended` concluded the meeting: the end-of-meeting flow's flush
    /// and post-call jobs, from the queue (the webhook answers at once).
    FinalizeLater,
}

/// How the batch's outcome decides the answer and the effects.
#[derive(Debug, Clone, PartialEq)]
enum Judge {
    Fixed(Applied, Vec<Effect>),
    /// `Applied` with `effects` when statement `index` changed a row; else
    /// `otherwise` and no effects.
    Guarded {
        index: usize,
        effects: Vec<Effect>,
        otherwise: Applied,
    },
    /// Once per key: statements `claim` and `lookup` are the record's claim
    /// and read-back (`Idempotent::decide`); new → `Applied` with `effects`.
    Once {
        record: Idempotent,
        claim: usize,
        lookup: usize,
        effects: Vec<Effect>,
    },
}

/// One event's plan: a batch to run atomically, then [`EventPlan::settle`].
#[derive(Debug, Clone, PartialEq)]
pub struct EventPlan {
    pub meeting_id: Option<String>,
    /// Run as one D1 batch; the last statement completes the delivery.
    pub batch: Vec<Statement>,
    /// Why nothing is done, for the log (`None` when something may be).
    pub note: Option<&'static str>,
    judge: Judge,
}

/// What the plan came to once the batch ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub applied: Applied,
    pub effects: Vec<Effect>,
}

/// What the plan needs besides the event and its meeting.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    /// The claimed delivery, completed in the batch.
    pub delivery: &'a Idempotent,
    pub webhook_id: &'a str,
    pub now_ms: i64,
    /// The id a new `meeting_recordings` row gets (`rec_…`).
    pub recording_id: &'a str,
}

/// The plan for `event`, given the meeting [`route`] found (if any).
pub fn plan(event: &WebhookEvent, meeting: Option<&MeetingRow>, input: &PlanInput) -> EventPlan {
    let complete = input
        .delivery
        .complete(Some(&json!({ "event": event.event_type })), input.now_ms);
    let ignored = |note| EventPlan {
        meeting_id: meeting.map(|m| m.id.clone()),
        batch: vec![complete.clone()],
        note: Some(note),
        judge: Judge::Fixed(Applied::Ignored, Vec::new()),
    };
    let (Some(cid), Some(meeting)) = (&event.call_cid, meeting) else {
        return ignored(if matches!(event.kind, EventKind::Unknown) {
            "unknown stream event type"
        } else {
            "stream event for an unknown call"
        });
    };
    let at = event.created_at_ms;
    let now = input.now_ms;
    let id = meeting.id.as_str();
    let (mut batch, judge) = match &event.kind {
        EventKind::Unknown => return ignored("unknown stream event type"),
        EventKind::ParticipantJoined(p) => presence(id, p, PresenceStatus::Joined, at, now),
        EventKind::ParticipantLeft(p) => presence(id, p, PresenceStatus::Left, at, now),
        EventKind::SessionStarted { session_id } => (
            vec![MeetingStateUpsertActivity {
                meeting_id: id,
                active: true,
                started_at: Some(at),
                ended_at: None,
                stream_session_id: session_id.as_deref(),
                event_time_ms: at,
                now_ms: now,
            }
            .statement()],
            Judge::Fixed(Applied::Applied, Vec::new()),
        ),
        EventKind::SessionEnded { session_id } => (
            session_over(id, session_id.as_deref(), at, now),
            Judge::Fixed(Applied::Applied, Vec::new()),
        ),
        EventKind::CallEnded => call_ended(meeting, at, now),
        EventKind::FileReady(file) => file_ready(id, cid, file, input.recording_id, now),
        EventKind::RecordingFailed { error, .. } => (
            vec![RecordingJobProviderFailed {
                meeting_id: id,
                error: &crate::recordings::job::clamp_error(error),
                now_ms: now,
            }
            .statement()],
            // Unchanged: no unfinished job (a redelivery, or none started).
            Judge::Guarded {
                index: 0,
                effects: Vec::new(),
                otherwise: Applied::Ignored,
            },
        ),
        EventKind::ClosedCaption(c) => {
            if meeting.state() != MeetingState::Active {
                return ignored("caption outside an active meeting");
            }
            caption(id, c, input.webhook_id, now)
        }
    };
    batch.push(complete);
    EventPlan {
        meeting_id: Some(meeting.id.clone()),
        batch,
        note: None,
        judge,
    }
}

fn presence(
    meeting_id: &str,
    p: &PresenceChange,
    status: PresenceStatus,
    at: i64,
    now: i64,
) -> (Vec<Statement>, Judge) {
    let stored = match status {
        PresenceStatus::Joined => "joined",
        PresenceStatus::Left => "left",
    };
    let set = ParticipantSetPresence {
        meeting_id,
        user_id: &p.user_id,
        presence: stored,
        event_time_ms: at,
        stream_session_id: p.user_session_id.as_deref(),
        now_ms: now,
    };
    (
        vec![set.statement()],
        // Unchanged: not a member, or a newer change was applied already.
        Judge::Guarded {
            index: 0,
            effects: vec![Effect::Presence {
                user_id: p.user_id.clone(),
                status,
                at_ms: at,
            }],
            otherwise: Applied::Ignored,
        },
    )
}

/// `call.ended`: the session is over in any case; an active meeting is
/// also concluded, by the guarded transition the host's end uses, and when
/// that wins the end-of-meeting flow follows from the queue.
fn call_ended(meeting: &MeetingRow, at: i64, now: i64) -> (Vec<Statement>, Judge) {
    let mut batch = Vec::new();
    let from = meeting.state();
    let conclude = match next_state(from, Transition::End) {
        Ok(to) if from == MeetingState::Active => Some(to),
        _ => None,
    };
    if let Some(to) = conclude {
        batch.push(
            MeetingTransitionState {
                id: &meeting.id,
                expected_state: from.as_str(),
                new_state: to.as_str(),
                now_ms: now,
            }
            .statement(),
        );
    }
    batch.extend(session_over(&meeting.id, None, at, now));
    let judge = if conclude.is_some() {
        // Lost the race (the host ended it meanwhile): their flow runs.
        Judge::Guarded {
            index: 0,
            effects: vec![Effect::FinalizeLater],
            otherwise: Applied::Applied,
        }
    } else {
        Judge::Fixed(Applied::Applied, Vec::new())
    };
    (batch, judge)
}

fn file_ready(
    meeting_id: &str,
    cid: &CallCid,
    file: &FileReady,
    recording_id: &str,
    now: i64,
) -> (Vec<Statement>, Judge) {
    let cid = cid.as_string();
    let insert = RecordingInsert {
        id: recording_id,
        meeting_id,
        kind: file.kind.as_str(),
        recording_type: file.recording_type.as_deref(),
        call_cid: Some(&cid),
        session_id: file.session_id.as_deref(),
        egress_id: file.egress_id.as_deref(),
        filename: Some(&file.filename),
        url: Some(&file.url),
        start_time_ms: file.start_ms,
        end_time_ms: file.end_ms,
        now_ms: now,
        track: classify(file.kind, file.recording_type.as_deref(), &file.filename).as_str(),
        duration_ms: duration_ms(file.start_ms, file.end_ms),
    };
    let mut batch = vec![insert.statement()];
    if file.kind.as_str() == "recording" {
        // The recording's job is complete (F7); a redelivery finds none live.
        batch.push(
            RecordingJobFilesReady {
                meeting_id,
                now_ms: now,
            }
            .statement(),
        );
    }
    (
        batch,
        // Unchanged: the same file was recorded before.
        Judge::Guarded {
            index: 0,
            effects: Vec::new(),
            otherwise: Applied::Ignored,
        },
    )
}

fn caption(meeting_id: &str, c: &Caption, webhook_id: &str, now: i64) -> (Vec<Statement>, Judge) {
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
    let effects = vec![Effect::Caption(notice)];
    let Some(caption_id) = &c.id else {
        return (Vec::new(), Judge::Fixed(Applied::Applied, effects));
    };
    // Each caption line reaches the room once, even if Stream sends it again
    // under a new webhook id. The record is claimed and completed in the
    // same batch, then read back for `decide`.
    let record = caption_once(meeting_id, caption_id);
    let batch = vec![
        record.claim(now),
        record.complete(None, now),
        record.lookup(),
    ];
    (
        batch,
        Judge::Once {
            record,
            claim: 0,
            lookup: 2,
            effects,
        },
    )
}

impl EventPlan {
    /// The answer and the effects, from the batch's per-statement `changes`
    /// and, for a once-only record, its row as read back (`lookup_row`).
    pub fn settle(self, changes: &[usize], lookup_row: Option<&StoredKey>) -> Settled {
        let changed = |i: usize| changes.get(i).copied().unwrap_or(0) > 0;
        let (applied, effects) = match self.judge {
            Judge::Fixed(applied, effects) => (applied, effects),
            Judge::Guarded {
                index,
                effects,
                otherwise,
            } => {
                if changed(index) {
                    (Applied::Applied, effects)
                } else {
                    (otherwise, Vec::new())
                }
            }
            Judge::Once {
                record,
                claim,
                effects,
                ..
            } => {
                let claimed = changes.get(claim).copied().unwrap_or(0);
                match record.decide(claimed, lookup_row) {
                    Decision::New => (Applied::Applied, effects),
                    // Sent before (or, never in practice: being sent).
                    _ => (Applied::Ignored, Vec::new()),
                }
            }
        };
        Settled { applied, effects }
    }

    /// The batch index whose row [`EventPlan::settle`] wants decoded as a
    /// [`StoredKey`], if any.
    pub fn lookup_index(&self) -> Option<usize> {
        match &self.judge {
            Judge::Once { lookup, .. } => Some(*lookup),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
