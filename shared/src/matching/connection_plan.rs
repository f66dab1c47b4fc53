//! The connection routes as pure plans (issue 12 part 1): `POST
//! /v1/connections`, `POST /v1/connections/{id}/{accept,decline,withdraw}`,
//! `DELETE /v1/connections/{id}` (remove), `PUT`/`DELETE
//! /v1/users/{id}/block` and `GET /v1/connections`. The decisions are the
//! state machine of [`super::connections`] (M17, M18); this module parses
//! bodies and queries, turns a [`ConnectionEffect`] into one guarded
//! statement, and shapes the JSON.
//!
//! **M19 — one guarded write per move.** Every move is one statement guarded
//! by what the plan read (an insert that does nothing when the pair already
//! has a row; an update or delete `WHERE status = <read status>`). The
//! shell checks `changes() == 1`; anything else means a concurrent move
//! won, and the caller gets 409 `CONFLICT` with `details.reason =
//! "CONCURRENT_CHANGE"` and nothing written.
//!
//! **M20 — who sees a row.** Only its two members; anyone else gets 404 as
//! for an id that does not exist. A block is shown only to the blocker
//! (the blocked member's list does not reveal it; their request is refused
//! with `BLOCKED`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::connections::{
    ConnectionAction, ConnectionEffect, ConnectionError, ConnectionRow, ConnectionStatus,
};
use crate::error::{ApiError, ErrorCode};
use crate::page;
use crate::route::is_valid_id;
use crate::sql::connections::{
    ConnectionCreate, ConnectionDeleteGuarded, ConnectionListForUser, ConnectionRewrite,
};
use crate::sql::Statement;
use crate::validation::{parse_object, FieldReader};

/// The id prefix of a `connections` row.
pub const CONNECTION_PREFIX: &str = "con";
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// A `connections` row as stored (`CONNECTION_GET`, `…_BETWEEN`, `…_LIST_FOR_USER`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoredConnection {
    pub id: String,
    pub requester_id: String,
    pub addressee_id: String,
    pub status: ConnectionStatus,
    pub message: Option<String>,
    pub blocked_by: Option<String>,
    pub responded_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl StoredConnection {
    /// What the state machine reads.
    pub fn to_row(&self) -> ConnectionRow {
        ConnectionRow {
            requester_id: self.requester_id.clone(),
            addressee_id: self.addressee_id.clone(),
            status: self.status,
            blocked_by: self.blocked_by.clone(),
            responded_at: self.responded_at,
        }
    }

    /// The row as `viewer` sees it (M20: `None` for anyone else).
    pub fn to_json(&self, viewer: &str) -> Option<Value> {
        if self.requester_id != viewer && self.addressee_id != viewer {
            return None;
        }
        if self.status == ConnectionStatus::Blocked && self.blocked_by.as_deref() != Some(viewer) {
            return None;
        }
        let (peer, direction) = if self.requester_id == viewer {
            (&self.addressee_id, "outgoing")
        } else {
            (&self.requester_id, "incoming")
        };
        Some(json!({
            "id": self.id,
            "requester_id": self.requester_id,
            "addressee_id": self.addressee_id,
            "peer_id": peer,
            "direction": direction,
            "status": self.status.as_str(),
            "message": self.message,
            "responded_at": self.responded_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }))
    }
}

/// A parsed `POST /v1/connections` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody {
    pub user_id: String,
    pub message: Option<String>,
}

/// `{"user_id": "...", "message": "..."?}`. The message length is the
/// state machine's rule (M18, `MESSAGE_TOO_LONG`); here only a hard bound
/// against abuse.
pub fn parse_request(body: &[u8]) -> Result<RequestBody, ApiError> {
    let map = parse_object(body)?;
    let mut r = FieldReader::new(&map, "");
    let user_id = r.id("user_id", is_valid_id)?;
    let message = r.opt_text("message", 10_000, true)?;
    r.finish()?;
    Ok(RequestBody { user_id, message })
}

/// What the shell runs and answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionPlan {
    /// One guarded statement (M19).
    pub statement: Statement,
    /// 201 for a new row, 200 for a rewritten one, 204 for a deletion.
    pub status: u16,
    /// The row after the move (absent for a deletion).
    pub after: Option<StoredConnection>,
}

/// Turns the state machine's effect into the guarded statement and the row
/// after it. `existing` is the row the plan read (absent for an insert);
/// `new_id` is used only for an insert.
pub fn apply_effect(
    effect: ConnectionEffect,
    existing: Option<&StoredConnection>,
    message: Option<&str>,
    new_id: &str,
    now_ms: i64,
) -> Result<ConnectionPlan, ApiError> {
    match (effect, existing) {
        (
            ConnectionEffect::Insert {
                requester_id,
                addressee_id,
                status,
                blocked_by,
            },
            _,
        ) => {
            let after = StoredConnection {
                id: new_id.to_owned(),
                requester_id,
                addressee_id,
                status,
                message: message.map(str::to_owned),
                blocked_by,
                responded_at: None,
                created_at: now_ms,
                updated_at: now_ms,
            };
            Ok(ConnectionPlan {
                statement: ConnectionCreate {
                    id: &after.id,
                    requester_id: &after.requester_id,
                    addressee_id: &after.addressee_id,
                    status: after.status.as_str(),
                    message: after.message.as_deref(),
                    blocked_by: after.blocked_by.as_deref(),
                    now_ms,
                }
                .statement(),
                status: 201,
                after: Some(after),
            })
        }
        (
            ConnectionEffect::Update {
                requester_id,
                addressee_id,
                status,
                blocked_by,
                responded_at,
            },
            Some(row),
        ) => {
            // A renewed request carries its own note; other moves keep the stored one.
            let renewed = status == ConnectionStatus::Pending;
            let after = StoredConnection {
                id: row.id.clone(),
                requester_id,
                addressee_id,
                status,
                message: if renewed {
                    message.map(str::to_owned)
                } else {
                    row.message.clone()
                },
                blocked_by,
                responded_at,
                created_at: row.created_at,
                updated_at: now_ms,
            };
            Ok(ConnectionPlan {
                statement: ConnectionRewrite {
                    id: &row.id,
                    expected_status: row.status.as_str(),
                    requester_id: &after.requester_id,
                    addressee_id: &after.addressee_id,
                    status: after.status.as_str(),
                    blocked_by: after.blocked_by.as_deref(),
                    responded_at: after.responded_at,
                    message: after.message.as_deref(),
                    keep_message: !renewed,
                    now_ms,
                }
                .statement(),
                status: 200,
                after: Some(after),
            })
        }
        (ConnectionEffect::Delete, Some(row)) => Ok(ConnectionPlan {
            statement: ConnectionDeleteGuarded {
                id: &row.id,
                expected_status: row.status.as_str(),
            }
            .statement(),
            status: 204,
            after: None,
        }),
        (_, None) => Err(ApiError::from(ConnectionError::NotFound)),
    }
}

/// Rule M18 as a plan: `actor` asks `body.user_id`. `target_exists` is false
/// for a missing or deleted user (404, nothing written).
pub fn plan_request(
    actor: &str,
    body: &RequestBody,
    target_exists: bool,
    existing: Option<&StoredConnection>,
    policy: &super::connections::ConnectionPolicy,
    new_id: &str,
    now_ms: i64,
) -> Result<ConnectionPlan, ApiError> {
    if actor != body.user_id && !target_exists {
        return Err(ApiError::not_found("no such user"));
    }
    let effect = super::connections::request_connection(
        actor,
        &body.user_id,
        body.message.as_deref(),
        existing.map(StoredConnection::to_row).as_ref(),
        policy,
        now_ms,
    )?;
    apply_effect(effect, existing, body.message.as_deref(), new_id, now_ms)
}

/// Rule M17 as a plan: `actor` applies `action` to the row read by id (M20:
/// a row that is not theirs is 404).
pub fn plan_action(
    actor: &str,
    stored: Option<&StoredConnection>,
    action: ConnectionAction,
    now_ms: i64,
) -> Result<ConnectionPlan, ApiError> {
    let row = stored
        .filter(|r| r.to_json(actor).is_some())
        .ok_or(ConnectionError::NotFound)?;
    let effect = super::connections::act_on_connection(actor, &row.to_row(), action, now_ms)?;
    apply_effect(effect, Some(row), None, "", now_ms)
}

/// `PUT /v1/users/{id}/block`.
pub fn plan_block(
    actor: &str,
    target: &str,
    target_exists: bool,
    existing: Option<&StoredConnection>,
    new_id: &str,
    now_ms: i64,
) -> Result<ConnectionPlan, ApiError> {
    if actor != target && !target_exists {
        return Err(ApiError::not_found("no such user"));
    }
    let effect = super::connections::block(
        actor,
        target,
        existing.map(StoredConnection::to_row).as_ref(),
    )?;
    apply_effect(effect, existing, None, new_id, now_ms)
}

/// `DELETE /v1/users/{id}/block`: the blocker lifts their block.
pub fn plan_unblock(
    actor: &str,
    existing: Option<&StoredConnection>,
    now_ms: i64,
) -> Result<ConnectionPlan, ApiError> {
    let row = existing
        .filter(|r| r.status == ConnectionStatus::Blocked)
        .filter(|r| r.blocked_by.as_deref() == Some(actor))
        .ok_or_else(|| ApiError::not_found("you have not blocked this member"))?;
    plan_action(actor, Some(row), ConnectionAction::Unblock, now_ms)
}

/// The 409 for a guarded write that changed nothing (M19).
pub fn concurrent_change() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "the connection changed meanwhile; read it again",
    )
    .with_details(json!({ "reason": "CONCURRENT_CHANGE" }))
}

/// `GET /v1/connections?status=&cursor=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<ConnectionStatus>,
    pub before: Option<(i64, String)>,
    pub limit: i64,
}

pub fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery {
        status: None,
        before: None,
        limit: DEFAULT_LIMIT,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => q.limit = page::limit(v, MAX_LIMIT)?,
            "cursor" => q.before = Some(page::cursor(v)?),
            "status" => {
                q.status = Some(ConnectionStatus::parse(v).ok_or_else(|| {
                    crate::validation::invalid(
                        "status",
                        crate::validation::reason::INVALID_VALUE,
                        "status must be one of pending, accepted, declined, blocked",
                    )
                })?)
            }
            other => return Err(page::unknown(other)),
        }
    }
    Ok(q)
}

/// The page's statement (one row more than the limit).
pub fn list_statement(user_id: &str, q: &ListQuery) -> Statement {
    let (before_updated_at, before_id) = q
        .before
        .as_ref()
        .map_or((i64::MAX, ""), |(t, id)| (*t, id.as_str()));
    ConnectionListForUser {
        user_id,
        status: q.status.map(ConnectionStatus::as_str),
        before_updated_at,
        before_id,
        limit: q.limit + 1,
    }
    .statement()
}

/// The page as `viewer` sees it, with the next cursor when more follow.
pub fn list_json(viewer: &str, rows: &[StoredConnection], q: &ListQuery) -> Value {
    let limit = usize::try_from(q.limit).unwrap_or(0);
    let items: Vec<Value> = rows
        .iter()
        .take(limit)
        .filter_map(|r| r.to_json(viewer))
        .collect();
    let next = (rows.len() > limit)
        .then(|| rows.get(limit.wrapping_sub(1)))
        .flatten()
        .map(|r| page::encode(r.updated_at, &r.id));
    json!({ "items": items, "next_cursor": next })
}

#[cfg(test)]
mod tests {
    use super::super::connections::ConnectionPolicy;
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn stored(status: ConnectionStatus) -> StoredConnection {
        StoredConnection {
            id: "con_1".into(),
            requester_id: "ann".into(),
            addressee_id: "bob".into(),
            status,
            message: Some("hi".into()),
            blocked_by: (status == ConnectionStatus::Blocked).then(|| "ann".to_owned()),
            responded_at: None,
            created_at: NOW - 10,
            updated_at: NOW - 10,
        }
    }

    fn body(to: &str) -> RequestBody {
        RequestBody {
            user_id: to.into(),
            message: None,
        }
    }

    #[test]
    fn m19_a_request_is_one_conditional_insert() {
        let plan = plan_request(
            "ann",
            &body("bob"),
            true,
            None,
            &ConnectionPolicy::default(),
            "con_new",
            NOW,
        )
        .unwrap();
        assert_eq!(plan.status, 201);
        assert_eq!(plan.statement.name, "CONNECTION_CREATE");
        assert!(plan.statement.sql.contains("ON CONFLICT DO NOTHING"));
        let after = plan.after.unwrap();
        assert_eq!(after.status, ConnectionStatus::Pending);
        assert_eq!(after.to_json("bob").unwrap()["direction"], "incoming");
    }

    #[test]
    fn m18_refusals_write_nothing_and_keep_their_codes() {
        let p = ConnectionPolicy::default();
        let reason = |r: Result<ConnectionPlan, ApiError>| {
            let e = r.unwrap_err();
            (e.status(), e.details.unwrap()["reason"].clone())
        };
        assert_eq!(
            reason(plan_request("ann", &body("ann"), true, None, &p, "x", NOW)),
            (400, json!("SELF_REQUEST"))
        );
        let pending = stored(ConnectionStatus::Pending);
        assert_eq!(
            reason(plan_request(
                "ann",
                &body("bob"),
                true,
                Some(&pending),
                &p,
                "x",
                NOW
            )),
            (409, json!("DUPLICATE_REQUEST"))
        );
        assert_eq!(
            plan_request("ann", &body("zed"), false, None, &p, "x", NOW)
                .unwrap_err()
                .status(),
            404
        );
    }

    #[test]
    fn m19_moves_are_guarded_by_the_status_read() {
        let pending = stored(ConnectionStatus::Pending);
        let plan = plan_action("bob", Some(&pending), ConnectionAction::Accept, NOW).unwrap();
        assert_eq!(plan.statement.name, "CONNECTION_REWRITE");
        assert_eq!(plan.statement.params[1], "pending".to_sql_value());
        assert_eq!(plan.after.unwrap().status, ConnectionStatus::Accepted);
        let plan = plan_action("ann", Some(&pending), ConnectionAction::Withdraw, NOW).unwrap();
        assert_eq!(plan.status, 204);
        assert_eq!(plan.statement.name, "CONNECTION_DELETE_GUARDED");
    }

    #[test]
    fn m20_strangers_and_the_blocked_side_see_nothing() {
        let pending = stored(ConnectionStatus::Pending);
        let err = plan_action("eve", Some(&pending), ConnectionAction::Accept, NOW).unwrap_err();
        assert_eq!(err.status(), 404);
        let blocked = stored(ConnectionStatus::Blocked);
        assert!(blocked.to_json("bob").is_none());
        assert!(blocked.to_json("ann").is_some());
        assert_eq!(
            plan_unblock("bob", Some(&blocked), NOW)
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(
            plan_unblock("ann", Some(&blocked), NOW).unwrap().status,
            204
        );
    }

    #[test]
    fn lists_filter_by_status_and_page_by_cursor() {
        let q = parse_list(&[
            ("status".into(), "accepted".into()),
            ("limit".into(), "1".into()),
        ])
        .unwrap();
        let st = list_statement("ann", &q);
        assert_eq!(st.params[1], "accepted".to_sql_value());
        let rows = vec![
            stored(ConnectionStatus::Accepted),
            stored(ConnectionStatus::Accepted),
        ];
        let page = list_json("ann", &rows, &q);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["next_cursor"], format!("{}.con_1", NOW - 10));
        assert!(parse_list(&[("status".into(), "nope".into())]).is_err());
        assert!(parse_list(&[("who".into(), "x".into())]).is_err());
    }

    trait ToSqlValue {
        fn to_sql_value(&self) -> crate::sql::SqlValue;
    }
    impl ToSqlValue for &str {
        fn to_sql_value(&self) -> crate::sql::SqlValue {
            crate::sql::ToSql::to_sql(self)
        }
    }
}
