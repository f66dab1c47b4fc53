//! Who is in the room right now. A user is online while at least one of
//! their connections has said hello; several tabs count once. A user is in
//! the call while Stream last said so (`RoomCore::set_call_presence`);
//! someone in the call without a connection is listed too, offline. The
//! connection side is not stored: it is rebuilt from the live connections
//! (and, after hibernation, from their attachments); the call side is kept
//! in the room's meta. A subscriber gets the whole list on subscribe and
//! one entry per change afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::acl::{Action, MeetingRole};

use super::core::RoomCore;
use super::error::RoomError;
use super::identity::SessionId;
use super::protocol::ServerMsg;
use super::session::Phase;
use super::store::RoomStore;
use super::stream::Stream;

/// One user's presence, as sent in a `presence` frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserPresence {
    pub user_id: String,
    pub role: MeetingRole,
    /// Has a live connection to the room. `false` in the entry that
    /// announces the user left, and for a user only in the video call.
    pub online: bool,
    /// In the meeting's video call (Stream's participant events). `false`
    /// in the entry that announces the user left.
    #[serde(default)]
    pub in_call: bool,
    /// Any of the user's connections says they are speaking.
    pub speaking: bool,
    /// Live connections of this user.
    pub sessions: u32,
    /// When the user's current stay began (their oldest live connection);
    /// `None` without a live connection.
    pub since_ms: Option<u64>,
}

/// The presence list as last announced, to turn recomputed entries into changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct PresenceBoard {
    announced: BTreeMap<String, UserPresence>,
}

impl PresenceBoard {
    /// Records a user's current presence (`None`: neither connected nor in
    /// the call) and returns the entry to announce, if anything changed.
    pub(crate) fn update(
        &mut self,
        user_id: &str,
        current: Option<UserPresence>,
    ) -> Option<UserPresence> {
        match current {
            Some(now) => {
                if self.announced.get(user_id) == Some(&now) {
                    return None;
                }
                self.announced.insert(user_id.to_owned(), now.clone());
                Some(now)
            }
            None => {
                let mut gone = self.announced.remove(user_id)?;
                gone.online = false;
                gone.in_call = false;
                gone.speaking = false;
                gone.sessions = 0;
                Some(gone)
            }
        }
    }

    /// Everyone online or in the call, by user id.
    pub(crate) fn snapshot(&self) -> Vec<UserPresence> {
        self.announced.values().cloned().collect()
    }

    /// The role last announced for a user, while they are listed.
    pub(crate) fn role_of(&self, user_id: &str) -> Option<MeetingRole> {
        self.announced.get(user_id).map(|p| p.role)
    }

    pub(crate) fn clear(&mut self) {
        self.announced.clear();
    }
}

/// The presence side of the room: computing a user's entry from their
/// connections and call presence, and announcing changes.
impl<S: RoomStore> RoomCore<S> {
    /// A `presence.update` frame: the session's speaking flag.
    pub(super) fn on_presence(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        speaking: bool,
    ) -> Result<(), RoomError> {
        self.authorize(now_ms, sid, Action::UpdatePresence)?;
        let Some(session) = self.sessions.get_mut(sid) else {
            return Err(RoomError::UnknownSession);
        };
        let user_id = session.user_id().to_owned();
        if let Some(live) = session.live_mut() {
            live.speaking = speaking;
        }
        self.dirty.insert(sid.clone());
        self.refresh_presence(&user_id, None);
        Ok(())
    }

    /// A user's presence computed from their live connections and their
    /// call presence. Someone in the call without a live connection is
    /// listed (offline) only if the room knows their role
    /// ([`RoomCore::offline_role`]).
    pub(super) fn presence_of(&self, user_id: &str) -> Option<UserPresence> {
        let in_call = self
            .meta
            .call_presence
            .get(user_id)
            .is_some_and(|c| c.in_call);
        let mut out: Option<UserPresence> = None;
        for session in self.sessions.values().filter(|s| s.user_id() == user_id) {
            let (Phase::Live(live), Some(role)) =
                (&session.state.phase, session.state.identity.role)
            else {
                continue;
            };
            let entry = out.get_or_insert_with(|| UserPresence {
                user_id: user_id.to_owned(),
                role,
                online: true,
                in_call,
                speaking: false,
                sessions: 0,
                since_ms: Some(live.live_since_ms),
            });
            entry.sessions += 1;
            entry.speaking |= live.speaking;
            entry.role = entry.role.min(role);
            entry.since_ms = entry.since_ms.min(Some(live.live_since_ms));
        }
        if out.is_none() && in_call {
            out = self.offline_role(user_id).map(|role| UserPresence {
                user_id: user_id.to_owned(),
                role,
                online: false,
                in_call: true,
                speaking: false,
                sessions: 0,
                since_ms: None,
            });
        }
        out
    }

    /// The role of a user with no live connection: what the room was told
    /// (`set_member_role`; a removal hides them), else the role it last
    /// announced for them, else the one kept with their call presence.
    /// `None`: removed, or never known.
    pub(super) fn offline_role(&self, user_id: &str) -> Option<MeetingRole> {
        match self.meta.members.get(user_id) {
            Some(told) => *told,
            None => self
                .presence
                .role_of(user_id)
                .or_else(|| self.meta.call_presence.get(user_id).and_then(|c| c.role)),
        }
    }

    /// Recomputes a user's presence and announces a change to every
    /// presence subscriber (but `except`, which gets the full list instead).
    pub(super) fn refresh_presence(&mut self, user_id: &str, except: Option<&SessionId>) {
        let current = self.presence_of(user_id);
        if let Some(live) = current.as_ref().filter(|p| p.online && p.in_call) {
            self.remember_call_role(user_id, live.role);
        }
        let Some(change) = self.presence.update(user_id, current) else {
            return;
        };
        let frame = ServerMsg::Presence {
            full: false,
            users: vec![change],
        }
        .encode();
        let targets: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(sid, s)| {
                Some(*sid) != except
                    && s.cursor(Stream::Presence).is_some()
                    && self.may_read(s, Stream::Presence)
            })
            .map(|(sid, _)| sid.clone())
            .collect();
        for sid in targets {
            self.send_stream(&sid, Stream::Presence, frame.clone());
        }
    }

    /// Keeps a connected in-call user's role with their call presence, so
    /// they can still be listed after their connection and the room's
    /// memory are gone. Best effort: a failed write is retried by the next
    /// meta write.
    fn remember_call_role(&mut self, user_id: &str, role: MeetingRole) {
        let Some(call) = self.meta.call_presence.get_mut(user_id) else {
            return;
        };
        if call.role != Some(role) {
            call.role = Some(role);
            let _ = self.store.save_meta(&self.meta);
        }
    }

    pub(super) fn presence_frame(&self) -> String {
        ServerMsg::Presence {
            full: true,
            users: self.presence.snapshot(),
        }
        .encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here(user: &str, sessions: u32) -> UserPresence {
        UserPresence {
            user_id: user.into(),
            role: MeetingRole::Participant,
            online: true,
            in_call: false,
            speaking: false,
            sessions,
            since_ms: Some(1),
        }
    }

    #[test]
    fn announces_changes_only() {
        let mut board = PresenceBoard::default();
        assert_eq!(board.update("a", Some(here("a", 1))), Some(here("a", 1)));
        assert_eq!(board.update("a", Some(here("a", 1))), None);
        assert_eq!(board.update("a", Some(here("a", 2))), Some(here("a", 2)));
        board.update("b", Some(here("b", 1)));
        assert_eq!(board.snapshot().len(), 2);
        let mut calling = here("a", 2);
        calling.in_call = true;
        assert_eq!(board.update("a", Some(calling.clone())), Some(calling));
        assert_eq!(board.role_of("a"), Some(MeetingRole::Participant));
        let left = board.update("a", None).unwrap();
        assert!(!left.online && !left.in_call && left.sessions == 0);
        assert_eq!(board.role_of("a"), None);
        assert_eq!(board.update("a", None), None);
        assert_eq!(board.snapshot(), vec![here("b", 1)]);
        board.clear();
        assert!(board.snapshot().is_empty());
    }
}
