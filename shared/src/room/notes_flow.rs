//! The notes protocol inside the room (the rules are in `crate::ot`'s
//! module docs): rebuilding the document from storage, committing a
//! submitted op (persisted before it is acknowledged or broadcast),
//! acknowledging the sender at once and everyone else within the
//! coalescing window, refusing with a snapshot, and keeping the stored log
//! short with snapshots and compaction.

use crate::acl::Action;
use crate::ot::{apply, NotesDoc, NotesState, Op, SubmitOutcome};

use super::config::RoomConfig;
use super::core::RoomCore;
use super::error::RoomError;
use super::identity::SessionId;
use super::protocol::ServerMsg;
use super::session::Sub;
use super::store::{NotesSnapshot, RoomStore};
use super::stream::Stream;

/// Rebuilds the document: the stored snapshot plus the ops after it, with
/// the in-memory log reaching back `notes_log_keep` ops (or to the oldest
/// stored op) so reconnecting clients can catch up op by op.
pub(super) fn load_notes<S: RoomStore>(
    store: &S,
    config: &RoomConfig,
) -> Result<NotesDoc, RoomError> {
    let head = store.notes_head()?;
    let snapshot_version = head.snapshot.version;
    let corrupt = |what: String| RoomError::CorruptState(format!("notes: {what}"));
    if head.log_base > snapshot_version || head.version < snapshot_version {
        return Err(corrupt(format!(
            "log base {} / snapshot {} / head {}",
            head.log_base, snapshot_version, head.version
        )));
    }
    let keep = u64::try_from(config.notes_log_keep).unwrap_or(u64::MAX);
    let from = snapshot_version
        .min(head.version.saturating_sub(keep))
        .max(head.log_base);
    let count = usize::try_from(head.version - from).map_err(|_| corrupt("log too long".into()))?;
    let ops = store.note_ops_since(from, count)?;
    if ops.len() != count {
        return Err(corrupt(format!(
            "expected {count} ops after {from}, found {}",
            ops.len()
        )));
    }
    let snapshot = head.snapshot;
    let mut content = snapshot.content;
    let mut last_rebased_at = snapshot.last_rebased_at;
    let mut last_author_id = snapshot.last_author_id;
    let mut updated_at = snapshot.updated_at;
    for op in ops.iter().filter(|op| op.version > snapshot_version) {
        content = apply(&content, &op.op).map_err(|e| corrupt(e.to_string()))?;
        if op.transformed_over > 0 {
            last_rebased_at = Some(op.committed_at_ms);
        }
        last_author_id = Some(op.author_id.clone());
        updated_at = Some(op.committed_at_ms);
    }
    let state = NotesState {
        content,
        version: head.version,
        log: ops,
        clients: head.clients,
        last_rebased_at,
        last_author_id,
        updated_at,
    };
    NotesDoc::restore(state, config.notes).map_err(|e| corrupt(e.to_string()))
}

impl<S: RoomStore> RoomCore<S> {
    /// The document as a stored snapshot.
    pub(super) fn notes_snapshot(&self) -> NotesSnapshot {
        NotesSnapshot {
            content: self.notes.content().to_owned(),
            version: self.notes.version(),
            last_rebased_at: self.notes.last_rebased_at(),
            last_author_id: self.notes.last_author_id().map(str::to_owned),
            updated_at: self.notes.updated_at(),
        }
    }

    /// Stores a snapshot at the current version (if there is anything new).
    pub(super) fn save_notes_snapshot(&mut self) -> Result<(), RoomError> {
        if self.commits_since_snapshot == 0 {
            return Ok(());
        }
        let snapshot = self.notes_snapshot();
        self.store.save_notes_snapshot(&snapshot)?;
        self.commits_since_snapshot = 0;
        Ok(())
    }

    /// A `notes.op` from a live session.
    pub(super) fn on_notes_op(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        client_seq: u64,
        base_version: u64,
        op: Op,
    ) -> Result<(), RoomError> {
        let Some(session) = self.sessions.get(sid) else {
            return Err(RoomError::UnknownSession);
        };
        if session.sub(Stream::Notes).is_none() {
            return Err(RoomError::NotSubscribed(Stream::Notes));
        }
        let user_id = session.user_id().to_owned();
        let client_id = session.client_id().unwrap_or_default().to_owned();
        let reset_at = session
            .state
            .live()
            .map_or(0, |live| live.notes_reset_version);
        if let Err(err) = self.authorize(now_ms, sid, Action::WriteNotes) {
            // The client already shows the edit: a reject lets it roll back.
            self.reject_notes_op(sid, client_seq, &err);
            return Ok(());
        }
        let outcome = self
            .notes
            .submit(now_ms, &user_id, &client_id, client_seq, base_version, op);
        match outcome {
            Ok(SubmitOutcome::Committed(committed)) => {
                if let Err(err) = self.store.append_note_op(&committed) {
                    // Memory ran ahead of storage: rebuild from the store so
                    // the version is not handed out twice, and refuse.
                    self.notes = load_notes(&self.store, &self.config)?;
                    self.reject_notes_op(sid, client_seq, &RoomError::Store(err));
                    return Ok(());
                }
                let version = committed.version;
                self.commits_since_snapshot += 1;
                self.meta.last_activity_ms = Some(now_ms);
                if self.commits_since_snapshot >= self.config.notes_snapshot_every {
                    // A failed snapshot only means a longer replay on load.
                    let _ = self.save_notes_snapshot();
                }
                self.trim_notes_log();
                // The sender: everything before its op, then the ack. If the
                // ops before it cannot all be queued now, the op itself
                // follows them later, and a notes client takes its own op
                // as the ack. A snapshot (sender far behind) includes it.
                // An op made before the client last reset its document was
                // dropped by the client: it must arrive as an op (which the
                // client applies like anyone else's), never as an ack.
                if base_version < reset_at {
                    self.mark_hot(now_ms);
                    return Ok(());
                }
                let caught_up =
                    self.deliver_notes_to(sid, version - 1, self.config.resume_frame_items);
                let before_op = self
                    .sessions
                    .get(sid)
                    .and_then(|s| s.cursor(Stream::Notes))
                    .is_some_and(|cursor| cursor < version);
                if caught_up && before_op {
                    self.ack_notes(sid, client_seq, version);
                }
                self.mark_hot(now_ms);
            }
            Ok(SubmitOutcome::Duplicate { version, .. }) => {
                let head = self.notes.version();
                if self.deliver_notes_to(sid, head, self.config.resume_frame_items) {
                    if let Some(version) = version {
                        self.ack_notes(sid, client_seq, version);
                    }
                }
            }
            Ok(SubmitOutcome::Noop { version, .. }) => {
                // R22: nothing stored, nothing broadcast, no new version.
                // An op made before the client's last reset was dropped by
                // the client: it waits for no answer.
                if base_version < reset_at {
                    return Ok(());
                }
                // The ack at the head must follow every op before it; when
                // they do not fit the queue now, resync the stream (the
                // client resends the op after catching up, and is answered
                // then), as for a reject.
                if self.deliver_notes_to(sid, version, self.config.resume_frame_items) {
                    self.ack_notes(sid, client_seq, version);
                } else if let Some(Sub::Live { .. }) =
                    self.sessions.get(sid).and_then(|s| s.sub(Stream::Notes))
                {
                    let mut notes = crate::room::stream::StreamSet::empty();
                    notes.insert(Stream::Notes);
                    self.overflow(sid, notes);
                }
            }
            Err(err) => self.reject_notes_op(sid, client_seq, &RoomError::Notes(err)),
        }
        Ok(())
    }

    fn ack_notes(&mut self, sid: &SessionId, client_seq: u64, version: u64) {
        let frame = ServerMsg::NotesAck {
            client_seq,
            version,
        }
        .encode();
        if self.send_stream(sid, Stream::Notes, frame) {
            if let Some(session) = self.sessions.get_mut(sid) {
                if let Some(Sub::Live { cursor }) = session.sub(Stream::Notes) {
                    session.set_sub(
                        Stream::Notes,
                        Some(Sub::Live {
                            cursor: cursor.max(version),
                        }),
                    );
                    self.dirty.insert(sid.clone());
                }
            }
        }
    }

    /// Refuses op `client_seq` with the document to roll back to. The
    /// session first gets every op it has not seen, so the snapshot never
    /// moves it backwards.
    pub(super) fn reject_notes_op(&mut self, sid: &SessionId, client_seq: u64, err: &RoomError) {
        let head = self.notes.version();
        if !self.deliver_notes_to(sid, head, self.config.resume_frame_items) {
            match self.sessions.get(sid).and_then(|s| s.sub(Stream::Notes)) {
                None => self.send_control(sid, &ServerMsg::error(err, None)),
                // In resync: the client resubmits after catching up, and
                // gets its answer then. (`Head` is only in saved attachments.)
                Some(Sub::Resync | Sub::Head) => {}
                // The ops before the reject do not fit the queue now, and
                // the reject cannot wait for them: resync the stream.
                Some(Sub::Live { .. }) => {
                    let mut notes = crate::room::stream::StreamSet::empty();
                    notes.insert(Stream::Notes);
                    self.overflow(sid, notes);
                }
            }
            return;
        }
        let frame = ServerMsg::NotesReject {
            client_seq,
            code: err.code().to_owned(),
            message: err.to_string(),
            content: self.notes.content().to_owned(),
            version: head,
        }
        .encode();
        if self.send_stream(sid, Stream::Notes, frame) {
            // If the refused op was in flight, the client rolls back to
            // `head` (a stale refusal it ignores; erring this way is safe).
            self.note_reset(sid, head);
        }
    }

    /// Keeps the in-memory log near `notes_log_keep` ops (amortised: it is
    /// cut back only once it doubles).
    fn trim_notes_log(&mut self) {
        let keep = self.config.notes_log_keep;
        if self.notes.log().len() > keep.saturating_mul(2).max(1) {
            let keep = u64::try_from(keep).unwrap_or(u64::MAX);
            self.notes
                .compact(self.notes.version().saturating_sub(keep));
        }
    }

    /// After a flush: snapshot, then drop stored ops that D1 has and no
    /// resuming client needs.
    pub(super) fn compact_stored_notes(&mut self) -> Result<(), RoomError> {
        self.save_notes_snapshot()?;
        let keep = u64::try_from(self.config.notes_log_keep).unwrap_or(u64::MAX);
        let up_to = self
            .meta
            .flushed
            .notes_version
            .min(self.notes.version().saturating_sub(keep));
        self.store.compact_note_ops(up_to)?;
        Ok(())
    }

    /// Whether a client id is taken by another user (live, or in the
    /// document's clocks).
    pub(super) fn client_id_taken(&self, user_id: &str, client_id: &str) -> bool {
        let live = self
            .sessions
            .values()
            .any(|s| s.client_id() == Some(client_id) && s.user_id() != user_id);
        live || self
            .notes
            .clients()
            .any(|c| c.client_id == client_id && c.author_id != user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ot::{CommittedOp, Op};
    use crate::room::store::MemoryStore;

    fn op(version: u64, text: &str) -> CommittedOp {
        CommittedOp {
            version,
            op: Op::insert_at(0, text),
            author_id: "u".into(),
            client_id: "c".into(),
            client_seq: version,
            base_version: version - 1,
            transformed_over: 0,
            committed_at_ms: version * 10,
        }
    }

    fn config(keep: usize) -> RoomConfig {
        RoomConfig {
            notes_log_keep: keep,
            ..RoomConfig::default()
        }
    }

    #[test]
    fn rebuilds_from_snapshot_plus_ops_with_a_resume_window() {
        let mut store = MemoryStore::new();
        for v in 1..=6 {
            store.append_note_op(&op(v, &v.to_string())).unwrap();
        }
        store
            .save_notes_snapshot(&NotesSnapshot {
                content: "4321".into(),
                version: 4,
                ..NotesSnapshot::default()
            })
            .unwrap();
        store.compact_note_ops(2).unwrap();
        let doc = load_notes(&store, &config(1)).unwrap();
        assert_eq!(doc.content(), "654321");
        assert_eq!(doc.version(), 6);
        // The log reaches back to the snapshot (or `keep`, if that is further).
        assert_eq!(doc.oldest_base_version(), 4);
        assert_eq!(doc.last_author_id(), Some("u"));
        assert_eq!(doc.updated_at(), Some(60));
        let wide = load_notes(&store, &config(100)).unwrap();
        assert_eq!(wide.oldest_base_version(), 2, "never past the stored log");
        assert_eq!(wide.content(), "654321");
        assert_eq!(
            load_notes(&MemoryStore::new(), &config(5))
                .unwrap()
                .version(),
            0
        );
    }

    #[test]
    fn a_store_that_does_not_hang_together_is_reported() {
        let mut store = MemoryStore::new();
        store.append_note_op(&op(1, "a")).unwrap();
        // An op that does not apply to the document it follows.
        let mut bad = op(2, "b");
        bad.op = Op::delete_at(5, 1);
        store.append_note_op(&bad).unwrap();
        let err = load_notes(&store, &config(10)).unwrap_err();
        assert_eq!(err.code(), "CORRUPT_STATE");
    }
}
