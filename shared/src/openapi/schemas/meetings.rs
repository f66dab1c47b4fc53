//! The system's and the meetings' bodies: errors, health, version, tokens,
//! the caller, meetings and their members.

use utoipa::ToSchema;

use crate::error::ErrorCode;

/// The API's one error body.
#[derive(ToSchema)]
#[schema(example = json!({"error": {"code": "VALIDATION_ERROR", "message": "title must be 1 to 200 characters", "details": {"field": "title", "reason": "too_long"}}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable `code` to switch on, a message for people, and
/// `details` (for `VALIDATION_ERROR`, `{field, reason}`; otherwise often `null`).
#[derive(ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// Structured details (for `VALIDATION_ERROR`, `{field, reason}`), or `null`.
    pub details: Option<serde_json::Value>,
}

/// `GET /v1/version`.
#[derive(ToSchema)]
#[schema(example = json!({"version": "0.1.0"}))]
pub struct Version {
    pub version: String,
}

/// `GET /v1/health`: 200 when every check passed, 503 (same body) otherwise.
#[derive(ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    #[schema(example = "ok")]
    pub status: String,
    pub version: String,
    #[schema(example = "local")]
    pub environment: String,
    pub checks: HealthChecks,
}

/// One real round trip per binding.
#[derive(ToSchema)]
pub struct HealthChecks {
    pub d1: HealthCheck,
    pub kv: HealthCheck,
    pub durable_objects: HealthCheck,
}

#[derive(ToSchema)]
pub struct HealthCheck {
    pub ok: bool,
    /// Why the check failed (absent when it passed).
    pub error: Option<String>,
}

/// `POST /v1/dev/token` (local development only).
#[derive(ToSchema)]
#[schema(example = json!({"user_id": "user_ada", "org_id": "org_demo", "ttl_secs": 3600}))]
pub struct DevTokenRequest {
    /// The subject, `[A-Za-z0-9_-]{1,64}`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub user_id: String,
    pub org_id: Option<String>,
    /// The organisation role (`admin`, `member`); needs `org_id`.
    pub role: Option<String>,
    pub email: Option<String>,
    /// Token lifetime in seconds (default 3600).
    pub ttl_secs: Option<u32>,
}

/// A signed development token, used as `Authorization: Bearer …`.
#[derive(ToSchema)]
pub struct DevTokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    pub expires_in: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// The token's claims, as WorkOS would issue them.
    #[schema(value_type = Object)]
    pub claims: serde_json::Value,
}

/// `GET /v1/me`: the caller, as the token and the database know them.
#[derive(ToSchema)]
pub struct Me {
    pub user_id: String,
    pub org_id: Option<String>,
    /// `admin`, `member` or `none`.
    pub org_role: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub entitlements: Vec<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub session_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub impersonator: Option<serde_json::Value>,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix ms.
    pub created_at: i64,
    pub dev_token: bool,
}

/// A role in a meeting.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MeetingRoleName {
    Host,
    Cohost,
    Participant,
    Observer,
}

/// A role that can be given directly (`host` changes hands only by transfer).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MemberRoleName {
    Cohost,
    Participant,
    Observer,
}

/// Someone invited with the meeting.
#[derive(ToSchema)]
pub struct Invitee {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub user_id: String,
    /// Default `participant`.
    pub role: Option<MemberRoleName>,
}

/// `POST /v1/meetings`. Times are unix ms.
#[derive(ToSchema)]
#[schema(example = json!({"title": "Coffee chat", "duration_ms": 1800000, "transcription_enabled": true}))]
pub struct CreateMeetingRequest {
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// At most 4000 characters.
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    /// Between 5 minutes ago and a year ahead (default now).
    pub scheduled_at: Option<i64>,
    /// 1 minute to 24 hours (default 30 minutes).
    #[schema(minimum = 60000, maximum = 86400000)]
    pub duration_ms: Option<i64>,
    pub recording_enabled: Option<bool>,
    pub transcription_enabled: Option<bool>,
    /// At most 99 existing users; the caller is the host and is not listed.
    #[schema(max_items = 99)]
    pub participants: Option<Vec<Invitee>>,
}

/// `PATCH /v1/meetings/{id}`: any of the details, with the version read.
#[derive(ToSchema)]
pub struct UpdateMeetingRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    pub scheduled_at: Option<i64>,
    #[schema(minimum = 60000, maximum = 86400000)]
    pub duration_ms: Option<i64>,
    pub recording_enabled: Option<bool>,
    pub transcription_enabled: Option<bool>,
}

/// The meeting's video call at GetStream.
#[derive(ToSchema)]
pub struct MeetingVideo {
    #[schema(example = "stream")]
    pub provider: String,
    /// `pending`, `provisioning`, `ready` or `failed`.
    pub status: String,
    pub call_type: Option<String>,
    pub call_id: Option<String>,
    pub call_cid: Option<String>,
    pub attempts: i64,
    pub provisioned_at: Option<i64>,
    /// Why provisioning waits or failed: Stream's `{status, code, message}`,
    /// or the stored text when it was not JSON.
    pub error: Option<serde_json::Value>,
}

/// A member of a meeting.
#[derive(ToSchema)]
pub struct Participant {
    pub user_id: String,
    pub role: MeetingRoleName,
    /// `invited`, `joined` or `left`.
    pub presence: String,
    pub joined_at: Option<i64>,
    pub left_at: Option<i64>,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

/// The meeting object (docs/api.md, "The meeting object"). A single meeting
/// carries `my_role` and `participants`; list items carry `my_role` and
/// `my_presence`.
#[derive(ToSchema)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub organizer_id: Option<String>,
    pub org_id: Option<String>,
    pub scheduled_at: i64,
    pub duration_ms: Option<i64>,
    /// `scheduled`, `active`, `concluded` or `cancelled`.
    pub state: String,
    pub started_at: Option<i64>,
    pub concluded_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub participant_count: i64,
    pub recording_enabled: bool,
    pub transcription_enabled: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub video: MeetingVideo,
    /// The caller's role (`null` for an org admin who is not a member).
    #[schema(required = false)]
    pub my_role: Option<MeetingRoleName>,
    #[schema(required = false)]
    pub my_presence: Option<String>,
    #[schema(required = false)]
    pub participants: Option<Vec<Participant>>,
}

/// `GET /v1/meetings`: a page, keyset-paginated.
#[derive(ToSchema)]
pub struct MeetingPage {
    pub meetings: Vec<Meeting>,
    /// Pass back as `cursor` until it is `null`.
    pub next_cursor: Option<String>,
}

/// `GET /v1/meetings/{id}/participants`.
#[derive(ToSchema)]
pub struct ParticipantList {
    pub participants: Vec<Participant>,
}

/// `POST /v1/meetings/{id}/participants`.
#[derive(ToSchema)]
pub struct AddParticipantRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub user_id: String,
    pub role: Option<MemberRoleName>,
}

/// `PATCH /v1/meetings/{id}/participants/{user_id}`.
#[derive(ToSchema)]
pub struct ChangeRoleRequest {
    pub role: MemberRoleName,
}

/// `POST /v1/meetings/{id}/transfer-host`.
#[derive(ToSchema)]
pub struct TransferHostRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub user_id: String,
}

/// `POST /v1/meetings/{id}/ws-ticket` (and the hub's): a single-use ticket,
/// the credential of the WebSocket upgrade (`?ticket=`).
#[derive(ToSchema)]
pub struct WsTicket {
    pub ticket: String,
    /// Unix ms.
    pub expires_at: i64,
}

/// `POST /v1/meetings/{id}/video-token`: a GetStream call token.
#[derive(ToSchema)]
pub struct VideoToken {
    pub token: String,
    pub api_key: String,
    pub user_id: String,
    pub call_type: String,
    pub call_id: String,
    pub call_cid: String,
    /// Unix ms.
    pub expires_at: i64,
}

/// A membership after an invitation or a role change.
#[derive(ToSchema)]
pub struct Membership {
    pub user_id: String,
    pub role: MeetingRoleName,
    /// `invited`, `joined` or `left`.
    pub presence: String,
}

/// The previous host, now a co-host or participant.
#[derive(ToSchema)]
pub struct PreviousHost {
    pub user_id: String,
    pub role: MeetingRoleName,
}

/// `POST /v1/meetings/{id}/transfer-host`.
#[derive(ToSchema)]
pub struct HostTransferred {
    /// The new host.
    pub host: String,
    pub previous_host: PreviousHost,
}

/// The room's final flush after `end`.
#[derive(ToSchema)]
pub struct Finalization {
    /// `done` (200) or `retrying` (202: the queue flushes it later).
    pub status: String,
    /// Why it is retried.
    pub error: Option<String>,
}

/// `POST /v1/meetings/{id}/end`: the concluded meeting and the room's flush.
#[derive(ToSchema)]
pub struct MeetingEnded {
    #[serde(flatten)]
    pub meeting: Meeting,
    pub finalization: Finalization,
}

/// `GET /v1/meetings/{id}/transcript`: the room's live chunks.
#[derive(ToSchema)]
pub struct TranscriptPage {
    /// Transcript chunks as the room protocol carries them (docs/protocol.md:
    /// `seq`, `speaker_id`, `text`, `start_ms`, `end_ms`, …).
    pub chunks: Vec<serde_json::Value>,
    /// Pass back as `after_seq` for the next chunks; `null` when none came.
    #[schema(required = true)]
    pub next_after_seq: Option<i64>,
}

/// A speaker-turn segment, aggregated after the meeting.
#[derive(ToSchema)]
pub struct Segment {
    pub id: String,
    pub meeting_id: String,
    /// The main speaker (`""` when unknown).
    pub speaker_id: String,
    /// Everyone who spoke in the window.
    pub speakers: Vec<String>,
    pub text: String,
    pub topics: serde_json::Value,
    #[schema(required = true)]
    pub sentiment: Option<f64>,
    pub prompt_ids: Vec<String>,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Where the next page of segments starts.
#[derive(ToSchema)]
pub struct SegmentCursor {
    pub after_start_ms: i64,
    pub after_speaker: String,
}

/// `GET /v1/meetings/{id}/segments`.
#[derive(ToSchema)]
pub struct SegmentPage {
    pub segments: Vec<Segment>,
    /// `null` on the last page.
    #[schema(required = true)]
    pub next: Option<SegmentCursor>,
}

/// The OpenAPI document itself (`GET /v1/openapi.json`): its top level only,
/// the rest is OpenAPI 3.1's own schema.
#[derive(ToSchema)]
pub struct OpenApiDocument {
    /// `3.1.0`.
    pub openapi: String,
    pub info: serde_json::Value,
    pub paths: serde_json::Value,
    pub components: Option<serde_json::Value>,
}
