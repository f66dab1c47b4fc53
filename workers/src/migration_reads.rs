//! The legacy cutover's read switches, worker side (the rules are
//! `connvo_shared::migration_reads`, L1–L3; docs/migration.md): a read of a
//! migrated module is served only when its `migration.read.*` flag is on
//! for the caller, and `GET /v1/migration/read-switches` lists where each
//! of the caller's reads goes. The flags come from the isolate's 3 s flag
//! cache, so a switched read costs no extra D1 query on a warm isolate.

use connvo_shared::intelligence::flags::{FlagKey, FlagSet};
use connvo_shared::migration_reads::{self, ReadModule};
use connvo_shared::route::Route;
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use worker::{Env, Response};

use crate::intelligence::flags;
use crate::pipeline::Call;
use crate::respond;

/// L2: refuses a read whose module is still read from the legacy store for
/// this caller. Routes that read no migrated data pass untouched.
pub async fn gate(route: &Route, call: &Call, env: &Env) -> Result<(), ApiError> {
    let (Some(module), Some(authed)) = (ReadModule::of_route(route), call.user.as_ref()) else {
        return Ok(());
    };
    let decision = flags::decide(
        env,
        module.flag(),
        authed.org_id.as_deref(),
        authed.user_id(),
    )
    .await?;
    migration_reads::gate(module, decision)
}

/// `GET /v1/migration/read-switches`
pub async fn switches(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    expect_empty(&call.body)?;
    let rows = flags::stored(env).await?;
    let set = FlagSet::new(rows.iter().map(|r| r.to_row()));
    let org = authed.org_id.as_deref();
    let subject = authed.user_id();
    let views = migration_reads::switches(|key: FlagKey| set.evaluate(key, org, subject));
    Ok(respond::json(
        200,
        &serde_json::json!({ "switches": views }),
    ))
}
