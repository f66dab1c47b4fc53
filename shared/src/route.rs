//! The API's route table: every (method, path) the API serves, with what
//! the request pipeline must establish before the handler runs (its
//! [`RouteAccess`]: who may call it and which ACL action it is) and its
//! [`RouteClass`] (body and rate limits). Matching walks the table, so the
//! table is the one list of routes; it is pure and unit-tested natively, and
//! `every_route_declares_its_access` fails for a route that names no ACL
//! action without being on the explicit allow-list of unauthenticated routes.

use crate::acl::Action;

/// A validated path identifier (meeting ids, user ids): 1 to 64 characters of
/// `[A-Za-z0-9_-]`. Anything else never reaches a handler.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Every route the API serves (the ids in its path, validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/health`: version, and a real check of D1, KV and the Durable Object namespace.
    Health,
    /// `GET /v1/version`: the build's version, without touching any binding.
    Version,
    /// `GET /v1/openapi.json`: the OpenAPI 3.1 document (`crate::openapi`).
    OpenApi,
    /// Everything under `/v1/meetings` (see `meeting::routes`).
    Meeting(crate::meeting::routes::MeetingRoute),
    /// `POST /v1/webhooks/stream`: GetStream Video events (signed, not user-authenticated).
    StreamWebhook,
    /// `GET /v1/me`: the authenticated caller.
    Me,
    /// `POST /v1/dev/token`: a local-development token (404 unless dev auth is on).
    DevToken,
    /// `POST /v1/dev/bench/verify`: times token verification in the Worker (dev auth only).
    DevBenchVerify,
    /// `GET /v1/admin/audit`: the caller's organisation's audit log (org admins).
    AdminAudit,
    /// `GET /v1/admin/audit/export`: the same as NDJSON, in bounded pages.
    AdminAuditExport,
    /// `POST /v1/webhooks/workos`: WorkOS events (signed).
    WorkosWebhook,
    /// `GET /v1/me/profile`: the caller's profile (empty before the first PUT).
    MyProfile,
    /// `PUT /v1/me/profile`: replace the caller's profile and interests.
    PutMyProfile,
    /// `GET /v1/users/{id}/profile`: another member's profile (rule I32).
    UserProfile { user_id: String },
    /// `GET /v1/interests`: the interest catalogue.
    Interests,
    /// `GET /v1/migration/read-switches`: where the caller's reads of each
    /// migrated module go during a legacy cutover (rule L2).
    ReadSwitches,
    /// `GET /v1/insights`: the caller's post-call insights, newest first.
    MyInsights,
    /// `DELETE /v1/insights/{id}`: delete one of the caller's insights.
    DeleteInsight { insight_id: String },
    /// `GET /v1/admin/flags`: this environment's feature flags.
    AdminFlags,
    /// `PUT /v1/admin/flags`: set one flag (with a reason; audited).
    AdminSetFlag,
    /// `GET /v1/connections`: the caller's connections and requests (M20).
    Connections,
    /// `POST /v1/connections`: ask to connect (M18).
    RequestConnection,
    /// `POST /v1/connections/{id}/{accept,decline,withdraw}` and `DELETE
    /// /v1/connections/{id}` (remove): a move on a connection (M17).
    ConnectionMove {
        connection_id: String,
        action: crate::matching::connections::ConnectionAction,
    },
    /// `PUT /v1/users/{id}/block`: block a member (never matched, M8).
    BlockUser { user_id: String },
    /// `DELETE /v1/users/{id}/block`: lift the caller's block.
    UnblockUser { user_id: String },
    /// `GET /v1/matching/queue`: the caller's active queue entry (M21).
    MatchingQueue,
    /// `POST /v1/matching/queue`: enter the queue (M12).
    EnterQueue,
    /// `DELETE /v1/matching/queue`: leave it (M13 cancel).
    LeaveQueue,
    /// `GET /v1/matching/proposals/{id}`: a proposal, to its two users (M24).
    Proposal { proposal_id: String },
    /// `POST /v1/matching/proposals/{id}/{accept,decline}` (M22).
    AnswerProposal { proposal_id: String, accept: bool },
    /// `POST /v1/me/ws-ticket`: a ticket for the caller's own channel.
    HubTicket,
    /// `GET /v1/me/ws?ticket=`: the caller's real-time channel (the ticket
    /// is the credential).
    HubSocket,
    /// `POST /v1/dev/matching/cycle`: run matching cycles now (dev auth only).
    DevMatchingCycle,
    /// `GET /v1/notifications`: the caller's inbox (cursor, unread filter).
    Notifications,
    /// `GET /v1/notifications/unread-count`
    NotificationsUnread,
    /// `POST /v1/notifications/{id}/read`
    NotificationRead { notification_id: String },
    /// `POST /v1/notifications/read-all`
    NotificationsReadAll,
    /// `DELETE /v1/notifications/{id}`
    DeleteNotification { notification_id: String },
    /// `GET /v1/notifications/preferences`
    NotificationPrefs,
    /// `PUT /v1/notifications/preferences`
    PutNotificationPrefs,
    /// `POST /v1/notifications/ws-ticket`: a ticket for the caller's hub.
    NotificationsTicket,
    /// `GET /v1/notifications/ws?ticket=&after=`: the resumable hub socket.
    NotificationsSocket,
    /// `GET /v1/notifications/stream`: the hub as Server-Sent Events.
    NotificationsStream,
    /// `POST /v1/admin/announcements`: a system announcement to the org.
    AdminAnnouncement,
    /// `GET /v1/dev/outbox`: the local email outbox (local only).
    DevOutbox,
    /// `GET /v1/admin/announcements/{id}`: an announcement's fan-out progress (N16).
    AdminAnnouncementProgress { announcement_id: String },
    /// `POST /v1/dev/users/{id}/hub/erase`: erase a user's hub now (N17,
    /// local only; the privacy erasure calls the same function).
    DevEraseHub { user_id: String },
    /// `GET /v1/search`: every type, with counts and facets.
    Search,
    /// `GET /v1/search/meetings`
    SearchMeetings,
    /// `GET /v1/search/transcripts`
    SearchTranscripts,
    /// `GET /v1/search/users`
    SearchUsers,
    /// `GET /v1/search/suggest`
    SearchSuggest,
    /// `POST /v1/admin/search/{entity}/reindex`: rebuild one index.
    AdminReindex { entity: String },
    /// `GET /v1/recordings/{id}`: one recording with its signed download
    /// URL, for the meeting's members (F1).
    Recording { recording_id: String },
    /// `GET /v1/files/{id}?purpose=&u=&exp=&sig=`: a signed URL's file (the
    /// signature is the credential, F2–F4).
    File { file_id: String },
    /// `GET /v1/me/consents`: the caller's consents, effective and history (P19).
    MyConsents,
    /// `POST /v1/me/consents`: grant or withdraw one consent (P19).
    SetConsent,
    /// `POST /v1/admin/legal-holds`: place a hold on a meeting or user (P20).
    PlaceLegalHold,
    /// `DELETE /v1/admin/legal-holds/{id}`: release a hold (P20).
    ReleaseLegalHold { hold_id: String },
    /// `POST /v1/dev/retention/run`: one retention run now (dev auth only).
    DevRetentionRun,
    /// `GET /v1/admin/storage-policies`: the organisation's storage
    /// policies and the defaults (P22–P23).
    ListStoragePolicies,
    /// `POST /v1/admin/storage-policies`: a policy for one scope (P23).
    CreateStoragePolicy,
    /// `PUT /v1/admin/storage-policies/{id}`: replace its settings (P23).
    UpdateStoragePolicy { policy_id: String },
    /// `DELETE /v1/admin/storage-policies/{id}`: back to the default (P23).
    DeleteStoragePolicy { policy_id: String },
    /// `GET /v1/admin/retention/runs`: the latest retention runs' counters (P24).
    RetentionRuns,
    /// `GET /v1/admin/embeddings`: the embeddings sweep's progress (M31).
    AdminEmbeddings,
    /// `POST /v1/dev/embeddings/sweep`: one page of the embeddings sweep now
    /// (dev auth only).
    DevEmbeddingsSweep,
    /// `GET /v1/admin/metrics`: p50/p95/p99 per route and room series over
    /// `?window=` (docs/operations.md, O9).
    AdminMetrics,
    /// `GET /v1/metrics`: the Prometheus exposition (O7), for scrapers with
    /// the `METRICS_TOKEN` bearer.
    PrometheusMetrics,
    /// `POST /v1/dev/alerts/run`: one alert evaluation now (dev auth only).
    DevAlertsRun,
    /// `GET /v1/admin/rate-limits`: the effective rate limits (docs/security.md).
    AdminRateLimits,
    /// `PUT /v1/admin/rate-limits`: change them at run time (operators, audited).
    AdminSetRateLimits,
    /// `POST /v1/privacy/export`: queue an export of the caller's data (P33).
    RequestExport,
    /// `GET /v1/privacy/export/{id}`: its status, progress and signed URL (P33).
    ExportStatus { export_id: String },
    /// `POST /v1/privacy/delete-account`: queue the caller's erasure (P34).
    RequestErasure,
    /// `GET /v1/privacy/delete-account/{id}`: its status (P35).
    ErasureStatus { request_id: String },
}

/// The route's class, for body limits and rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    Default,
    MeetingCreate,
    Webhook,
    WsTicket,
    TranscriptIngest,
}

/// What the pipeline establishes before a route's handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess {
    /// Anyone (health, version). Allow-listed in the tests.
    Public,
    /// A vendor webhook: the handler verifies the signature over the raw
    /// body, which it reads itself. Allow-listed in the tests.
    Signed,
    /// Local development only (`DEV_AUTH=on`); 404 everywhere else.
    /// Allow-listed in the tests.
    Dev,
    /// Any authenticated user; what they may do is theirs alone (their
    /// profile, their meetings, creating a meeting they will host).
    User,
    /// An authenticated user allowed this action on the meeting in the path.
    Meeting(ActionRule),
    /// An authenticated user allowed this organisation-level action.
    Org(Action),
    /// A WebSocket ticket (the upgrade's credential) whose holder is allowed
    /// this action on the meeting in the path.
    Ticket(Action),
}

/// The ACL action a meeting route asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionRule {
    Always(Action),
    /// `own` when the caller targets themselves (the path's user id is the
    /// caller's), `other` otherwise: removing yourself is leaving.
    OwnOrOther {
        own: Action,
        other: Action,
    },
}

impl ActionRule {
    /// The action, for `caller_id` acting on `target_id` (the path's user).
    pub fn resolve(self, caller_id: &str, target_id: Option<&str>) -> Action {
        match self {
            ActionRule::Always(action) => action,
            ActionRule::OwnOrOther { own, other } => {
                if target_id == Some(caller_id) {
                    own
                } else {
                    other
                }
            }
        }
    }
}

/// One row of the route table. `path` segments in braces are ids
/// ([`is_valid_id`]), handed to `build` in order.
#[derive(Debug)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    /// A stable name for logs and metrics (never contains ids).
    pub name: &'static str,
    pub access: RouteAccess,
    pub class: RouteClass,
    pub build: fn(&[String]) -> Route,
}

impl RouteSpec {
    /// The ids `path` captures from `segments`, when it matches.
    fn captures(&self, segments: &[&str]) -> Option<Vec<String>> {
        let pattern: Vec<&str> = self.path.split('/').skip(1).collect();
        if pattern.len() != segments.len() {
            return None;
        }
        let mut ids = Vec::new();
        for (want, got) in pattern.iter().zip(segments) {
            if want.starts_with('{') {
                if !is_valid_id(got) {
                    return None;
                }
                ids.push((*got).to_owned());
            } else if want != got {
                return None;
            }
        }
        Some(ids)
    }
}

/// The `i`th id a path captured (the matcher guarantees it exists).
pub fn path_id(ids: &[String], i: usize) -> String {
    ids.get(i).cloned().unwrap_or_default()
}

/// The routes outside `/v1/meetings` (those are `meeting::routes::ROUTES`).
pub static ROUTES: &[RouteSpec] = &[
    RouteSpec {
        method: "GET",
        path: "/v1/health",
        name: "health",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |_| Route::Health,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/version",
        name: "version",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |_| Route::Version,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/openapi.json",
        name: "openapi",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |_| Route::OpenApi,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/webhooks/stream",
        name: "webhooks.stream",
        access: RouteAccess::Signed,
        class: RouteClass::Webhook,
        build: |_| Route::StreamWebhook,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/me",
        name: "me",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::Me,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/token",
        name: "dev_token",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevToken,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/bench/verify",
        name: "dev_bench_verify",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevBenchVerify,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/audit",
        name: "admin_audit",
        access: RouteAccess::Org(Action::ReadAuditLog),
        class: RouteClass::Default,
        build: |_| Route::AdminAudit,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/audit/export",
        name: "admin_audit_export",
        access: RouteAccess::Org(Action::ExportAuditLog),
        class: RouteClass::Default,
        build: |_| Route::AdminAuditExport,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/webhooks/workos",
        name: "workos_webhook",
        access: RouteAccess::Signed,
        class: RouteClass::Webhook,
        build: |_| Route::WorkosWebhook,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/me/profile",
        name: "me.profile.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::MyProfile,
    },
    RouteSpec {
        method: "PUT",
        path: "/v1/me/profile",
        name: "me.profile.put",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::PutMyProfile,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/users/{id}/profile",
        name: "users.profile",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::UserProfile {
            user_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/interests",
        name: "interests",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::Interests,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/migration/read-switches",
        name: "migration.read_switches",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::ReadSwitches,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/insights",
        name: "insights.list",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::MyInsights,
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/insights/{id}",
        name: "insights.delete",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::DeleteInsight {
            insight_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/flags",
        name: "admin_flags",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminFlags,
    },
    RouteSpec {
        method: "PUT",
        path: "/v1/admin/flags",
        name: "admin_flags_set",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminSetFlag,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/connections",
        name: "connections.list",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::Connections,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/connections",
        name: "connections.request",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::RequestConnection,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/connections/{id}/accept",
        name: "connections.accept",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::ConnectionMove {
            connection_id: path_id(p, 0),
            action: crate::matching::connections::ConnectionAction::Accept,
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/connections/{id}/decline",
        name: "connections.decline",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::ConnectionMove {
            connection_id: path_id(p, 0),
            action: crate::matching::connections::ConnectionAction::Decline,
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/connections/{id}/withdraw",
        name: "connections.withdraw",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::ConnectionMove {
            connection_id: path_id(p, 0),
            action: crate::matching::connections::ConnectionAction::Withdraw,
        },
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/connections/{id}",
        name: "connections.remove",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::ConnectionMove {
            connection_id: path_id(p, 0),
            action: crate::matching::connections::ConnectionAction::Remove,
        },
    },
    RouteSpec {
        method: "PUT",
        path: "/v1/users/{id}/block",
        name: "users.block",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::BlockUser {
            user_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/users/{id}/block",
        name: "users.unblock",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::UnblockUser {
            user_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/matching/queue",
        name: "matching.queue.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::MatchingQueue,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/matching/queue",
        name: "matching.queue.enter",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::EnterQueue,
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/matching/queue",
        name: "matching.queue.leave",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::LeaveQueue,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/matching/proposals/{id}",
        name: "matching.proposals.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::Proposal {
            proposal_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/matching/proposals/{id}/accept",
        name: "matching.proposals.accept",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::AnswerProposal {
            proposal_id: path_id(p, 0),
            accept: true,
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/matching/proposals/{id}/decline",
        name: "matching.proposals.decline",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::AnswerProposal {
            proposal_id: path_id(p, 0),
            accept: false,
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/me/ws-ticket",
        name: "me.ws_ticket",
        access: RouteAccess::User,
        class: RouteClass::WsTicket,
        build: |_| Route::HubTicket,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/me/ws",
        name: "me.ws",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |_| Route::HubSocket,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/matching/cycle",
        name: "dev.matching_cycle",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevMatchingCycle,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/notifications",
        name: "notifications.list",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::Notifications,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/notifications/unread-count",
        name: "notifications.unread",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::NotificationsUnread,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/notifications/read-all",
        name: "notifications.read_all",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::NotificationsReadAll,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/notifications/preferences",
        name: "notifications.preferences.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::NotificationPrefs,
    },
    RouteSpec {
        method: "PUT",
        path: "/v1/notifications/preferences",
        name: "notifications.preferences.put",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::PutNotificationPrefs,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/notifications/ws-ticket",
        name: "notifications.ws_ticket",
        access: RouteAccess::User,
        class: RouteClass::WsTicket,
        build: |_| Route::NotificationsTicket,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/notifications/ws",
        name: "notifications.ws",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |_| Route::NotificationsSocket,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/notifications/stream",
        name: "notifications.stream",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::NotificationsStream,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/notifications/{id}/read",
        name: "notifications.read",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::NotificationRead {
            notification_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/notifications/{id}",
        name: "notifications.delete",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::DeleteNotification {
            notification_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/recordings/{recording_id}",
        name: "recordings.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::Recording {
            recording_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/files/{file_id}",
        name: "files.get",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |p| Route::File {
            file_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/me/consents",
        name: "me.consents.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::MyConsents,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/me/consents",
        name: "me.consents.set",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::SetConsent,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/admin/legal-holds",
        name: "admin.legal_holds.place",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |_| Route::PlaceLegalHold,
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/admin/legal-holds/{hold_id}",
        name: "admin.legal_holds.release",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |p| Route::ReleaseLegalHold {
            hold_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/storage-policies",
        name: "admin.storage_policies.list",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |_| Route::ListStoragePolicies,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/admin/storage-policies",
        name: "admin.storage_policies.create",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |_| Route::CreateStoragePolicy,
    },
    RouteSpec {
        method: "PUT",
        path: "/v1/admin/storage-policies/{policy_id}",
        name: "admin.storage_policies.update",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |p| Route::UpdateStoragePolicy {
            policy_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/admin/storage-policies/{policy_id}",
        name: "admin.storage_policies.delete",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |p| Route::DeleteStoragePolicy {
            policy_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/retention/runs",
        name: "admin.retention.runs",
        access: RouteAccess::Org(Action::ManageRetention),
        class: RouteClass::Default,
        build: |_| Route::RetentionRuns,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/admin/announcements",
        name: "admin.announcements",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminAnnouncement,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/announcements/{id}",
        name: "admin.announcements.progress",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |p| Route::AdminAnnouncementProgress {
            announcement_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/users/{id}/hub/erase",
        name: "dev.hub_erase",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |p| Route::DevEraseHub {
            user_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/dev/outbox",
        name: "dev.outbox",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevOutbox,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/search",
        name: "search",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::Search,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/search/meetings",
        name: "search.meetings",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::SearchMeetings,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/search/transcripts",
        name: "search.transcripts",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::SearchTranscripts,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/search/users",
        name: "search.users",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::SearchUsers,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/search/suggest",
        name: "search.suggest",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::SearchSuggest,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/admin/search/{id}/reindex",
        name: "admin.search.reindex",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |p| Route::AdminReindex {
            entity: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/retention/run",
        name: "dev.retention_run",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevRetentionRun,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/embeddings",
        name: "admin_embeddings",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminEmbeddings,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/embeddings/sweep",
        name: "dev.embeddings_sweep",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevEmbeddingsSweep,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/metrics",
        name: "admin.metrics",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminMetrics,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/metrics",
        name: "metrics.prometheus",
        access: RouteAccess::Public,
        class: RouteClass::Default,
        build: |_| Route::PrometheusMetrics,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/dev/alerts/run",
        name: "dev.alerts_run",
        access: RouteAccess::Dev,
        class: RouteClass::Default,
        build: |_| Route::DevAlertsRun,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/admin/rate-limits",
        name: "admin.rate_limits.get",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminRateLimits,
    },
    RouteSpec {
        method: "PUT",
        path: "/v1/admin/rate-limits",
        name: "admin.rate_limits.put",
        access: RouteAccess::Org(Action::ManageFeatureFlags),
        class: RouteClass::Default,
        build: |_| Route::AdminSetRateLimits,
    },
    RouteSpec {
        method: "POST",
        path: "/v1/privacy/export",
        name: "privacy.export.request",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::RequestExport,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/privacy/export/{export_id}",
        name: "privacy.export.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::ExportStatus {
            export_id: path_id(p, 0),
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/privacy/delete-account",
        name: "privacy.erasure.request",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| Route::RequestErasure,
    },
    RouteSpec {
        method: "GET",
        path: "/v1/privacy/delete-account/{request_id}",
        name: "privacy.erasure.get",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |p| Route::ErasureStatus {
            request_id: path_id(p, 0),
        },
    },
];

/// Every row of the route table.
pub fn table() -> impl Iterator<Item = &'static RouteSpec> {
    ROUTES.iter().chain(crate::meeting::routes::ROUTES.iter())
}

/// A matched route: the table row and the route with its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub spec: &'static RouteSpec,
    pub route: Route,
}

impl PartialEq for RouteSpec {
    fn eq(&self, other: &Self) -> bool {
        self.method == other.method && self.path == other.path
    }
}
impl Eq for RouteSpec {}

/// The outcome of matching a request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    Found(Matched),
    /// The path exists but not with this method.
    MethodNotAllowed {
        allowed: Vec<&'static str>,
    },
    NotFound,
}

/// Matches `method` and `path` (no query string) against the table.
pub fn match_route(method: &str, path: &str) -> RouteMatch {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut allowed = Vec::new();
    for spec in table() {
        let Some(ids) = spec.captures(&segments) else {
            continue;
        };
        if spec.method == method {
            return RouteMatch::Found(Matched {
                spec,
                route: (spec.build)(&ids),
            });
        }
        allowed.push(spec.method);
    }
    if allowed.is_empty() {
        RouteMatch::NotFound
    } else {
        RouteMatch::MethodNotAllowed { allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::Scope;

    fn found(method: &str, path: &str) -> Matched {
        match match_route(method, path) {
            RouteMatch::Found(m) => m,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    /// The only routes the pipeline lets through without an ACL action.
    /// Adding one here is a security decision: say why in its doc comment.
    const UNAUTHENTICATED: &[&str] = &[
        "health",
        "version",
        // The API's public description (no data).
        "openapi",
        "webhooks.stream",
        "workos_webhook",
        "dev_token",
        "dev_bench_verify",
        // Runs matching cycles: dev auth only (404 elsewhere).
        "dev.matching_cycle",
        // One retention run now: dev auth only (404 elsewhere).
        "dev.retention_run",
        // The signed URL is the credential (F2–F4), verified by the handler.
        "files.get",
        // Runs one page of the embeddings sweep: dev auth only (404 elsewhere).
        "dev.embeddings_sweep",
        // The ticket in the query is the credential (verified by the
        // handler, single use in the hub), as for a meeting's socket.
        "me.ws",
        "notifications.ws",
        // The local email outbox: dev auth only (404 elsewhere).
        "dev.outbox",
        // Erases a user's hub now: dev auth only (404 elsewhere).
        "dev.hub_erase",
        // The Prometheus scrape: the METRICS_TOKEN bearer is the credential,
        // compared by the handler (401 when missing or wrong, 404 when unset).
        "metrics.prometheus",
        // One alert evaluation now: dev auth only (404 elsewhere).
        "dev.alerts_run",
    ];

    /// Authenticated routes whose access is the caller's own (no ACL action
    /// beyond being signed in).
    /// The profile and insights routes act on the caller's own rows (every
    /// statement binds the caller's id); `users.profile` decides visibility
    /// in its plan (rule I32: same organisation or a shared meeting, else 404).
    const USER_ONLY: &[&str] = &[
        "me",
        "meetings.list",
        "meetings.create",
        "me.profile.get",
        "me.profile.put",
        "users.profile",
        "interests",
        "insights.list",
        "insights.delete",
        // Connections and matching act only on rows naming the caller; the
        // plans answer 404 for anyone else (M20, M24).
        "connections.list",
        "connections.request",
        "connections.accept",
        "connections.decline",
        "connections.withdraw",
        "connections.remove",
        "users.block",
        "users.unblock",
        "matching.queue.get",
        "matching.queue.enter",
        "matching.queue.leave",
        // A recording's plan decides the caller's access to its meeting
        // (ReadTranscript) and answers 404 otherwise; consents are the caller's own.
        "recordings.get",
        "me.consents.get",
        "me.consents.set",
        "matching.proposals.get",
        "matching.proposals.accept",
        "matching.proposals.decline",
        "me.ws_ticket",
        // The inbox routes bind the caller's id in every statement (N9);
        // search puts the caller's memberships or organisation in every
        // query (S10).
        "notifications.list",
        "notifications.unread",
        "notifications.read_all",
        "notifications.preferences.get",
        "notifications.preferences.put",
        "notifications.ws_ticket",
        "notifications.stream",
        "notifications.read",
        "notifications.delete",
        "search",
        "search.meetings",
        "search.transcripts",
        "search.users",
        "search.suggest",
        // The caller's own flag decisions (L2).
        "migration.read_switches",
        // The caller's own export and erasure requests: every statement
        // binds the caller (or, for a finished erasure, their pseudonym),
        // anyone else's id is 404 (P33–P35).
        "privacy.export.request",
        "privacy.export.get",
        "privacy.erasure.request",
        "privacy.erasure.get",
    ];

    #[test]
    fn every_route_declares_its_access() {
        for spec in table() {
            match spec.access {
                RouteAccess::Public | RouteAccess::Signed | RouteAccess::Dev => assert!(
                    UNAUTHENTICATED.contains(&spec.name),
                    "{} {} is reachable without an ACL action and is not allow-listed",
                    spec.method,
                    spec.path
                ),
                RouteAccess::User => assert!(
                    USER_ONLY.contains(&spec.name),
                    "{} {} names no ACL action",
                    spec.method,
                    spec.path
                ),
                RouteAccess::Meeting(rule) => {
                    assert!(spec.path.starts_with("/v1/meetings/{"), "{}", spec.path);
                    let actions = match rule {
                        ActionRule::Always(a) => vec![a],
                        ActionRule::OwnOrOther { own, other } => vec![own, other],
                    };
                    for action in actions {
                        assert_ne!(action.scope(), Scope::Org, "{}", spec.name);
                    }
                }
                RouteAccess::Ticket(action) => {
                    assert_eq!(action.scope(), Scope::Meeting, "{}", spec.name)
                }
                RouteAccess::Org(action) => {
                    assert_ne!(action.scope(), Scope::Meeting, "{}", spec.name)
                }
            }
        }
    }

    #[test]
    fn every_route_matches_itself_once_under_a_unique_name() {
        let mut names = Vec::new();
        for spec in table() {
            let path = spec
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "id_1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let m = found(spec.method, &path);
            assert_eq!(m.spec.name, spec.name);
            assert!(!spec.name.contains('/') && !spec.name.contains("id_1"));
            names.push(spec.name);
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "route names are unique");
    }

    #[test]
    fn matches_known_routes() {
        assert_eq!(found("GET", "/v1/health").route, Route::Health);
        assert_eq!(found("GET", "/v1/health/").route, Route::Health);
        assert_eq!(found("GET", "/v1/version").route, Route::Version);
    }

    #[test]
    fn identity_and_admin_routes() {
        let table = [
            ("GET", "/v1/me", Route::Me, RouteClass::Default),
            (
                "POST",
                "/v1/dev/token",
                Route::DevToken,
                RouteClass::Default,
            ),
            (
                "POST",
                "/v1/dev/bench/verify",
                Route::DevBenchVerify,
                RouteClass::Default,
            ),
            (
                "GET",
                "/v1/admin/audit",
                Route::AdminAudit,
                RouteClass::Default,
            ),
            (
                "GET",
                "/v1/admin/audit/export",
                Route::AdminAuditExport,
                RouteClass::Default,
            ),
            (
                "POST",
                "/v1/webhooks/workos",
                Route::WorkosWebhook,
                RouteClass::Webhook,
            ),
        ];
        for (method, path, route, class) in table {
            let m = found(method, path);
            assert_eq!(m.route, route);
            assert_eq!(m.spec.class, class);
        }
        assert_eq!(
            match_route("GET", "/v1/webhooks/workos"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["POST"]
            }
        );
        assert_eq!(
            match_route("GET", "/v1/dev/token"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["POST"]
            }
        );
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(match_route("GET", "/"), RouteMatch::NotFound);
        assert_eq!(match_route("GET", "/v1"), RouteMatch::NotFound);
        assert_eq!(match_route("GET", "/v2/health"), RouteMatch::NotFound);
        assert_eq!(match_route("GET", "/v1/health/x"), RouteMatch::NotFound);
        assert_eq!(match_route("GET", "//v1//health"), RouteMatch::NotFound);
        assert_eq!(
            match_route("POST", "/v1/health"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["GET"]
            }
        );
    }

    #[test]
    fn webhook_route() {
        let m = found("POST", "/v1/webhooks/stream");
        assert_eq!(m.route, Route::StreamWebhook);
        assert_eq!(m.spec.class, RouteClass::Webhook);
        assert_eq!(m.spec.access, RouteAccess::Signed);
        assert_eq!(
            match_route("GET", "/v1/webhooks/stream"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["POST"]
            }
        );
    }

    #[test]
    fn removing_yourself_is_leaving() {
        let rule = ActionRule::OwnOrOther {
            own: Action::LeaveMeeting,
            other: Action::ManageParticipants,
        };
        assert_eq!(rule.resolve("a", Some("a")), Action::LeaveMeeting);
        assert_eq!(rule.resolve("a", Some("b")), Action::ManageParticipants);
        assert_eq!(rule.resolve("a", None), Action::ManageParticipants);
        assert_eq!(
            ActionRule::Always(Action::ReadMeeting).resolve("a", Some("a")),
            Action::ReadMeeting
        );
    }

    #[test]
    fn ids_are_bounded_and_plain() {
        assert!(is_valid_id("mtg_01HXYZ-a"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(65)));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("é"));
    }
}
