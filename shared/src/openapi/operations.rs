//! One operation per row of the route table: what the route table does not
//! already say (a summary, its tag, the query parameters, the request and
//! success bodies, and the error codes beyond those its access implies).
//!
//! **Adding a route's operation is one entry in [`operations`]**, keyed by
//! the route's `name` in the table:
//!
//! ```ignore
//! op("things.create", "Things", "Create a thing")
//!     .body(Payload::of::<CreateThingRequest>())
//!     .ok(201, Payload::of::<Thing>())
//!     .errors(&[ErrorCode::Conflict]),
//! ```
//!
//! Path parameters, security, rate-limit headers and the errors every route
//! of its access, method and class can answer come from the route table
//! (`super::build`). `openapi::tests` fails when a route has no entry here
//! or an entry names no route.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use super::schemas::*;
use crate::error::ErrorCode;
use crate::metrics::report::AdminMetrics;
use crate::metrics::slo::AlertTick;

/// A body: a named component (a `ToSchema` type) or an inline schema.
#[derive(Clone)]
pub struct Payload {
    /// The component's name, for a named type.
    pub name: Option<Cow<'static, str>>,
    pub schema: RefOr<Schema>,
    /// The components the schema refers to (nested named types).
    pub refs: Vec<(String, RefOr<Schema>)>,
    /// The media type (JSON unless said otherwise).
    pub media: &'static str,
}

impl Payload {
    /// A body of a `ToSchema` type, referenced as a component.
    pub fn of<T: ToSchema>() -> Payload {
        let mut refs = Vec::new();
        T::schemas(&mut refs);
        Payload {
            name: Some(T::name()),
            schema: T::schema(),
            refs,
            media: "application/json",
        }
    }

    /// A non-JSON body (a file, an event stream).
    pub fn text(media: &'static str, what: &'static str) -> Payload {
        Payload {
            name: None,
            schema: RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(what))
                    .build(),
            )),
            refs: Vec::new(),
            media,
        }
    }
}

/// The type of a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    /// One of these strings (the plan's parser refuses any other).
    OneOf(&'static [&'static str]),
}

/// A query parameter (always optional unless `required`).
#[derive(Debug, Clone)]
pub struct Query {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub required: bool,
}

/// What one route's operation adds to the route table.
#[derive(Clone)]
pub struct Op {
    /// The route's `name` in the table.
    pub route: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub query: Vec<Query>,
    pub body: Option<Payload>,
    /// Success answers, each with its body (`None`: no body).
    pub ok: Vec<(u16, Option<Payload>)>,
    /// Error codes beyond those the route's access, method and class imply.
    pub errors: Vec<ErrorCode>,
    /// Extra words for the description (e.g. a WebSocket upgrade).
    pub notes: &'static str,
}

/// A new entry; `.ok(…)` at least is expected.
pub fn op(route: &'static str, tag: &'static str, summary: &'static str) -> Op {
    Op {
        route,
        tag,
        summary,
        query: Vec::new(),
        body: None,
        ok: Vec::new(),
        errors: Vec::new(),
        notes: "",
    }
}

impl Op {
    pub fn q(mut self, name: &'static str, kind: Kind, description: &'static str) -> Op {
        self.query.push(Query {
            name,
            kind,
            description,
            required: false,
        });
        self
    }
    pub fn q_required(mut self, name: &'static str, kind: Kind, description: &'static str) -> Op {
        self.query.push(Query {
            name,
            kind,
            description,
            required: true,
        });
        self
    }
    /// The usual page parameters (`limit` bounds in words, `cursor`).
    pub fn paged(self, limit: &'static str) -> Op {
        self.q("limit", Kind::Int, limit).q(
            "cursor",
            Kind::Str,
            "the previous page's `next_cursor`",
        )
    }
    pub fn body(mut self, body: Payload) -> Op {
        self.body = Some(body);
        self
    }
    pub fn ok(mut self, status: u16, body: Payload) -> Op {
        self.ok.push((status, Some(body)));
        self
    }
    /// A success answer without a body (204, 101, 302).
    pub fn empty(mut self, status: u16) -> Op {
        self.ok.push((status, None));
        self
    }
    pub fn errors(mut self, codes: &[ErrorCode]) -> Op {
        self.errors.extend_from_slice(codes);
        self
    }
    pub fn notes(mut self, notes: &'static str) -> Op {
        self.notes = notes;
        self
    }
}

/// A meeting's states, for the `state` filters.
const MEETING_STATES: &[&str] = &["scheduled", "active", "concluded", "cancelled"];

/// Every route's operation, in the route table's order.
pub fn operations() -> Vec<Op> {
    use ErrorCode::{Conflict, Forbidden, MeetingNotActive, NotFound, ProviderError, Unauthorized};
    use Kind::{Bool, Int, OneOf, Str};
    vec![
        // System
        op("health", "System", "Health: the version and a real check of D1, KV and the Durable Objects")
            .ok(200, Payload::of::<Health>())
            .ok(503, Payload::of::<Health>()),
        op("version", "System", "The build's version")
            .ok(200, Payload::of::<Version>()),
        op("openapi", "System", "This OpenAPI 3.1 document")
            .ok(200, Payload::of::<OpenApiDocument>()),
        // Webhooks
        op("webhooks.stream", "Webhooks", "GetStream Video events (signed)")
            .body(Payload::of::<StreamEvent>())
            .ok(200, Payload::of::<StreamEventAck>()),
        op("workos_webhook", "Webhooks", "WorkOS events (signed)")
            .body(Payload::of::<WorkosEventEnvelope>())
            .ok(200, Payload::of::<WorkosEventAck>()),
        // Identity
        op("me", "Identity", "The authenticated caller")
            .ok(200, Payload::of::<Me>()),
        op("dev_token", "Development", "A local development token (404 unless dev auth is on)")
            .body(Payload::of::<DevTokenRequest>())
            .ok(200, Payload::of::<DevTokenResponse>()),
        op("dev_bench_verify", "Development", "Time token verification in the Worker (dev auth only)")
            .q("n", Int, "verifications to time (default 1000)")
            .ok(200, Payload::of::<VerifyTimings>()),
        // Admin
        op("admin_audit", "Admin", "The organisation's audit log, newest first (org admins)")
            .q("user_id", Str, "the actor")
            .q("meeting_id", Str, "the meeting the events concern")
            .q("action", Str, "e.g. `auth.authenticate`")
            .q("from", Int, "unix ms, inclusive")
            .q("to", Int, "unix ms, exclusive")
            .paged("1–200 (default 50)")
            .ok(200, Payload::of::<AuditPage>()),
        op("admin_audit_export", "Admin", "The audit log as NDJSON, in bounded pages")
            .q("user_id", Str, "the actor")
            .q("meeting_id", Str, "the meeting")
            .q("action", Str, "the action")
            .q("from", Int, "unix ms, inclusive")
            .q("to", Int, "unix ms, exclusive")
            .paged("1–1000")
            .ok(200, Payload::text("application/x-ndjson", "one audit event per line")),
        // Profiles
        op("me.profile.get", "Profiles", "The caller's profile")
            .ok(200, Payload::of::<Profile>()),
        op("me.profile.put", "Profiles", "Replace the caller's profile and interests")
            .body(Payload::of::<ProfilePut>())
            .ok(200, Payload::of::<Profile>()),
        op("users.profile", "Profiles", "Another member's profile (I32)")
            .ok(200, Payload::of::<Profile>()),
        op("interests", "Profiles", "The interest catalogue")
            .ok(200, Payload::of::<InterestCatalogue>()),
        op("migration.read_switches", "Migration", "Where the caller's reads of each migrated module go (L2)")
            .ok(200, Payload::of::<ReadSwitches>()),
        // Intelligence
        op("insights.list", "Intelligence", "The caller's post-call insights, newest first")
            .paged("1–50 (default 20)")
            .ok(200, Payload::of::<InsightPage>()),
        op("insights.delete", "Intelligence", "Delete one of the caller's insights")
            .empty(204),
        op("admin_flags", "Admin", "This environment's feature flags")
            .ok(200, Payload::of::<FlagList>()),
        op("admin_flags_set", "Admin", "Set one feature flag (audited)")
            .body(Payload::of::<FlagSetRequest>())
            .ok(200, Payload::of::<FlagSet>()),
        // Connections
        op("connections.list", "Connections", "The caller's connections and requests (M20)")
            .q("status", OneOf(&["pending", "accepted", "declined", "blocked"]), "one status")
            .paged("1–100 (default 20)")
            .ok(200, Payload::of::<ConnectionPage>()),
        op("connections.request", "Connections", "Ask to connect (M18)")
            .body(Payload::of::<ConnectionRequest>())
            .ok(201, Payload::of::<Connection>())
            .ok(200, Payload::of::<Connection>())
            .errors(&[Conflict, Forbidden, NotFound]),
        op("connections.accept", "Connections", "Accept a connection request")
            .ok(200, Payload::of::<Connection>()).errors(&[Conflict, Forbidden]),
        op("connections.decline", "Connections", "Decline a connection request")
            .ok(200, Payload::of::<Connection>()).errors(&[Conflict, Forbidden]),
        op("connections.withdraw", "Connections", "Withdraw your request (the row is deleted)")
            .empty(204).errors(&[Conflict, Forbidden]),
        op("connections.remove", "Connections", "Remove a connection")
            .empty(204).errors(&[Conflict, Forbidden]),
        op("users.block", "Connections", "Block a member (never matched, M8)")
            .ok(201, Payload::of::<Connection>())
            .ok(200, Payload::of::<Connection>())
            .errors(&[Conflict, Forbidden]),
        op("users.unblock", "Connections", "Lift the caller's block")
            .empty(204)
            .errors(&[Conflict, Forbidden]),
        // Matching
        op("matching.queue.get", "Matching", "The caller's active queue entry (M21)")
            .ok(200, Payload::of::<QueueStatus>())
            .errors(&[NotFound]),
        op("matching.queue.enter", "Matching", "Enter the matching queue (M12)")
            .body(Payload::of::<EnterQueueRequest>())
            .ok(201, Payload::of::<QueueEntry>())
            .errors(&[Conflict, NotFound, Forbidden]),
        op("matching.queue.leave", "Matching", "Leave the queue")
            .empty(204)
            .errors(&[NotFound]),
        op("matching.proposals.get", "Matching", "A proposal, to its two users (M24)")
            .ok(200, Payload::of::<Proposal>()),
        op("matching.proposals.accept", "Matching", "Accept a proposal (M22)")
            .ok(200, Payload::of::<Proposal>()).errors(&[Conflict]),
        op("matching.proposals.decline", "Matching", "Decline a proposal (M22)")
            .ok(200, Payload::of::<Proposal>()).errors(&[Conflict]),
        op("me.ws_ticket", "Notifications", "A ticket for the caller's own channel")
            .ok(200, Payload::of::<WsTicket>()),
        op("me.ws", "Notifications", "The caller's real-time channel (WebSocket upgrade)")
            .q_required("ticket", Str, "a single-use ticket from `POST /v1/me/ws-ticket`")
            .empty(101)
            .errors(&[Unauthorized])
            .notes("A WebSocket upgrade: send `Upgrade: websocket`; without it the answer is 400."),
        op("dev.matching_cycle", "Development", "Run matching cycles now (dev auth only)")
            .body(Payload::of::<MatchingCycleRequest>())
            .ok(200, Payload::of::<MatchingCycle>()),
        // Notifications
        op("notifications.list", "Notifications", "The caller's inbox, newest first")
            .q("unread", Bool, "only unread ones")
            .paged("1–100 (default 20)")
            .ok(200, Payload::of::<NotificationPage>()),
        op("notifications.unread", "Notifications", "The unread counter (N10)")
            .ok(200, Payload::of::<UnreadCount>()),
        op("notifications.read", "Notifications", "Mark one notification read")
            .ok(200, Payload::of::<NotificationMarked>()),
        op("notifications.read_all", "Notifications", "Mark every notification read")
            .ok(200, Payload::of::<NotificationsMarked>()),
        op("notifications.delete", "Notifications", "Delete one notification")
            .empty(204),
        op("notifications.preferences.get", "Notifications", "The caller's notification preferences")
            .ok(200, Payload::of::<NotificationPreferences>()),
        op("notifications.preferences.put", "Notifications", "Replace the notification preferences")
            .body(Payload::of::<NotificationPreferencesPut>())
            .ok(200, Payload::of::<NotificationPreferences>()),
        op("notifications.ws_ticket", "Notifications", "A ticket for the caller's hub socket")
            .ok(200, Payload::of::<WsTicket>()),
        op("notifications.ws", "Notifications", "The resumable hub socket (WebSocket upgrade)")
            .q_required("ticket", Str, "a single-use ticket")
            .q("after", Int, "resume after this sequence number")
            .empty(101)
            .errors(&[Unauthorized])
            .notes("A WebSocket upgrade: send `Upgrade: websocket`; without it the answer is 400."),
        op("notifications.stream", "Notifications", "The hub as Server-Sent Events")
            .q("after", Int, "resume after this sequence number (or `Last-Event-ID`)")
            .ok(200, Payload::text("text/event-stream", "the hub's frames as SSE")),
        op("admin.announcements", "Admin", "A system announcement to the organisation")
            .body(Payload::of::<AnnouncementRequest>())
            .ok(202, Payload::of::<AnnouncementQueued>()),
        op("admin.announcements.progress", "Admin", "An announcement's fan-out progress (N16)")
            .ok(200, Payload::of::<AnnouncementProgress>()),
        op("dev.hub_erase", "Development", "Erase a user's notification hub now (N17; dev auth only)")
            .ok(200, Payload::of::<HubErased>()),
        op("dev.outbox", "Development", "The local email outbox (dev auth only)")
            .ok(200, Payload::of::<Outbox>()),
        // Search
        op("search", "Search", "Search every type, with counts and facets")
            .q_required("q", Str, "≤ 256 characters, 12 words")
            .q("language", Str, "a language tag (`en`, `pt-BR`)")
            .q("scope", OneOf(&["mine", "org"]), "`mine` (default) or `org` (organisation admins: every meeting of the organisation)")
            .q("limit", Int, "1–50 (default 20)")
            .q("offset", Int, "≤ 200")
            .ok(200, Payload::of::<SearchAll>()),
        op("search.meetings", "Search", "Search meetings")
            .q_required("q", Str, "the query")
            .q("state", OneOf(MEETING_STATES), "a meeting state")
            .q("host_id", Str, "the organizer")
            .q("from", Int, "unix ms")
            .q("to", Int, "unix ms")
            .q("language", Str, "a language tag")
            .q("scope", OneOf(&["mine", "org"]), "`mine` (default) or `org` (organisation admins)")
            .q("limit", Int, "1–50 (default 20)")
            .q("offset", Int, "≤ 200")
            .ok(200, Payload::of::<MeetingHitPage>()),
        op("search.transcripts", "Search", "Search transcripts")
            .q_required("q", Str, "the query")
            .q("meeting_id", Str, "one meeting")
            .q("speaker_id", Str, "one speaker")
            .q("language", Str, "a language tag")
            .q("scope", OneOf(&["mine", "org"]), "`mine` (default) or `org` (organisation admins)")
            .q("limit", Int, "1–50 (default 20)")
            .q("offset", Int, "≤ 200")
            .ok(200, Payload::of::<TranscriptHitPage>()),
        op("search.users", "Search", "Search the caller's organisation's members")
            .q_required("q", Str, "the query")
            .q("limit", Int, "1–50 (default 20)")
            .q("offset", Int, "≤ 200")
            .ok(200, Payload::of::<UserHitPage>()),
        op("search.suggest", "Search", "Suggestions as you type")
            .q_required("q", Str, "the prefix")
            .q("type", OneOf(&["meetings", "users"]), "`meetings` or `users`")
            .q("limit", Int, "1–10")
            .ok(200, Payload::of::<Suggestions>()),
        op("admin.search.reindex", "Admin", "Rebuild one search index")
            .ok(200, Payload::of::<ReindexRun>()),
        // Recordings and privacy
        op("recordings.get", "Recordings", "One recording with its signed download URL (F1)")
            .q("ttl_secs", Int, "the URL's lifetime, 1–86400 (default 900)")
            .ok(200, Payload::of::<RecordingDetail>()),
        op("files.get", "Recordings", "A signed URL's file (the signature is the credential)")
            .q_required("purpose", Str, "what the URL was signed for")
            .q_required("u", Str, "the user it was signed for")
            .q_required("exp", Int, "expiry, unix seconds")
            .q_required("sig", Str, "the signature")
            .empty(302),
        op("me.consents.get", "Privacy", "The caller's consents (P19)")
            .ok(200, Payload::of::<Consents>()),
        op("me.consents.set", "Privacy", "Grant or withdraw one consent (P19)")
            .body(Payload::of::<ConsentChange>())
            .ok(201, Payload::of::<Consents>()),
        op("admin.legal_holds.place", "Admin", "Place a legal hold on a meeting or user (P20)")
            .body(Payload::of::<LegalHoldRequest>())
            .ok(201, Payload::of::<LegalHoldBody>())
            .errors(&[NotFound]),
        op("admin.legal_holds.release", "Admin", "Release a legal hold (P20)")
            .ok(200, Payload::of::<LegalHoldBody>()),
        op("dev.retention_run", "Development", "One retention run now (dev auth only)")
            .ok(200, Payload::of::<RetentionRunBody>()),
        op("admin.storage_policies.list", "Admin", "The organisation's storage policies and the default schedule (P22–P25)")
            .ok(200, Payload::of::<StoragePolicies>()),
        op("admin.storage_policies.create", "Admin", "Create a storage policy for one data class (P22–P25)")
            .body(Payload::of::<StoragePolicyCreate>())
            .ok(201, Payload::of::<StoragePolicyBody>())
            .errors(&[Conflict]),
        op("admin.storage_policies.update", "Admin", "Change a storage policy (P22–P25)")
            .body(Payload::of::<StoragePolicyUpdate>())
            .ok(200, Payload::of::<StoragePolicyBody>()),
        op("admin.storage_policies.delete", "Admin", "Delete a storage policy; the class follows the default again")
            .ok(200, Payload::of::<StoragePolicyBody>()),
        op("admin.retention.runs", "Admin", "The newest retention runs and their counters")
            .q("limit", Int, "1–100 (default 20)")
            .ok(200, Payload::of::<RetentionRuns>()),
        op("admin_embeddings", "Admin", "The embeddings sweep's progress (M31)")
            .ok(200, Payload::of::<EmbeddingsStatus>()),
        op("dev.embeddings_sweep", "Development", "One page of the embeddings sweep now (dev auth only)")
            .ok(200, Payload::of::<EmbeddingsStatus>()),
        // Meetings
        op("meetings.list", "Meetings", "The meetings you are a member of")
            .q("state", OneOf(MEETING_STATES), "`scheduled`, `active`, `concluded` or `cancelled`")
            .q("from", Int, "planned start, unix ms, inclusive")
            .q("to", Int, "planned start, unix ms, exclusive")
            .q("order", OneOf(&["asc", "desc"]), "`asc` (default) or `desc`")
            .paged("1–100 (default 20)")
            .ok(200, Payload::of::<MeetingPage>()),
        op("meetings.create", "Meetings", "Create a meeting (the caller hosts)")
            .body(Payload::of::<CreateMeetingRequest>())
            .ok(201, Payload::of::<Meeting>())
            .errors(&[Conflict])
            .notes("With `Idempotency-Key`, a retry answers the same meeting (201, `idempotent-replayed: true`)."),
        op("meetings.get", "Meetings", "One meeting with its participants")
            .ok(200, Payload::of::<Meeting>()),
        op("meetings.update", "Meetings", "Change a meeting's details")
            .body(Payload::of::<UpdateMeetingRequest>())
            .ok(200, Payload::of::<Meeting>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.participants.list", "Meetings", "The meeting's members")
            .ok(200, Payload::of::<ParticipantList>()),
        op("meetings.participants.add", "Meetings", "Invite a member")
            .body(Payload::of::<AddParticipantRequest>())
            .ok(201, Payload::of::<Membership>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.participants.remove", "Meetings", "Remove a member (yourself: leave)")
            .empty(204)
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.participants.change_role", "Meetings", "Change a member's role")
            .body(Payload::of::<ChangeRoleRequest>())
            .ok(200, Payload::of::<Membership>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.cancel", "Meetings", "Cancel a scheduled meeting")
            .ok(200, Payload::of::<Meeting>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.start", "Meetings", "Start a meeting")
            .ok(200, Payload::of::<Meeting>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.end", "Meetings", "End a meeting (202 while the room still flushes)")
            .ok(200, Payload::of::<MeetingEnded>())
            .ok(202, Payload::of::<MeetingEnded>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.transfer_host", "Meetings", "Hand the host role to another member")
            .body(Payload::of::<TransferHostRequest>())
            .ok(200, Payload::of::<HostTransferred>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.video_token", "Meetings", "A GetStream call token for the caller")
            .ok(200, Payload::of::<VideoToken>())
            .errors(&[Conflict, MeetingNotActive, ProviderError]),
        op("meetings.ws_ticket", "Meetings", "A single-use ticket for the meeting room's socket")
            .ok(200, Payload::of::<WsTicket>())
            .errors(&[MeetingNotActive]),
        op("meetings.ws", "Meetings", "The meeting room's WebSocket (docs/protocol.md)")
            .q_required("ticket", Str, "a single-use ticket from `…/ws-ticket`")
            .empty(101)
            .notes("A WebSocket upgrade: send `Upgrade: websocket`; without it the answer is 400."),
        op("meetings.transcript", "Meetings", "The live transcript's chunks")
            .q("after_seq", Int, "chunks after this sequence number")
            .q("from_ms", Int, "window start")
            .q("to_ms", Int, "window end")
            .q("limit", Int, "1–500 (default 100)")
            .ok(200, Payload::of::<TranscriptPage>())
            .errors(&[MeetingNotActive]),
        op("meetings.segments", "Meetings", "The speaker-turn segments after the meeting")
            .q("after_start_ms", Int, "from the previous page's `next`")
            .q("after_speaker", Str, "from the previous page's `next`")
            .q("limit", Int, "1–200 (default 50)")
            .ok(200, Payload::of::<SegmentPage>())
            .errors(&[MeetingNotActive]),
        op("meetings.prompts", "Intelligence", "The meeting's prompts of one type")
            .q("type", OneOf(&["precall", "incall"]), "`precall` (default) or `incall`")
            .paged("1–100 (default 50)")
            .ok(200, Payload::of::<PromptPage>())
            .errors(&[MeetingNotActive]),
        op("meetings.insights.me", "Intelligence", "The caller's insight of a concluded meeting")
            .ok(200, Payload::of::<Insight>())
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.insights.me.delete", "Intelligence", "Delete the caller's insight of a meeting")
            .empty(204)
            .errors(&[Conflict, MeetingNotActive]),
        op("meetings.transcript.export", "Meetings", "The final transcript as a file")
            .q("format", OneOf(&["txt", "srt", "vtt", "json"]), "`txt`, `srt`, `vtt` or `json`")
            .ok(200, Payload::text("text/plain", "the transcript file"))
            .errors(&[MeetingNotActive]),
        op("meetings.recordings", "Recordings", "The meeting's recordings and recording jobs")
            .q("ttl_secs", Int, "the URLs' lifetime, 1–86400 (default 900)")
            .ok(200, Payload::of::<MeetingRecordings>())
            .errors(&[MeetingNotActive]),
        op("meetings.recording.start", "Recordings", "Start recording (every member consented)")
            .ok(201, Payload::of::<RecordingJobBody>())
            .errors(&[Conflict, MeetingNotActive, ProviderError]),
        op("meetings.recording.stop", "Recordings", "Stop recording")
            .ok(200, Payload::of::<RecordingJobBody>())
            .errors(&[Conflict, MeetingNotActive, ProviderError]),
        // Operations (docs/operations.md, docs/security.md)
        op("admin.metrics", "Operations", "Per-route and per-room p50/p95/p99 over a window (O9)")
            .q("window", Str, "e.g. `15m`, `1h` (docs/operations.md)")
            .ok(200, Payload::of::<AdminMetrics>())
            .errors(&[ProviderError]),
        op("metrics.prometheus", "Operations", "Prometheus text exposition (the `METRICS_TOKEN` bearer)")
            .ok(200, Payload::text("text/plain", "Prometheus exposition format 0.0.4"))
            .errors(&[Unauthorized, NotFound, ProviderError]),
        op("dev.alerts_run", "Development", "One alert evaluation now (dev auth only)")
            .ok(200, Payload::of::<AlertTick>()),
        op("admin.rate_limits.get", "Operations", "The effective rate limits, tiers and IP allow-list")
            .ok(200, Payload::of::<RateLimitSettings>()),
        op("admin.rate_limits.put", "Operations", "Change the rate limits at run time (operators, audited)")
            .body(Payload::of::<RateLimitSet>())
            .ok(200, Payload::of::<RateLimitSettings>()),
        // Privacy (docs/privacy.md)
        op("privacy.export.request", "Privacy", "Queue an export of the caller's data (P30–P33)")
            .ok(202, Payload::of::<ExportBody>())
            .errors(&[Conflict]),
        op("privacy.export.get", "Privacy", "The export's status, progress and signed download URL")
            .ok(200, Payload::of::<ExportBody>()),
        op("privacy.erasure.request", "Privacy", "Queue the caller's erasure (P34–P36)")
            .ok(202, Payload::of::<DeletionBody>())
            .ok(200, Payload::of::<DeletionBody>())
            .errors(&[Conflict]),
        op("privacy.erasure.get", "Privacy", "The erasure's status and progress")
            .ok(200, Payload::of::<DeletionBody>()),
    ]
}
