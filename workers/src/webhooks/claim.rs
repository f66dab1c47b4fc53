//! Claiming a webhook delivery under the one idempotency state machine
//! (`connvo_shared::idempotency`): claim the key, read the stored row when
//! the claim wrote nothing, and let the core decide. Both webhooks (WorkOS
//! by event id, Stream by `X-Webhook-Id`) go through here, so they answer
//! a repeat the same way: a replay is `200 {"status": "duplicate"}`, one in
//! progress `409 IDEMPOTENCY_IN_PROGRESS` with `Retry-After: 1`, the same id
//! with another body `409 IDEMPOTENCY_KEY_REUSED` (docs/api.md, "Idempotency").

use connvo_rooms::d1::D1;
use connvo_shared::idempotency::{Decision, Idempotent, StoredKey};
use connvo_shared::ApiError;
use worker::Response;

use crate::respond;

/// Claims `work` at `now_ms`; the core's decision.
pub async fn claim(d1: &D1, work: &Idempotent, now_ms: i64) -> Result<Decision, ApiError> {
    let claimed = d1.run(work.claim(now_ms)).await?;
    let stored = if claimed == 0 {
        d1.first::<StoredKey>(work.lookup()).await?
    } else {
        None
    };
    Ok(work.decide(claimed, stored.as_ref()))
}

/// The answer to a delivery that must not be applied now: the policy's
/// error (with `Retry-After` when the vendor should come back), or `None`
/// for `New` and `Replay`.
pub fn refusal(decision: &Decision) -> Option<Response> {
    let err = decision.error()?;
    let mut resp = respond::error(&err);
    if *decision == Decision::InProgress {
        let _ = resp.headers_mut().set("retry-after", "1");
    }
    Some(resp)
}
