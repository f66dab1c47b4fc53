//! Reading post-call insights (requirement 11; rule I36): each user reads
//! and deletes only their own.
//!
//! **I36 — insights are private.** `GET /v1/insights` lists the caller's
//! own, newest first (`?limit=` 1–50, default 20; `?cursor=`);
//! `GET /v1/meetings/{id}/insights/me` is the caller's insight of a
//! concluded meeting they were a member of (404 while none is generated);
//! `DELETE /v1/meetings/{id}/insights/me` and `DELETE /v1/insights/{id}`
//! delete the caller's own (204; 404 when there is none). Every statement
//! binds the caller's id, so no route can reach another user's insight:
//! another user's insight id is 404 (its existence is not revealed), and a
//! meeting the caller is not a member of is 403 from the meeting ACL. Org
//! admins do not read members' insights (`ReadInsights` is a member-only
//! action in the ACL; the audit log records that an insight existed, not
//! its content).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::page;
use crate::sql::insights::InsightListForUser;
use crate::sql::Statement;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;

/// A parsed `GET /v1/insights` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub before: Option<(i64, String)>,
    pub limit: i64,
}

pub fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery {
        before: None,
        limit: DEFAULT_LIMIT,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => q.limit = page::limit(v, MAX_LIMIT)?,
            "cursor" => q.before = Some(page::cursor(v)?),
            other => return Err(page::unknown(other)),
        }
    }
    Ok(q)
}

/// The page's statement (one row more than the limit).
pub fn list_statement(user_id: &str, q: &ListQuery) -> Statement {
    let (before_created_at, before_id) = q
        .before
        .as_ref()
        .map_or((i64::MAX, ""), |(t, id)| (*t, id.as_str()));
    InsightListForUser {
        user_id,
        before_created_at,
        before_id,
        limit: q.limit + 1,
    }
    .statement()
}

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A row of `INSIGHT_LIST_FOR_USER`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InsightListRow {
    pub id: String,
    pub meeting_id: String,
    pub summary: String,
    pub topics: String,
    pub action_items: String,
    pub visibility: String,
    pub created_at: i64,
}

/// The page, with the cursor of the next one when more follow.
pub fn list_json(rows: &[InsightListRow], q: &ListQuery) -> Value {
    let limit = usize::try_from(q.limit).unwrap_or(0);
    let items: Vec<Value> = rows
        .iter()
        .take(limit)
        .map(|r| {
            json!({"id": r.id, "meeting_id": r.meeting_id, "summary": r.summary,
                   "topics": parsed(&r.topics), "action_items": parsed(&r.action_items),
                   "visibility": r.visibility, "created_at": r.created_at})
        })
        .collect();
    let next = (rows.len() > limit)
        .then(|| {
            rows.get(limit - 1)
                .map(|r| format!("{}.{}", r.created_at, r.id))
        })
        .flatten();
    json!({ "items": items, "next_cursor": next })
}

/// A row of `INSIGHT_GET_FOR_MEETING` / `INSIGHT_GET`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InsightRow {
    pub id: String,
    pub user_id: String,
    pub meeting_id: String,
    pub summary: String,
    pub topics: String,
    pub decisions: String,
    pub action_items: String,
    pub recommendations: String,
    pub links: String,
    pub visibility: String,
    pub provenance: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl InsightRow {
    /// The insight as its owner reads it. Follow-ups are stored among the
    /// recommendations (`"kind": "follow_up"`), and shown on their own.
    pub fn to_json(&self) -> Value {
        let recs = parsed(&self.recommendations);
        let (follow_ups, connections): (Vec<Value>, Vec<Value>) = recs
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .partition(|r| r["kind"] == "follow_up");
        json!({
            "id": self.id, "user_id": self.user_id, "meeting_id": self.meeting_id,
            "summary": self.summary, "topics": parsed(&self.topics),
            "decisions": parsed(&self.decisions), "action_items": parsed(&self.action_items),
            "follow_ups": follow_ups, "recommendations": connections,
            "links": parsed(&self.links), "visibility": self.visibility,
            "provenance": parsed(&self.provenance),
            "created_at": self.created_at, "updated_at": self.updated_at,
        })
    }
}

/// The 404 for an insight that is not (or not yet, or not the caller's).
pub fn not_found() -> ApiError {
    ApiError::not_found("no insight of yours here")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
    }

    fn row(id: &str, t: i64) -> InsightListRow {
        InsightListRow {
            id: id.into(),
            meeting_id: "m".into(),
            summary: "s".into(),
            topics: r#"["pricing"]"#.into(),
            action_items: "[]".into(),
            visibility: "private".into(),
            created_at: t,
        }
    }

    #[test]
    fn i36_lists_are_the_callers_bounded_and_keyset_paged() {
        let q = parse_list(&pairs(&[("limit", "1")])).unwrap();
        let s = list_statement("u_me", &q);
        assert_eq!(s.params[0], crate::sql::SqlValue::Text("u_me".into()));
        assert_eq!(s.params[1], crate::sql::SqlValue::Integer(i64::MAX));
        let page = list_json(&[row("b", 2), row("a", 1)], &q);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["next_cursor"], "2.b");
        let next = parse_list(&pairs(&[("cursor", "2.b")])).unwrap();
        assert_eq!(next.before, Some((2, "b".into())));
        assert!(parse_list(&pairs(&[("limit", "51")])).is_err());
        assert!(parse_list(&pairs(&[("user_id", "x")])).is_err());
    }

    #[test]
    fn i36_follow_ups_are_shown_apart_from_connections() {
        let r = InsightRow {
            id: "i".into(),
            user_id: "u".into(),
            meeting_id: "m".into(),
            summary: "s".into(),
            topics: "[]".into(),
            decisions: "[]".into(),
            action_items: "[]".into(),
            recommendations:
                r#"[{"kind":"connection","user_id":"v"},{"kind":"follow_up","text":"t"}]"#.into(),
            links: "[]".into(),
            visibility: "private".into(),
            provenance: r#"{"source":"fallback"}"#.into(),
            created_at: 1,
            updated_at: 1,
        };
        let v = r.to_json();
        assert_eq!(v["follow_ups"].as_array().unwrap().len(), 1);
        assert_eq!(v["recommendations"][0]["user_id"], "v");
        assert_eq!(v["provenance"]["source"], "fallback");
    }
}
