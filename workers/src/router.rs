//! The request pipeline, in order: request id, route matching (the route
//! table, `connvo_shared::route`), CORS preflight, the access stage
//! (`crate::pipeline`: body limit, IP rate limit, authentication with the
//! per-user rate limit, body, ACL decision), the handler, then the one error
//! shape, CORS and rate-limit headers, one access-log line and the audit
//! flush. Handlers return `Result<Response, ApiError>`; nothing here can
//! panic on input.

use connvo_shared::log::{Level, LogLine};
use connvo_shared::request_id;
use connvo_shared::route::{match_route, Matched, Route, RouteClass, RouteMatch};
use connvo_shared::{ApiError, ErrorCode};
use worker::{Context, Date, Env, Request, Response};

use crate::pipeline::{self, Call};
use crate::request::RequestCtx;
use crate::{
    audit, auth, bench, cors, health, logging, metrics, rate_limit, respond, users, webhooks,
};

pub async fn handle(req: Request, env: Env, worker_ctx: Option<Context>) -> Response {
    let started_ms = Date::now().as_millis();
    let request_id = inbound_request_id(&req).unwrap_or_else(new_request_id);
    let method = req.method().to_string();
    let path = req.path();
    let matched = match_route(&method, &path);
    let class = match &matched {
        RouteMatch::Found(matched) => matched.spec.class,
        RouteMatch::MethodNotAllowed { .. } | RouteMatch::NotFound => RouteClass::Default,
    };
    let ctx = RequestCtx::new(request_id, &req, class, worker_ctx);
    let origin = req.headers().get("origin").ok().flatten();
    let cors_policy = cors::policy(&env);
    let preflight = connvo_shared::cors::is_preflight(
        &method,
        origin.as_deref(),
        req.headers()
            .get("access-control-request-method")
            .ok()
            .flatten()
            .as_deref(),
    );

    // A deployment that could accept dev tokens outside local development
    // refuses to serve at all, so the mistake cannot go unnoticed.
    let refused = auth::settings::dev_mode(&env).err();
    let (route_name, result) = match (refused, matched) {
        (Some(err), _) => ("misconfigured", Err(err)),
        (None, _) if preflight => (
            "cors_preflight",
            cors::preflight(&cors_policy, origin.as_deref().unwrap_or_default()),
        ),
        (None, matched) => match matched {
            RouteMatch::Found(matched) => (matched.spec.name, run(matched, &ctx, req, &env).await),
            RouteMatch::MethodNotAllowed { allowed } => (
                "method_not_allowed",
                Err(ApiError::new(
                    ErrorCode::MethodNotAllowed,
                    format!("{method} is not allowed here; use {}", allowed.join(", ")),
                )
                .with_details(serde_json::json!({ "allowed": allowed }))),
            ),
            RouteMatch::NotFound => (
                "not_found",
                Err(ApiError::not_found(format!("no route for {method} {path}"))),
            ),
        },
    };

    let resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            if err.code == ErrorCode::Internal {
                // (Misconfiguration lands here too, with its reason.)
                logging::emit(
                    &LogLine::new(Level::Error, "internal error", &ctx.request_id)
                        .field("route", route_name)
                        .field("error", err.message.as_str()),
                    Level::Error,
                );
            }
            respond::error(&err)
        }
    };
    let status = resp.status_code();
    let finished_ms = Date::now().as_millis();
    let duration_ms = finished_ms.saturating_sub(started_ms);
    logging::emit(
        &LogLine::new(Level::Info, "request", &ctx.request_id)
            .field("method", method.as_str())
            .field("route", route_name)
            .field("status", status)
            .field("duration_ms", duration_ms),
        Level::Info,
    );
    // Once per request, by route name (never the raw path), in the background.
    metrics::record_response(
        &env,
        &ctx,
        route_name,
        status,
        duration_ms,
        i64::try_from(finished_ms).unwrap_or(i64::MAX),
    );
    let mut resp = respond::finish(resp, &ctx.request_id);
    if resp.status_code() != 101 {
        let headers = resp.headers_mut();
        cors::decorate(&cors_policy, origin.as_deref(), headers);
        rate_limit::decorate(&ctx, headers);
        // The latency just recorded, so a load generator can compare its
        // own timings with `/v1/admin/metrics` (docs/operations.md).
        let _ = headers.set("server-timing", &format!("app;dur={duration_ms}"));
    }
    audit::flush(&ctx, &env);
    resp
}

/// The access stage, then the handler with what it established.
async fn run(
    matched: Matched,
    ctx: &RequestCtx,
    mut req: Request,
    env: &Env,
) -> Result<Response, ApiError> {
    let call = pipeline::prepare(&matched, ctx, &mut req, env).await?;
    crate::migration_reads::gate(&matched.route, &call, env).await?;
    dispatch(matched.route, call, ctx, req, env).await
}

async fn dispatch(
    route: Route,
    call: Call,
    ctx: &RequestCtx,
    req: Request,
    env: &Env,
) -> Result<Response, ApiError> {
    match route {
        Route::Health => health::health(ctx, env).await,
        Route::Version => Ok(respond::json(
            200,
            &serde_json::json!({ "version": connvo_shared::VERSION }),
        )),
        Route::OpenApi => Ok(crate::openapi::serve()),
        Route::Me => users::me(&call),
        Route::DevToken => auth::dev::mint(&call),
        Route::DevBenchVerify => bench::verify(&req).await,
        Route::AdminAudit => audit::admin::list(ctx, &call, &req, env).await,
        Route::AdminAuditExport => audit::admin::export(ctx, &call, &req, env).await,
        Route::WorkosWebhook => webhooks::workos::handle(ctx, req, env).await,
        Route::Meeting(route) => crate::meetings::dispatch(route, call, ctx, req, env).await,
        Route::StreamWebhook => crate::stream::webhook::handle(ctx, req, env).await,
        Route::MyProfile => crate::profiles::me(&call, env).await,
        Route::PutMyProfile => crate::profiles::put(ctx, &call, env).await,
        Route::UserProfile { user_id } => crate::profiles::user(&call, env, &user_id).await,
        Route::Interests => crate::profiles::interests(env).await,
        Route::ReadSwitches => crate::migration_reads::switches(&call, env).await,
        Route::MyInsights => crate::intelligence::reads::list(&call, &req, env).await,
        Route::DeleteInsight { insight_id } => {
            crate::intelligence::reads::delete(&call, env, &insight_id).await
        }
        Route::AdminFlags => crate::intelligence::admin::list(&call, env).await,
        Route::AdminSetFlag => crate::intelligence::admin::set(ctx, &call, env).await,
        Route::Connections => crate::connections::list(&call, &req, env).await,
        Route::RequestConnection => crate::connections::request(&call, env).await,
        Route::ConnectionMove {
            connection_id,
            action,
        } => crate::connections::act(&call, env, &connection_id, action).await,
        Route::BlockUser { user_id } => crate::connections::block(&call, env, &user_id).await,
        Route::UnblockUser { user_id } => crate::connections::unblock(&call, env, &user_id).await,
        Route::MatchingQueue => crate::matching::queue::status(&call, env).await,
        Route::EnterQueue => crate::matching::queue::enter(ctx, &call, env).await,
        Route::LeaveQueue => crate::matching::queue::leave(&call, env).await,
        Route::Proposal { proposal_id } => {
            crate::matching::proposals::get(ctx, &call, env, &proposal_id).await
        }
        Route::AnswerProposal {
            proposal_id,
            accept,
        } => {
            let answer = if accept {
                connvo_shared::matching::proposal_plan::Answer::Accept
            } else {
                connvo_shared::matching::proposal_plan::Answer::Decline
            };
            crate::matching::proposals::answer(ctx, &call, env, &proposal_id, answer).await
        }
        Route::HubTicket | Route::NotificationsTicket => {
            crate::notifications::hub::ticket(&call, env).await
        }
        Route::HubSocket => crate::notifications::hub::ws(&req, env, false).await,
        Route::NotificationsSocket => crate::notifications::hub::ws(&req, env, true).await,
        Route::NotificationsStream => crate::notifications::hub::stream(&call, &req, env).await,
        Route::DevMatchingCycle => crate::matching::cycle::dev(ctx, &call, env).await,
        Route::Notifications => crate::notifications::routes::list(&call, &req, env).await,
        Route::NotificationsUnread => crate::notifications::routes::unread_count(&call, env).await,
        Route::NotificationRead { notification_id } => {
            crate::notifications::routes::mark_read(&call, env, &notification_id).await
        }
        Route::NotificationsReadAll => {
            crate::notifications::routes::mark_all_read(&call, env).await
        }
        Route::DeleteNotification { notification_id } => {
            crate::notifications::routes::delete(&call, env, &notification_id).await
        }
        Route::NotificationPrefs => crate::notifications::routes::preferences(&call, env).await,
        Route::PutNotificationPrefs => {
            crate::notifications::routes::put_preferences(&call, env).await
        }
        Route::AdminAnnouncement => crate::notifications::announce::announce(&call, env).await,
        Route::DevOutbox => crate::notifications::email::outbox(&call, env).await,
        Route::AdminAnnouncementProgress { announcement_id } => {
            crate::notifications::announce::progress(&call, env, &announcement_id).await
        }
        Route::DevEraseHub { user_id } => crate::notifications::hub::dev_erase(env, &user_id).await,
        Route::Search => crate::search::all(&call, &req, env).await,
        Route::SearchMeetings => crate::search::meetings(&call, &req, env).await,
        Route::SearchTranscripts => crate::search::transcripts(&call, &req, env).await,
        Route::SearchUsers => crate::search::users(&call, &req, env).await,
        Route::SearchSuggest => crate::search::suggest(&call, &req, env).await,
        Route::AdminReindex { entity } => crate::search::reindex(&call, env, &entity).await,
        Route::Recording { recording_id } => {
            crate::recordings::get(ctx, &call, &req, env, &recording_id).await
        }
        Route::File { file_id } => crate::recordings::file(&req, env, &file_id).await,
        Route::MyConsents => crate::privacy::consents::get(&call, env).await,
        Route::SetConsent => crate::privacy::consents::set(ctx, &call, env).await,
        Route::PlaceLegalHold => crate::retention::holds::place_hold(ctx, &call, env).await,
        Route::ReleaseLegalHold { hold_id } => {
            crate::retention::holds::release_hold(ctx, &call, env, &hold_id).await
        }
        Route::DevRetentionRun => crate::retention::run::dev(&call, env).await,
        Route::ListStoragePolicies => crate::retention::policies::list(&call, env).await,
        Route::CreateStoragePolicy => crate::retention::policies::create(ctx, &call, env).await,
        Route::UpdateStoragePolicy { policy_id } => {
            crate::retention::policies::update(ctx, &call, env, &policy_id).await
        }
        Route::DeleteStoragePolicy { policy_id } => {
            crate::retention::policies::delete(ctx, &call, env, &policy_id).await
        }
        Route::RetentionRuns => crate::retention::run::list(&call, &req, env).await,
        Route::AdminEmbeddings => crate::embeddings::sweep::admin(&call, env).await,
        Route::DevEmbeddingsSweep => crate::embeddings::sweep::dev(env).await,
        Route::AdminMetrics => metrics::routes::admin(&req, env).await,
        Route::PrometheusMetrics => metrics::routes::prometheus(&req, env).await,
        Route::DevAlertsRun => metrics::alerts::dev(env).await,
        Route::AdminRateLimits => crate::rate_limit::admin::get(&call, env).await,
        Route::AdminSetRateLimits => crate::rate_limit::admin::set(ctx, &call, env).await,
        Route::RequestExport => crate::privacy::export::request(ctx, &call, env).await,
        Route::ExportStatus { export_id } => {
            crate::privacy::export::status(&call, &req, env, &export_id).await
        }
        Route::RequestErasure => crate::privacy::erasure::request(ctx, &call, env).await,
        Route::ErasureStatus { request_id } => {
            crate::privacy::erasure::status(&call, env, &request_id).await
        }
    }
}

fn inbound_request_id(req: &Request) -> Option<String> {
    let value = req.headers().get("x-request-id").ok().flatten()?;
    request_id::accept_inbound(&value).map(str::to_owned)
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    // crypto.getRandomValues cannot fail for 16 bytes; if it ever did, a
    // zero id is still a valid (if unhelpful) id rather than a failed request.
    let _ = getrandom::getrandom(&mut bytes);
    request_id::from_random(bytes)
}
