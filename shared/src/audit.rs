//! The audit trail's pure half: what an audit event is, the stable action
//! names, and the admin query (`GET /v1/admin/audit?...`) parsed into a
//! typed value that picks its registered statement and binds its cursor.
//!
//! The Worker buffers events per request and writes them in one D1 batch
//! after the response (`wait_until`), so auditing never slows a request.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::base64url;
use crate::error::ApiError;
use crate::route::is_valid_id;
use crate::sql::audit as sql;
use crate::validation::{invalid, reason};

/// Stable action names. Other modules may use their own dotted names
/// (`meeting.end`, `notes.write`, …); these are the identity ones.
pub mod actions {
    /// A bearer credential was presented: `success` or `failure`
    /// (`metadata.reason` = the stable auth error code).
    pub const AUTHENTICATE: &str = "auth.authenticate";
    /// An ACL or role check refused an action (`metadata.reason`).
    pub const ACCESS_DENIED: &str = "access.denied";
    /// A user's organisation role changed (WorkOS membership event).
    pub const ORG_ROLE_CHANGE: &str = "org.role_change";
    /// A user left (or was removed from) an organisation.
    pub const ORG_MEMBERSHIP_REMOVED: &str = "org.membership_removed";
    /// WorkOS deleted the user; we soft-deleted and scrubbed them.
    pub const USER_DELETED: &str = "user.deleted";
    /// WorkOS revoked a session; its tokens are refused until they expire.
    pub const SESSION_REVOKED: &str = "session.revoked";
    /// A WorkOS webhook delivery: `success`, or `failure` on a bad signature.
    pub const WORKOS_WEBHOOK: &str = "webhook.workos";
    /// An admin read or exported the audit log.
    pub const AUDIT_READ: &str = "admin.audit.read";
    pub const AUDIT_EXPORT: &str = "admin.audit.export";
}

/// How an audited action ended. The wire names match the `audit_logs.outcome` CHECK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allow,
    Deny,
    Success,
    Failure,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Error => "error",
        }
    }
}

/// One audit event, before the request's context (id, IP, user agent,
/// time) is attached by the Worker.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub action: String,
    pub outcome: Outcome,
    pub actor_user_id: Option<String>,
    pub org_id: Option<String>,
    /// `meeting` for meeting-scoped events (the admin filter by meeting
    /// relies on it), else `user`, `session`, `audit_log`, `webhook`, …
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub metadata: Map<String, Value>,
}

/// Metadata values longer than this are cut: an audit row is evidence, not storage.
const MAX_META_STRING: usize = 512;

impl AuditEvent {
    pub fn new(action: &str, outcome: Outcome, resource_type: &str) -> Self {
        AuditEvent {
            action: action.to_owned(),
            outcome,
            actor_user_id: None,
            org_id: None,
            resource_type: resource_type.to_owned(),
            resource_id: None,
            metadata: Map::new(),
        }
    }

    pub fn actor(mut self, user_id: impl Into<String>) -> Self {
        self.actor_user_id = Some(user_id.into());
        self
    }

    pub fn org(mut self, org_id: Option<impl Into<String>>) -> Self {
        self.org_id = org_id.map(Into::into);
        self
    }

    pub fn resource(mut self, id: impl Into<String>) -> Self {
        self.resource_id = Some(id.into());
        self
    }

    /// Adds a metadata field. Sensitive keys and token-shaped values are
    /// redacted exactly as in logs; long strings are cut.
    pub fn meta(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = match crate::log::redact(key, value.into()) {
            Value::String(s) if s.len() > MAX_META_STRING => {
                Value::String(s.chars().take(MAX_META_STRING).collect())
            }
            other => other,
        };
        self.metadata.insert(key.to_owned(), value);
        self
    }
}

/// Where and when an event happened, attached to its row by whoever writes
/// it: the worker from the request, the room from the session's connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub at_ms: i64,
}

/// Random bytes in an audit id: `aud_` + 24 hex digits.
pub const AUDIT_ID_BYTES: usize = 12;

/// The id of a new audit row, from random bytes the shell drew.
pub fn audit_id(random: &[u8; AUDIT_ID_BYTES]) -> String {
    format!("aud_{}", crate::signature::to_hex(random))
}

impl AuditEvent {
    /// The event's `audit_logs` row (`AUDIT_INSERT`): the one place an
    /// audit row is built, for the worker's events and the room's alike.
    pub fn statement(
        &self,
        random: &[u8; AUDIT_ID_BYTES],
        ctx: &AuditContext,
    ) -> crate::sql::Statement {
        let metadata = Value::Object(self.metadata.clone()).to_string();
        sql::AuditInsert {
            id: &audit_id(random),
            actor_user_id: self.actor_user_id.as_deref(),
            org_id: self.org_id.as_deref(),
            resource_type: &self.resource_type,
            resource_id: self.resource_id.as_deref(),
            action: &self.action,
            outcome: self.outcome.as_str(),
            request_id: ctx.request_id.as_deref(),
            ip: ctx.ip.as_deref(),
            user_agent: ctx.user_agent.as_deref(),
            metadata: Some(&metadata),
            created_at_ms: ctx.at_ms,
        }
        .statement()
    }
}

/// An audit row as the admin API returns it (and as the OpenAPI document
/// describes it: `ToSchema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: String,
    #[schema(required = true)]
    pub actor_user_id: Option<String>,
    #[schema(required = true)]
    pub org_id: Option<String>,
    pub resource_type: String,
    #[schema(required = true)]
    pub resource_id: Option<String>,
    pub action: String,
    /// `allow`, `deny`, `success`, `failure` or `error`.
    pub outcome: String,
    #[schema(required = true)]
    pub request_id: Option<String>,
    #[schema(required = true)]
    pub ip: Option<String>,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    /// Stored as JSON text; decoded for the API.
    pub metadata: Value,
    pub created_at: i64,
}

/// The row exactly as D1 returns it (metadata still text).
#[derive(Debug, Clone, Deserialize)]
pub struct AuditRow {
    pub id: String,
    pub actor_user_id: Option<String>,
    pub org_id: Option<String>,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: String,
    pub created_at: i64,
}

impl From<AuditRow> for AuditRecord {
    fn from(row: AuditRow) -> Self {
        AuditRecord {
            metadata: serde_json::from_str(&row.metadata).unwrap_or(Value::Null),
            id: row.id,
            actor_user_id: row.actor_user_id,
            org_id: row.org_id,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            action: row.action,
            outcome: row.outcome,
            request_id: row.request_id,
            ip: row.ip,
            user_agent: row.user_agent,
            created_at: row.created_at,
        }
    }
}

/// A position in the newest-first list: the last row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    /// Opaque to clients: base64url of `<created_at>:<id>`.
    pub fn encode(&self) -> String {
        base64url::encode(format!("{}:{}", self.created_at, self.id).as_bytes())
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        if text.len() > 200 {
            return None;
        }
        let bytes = base64url::decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, id) = text.split_once(':')?;
        let created_at: i64 = at.parse().ok().filter(|t| *t >= 0)?;
        is_valid_audit_id(id).then(|| Cursor {
            created_at,
            id: id.to_owned(),
        })
    }
}

fn is_valid_audit_id(id: &str) -> bool {
    is_valid_id(id)
}

/// An action filter: 1 to 64 of `[a-z0-9._-]`.
pub fn is_valid_action(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// The largest time we bind (2^53 − 1: D1 keeps integers exact below it).
pub const MAX_TIME_MS: i64 = 9_007_199_254_740_991;

/// Page sizes: the JSON list and the NDJSON export.
pub const LIST_DEFAULT_LIMIT: u32 = 50;
pub const LIST_MAX_LIMIT: u32 = 200;
pub const EXPORT_DEFAULT_LIMIT: u32 = 1_000;
pub const EXPORT_MAX_LIMIT: u32 = 10_000;

/// Which listing: the JSON page or the NDJSON export (bigger pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    List,
    Export,
}

/// `GET /v1/admin/audit[/export]`'s query, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub user_id: Option<String>,
    pub meeting_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound, unix ms.
    pub from_ms: i64,
    /// Exclusive upper bound, unix ms.
    pub to_ms: i64,
    pub cursor: Option<Cursor>,
    pub limit: u32,
}

impl AuditQuery {
    /// Parses URL query pairs (already percent-decoded). Unknown or repeated
    /// parameters are refused, naming them.
    pub fn parse(pairs: &[(String, String)], kind: QueryKind) -> Result<AuditQuery, ApiError> {
        const KNOWN: [&str; 7] = [
            "user_id",
            "meeting_id",
            "action",
            "from",
            "to",
            "cursor",
            "limit",
        ];
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !KNOWN.contains(&name.as_str()) {
                return Err(invalid(
                    name,
                    reason::UNKNOWN_FIELD,
                    format!("unknown parameter `{name}`"),
                ));
            }
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(invalid(
                    name,
                    reason::DUPLICATE,
                    format!("`{name}` is given twice"),
                ));
            }
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let id = |name: &str| -> Result<Option<String>, ApiError> {
            match get(name) {
                None => Ok(None),
                Some(v) if is_valid_id(v) => Ok(Some(v.to_owned())),
                Some(_) => Err(invalid(
                    name,
                    reason::INVALID_VALUE,
                    format!("`{name}` must be 1 to 64 of [A-Za-z0-9_-]"),
                )),
            }
        };
        let time = |name: &str, default: i64| -> Result<i64, ApiError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<i64>()
                    .ok()
                    .filter(|t| (0..=MAX_TIME_MS).contains(t))
                    .ok_or_else(|| {
                        invalid(
                            name,
                            reason::INVALID_VALUE,
                            format!("`{name}` must be unix milliseconds"),
                        )
                    }),
            }
        };
        let (default_limit, max_limit) = match kind {
            QueryKind::List => (LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT),
            QueryKind::Export => (EXPORT_DEFAULT_LIMIT, EXPORT_MAX_LIMIT),
        };
        let limit = match get("limit") {
            None => default_limit,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=max_limit).contains(l))
                .ok_or_else(|| {
                    invalid(
                        "limit",
                        reason::OUT_OF_RANGE,
                        format!("`limit` must be 1 to {max_limit}"),
                    )
                })?,
        };
        let action = match get("action") {
            None => None,
            Some(v) if is_valid_action(v) => Some(v.to_owned()),
            Some(_) => {
                return Err(invalid(
                    "action",
                    reason::INVALID_VALUE,
                    "`action` must be 1 to 64 of [a-z0-9._-]",
                ))
            }
        };
        let cursor = match get("cursor") {
            None => None,
            Some(v) => Some(Cursor::decode(v).ok_or_else(|| {
                invalid(
                    "cursor",
                    reason::INVALID_VALUE,
                    "`cursor` is not one we issued",
                )
            })?),
        };
        let from_ms = time("from", 0)?;
        let to_ms = time("to", MAX_TIME_MS)?;
        if from_ms > to_ms {
            return Err(invalid(
                "from",
                reason::OUT_OF_RANGE,
                "`from` is after `to`",
            ));
        }
        Ok(AuditQuery {
            user_id: id("user_id")?,
            meeting_id: id("meeting_id")?,
            action,
            from_ms,
            to_ms,
            cursor,
            limit,
        })
    }

    /// The registered statement and its parameters for one page of at most
    /// `page` rows in `org_id`, continuing after `cursor` (or this query's).
    /// The most selective index wins: meeting, then actor, then org.
    pub fn statement(
        &self,
        org_id: &str,
        cursor: Option<&Cursor>,
        page: u32,
    ) -> crate::sql::Statement {
        let (before_created_at, before_id) = match cursor.or(self.cursor.as_ref()) {
            Some(c) => (c.created_at.min(self.to_ms), c.id.as_str()),
            // Exclusive upper bound on (created_at, id): nothing at `to` itself.
            None => (self.to_ms, ""),
        };
        let limit = i64::from(page);
        let org_id = Some(org_id);
        let action = self.action.as_deref();
        if let Some(meeting_id) = &self.meeting_id {
            sql::AuditOrgListByMeeting {
                org_id,
                meeting_id,
                actor_user_id: self.user_id.as_deref(),
                action,
                from_ms: self.from_ms,
                before_created_at,
                before_id,
                limit,
            }
            .statement()
        } else if let Some(user) = &self.user_id {
            sql::AuditOrgListByActor {
                org_id,
                actor_user_id: Some(user),
                action,
                from_ms: self.from_ms,
                before_created_at,
                before_id,
                limit,
            }
            .statement()
        } else {
            sql::AuditOrgList {
                org_id,
                action,
                from_ms: self.from_ms,
                before_created_at,
                before_id,
                limit,
            }
            .statement()
        }
    }

    /// The filters, for the admin's own audit row.
    pub fn describe(&self) -> Value {
        serde_json::json!({
            "user_id": self.user_id, "meeting_id": self.meeting_id, "action": self.action,
            "from": self.from_ms, "to": self.to_ms, "limit": self.limit,
        })
    }
}

/// One NDJSON line (no trailing newline).
pub fn ndjson_line(record: &AuditRecord) -> String {
    serde_json::to_string(record).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn field(err: ApiError) -> Value {
        err.details.unwrap_or(Value::Null)["field"].clone()
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let c = Cursor {
            created_at: 1_700_000_000_000,
            id: "aud_abc".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("!!"), None);
        assert_eq!(Cursor::decode(&base64url::encode(b"-5:x")), None);
        assert_eq!(Cursor::decode(&base64url::encode(b"5:a b")), None);
        assert_eq!(Cursor::decode(&base64url::encode(b"nocolon")), None);
    }

    #[test]
    fn parses_defaults_and_limits() {
        let q = AuditQuery::parse(&[], QueryKind::List).unwrap();
        assert_eq!(
            (q.from_ms, q.to_ms, q.limit),
            (0, MAX_TIME_MS, LIST_DEFAULT_LIMIT)
        );
        let q = AuditQuery::parse(&pairs(&[("limit", "10000")]), QueryKind::Export).unwrap();
        assert_eq!(q.limit, 10_000);
        assert_eq!(
            field(AuditQuery::parse(&pairs(&[("limit", "201")]), QueryKind::List).unwrap_err()),
            "limit"
        );
    }

    #[test]
    fn refuses_bad_parameters_by_name() {
        for (q, name) in [
            (vec![("user_id", "a b")], "user_id"),
            (vec![("meeting_id", "")], "meeting_id"),
            (vec![("action", "DROP TABLE")], "action"),
            (vec![("from", "yesterday")], "from"),
            (vec![("to", "-1")], "to"),
            (vec![("from", "10"), ("to", "5")], "from"),
            (vec![("cursor", "zzz")], "cursor"),
            (vec![("limit", "0")], "limit"),
            (vec![("org_id", "other")], "org_id"),
            (vec![("action", "a"), ("action", "b")], "action"),
        ] {
            let err = AuditQuery::parse(&pairs(&q), QueryKind::List).unwrap_err();
            assert_eq!(field(err), name, "{q:?}");
        }
    }

    #[test]
    fn picks_the_most_selective_statement_and_always_binds_the_org() {
        let q = AuditQuery::parse(
            &pairs(&[
                ("meeting_id", "mtg_1"),
                ("user_id", "u1"),
                ("action", "x.y"),
            ]),
            QueryKind::List,
        )
        .unwrap();
        let st = q.statement("org_1", None, 51);
        assert_eq!(st.sql, sql::AUDIT_ORG_LIST_BY_MEETING);
        assert_eq!(st.params[0], SqlValue::Text("org_1".into()));
        assert_eq!(st.params.len(), 8);
        let q = AuditQuery::parse(&pairs(&[("user_id", "u1")]), QueryKind::List).unwrap();
        let st = q.statement("org_1", None, 51);
        assert_eq!(st.sql, sql::AUDIT_ORG_LIST_BY_ACTOR);
        assert_eq!(st.params.len(), 7);
        assert_eq!(st.params[2], SqlValue::Null);
        let q = AuditQuery::parse(&pairs(&[("to", "500")]), QueryKind::List).unwrap();
        let st = q.statement("org_1", None, 51);
        assert_eq!(st.sql, sql::AUDIT_ORG_LIST);
        assert_eq!(
            st.params,
            vec![
                SqlValue::Text("org_1".into()),
                SqlValue::Null,
                SqlValue::Integer(0),
                SqlValue::Integer(500),
                SqlValue::Text(String::new()),
                SqlValue::Integer(51)
            ]
        );
        // A cursor continues below itself, never past `to`.
        let c = Cursor {
            created_at: 900,
            id: "aud_1".into(),
        };
        let st = q.statement("org_1", Some(&c), 51);
        assert_eq!(st.params[3], SqlValue::Integer(500));
        assert_eq!(st.params[4], SqlValue::Text("aud_1".into()));
    }

    #[test]
    fn one_row_shape_for_every_writer() {
        let e = AuditEvent::new("room.connect", Outcome::Allow, "meeting")
            .actor("u1")
            .resource("mtg_1")
            .meta("session", "s_1");
        let ctx = AuditContext {
            request_id: None,
            ip: Some("203.0.113.9".into()),
            user_agent: None,
            at_ms: 42,
        };
        let s = e.statement(&[0xab; AUDIT_ID_BYTES], &ctx);
        assert_eq!(s.name, "AUDIT_INSERT");
        use crate::sql::SqlValue as V;
        assert_eq!(s.params[0], V::Text(format!("aud_{}", "ab".repeat(12))));
        assert!(is_valid_audit_id(&audit_id(&[0; AUDIT_ID_BYTES])));
        assert_eq!(s.params[1], V::Text("u1".into()));
        assert_eq!(s.params[3], V::Text("meeting".into()));
        assert_eq!(s.params[6], V::Text("allow".into()));
        assert_eq!(s.params[7], V::Null);
        assert_eq!(s.params[8], V::Text("203.0.113.9".into()));
        assert_eq!(s.params[10], V::Text(r#"{"session":"s_1"}"#.into()));
        assert_eq!(s.params[11], V::Integer(42));
    }

    #[test]
    fn event_metadata_is_redacted_and_bounded() {
        let e = AuditEvent::new(actions::AUTHENTICATE, Outcome::Failure, "session")
            .meta("token", "eyJabc.def.ghi")
            .meta("reason", "x".repeat(2000));
        assert_eq!(e.metadata["token"], "[redacted]");
        assert_eq!(
            e.metadata["reason"].as_str().unwrap().len(),
            MAX_META_STRING
        );
    }
}
