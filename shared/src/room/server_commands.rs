//! Commands from the server side: membership and role changes, video-call
//! presence, the meeting's lifecycle, and captions from the Stream webhook.
//! The Worker's internal notices reach them through
//! [`RoomCore::handle_notice`](super::RoomCore::handle_notice); each takes
//! `now_ms` like every input.

use crate::acl::{Action, Decision, Denial, MeetingRole, MeetingState};

use super::close::CloseReason;
use super::core::RoomCore;
use super::error::RoomError;
use super::identity::{is_token, SessionId, MAX_USER_ID_LEN};
use super::meta::CallPresence;
use super::protocol::ServerMsg;
use super::store::RoomStore;
use super::stream::Stream;
use super::transcript::{TranscriptInput, TranscriptSource};
use super::MAX_SAFE_INT;

impl<S: RoomStore> RoomCore<S> {
    /// A participant's role changed (`Some`), or they were removed
    /// (`None`). Removal closes every connection of theirs with 4003
    /// `ACCESS_REVOKED`; a change applies in place (a `role` frame) and
    /// takes effect on their very next frame. The room remembers the
    /// change, so a connection racing it cannot come back with the old role.
    pub fn set_member_role(
        &mut self,
        now_ms: u64,
        user_id: &str,
        role: Option<MeetingRole>,
    ) -> Result<(), RoomError> {
        let previous = self.meta.members.insert(user_id.to_owned(), role);
        if let Err(err) = self.store.save_meta(&self.meta) {
            match previous {
                Some(previous) => self.meta.members.insert(user_id.to_owned(), previous),
                None => self.meta.members.remove(user_id),
            };
            return Err(err.into());
        }
        let sids: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.user_id() == user_id)
            .map(|(id, _)| id.clone())
            .collect();
        for sid in sids {
            match role {
                None => {
                    if let Some(identity) =
                        self.sessions.get(&sid).map(|s| s.state.identity.clone())
                    {
                        let decision = Decision::Deny(Denial::NotAParticipant);
                        self.audit_identity(
                            now_ms,
                            &sid,
                            &identity,
                            "room.revoked",
                            None,
                            decision,
                        );
                    }
                    self.close(&sid, CloseReason::AccessRevoked);
                }
                Some(role) => self.apply_role(&sid, role),
            }
        }
        self.refresh_presence(user_id, None);
        self.after_input(now_ms);
        Ok(())
    }

    /// Stream saw `user_id` join (`in_call`) or leave the video call at
    /// `at_ms` (its event time; the Worker has already checked membership
    /// in D1). The room keeps the newest event per user — one older than
    /// the last applied is ignored, as Stream may deliver them out of order
    /// — stores it with its meta, and announces the change to presence
    /// subscribers as the user's `in_call`. A user in the call without a
    /// connection is listed offline, if the room knows their role.
    ///
    /// At most `max_call_users` users are kept: a newcomer replaces the
    /// user who left the call longest ago; when everyone kept is in the
    /// call, a join is refused (`INVALID_FIELD`) and a leave is dropped.
    pub fn set_call_presence(
        &mut self,
        now_ms: u64,
        user_id: &str,
        in_call: bool,
        at_ms: u64,
    ) -> Result<(), RoomError> {
        if !is_token(user_id, MAX_USER_ID_LEN) {
            return Err(RoomError::InvalidIdentity("user id"));
        }
        if at_ms > MAX_SAFE_INT {
            return Err(RoomError::InvalidField {
                field: "at_ms",
                reason: "must be at most 2^53 - 1",
            });
        }
        let previous = self.meta.call_presence.get(user_id).copied();
        if let Some(known) = previous {
            if at_ms < known.at_ms || (at_ms == known.at_ms && in_call == known.in_call) {
                return Ok(());
            }
        }
        let mut evicted = None;
        if previous.is_none() && self.meta.call_presence.len() >= self.config.max_call_users {
            let longest_gone = self
                .meta
                .call_presence
                .iter()
                .filter(|(_, c)| !c.in_call)
                .min_by_key(|(user, c)| (c.at_ms, user.as_str()))
                .map(|(user, _)| user.clone());
            match longest_gone {
                Some(user) => {
                    let entry = self.meta.call_presence.remove(&user);
                    evicted = entry.map(|entry| (user, entry));
                }
                None if in_call => {
                    return Err(RoomError::InvalidField {
                        field: "user_id",
                        reason: "too many users in the call",
                    })
                }
                None => return Ok(()),
            }
        }
        let role = match self.presence_of(user_id) {
            Some(shown) if shown.online => Some(shown.role),
            _ => self.offline_role(user_id),
        };
        self.meta.call_presence.insert(
            user_id.to_owned(),
            CallPresence {
                in_call,
                at_ms,
                role,
            },
        );
        if let Err(err) = self.store.save_meta(&self.meta) {
            match previous {
                Some(previous) => self.meta.call_presence.insert(user_id.to_owned(), previous),
                None => self.meta.call_presence.remove(user_id),
            };
            if let Some((user, entry)) = evicted {
                self.meta.call_presence.insert(user, entry);
            }
            return Err(err.into());
        }
        self.refresh_presence(user_id, None);
        self.after_input(now_ms);
        Ok(())
    }

    fn apply_role(&mut self, sid: &SessionId, role: MeetingRole) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        if session.state.identity.role == Some(role) {
            return;
        }
        session.state.identity.role = Some(role);
        self.dirty.insert(sid.clone());
        self.send_control(sid, &ServerMsg::Role { role });
        let may_speak = self.sessions.get(sid).is_some_and(|s| {
            self.decide(&s.state.identity, Action::UpdatePresence)
                .is_allowed()
        });
        let streams = self
            .sessions
            .get(sid)
            .and_then(|s| s.state.live())
            .map(|live| live.subs.keys().copied().collect::<Vec<Stream>>())
            .unwrap_or_default();
        let lost: Vec<(Stream, RoomError)> = streams
            .into_iter()
            .filter_map(|stream| self.role_may_read(sid, stream).err().map(|e| (stream, e)))
            .collect();
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        if !may_speak {
            if let Some(live) = session.live_mut() {
                live.speaking = false;
            }
        }
        for (stream, _) in &lost {
            session.set_sub(*stream, None);
        }
        for (_, err) in lost {
            self.send_control(sid, &ServerMsg::error(&err, None));
        }
    }

    /// The meeting moved to `state` (the Worker's lifecycle routes and the
    /// Stream webhooks decide; the room follows). Starting records
    /// `started_at`. Ending (concluded or cancelled) stops every write (the
    /// ACL refuses them), delivers what is pending, stores a final notes
    /// snapshot, closes every connection with 4009 `MEETING_ENDED`, and
    /// flushes to D1 at once.
    pub fn set_meeting_state(&mut self, now_ms: u64, state: MeetingState) -> Result<(), RoomError> {
        if state == self.meta.state {
            return Ok(());
        }
        let before = self.meta.clone();
        self.meta.state = state;
        let ended = match state {
            MeetingState::Active => {
                self.meta.started_at_ms.get_or_insert(now_ms);
                self.meta.ended_at_ms = None;
                self.start_live(now_ms);
                false
            }
            MeetingState::Concluded | MeetingState::Cancelled => {
                self.meta.ended_at_ms = Some(now_ms);
                true
            }
            MeetingState::Scheduled => false,
        };
        self.meta.activity_rev += 1;
        if let Err(err) = self.store.save_meta(&self.meta) {
            self.meta = before;
            return Err(err.into());
        }
        // Everything committed goes out before the news (which includes
        // the speaking stats, so the window's state frame is not needed).
        self.hot.state_dirty = false;
        self.load.state_due = None;
        self.deliver_hot(now_ms);
        self.broadcast_state();
        if ended {
            // A failed snapshot only means a longer replay on the next load.
            let _ = self.save_notes_snapshot();
            let sids: Vec<SessionId> = self.sessions.keys().cloned().collect();
            for sid in sids {
                self.close(&sid, CloseReason::MeetingEnded);
            }
            self.presence.clear();
            // At once — or, if a flush is out, as soon as it is answered:
            // one flush at a time keeps D1's unguarded engagement upsert
            // from being overwritten by an older batch.
            self.flush.due_at = Some(now_ms);
        }
        self.after_input(now_ms);
        Ok(())
    }

    /// A caption from the Stream webhook (already verified and
    /// deduplicated by the Worker). Only while the meeting is active.
    /// Returns the chunk's seq.
    pub fn append_server_transcript(
        &mut self,
        now_ms: u64,
        chunk: TranscriptInput,
    ) -> Result<u64, RoomError> {
        if self.meta.state != MeetingState::Active {
            return Err(RoomError::Denied(Denial::MeetingState(self.meta.state)));
        }
        let chunk = chunk.check(&self.config)?;
        let seq = self.append_chunk(now_ms, chunk, TranscriptSource::Stream)?;
        self.after_input(now_ms);
        Ok(seq)
    }
}
