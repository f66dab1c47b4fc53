//! The client side of the notes protocol, as a state machine with no I/O:
//! ShareDB's model of one op in flight plus one composed pending op.
//!
//! Local edits apply at once (optimistically) and queue up; at most one op
//! is ever unacknowledged on the server, so the server only has to
//! transform it over ops the client has not seen yet. Every server op
//! transforms the in-flight and pending ops (they are "after" it from the
//! server's point of view) and is itself transformed over them before it
//! touches the local document.
//!
//! A `NotesClient` instance must use a client id nobody used before (a
//! random id per page load): sequence numbers restart at 1, and the server
//! drops any op whose sequence number it has already seen from that id.

use serde::{Deserialize, Serialize};

use super::apply::apply;
use super::chars::char_len;
use super::compose::compose;
use super::document::CommittedOp;
use super::error::OtError;
use super::op::Op;
use super::transform::{transform, Side};

/// An op for the server: the arguments of [`super::NotesDoc::submit`]
/// that come from the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpSubmission {
    pub client_id: String,
    pub client_seq: u64,
    pub base_version: u64,
    pub op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Offline,
    Online,
}

#[derive(Debug, Clone)]
struct Inflight {
    seq: u64,
    /// Always expressed against `NotesClient::version`: every server op
    /// received since sending transformed it.
    op: Op,
    /// Sent on the current connection. Cleared on disconnect so the op is
    /// resent, with the same sequence number, on the next one.
    sent: bool,
}

/// One client's view of a notes document.
#[derive(Debug, Clone)]
pub struct NotesClient {
    client_id: String,
    content: String,
    content_chars: usize,
    /// The server version the local document is based on, i.e. the last
    /// server op or ack received. Local edits are on top of it.
    version: u64,
    inflight: Option<Inflight>,
    pending: Option<Op>,
    next_seq: u64,
    link: Link,
}

impl NotesClient {
    /// A client holding the server's `content` at `version`, not yet connected.
    pub fn new(client_id: impl Into<String>, content: String, version: u64) -> Self {
        NotesClient {
            client_id: client_id.into(),
            content_chars: char_len(&content),
            content,
            version,
            inflight: None,
            pending: None,
            next_seq: 1,
            link: Link::Offline,
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The local document, including unacknowledged edits.
    pub fn content(&self) -> &str {
        &self.content
    }

    pub fn char_len(&self) -> usize {
        self.content_chars
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn is_online(&self) -> bool {
        self.link == Link::Online
    }

    /// The op awaiting its ack, with its sequence number.
    pub fn inflight(&self) -> Option<(u64, &Op)> {
        self.inflight.as_ref().map(|i| (i.seq, &i.op))
    }

    /// Edits made since the in-flight op was sent, composed into one op.
    pub fn pending(&self) -> Option<&Op> {
        self.pending.as_ref()
    }

    /// True while some local edit is not yet acknowledged by the server.
    pub fn has_unacked(&self) -> bool {
        self.inflight.is_some() || self.pending.is_some()
    }

    /// A new connection is up. Returns the version to catch up from: the
    /// server must send every op after it (or the snapshot if they are gone)
    /// before handling anything else from this connection.
    pub fn connect(&mut self) -> u64 {
        self.link = Link::Online;
        if let Some(inflight) = &mut self.inflight {
            inflight.sent = false;
        }
        self.version
    }

    /// The connection is gone. Edits keep queueing locally.
    pub fn disconnect(&mut self) {
        self.link = Link::Offline;
        if let Some(inflight) = &mut self.inflight {
            inflight.sent = false;
        }
    }

    /// A local edit, made against [`NotesClient::content`]. Applies at once.
    pub fn edit(&mut self, op: Op) -> Result<(), OtError> {
        let content = apply(&self.content, &op)?;
        self.content_chars = op
            .target_len(self.content_chars)
            .unwrap_or_else(|| char_len(&content));
        self.content = content;
        self.pending = Some(match self.pending.take() {
            Some(pending) => compose(&pending, &op),
            None => op,
        });
        Ok(())
    }

    /// The next op to send, if any: the in-flight op again after a
    /// reconnect (same sequence number, so the server never applies it
    /// twice), or the pending op once nothing is in flight.
    pub fn poll_submit(&mut self) -> Option<OpSubmission> {
        if self.link == Link::Offline {
            return None;
        }
        if self.inflight.is_none() {
            let op = self.pending.take()?;
            if op.is_noop() {
                // Edits that cancelled out: nothing for the server to do.
                return None;
            }
            let seq = self.next_seq;
            self.next_seq = seq.saturating_add(1);
            self.inflight = Some(Inflight {
                seq,
                op,
                sent: false,
            });
        }
        let inflight = self.inflight.as_mut()?;
        if inflight.sent {
            return None;
        }
        inflight.sent = true;
        Some(OpSubmission {
            client_id: self.client_id.clone(),
            client_seq: inflight.seq,
            base_version: self.version,
            op: inflight.op.clone(),
        })
    }

    /// A committed op from the server, in version order. Returns the op to
    /// apply to the editor (the server op moved past local edits), or
    /// `None` when nothing changes locally: an op already seen, or the
    /// client's own in-flight op coming back (which acks it).
    ///
    /// On error nothing changed; a `VersionGap` means a message was lost,
    /// and reconnecting (which catches up from [`NotesClient::version`]) fixes it.
    pub fn handle_op(&mut self, committed: &CommittedOp) -> Result<Option<Op>, OtError> {
        if committed.version <= self.version {
            return Ok(None);
        }
        let expected = self.version.saturating_add(1);
        if committed.version != expected {
            return Err(OtError::VersionGap {
                expected,
                got: committed.version,
            });
        }
        if let Some(inflight) = &self.inflight {
            if committed.client_id == self.client_id && committed.client_seq == inflight.seq {
                // Our own op, seen while catching up because its ack was lost.
                // The id is trustworthy: the server lets no other author use it.
                self.inflight = None;
                self.version = committed.version;
                return Ok(None);
            }
        }

        let mut incoming = committed.op.clone();
        let inflight = self.inflight.as_ref().map(|inflight| {
            let mine = transform(&inflight.op, &incoming, Side::Left);
            incoming = transform(&incoming, &inflight.op, Side::Right);
            mine
        });
        let pending = self.pending.as_ref().map(|pending| {
            let mine = transform(pending, &incoming, Side::Left);
            incoming = transform(&incoming, pending, Side::Right);
            mine
        });
        let content = apply(&self.content, &incoming)?;

        self.content_chars = incoming
            .target_len(self.content_chars)
            .unwrap_or_else(|| char_len(&content));
        self.content = content;
        if let (Some(slot), Some(op)) = (self.inflight.as_mut(), inflight) {
            slot.op = op;
        }
        self.pending = pending;
        self.version = committed.version;
        Ok(Some(incoming))
    }

    /// The server committed our op `client_seq` as `version`. Acks for
    /// anything but the in-flight op are duplicates and are ignored. An
    /// in-flight op that changes nothing (it was transformed to nothing by
    /// the ops received since it was sent) is acked at the current version:
    /// the server stores no version for it (protocol rule R22).
    pub fn handle_ack(&mut self, client_seq: u64, version: u64) -> Result<(), OtError> {
        let noop = match &self.inflight {
            Some(inflight) if inflight.seq == client_seq => inflight.op.is_noop(),
            Some(_) | None => return Ok(()),
        };
        if noop && version == self.version {
            self.inflight = None;
            return Ok(());
        }
        let expected = self.version.saturating_add(1);
        if version != expected {
            return Err(OtError::VersionGap {
                expected,
                got: version,
            });
        }
        self.inflight = None;
        self.version = version;
        Ok(())
    }

    /// Replaces the local document with a server snapshot, when our version
    /// is older than the server's op log (the answer to the hello). Local
    /// edits cannot be rebased without the missing ops, so they are dropped
    /// and returned (composed, against the old local document) for the UI
    /// to report. Sequence numbers keep counting, so a dropped op that still
    /// reaches the server later is treated as anyone else's op.
    pub fn reset(&mut self, content: String, version: u64) -> Option<Op> {
        let discarded = match (self.inflight.take(), self.pending.take()) {
            (Some(inflight), Some(pending)) => Some(compose(&inflight.op, &pending)),
            (Some(inflight), None) => Some(inflight.op),
            (None, pending) => pending,
        };
        self.content_chars = char_len(&content);
        self.content = content;
        self.version = version;
        discarded
    }

    /// The server refused our op `client_seq` (too large, or based on a
    /// compacted version) and sent its current `content` at `version`. The
    /// local document already shows the refused edit, so we roll back to
    /// the snapshot, dropping pending edits too (they were made on top of
    /// it), and return what was dropped.
    ///
    /// Only a refusal of the op still in flight counts. Any other is stale:
    /// we already reset past it, and obeying it would roll back newer ops
    /// the server may have committed since (returns `None`, changes nothing).
    pub fn handle_reject(&mut self, client_seq: u64, content: String, version: u64) -> Option<Op> {
        match &self.inflight {
            Some(inflight) if inflight.seq == client_seq => self.reset(content, version),
            Some(_) | None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::document::{NotesDoc, NotesLimits, SubmitOutcome};
    use super::*;

    /// Sends `client`'s next op to `server` and returns what was committed.
    fn send(server: &mut NotesDoc, client: &mut NotesClient, author: &str) -> Option<CommittedOp> {
        let s = client.poll_submit()?;
        let outcome = server
            .submit(0, author, &s.client_id, s.client_seq, s.base_version, s.op)
            .unwrap();
        match outcome {
            SubmitOutcome::Committed(c) => Some(c),
            SubmitOutcome::Duplicate { .. } | SubmitOutcome::Noop { .. } => None,
        }
    }

    fn online(id: &str) -> NotesClient {
        let mut client = NotesClient::new(id, "ab".into(), 0);
        client.connect();
        client
    }

    #[test]
    fn concurrent_edits_converge_with_inflight_and_pending() {
        let mut server = NotesDoc::from_snapshot("ab".into(), 0, NotesLimits::default());
        let mut alice = online("alice");
        let mut bob = online("bob");

        alice.edit(Op::insert_at(1, "A")).unwrap();
        let a1 = send(&mut server, &mut alice, "ua").unwrap();
        // Alice keeps typing while her first op is in flight.
        alice.edit(Op::insert_at(2, "😀")).unwrap();
        alice.edit(Op::delete_at(0, 1)).unwrap();
        assert!(alice.poll_submit().is_none(), "one op in flight at a time");
        assert_eq!(alice.content(), "A😀b");

        bob.edit(Op::insert_at(1, "B")).unwrap();
        bob.edit(Op::insert_at(3, "𝄞")).unwrap();
        let b1 = send(&mut server, &mut bob, "ub").unwrap();
        assert_eq!(b1.transformed_over, 1);

        // Delivery: alice gets her ack then bob's op; bob gets alice's op then his ack.
        alice.handle_ack(a1.client_seq, a1.version).unwrap();
        let a2 = send(&mut server, &mut alice, "ua").unwrap();
        assert_eq!(
            alice.handle_op(&b1).unwrap().map(|op| op.is_noop()),
            Some(false)
        );
        bob.handle_op(&a1).unwrap();
        bob.handle_ack(b1.client_seq, b1.version).unwrap();
        bob.handle_op(&a2).unwrap();
        alice.handle_ack(a2.client_seq, a2.version).unwrap();

        assert_eq!(server.content(), "BA😀b𝄞");
        assert_eq!(alice.content(), server.content());
        assert_eq!(bob.content(), server.content());
        assert_eq!(alice.version(), 3);
        assert_eq!(bob.version(), 3);
        assert!(!alice.has_unacked() && !bob.has_unacked());
    }

    #[test]
    fn reconnect_resends_the_inflight_op_with_the_same_seq() {
        let mut server = NotesDoc::from_snapshot("ab".into(), 0, NotesLimits::default());
        let mut alice = online("alice");
        alice.edit(Op::insert_at(0, "x")).unwrap();
        let first = alice.poll_submit().unwrap();
        let committed = match server
            .submit(
                1,
                "ua",
                &first.client_id,
                first.client_seq,
                first.base_version,
                first.op.clone(),
            )
            .unwrap()
        {
            SubmitOutcome::Committed(c) => c,
            other => panic!("{other:?}"),
        };
        // The ack is lost with the connection.
        alice.disconnect();
        assert!(alice.poll_submit().is_none(), "nothing is sent offline");
        alice.edit(Op::insert_at(3, "y")).unwrap();
        assert_eq!(alice.connect(), 0);
        let again = alice.poll_submit().unwrap();
        assert_eq!(again.client_seq, first.client_seq);
        assert_eq!(again.op, first.op);

        // Catch-up brings our own op back: that is the ack.
        for op in server.ops_since(0).unwrap() {
            assert_eq!(alice.handle_op(op).unwrap(), None);
        }
        let dup = server
            .submit(
                2,
                "ua",
                &again.client_id,
                again.client_seq,
                again.base_version,
                again.op,
            )
            .unwrap();
        assert_eq!(dup.ack_version(), Some(committed.version));
        alice
            .handle_ack(again.client_seq, committed.version)
            .unwrap();
        assert_eq!(server.content(), "xab");

        send(&mut server, &mut alice, "ua").unwrap();
        assert_eq!(server.content(), "xaby");
    }

    #[test]
    fn gaps_are_reported_and_change_nothing() {
        let mut server = NotesDoc::new(NotesLimits::default());
        let mut other = NotesClient::new("o", String::new(), 0);
        other.connect();
        other.edit(Op::insert_at(0, "1")).unwrap();
        send(&mut server, &mut other, "u").unwrap();
        other.handle_ack(1, 1).unwrap();
        other.edit(Op::insert_at(0, "2")).unwrap();
        let v2 = send(&mut server, &mut other, "u").unwrap();

        let mut late = NotesClient::new("l", String::new(), 0);
        let err = late.handle_op(&v2).unwrap_err();
        assert_eq!(
            err,
            OtError::VersionGap {
                expected: 1,
                got: 2
            }
        );
        assert_eq!(late.version(), 0);
        late.connect();
        late.edit(Op::insert_at(0, "z")).unwrap();
        late.poll_submit().unwrap();
        assert!(late.handle_ack(1, 5).is_err());
        assert!(
            late.handle_ack(7, 5).is_ok(),
            "acks for other seqs are ignored"
        );
        assert!(late.inflight().is_some());
    }

    #[test]
    fn reset_drops_and_returns_local_edits() {
        let mut client = online("c");
        client.edit(Op::insert_at(0, "x")).unwrap();
        client.poll_submit().unwrap();
        client.edit(Op::insert_at(3, "y")).unwrap();
        let dropped = client.reset("server".into(), 7).unwrap();
        assert_eq!(apply("ab", &dropped).unwrap(), "xaby");
        assert_eq!(client.content(), "server");
        assert_eq!(client.char_len(), 6);
        assert_eq!(client.version(), 7);
        assert!(!client.has_unacked());
        client.edit(Op::insert_at(0, "!")).unwrap();
        assert_eq!(
            client.poll_submit().unwrap().client_seq,
            2,
            "seqs keep counting"
        );
    }

    #[test]
    fn only_a_rejection_of_the_inflight_op_rolls_back() {
        let mut client = online("c");
        client.edit(Op::insert_at(0, "x")).unwrap();
        let first = client.poll_submit().unwrap();
        assert!(client
            .handle_reject(first.client_seq + 1, "zz".into(), 3)
            .is_none());
        assert_eq!(client.content(), "xab");
        let dropped = client
            .handle_reject(first.client_seq, "ab".into(), 0)
            .unwrap();
        assert_eq!(dropped, Op::insert_at(0, "x"));
        assert_eq!(client.content(), "ab");

        // A second, stale refusal of the same op must not undo newer work.
        client.edit(Op::insert_at(2, "y")).unwrap();
        client.poll_submit().unwrap();
        assert!(client
            .handle_reject(first.client_seq, "ab".into(), 0)
            .is_none());
        assert_eq!(client.content(), "aby");
        assert!(client.inflight().is_some());
    }

    #[test]
    fn edits_that_cancel_out_send_nothing() {
        let mut client = online("c");
        client.edit(Op::insert_at(1, "😀")).unwrap();
        client.edit(Op::delete_at(1, 1)).unwrap();
        assert!(client.poll_submit().is_none());
        assert!(!client.has_unacked());
        assert_eq!(
            client.edit(Op::delete_at(1, 5)).unwrap_err().code(),
            "OT_BASE_LENGTH_MISMATCH"
        );
        assert_eq!(client.content(), "ab");
    }

    #[test]
    fn an_inflight_op_transformed_to_nothing_takes_an_ack_at_the_current_version() {
        let mut server = NotesDoc::from_snapshot("ab".into(), 0, NotesLimits::default());
        let mut alice = online("alice");
        let mut bob = online("bob");
        // Both delete the same char; bob's arrives first.
        alice.edit(Op::delete_at(0, 1)).unwrap();
        let a = alice.poll_submit().unwrap();
        bob.edit(Op::delete_at(0, 1)).unwrap();
        let b1 = send(&mut server, &mut bob, "ub").unwrap();
        let outcome = server
            .submit(0, "ua", &a.client_id, a.client_seq, a.base_version, a.op)
            .unwrap();
        assert_eq!(
            outcome,
            SubmitOutcome::Noop {
                client_seq: 1,
                version: 1
            }
        );
        // Alice gets bob's op (her in-flight op becomes a no-op), then the ack.
        assert_eq!(
            alice.handle_op(&b1).unwrap().map(|op| op.is_noop()),
            Some(true)
        );
        alice.handle_ack(1, 1).unwrap();
        assert!(!alice.has_unacked());
        assert_eq!((alice.content(), alice.version()), ("b", 1));
        // An ack at the current version for an op that does change something
        // is still a gap.
        alice.edit(Op::insert_at(0, "x")).unwrap();
        let x = alice.poll_submit().unwrap();
        assert!(alice.handle_ack(x.client_seq, 1).is_err());
    }
}
