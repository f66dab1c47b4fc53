//! Writes what the room hands off to D1, through the one executor
//! ([`crate::d1::D1`]): each flush batch as one D1 batch of its registry
//! statements (`FlushBatch::statements`, natural keys, so a retried flush
//! writes nothing twice), and audit rows (`AuditEvent::statement`).

use connvo_shared::audit::{AuditContext, AuditEvent, AUDIT_ID_BYTES};
use connvo_shared::room::FlushBatch;
use worker::Env;

use crate::d1::D1;
use crate::sockets::random;

/// Writes one flush; returns the number of statements run.
pub async fn flush(env: &Env, batch: &FlushBatch, now_ms: u64) -> Result<usize, String> {
    let statements = batch.statements(now_ms).map_err(|e| e.to_string())?;
    if statements.is_empty() {
        return Ok(0);
    }
    let db = D1::from_env(env).map_err(|e| e.to_string())?;
    db.batch(&statements).await.map_err(|e| e.to_string())?;
    Ok(statements.len())
}

/// Writes audit rows, in one batch.
pub async fn audit(env: &Env, rows: &[(AuditEvent, AuditContext)]) -> Result<(), String> {
    if rows.is_empty() {
        return Ok(());
    }
    let statements = rows
        .iter()
        .map(|(event, ctx)| {
            random::<AUDIT_ID_BYTES>()
                .map(|id| event.statement(&id, ctx))
                .ok_or_else(|| "no randomness for an audit id".to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let db = D1::from_env(env).map_err(|e| e.to_string())?;
    db.batch(&statements).await.map_err(|e| e.to_string())?;
    Ok(())
}
