//! The API's route table: which (method, path) pairs exist and what they
//! carry. Matching is pure so the whole table is unit-tested natively; the
//! worker only dispatches on the result.

/// A validated path identifier (meeting ids, user ids): 1 to 64 characters of
/// `[A-Za-z0-9_-]`. Anything else never reaches a handler.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Every route the API serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/health`: version, and a real check of D1, KV and the Durable Object namespace.
    Health,
    /// `GET /v1/version`: the build's version, without touching any binding.
    Version,
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

impl Route {
    pub fn class(&self) -> RouteClass {
        match self {
            Route::Health
            | Route::Version
            | Route::Me
            | Route::DevToken
            | Route::DevBenchVerify
            | Route::AdminAudit
            | Route::AdminAuditExport => RouteClass::Default,
            Route::WorkosWebhook => RouteClass::Webhook,
            Route::Meeting(route) => route.class(),
            Route::StreamWebhook => RouteClass::Webhook,
        }
    }

    /// A stable name for logs and metrics (never contains ids).
    pub fn name(&self) -> &'static str {
        match self {
            Route::Health => "health",
            Route::Version => "version",
            Route::Meeting(route) => route.name(),
            Route::StreamWebhook => "webhooks.stream",
            Route::Me => "me",
            Route::DevToken => "dev_token",
            Route::DevBenchVerify => "dev_bench_verify",
            Route::AdminAudit => "admin_audit",
            Route::AdminAuditExport => "admin_audit_export",
            Route::WorkosWebhook => "workos_webhook",
        }
    }
}

/// The outcome of matching a request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    Found(Route),
    /// The path exists but not with this method.
    MethodNotAllowed {
        allowed: &'static [&'static str],
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
    let (route, allowed): (Route, &'static [&'static str]) = match segments.as_slice() {
        ["v1", "health"] => (Route::Health, &["GET"]),
        ["v1", "version"] => (Route::Version, &["GET"]),
        ["v1", "webhooks", "stream"] => (Route::StreamWebhook, &["POST"]),
        ["v1", "meetings", rest @ ..] => {
            return crate::meeting::routes::match_meeting(method, rest)
        }
        ["v1", "me"] => (Route::Me, &["GET"]),
        ["v1", "dev", "token"] => (Route::DevToken, &["POST"]),
        ["v1", "dev", "bench", "verify"] => (Route::DevBenchVerify, &["POST"]),
        ["v1", "admin", "audit"] => (Route::AdminAudit, &["GET"]),
        ["v1", "admin", "audit", "export"] => (Route::AdminAuditExport, &["GET"]),
        ["v1", "webhooks", "workos"] => (Route::WorkosWebhook, &["POST"]),
        _ => return RouteMatch::NotFound,
    };
    if allowed.contains(&method) {
        RouteMatch::Found(route)
    } else {
        RouteMatch::MethodNotAllowed { allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_routes() {
        assert_eq!(
            match_route("GET", "/v1/health"),
            RouteMatch::Found(Route::Health)
        );
        assert_eq!(
            match_route("GET", "/v1/health/"),
            RouteMatch::Found(Route::Health)
        );
        assert_eq!(
            match_route("GET", "/v1/version"),
            RouteMatch::Found(Route::Version)
        );
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
            assert_eq!(match_route(method, path), RouteMatch::Found(route.clone()));
            assert_eq!(route.class(), class);
            assert!(!route.name().contains('/'));
        }
        assert_eq!(
            match_route("GET", "/v1/webhooks/workos"),
            RouteMatch::MethodNotAllowed { allowed: &["POST"] }
        );
        assert_eq!(
            match_route("GET", "/v1/dev/token"),
            RouteMatch::MethodNotAllowed { allowed: &["POST"] }
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
            RouteMatch::MethodNotAllowed { allowed: &["GET"] }
        );
    }

    #[test]
    fn webhook_route() {
        assert_eq!(
            match_route("POST", "/v1/webhooks/stream"),
            RouteMatch::Found(Route::StreamWebhook)
        );
        assert_eq!(Route::StreamWebhook.class(), RouteClass::Webhook);
        assert_eq!(
            match_route("GET", "/v1/webhooks/stream"),
            RouteMatch::MethodNotAllowed { allowed: &["POST"] }
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
