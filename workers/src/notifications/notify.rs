//! The one way to notify a user (N10, N11): every producer calls
//! [`notify`] (or [`notify_all`]) with an `Outgoing`; nothing else writes
//! the `notifications` table. It loads the user's preferences and recent
//! history in one read batch, asks the pure plan
//! (`connvo_shared::notifications::plan`, which calls `decide`), runs the
//! plan's writes and the unread counter in one batch, pushes the frame to
//! the user's hub and queues the email job.
//!
//! ```ignore
//! use connvo_shared::notifications::{Category, Outgoing, Priority};
//! let n = Outgoing::new(user_id, "export_ready", Category::System, Priority::Medium, "Your export is ready")
//!     .data("export_id", export_id)
//!     .dedupe(format!("export_ready:{export_id}"));
//! crate::notifications::notify(env, &n).await?;
//! ```

use connvo_rooms::d1::D1;
use connvo_shared::jobs::{JobMessage, MAX_QUEUE_DELAY_SECS};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::notifications::decide::{History, GROUP_WINDOW_MS};
use connvo_shared::notifications::wire::from_stored;
use connvo_shared::notifications::{plan, Decision, Loaded, Outgoing};
use connvo_shared::sql::notifications::{
    NotificationCountSince, NotificationCounterGet, NotificationPrefsGet, NotificationSimilar,
};
use connvo_shared::sql::users::UserGet;
use connvo_shared::ApiError;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::json;
use worker::Env;

use super::hub;
use crate::clock::now_ms;
use crate::entropy::random;
use crate::jobs::send::send;
use crate::logging;

/// Notification ids.
pub const NOTIFICATION_PREFIX: &str = "ntf_";
const HOUR_MS: i64 = 3_600_000;

#[derive(Deserialize)]
struct PrefsRow {
    prefs: String,
}
#[derive(Deserialize)]
struct Count {
    n: u32,
}
#[derive(Deserialize)]
struct Similar {
    id: String,
    created_at: i64,
    count: u32,
}
#[derive(Deserialize)]
struct EmailRow {
    email: Option<String>,
    deleted_at: Option<i64>,
}
#[derive(Deserialize)]
struct Unread {
    unread: i64,
}

/// What happened to one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notified {
    /// Preferences turned it off (N1).
    Dropped,
    /// A duplicate of an event already notified (same dedupe key).
    Duplicate,
    /// Created or grouped into this notification.
    Stored(String),
}

/// Notifies one user. Errors are D1's; the hub push and the queue are best
/// effort (logged): the row is the truth and REST reads it.
pub async fn notify(env: &Env, n: &Outgoing) -> Result<Notified, ApiError> {
    let now = now_ms();
    let db = D1::from_env(env)?;
    let mut reads = vec![
        NotificationPrefsGet {
            user_id: &n.user_id,
        }
        .statement(),
        NotificationCountSince {
            user_id: &n.user_id,
            since: now - HOUR_MS,
        }
        .statement(),
        UserGet { id: &n.user_id }.statement(),
    ];
    if let Some(key) = &n.group_key {
        reads.push(
            NotificationSimilar {
                user_id: &n.user_id,
                group_key: key,
                since: now - GROUP_WINDOW_MS,
            }
            .statement(),
        );
    }
    let loaded = db.batch(&reads).await?;
    let prefs_row: Option<PrefsRow> = loaded.first().and_then(|o| o.first().ok().flatten());
    let created: Option<Count> = loaded.get(1).and_then(|o| o.first().ok().flatten());
    let user: Option<EmailRow> = loaded.get(2).and_then(|o| o.first().ok().flatten());
    let similar: Option<Similar> = loaded.get(3).and_then(|o| o.first().ok().flatten());
    let Some(user) = user.filter(|u| u.deleted_at.is_none()) else {
        // An erased or unknown user has no inbox.
        return Ok(Notified::Dropped);
    };
    let id = new_id(NOTIFICATION_PREFIX, now, random::<10>()?);
    let p = plan(
        n,
        &Loaded {
            prefs: from_stored(prefs_row.as_ref().map(|r| r.prefs.as_str())),
            history: History {
                created_last_hour: created.map_or(0, |c| c.n),
                similar: similar
                    .as_ref()
                    .map(|s| (s.id.as_str(), s.created_at, s.count)),
            },
            email: user.email.as_deref().filter(|e| !e.is_empty()),
        },
        now,
        &id,
    );
    let Some(notification_id) = p.notification_id.clone() else {
        return Ok(Notified::Dropped);
    };
    let mut statements = p.statements.clone();
    statements.push(
        NotificationCounterGet {
            user_id: &n.user_id,
        }
        .statement(),
    );
    let done = db.batch(&statements).await?;
    if matches!(p.decision, Decision::Create { .. }) && done.first().is_some_and(|o| o.changes == 0)
    {
        return Ok(Notified::Duplicate);
    }
    let unread = done
        .last()
        .and_then(|o| o.first::<Unread>().ok().flatten())
        .map_or(0, |u| u.unread);
    if let Some(notification) = p.push {
        let frame =
            json!({ "type": "notification", "notification": notification, "unread": unread });
        if let Err(err) = hub::post(env, &n.user_id, &frame).await {
            warn("hub push failed", &n.user_id, &err);
        }
    }
    if let Some(email) = p.email {
        let delay = u32::try_from((email.delay_ms + 999) / 1000)
            .unwrap_or(u32::MAX)
            .min(MAX_QUEUE_DELAY_SECS);
        if let Err(err) = send(env, &JobMessage::new(email.job), delay).await {
            warn("email job not queued", &n.user_id, &err.message);
        }
    }
    Ok(Notified::Stored(notification_id))
}

fn warn(what: &str, user_id: &str, err: &str) {
    logging::emit(
        &LogLine::new(Level::Warn, what, "notifications")
            .field("user_id", user_id)
            .field("error", err),
        Level::Warn,
    );
}

/// Notifies several users concurrently; failures are logged, never
/// returned (the producer's own work is done and must not fail for this).
pub async fn notify_all(env: &Env, items: &[Outgoing]) {
    // A few at a time: each holds D1 and hub subrequests open.
    for chunk in items.chunks(CONCURRENCY) {
        let results = join_all(chunk.iter().map(|n| notify(env, n))).await;
        for (n, result) in chunk.iter().zip(results) {
            if let Err(err) = result {
                warn("notification failed", &n.user_id, &err.message);
            }
        }
    }
}

/// Notifications in flight at once in [`notify_all`].
const CONCURRENCY: usize = 16;
