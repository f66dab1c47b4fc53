//! `GET|POST /v1/admin/storage-policies` and `PUT|DELETE
//! /v1/admin/storage-policies/{id}` (P22–P25): organisation admins set how
//! long their organisation's messages and recordings are kept; audited
//! (`admin.storage_policy.create|update|delete`). Validation and the
//! statements are `connvo_shared::retention::storage_policy`; the next
//! retention run applies the change.

use connvo_rooms::d1::D1;
use connvo_shared::audit::{AuditEvent, Outcome};
use connvo_shared::meeting::ids::new_id;
use connvo_shared::retention::storage_policy::{
    create as plan_create, duplicate, parse_create, parse_update, update as plan_update,
    StoragePolicyRow, MAX_PER_ORG,
};
use connvo_shared::retention::{DataClass, Policy};
use connvo_shared::sql::storage_policies::{
    StoragePolicyDelete, StoragePolicyGet, StoragePolicyListForOrg,
};
use connvo_shared::validation::expect_empty;
use connvo_shared::ApiError;
use serde_json::{json, Map, Value};
use worker::{Env, Response};

use crate::audit;
use crate::clock::now_ms;
use crate::entropy::random;
use crate::pipeline::Call;
use crate::request::RequestCtx;
use crate::respond;

fn audit_policy(
    ctx: &RequestCtx,
    call: &Call,
    action: &str,
    row: &StoragePolicyRow,
) -> Result<(), ApiError> {
    audit::record(
        ctx,
        AuditEvent::new(action, Outcome::Success, "storage_policy")
            .actor(call.user()?.user_id())
            .org(Some(call.org_id()?))
            .resource(row.id.as_str())
            .meta("scope", row.scope.as_str())
            .meta("retention_days", row.retention_days)
            .meta("auto_delete", row.auto_delete != 0)
            .meta("tier", row.tier.as_str()),
    );
    Ok(())
}

async fn get(db: &D1, id: &str, org_id: &str) -> Result<StoragePolicyRow, ApiError> {
    db.first(StoragePolicyGet { id, org_id })
        .await?
        .ok_or_else(|| ApiError::not_found("no such storage policy in your organisation"))
}

/// `GET /v1/admin/storage-policies`: the organisation's policies, and what
/// applies to each class without one (the section 14 schedule, P13).
pub async fn list(call: &Call, env: &Env) -> Result<Response, ApiError> {
    let org_id = call.org_id()?;
    let db = D1::from_env(env)?;
    let policies: Vec<StoragePolicyRow> = db
        .all(StoragePolicyListForOrg {
            org_id,
            limit: MAX_PER_ORG,
        })
        .await?;
    let defaults = Policy::default();
    let mut by_class = Map::new();
    for class in DataClass::ALL {
        by_class.insert(
            class.as_str().to_owned(),
            json!({
                "days": defaults.days(class),
                "per_org": class.per_org(),
            }),
        );
    }
    Ok(respond::json(
        200,
        &json!({ "policies": policies, "defaults": Value::Object(by_class) }),
    ))
}

/// `POST /v1/admin/storage-policies`: 201 `{policy}`; 409 `POLICY_EXISTS`
/// when the organisation has one for that scope already.
pub async fn create(ctx: &RequestCtx, call: &Call, env: &Env) -> Result<Response, ApiError> {
    let org_id = call.org_id()?;
    let input = parse_create(&call.body)?;
    let now = now_ms();
    let id = new_id("sp", now, random::<10>()?);
    let db = D1::from_env(env)?;
    let by = call.user()?.user_id();
    if db.run(plan_create(&id, org_id, &input, by, now)).await? == 0 {
        return Err(duplicate(input.scope));
    }
    let row = get(&db, &id, org_id).await?;
    audit_policy(ctx, call, "admin.storage_policy.create", &row)?;
    Ok(respond::json(201, &json!({ "policy": row })))
}

/// `PUT /v1/admin/storage-policies/{id}`: the whole policy but its scope.
pub async fn update(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    policy_id: &str,
) -> Result<Response, ApiError> {
    let org_id = call.org_id()?;
    let db = D1::from_env(env)?;
    let current = get(&db, policy_id, org_id).await?;
    let scope = DataClass::parse(&current.scope)
        .ok_or_else(|| ApiError::internal("a stored policy has an unknown scope"))?;
    let input = parse_update(&call.body, scope)?;
    db.run(plan_update(policy_id, org_id, &input, now_ms()))
        .await?;
    let row = get(&db, policy_id, org_id).await?;
    audit_policy(ctx, call, "admin.storage_policy.update", &row)?;
    Ok(respond::json(200, &json!({ "policy": row })))
}

/// `DELETE /v1/admin/storage-policies/{id}`: the class follows the default
/// again; 200 `{policy}` (as it was).
pub async fn delete(
    ctx: &RequestCtx,
    call: &Call,
    env: &Env,
    policy_id: &str,
) -> Result<Response, ApiError> {
    expect_empty(&call.body)?;
    let org_id = call.org_id()?;
    let db = D1::from_env(env)?;
    let row = get(&db, policy_id, org_id).await?;
    db.run(
        StoragePolicyDelete {
            id: policy_id,
            org_id,
        }
        .statement(),
    )
    .await?;
    audit_policy(ctx, call, "admin.storage_policy.delete", &row)?;
    Ok(respond::json(200, &json!({ "policy": row })))
}
