//! The producers' one-call entry points (N15): each turns a real event into
//! `Outgoing` notifications for the right users and hands them to
//! [`notify_all`]. Callers (meeting routes, the Stream webhook, jobs, the
//! cron, connections) make one call after their own work committed;
//! failures are logged here, never returned.
//!
//! | type | producer | to whom |
//! |---|---|---|
//! | `meeting_starting` | cron sweep, 15 min before | every member (once, dedupe key) |
//! | `meeting_started` | host's start | every member but the host |
//! | `meeting_ended` | host's end, Stream `call.ended` | every member |
//! | `participant_joined` / `participant_left` | Stream presence | the other members (grouped per meeting) |
//! | `role_changed` | role change route | the member |
//! | `recording_available` / `transcript_available` | Stream file-ready | every member |
//! | `insights_ready` | insights job | the insight's owner |
//! | `match_proposed` / `match_accepted` | matching (`matching::notify`) | both users |
//! | `connection_requested` / `connection_accepted` | connections | the other user |
//! | `system_announcement` | admin route | the org's members |

use connvo_rooms::d1::D1;
use connvo_shared::matching::connection_plan::StoredConnection;
use connvo_shared::matching::connections::ConnectionStatus;
use connvo_shared::meeting::view::MeetingRow;
use connvo_shared::notifications::{Category, Outgoing, Priority};
use connvo_shared::room_internal::PresenceStatus;
use connvo_shared::sql::connections::ConnectionGetBetween;
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::sql::notifications::NotificationMeetingsStarting;
use connvo_shared::sql::participants::ParticipantListByMeeting;
use connvo_shared::stream::plan::{Applied, Effect};
use connvo_shared::stream::webhook::{EventKind, FileKind, WebhookEvent};
use serde::Deserialize;
use worker::Env;

use super::notify_all;
use crate::clock::now_ms;

/// Members read per meeting (meetings are small; larger ones are cut).
const MAX_MEMBERS: i64 = 200;
/// How far ahead "meeting starting" looks (N15).
pub const STARTING_LEAD_MS: i64 = 15 * 60 * 1000;

#[derive(Deserialize)]
struct Member {
    user_id: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct Starting {
    id: String,
}

async fn load(env: &Env, meeting_id: &str) -> Option<(MeetingRow, Vec<Member>)> {
    let db = D1::from_env(env).ok()?;
    let meeting = db
        .first::<MeetingRow>(MeetingGet { id: meeting_id })
        .await
        .ok()??;
    let members = db
        .all::<Member>(ParticipantListByMeeting {
            meeting_id,
            after_user_id: "",
            limit: MAX_MEMBERS,
        })
        .await
        .ok()?;
    Some((meeting, members))
}

/// One notification of `kind` to every member of the meeting except `except`.
async fn to_members(
    env: &Env,
    meeting_id: &str,
    kind: &'static str,
    priority: Priority,
    title: impl Fn(&MeetingRow) -> String,
    except: Option<&str>,
    dedupe: bool,
) {
    let Some((meeting, members)) = load(env, meeting_id).await else {
        return;
    };
    let items: Vec<Outgoing> = members
        .iter()
        .filter(|m| Some(m.user_id.as_str()) != except)
        .map(|m| {
            let n = Outgoing::new(
                &m.user_id,
                kind,
                Category::Meeting,
                priority,
                title(&meeting),
            )
            .meeting(meeting_id);
            if dedupe {
                n.dedupe(format!("{kind}:{meeting_id}"))
            } else {
                n
            }
        })
        .collect();
    notify_all(env, &items).await;
}

/// The host started the meeting.
pub async fn meeting_started(env: &Env, meeting_id: &str, host_id: &str) {
    to_members(
        env,
        meeting_id,
        "meeting_started",
        Priority::High,
        |m| format!("{} has started", m.title),
        Some(host_id),
        true,
    )
    .await;
}

/// The meeting ended (host or Stream).
pub async fn meeting_ended(env: &Env, meeting_id: &str) {
    to_members(
        env,
        meeting_id,
        "meeting_ended",
        Priority::Medium,
        |m| format!("{} has ended", m.title),
        None,
        true,
    )
    .await;
}

/// Someone joined or left the call (Stream presence), told to the others,
/// grouped per meeting (N2).
pub async fn presence(env: &Env, meeting_id: &str, user_id: &str, joined: bool) {
    let Some((meeting, members)) = load(env, meeting_id).await else {
        return;
    };
    let who = members
        .iter()
        .find(|m| m.user_id == user_id)
        .and_then(|m| m.display_name.clone())
        .unwrap_or_else(|| "Someone".to_owned());
    let (kind, verb) = if joined {
        ("participant_joined", "joined")
    } else {
        ("participant_left", "left")
    };
    let items: Vec<Outgoing> = members
        .iter()
        .filter(|m| m.user_id != user_id)
        .map(|m| {
            Outgoing::new(
                &m.user_id,
                kind,
                Category::Meeting,
                Priority::Low,
                format!("{who} {verb} {}", meeting.title),
            )
            .meeting(meeting_id)
            .data("user_id", user_id)
            .group(format!("{kind}:{meeting_id}"))
        })
        .collect();
    notify_all(env, &items).await;
}

/// A recording or transcript file is ready (Stream).
pub async fn file_ready(env: &Env, meeting_id: &str, transcript: bool) {
    let (kind, what) = if transcript {
        ("transcript_available", "transcript")
    } else {
        ("recording_available", "recording")
    };
    to_members(
        env,
        meeting_id,
        kind,
        Priority::Medium,
        |m| format!("The {what} of {} is available", m.title),
        None,
        false,
    )
    .await;
}

/// A member's role changed.
pub async fn role_changed(env: &Env, meeting_id: &str, user_id: &str, role: &str) {
    let Some((meeting, _)) = load(env, meeting_id).await else {
        return;
    };
    let n = Outgoing::new(
        user_id,
        "role_changed",
        Category::Meeting,
        Priority::Medium,
        format!("You are now {role} in {}", meeting.title),
    )
    .meeting(meeting_id)
    .data("role", role);
    notify_all(env, &[n]).await;
}

/// A user's post-call insight is ready.
pub async fn insights_ready(env: &Env, meeting_id: &str, user_ids: &[String]) {
    let Some((meeting, _)) = load(env, meeting_id).await else {
        return;
    };
    let items: Vec<Outgoing> = user_ids
        .iter()
        .map(|u| {
            Outgoing::new(
                u,
                "insights_ready",
                Category::Meeting,
                Priority::Medium,
                format!("Your insights from {} are ready", meeting.title),
            )
            .meeting(meeting_id)
            .dedupe(format!("insights_ready:{meeting_id}"))
        })
        .collect();
    notify_all(env, &items).await;
}

/// After `actor` acted on their connection with `other`: a pending
/// request they made tells `other` (`connection_requested`); an accepted
/// one `actor` did not request tells its requester (`connection_accepted`).
pub async fn connection_changed(env: &Env, actor: &str, other: &str) {
    let Ok(db) = D1::from_env(env) else {
        return;
    };
    let Ok(Some(c)) = db
        .first::<StoredConnection>(ConnectionGetBetween {
            user_a: actor,
            user_b: other,
        })
        .await
    else {
        return;
    };
    let (kind, to, title) = match c.status {
        ConnectionStatus::Pending if c.requester_id == actor => (
            "connection_requested",
            c.addressee_id.as_str(),
            "You have a new connection request",
        ),
        ConnectionStatus::Accepted if c.requester_id != actor => (
            "connection_accepted",
            c.requester_id.as_str(),
            "Your connection request was accepted",
        ),
        _ => return,
    };
    let n = Outgoing::new(to, kind, Category::User, Priority::Medium, title)
        .data("connection_id", c.id.as_str())
        .data("user_id", actor)
        .dedupe(format!("{kind}:{}", c.id));
    notify_all(env, &[n]).await;
}

/// The cron's sweep: scheduled meetings starting within 15 minutes (N15).
/// The dedupe key makes it once per member whatever the number of runs.
pub async fn meetings_starting(env: &Env) {
    let Ok(db) = D1::from_env(env) else {
        return;
    };
    let now = now_ms();
    let Ok(starting) = db
        .all::<Starting>(NotificationMeetingsStarting {
            from_ms: now,
            to_ms: now + STARTING_LEAD_MS,
            limit: 100,
        })
        .await
    else {
        return;
    };
    for m in starting {
        to_members(
            env,
            &m.id,
            "meeting_starting",
            Priority::High,
            |row| format!("{} starts soon", row.title),
            None,
            true,
        )
        .await;
    }
}

/// After a Stream webhook was applied: presence changes, a call ended by
/// Stream, and ready files become notifications.
pub async fn stream_event(
    env: &Env,
    meeting_id: &str,
    event: &WebhookEvent,
    applied: Applied,
    effects: &[Effect],
) {
    if applied != Applied::Applied {
        return;
    }
    for effect in effects {
        match effect {
            Effect::Presence {
                user_id, status, ..
            } => {
                presence(env, meeting_id, user_id, *status == PresenceStatus::Joined).await;
            }
            Effect::FinalizeLater => meeting_ended(env, meeting_id).await,
            Effect::Caption(_) => {}
        }
    }
    if let EventKind::FileReady(file) = &event.kind {
        file_ready(env, meeting_id, file.kind == FileKind::Transcription).await;
    }
}
