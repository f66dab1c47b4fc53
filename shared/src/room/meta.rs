//! The room's small persisted record: the meeting's lifecycle state and
//! times, engagement (who spoke how long), membership changes the room was
//! told about, who is in the video call, and how far each stream has been
//! flushed to D1.
//!
//! Stream heads (the newest transcript seq, chat seq and notes version) are
//! not kept here: they are derived from the stored rows themselves, so a
//! crash between writing a row and writing this record can never make them
//! disagree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::acl::{MeetingRole, MeetingState};

/// Speakers past the configured cap are summed under this key.
pub const OTHER_SPEAKERS: &str = "other";

/// How far each kind of row has been written to D1: everything at or below
/// these marks is there. Each mark only ever moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlushWatermarks {
    pub transcript_seq: u64,
    pub notes_version: u64,
    pub chat_seq: u64,
    /// The [`RoomMeta::activity_rev`] last written to `meeting_state`.
    pub activity_rev: u64,
    /// The prompts stream (its reactions go to `prompt_feedback`). Kept
    /// with the room's in-call state (`RoomIntel::flushed_prompt_seq`).
    #[serde(default)]
    pub prompt_seq: u64,
}

impl FlushWatermarks {
    /// The component-wise maximum: acknowledging an old flush late never
    /// moves a mark back.
    pub fn max(self, other: FlushWatermarks) -> FlushWatermarks {
        FlushWatermarks {
            transcript_seq: self.transcript_seq.max(other.transcript_seq),
            notes_version: self.notes_version.max(other.notes_version),
            chat_seq: self.chat_seq.max(other.chat_seq),
            activity_rev: self.activity_rev.max(other.activity_rev),
            prompt_seq: self.prompt_seq.max(other.prompt_seq),
        }
    }

    /// Caps each mark at the matching head (a forged or confused
    /// acknowledgement cannot mark unwritten rows as flushed).
    pub fn min(self, other: FlushWatermarks) -> FlushWatermarks {
        FlushWatermarks {
            transcript_seq: self.transcript_seq.min(other.transcript_seq),
            notes_version: self.notes_version.min(other.notes_version),
            chat_seq: self.chat_seq.min(other.chat_seq),
            activity_rev: self.activity_rev.min(other.activity_rev),
            prompt_seq: self.prompt_seq.min(other.prompt_seq),
        }
    }
}

/// One user's video-call presence, as the Worker last relayed it from
/// Stream's `call.session_participant_joined` / `_left` webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPresence {
    pub in_call: bool,
    /// When Stream saw the change (its event time, unix ms): an event older
    /// than this one is ignored, since Stream may deliver them out of order.
    pub at_ms: u64,
    /// The user's meeting role as the room last saw it (from a connection or
    /// [`RoomMeta::members`]), so an in-call user without a connection can
    /// still be shown after a restart. `None`: never known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MeetingRole>,
}

/// Everything about the room that is neither a stream row nor a socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMeta {
    pub meeting_id: String,
    pub state: MeetingState,
    pub started_at_ms: Option<u64>,
    pub ended_at_ms: Option<u64>,
    /// The last write to any stream (notes, transcript, chat).
    pub last_activity_ms: Option<u64>,
    /// Milliseconds of final transcript per speaker.
    pub speaking_ms: BTreeMap<String, u64>,
    /// Roles the room was told about with `set_member_role` (`None` =
    /// removed). They cap the role a connection claims (see
    /// [`RoomMeta::effective_role`]).
    pub members: BTreeMap<String, Option<MeetingRole>>,
    /// Video-call presence per user (at most `RoomConfig::max_call_users`
    /// entries), set with `RoomCore::set_call_presence`.
    #[serde(default)]
    pub call_presence: BTreeMap<String, CallPresence>,
    /// Bumped whenever the state or the speaking stats change, so a flush
    /// knows the `meeting_state` row is stale.
    pub activity_rev: u64,
    pub flushed: FlushWatermarks,
}

impl RoomMeta {
    /// A fresh room: scheduled, nothing happened yet.
    pub fn new(meeting_id: impl Into<String>) -> Self {
        RoomMeta {
            meeting_id: meeting_id.into(),
            state: MeetingState::Scheduled,
            started_at_ms: None,
            ended_at_ms: None,
            last_activity_ms: None,
            speaking_ms: BTreeMap::new(),
            members: BTreeMap::new(),
            call_presence: BTreeMap::new(),
            activity_rev: 0,
            flushed: FlushWatermarks::default(),
        }
    }

    /// The role a connection gets: the least privileged of what the Worker
    /// saw at connect time and what the room was last told. The two can race
    /// (a role change lands between the Worker's check and the socket
    /// reaching the room), and least privilege is the safe answer; a removal
    /// always wins until the room is told of a new role.
    pub fn effective_role(
        &self,
        user_id: &str,
        claimed: Option<MeetingRole>,
    ) -> Option<MeetingRole> {
        match (self.members.get(user_id), claimed) {
            (None, claimed) => claimed,
            (Some(None), _) | (Some(Some(_)), None) => None,
            // `MeetingRole` orders Host < Cohost < Participant < Observer.
            (Some(Some(known)), Some(claimed)) => Some((*known).max(claimed)),
        }
    }

    /// Adds spoken time, folding speakers past `max_speakers` into `"other"`.
    pub fn add_speaking(&mut self, speaker: &str, ms: u64, max_speakers: usize) {
        if ms == 0 {
            return;
        }
        let key = if self.speaking_ms.contains_key(speaker) || self.speaking_ms.len() < max_speakers
        {
            speaker
        } else {
            OTHER_SPEAKERS
        };
        let total = self.speaking_ms.entry(key.to_owned()).or_insert(0);
        *total = total.saturating_add(ms);
        self.activity_rev += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_privileged_role_wins() {
        let mut meta = RoomMeta::new("m");
        assert_eq!(
            meta.effective_role("u", Some(MeetingRole::Host)),
            Some(MeetingRole::Host)
        );
        meta.members.insert("u".into(), Some(MeetingRole::Observer));
        assert_eq!(
            meta.effective_role("u", Some(MeetingRole::Host)),
            Some(MeetingRole::Observer)
        );
        meta.members.insert("u".into(), Some(MeetingRole::Host));
        assert_eq!(
            meta.effective_role("u", Some(MeetingRole::Participant)),
            Some(MeetingRole::Participant)
        );
        assert_eq!(meta.effective_role("u", None), None);
        meta.members.insert("u".into(), None);
        assert_eq!(meta.effective_role("u", Some(MeetingRole::Host)), None);
    }

    #[test]
    fn speaking_stats_are_capped() {
        let mut meta = RoomMeta::new("m");
        meta.add_speaking("a", 10, 2);
        meta.add_speaking("b", 5, 2);
        meta.add_speaking("c", 7, 2);
        meta.add_speaking("a", 1, 2);
        meta.add_speaking("d", 0, 2);
        assert_eq!(meta.speaking_ms.get("a"), Some(&11));
        assert_eq!(meta.speaking_ms.get(OTHER_SPEAKERS), Some(&7));
        assert_eq!(meta.speaking_ms.len(), 3);
        assert_eq!(meta.activity_rev, 4);
    }

    #[test]
    fn watermarks_only_move_forward() {
        let a = FlushWatermarks {
            transcript_seq: 5,
            notes_version: 1,
            chat_seq: 9,
            activity_rev: 2,
            prompt_seq: 1,
        };
        let b = FlushWatermarks {
            transcript_seq: 3,
            notes_version: 4,
            chat_seq: 9,
            activity_rev: 0,
            prompt_seq: 0,
        };
        assert_eq!(
            a.max(b),
            FlushWatermarks {
                transcript_seq: 5,
                notes_version: 4,
                chat_seq: 9,
                activity_rev: 2,
                prompt_seq: 1,
            }
        );
        assert_eq!(a.min(b).transcript_seq, 3);
    }
}
