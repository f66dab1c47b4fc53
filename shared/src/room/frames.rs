//! Handlers for the client frames other than `notes.op`: the hello and
//! subscriptions (with their resume catch-up), transcript chunks, chat
//! and presence. Each returns the error to report to the sender; accepted
//! writes are persisted before anything about them is sent.

use crate::acl::Action;

use super::chat::{ChatMessage, CheckedChat};
use super::close::CloseReason;
use super::core::RoomCore;
use super::error::RoomError;
use super::identity::SessionId;
use super::protocol::{Hello, Resume, ServerMsg, WireLimits, PROTOCOL_VERSION};
use super::session::{LiveState, Phase, Sub};
use super::store::RoomStore;
use super::stream::{Stream, StreamSet};
use super::transcript::{CheckedChunk, TranscriptChunk, TranscriptSource};

impl<S: RoomStore> RoomCore<S> {
    pub(super) fn on_hello(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        hello: Hello,
    ) -> Result<(), RoomError> {
        if hello.protocol != PROTOCOL_VERSION {
            let err = RoomError::ProtocolUnsupported {
                got: hello.protocol,
                supported: PROTOCOL_VERSION,
            };
            self.send_control(sid, &ServerMsg::error(&err, None));
            self.close(sid, CloseReason::ProtocolUnsupported);
            return Ok(());
        }
        let Some(session) = self.sessions.get(sid) else {
            return Err(RoomError::UnknownSession);
        };
        let identity = session.state.identity.clone();
        let Some(role) = identity.role else {
            return Err(RoomError::Denied(crate::acl::Denial::NotAParticipant));
        };
        if self.client_id_taken(&identity.user_id, &hello.client_id) {
            return Err(RoomError::ClientIdTaken);
        }
        // The same client on another connection: a reconnect that beat the
        // old socket's close. Two connections acking one client's ops would
        // confuse it, so the newer one wins.
        let replaced: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(id, s)| *id != sid && s.client_id() == Some(hello.client_id.as_str()))
            .map(|(id, _)| id.clone())
            .collect();
        for old in replaced {
            self.close(&old, CloseReason::Replaced);
        }

        let requested = hello.subscribe.unwrap_or_else(StreamSet::all);
        let mut allowed = StreamSet::empty();
        let mut denied = Vec::new();
        for stream in requested.iter() {
            match self.role_may_read(sid, stream) {
                Ok(()) => allowed.insert(stream),
                Err(err) => denied.push(err),
            }
        }
        if let Some(session) = self.sessions.get_mut(sid) {
            session.state.phase = Phase::Live(LiveState {
                client_id: hello.client_id,
                live_since_ms: now_ms,
                subs: Default::default(),
                speaking: false,
                notes_reset_version: 0,
            });
        }
        self.dirty.insert(sid.clone());
        let welcome = ServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            session_id: sid.as_str().to_owned(),
            user_id: identity.user_id.clone(),
            role,
            meeting_state: self.meta.state,
            heads: self.heads(),
            subscribed: allowed,
            limits: WireLimits {
                max_frame_bytes: self.config.max_frame_bytes,
                chat_max_chars: self.config.chat_max_chars,
                transcript_max_chars: self.config.transcript_max_chars,
                resume_max_items: self.config.resume_max_items,
            },
        };
        self.send_control(sid, &welcome);
        for err in denied {
            self.send_control(sid, &ServerMsg::error(&err, None));
        }
        // The others learn of the arrival; this session gets the full list
        // when it subscribes to presence below.
        self.refresh_presence(&identity.user_id, Some(sid));
        for stream in allowed.iter() {
            self.subscribe_stream(now_ms, sid, stream, hello.resume.cursor(stream));
        }
        Ok(())
    }

    /// Starts (or restarts) delivery of one stream, beginning with its
    /// catch-up: the state or presence view, the notes from the client's
    /// version (a snapshot when it holds nothing or is too far behind), or
    /// the transcript/chat tail after its seq.
    fn subscribe_stream(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        stream: Stream,
        cursor: Option<u64>,
    ) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        let start = cursor.unwrap_or(0);
        session.set_sub(stream, Some(Sub::Live { cursor: start }));
        let identity = session.state.identity.clone();
        self.dirty.insert(sid.clone());
        let decision = self.decide(&identity, stream.read_action());
        self.audit_identity(
            now_ms,
            sid,
            &identity,
            "room.subscribe",
            Some(stream),
            decision,
        );
        if !decision.is_allowed() {
            // Allowed by role, not yet by the meeting's state: delivery
            // starts when the state allows it.
            return;
        }
        match stream {
            Stream::State => {
                let frame = self.state_frame();
                self.send_stream(sid, stream, frame);
            }
            Stream::Presence => {
                let frame = self.presence_frame();
                self.send_stream(sid, stream, frame);
            }
            Stream::Notes => {
                let head = self.notes.version();
                match cursor {
                    // Holding nothing: the whole document.
                    None => {
                        self.send_frames(sid, stream, &[(self.snapshot_frame(), head)]);
                        self.note_reset(sid, head);
                    }
                    Some(_) => {
                        self.deliver_notes_to(sid, head, self.config.resume_frame_items);
                    }
                }
            }
            Stream::Transcript | Stream::Chat | Stream::Prompts => {
                self.catch_up_feed(sid, stream, start)
            }
        }
    }

    pub(super) fn on_subscribe(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        streams: StreamSet,
        resume: Resume,
    ) -> Result<(), RoomError> {
        for stream in streams.iter() {
            if let Err(err) = self.role_may_read(sid, stream) {
                self.send_control(sid, &ServerMsg::error(&err, None));
                continue;
            }
            let current = self.sessions.get(sid).and_then(|s| s.sub(stream));
            let cursor = resume.cursor(stream);
            let already_live = matches!(current, Some(Sub::Live { .. }));
            if already_live && stream.is_sequenced() && cursor.is_none() {
                // Nothing new asked for: keep delivering from where it is.
                continue;
            }
            self.subscribe_stream(now_ms, sid, stream, cursor);
        }
        Ok(())
    }

    pub(super) fn on_unsubscribe(
        &mut self,
        sid: &SessionId,
        streams: StreamSet,
    ) -> Result<(), RoomError> {
        let Some(session) = self.sessions.get_mut(sid) else {
            return Err(RoomError::UnknownSession);
        };
        for stream in streams.iter() {
            session.set_sub(stream, None);
        }
        self.dirty.insert(sid.clone());
        Ok(())
    }

    pub(super) fn on_transcript(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        chunk: CheckedChunk,
    ) -> Result<(), RoomError> {
        self.authorize(now_ms, sid, Action::WriteTranscript)?;
        let user_id = self.session_user(sid)?;
        if chunk
            .input()
            .speaker_id
            .as_deref()
            .is_some_and(|speaker| speaker != user_id)
        {
            return Err(RoomError::SpeakerMismatch);
        }
        self.append_chunk(
            now_ms,
            chunk.spoken_by(user_id),
            TranscriptSource::Participant,
        )?;
        Ok(())
    }

    /// Sequences, stores and schedules delivery of a chunk.
    pub(super) fn append_chunk(
        &mut self,
        now_ms: u64,
        chunk: CheckedChunk,
        source: TranscriptSource,
    ) -> Result<u64, RoomError> {
        let seq = self.transcript_head + 1;
        let chunk = TranscriptChunk::new(seq, chunk, source, now_ms);
        self.store.append_transcript(&chunk)?;
        self.transcript_head = seq;
        self.meta.last_activity_ms = Some(now_ms);
        let spoken = chunk.spoken_ms();
        if let (Some(speaker), true) = (&chunk.speaker_id, spoken > 0) {
            self.meta
                .add_speaking(speaker, spoken, self.config.max_speakers);
            self.hot.state_dirty = true;
            // If this fails the stats are saved with the next meta write.
            let _ = self.store.save_meta(&self.meta);
        }
        self.mark_hot(now_ms);
        // The in-call detectors see every chunk in order, and are polled
        // after each one (docs/intelligence.md, "The room's pipeline").
        self.observe_chunk(&chunk);
        self.poll_live(now_ms);
        self.recent_transcript.push(seq, chunk);
        Ok(seq)
    }

    pub(super) fn on_chat(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        chat: CheckedChat,
    ) -> Result<(), RoomError> {
        self.authorize(now_ms, sid, Action::WriteChat)?;
        let user_id = self.session_user(sid)?;
        if let Some(existing) = self.store.chat_by_client_ref(&user_id, chat.client_ref())? {
            let ack = ServerMsg::ChatAck {
                client_ref: existing.client_ref,
                seq: existing.seq,
                duplicate: true,
            };
            self.send_stream(sid, Stream::Chat, ack.encode());
            return Ok(());
        }
        let seq = self.chat_head + 1;
        let message = ChatMessage::new(seq, &user_id, chat, now_ms);
        self.store.append_chat(&message)?;
        self.chat_head = seq;
        self.recent_chat.push(seq, message.clone());
        self.meta.last_activity_ms = Some(now_ms);
        // Chat is not coalesced: it is low-rate and people wait for it.
        self.deliver_feed_all(Stream::Chat);
        let ack = ServerMsg::ChatAck {
            client_ref: message.client_ref,
            seq,
            duplicate: false,
        };
        self.send_stream(sid, Stream::Chat, ack.encode());
        Ok(())
    }
}
