//! When a session's hibernation attachment is saved, and in what form
//! (rule R28, docs/protocol.md).
//!
//! The runtime can hibernate a room only between events: while an event
//! runs (including its in-memory waits) the object stays in memory. So
//! the attachments need to be right only at the end of each event, and
//! only for what a room rebuilt from its store cannot work out itself.
//! A cursor at its stream's head is such a thing: the rebuilt room reads
//! the heads from the store, so the attachment says [`Sub::Head`] instead
//! of the number. In a steady call every connection ends each event at
//! the heads, its saved form does not change, and nothing is saved; a
//! connection left behind (paced, or items waiting for a coalescing
//! alarm) is saved with its exact cursor.
//!
//! The shell calls [`RoomCore::checkpoint_sessions`] at the end of every
//! event and drains the `SaveSession` outputs it queues. Before R28 every
//! delivery re-saved every recipient's attachment (5 saves of ~470 bytes
//! of JSON per op in a meeting of 5).

use std::collections::BTreeMap;

use super::core::RoomCore;
use super::identity::SessionId;
use super::output::Output;
use super::protocol::Heads;
use super::session::{LiveState, Phase, SessionState, Sub};
use super::store::RoomStore;
use super::stream::Stream;

/// What was last saved for each session, and the heads it was saved at.
#[derive(Debug, Clone, Default)]
pub(super) struct Attachments {
    saved: BTreeMap<SessionId, SessionState>,
    /// The heads at the last checkpoint: while they stay put, only the
    /// sessions that changed (`RoomCore::dirty`) can save differently.
    heads: Option<Heads>,
}

impl Attachments {
    /// A session is gone: nothing of it is saved any more.
    pub(super) fn forget(&mut self, session: &SessionId) {
        self.saved.remove(session);
    }

    /// A restored session's attachment is what its socket holds.
    pub(super) fn restored(&mut self, session: SessionId, state: SessionState) {
        self.saved.insert(session, state);
    }
}

/// The head of a sequenced stream in `heads` (0 for the unsequenced ones).
fn head_of(heads: &Heads, stream: Stream) -> u64 {
    match stream {
        Stream::Notes => heads.notes_version,
        Stream::Transcript => heads.transcript_seq,
        Stream::Chat => heads.chat_seq,
        Stream::Prompts => heads.prompts_seq,
        Stream::State | Stream::Presence => 0,
    }
}

/// A subscription as saved: a cursor at the head becomes [`Sub::Head`].
fn saved_sub(stream: Stream, sub: Sub, heads: &Heads) -> Sub {
    match sub {
        Sub::Live { cursor } if cursor == head_of(heads, stream) => Sub::Head,
        other => other,
    }
}

/// `state` as its attachment: cursors at the heads become [`Sub::Head`].
pub(super) fn saved_form(state: &SessionState, heads: &Heads) -> SessionState {
    let mut saved = state.clone();
    if let Phase::Live(live) = &mut saved.phase {
        for (stream, sub) in live.subs.iter_mut() {
            *sub = saved_sub(*stream, *sub, heads);
        }
    }
    saved
}

/// Whether `saved_form(state, heads) == *saved`, without building it: this
/// runs for every connection after every op. The destructuring is
/// exhaustive, so a field added to the state cannot be left out.
fn saves_as(state: &SessionState, heads: &Heads, saved: &SessionState) -> bool {
    let SessionState {
        v,
        identity,
        connected_at_ms,
        phase,
    } = state;
    let same_phase = match (phase, &saved.phase) {
        (Phase::AwaitingHello, Phase::AwaitingHello) => true,
        (Phase::Live(live), Phase::Live(old)) => {
            let LiveState {
                client_id,
                live_since_ms,
                subs,
                speaking,
                notes_reset_version,
            } = live;
            *live_since_ms == old.live_since_ms
                && *speaking == old.speaking
                && *notes_reset_version == old.notes_reset_version
                && subs.len() == old.subs.len()
                && subs.iter().zip(&old.subs).all(|((stream, sub), (s, o))| {
                    stream == s && saved_sub(*stream, *sub, heads) == *o
                })
                && *client_id == old.client_id
        }
        _ => false,
    };
    same_phase
        && *v == saved.v
        && *connected_at_ms == saved.connected_at_ms
        && *identity == saved.identity
}

/// A restored attachment as live state: [`Sub::Head`] is the stream's
/// head as the store has it now (nothing happened since it was saved).
pub(super) fn live_form(mut state: SessionState, heads: &Heads) -> SessionState {
    if let Phase::Live(live) = &mut state.phase {
        for (stream, sub) in live.subs.iter_mut() {
            if *sub == Sub::Head {
                *sub = Sub::Live {
                    cursor: head_of(heads, *stream),
                };
            }
        }
    }
    state
}

impl<S: RoomStore> RoomCore<S> {
    /// The end of a runtime event (R28): queues a `SaveSession` for every
    /// session whose attachment would now differ from the one last saved.
    /// Returns how many. Call it last in every event, then drain.
    pub fn checkpoint_sessions(&mut self) -> usize {
        let heads = self.heads();
        let changed = std::mem::take(&mut self.dirty);
        let all = self.attachments.heads != Some(heads);
        self.attachments.heads = Some(heads);
        let mut saves = Vec::new();
        for (sid, session) in &self.sessions {
            if !all && !changed.contains(sid) {
                continue;
            }
            let unchanged = self
                .attachments
                .saved
                .get(sid)
                .is_some_and(|saved| saves_as(&session.state, &heads, saved));
            if !unchanged {
                saves.push((sid.clone(), saved_form(&session.state, &heads)));
            }
        }
        let count = saves.len();
        for (sid, form) in saves {
            self.attachments.saved.insert(sid.clone(), form.clone());
            self.outbox.push(Output::SaveSession {
                session: sid,
                state: form,
            });
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::identity::SessionIdentity;

    fn live(subs: &[(Stream, Sub)]) -> SessionState {
        let mut state = SessionState::new(SessionIdentity::new("u", None), 1);
        state.phase = Phase::Live(LiveState {
            client_id: "c".into(),
            live_since_ms: 1,
            subs: subs.iter().copied().collect(),
            speaking: false,
            notes_reset_version: 0,
        });
        state
    }

    #[test]
    fn r28_cursors_at_the_head_are_saved_as_head_and_restored_to_the_store_head() {
        let heads = Heads {
            notes_version: 7,
            transcript_seq: 40,
            chat_seq: 3,
            prompts_seq: 0,
        };
        let state = live(&[
            (Stream::State, Sub::Live { cursor: 0 }),
            (Stream::Notes, Sub::Live { cursor: 7 }),
            (Stream::Transcript, Sub::Live { cursor: 38 }),
            (Stream::Chat, Sub::Resync),
            (Stream::Prompts, Sub::Live { cursor: 0 }),
        ]);
        let saved = saved_form(&state, &heads);
        let subs = &saved.live().unwrap().subs;
        assert_eq!(subs[&Stream::State], Sub::Head);
        assert_eq!(subs[&Stream::Notes], Sub::Head);
        assert_eq!(subs[&Stream::Transcript], Sub::Live { cursor: 38 });
        assert_eq!(subs[&Stream::Chat], Sub::Resync);
        assert_eq!(subs[&Stream::Prompts], Sub::Head);
        assert!(saves_as(&state, &heads, &saved));
        assert_eq!(live_form(saved.clone(), &heads), state);
        // Any difference saves again: a cursor, a subscription, the rest.
        let moved = Heads {
            transcript_seq: 41,
            ..heads
        };
        assert!(saves_as(&state, &moved, &saved), "38 is still behind");
        let caught_up = Heads {
            transcript_seq: 38,
            ..heads
        };
        assert!(!saves_as(&state, &caught_up, &saved));
        let mut other = state.clone();
        if let Phase::Live(live) = &mut other.phase {
            live.subs.remove(&Stream::Chat);
        }
        assert!(!saves_as(&other, &heads, &saved));
        let mut other = state.clone();
        if let Phase::Live(live) = &mut other.phase {
            live.speaking = true;
        }
        assert!(!saves_as(&other, &heads, &saved));
        let mut other = state.clone();
        other.identity.role = Some(crate::acl::MeetingRole::Observer);
        assert!(!saves_as(&other, &heads, &saved));
    }

    #[test]
    fn r28_a_saved_head_round_trips_as_json() {
        let state = live(&[(Stream::Notes, Sub::Head)]);
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains(r#"{"mode":"head"}"#), "{json}");
        assert_eq!(serde_json::from_str::<SessionState>(&json).unwrap(), state);
    }
}
