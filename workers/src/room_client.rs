//! Calls from the worker to a meeting's MeetingRoom Durable Object: the
//! internal contract in `connvo_shared::room_internal` (documented in
//! docs/protocol.md, "Internal endpoints").
//!
//! D1 is the source of truth; these calls tell the live room what already
//! happened there. So a failed notice (state, member, presence, caption) is
//! logged and the request goes on ([`Room::notify`]); only the end of a
//! meeting, whose final flush must not be lost, reports its failure to the
//! caller ([`Room::end`]).

use std::time::Duration;

use connvo_shared::log::{Level, LogLine};
use connvo_shared::room_internal::{
    header, path, CaptionNotice, EndNotice, FlagsNotice, MemberAction, MemberNotice,
    PresenceNotice, PresenceStatus, PromptNotice, StateNotice, TranscriptQuery,
};
use connvo_shared::ApiError;
use futures::future::{select, Either};
use serde::Serialize;
use worker::{Delay, Env, Headers, Method, Request, RequestInit, Response, Stub};

use crate::{config, logging};

/// A notice that takes longer than this is abandoned (and logged).
const NOTICE_TIMEOUT: Duration = Duration::from_secs(5);
/// The final flush writes the room's tail to D1; give it longer.
const END_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call from the worker to the room failed (not the room's own
/// refusals, which are `connvo_shared::room::RoomError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomCallError {
    #[error("the room could not be reached: {0}")]
    Unreachable(String),
    #[error("the room answered {0}")]
    Status(u16),
    #[error("the room did not answer within {0} ms")]
    Timeout(u128),
}

/// One meeting's room.
pub struct Room<'a> {
    env: &'a Env,
    meeting_id: &'a str,
    request_id: &'a str,
}

impl<'a> Room<'a> {
    pub fn new(env: &'a Env, meeting_id: &'a str, request_id: &'a str) -> Room<'a> {
        Room {
            env,
            meeting_id,
            request_id,
        }
    }

    fn stub(&self) -> Result<Stub, RoomCallError> {
        self.env
            .durable_object(config::ROOMS)
            .and_then(|ns| ns.id_from_name(self.meeting_id)?.get_stub())
            .map_err(|e| RoomCallError::Unreachable(e.to_string()))
    }

    async fn post<T: Serialize>(
        &self,
        url: &str,
        body: &T,
        timeout: Duration,
    ) -> Result<(), RoomCallError> {
        let json =
            serde_json::to_string(body).map_err(|e| RoomCallError::Unreachable(e.to_string()))?;
        let headers = Headers::new();
        let set = |name: &str, value: &str| {
            headers
                .set(name, value)
                .map_err(|e| RoomCallError::Unreachable(e.to_string()))
        };
        set("content-type", "application/json")?;
        set(header::REQUEST_ID, self.request_id)?;
        set(header::MEETING_ID, self.meeting_id)?;
        let req = Request::new_with_init(
            url,
            RequestInit::new()
                .with_method(Method::Post)
                .with_headers(headers)
                .with_body(Some(json.into())),
        )
        .map_err(|e| RoomCallError::Unreachable(e.to_string()))?;
        let stub = self.stub()?;
        let fetch = Box::pin(stub.fetch_with_request(req));
        let delay = Box::pin(Delay::from(timeout));
        let outcome = match select(fetch, delay).await {
            Either::Left((Ok(mut resp), _)) => {
                // Read the body to its end: an unread body keeps the
                // subrequest open, and a queue invocation then never ends.
                let _ = resp.bytes().await;
                match resp.status_code() {
                    200..=299 => Ok(()),
                    status => Err(RoomCallError::Status(status)),
                }
            }
            Either::Left((Err(e), _)) => Err(RoomCallError::Unreachable(e.to_string())),
            Either::Right(_) => Err(RoomCallError::Timeout(timeout.as_millis())),
        };
        outcome
    }

    /// Logs a failed notice; D1 already holds the truth.
    pub fn notify(&self, what: &str, result: Result<(), RoomCallError>) {
        if let Err(err) = result {
            logging::emit(
                &LogLine::new(Level::Warn, "room notice failed", self.request_id)
                    .field("notice", what)
                    .field("meeting_id", self.meeting_id)
                    .field("error", err.to_string()),
                Level::Warn,
            );
        }
    }

    /// The meeting's lifecycle state changed.
    pub async fn state(&self, state: &str, at_ms: i64) -> Result<(), RoomCallError> {
        let body = StateNotice {
            state: state.to_owned(),
            at_ms,
        };
        self.post(path::STATE, &body, NOTICE_TIMEOUT).await
    }

    /// A member's role changed.
    pub async fn set_role(&self, user_id: &str, role: &str) -> Result<(), RoomCallError> {
        let body = MemberNotice {
            user_id: user_id.to_owned(),
            action: MemberAction::SetRole,
            role: Some(role.to_owned()),
        };
        self.post(path::MEMBER, &body, NOTICE_TIMEOUT).await
    }

    /// A member was removed (or left): close their sockets.
    pub async fn revoke(&self, user_id: &str) -> Result<(), RoomCallError> {
        let body = MemberNotice {
            user_id: user_id.to_owned(),
            action: MemberAction::Revoke,
            role: None,
        };
        self.post(path::MEMBER, &body, NOTICE_TIMEOUT).await
    }

    /// Stream saw someone join or leave the call.
    pub async fn presence(
        &self,
        user_id: &str,
        status: PresenceStatus,
        at_ms: i64,
    ) -> Result<(), RoomCallError> {
        let body = PresenceNotice {
            user_id: user_id.to_owned(),
            status,
            at_ms,
        };
        self.post(path::PRESENCE, &body, NOTICE_TIMEOUT).await
    }

    /// One final closed-caption line for the live transcript.
    pub async fn caption(&self, caption: &CaptionNotice) -> Result<(), RoomCallError> {
        self.post(path::CAPTION, caption, NOTICE_TIMEOUT).await
    }

    /// A generated in-call prompt for the room to stream (`PromptNotice`).
    /// A 4xx means the room refused it (ended, flag off): not retried.
    pub async fn prompt(&self, prompt: &PromptNotice) -> Result<(), RoomCallError> {
        self.post(path::PROMPT, prompt, NOTICE_TIMEOUT).await
    }

    /// The meeting's intelligence flags changed (`FlagsNotice`).
    #[allow(dead_code)] // called by the flag admin route (issue 10)
    pub async fn flags(&self, flags: &FlagsNotice) -> Result<(), RoomCallError> {
        self.post(path::FLAGS, flags, NOTICE_TIMEOUT).await
    }

    /// The meeting ended: stop writes, close sockets, flush. `Ok` only once
    /// the room says the flush is done.
    pub async fn end(&self, at_ms: i64, reason: &str) -> Result<(), RoomCallError> {
        let body = EndNotice {
            at_ms,
            reason: reason.to_owned(),
        };
        self.post(path::END, &body, END_TIMEOUT).await
    }

    /// A bounded read of the live transcript (`TranscriptQuery`).
    pub async fn transcript(&self, query: &TranscriptQuery) -> Result<serde_json::Value, ApiError> {
        let headers = Headers::new();
        let fail = |e: worker::Error| ApiError::internal(format!("transcript read: {e}"));
        headers
            .set(header::MEETING_ID, self.meeting_id)
            .map_err(fail)?;
        headers
            .set(header::REQUEST_ID, self.request_id)
            .map_err(fail)?;
        let url = format!("{}?{}", path::TRANSCRIPT, query.to_query());
        let req = Request::new_with_init(
            &url,
            RequestInit::new()
                .with_method(Method::Get)
                .with_headers(headers),
        )
        .map_err(fail)?;
        let stub = self.stub().map_err(|e| ApiError::internal(e.to_string()))?;
        let mut resp = stub.fetch_with_request(req).await.map_err(fail)?;
        if resp.status_code() != 200 {
            return Err(ApiError::internal(format!(
                "the room answered {}",
                resp.status_code()
            )));
        }
        resp.json().await.map_err(fail)
    }

    /// Forwards a WebSocket upgrade, whose identity headers the caller has
    /// set, and returns the room's answer untouched (its 101 carries the
    /// socket).
    pub async fn forward_ws(&self, req: Request) -> Result<Response, ApiError> {
        let stub = self.stub().map_err(|e| ApiError::internal(e.to_string()))?;
        stub.fetch_with_request(req)
            .await
            .map_err(|e| ApiError::internal(format!("the room refused the socket: {e}")))
    }
}
