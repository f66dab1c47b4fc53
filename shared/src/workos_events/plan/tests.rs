use serde_json::{json, Value};

use super::*;
use crate::idempotency::{Decision, StoredKey};
use crate::workos_events::decode;

const NOW: i64 = 1_704_200_000_000;

fn body(event: &str, data: Value) -> Vec<u8> {
    json!({"id": "event_01", "event": event, "data": data, "created_at": "2024-01-01T00:00:00.000Z"})
        .to_string()
        .into_bytes()
}

fn user(org: Option<&str>, role: Option<&str>) -> StoredUser {
    serde_json::from_value(json!({
        "id": "user_1", "org_id": org, "org_role": role, "email": null, "display_name": null,
        "avatar_url": null, "is_active": 1, "deleted_at": null, "membership_updated_at": 1,
        "created_at": 1, "updated_at": 1
    }))
    .unwrap()
}

fn planned(raw: &[u8], before: Option<StoredUser>) -> WorkosPlan {
    let d = decode(raw).unwrap();
    let work = delivery(&d, raw);
    plan(&d, before, &work, NOW)
}

fn names(p: &WorkosPlan) -> Vec<&'static str> {
    p.batch.iter().map(|s| s.name).collect()
}

fn membership(role: &str, status: &str) -> Vec<u8> {
    body(
        "organization_membership.updated",
        json!({"user_id": "user_1", "organization_id": "org_1", "status": status,
               "role": {"slug": role}, "updated_at": "2024-01-02T00:00:00Z"}),
    )
}

#[test]
fn a_change_and_its_completion_are_one_batch() {
    let p = planned(&membership("member", "active"), None);
    assert_eq!(
        names(&p),
        ["USER_APPLY_MEMBERSHIP_EVENT", "IDEMPOTENCY_COMPLETE"]
    );
    assert_eq!(p.forget_user.as_deref(), Some("user_1"));
    assert_eq!(p.revoke_session, None);
    let done = p.batch.last().unwrap();
    assert_eq!(done.params[0], crate::sql::SqlValue::Text(SCOPE.into()));
    assert_eq!(
        done.params[1],
        crate::sql::SqlValue::Text("event_01".into())
    );
}

#[test]
fn a_demotion_is_audited_with_the_previous_role() {
    let p = planned(
        &membership("member", "active"),
        Some(user(Some("org_1"), Some("admin"))),
    );
    let s = p.settle(&[1, 1]);
    assert_eq!(s.status, "processed");
    assert_eq!(s.revocation, None, "an org role grants nothing in a room");
    assert_eq!(s.audit.len(), 1);
    assert_eq!(s.audit[0].action, actions::ORG_ROLE_CHANGE);
    assert_eq!(s.audit[0].metadata["from"], "admin");
    assert_eq!(s.audit[0].metadata["to"], "member");
    // The same role again: nothing to audit.
    let p = planned(
        &membership("member", "active"),
        Some(user(Some("org_1"), Some("member"))),
    );
    assert!(p.settle(&[1, 1]).audit.is_empty());
}

#[test]
fn an_out_of_order_event_is_superseded() {
    let p = planned(&membership("admin", "active"), None);
    let s = p.settle(&[0, 1]);
    assert_eq!(s.status, "superseded");
    assert!(s.audit.is_empty());
    assert_eq!(s.note.map(|n| n.0), Some(Level::Info));
}

#[test]
fn removal_and_deletion_close_the_users_rooms() {
    let s = planned(&membership("member", "inactive"), None).settle(&[1, 1]);
    assert_eq!(
        s.revocation,
        Some(Revocation {
            user_id: "user_1".into(),
            org_id: Some("org_1".into()),
            cause: "organization_membership.updated".into()
        })
    );
    assert_eq!(s.audit[0].action, actions::ORG_MEMBERSHIP_REMOVED);
    let p = planned(
        &body("user.deleted", json!({"id": "user_1"})),
        Some(user(Some("org_9"), None)),
    );
    assert_eq!(names(&p), ["USER_SOFT_DELETE", "IDEMPOTENCY_COMPLETE"]);
    let s = p.settle(&[1, 1]);
    assert_eq!(s.audit[0].action, actions::USER_DELETED);
    assert_eq!(s.audit[0].org_id.as_deref(), Some("org_9"));
    assert_eq!(s.revocation.unwrap().org_id, None);
}

#[test]
fn a_revoked_session_goes_to_kv_first_and_to_the_rooms() {
    let p = planned(
        &body(
            "session.revoked",
            json!({"id": "session_1", "user_id": "user_1"}),
        ),
        None,
    );
    assert_eq!(p.revoke_session.as_deref(), Some("session_1"));
    assert_eq!(names(&p), ["IDEMPOTENCY_COMPLETE"]);
    // No change statement: revoked whatever `changes` says.
    let s = p.settle(&[0]);
    assert_eq!(s.status, "processed");
    assert_eq!(s.audit[0].action, actions::SESSION_REVOKED);
    assert_eq!(s.revocation.unwrap().user_id, "user_1");
}

#[test]
fn unknown_types_and_role_updates_are_acknowledged() {
    let p = planned(&body("dsync.group.created", json!({"id": "g"})), None);
    assert_eq!(
        load(&decode(&body("dsync.group.created", json!({}))).unwrap()),
        None
    );
    assert_eq!(p.forget_user, None);
    let s = p.settle(&[1]);
    assert_eq!(s.status, "ignored");
    assert_eq!(s.note.map(|n| n.0), Some(Level::Warn));
    let s = planned(&body("role.updated", json!({"slug": "admin"})), None).settle(&[1]);
    assert_eq!(s.status, "processed");
    assert_eq!(s.audit[0].resource_id.as_deref(), Some("admin"));
}

#[test]
fn a_reused_event_id_with_another_body_is_refused() {
    let first = membership("member", "active");
    let other = membership("admin", "active");
    let a = delivery(&decode(&first).unwrap(), &first);
    let b = delivery(&decode(&other).unwrap(), &other);
    assert_eq!(a.key, b.key);
    let stored = StoredKey {
        status: "completed".into(),
        request_hash: a.request_hash.clone(),
        result: None,
    };
    assert!(matches!(
        a.decide(0, Some(&stored)),
        Decision::Replay { .. }
    ));
    assert_eq!(b.decide(0, Some(&stored)), Decision::KeyReused);
    let claimed = StoredKey {
        status: "claimed".into(),
        ..stored
    };
    let busy = a.decide(0, Some(&claimed));
    assert_eq!(busy, Decision::InProgress);
    assert_eq!(busy.error().unwrap().status(), 409);
}
