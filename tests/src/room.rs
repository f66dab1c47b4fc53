//! A test client for the meeting room: sets up users (dev tokens), a
//! meeting with participants, and WebSocket sessions speaking the room
//! protocol (docs/protocol.md), with helpers to wait for frames.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use crate::Backend;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A user with a development token (the backend must run with the default,
/// local vars: `ENVIRONMENT=local`, `DEV_AUTH=on`).
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

pub async fn user(b: &Backend, id: &str) -> User {
    user_with_role(b, id, "member").await
}

/// As [`user`], with the organisation role `role` (`member` or `admin`).
pub async fn user_with_role(b: &Backend, id: &str, role: &str) -> User {
    let resp = reqwest::Client::new()
        .post(b.url("/v1/dev/token"))
        .json(&json!({"user_id": id, "org_id": "org_test", "role": role}))
        .send()
        .await
        .expect("dev token");
    assert_eq!(resp.status().as_u16(), 200, "dev token for {id}");
    let body: Value = resp.json().await.expect("dev token body");
    let token = body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    // The first authenticated request creates the user row.
    let me = reqwest::Client::new()
        .get(b.url("/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status().as_u16(), 200);
    User {
        id: id.to_owned(),
        token,
    }
}

pub async fn call(
    b: &Backend,
    u: &User,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, b.url(path)).bearer_auth(&u.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Creates a meeting hosted by `host` with `others` as (id, role), and
/// starts it when `start`.
pub async fn meeting(b: &Backend, host: &User, others: &[(&User, &str)], start: bool) -> String {
    let participants: Vec<Value> = others
        .iter()
        .map(|(u, role)| json!({"user_id": u.id, "role": role}))
        .collect();
    let (status, body) = call(
        b,
        host,
        "POST",
        "/v1/meetings",
        Some(json!({"title": "Room test", "participants": participants})),
    )
    .await;
    assert_eq!(status, 201, "create meeting: {body}");
    let id = body["meeting"]["id"]
        .as_str()
        .or_else(|| body["id"].as_str())
        .unwrap_or_else(|| panic!("meeting id in {body}"))
        .to_owned();
    if start {
        let (status, body) = call(b, host, "POST", &format!("/v1/meetings/{id}/start"), None).await;
        assert_eq!(status, 200, "start meeting: {body}");
    }
    id
}

pub async fn ticket(b: &Backend, u: &User, meeting: &str) -> (u16, Value) {
    call(
        b,
        u,
        "POST",
        &format!("/v1/meetings/{meeting}/ws-ticket"),
        None,
    )
    .await
}

/// A connected room session.
pub struct Session {
    pub ws: Ws,
    /// Every frame received so far, in order.
    pub seen: Vec<Value>,
}

pub async fn connect(b: &Backend, u: &User, meeting: &str) -> Session {
    let (status, body) = ticket(b, u, meeting).await;
    assert_eq!(status, 200, "ws-ticket: {body}");
    let t = body["ticket"].as_str().expect("ticket");
    connect_with_ticket(b, meeting, t)
        .await
        .expect("websocket upgrade")
}

pub async fn connect_with_ticket(
    b: &Backend,
    meeting: &str,
    ticket: &str,
) -> Result<Session, String> {
    let url = b.ws_url(&format!("/v1/meetings/{meeting}/ws?ticket={ticket}"));
    let (ws, _) = connect_async(url).await.map_err(|e| e.to_string())?;
    Ok(Session {
        ws,
        seen: Vec::new(),
    })
}

impl Session {
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("send frame");
    }

    pub async fn send_raw(&mut self, msg: Message) {
        let _ = self.ws.send(msg).await;
    }

    pub async fn hello(&mut self, client_id: &str, resume: Value) -> Value {
        self.send(
            json!({"type": "hello", "protocol": 1, "client_id": client_id, "resume": resume,
            "subscribe": ["notes", "transcript", "chat", "presence", "state", "prompts"]}),
        )
        .await;
        self.until(|f| f["type"] == "welcome").await
    }

    /// The next frame, or `None` when the socket closed or nothing came in `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("server frames are JSON");
                    self.seen.push(v.clone());
                    return Some(v);
                }
                Message::Close(frame) => {
                    let v = json!({"type": "__close", "code": frame.as_ref().map(|f| u16::from(f.code)), "reason": frame.map(|f| f.reason.to_string())});
                    self.seen.push(v.clone());
                    return Some(v);
                }
                _ => continue,
            }
        }
    }

    /// Waits (up to 10 s) for a frame matching `pred`; panics otherwise.
    pub async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        self.until_within(Duration::from_secs(10), pred).await
    }

    /// Waits for the first `prompts.items` item matching `pred` (frames
    /// already seen included), up to `within`; panics otherwise.
    pub async fn prompt_item(&mut self, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let find = |frames: &[Value]| {
            frames
                .iter()
                .filter(|f| f["type"] == "prompts.items")
                .flat_map(|f| f["items"].as_array().cloned().unwrap_or_default())
                .find(|item| pred(item))
        };
        if let Some(item) = find(&self.seen) {
            return item;
        }
        let frame = self
            .until_within(within, |f| find(std::slice::from_ref(f)).is_some())
            .await;
        find(std::slice::from_ref(&frame)).expect("matched above")
    }

    /// Every `prompts.items` item received so far, in order.
    pub fn prompt_items(&self) -> Vec<Value> {
        self.seen
            .iter()
            .filter(|f| f["type"] == "prompts.items")
            .flat_map(|f| f["items"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Like [`Session::until`], with its own deadline.
    pub async fn until_within(&mut self, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(v) if pred(&v) => return v,
                Some(v) if v["type"] == "__close" => {
                    panic!("socket closed while waiting: {v}; seen {:?}", self.seen)
                }
                Some(_) => continue,
                None => panic!("no matching frame within {within:?}; seen {:?}", self.seen),
            }
        }
    }

    /// Waits for the socket to close; returns its close code.
    pub async fn closed(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(v) if v["type"] == "__close" => return v["code"].as_u64().map(|c| c as u16),
                Some(_) => continue,
                None => return None,
            }
        }
    }
}
