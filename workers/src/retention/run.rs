//! One retention run (P13–P18, P22–P25): the section 14 defaults with the
//! organisations' storage policies over them, turned into bounded deletes,
//! each repeated while it deletes a full batch, within a statement budget.
//! Every personal-data delete checks legal holds inside its own statement
//! (P15). The counters are logged, kept as a `retention_runs` row (listed
//! to org admins by `GET /v1/admin/retention/runs`) and returned by the dev
//! route.

use connvo_rooms::d1::D1;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::retention::storage_policy::{policy_from_rows, runs_limit, StoragePolicyRow};
use connvo_shared::retention::{plan, DataClass, Report, RetentionRun, MAX_ORG_OVERRIDES};
use connvo_shared::sql::storage_policies::{
    RetentionRunInsert, RetentionRunList, StoragePolicyListForScope,
};
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::entropy::random;
use crate::logging;
use crate::pipeline::Call;
use crate::respond;

/// Rows per delete statement.
const BATCH: i64 = 500;
/// Statements per run (one cron tick): at most 100 × 500 rows.
const MAX_STATEMENTS: u32 = 100;

/// Every organisation's storage policy of the per-org classes (P24).
async fn stored_policies(db: &D1) -> Result<Vec<StoragePolicyRow>, ApiError> {
    let mut rows = Vec::new();
    for class in DataClass::ALL.into_iter().filter(|c| c.per_org()) {
        let page: Vec<StoragePolicyRow> = db
            .all(StoragePolicyListForScope {
                scope: class.as_str(),
                limit: i64::try_from(MAX_ORG_OVERRIDES).unwrap_or(500),
            })
            .await?;
        rows.extend(page);
    }
    Ok(rows)
}

pub async fn run(env: &Env, trigger: &str) -> Result<Report, ApiError> {
    let db = D1::from_env(env)?;
    let started_at = now_ms();
    let (policy, skipped) = policy_from_rows(&stored_policies(&db).await?);
    let mut run = RetentionRun::new(plan(&policy, started_at, BATCH), MAX_STATEMENTS);
    while let Some(statement) = run.next_statement() {
        let changes = db.run(statement.clone()).await?;
        run.record(u64::try_from(changes).unwrap_or(0));
    }
    let report = run.report();
    let deleted: u64 = report.deleted.values().sum();
    let by_class = serde_json::to_string(&report.deleted).unwrap_or_else(|_| "{}".to_owned());
    let finished_at = now_ms();
    let id = new_id("rr", finished_at, random::<10>()?);
    db.run(RetentionRunInsert {
        id: &id,
        trigger,
        deleted_json: &by_class,
        statements: i64::from(report.statements_run),
        complete: i64::from(report.complete),
        skipped_policies: i64::try_from(skipped.len()).unwrap_or(i64::MAX),
        started_at,
        finished_at,
    })
    .await?;
    let mut line = LogLine::new(Level::Info, "retention run", "cron")
        .field("deleted", deleted)
        .field("statements", report.statements_run)
        .field("complete", report.complete)
        .field("by_class", by_class);
    if !skipped.is_empty() {
        // Policies that no longer pass the bounds: their orgs got the default.
        line = line.field("skipped_policies", skipped.join(","));
    }
    logging::emit(&line, Level::Info);
    Ok(report)
}

/// The cron hook: a failure is logged, and the next tick carries on.
pub async fn tick(env: &Env) {
    if let Err(err) = run(env, "cron").await {
        logging::emit(
            &LogLine::new(Level::Error, "retention run failed", "cron")
                .field("error", err.message.as_str()),
            Level::Error,
        );
    }
}

/// `POST /v1/dev/retention/run` (dev auth only): one run now, its report.
pub async fn dev(_call: &Call, env: &Env) -> Result<Response, ApiError> {
    let report = run(env, "dev").await?;
    Ok(respond::json(200, &json!({ "report": report })))
}

/// `GET /v1/admin/retention/runs[?limit=]` (org admins): the newest runs'
/// counters, deleted rows per class. Runs are platform-wide; they carry
/// counts, never rows or ids of any organisation.
pub async fn list(_call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let limit = runs_limit(&pairs)?;
    let db = D1::from_env(env)?;
    let mut runs: Vec<Value> = db
        .all(RetentionRunList {
            before_created_at: i64::MAX,
            before_id: "~",
            limit,
        })
        .await?;
    for run in &mut runs {
        // Stored as JSON text; answered as an object.
        let deleted = run["deleted"]
            .as_str()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or_else(|| json!({}));
        run["deleted"] = deleted;
        run["complete"] = json!(run["complete"].as_i64() == Some(1));
    }
    Ok(respond::json(200, &json!({ "runs": runs })))
}
