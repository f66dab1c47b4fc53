//! The REST calls we make to Stream: get-or-create a call
//! (`connvo_shared::stream::call` builds it and reads the answer), and
//! starting and stopping its recording and transcription
//! (`connvo_shared::recordings::control::ProviderOp`). The
//! server token goes raw in `Authorization` (no `Bearer`), with
//! `stream-auth-type: jwt`; it is minted per request and never logged.

use std::time::Duration;

use connvo_shared::auth::stream_token::mint_server_token;
use connvo_shared::recordings::control::ProviderOp;
use connvo_shared::stream::call::{classify, CallOutcome, CreateCall, ProviderError};
use futures::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use super::config::StreamConfig;

/// Sends the create-call request and classifies the outcome. Never fails:
/// a transport error or a timeout is a transient outcome.
pub async fn create_call(cfg: &StreamConfig, call: &CreateCall) -> CallOutcome {
    post(cfg, &call.url(&cfg.api_base, &cfg.api_key), call.body()).await
}

/// Sends one recording or transcription request for the call `type:id`.
pub async fn recording_op(
    cfg: &StreamConfig,
    op: ProviderOp,
    call_type: &str,
    call_id: &str,
) -> CallOutcome {
    let url = format!(
        "{}{}?api_key={}",
        cfg.api_base.trim_end_matches('/'),
        op.path(call_type, call_id),
        cfg.api_key
    );
    post(cfg, &url, op.body().to_owned()).await
}

/// A server-authenticated JSON `POST`, classified (`stream::call::classify`).
async fn post(cfg: &StreamConfig, url: &str, body: String) -> CallOutcome {
    let token = match mint_server_token(&cfg.api_secret) {
        Ok(t) => t,
        Err(e) => return CallOutcome::Permanent(ProviderError::transport(e.to_string())),
    };
    let headers = Headers::new();
    let set = [
        ("authorization", token.as_str()),
        ("stream-auth-type", "jwt"),
        ("content-type", "application/json"),
        ("accept", "application/json"),
        (
            "x-stream-client",
            concat!("connvo-edge-", env!("CARGO_PKG_VERSION")),
        ),
    ]
    .iter()
    .try_for_each(|(name, value)| headers.set(name, value));
    if let Err(e) = set {
        return CallOutcome::Transient(ProviderError::transport(e.to_string()));
    }
    let request = Request::new_with_init(
        url,
        RequestInit::new()
            .with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into())),
    );
    let request = match request {
        Ok(r) => r,
        Err(e) => return CallOutcome::Permanent(ProviderError::transport(e.to_string())),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(Duration::from_millis(cfg.timeout_ms)));
    let outcome = match select(send, timeout).await {
        Either::Left((Ok(mut resp), _)) => {
            let status = resp.status_code();
            let bytes = resp.bytes().await.unwrap_or_default();
            classify(status, &bytes)
        }
        Either::Left((Err(e), _)) => {
            CallOutcome::Transient(ProviderError::transport(format!("request failed: {e}")))
        }
        Either::Right(_) => {
            controller.abort();
            CallOutcome::Transient(ProviderError::transport(format!(
                "no answer within {} ms",
                cfg.timeout_ms
            )))
        }
    };
    outcome
}
