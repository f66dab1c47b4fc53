//! Which socket belongs to which room session. Each accepted socket is
//! tagged with its session id (hibernation keeps tags), and carries its
//! `SessionState` as its attachment, so the room can be rebuilt after the
//! object hibernates or is evicted.

use connvo_shared::room::{SessionId, SessionState};
use worker::{State, WebSocket};

/// A fresh session id: 16 random bytes, hex.
pub fn new_session_id() -> Option<SessionId> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).ok()?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
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

pub fn socket_of(state: &State, session: &SessionId) -> Option<WebSocket> {
    state
        .get_websockets_with_tag(session.as_str())
        .into_iter()
        .next()
}

/// Every live socket with its session and stored attachment.
pub fn all(state: &State) -> Vec<(WebSocket, Option<SessionId>, Option<SessionState>)> {
    state
        .get_websockets()
        .into_iter()
        .map(|ws| {
            let session = session_of(state, &ws);
            let attachment = ws.deserialize_attachment::<SessionState>().ok().flatten();
            (ws, session, attachment)
        })
        .collect()
}
