//! `PATCH /v1/meetings/{id}`: the host edits the meeting; the plan
//! (`meeting::plan::update`) checks the version and the edit, and the
//! guarded update refuses a concurrent one.

use connvo_rooms::d1::D1;
use connvo_shared::meeting::plan::update;
use connvo_shared::meeting::request::parse_patch;
use connvo_shared::ApiError;
use worker::{Env, Response};

use super::execute::{execute, For};
use crate::clock::now_ms;
use crate::pipeline::Call;
use crate::request::RequestCtx;

pub async fn update(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let now = now_ms();
    let patch = parse_patch(&call.body, now)?;
    let expected = update::expected_version(&access.meeting, &patch);
    let plan = update::plan(&access.meeting, &patch, now)?;
    let db = D1::from_env(env)?;
    let on = For::new(ctx, env, &db, access);
    let lost = |current: Option<&_>| update::lost_race(current, expected);
    Ok(execute(&on, plan, lost).await?.0)
}
