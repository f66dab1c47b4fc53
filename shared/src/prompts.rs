//! `GET /v1/meetings/{id}/prompts` (members only; requirement 9.3): a
//! meeting's prompts of one type, oldest first, in bounded keyset pages.
//! `?type=precall|incall` (default `precall`), `?limit=` 1–100 (default
//! 50), `?cursor=` the previous page's `next_cursor`.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::page;
use crate::sql::prompts::PromptListByMeeting;
use crate::sql::Statement;
use crate::validation::{invalid, reason};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// A parsed prompts query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptQuery {
    /// `precall` or `incall` (the `prompts.type` values).
    pub kind: &'static str,
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// Parses the query string pairs.
pub fn parse_query(pairs: &[(String, String)]) -> Result<PromptQuery, ApiError> {
    let mut q = PromptQuery {
        kind: "precall",
        after: None,
        limit: DEFAULT_LIMIT,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "type" => {
                q.kind = match v.as_str() {
                    "precall" => "precall",
                    "incall" => "incall",
                    _ => {
                        return Err(invalid(
                            "type",
                            reason::INVALID_VALUE,
                            "type must be precall or incall",
                        ))
                    }
                }
            }
            "limit" => q.limit = page::limit(v, MAX_LIMIT)?,
            "cursor" => q.after = Some(page::cursor(v)?),
            other => return Err(page::unknown(other)),
        }
    }
    Ok(q)
}

/// The page's statement (one more row than the limit, to know if more follow).
pub fn statement(meeting_id: &str, q: &PromptQuery) -> Statement {
    let (after_created_at, after_id) = q
        .after
        .as_ref()
        .map_or((-1, ""), |(t, id)| (*t, id.as_str()));
    PromptListByMeeting {
        meeting_id,
        kind: q.kind,
        after_created_at,
        after_id,
        limit: q.limit + 1,
    }
    .statement()
}

/// A row of `PROMPT_LIST_BY_MEETING`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PromptRow {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub tags: String,
    pub relevance: f64,
    pub source: String,
    pub trigger_reason: Option<String>,
    pub source_prompt_id: Option<String>,
    pub used_at: Option<i64>,
    pub feedback: Option<String>,
    pub feedback_at: Option<i64>,
    pub created_at: i64,
}

impl PromptRow {
    pub fn to_json(&self) -> Value {
        let tags: Value = serde_json::from_str(&self.tags).unwrap_or_else(|_| json!([]));
        json!({
            "id": self.id, "type": self.kind, "content": self.content, "tags": tags,
            "relevance": self.relevance, "source": self.source,
            "trigger_reason": self.trigger_reason, "source_prompt_id": self.source_prompt_id,
            "used_at": self.used_at, "feedback": self.feedback, "feedback_at": self.feedback_at,
            "created_at": self.created_at,
        })
    }
}

/// The page: at most `limit` items and the cursor of the next page.
pub fn page_json(rows: &[PromptRow], q: &PromptQuery) -> Value {
    let limit = usize::try_from(q.limit).unwrap_or(0);
    let more = rows.len() > limit;
    let items: Vec<&PromptRow> = rows.iter().take(limit).collect();
    let next = more
        .then(|| items.last().map(|r| page::encode(r.created_at, &r.id)))
        .flatten();
    json!({
        "items": items.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
        "next_cursor": next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
    }

    fn row(id: &str, t: i64) -> PromptRow {
        PromptRow {
            id: id.into(),
            kind: "precall".into(),
            content: "c".into(),
            tags: r#"["rust"]"#.into(),
            relevance: 0.5,
            source: "heuristic".into(),
            trigger_reason: None,
            source_prompt_id: None,
            used_at: None,
            feedback: None,
            feedback_at: None,
            created_at: t,
        }
    }

    #[test]
    fn queries_are_bounded_and_typed() {
        let q = parse_query(&pairs(&[("type", "incall"), ("limit", "2")])).unwrap();
        assert_eq!((q.kind, q.limit), ("incall", 2));
        assert_eq!(parse_query(&[]).unwrap().kind, "precall");
        for bad in [
            &[("type", "other")][..],
            &[("limit", "0")],
            &[("limit", "101")],
            &[("cursor", "x")],
            &[("cursor", "1.a/b")],
            &[("sort", "x")],
        ] {
            assert_eq!(
                parse_query(&pairs(bad)).unwrap_err().status(),
                400,
                "{bad:?}"
            );
        }
        let s = statement("m", &q);
        assert_eq!(s.params[4], crate::sql::SqlValue::Integer(3));
    }

    #[test]
    fn pages_carry_a_cursor_only_when_more_follow() {
        let q = parse_query(&pairs(&[("limit", "2")])).unwrap();
        let page = page_json(&[row("a", 1), row("b", 2), row("c", 3)], &q);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert_eq!(page["items"][0]["tags"], json!(["rust"]));
        let cursor = page["next_cursor"].as_str().unwrap();
        assert_eq!(cursor, "2.b");
        let next = parse_query(&pairs(&[("cursor", cursor)])).unwrap();
        assert_eq!(next.after, Some((2, "b".into())));
        assert!(page_json(&[row("a", 1)], &q)["next_cursor"].is_null());
    }
}
