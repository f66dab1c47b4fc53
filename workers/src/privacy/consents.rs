//! `GET /v1/me/consents` and `POST /v1/me/consents` (P19): the caller's
//! consents, versioned and append-only; a withdrawal is a row like a grant.

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::privacy::consent_routes::{
    parse_change, record, view, ConsentRow, HISTORY_LIMIT,
};
use connvo_shared::sql::privacy::ConsentListForUser;
use connvo_shared::ApiError;
use worker::{Env, Response};

use crate::audit;
use crate::clock::now_ms;
use crate::entropy::random;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

async fn rows(db: &D1, user_id: &str) -> Result<Vec<ConsentRow>, ApiError> {
    Ok(db
        .all(ConsentListForUser {
            user_id,
            limit: HISTORY_LIMIT,
        })
        .await?)
}

pub async fn get(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let user_id = call.user()?.user_id();
    let db = D1::from_env(env)?;
    Ok(respond::json(200, &view(&rows(&db, user_id).await?)))
}

pub async fn set(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let change = parse_change(&call.body)?;
    let now = now_ms();
    let id = new_id("cns", now, random::<10>()?);
    let db = D1::from_env(env)?;
    db.run(record(&id, authed.user_id(), &change, now)).await?;
    audit::record(
        ctx,
        AuditEvent::new(
            if change.consented {
                "privacy.consent.grant"
            } else {
                "privacy.consent.withdraw"
            },
            Outcome::Success,
            "user",
        )
        .actor(authed.user_id())
        .org(authed.org_id.clone())
        .resource(authed.user_id())
        .meta("consent_type", change.consent_type.as_str())
        .meta("version", change.version.as_str()),
    );
    Ok(respond::json(
        201,
        &view(&rows(&db, authed.user_id()).await?),
    ))
}
