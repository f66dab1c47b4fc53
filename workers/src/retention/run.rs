//! One retention run (P13–P18): the plan's bounded deletes, each repeated
//! while it deletes a full batch, within a statement budget; the counters
//! are logged (and returned by the dev route). Every personal-data delete
//! checks legal holds inside its own statement (P15).

use connvo_rooms::d1::D1;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::retention::{plan, Policy, Report, RetentionRun};
use connvo_shared::ApiError;
use worker::{Env, Response};

use crate::clock::now_ms;
use crate::logging;
use crate::pipeline::Call;
use crate::respond;

/// Rows per delete statement.
const BATCH: i64 = 500;
/// Statements per run (one cron tick): at most 100 × 500 rows.
const MAX_STATEMENTS: u32 = 100;

pub async fn run(env: &Env) -> Result<Report, ApiError> {
    let db = D1::from_env(env)?;
    let mut run = RetentionRun::new(plan(&Policy::default(), now_ms(), BATCH), MAX_STATEMENTS);
    while let Some(statement) = run.next_statement() {
        let changes = db.run(statement.clone()).await?;
        run.record(u64::try_from(changes).unwrap_or(0));
    }
    let report = run.report();
    let deleted: u64 = report.deleted.values().sum();
    logging::emit(
        &LogLine::new(Level::Info, "retention run", "cron")
            .field("deleted", deleted)
            .field("statements", report.statements_run)
            .field("complete", report.complete)
            .field(
                "by_class",
                serde_json::to_string(&report.deleted).unwrap_or_default(),
            ),
        Level::Info,
    );
    Ok(report)
}

/// The cron hook: a failure is logged, and the next tick carries on.
pub async fn tick(env: &Env) {
    if let Err(err) = run(env).await {
        logging::emit(
            &LogLine::new(Level::Error, "retention run failed", "cron")
                .field("error", err.message.as_str()),
            Level::Error,
        );
    }
}

/// `POST /v1/dev/retention/run` (dev auth only): one run now, its report.
pub async fn dev(_call: &Call, env: &Env) -> Result<Response, ApiError> {
    let report = run(env).await?;
    Ok(respond::json(200, &serde_json::json!({ "report": report })))
}
