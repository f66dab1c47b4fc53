//! Which socket belongs to which room session. Each accepted socket is
//! tagged with its session id (hibernation keeps tags), and carries its
//! `SessionState` as its attachment, so the room can be rebuilt after the
//! object hibernates or is evicted. [`DoSockets`] is the room's
//! [`Sockets`] over them, for the shared drain loop.

use connvo_shared::room::{CloseReason, SessionId, SessionState, Sockets};
use worker::{State, WebSocket};

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

fn socket_of(state: &State, session: &SessionId) -> Option<WebSocket> {
    state
        .get_websockets_with_tag(session.as_str())
        .into_iter()
        .next()
}

/// Closes a socket with one of the room's reasons.
pub fn close(ws: &WebSocket, reason: CloseReason) {
    // The socket may be closing already; nothing to do about that.
    let _ = ws.close(Some(reason.code().as_u16()), Some(reason.as_str()));
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

/// The object's sockets, found by their session tag.
pub struct DoSockets<'a>(pub &'a State);

impl Sockets for DoSockets<'_> {
    fn send(&mut self, session: &SessionId, text: &str) -> bool {
        socket_of(self.0, session).is_some_and(|ws| ws.send_with_str(text).is_ok())
    }

    fn close(&mut self, session: &SessionId, reason: CloseReason) {
        if let Some(ws) = socket_of(self.0, session) {
            close(&ws, reason);
        }
    }

    fn save(&mut self, session: &SessionId, state: &SessionState) {
        if let Some(ws) = socket_of(self.0, session) {
            // Best effort: a failed save means a staler attachment on wake,
            // which the resume cursors cover.
            let _ = ws.serialize_attachment(state);
        }
    }
}
