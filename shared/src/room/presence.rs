//! Who is in the room right now. A user is online while at least one of
//! their connections has said hello; several tabs count once. Presence is
//! not stored: it is rebuilt from the live connections (and, after
//! hibernation, from their attachments), and a subscriber gets the whole
//! list on subscribe and one entry per change afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::acl::MeetingRole;

/// One user's presence, as sent in a `presence` frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPresence {
    pub user_id: String,
    pub role: MeetingRole,
    /// `false` in the entry that announces the user left.
    pub online: bool,
    /// Any of the user's connections says they are speaking.
    pub speaking: bool,
    /// Live connections of this user.
    pub sessions: u32,
    /// When the user's current stay began (their oldest live connection).
    pub since_ms: Option<u64>,
}

/// The presence list as last announced, to turn recomputed entries into changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct PresenceBoard {
    announced: BTreeMap<String, UserPresence>,
}

impl PresenceBoard {
    /// Records a user's current presence (`None`: no live connection) and
    /// returns the entry to announce, if anything changed.
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
                gone.speaking = false;
                gone.sessions = 0;
                Some(gone)
            }
        }
    }

    /// Everyone online, by user id.
    pub(crate) fn snapshot(&self) -> Vec<UserPresence> {
        self.announced.values().cloned().collect()
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
        let left = board.update("a", None).unwrap();
        assert!(!left.online && left.sessions == 0);
        assert_eq!(board.update("a", None), None);
        assert_eq!(board.snapshot(), vec![here("b", 1)]);
        board.clear();
        assert!(board.snapshot().is_empty());
    }
}
