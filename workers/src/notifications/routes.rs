//! The inbox routes (N9, N10): list (cursor, unread filter), unread count,
//! mark read, mark all read, delete and preferences (the admin's system
//! announcement is `announce.rs`). Every statement binds the caller's id, so no route reaches
//! another user's notification (another user's id is 404). Every write
//! recomputes the unread counter in the same batch (N10).

use connvo_rooms::d1::D1;
use connvo_shared::notifications::wire::{
    from_stored, list_json, parse_list, parse_put, to_json, NotificationRow,
};
use connvo_shared::sql::notifications::{
    NotificationCounterGet, NotificationCounterSync, NotificationDelete, NotificationInbox,
    NotificationMarkAllRead, NotificationMarkRead, NotificationPrefsGet, NotificationPrefsPut,
};
use connvo_shared::sql::Statement;
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::pipeline::Call;
use crate::respond;
use crate::search::query_pairs;

/// Rows marked read per statement of "mark all read"; more loops.
const MARK_ALL_BATCH: i64 = 500;
/// The most "mark all read" statements per request (bounded work).
const MARK_ALL_ROUNDS: usize = 20;

#[derive(Deserialize)]
struct Unread {
    unread: i64,
}
#[derive(Deserialize)]
struct PrefsRow {
    prefs: String,
}

fn not_found() -> ApiError {
    ApiError::not_found("no notification of yours here")
}

async fn unread(db: &D1, user_id: &str) -> Result<i64, ApiError> {
    Ok(db
        .first::<Unread>(NotificationCounterGet { user_id })
        .await?
        .map_or(0, |u| u.unread))
}

/// A write, then the counter, in one batch; returns the write's changes
/// and the counter after it.
async fn write(db: &D1, user_id: &str, change: Statement) -> Result<(usize, i64), ApiError> {
    let now = now_ms();
    let out = db
        .batch(&[
            change,
            NotificationCounterSync {
                user_id,
                now_ms: now,
            }
            .statement(),
            NotificationCounterGet { user_id }.statement(),
        ])
        .await?;
    let changes = out.first().map_or(0, |o| o.changes);
    let unread = out
        .last()
        .and_then(|o| o.first::<Unread>().ok().flatten())
        .map_or(0, |u| u.unread);
    Ok((changes, unread))
}

/// `GET /v1/notifications?cursor=&limit=&unread=`
pub async fn list(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let q = parse_list(&query_pairs(req)?)?;
    let (before_created_at, before_id) = q
        .before
        .as_ref()
        .map_or((i64::MAX, ""), |(t, id)| (*t, id.as_str()));
    let db = D1::from_env(env)?;
    let rows = db
        .all::<NotificationRow>(NotificationInbox {
            user_id: user,
            before_created_at,
            before_id,
            limit: q.limit + 1,
            unread_only: q.unread_only,
            now_ms: now_ms(),
        })
        .await?;
    let count = unread(&db, user).await?;
    Ok(respond::json(200, &list_json(&rows, &q, count)))
}

/// `GET /v1/notifications/unread-count`
pub async fn unread_count(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let count = unread(&D1::from_env(env)?, user).await?;
    Ok(respond::json(200, &json!({ "unread": count })))
}

/// `POST /v1/notifications/{id}/read`: idempotent (reading twice is 200).
pub async fn mark_read(call: &Call, env: &Env, id: &str) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    expect_empty(&call.body)?;
    let db = D1::from_env(env)?;
    let (changes, count) = write(
        &db,
        user,
        NotificationMarkRead {
            id,
            user_id: user,
            now_ms: now_ms(),
        }
        .statement(),
    )
    .await?;
    if changes == 0 {
        // Already read, or not the caller's: tell them apart without
        // revealing another user's notification.
        let mine = db
            .first::<NotificationRow>(connvo_shared::sql::notifications::NotificationGet { id })
            .await?
            .is_some_and(|r| r.user_id.as_deref() == Some(user));
        if !mine {
            return Err(not_found());
        }
    }
    Ok(respond::json(
        200,
        &json!({ "id": id, "read": true, "unread": count }),
    ))
}

/// `POST /v1/notifications/read-all`
pub async fn mark_all_read(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    expect_empty(&call.body)?;
    let db = D1::from_env(env)?;
    let mut marked = 0;
    let mut count = 0;
    for _ in 0..MARK_ALL_ROUNDS {
        let (changes, c) = write(
            &db,
            user,
            NotificationMarkAllRead {
                user_id: user,
                now_ms: now_ms(),
                limit: MARK_ALL_BATCH,
            }
            .statement(),
        )
        .await?;
        marked += changes;
        count = c;
        if i64::try_from(changes).unwrap_or(0) < MARK_ALL_BATCH {
            break;
        }
    }
    Ok(respond::json(
        200,
        &json!({ "marked": marked, "unread": count }),
    ))
}

/// `DELETE /v1/notifications/{id}`
pub async fn delete(call: &Call, env: &Env, id: &str) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let (changes, _) = write(
        &D1::from_env(env)?,
        user,
        NotificationDelete { id, user_id: user }.statement(),
    )
    .await?;
    if changes == 0 {
        return Err(not_found());
    }
    Response::empty()
        .map(|r| r.with_status(204))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `GET /v1/notifications/preferences`
pub async fn preferences(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let row = D1::from_env(env)?
        .first::<PrefsRow>(NotificationPrefsGet { user_id: user })
        .await?;
    let prefs = from_stored(row.as_ref().map(|r| r.prefs.as_str()));
    Ok(respond::json(200, &to_json(&prefs)))
}

/// `PUT /v1/notifications/preferences`: the whole document (absent fields
/// are the defaults). An unknown time zone is 400 (N8).
pub async fn put_preferences(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let prefs = parse_put(&call.body)?;
    let doc = to_json(&prefs);
    D1::from_env(env)?
        .run(NotificationPrefsPut {
            user_id: user,
            prefs: &doc.to_string(),
            now_ms: now_ms(),
        })
        .await?;
    Ok(respond::json(200, &doc))
}
