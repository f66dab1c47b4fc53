//! Revoked WorkOS sessions (`session.revoked` webhooks): their tokens are
//! refused until they would have expired anyway.
//!
//! Stored in KV (`revoked_session:v1:<sid>`, with an expiration) so every
//! isolate sees them within KV's propagation delay (about a minute), and in
//! isolate memory so the isolate that received the webhook refuses at once.
//! A KV read failure is logged and treated as "not revoked": revocation
//! narrows a token's ~5-minute life, it is not the primary control.

use std::cell::RefCell;
use std::collections::HashMap;

use connvo_shared::log::{Level, LogLine};
use worker::Env;

use crate::request::RequestCtx;
use crate::{config, logging};

/// How long a revocation is kept: longer than any token we accept lives
/// (WorkOS: ~5 minutes; dev tokens: at most an hour).
pub const REVOCATION_TTL_SECS: u64 = 24 * 60 * 60;
/// Memory entries kept per isolate before the oldest are dropped (KV still has them).
const MAX_MEMORY_ENTRIES: usize = 10_000;

thread_local! {
    static REVOKED: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
}

fn kv_key(session_id: &str) -> String {
    format!("revoked_session:v1:{session_id}")
}

fn remember(session_id: &str, until_ms: u64) {
    REVOKED.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= MAX_MEMORY_ENTRIES {
            r.clear();
        }
        r.insert(session_id.to_owned(), until_ms);
    });
}

/// True when the session was revoked.
pub async fn is_revoked(env: &Env, ctx: &RequestCtx, session_id: &str, now_ms: u64) -> bool {
    let in_memory = REVOKED.with(|r| {
        r.borrow()
            .get(session_id)
            .is_some_and(|until| *until > now_ms)
    });
    if in_memory {
        return true;
    }
    let Ok(kv) = env.kv(config::KV) else {
        return false;
    };
    match kv.get(&kv_key(session_id)).text().await {
        Ok(Some(_)) => {
            remember(session_id, now_ms + REVOCATION_TTL_SECS * 1000);
            true
        }
        Ok(None) => false,
        Err(e) => {
            logging::emit(
                &LogLine::new(
                    Level::Error,
                    "revocation check failed; allowing",
                    &ctx.request_id,
                )
                .field("error", e.to_string()),
                Level::Error,
            );
            false
        }
    }
}

/// Records a revoked session in memory and KV.
pub async fn revoke(env: &Env, session_id: &str, now_ms: u64) -> worker::Result<()> {
    remember(session_id, now_ms + REVOCATION_TTL_SECS * 1000);
    let kv = env.kv(config::KV)?;
    kv.put(&kv_key(session_id), now_ms.to_string())?
        .expiration_ttl(REVOCATION_TTL_SECS)
        .execute()
        .await?;
    Ok(())
}
