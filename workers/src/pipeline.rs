//! The request pipeline's access stage: everything a route's row in the
//! table (`connvo_shared::route`) declares, established once, in this order,
//! before the handler runs:
//!
//! 1. the declared body length against the route class's limit (413 before
//!    a byte is read);
//! 2. the per-IP rate limit of the class;
//! 3. who is calling, by the route's [`RouteAccess`]: nobody (public,
//!    signed webhooks, whose handler verifies the signature over the raw
//!    body it reads itself), dev mode (404 unless on), a bearer token
//!    (`auth::authenticate`, which also applies the per-user rate limit),
//!    or a WebSocket ticket;
//! 4. the body, read once and bounded by the class (not for `GET`);
//! 5. the access decision: for a meeting route, the meeting and the
//!    caller's membership loaded together and `meeting::access::authorize`
//!    asked for the route's action; for an organisation route,
//!    `acl::authorize_org`. A refusal is audited (`access.denied`).
//!
//! The handler receives the result, a [`Call`].

use connvo_rooms::d1::D1;
use connvo_shared::acl::{authorize_org, Action};
use connvo_shared::audit::{actions, AuditEvent, Outcome};
use connvo_shared::auth::dev::DevAuth;
use connvo_shared::auth::membership::StoredUser;
use connvo_shared::auth::ticket::{verify_ticket, TicketClaims};
use connvo_shared::limits::max_body_bytes;
use connvo_shared::meeting::access::{authorize, not_visible, Caller};
use connvo_shared::meeting::routes::MeetingRoute;
use connvo_shared::meeting::view::{MeetingRow, MembershipRow};
use connvo_shared::operator_limits::Tier;
use connvo_shared::route::{Matched, Route, RouteAccess};
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::sql::participants::ParticipantGet;
use connvo_shared::sql::users::UserGetForAuth;
use connvo_shared::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Request};

use crate::auth::{self, Authed};
use crate::clock::now_ms;
use crate::meetings::audited;
use crate::request::{read_body, too_large, RequestCtx};
use crate::{audit, config, rate_limit};

/// What the pipeline established for the handler.
pub struct Call {
    /// The request body, read once and bounded by the route's class. Empty
    /// for `GET` and for signed routes (their handler reads the raw body).
    pub body: Vec<u8>,
    /// The authenticated user (user, organisation and meeting routes).
    pub user: Option<Authed>,
    /// The meeting access decision (meeting and ticket routes).
    pub meeting: Option<MeetingAccess>,
    /// The organisation an organisation route acts on (the caller's, allowed).
    pub org_id: Option<String>,
}

/// A meeting the caller may act on: loaded once, decided once.
pub struct MeetingAccess {
    pub caller: Caller,
    /// The ACL action that was allowed.
    pub action: Action,
    pub meeting: MeetingRow,
    /// The caller's membership (`None` for an org admin who is not a member).
    pub membership: Option<MembershipRow>,
    /// The verified ticket, on the WebSocket entry.
    pub ticket: Option<TicketClaims>,
}

impl MeetingAccess {
    pub fn role(&self) -> Option<connvo_shared::acl::MeetingRole> {
        self.membership.as_ref().map(MembershipRow::role)
    }
}

impl Call {
    fn bare(body: Vec<u8>) -> Call {
        Call {
            body,
            user: None,
            meeting: None,
            org_id: None,
        }
    }

    /// The authenticated user; the route table guarantees one for
    /// user, organisation and meeting routes.
    pub fn user(&self) -> Result<&Authed, ApiError> {
        self.user
            .as_ref()
            .ok_or_else(|| ApiError::internal("route has no authenticated user"))
    }

    /// The meeting decision; the route table guarantees one for meeting routes.
    pub fn meeting(&self) -> Result<&MeetingAccess, ApiError> {
        self.meeting
            .as_ref()
            .ok_or_else(|| ApiError::internal("route has no meeting access"))
    }

    pub fn org_id(&self) -> Result<&str, ApiError> {
        self.org_id
            .as_deref()
            .ok_or_else(|| ApiError::internal("route has no organisation"))
    }
}

/// Runs the access stage for `matched`.
pub async fn prepare(
    matched: &Matched,
    ctx: &RequestCtx,
    req: &mut Request,
    env: &Env,
) -> Result<Call, ApiError> {
    let limit = max_body_bytes(matched.spec.class);
    check_declared_length(req, limit)?;
    let anonymous = matches!(
        matched.spec.access,
        RouteAccess::Public | RouteAccess::Signed | RouteAccess::Dev
    );
    rate_limit::check_ip(ctx, env, anonymous).await?;
    let reads_body = matched.spec.method != "GET";
    match matched.spec.access {
        RouteAccess::Public | RouteAccess::Signed => Ok(Call::bare(Vec::new())),
        RouteAccess::Dev => {
            if auth::settings::dev_mode(env)? != DevAuth::On {
                return Err(ApiError::not_found(format!(
                    "no route for {} {}",
                    matched.spec.method,
                    req.path()
                )));
            }
            Ok(Call::bare(body(req, reads_body, limit).await?))
        }
        RouteAccess::User => {
            let authed = auth::authenticate(req, env, ctx).await?;
            let mut call = Call::bare(body(req, reads_body, limit).await?);
            call.user = Some(authed);
            Ok(call)
        }
        RouteAccess::Org(action) => {
            let authed = auth::authenticate(req, env, ctx).await?;
            let org = authorize_org(&authed.subject(None), action).map_err(|decision| {
                audit::record(
                    ctx,
                    AuditEvent::new(actions::ACCESS_DENIED, Outcome::Deny, org_resource(action))
                        .actor(authed.user_id())
                        .org(authed.org_id.clone())
                        .meta("action", action.as_str())
                        .meta("reason", decision.reason_code()),
                );
                decision
                    .into_result()
                    .err()
                    .unwrap_or_else(|| ApiError::forbidden("organisation admins only"))
            })?;
            let mut call = Call::bare(body(req, reads_body, limit).await?);
            call.user = Some(authed);
            call.org_id = Some(org);
            Ok(call)
        }
        RouteAccess::Meeting(rule) => {
            let route = meeting_route(&matched.route)?;
            // The per-user limit's tier is the caller's meeting role (O11):
            // it is checked after the decision (which only reads).
            ctx.user_limit_deferred.set(true);
            let authed = auth::authenticate(req, env, ctx).await?;
            let caller = authed.caller();
            let action = rule.resolve(&caller.user_id, route.target_user());
            let meeting_id = route.meeting_id().unwrap_or_default();
            let decided = decide(ctx, env, caller, meeting_id, action, None).await;
            let tier = Tier::of(
                authed.identity.is_org_admin(),
                decided.as_ref().ok().and_then(MeetingAccess::role),
            );
            rate_limit::check_user(ctx, env, authed.user_id(), tier, true).await?;
            let access = decided?;
            let body = body(req, reads_body, limit).await?;
            let mut call = Call::bare(body);
            call.user = Some(authed);
            call.meeting = Some(access);
            Ok(call)
        }
        RouteAccess::Ticket(action) => {
            let route = meeting_route(&matched.route)?;
            let meeting_id = route.meeting_id().unwrap_or_default();
            expect_upgrade(req)?;
            let ticket = ticket_param(req)?;
            let secret = config::ws_ticket_secret(env)?;
            let now = u64::try_from(now_ms()).unwrap_or(0);
            let claims = verify_ticket(&secret, &ticket, meeting_id, now)?;
            let db = D1::from_env(env)?;
            let user: Option<StoredUser> = db
                .first(UserGetForAuth {
                    id: &claims.user_id,
                })
                .await?;
            let caller = Caller::from_user_row(&claims.user_id, user.as_ref());
            let access = decide(ctx, env, caller, meeting_id, action, Some(claims)).await?;
            let mut call = Call::bare(Vec::new());
            call.meeting = Some(access);
            Ok(call)
        }
    }
}

/// Step 4: the body, unless the route is a `GET`.
async fn body(req: &mut Request, reads_body: bool, limit: usize) -> Result<Vec<u8>, ApiError> {
    if reads_body {
        read_body(req, limit).await
    } else {
        Ok(Vec::new())
    }
}

/// The audit resource type of an organisation-level refusal.
fn org_resource(action: Action) -> &'static str {
    match action {
        Action::ReadAuditLog | Action::ExportAuditLog => "audit_log",
        _ => "organisation",
    }
}

fn meeting_route(route: &Route) -> Result<&MeetingRoute, ApiError> {
    match route {
        Route::Meeting(route) if route.meeting_id().is_some() => Ok(route),
        _ => Err(ApiError::internal(
            "a meeting access on a route without a meeting",
        )),
    }
}

/// Loads the meeting with the caller's membership (one batch) and decides
/// `action`, auditing a refusal. Also the replay of an idempotent create,
/// which answers with a meeting the route did not name.
pub async fn decide(
    ctx: &RequestCtx,
    env: &Env,
    caller: Caller,
    meeting_id: &str,
    action: Action,
    ticket: Option<TicketClaims>,
) -> Result<MeetingAccess, ApiError> {
    let db = D1::from_env(env)?;
    let outcomes = db
        .batch(&[
            MeetingGet { id: meeting_id }.statement(),
            ParticipantGet {
                meeting_id,
                user_id: &caller.user_id,
            }
            .statement(),
        ])
        .await?;
    let first = |i: usize| {
        outcomes
            .get(i)
            .ok_or_else(|| ApiError::internal("D1 batch returned too few results"))
    };
    let meeting: Option<MeetingRow> = first(0)?.first()?;
    let membership: Option<MembershipRow> = first(1)?.first()?;
    if let Err(err) = authorize(&caller, action, meeting.as_ref(), membership.as_ref()) {
        audited::denied(ctx, &caller, meeting_id, action, &err);
        return Err(err);
    }
    let meeting = meeting.ok_or_else(not_visible)?;
    Ok(MeetingAccess {
        caller,
        action,
        meeting,
        membership,
        ticket,
    })
}

/// Refuses a body whose declared length is over the route's limit before a
/// byte of it is read. Bodies are also measured after reading (`read_body`).
fn check_declared_length(req: &Request, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn expect_upgrade(req: &Request) -> Result<(), ApiError> {
    let is_upgrade = req
        .headers()
        .get("upgrade")
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::ValidationError,
        "this route only accepts a WebSocket upgrade",
    )
    .with_details(json!({ "field": "Upgrade", "reason": "NOT_A_WEBSOCKET_UPGRADE" })))
}

/// The one `ticket` query parameter.
fn ticket_param(req: &Request) -> Result<String, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL could not be read"))?;
    let mut tickets = url
        .query_pairs()
        .filter(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned());
    match (tickets.next(), tickets.next()) {
        (Some(t), None) if !t.is_empty() => Ok(t),
        _ => Err(
            ApiError::unauthorized("a ticket is required (POST /v1/meetings/{id}/ws-ticket)")
                .with_details(json!({ "reason": "TICKET_MISSING" })),
        ),
    }
}
