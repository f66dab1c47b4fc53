//! The matching shells (issue 12): the queue and proposal routes
//! ([`queue`], [`proposals`]), matching cycles from cron and the dev
//! trigger ([`cycle`]), and the configuration they share. Every decision is
//! a plan in `connvo_shared::matching` (rules M12–M25); these modules load,
//! execute and respond. The routes answer 404 `DISABLED` while the
//! `matching` flag is off for the caller (default off; docs/matching.md).

pub mod cycle;
pub mod notify;
pub mod post_call;
pub mod proposals;
pub mod queue;

use connvo_shared::intelligence::flags::FlagKey;
use connvo_shared::matching::queue_plan::{disabled, MatchingConfig};
use connvo_shared::ApiError;
use worker::Env;

use crate::auth::Authed;
use crate::config::var;

fn number<T: std::str::FromStr>(env: &Env, name: &str) -> Option<T> {
    var(env, name).and_then(|v| v.trim().parse().ok())
}

/// The configuration from vars (README "Configuration"); unset or
/// unreadable values keep the defaults.
pub fn config(env: &Env) -> MatchingConfig {
    const MINUTE: i64 = 60_000;
    let mut c = MatchingConfig::default();
    if let Some(n) = number::<u32>(env, "MATCHING_SHARDS").filter(|n| (1..=4096).contains(n)) {
        c.shards = n;
    }
    if let Some(n) = number::<u32>(env, "MATCHING_SHARDS_PER_TICK").filter(|n| *n >= 1) {
        c.shards_per_tick = n;
    }
    if let Some(n) =
        number::<i64>(env, "MATCHING_CANDIDATE_FAN_OUT").filter(|n| (1..=5000).contains(n))
    {
        c.candidate_fan_out = n;
    }
    if let Some(h) = number::<i64>(env, "MATCHING_MAX_WINDOW_HOURS").filter(|h| *h >= 1) {
        c.queue.max_window_ms = h.saturating_mul(60 * MINUTE);
    }
    if let Some(h) = number::<i64>(env, "MATCHING_DECLINE_COOLDOWN_HOURS").filter(|h| *h >= 0) {
        c.scoring.decline_cooldown_ms = h.saturating_mul(60 * MINUTE);
    }
    if let Some(s) = number::<f32>(env, "MATCHING_MIN_SCORE").filter(|s| (0.0..=1.0).contains(s)) {
        c.cycle.min_score = s;
    }
    if let Some(n) = number::<usize>(env, "MATCHING_CYCLE_MAX_ENTRIES").filter(|n| *n >= 1) {
        c.cycle.max_entries = n;
    }
    if let Some(m) = number::<i64>(env, "MATCHING_RESPOND_WITHIN_MINUTES").filter(|m| *m >= 1) {
        c.cycle.respond_within_ms = m.saturating_mul(MINUTE);
    }
    c
}

/// The `matching` flag for this caller (404 `DISABLED` when off).
pub async fn gate(env: &Env, authed: &Authed) -> Result<(), ApiError> {
    let on = crate::intelligence::flags::is_on(
        env,
        FlagKey::Matching,
        authed.org_id.as_deref(),
        authed.user_id(),
    )
    .await?;
    if on {
        Ok(())
    } else {
        Err(disabled())
    }
}
