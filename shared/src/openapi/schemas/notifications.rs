//! Notifications (`connvo_shared::notifications::wire`, N7–N17): the inbox,
//! preferences, announcements and the local email outbox.

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// One notification in the inbox.
#[derive(ToSchema)]
pub struct Notification {
    pub id: String,
    /// e.g. `meeting.invited`, `connection.requested`, `match.proposed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub category: String,
    /// `low`, `medium`, `high` or `urgent`.
    pub priority: String,
    #[schema(required = true)]
    pub meeting_id: Option<String>,
    pub title: String,
    #[schema(required = true)]
    pub body: Option<String>,
    /// The type's own fields.
    pub data: serde_json::Value,
    /// How many similar ones this one groups (N11).
    pub count: i64,
    pub read: bool,
    #[schema(required = true)]
    pub read_at: Option<i64>,
    #[schema(required = true)]
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /v1/notifications`: newest first, keyset-paginated.
#[derive(ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// The unread counter.
    pub unread: i64,
}

/// `GET /v1/notifications/unread-count` (N10).
#[derive(ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// `POST /v1/notifications/{id}/read`.
#[derive(ToSchema)]
pub struct NotificationMarked {
    pub id: String,
    pub read: bool,
    pub unread: i64,
}

/// `POST /v1/notifications/read-all`.
#[derive(ToSchema)]
pub struct NotificationsMarked {
    /// How many were marked.
    pub marked: i64,
    pub unread: i64,
}

/// In-app and email switches for one type (or the default).
#[derive(ToSchema)]
pub struct Channels {
    pub in_app: bool,
    pub email: bool,
}

/// Quiet hours: local `HH:MM` times in an IANA zone (N8).
#[derive(ToSchema)]
#[schema(example = json!({"start": "22:00", "end": "07:00", "time_zone": "Europe/Paris"}))]
pub struct QuietHours {
    #[schema(pattern = "^[0-9]{2}:[0-9]{2}$")]
    pub start: String,
    #[schema(pattern = "^[0-9]{2}:[0-9]{2}$")]
    pub end: String,
    pub time_zone: String,
}

/// The notification preferences document (N7–N9): what `GET` returns and
/// `PUT` stores.
#[derive(ToSchema)]
pub struct NotificationPreferences {
    /// `default` and any notification type → its channels.
    pub channels: BTreeMap<String, Channels>,
    #[schema(required = true)]
    pub quiet_hours: Option<QuietHours>,
    pub group_similar: bool,
    #[schema(required = true)]
    pub max_per_hour: Option<i64>,
}

/// `PUT /v1/notifications/preferences`: every field optional (absent ones
/// are the defaults); unknown fields are refused.
#[derive(ToSchema)]
#[schema(example = json!({"channels": {"default": {"in_app": true, "email": false}}, "group_similar": true}))]
pub struct NotificationPreferencesPut {
    pub channels: Option<BTreeMap<String, Channels>>,
    pub quiet_hours: Option<QuietHours>,
    pub group_similar: Option<bool>,
    #[schema(minimum = 0)]
    pub max_per_hour: Option<i64>,
}

/// `POST /v1/admin/announcements`.
#[derive(ToSchema)]
#[schema(example = json!({"title": "Maintenance tonight", "priority": "high"}))]
pub struct AnnouncementRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 2000)]
    pub body: Option<String>,
    /// `low`, `medium` (default), `high` or `urgent`.
    pub priority: Option<String>,
}

/// `POST /v1/admin/announcements`: the first batch is delivered, the rest
/// queued (N16).
#[derive(ToSchema)]
pub struct AnnouncementQueued {
    pub announcement_id: String,
    pub batches: i64,
    pub queued: i64,
}

/// `GET /v1/admin/announcements/{id}` (N16).
#[derive(ToSchema)]
pub struct AnnouncementProgress {
    pub id: String,
    pub title: String,
    pub priority: String,
    pub batches_total: i64,
    pub batches_done: i64,
    pub recipients: i64,
    pub created_at: i64,
    /// `sending` or `done`.
    pub status: String,
}

/// `POST /v1/dev/hubs/{user_id}/erase`.
#[derive(ToSchema)]
pub struct HubErased {
    pub user_id: String,
    pub erased: bool,
}

/// One email of the local outbox.
#[derive(ToSchema)]
pub struct OutboxEmail {
    pub notification_id: String,
    pub user_id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    #[schema(required = true)]
    pub provider: Option<String>,
    #[schema(required = true)]
    pub provider_id: Option<String>,
    pub attempts: i64,
    pub send_after: i64,
    #[schema(required = true)]
    pub sent_at: Option<i64>,
    pub created_at: i64,
    pub status: String,
    #[schema(required = true)]
    pub last_error: Option<String>,
}

/// `GET /v1/dev/outbox`.
#[derive(ToSchema)]
pub struct Outbox {
    pub items: Vec<OutboxEmail>,
}
