//! WorkOS webhook events (docs/api.md, "`POST /v1/webhooks/workos`"): the envelope
//! `{"id","event","data","created_at"}` decoded into the events we act on.
//!
//! Decoding is lenient about what we do not use (WorkOS adds fields without
//! notice) and strict about what we do: an event we handle but cannot read
//! is a `VALIDATION_ERROR` naming the field, after the signature check, so
//! only WorkOS itself can cause one. Unknown event types decode to
//! [`WorkosEvent::Unknown`] and are acknowledged.

use serde::Deserialize;
use serde_json::Value;

pub mod plan;
pub mod revocation;

use crate::error::ApiError;
use crate::time::parse_rfc3339_ms;
use crate::validation::{invalid, reason};

/// Webhook delivery ids we accept for deduplication: WorkOS's are `event_…`.
const MAX_ID_LEN: usize = 255;

/// What an event asks us to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkosEvent {
    /// `user.created` / `user.updated`.
    UserUpsert {
        user_id: String,
        email: Option<String>,
        display_name: Option<String>,
        avatar_url: Option<String>,
        updated_at_ms: i64,
    },
    /// `user.deleted`.
    UserDeleted { user_id: String },
    /// `organization_membership.created` / `.updated` with status `active`.
    MembershipActive {
        user_id: String,
        org_id: String,
        role: String,
        updated_at_ms: i64,
    },
    /// `organization_membership.deleted`, or created/updated with a status
    /// other than `active` (inactive or pending: no access either way).
    MembershipRemoved {
        user_id: String,
        org_id: String,
        updated_at_ms: i64,
    },
    /// `session.revoked`.
    SessionRevoked { session_id: String, user_id: String },
    /// `role.updated`: a role's definition changed (permissions); users get
    /// it with their next token.
    RoleUpdated { slug: String },
    /// Any other event type: acknowledged and logged.
    Unknown { event: String },
}

impl WorkosEvent {
    /// The user the event is about, if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            WorkosEvent::UserUpsert { user_id, .. }
            | WorkosEvent::UserDeleted { user_id }
            | WorkosEvent::MembershipActive { user_id, .. }
            | WorkosEvent::MembershipRemoved { user_id, .. }
            | WorkosEvent::SessionRevoked { user_id, .. } => Some(user_id),
            WorkosEvent::RoleUpdated { .. } | WorkosEvent::Unknown { .. } => None,
        }
    }
}

/// A decoded delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event id (`event_…`): the deduplication key.
    pub id: String,
    /// The event type as sent.
    pub event_type: String,
    pub event: WorkosEvent,
}

#[derive(Deserialize)]
struct Envelope {
    id: Option<String>,
    event: Option<String>,
    data: Option<Value>,
    created_at: Option<String>,
}

fn text(data: &Value, field: &str) -> Option<String> {
    data.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn required(data: &Value, field: &str) -> Result<String, ApiError> {
    text(data, field)
        .filter(|s| s.len() <= MAX_ID_LEN)
        .ok_or_else(|| {
            invalid(
                &format!("data.{field}"),
                reason::REQUIRED,
                format!("`data.{field}` is missing"),
            )
        })
}

/// `data.updated_at`, else the envelope's `created_at`.
fn updated_at(data: &Value, envelope_created_at: Option<&str>) -> Result<i64, ApiError> {
    let raw = text(data, "updated_at").or_else(|| envelope_created_at.map(str::to_owned));
    raw.as_deref().and_then(parse_rfc3339_ms).ok_or_else(|| {
        invalid(
            "data.updated_at",
            reason::INVALID_VALUE,
            "`data.updated_at` is not an ISO-8601 time",
        )
    })
}

/// Decodes a verified webhook body.
pub fn decode(body: &[u8]) -> Result<Delivery, ApiError> {
    let env: Envelope = serde_json::from_slice(body).map_err(|_| {
        invalid(
            "body",
            reason::WRONG_TYPE,
            "the body is not a WorkOS event envelope",
        )
    })?;
    let id = env
        .id
        .filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN)
        .ok_or_else(|| invalid("id", reason::REQUIRED, "`id` is missing"))?;
    let event_type = env
        .event
        .filter(|e| !e.is_empty() && e.len() <= 100)
        .ok_or_else(|| invalid("event", reason::REQUIRED, "`event` is missing"))?;
    let data = env.data.unwrap_or(Value::Null);
    let created_at = env.created_at.as_deref();
    let event = match event_type.as_str() {
        "user.created" | "user.updated" => {
            let name = [text(&data, "first_name"), text(&data, "last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            WorkosEvent::UserUpsert {
                user_id: required(&data, "id")?,
                email: text(&data, "email"),
                display_name: Some(name).filter(|n| !n.is_empty()),
                avatar_url: text(&data, "profile_picture_url"),
                updated_at_ms: updated_at(&data, created_at)?,
            }
        }
        "user.deleted" => WorkosEvent::UserDeleted {
            user_id: required(&data, "id")?,
        },
        "organization_membership.created" | "organization_membership.updated" => {
            let user_id = required(&data, "user_id")?;
            let org_id = required(&data, "organization_id")?;
            let updated_at_ms = updated_at(&data, created_at)?;
            let role = data
                .get("role")
                .and_then(|r| r.get("slug"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && s.len() <= 100)
                .map(str::to_owned);
            match (text(&data, "status").as_deref(), role) {
                (Some("active"), Some(role)) => WorkosEvent::MembershipActive {
                    user_id,
                    org_id,
                    role,
                    updated_at_ms,
                },
                (Some("active"), None) => {
                    return Err(invalid(
                        "data.role.slug",
                        reason::REQUIRED,
                        "`data.role.slug` is missing",
                    ))
                }
                _ => WorkosEvent::MembershipRemoved {
                    user_id,
                    org_id,
                    updated_at_ms,
                },
            }
        }
        "organization_membership.deleted" => WorkosEvent::MembershipRemoved {
            user_id: required(&data, "user_id")?,
            org_id: required(&data, "organization_id")?,
            updated_at_ms: updated_at(&data, created_at)?,
        },
        "session.revoked" => WorkosEvent::SessionRevoked {
            session_id: required(&data, "id")?,
            user_id: required(&data, "user_id")?,
        },
        "role.updated" => WorkosEvent::RoleUpdated {
            slug: required(&data, "slug")?,
        },
        other => WorkosEvent::Unknown {
            event: other.to_owned(),
        },
    };
    Ok(Delivery {
        id,
        event_type,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(event: &str, data: Value) -> Vec<u8> {
        json!({"id": "event_01", "event": event, "data": data, "created_at": "2024-01-01T00:00:00.000Z"})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn decodes_the_events_we_handle() {
        let d = decode(&body(
            "organization_membership.updated",
            json!({"id": "om_1", "user_id": "user_1", "organization_id": "org_1", "status": "active",
                   "role": {"slug": "member"}, "roles": [{"slug": "member"}], "created_at": "2024-01-01T00:00:00.000Z",
                   "updated_at": "2024-01-02T00:00:00.000Z", "object": "organization_membership", "new": 1}),
        ))
        .unwrap();
        assert_eq!(d.id, "event_01");
        assert_eq!(
            d.event,
            WorkosEvent::MembershipActive {
                user_id: "user_1".into(),
                org_id: "org_1".into(),
                role: "member".into(),
                updated_at_ms: 1_704_153_600_000
            }
        );
        let d = decode(&body(
            "organization_membership.created",
            json!({"user_id": "u", "organization_id": "o", "status": "pending", "role": {"slug": "admin"}, "updated_at": "2024-01-02T00:00:00Z"}),
        ))
        .unwrap();
        assert!(matches!(d.event, WorkosEvent::MembershipRemoved { .. }));
        let d = decode(&body("user.updated", json!({"id": "u", "email": "a@b.c", "first_name": "Ada", "last_name": "L", "updated_at": "2024-01-02T00:00:00Z"}))).unwrap();
        assert!(
            matches!(d.event, WorkosEvent::UserUpsert { ref display_name, .. } if display_name.as_deref() == Some("Ada L"))
        );
        let d = decode(&body(
            "session.revoked",
            json!({"id": "session_1", "user_id": "u"}),
        ))
        .unwrap();
        assert_eq!(
            d.event,
            WorkosEvent::SessionRevoked {
                session_id: "session_1".into(),
                user_id: "u".into()
            }
        );
        let d = decode(&body("dsync.user.created", json!({}))).unwrap();
        assert_eq!(
            d.event,
            WorkosEvent::Unknown {
                event: "dsync.user.created".into()
            }
        );
        assert_eq!(d.event.user_id(), None);
    }

    #[test]
    fn bad_events_name_the_field() {
        let field = |b: &[u8]| decode(b).unwrap_err().details.unwrap()["field"].clone();
        assert_eq!(field(b"[]"), "body");
        assert_eq!(field(br#"{"event":"user.deleted","data":{}}"#), "id");
        assert_eq!(field(&body("user.deleted", json!({}))), "data.id");
        assert_eq!(
            field(&body(
                "organization_membership.updated",
                json!({"user_id": "u", "organization_id": "o", "status": "active", "updated_at": "2024-01-02T00:00:00Z"})
            )),
            "data.role.slug"
        );
        assert_eq!(
            field(&body(
                "organization_membership.deleted",
                json!({"user_id": "u", "organization_id": "o", "updated_at": "yesterday"})
            )),
            "data.updated_at"
        );
    }
}
