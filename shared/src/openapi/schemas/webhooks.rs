//! Vendor webhooks: the envelope fields the handlers read (the full formats
//! are the vendors', docs/vendors and ../shared/spec/CONTRACTS.md; other
//! fields are allowed and ignored) and the acknowledgements.

use utoipa::ToSchema;

/// A GetStream Video event (`call.session_participant_joined`,
/// `call.recording_ready`, …). Signed with `X-Signature`.
#[derive(ToSchema)]
#[schema(example = json!({"type": "call.session_started", "created_at": "2026-01-01T10:00:00Z", "call_cid": "default:mtg_1", "session_id": "s1"}))]
pub struct StreamEvent {
    /// The event type (≤ 128 characters).
    #[serde(rename = "type")]
    #[schema(min_length = 1, max_length = 128)]
    pub kind: String,
    /// RFC 3339 time (or unix ms).
    pub created_at: serde_json::Value,
    /// `<type>:<id>`.
    pub call_cid: Option<String>,
}

/// `POST /v1/webhooks/stream`: what became of the event.
#[derive(ToSchema)]
pub struct StreamEventAck {
    /// `applied`, `ignored` or `duplicate` (a redelivery, nothing done).
    pub status: String,
    /// The event's type.
    pub event: String,
}

/// A WorkOS event envelope (`user.created`, `organization_membership.updated`,
/// …). Signed with `WorkOS-Signature`.
#[derive(ToSchema)]
#[schema(example = json!({"id": "event_01", "event": "user.updated", "data": {"id": "user_01", "email": "ada@example.com"}, "created_at": "2026-01-01T10:00:00Z"}))]
pub struct WorkosEventEnvelope {
    #[schema(min_length = 1)]
    pub id: String,
    #[schema(min_length = 1, max_length = 100)]
    pub event: String,
    /// The event's object.
    pub data: Option<serde_json::Value>,
    pub created_at: Option<String>,
}

/// `POST /v1/webhooks/workos`: what became of the event.
#[derive(ToSchema)]
pub struct WorkosEventAck {
    /// e.g. `applied`, `ignored`, `stale` or `duplicate`.
    pub status: String,
    /// The event's id.
    pub id: String,
}
