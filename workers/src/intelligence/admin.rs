//! `GET /v1/admin/flags` and `PUT /v1/admin/flags` (rule I30): this
//! environment's feature flags, for callers allowed `ManageFeatureFlags`
//! (organisation admins). Flags are environment-wide, so only a platform
//! operator (`FLAG_OPERATORS`) changes them beyond the caller's own
//! organisation's override (I38, `flag_admin::authorize_set`). A change
//! requires a reason; it is
//! written with the operator on the row and audited
//! (`admin.feature_flag.set`, with the previous row), this isolate's flag
//! cache is dropped, every other isolate's expires within
//! `CACHE_TTL_MS`, and a change to `intelligence.incall` is pushed at once
//! to the live rooms (`room_internal::FlagsNotice`, each room's own answer
//! for its meeting and organisation).

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::flag_admin::{
    authorize_set, is_operator, list_json, parse_set, plan_set, StoredFlag, ACTION_SET,
};
use connvo_shared::intelligence::flags::{FlagKey, FlagSet};
use connvo_shared::log::{Level, LogLine};
use connvo_shared::room_internal::FlagsNotice;
use connvo_shared::sql::flags::{FlagGet, FlagListForEnv, FlagLiveMeetings};
use connvo_shared::ApiError;
use futures::future::join_all;
use serde::Deserialize;
use worker::{Env, Response};

use super::flags::{env_name, forget};
use crate::audit::record;
use crate::clock::now_ms;
use crate::config::{var, Config, Environment};
use crate::logging;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;
use crate::room_client::Room;

/// Live rooms told at once about an in-call flag change; the rest (and any
/// room that missed the notice) follow the flag cache within its TTL.
const MAX_ROOMS_NOTIFIED: i64 = 200;
/// Rooms notified concurrently.
const NOTIFY_CONCURRENCY: usize = 20;

/// `GET /v1/admin/flags`: read from D1 (not the cache), so an operator
/// sees their change at once.
pub async fn list(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let org = call.org_id()?;
    let name = env_name(env);
    let stored = D1::from_env(env)?
        .all::<StoredFlag>(FlagListForEnv { env: name })
        .await?;
    Ok(respond::json(200, &list_json(name, &stored, Some(org))))
}

/// `PUT /v1/admin/flags`
pub async fn set(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let org = call.org_id()?;
    let set = parse_set(&call.body)?;
    let name = env_name(env);
    let db = D1::from_env(env)?;
    let previous = db
        .first::<StoredFlag>(FlagGet {
            key: set.key.as_str(),
            env: name,
        })
        .await?;
    let operator = is_operator(
        var(env, "FLAG_OPERATORS").as_deref(),
        Config::from_env(env).environment == Environment::Local,
        authed.user_id(),
    );
    authorize_set(&set, previous.as_ref(), org, operator)?;
    let plan = plan_set(name, &set, previous.as_ref(), authed.user_id(), now_ms());
    let outcomes = db.batch(&plan.statements).await?;
    forget();
    let mut event = AuditEvent::new(ACTION_SET, Outcome::Success, "feature_flag")
        .actor(authed.user_id())
        .org(Some(org.to_owned()))
        .resource(set.key.as_str());
    for (k, v) in plan.audit_meta {
        event = event.meta(k, v);
    }
    record(ctx, event);
    let stored: StoredFlag = outcomes
        .get(1)
        .map(|o| o.first::<StoredFlag>())
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::internal("the flag row is missing after its write"))?;
    let notified = if plan.notify_rooms {
        notify_rooms(ctx, env, &db, &stored).await
    } else {
        0
    };
    let mut body = stored.to_json();
    body["key"] = serde_json::json!(stored.key);
    body["env"] = serde_json::json!(name);
    body["rooms_notified"] = serde_json::json!(notified);
    Ok(respond::json(200, &body))
}

#[derive(Deserialize)]
struct LiveMeeting {
    id: String,
    org_id: Option<String>,
}

/// Tells each live room its meeting's in-call answer; returns how many
/// rooms took the notice. A failure is logged, never fatal: the room's
/// own flag reads catch up within the cache TTL.
async fn notify_rooms(ctx: &RequestCtx, env: &Env, db: &D1, row: &StoredFlag) -> usize {
    let live = match db
        .all::<LiveMeeting>(FlagLiveMeetings {
            limit: MAX_ROOMS_NOTIFIED,
        })
        .await
    {
        Ok(rows) => rows,
        Err(err) => {
            logging::emit(
                &LogLine::new(Level::Warn, "live meetings not read", &ctx.request_id)
                    .field("error", err.to_string()),
                Level::Warn,
            );
            return 0;
        }
    };
    let set = &FlagSet::new([row.to_row()]);
    let mut ok = 0;
    for chunk in live.chunks(NOTIFY_CONCURRENCY) {
        let sends = chunk.iter().map(|m| async move {
            let notice = FlagsNotice {
                incall: set.is_on(FlagKey::Incall, m.org_id.as_deref(), &m.id),
            };
            let room = Room::new(env, &m.id, &ctx.request_id);
            let result = room.flags(&notice).await;
            let delivered = result.is_ok();
            room.notify("flags", result);
            delivered
        });
        ok += join_all(sends).await.into_iter().filter(|d| *d).count();
    }
    ok
}
