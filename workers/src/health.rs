//! `GET /v1/health`: the version, and a real round trip to each binding the
//! system depends on (D1, KV, the MeetingRoom namespace). Any failed check
//! makes the answer 503 with the failing check named.

use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Method, Request, RequestInit, Response};

use crate::config::{self, Config};
use crate::request::RequestCtx;
use crate::respond;

/// The name of the Durable Object instance that answers health probes. It is
/// never a meeting id (ids cannot start with `__`).
const HEALTH_ROOM: &str = "__health__";

pub async fn health(_ctx: &RequestCtx, env: &Env) -> Result<Response, ApiError> {
    let cfg = Config::from_env(env);
    let d1 = check_d1(env).await;
    let kv = check_kv(env).await;
    let rooms = check_rooms(env).await;
    let ok = d1.is_ok() && kv.is_ok() && rooms.is_ok();
    let body = json!({
        "status": if ok { "ok" } else { "degraded" },
        "version": connvo_shared::VERSION,
        "environment": cfg.environment.as_str(),
        "checks": {
            "d1": outcome(&d1),
            "kv": outcome(&kv),
            "durable_objects": outcome(&rooms),
        }
    });
    Ok(respond::json(if ok { 200 } else { 503 }, &body))
}

fn outcome(r: &Result<(), String>) -> serde_json::Value {
    match r {
        Ok(()) => json!({ "ok": true }),
        Err(e) => json!({ "ok": false, "error": e }),
    }
}

async fn check_d1(env: &Env) -> Result<(), String> {
    let db = env.d1(config::DB).map_err(|e| e.to_string())?;
    let row: Option<serde_json::Value> = db
        .prepare(connvo_shared::sql::health::HEALTH_PING)
        .first(None)
        .await
        .map_err(|e| e.to_string())?;
    match row {
        Some(_) => Ok(()),
        None => Err("D1 answered no row".into()),
    }
}

async fn check_kv(env: &Env) -> Result<(), String> {
    let kv = env.kv(config::KV).map_err(|e| e.to_string())?;
    // A read is a real round trip; a write here would hit KV's one write per
    // second per key under any health-check load.
    kv.get("health:probe")
        .text()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn check_rooms(env: &Env) -> Result<(), String> {
    let ns = env
        .durable_object(config::ROOMS)
        .map_err(|e| e.to_string())?;
    let stub = ns
        .id_from_name(HEALTH_ROOM)
        .and_then(|id| id.get_stub())
        .map_err(|e| e.to_string())?;
    let req = Request::new_with_init(
        "https://room/health",
        RequestInit::new().with_method(Method::Get),
    )
    .map_err(|e| e.to_string())?;
    let resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())?;
    if resp.status_code() == 200 {
        Ok(())
    } else {
        Err(format!("MeetingRoom answered {}", resp.status_code()))
    }
}
