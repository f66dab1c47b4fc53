//! `GET /v1/admin/rate-limits` (organisation admins: the limits in force,
//! tiers, allow-list and the stored settings) and `PUT /v1/admin/rate-limits`
//! (platform operators only, `FLAG_OPERATORS` as for flags: the settings are
//! environment-wide). A change is validated whole
//! (`connvo_shared::operator_limits::parse_set`), written with its operator
//! and reason, audited (`admin.rate_limits.set`, with the previous
//! settings), and applies in this isolate at once and in every other within
//! `SETTINGS_TTL_MS`.

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::flag_admin::is_operator;
use connvo_shared::operator_limits::{parse_set, to_json, Settings};
use connvo_shared::sql::operations::{OperatorLimitsGet, OperatorLimitsPut};
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Response};

use super::{configured, effective, forget};
use crate::audit::record;
use crate::clock::now_ms;
use crate::config::{var, Config, Environment};
use crate::intelligence::flags::env_name;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

/// The audit action of a change.
pub const ACTION_SET: &str = "admin.rate_limits.set";

/// A row of `operator_limits`.
#[derive(Debug, Deserialize)]
pub struct StoredRow {
    pub config: String,
    pub updated_by: String,
    pub reason: String,
    pub updated_at: i64,
}

/// `GET /v1/admin/rate-limits`: read from D1, not the isolate's copy.
pub async fn get(call: &Call, env: &Env) -> Result<Response, ApiError> {
    call.org_id()?;
    let row = D1::from_env(env)?
        .first::<StoredRow>(OperatorLimitsGet { env: env_name(env) })
        .await?;
    Ok(respond::json(200, &body(env, row.as_ref())))
}

fn body(env: &Env, row: Option<&StoredRow>) -> serde_json::Value {
    let (base, allow) = configured(env, "admin");
    let settings = row.and_then(|r| serde_json::from_str::<Settings>(&r.config).ok());
    let e = settings
        .clone()
        .unwrap_or_default()
        .apply(base, &allow)
        .unwrap_or(connvo_shared::operator_limits::Effective {
            limits: base,
            tiers: Default::default(),
            allow,
        });
    let mut out = to_json(&e, settings.as_ref());
    out["env"] = json!(env_name(env));
    out["updated_by"] = json!(row.map(|r| r.updated_by.clone()));
    out["reason"] = json!(row.map(|r| r.reason.clone()));
    out["updated_at"] = json!(row.map(|r| r.updated_at));
    out
}

/// `PUT /v1/admin/rate-limits`
pub async fn set(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let org = call.org_id()?;
    let operator = is_operator(
        var(env, "FLAG_OPERATORS").as_deref(),
        Config::from_env(env).environment == Environment::Local,
        authed.user_id(),
    );
    if !operator {
        return Err(ApiError::forbidden(
            "only a platform operator (FLAG_OPERATORS) changes the rate limits",
        )
        .with_details(json!({ "reason": "NOT_AN_OPERATOR" })));
    }
    let (base, allow) = configured(env, &ctx.request_id);
    let set = parse_set(&call.body, base, &allow)?;
    let name = env_name(env);
    let db = D1::from_env(env)?;
    let previous = db
        .first::<StoredRow>(OperatorLimitsGet { env: name })
        .await?;
    let config =
        serde_json::to_string(&set.settings).map_err(|e| ApiError::internal(e.to_string()))?;
    let stored = db
        .first::<StoredRow>(OperatorLimitsPut {
            env: name,
            config: &config,
            updated_by: authed.user_id(),
            reason: &set.reason,
            now_ms: now_ms(),
        })
        .await?
        .ok_or_else(|| ApiError::internal("the settings row is missing after its write"))?;
    forget();
    let _ = effective(env, ctx).await;
    record(
        ctx,
        AuditEvent::new(ACTION_SET, Outcome::Success, "rate_limits")
            .actor(authed.user_id())
            .org(Some(org.to_owned()))
            .resource(name)
            .meta("reason", set.reason.clone())
            .meta("config", config.clone())
            .meta("previous", previous.map(|p| p.config)),
    );
    Ok(respond::json(200, &body(env, Some(&stored))))
}
