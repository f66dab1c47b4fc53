//! Which socket belongs to which room session. Each accepted socket is
//! tagged with its session id (hibernation keeps tags), and carries its
//! `SessionState` as its attachment, so the room can be rebuilt after the
//! object hibernates or is evicted. [`DoSockets`] is the room's
//! [`Sockets`] over them, for the shared drain loop.
//!
//! Every call into the runtime costs a JS ↔ wasm crossing, and the room
//! makes several per op for each connection, so this file keeps them few
//! (issue 17, docs/benchmarks.md "Inside workerd"): the sockets are found
//! in [`SocketMap`], built once when the room loads, not by a tag lookup
//! per frame; a frame going to several connections is turned into a JS
//! string once; an attachment is saved as one JSON string, not built
//! field by field as a JS object.

use std::cell::RefMut;
use std::collections::HashMap;

use connvo_shared::room::{CloseReason, SessionId, SessionState, Sockets};
use worker::js_sys::JsString;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};
use worker::{State, WebSocket};

#[wasm_bindgen]
extern "C" {
    /// The runtime's WebSocket, for `send` with a JS string we already
    /// hold (web-sys only offers `send(&str)`, which copies the text into
    /// JS on every call).
    #[wasm_bindgen(js_name = WebSocket)]
    type JsSocket;
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_js(this: &JsSocket, data: &JsString) -> Result<(), JsValue>;
}

/// Random bytes from the runtime (the core takes them as input).
pub fn random<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(bytes)
}

/// A fresh session id: 16 random bytes, hex.
pub fn new_session_id() -> Option<SessionId> {
    let hex: String = random::<16>()?.iter().map(|b| format!("{b:02x}")).collect();
    SessionId::new(format!("s_{hex}")).ok()
}

/// The session a socket was accepted as (its one tag).
pub fn session_of(state: &State, ws: &WebSocket) -> Option<SessionId> {
    state
        .get_tags(ws)
        .into_iter()
        .next()
        .and_then(|tag| SessionId::new(tag).ok())
}

/// Closes a socket with one of the room's reasons.
pub fn close(ws: &WebSocket, reason: CloseReason) {
    // The socket may be closing already; nothing to do about that.
    let _ = ws.close(Some(reason.code().as_u16()), Some(reason.as_str()));
}

/// A socket's attachment: the JSON text [`DoSockets::save`] stores, or
/// (saved before issue 17) the same fields as a JS object.
fn attachment(ws: &WebSocket) -> Option<SessionState> {
    match ws.deserialize_attachment::<String>() {
        Ok(Some(json)) => serde_json::from_str(&json).ok(),
        Ok(None) => None,
        Err(_) => ws.deserialize_attachment::<SessionState>().ok().flatten(),
    }
}

/// Every live socket with its session and stored attachment.
pub fn all(state: &State) -> Vec<(WebSocket, Option<SessionId>, Option<SessionState>)> {
    state
        .get_websockets()
        .into_iter()
        .map(|ws| {
            let session = session_of(state, &ws);
            let attachment = attachment(&ws);
            (ws, session, attachment)
        })
        .collect()
}

/// The room's open sockets by session, kept in memory while the object is
/// awake: filled when the room loads (from the runtime's list) and as
/// sockets are accepted, emptied as they close. A session missing here is
/// looked up by its tag once (and kept).
#[derive(Default)]
pub struct SocketMap {
    by_session: HashMap<SessionId, WebSocket>,
    /// The last frame's text as a JS string: the room hands the same frame
    /// to every connection at the same cursor, one after the other.
    last_frame: Option<(String, JsString)>,
}

impl SocketMap {
    pub fn insert(&mut self, session: SessionId, ws: WebSocket) {
        self.by_session.insert(session, ws);
    }

    pub fn remove(&mut self, session: &SessionId) {
        self.by_session.remove(session);
    }

    pub fn clear(&mut self) {
        self.by_session.clear();
        self.last_frame = None;
    }

    fn socket(&mut self, state: &State, session: &SessionId) -> Option<&WebSocket> {
        if !self.by_session.contains_key(session) {
            let ws = state
                .get_websockets_with_tag(session.as_str())
                .into_iter()
                .next()?;
            self.by_session.insert(session.clone(), ws);
        }
        self.by_session.get(session)
    }

    /// `text` as a JS string, converted once for a run of equal frames.
    fn js_text(&mut self, text: &str) -> JsString {
        match &self.last_frame {
            Some((last, js)) if last == text => js.clone(),
            _ => {
                let js = JsString::from(text);
                self.last_frame = Some((text.to_owned(), js.clone()));
                js
            }
        }
    }
}

/// The object's sockets for one drain.
pub struct DoSockets<'a> {
    pub state: &'a State,
    pub map: RefMut<'a, SocketMap>,
}

impl Sockets for DoSockets<'_> {
    fn send(&mut self, session: &SessionId, text: &str) -> bool {
        let js = self.map.js_text(text);
        self.map.socket(self.state, session).is_some_and(|ws| {
            let ws: &worker::web_sys::WebSocket = ws.as_ref();
            ws.unchecked_ref::<JsSocket>().send_js(&js).is_ok()
        })
    }

    fn close(&mut self, session: &SessionId, reason: CloseReason) {
        if let Some(ws) = self.map.socket(self.state, session) {
            close(ws, reason);
        }
        self.map.remove(session);
    }

    fn save(&mut self, session: &SessionId, state: &SessionState) {
        let Some(ws) = self.map.socket(self.state, session) else {
            return;
        };
        // Best effort: a failed save means a staler attachment on wake,
        // which the resume cursors cover.
        if let Ok(json) = serde_json::to_string(state) {
            let _ = ws.serialize_attachment(json);
        }
    }
}
