//! Who is in the room right now. A user is online while at least one of
//! their connections has said hello; several tabs count once. A user is in
//! the call while Stream last said so (`MeetingRoom::set_call_presence`);
//! someone in the call without a connection is listed too, offline. The
//! connection side is not stored: it is rebuilt from the live connections
//! (and, after hibernation, from their attachments); the call side is kept
//! in the room's meta. A subscriber gets the whole list on subscribe and
//! one entry per change afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::acl::MeetingRole;

/// One user's presence, as sent in a `presence` frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
