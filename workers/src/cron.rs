//! Cron triggers (wrangler.toml `[triggers]`): periodic maintenance.

use connvo_shared::log::{Level, LogLine};
use worker::{Env, ScheduledEvent};

use crate::logging;

pub async fn run(event: ScheduledEvent, env: Env) {
    logging::emit(
        &LogLine::new(Level::Info, "cron tick", "cron").field("cron", event.cron()),
        Level::Info,
    );
    crate::meetings::sweep::provisioning(&env).await;
    crate::matching::cycle::tick(&env).await;
    crate::notifications::producers::meetings_starting(&env).await;
    crate::retention::run::tick(&env).await;
    crate::embeddings::sweep::tick(&env).await;
    crate::metrics::alerts::tick(&env).await;
    crate::privacy::sweep::tick(&env).await;
}
