//! A fake GetStream Video for end-to-end tests, speaking the wire formats in
//! docs/vendors.md ("GetStream Video"):
//!
//! - [`FakeStream`] serves the create-call endpoint
//!   `POST /api/v2/video/call/{type}/{id}?api_key=…` as Stream does:
//!   it checks the API key, the server JWT in `Authorization` (raw, no
//!   `Bearer`; HS256 over `{"server":true}` with the API secret, decoded with
//!   `decode_stream_token`), `stream-auth-type: jwt` and the JSON body
//!   (`{"data": {"created_by_id", "members": [{"user_id","role"}], "custom",
//!   "starts_at"}}`); it is get-or-create (a second request for a cid answers
//!   `created: false`), records every request, and fails on demand (N × 503
//!   then success; a 4xx with Stream's `{code, message}` body; a slow answer);
//! - the recording endpoints
//!   `POST …/call/{type}/{id}/recordings/{recording_type}/start|stop` and
//!   `POST …/call/{type}/{id}/start_transcription|stop_transcription`, with
//!   the same authentication, holding whether each call records;
//! - [`sign_webhook`] signs a webhook body as Stream does (`X-Signature`:
//!   lowercase hex HMAC-SHA256 of the uncompressed body with the API secret)
//!   and [`webhook_event`] builds event bodies.
//!
//! Checked against the vendor: `tests/tests/stream_sdk.rs` drives this fake
//! with `@stream-io/node-sdk`'s own `getOrCreate` and verifies our webhook
//! signatures with the SDK's `verifyWebhook`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connvo_shared::auth::stream_token::decode_stream_token;
use connvo_shared::signature::hmac_sha256_hex;
use serde_json::{json, Value};

use super::http::{FakeRequest, FakeResponse, FakeServer};
use crate::BackendOptions;

/// The API key and secret every fake-Stream backend is configured with.
pub const API_KEY: &str = "fake_stream_key_e2e";
pub const API_SECRET: &str = "fake-stream-secret-for-e2e-tests-only-0123456789";

/// One request the fake received, and what it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` if it was not JSON).
    pub body: Value,
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A call the fake holds.
#[derive(Debug, Clone)]
pub struct FakeCall {
    pub call_type: String,
    pub id: String,
    pub created_by_id: String,
    pub members: Vec<Value>,
    pub custom: Value,
    pub starts_at: Option<String>,
}

/// What the next create-call requests meet, in order.
#[derive(Debug, Clone)]
pub enum Injected {
    /// Answer this status and body instead of handling the request.
    Answer(u16, Value),
    /// Wait this long, then handle the request normally.
    Delay(Duration),
}

#[derive(Default)]
struct State {
    calls: BTreeMap<String, FakeCall>,
    requests: Vec<Recorded>,
    script: VecDeque<Injected>,
    creations: usize,
    /// Whether each call's recording and transcription run.
    recording: BTreeMap<String, bool>,
    transcribing: BTreeMap<String, bool>,
}

/// The fake Stream server.
pub struct FakeStream {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

fn error(status: u16, code: i64, message: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        &json!({
            "code": code,
            "message": message,
            "exception_fields": {},
            "StatusCode": status,
            "duration": "0.10ms",
            "more_info": "https://getstream.io/chat/docs/api_errors_response",
        }),
    )
}

const ISO_NOW: &str = "2026-01-01T00:00:00.000000Z";

impl FakeStream {
    pub async fn start() -> FakeStream {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            async move {
                let injected = state.lock().ok().and_then(|mut s| s.script.pop_front());
                let resp = match injected {
                    Some(Injected::Answer(status, body)) => FakeResponse::json(status, &body),
                    Some(Injected::Delay(d)) => {
                        tokio::time::sleep(d).await;
                        handle(&state, &req)
                    }
                    None => handle(&state, &req),
                };
                if let Ok(mut s) = state.lock() {
                    s.requests.push(Recorded {
                        method: req.method.clone(),
                        path: req.path.clone(),
                        headers: req.headers.clone(),
                        body: serde_json::from_slice(&req.body).unwrap_or(Value::Null),
                        status: resp.status,
                    });
                }
                resp
            }
        })
        .await;
        FakeStream { server, state }
    }

    pub fn base_url(&self) -> &str {
        &self.server.base_url
    }

    /// Backend options pointing the Worker at this fake, with its key and secret.
    pub fn backend_options(&self) -> BackendOptions {
        BackendOptions::default()
            .var("STREAM_API_BASE", self.base_url())
            .var("STREAM_API_KEY", API_KEY)
            .var("STREAM_API_SECRET", API_SECRET)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The next `n` create-call requests get `status` (a 5xx by default body).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.with(|s| {
            for _ in 0..n {
                s.script.push_back(Injected::Answer(
                    status,
                    json!({"code": -1, "message": "internal error", "StatusCode": status}),
                ));
            }
        });
    }

    /// The next create-call request is refused with Stream's error body.
    pub fn reject_next(&self, status: u16, code: i64, message: &str) {
        self.with(|s| {
            s.script.push_back(Injected::Answer(
                status,
                json!({"code": code, "message": message, "exception_fields": {}, "StatusCode": status}),
            ))
        });
    }

    /// The next create-call request is answered only after `delay`.
    pub fn delay_next(&self, delay: Duration) {
        self.with(|s| s.script.push_back(Injected::Delay(delay)));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// How many calls were actually created (not merely got).
    pub fn creations(&self) -> usize {
        self.with(|s| s.creations)
    }

    pub fn call(&self, cid: &str) -> Option<FakeCall> {
        self.with(|s| s.calls.get(cid).cloned())
    }

    /// The call's recording and transcription die on Stream's side (as
    /// before a `call.recording_failed`): neither runs any more.
    pub fn fail_recording(&self, cid: &str) {
        self.with(|s| {
            s.recording.insert(cid.to_owned(), false);
            s.transcribing.insert(cid.to_owned(), false);
        });
    }

    /// Whether the call is being recorded and transcribed now.
    pub fn recording_state(&self, cid: &str) -> (bool, bool) {
        self.with(|s| {
            (
                s.recording.get(cid).copied().unwrap_or(false),
                s.transcribing.get(cid).copied().unwrap_or(false),
            )
        })
    }
}

/// The size of every file the fake's file store (`/files/…`) serves.
pub const FILE_BYTES: usize = 4096;

/// Handles a request as Stream would.
fn handle(state: &Arc<Mutex<State>>, req: &FakeRequest) -> FakeResponse {
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    // Stream's file store (its CDN), where recording files live: GET and
    // HEAD answer FILE_BYTES bytes (the worker probes sizes with HEAD).
    if path.starts_with("/files/") && matches!(req.method.as_str(), "GET" | "HEAD") {
        return FakeResponse {
            status: 200,
            content_type: "video/mp4",
            body: vec![0u8; FILE_BYTES],
        };
    }
    let segments: Vec<&str> = path.split('/').collect();
    let (call_type, call_id, action) = match segments.as_slice() {
        ["", "api", "v2", "video", "call", t, i] => (*t, *i, None),
        ["", "api", "v2", "video", "call", t, i, "recordings", rt, op @ ("start" | "stop")] => (
            *t,
            *i,
            Some(RecordingAction::Recording {
                recording_type: rt.to_string(),
                start: *op == "start",
            }),
        ),
        ["", "api", "v2", "video", "call", t, i, op @ ("start_transcription" | "stop_transcription")] => {
            (
                *t,
                *i,
                Some(RecordingAction::Transcription {
                    start: *op == "start_transcription",
                }),
            )
        }
        _ => return error(404, 16, "route not found"),
    };
    if req.method != "POST" {
        return error(405, 4, "method not allowed");
    }
    let api_key = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "api_key")
        .map(|(_, v)| v);
    if api_key != Some(API_KEY) {
        return error(401, 2, "api_key not found");
    }
    if req.header("stream-auth-type") != Some("jwt") {
        return error(401, 5, "stream-auth-type must be jwt");
    }
    let Some(token) = req.header("authorization") else {
        return error(401, 5, "missing Authorization header");
    };
    if token.starts_with("Bearer ") {
        return error(401, 5, "JWTAuth error: token must be sent without Bearer");
    }
    match decode_stream_token(API_SECRET, token) {
        Ok(claims) if claims == json!({"server": true}) => {}
        Ok(_) => return error(401, 5, "JWTAuth error: not a server token"),
        Err(_) => return error(401, 5, "JWTAuth error: signature is not valid"),
    }
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return error(400, 4, "content-type must be application/json");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, 4, "invalid JSON body");
    };
    if let Some(action) = action {
        return recording(state, &format!("{call_type}:{call_id}"), action, &body);
    }
    let data = body.get("data").cloned().unwrap_or(json!({}));
    if !data.is_object() {
        return error(
            400,
            4,
            "GetOrCreateCall failed with error: \"data must be an object\"",
        );
    }
    let created_by_id = data["created_by_id"]
        .as_str()
        .or_else(|| data["created_by"]["id"].as_str())
        .map(str::to_owned);
    let Some(created_by_id) = created_by_id else {
        return error(
            400,
            4,
            "GetOrCreateCall failed with error: \"either data.created_by or data.created_by_id must be provided when using server side auth.\"",
        );
    };
    let members = data["members"].as_array().cloned().unwrap_or_default();
    for (i, m) in members.iter().enumerate() {
        if m["user_id"].as_str().is_none_or(str::is_empty) {
            return error(
                400,
                4,
                &format!("GetOrCreateCall failed with error: \"data.members[{i}].user_id is a required field\""),
            );
        }
        if !(m["role"].is_null() || m["role"].is_string()) {
            return error(
                400,
                4,
                "GetOrCreateCall failed with error: \"role must be a string\"",
            );
        }
    }
    let starts_at = match &data["starts_at"] {
        Value::Null => None,
        Value::String(s) if connvo_shared::time::parse_rfc3339_ms(s).is_some() => Some(s.clone()),
        _ => {
            return error(
                400,
                4,
                "GetOrCreateCall failed with error: \"starts_at is not a time\"",
            )
        }
    };
    let cid = format!("{call_type}:{call_id}");
    let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
    let created = !guard.calls.contains_key(&cid);
    if created {
        guard.creations += 1;
        guard.calls.insert(
            cid.clone(),
            FakeCall {
                call_type: call_type.to_string(),
                id: call_id.to_string(),
                created_by_id,
                members: members.clone(),
                custom: data["custom"].clone(),
                starts_at,
            },
        );
    }
    let Some(call) = guard.calls.get(&cid).cloned() else {
        return error(500, -1, "lost the call");
    };
    drop(guard);
    FakeResponse::json(
        if created { 201 } else { 200 },
        &json!({
            "created": created,
            "duration": "1.00ms",
            "members": call.members.iter().map(|m| json!({
                "user_id": m["user_id"], "role": m["role"].as_str().unwrap_or("call_member"),
                "custom": {}, "created_at": ISO_NOW, "updated_at": ISO_NOW,
                "user": {"id": m["user_id"], "role": "user", "custom": {}, "teams": [],
                         "created_at": ISO_NOW, "updated_at": ISO_NOW}
            })).collect::<Vec<_>>(),
            "own_capabilities": [],
            "call": {
                "id": call.id, "type": call.call_type, "cid": cid,
                "created_by": {"id": call.created_by_id, "role": "user", "custom": {}, "teams": [],
                               "created_at": ISO_NOW, "updated_at": ISO_NOW},
                "custom": if call.custom.is_null() { json!({}) } else { call.custom.clone() },
                "starts_at": call.starts_at,
                "created_at": ISO_NOW, "updated_at": ISO_NOW,
                "current_session_id": "", "backstage": false, "captioning": false,
                "recording": false, "transcribing": false, "translating": false,
                "blocked_user_ids": [], "ingress": {}, "settings": {}
            }
        }),
    )
}

/// A recording or transcription request (the node SDK's `startRecording`,
/// `stopRecording`, `startTranscription`, `stopTranscription`).
#[derive(Debug, Clone)]
enum RecordingAction {
    Recording { recording_type: String, start: bool },
    Transcription { start: bool },
}

/// Starts or stops a call's recording or transcription as Stream does: the
/// call must exist, only `composite` (and the other known types) may be
/// recorded, and starting twice or stopping what is not running is a 400.
fn recording(
    state: &Arc<Mutex<State>>,
    cid: &str,
    action: RecordingAction,
    body: &Value,
) -> FakeResponse {
    if !body.is_object() {
        return error(400, 4, "body must be an object");
    }
    let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
    if !guard.calls.contains_key(cid) {
        return error(404, 16, &format!("Can't find call with id {cid}"));
    }
    let (flag, start, what) = match &action {
        RecordingAction::Recording {
            recording_type,
            start,
        } => {
            if !matches!(recording_type.as_str(), "composite" | "individual" | "raw") {
                return error(400, 4, "recording_type is not valid");
            }
            (
                guard.recording.entry(cid.to_owned()).or_default(),
                *start,
                "recording",
            )
        }
        RecordingAction::Transcription { start } => {
            if let Some(lang) = body.get("language") {
                if !lang.is_string() {
                    return error(400, 4, "language must be a string");
                }
            }
            (
                guard.transcribing.entry(cid.to_owned()).or_default(),
                *start,
                "transcription",
            )
        }
    };
    if *flag == start {
        let state = if start {
            "already running"
        } else {
            "not running"
        };
        return error(400, 4, &format!("{what} is {state}"));
    }
    *flag = start;
    FakeResponse::json(200, &json!({"duration": "1.00ms"}))
}

/// `X-Signature` for `body`: the lowercase hex HMAC-SHA256 of the
/// uncompressed body, keyed with the API secret.
pub fn sign_webhook(secret: &str, body: &[u8]) -> String {
    hmac_sha256_hex(secret.as_bytes(), body).unwrap_or_default()
}

/// Now as Stream writes `created_at` (RFC 3339 with nanoseconds).
pub fn created_at_now() -> String {
    created_at(super::workos::now_ms() as i64)
}

/// A unix-ms time as Stream writes it.
pub fn created_at(ms: i64) -> String {
    let base = connvo_shared::time::format_rfc3339_ms(ms).unwrap_or_default();
    // "…SS.mmmZ" → "…SS.mmm123456Z": Stream sends nanoseconds.
    base.replace('Z', "123456Z")
}

/// A webhook event body of `event_type` for the call `cid`, created now,
/// with `extra` fields merged in.
pub fn webhook_event(event_type: &str, cid: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": event_type,
        "created_at": created_at_now(),
        "call_cid": cid,
    });
    if let (Some(target), Value::Object(extra)) = (event.as_object_mut(), extra) {
        target.extend(extra);
    }
    event
}

/// The `participant` object of a joined/left event for `user_id`.
pub fn participant(user_id: &str) -> Value {
    json!({
        "user": {"id": user_id, "name": user_id, "custom": {}, "role": "user"},
        "user_session_id": format!("session-{user_id}"),
        "role": "user",
        "joined_at": created_at_now(),
    })
}
