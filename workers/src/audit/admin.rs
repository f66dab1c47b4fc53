//! `GET /v1/admin/audit` (a JSON page) and `GET /v1/admin/audit/export`
//! (NDJSON, bounded pages): the caller's organisation's audit trail, for its
//! admins only. Filters: `user_id`, `meeting_id`, `action`, `from`, `to`
//! (unix ms, `to` exclusive), `cursor`, `limit`. Every statement binds the
//! admin's org, so no filter can reach another organisation's rows.

use connvo_shared::audit::{ndjson_line, AuditQuery, AuditRecord, AuditRow, Cursor, QueryKind};
use connvo_shared::ApiError;
use serde_json::json;
use worker::{Env, Headers, Request, Response};

use super::{actions, record, AuditEvent, Outcome};
use crate::auth::Authed;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;
use connvo_rooms::d1::D1;

/// Rows per D1 query when exporting.
const EXPORT_PAGE: u32 = 500;

/// `GET /v1/admin/audit`.
pub async fn list(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let (authed, org, query) = parse(call, req, QueryKind::List)?;
    let (items, next) = page(env, &query, &org, None, query.limit).await?;
    record(
        ctx,
        AuditEvent::new(actions::AUDIT_READ, Outcome::Allow, "audit_log")
            .actor(authed.user_id())
            .org(Some(org.clone()))
            .resource(org)
            .meta("filters", query.describe())
            .meta("rows", items.len()),
    );
    Ok(respond::json(
        200,
        &json!({ "items": items, "next_cursor": next.map(|c| c.encode()) }),
    ))
}

/// `GET /v1/admin/audit/export`: up to `limit` rows (≤ 10 000) as NDJSON,
/// newest first; `x-next-cursor` names the next page when there is one.
pub async fn export(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let (authed, org, query) = parse(call, req, QueryKind::Export)?;
    let mut body = String::new();
    let mut rows = 0u32;
    let mut cursor = query.cursor.clone();
    let mut more = None;
    while rows < query.limit {
        let want = (query.limit - rows).min(EXPORT_PAGE);
        let (items, next) = page(env, &query, &org, cursor.as_ref(), want).await?;
        for item in &items {
            body.push_str(&ndjson_line(item));
            body.push('\n');
        }
        rows += u32::try_from(items.len()).unwrap_or(u32::MAX);
        match next {
            Some(next) => {
                cursor = Some(next.clone());
                more = Some(next);
            }
            None => {
                more = None;
                break;
            }
        }
    }
    record(
        ctx,
        AuditEvent::new(actions::AUDIT_EXPORT, Outcome::Allow, "audit_log")
            .actor(authed.user_id())
            .org(Some(org.clone()))
            .resource(org)
            .meta("filters", query.describe())
            .meta("rows", rows),
    );
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/x-ndjson");
    let _ = headers.set(
        "content-disposition",
        "attachment; filename=\"audit.ndjson\"",
    );
    if let Some(next) = more {
        let _ = headers.set("x-next-cursor", &next.encode());
    }
    Response::ok(body)
        .map(|r| r.with_headers(headers))
        .map_err(|e| ApiError::internal(format!("building the export failed: {e}")))
}

/// The admin (the pipeline decided `ReadAuditLog`/`ExportAuditLog` and
/// audited any refusal), their organisation, and the parsed query.
fn parse<'a>(
    call: &'a Call,
    req: &Request,
    kind: QueryKind,
) -> Result<(&'a Authed, String, AuditQuery), ApiError> {
    let authed = call.user()?;
    let org = call.org_id()?.to_owned();
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL is malformed"))?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = AuditQuery::parse(&pairs, kind)?;
    Ok((authed, org, query))
}

/// One page of at most `size` rows, and the cursor after it if more exist.
async fn page(
    env: &Env,
    query: &AuditQuery,
    org: &str,
    cursor: Option<&Cursor>,
    size: u32,
) -> Result<(Vec<AuditRecord>, Option<Cursor>), ApiError> {
    // One extra row tells whether another page exists.
    let d1 = D1::from_env(env)?;
    let rows: Vec<AuditRow> = d1
        .all(query.statement(org, cursor, size.saturating_add(1)))
        .await?;
    let mut items: Vec<AuditRecord> = rows.into_iter().map(AuditRecord::from).collect();
    let more = items.len() > size as usize;
    items.truncate(size as usize);
    let next = more.then(|| items.last()).flatten().map(|last| Cursor {
        created_at: last.created_at,
        id: last.id.clone(),
    });
    Ok((items, next))
}
