//! `POST /v1/meetings`: schedule a meeting. Load (the invitees' user rows)
//! → plan (`meeting::plan::create`: one atomic batch with the meeting, every
//! membership and the `Idempotency-Key` completion) → execute → respond 201.
//!
//! **Idempotency** (`connvo_shared::idempotency`, docs/api.md): a retry
//! with the same key and body gets the meeting again (201,
//! `idempotent-replayed: true`); the same key with another body, or while
//! the first is still running, is a 409.

use connvo_rooms::d1::D1;
use connvo_shared::acl::Action;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::idempotency::{parse_key, Idempotent, StoredKey};
use connvo_shared::jobs::Job;
use connvo_shared::meeting::plan::create;
use connvo_shared::meeting::request::parse_create;
use connvo_shared::meeting::view::{MeetingRow, ParticipantListRow, Provisioning};
use connvo_shared::signature::sha256_hex;
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::sql::Statement;
use connvo_shared::ApiError;
use worker::{Env, Request, Response};

use super::execute::{detail_json, effects, meeting_body, For};
use crate::clock::now_ms;
use crate::entropy::random;
use crate::jobs::send::enqueue;
use crate::pipeline::{self, Call};
use crate::request::RequestCtx;
use crate::respond;

/// `POST /v1/meetings`
pub async fn create(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let caller = call.user()?.caller();
    let key = parse_key(
        req.headers()
            .get("idempotency-key")
            .ok()
            .flatten()
            .as_deref(),
    )?;
    let now = now_ms();
    let input = parse_create(&call.body, &caller.user_id, now)?;
    let db = D1::from_env(env)?;

    let work = key.map(|key| create::idempotent(&caller, key, sha256_hex(&call.body)));
    if let Some(work) = &work {
        let claimed = db.run(work.claim(now)).await?;
        let stored: Option<StoredKey> = if claimed == 0 {
            db.first(work.lookup()).await?
        } else {
            None
        };
        if let Some(meeting_id) = create::after_claim(&work.decide(claimed, stored.as_ref()))? {
            return replay(ctx, env, &db, caller, &meeting_id).await;
        }
    }
    match insert(ctx, env, &db, &caller, &input, work.as_ref(), now).await {
        Ok(resp) => Ok(resp),
        Err(err) => {
            if let Some(work) = &work {
                // Give the key back so a corrected retry can use it.
                let _ = db.run(work.release()).await;
            }
            Err(err)
        }
    }
}

async fn insert(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1,
    caller: &connvo_shared::meeting::access::Caller,
    input: &connvo_shared::meeting::request::CreateMeeting,
    work: Option<&Idempotent>,
    now: i64,
) -> Result<Response, ApiError> {
    let lookups: Vec<Statement> = input
        .invitees
        .iter()
        .map(|i| UserGetForAuth { id: &i.user_id }.statement())
        .collect();
    let exist = db
        .batch(&lookups)
        .await?
        .iter()
        .map(|o| o.first::<StoredUser>().map(|u| u.is_some()))
        .collect::<Result<Vec<bool>, _>>()?;
    let plan = create::plan(caller, input, &exist, work, random::<10>()?, now)?;
    let read_back = create::read_back_index(&plan);
    let outcomes = db.batch(&plan.statements).await.map_err(|err| {
        if err.is_foreign_key() {
            create::unknown_invitee(None)
        } else {
            err.into()
        }
    })?;
    let row: MeetingRow = outcomes
        .get(read_back)
        .map(|o| o.first())
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::internal("the new meeting could not be read back"))?;
    let participants: Vec<ParticipantListRow> = outcomes
        .get(read_back + 1)
        .map(|o| o.decode())
        .transpose()?
        .unwrap_or_default();
    let role = Some(connvo_shared::acl::MeetingRole::Host);
    let on = For {
        ctx,
        env,
        db,
        caller,
        meeting_id: &row.id,
        role,
    };
    effects(&on, plan).await;
    let mut resp = respond::json(201, &detail_json(&row, role, &participants));
    let _ = resp
        .headers_mut()
        .set("location", &format!("/v1/meetings/{}", row.id));
    Ok(resp)
}

/// A retried create: the meeting the first request made, as it is now.
async fn replay(
    ctx: &RequestCtx,
    env: &Env,
    db: &D1,
    caller: connvo_shared::meeting::access::Caller,
    meeting_id: &str,
) -> Result<Response, ApiError> {
    let access = pipeline::decide(ctx, env, caller, meeting_id, Action::ReadMeeting, None).await?;
    if access.meeting.provisioning() == Provisioning::Pending {
        // The first request's job may never have been queued; another is harmless.
        let job = Job::ProvisionCall {
            meeting_id: meeting_id.to_owned(),
        };
        enqueue(env, job, &ctx.request_id).await;
    }
    let body = meeting_body(db, meeting_id, access.role()).await?;
    let mut resp = respond::json(201, &body);
    let headers = resp.headers_mut();
    let _ = headers.set("idempotent-replayed", "true");
    let _ = headers.set("location", &format!("/v1/meetings/{meeting_id}"));
    Ok(resp)
}
