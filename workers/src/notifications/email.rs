//! Email (N5): the `SendEmail` job and the providers behind
//! [`EmailProvider`]. `EMAIL_PROVIDER` picks one:
//!
//! - `resend` (production): Resend's REST API (`RESEND_BASE_URL`, default
//!   `https://api.resend.com`; `RESEND_API_KEY`; `EMAIL_FROM`), wire format
//!   in `connvo_shared::notifications::email`;
//! - `local` (the default): nothing leaves the machine; the outbox row is
//!   marked sent and `GET /v1/dev/outbox` shows it.
//!
//! Never twice: the job reads the notification's `email_outbox` row; a row
//! already `sent` (or `dead`) is acked at once; the provider gets the
//! notification id as its idempotency key; `sent` is set only from
//! `pending`. Quiet hours: a row whose `send_after` is still ahead is
//! retried with the remaining delay. Failures back off like every job and
//! the last one dead-letters the row (`status = 'dead'`).

use connvo_rooms::d1::D1;
use connvo_shared::jobs::{JobMessage, JobResult, MAX_QUEUE_DELAY_SECS};
use connvo_shared::log::Level;
use connvo_shared::notifications::email::{
    idempotency_key, resend_body, resend_outcome, Message, Outcome,
};
use connvo_shared::sql::notifications::{
    EmailOutboxDead, EmailOutboxFailed, EmailOutboxGet, EmailOutboxListSent, EmailOutboxSent,
};
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::clock::now_ms;
use crate::config::var;
use crate::entropy::random_u32;
use crate::jobs::{failed, log, JobCtx};
use crate::pipeline::Call;
use crate::respond;
use crate::stream::config::job_backoff;

/// A way to send one email. (Futures need not be `Send`: the worker is
/// single-threaded wasm.)
#[allow(async_fn_in_trait)]
pub trait EmailProvider {
    /// The provider's name, recorded on the outbox row.
    fn name(&self) -> &'static str;
    /// One attempt.
    async fn send(&self, message: &Message<'_>) -> Outcome;
}

/// Resend's REST API.
pub struct Resend {
    base_url: String,
    api_key: String,
}

impl EmailProvider for Resend {
    fn name(&self) -> &'static str {
        "resend"
    }

    async fn send(&self, message: &Message<'_>) -> Outcome {
        let attempt = async {
            let headers = Headers::new();
            headers.set("authorization", &format!("Bearer {}", self.api_key))?;
            headers.set("content-type", "application/json")?;
            headers.set("idempotency-key", &idempotency_key(message))?;
            let req = Request::new_with_init(
                &format!("{}/emails", self.base_url.trim_end_matches('/')),
                RequestInit::new()
                    .with_method(Method::Post)
                    .with_headers(headers)
                    .with_body(Some(resend_body(message).to_string().into())),
            )?;
            let mut resp = Fetch::Request(req).send().await?;
            // Read to the end whatever the status (an unread body keeps the
            // queue invocation open).
            let text = resp.text().await?;
            Ok::<_, worker::Error>((resp.status_code(), text))
        };
        match attempt.await {
            Ok((status, text)) => resend_outcome(status, &text),
            Err(e) => Outcome::Retry(format!("transport: {e}")),
        }
    }
}

/// The local default: the outbox row is the mail.
pub struct LocalOutbox;

impl EmailProvider for LocalOutbox {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn send(&self, message: &Message<'_>) -> Outcome {
        Outcome::Sent(format!("local-{}", message.id))
    }
}

enum Provider {
    Resend(Resend),
    Local(LocalOutbox),
}

impl Provider {
    fn from_env(env: &Env) -> Result<Provider, ApiError> {
        match var(env, "EMAIL_PROVIDER").as_deref() {
            None | Some("local") => Ok(Provider::Local(LocalOutbox)),
            Some("resend") => Ok(Provider::Resend(Resend {
                base_url: var(env, "RESEND_BASE_URL")
                    .unwrap_or_else(|| "https://api.resend.com".to_owned()),
                api_key: var(env, "RESEND_API_KEY")
                    .ok_or_else(|| ApiError::internal("RESEND_API_KEY is not set"))?,
            })),
            Some(other) => Err(ApiError::internal(format!(
                "EMAIL_PROVIDER {other:?} is not resend or local"
            ))),
        }
    }

    async fn send(&self, m: &Message<'_>) -> (&'static str, Outcome) {
        match self {
            Provider::Resend(p) => (p.name(), p.send(m).await),
            Provider::Local(p) => (p.name(), p.send(m).await),
        }
    }
}

/// A row of `EMAIL_OUTBOX_GET` / `EMAIL_OUTBOX_LIST_SENT`.
#[derive(Debug, Deserialize)]
pub struct OutboxRow {
    pub notification_id: String,
    pub user_id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub send_after: i64,
    pub status: String,
    pub attempts: i64,
    pub provider: Option<String>,
    pub provider_id: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub created_at: i64,
}

/// The `SendEmail` job.
pub async fn run(env: &Env, msg: &JobMessage, notification_id: &str, jc: &JobCtx) -> JobResult {
    let db = match D1::from_env(env) {
        Ok(db) => db,
        Err(e) => return failed(env, jc, msg, "email: no database", &e.into()),
    };
    let row = match db
        .first::<OutboxRow>(EmailOutboxGet { notification_id })
        .await
    {
        Ok(Some(row)) => row,
        // The notification (and its row) was deleted: nothing to send.
        Ok(None) => return JobResult::Done,
        Err(e) => return failed(env, jc, msg, "email: outbox read failed", &e.into()),
    };
    if row.status != "pending" {
        return JobResult::Done; // sent or dead: never twice
    }
    let now = now_ms();
    if row.send_after > now {
        // Quiet hours (N4): wait out the rest of the window.
        let secs = u32::try_from((row.send_after - now + 999) / 1000)
            .unwrap_or(MAX_QUEUE_DELAY_SECS)
            .min(MAX_QUEUE_DELAY_SECS);
        return JobResult::Retry { delay_secs: secs };
    }
    let provider = match Provider::from_env(env) {
        Ok(p) => p,
        Err(e) => return failed(env, jc, msg, "email: provider misconfigured", &e),
    };
    let from =
        var(env, "EMAIL_FROM").unwrap_or_else(|| "Connvo <notifications@connvo.local>".into());
    let message = Message {
        id: &row.notification_id,
        from: &from,
        to: &row.to_address,
        subject: &row.subject,
        text: &row.body,
    };
    let (name, outcome) = provider.send(&message).await;
    let backoff = job_backoff(env);
    let result = match outcome {
        Outcome::Sent(provider_id) => db
            .run(EmailOutboxSent {
                notification_id,
                provider: name,
                provider_id: &provider_id,
                now_ms: now,
            })
            .await
            .map(|_| JobResult::Done),
        Outcome::Retry(error) if !backoff.is_last(jc.attempt) => db
            .run(EmailOutboxFailed {
                notification_id,
                error: &error,
                now_ms: now,
            })
            .await
            .map(|_| backoff.retry_or_done(jc.attempt, random_u32())),
        Outcome::Retry(error) | Outcome::Permanent(error) => {
            crate::logging::emit(
                &log(jc, Level::Error, "email dead-lettered", msg).field("error", error.as_str()),
                Level::Error,
            );
            db.run(EmailOutboxDead {
                notification_id,
                error: &error,
                now_ms: now,
            })
            .await
            .map(|_| JobResult::Done)
        }
    };
    result.unwrap_or_else(|e| failed(env, jc, msg, "email: outbox write failed", &e.into()))
}

/// `GET /v1/dev/outbox` (local only): the mail "sent", newest first.
pub async fn outbox(_call: &Call, env: &Env) -> Result<Response, ApiError> {
    let rows = D1::from_env(env)?
        .all::<OutboxRow>(EmailOutboxListSent { limit: 200 })
        .await?;
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({"notification_id": r.notification_id, "user_id": r.user_id,
                   "to": r.to_address, "subject": r.subject, "body": r.body,
                   "provider": r.provider, "provider_id": r.provider_id,
                   "attempts": r.attempts, "send_after": r.send_after,
                   "sent_at": r.sent_at, "created_at": r.created_at,
                   "status": r.status, "last_error": r.last_error})
        })
        .collect();
    Ok(respond::json(200, &json!({ "items": items })))
}
