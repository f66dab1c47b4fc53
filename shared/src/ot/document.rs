//! The server's copy of a meeting's notes: materialised content, version,
//! the tail of the op log, and per-client dedup clocks. This is ShareDB's
//! commit model (an op names the version it was made against; the server
//! transforms it over everything committed since, applies it, and gives it
//! the next version), with the storage and the clock left to the caller.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::apply::apply;
use super::chars::char_len;
use super::error::OtError;
use super::op::Op;
use super::transform::{transform, Side};

/// Size caps for one notes document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotesLimits {
    /// The largest document, in chars. The default, 100,000, is at most
    /// 400 kB of UTF-8: well under the 1 MB cap on `meeting_notes.content`.
    /// Ops that would grow it past this are refused; ops that shrink it or
    /// keep its size always pass, so an oversized document (after the cap
    /// was lowered) can still be trimmed.
    pub max_doc_chars: usize,
    /// The most components one submitted op may have. Bounds transform work
    /// per submission, which is linear in components.
    pub max_op_components: usize,
}

impl Default for NotesLimits {
    fn default() -> Self {
        NotesLimits {
            max_doc_chars: 100_000,
            max_op_components: 10_000,
        }
    }
}

/// An op as committed: what to persist as a `noteOps` row and broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommittedOp {
    /// The version this op produced; it applies to the document at `version - 1`.
    pub version: u64,
    /// The op as applied, i.e. after transformation.
    pub op: Op,
    pub author_id: String,
    /// The author's clock: which client (tab) sent it and its sequence
    /// number there. Used to drop resubmissions and to let the sender
    /// recognise its own op when catching up.
    pub client_id: String,
    pub client_seq: u64,
    /// The version the client made the op against.
    pub base_version: u64,
    /// How many concurrent ops it was transformed over (`version - 1 - base_version`).
    pub transformed_over: u64,
    pub committed_at_ms: u64,
}

/// The newest op committed from one client, for deduplication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientClock {
    pub author_id: String,
    pub client_id: String,
    pub last_seq: u64,
    pub last_version: u64,
}

/// What [`NotesDoc::submit`] did with an op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Newly committed: persist it, ack the sender, broadcast to the others.
    Committed(CommittedOp),
    /// Already committed earlier (a resend after reconnect, or a retried
    /// request); nothing changed. Ack it again with `version`. `version` is
    /// `None` only for a sequence number older than the client's newest
    /// committed op with no record left (compacted away, or refused and
    /// then superseded): no client is waiting for that ack.
    Duplicate {
        client_seq: u64,
        version: Option<u64>,
    },
    /// The op changes nothing: it normalises to no component (`[]`, `[0]`,
    /// `[""]`), or transformation over concurrent ops reduced it to none.
    /// Nothing changed and nothing is to be stored or broadcast: ack it at
    /// the current `version` (protocol rule R22), so a client cannot grow
    /// the op log for free.
    Noop { client_seq: u64, version: u64 },
}

impl SubmitOutcome {
    /// The version to acknowledge the sender with.
    pub fn ack_version(&self) -> Option<u64> {
        match self {
            SubmitOutcome::Committed(op) => Some(op.version),
            SubmitOutcome::Duplicate { version, .. } => *version,
            SubmitOutcome::Noop { version, .. } => Some(*version),
        }
    }
}

/// Everything needed to rebuild a [`NotesDoc`]: what the Durable Object persists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotesState {
    pub content: String,
    pub version: u64,
    /// The retained log tail: consecutive versions ending at `version`.
    pub log: Vec<CommittedOp>,
    pub clients: Vec<ClientClock>,
    pub last_rebased_at: Option<u64>,
    pub last_author_id: Option<String>,
    pub updated_at: Option<u64>,
}

/// The authoritative notes document of one meeting.
///
/// The caller must persist each [`CommittedOp`] (or the new state) before
/// the ack and the broadcast leave. Otherwise a restart from older storage
/// hands out version numbers that clients already hold with other ops, and
/// a client at such a version silently diverges. Durable Object output
/// gates give exactly this ordering for writes to the object's storage.
#[derive(Debug, Clone)]
pub struct NotesDoc {
    content: String,
    content_chars: usize,
    version: u64,
    /// Ops with versions `oldest_base + 1 ..= version`, oldest first.
    log: Vec<CommittedOp>,
    oldest_base: u64,
    /// Keyed by client id. An id belongs to the first author that used it:
    /// ids travel in every broadcast, and a client takes an op carrying its
    /// own id and in-flight seq as its ack, so another user reusing the id
    /// could fake acks, or get that user's ops dropped as duplicates.
    clients: BTreeMap<String, Clock>,
    last_rebased_at: Option<u64>,
    last_author_id: Option<String>,
    updated_at: Option<u64>,
    limits: NotesLimits,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Clock {
    author_id: String,
    last_seq: u64,
    last_version: u64,
}

impl NotesDoc {
    /// An empty document at version 0.
    pub fn new(limits: NotesLimits) -> Self {
        NotesDoc::from_snapshot(String::new(), 0, limits)
    }

    /// A document loaded from a snapshot, with no log: clients behind
    /// `version` must reload.
    pub fn from_snapshot(content: String, version: u64, limits: NotesLimits) -> Self {
        NotesDoc {
            content_chars: char_len(&content),
            content,
            version,
            log: Vec::new(),
            oldest_base: version,
            clients: BTreeMap::new(),
            last_rebased_at: None,
            last_author_id: None,
            updated_at: None,
            limits,
        }
    }

    /// Rebuilds a document from persisted state, checking that the log is
    /// a consecutive run of versions ending at `state.version`. Clocks are
    /// also recovered from the log, so persisting `clients` only matters for
    /// clients whose ops were compacted away.
    pub fn restore(state: NotesState, limits: NotesLimits) -> Result<Self, OtError> {
        let log_len = u64::try_from(state.log.len())
            .map_err(|_| OtError::CorruptState("log too long".into()))?;
        let oldest_base = state
            .version
            .checked_sub(log_len)
            .ok_or_else(|| OtError::CorruptState("log longer than the version".into()))?;
        let mut previous = oldest_base;
        for record in &state.log {
            if previous.checked_add(1) != Some(record.version) {
                return Err(OtError::CorruptState(format!(
                    "log version {} follows {previous}",
                    record.version
                )));
            }
            previous = record.version;
        }
        let mut doc = NotesDoc::from_snapshot(state.content, state.version, limits);
        doc.oldest_base = oldest_base;
        doc.last_rebased_at = state.last_rebased_at;
        doc.updated_at = state.updated_at;
        doc.last_author_id = state.last_author_id;
        let clocks = state
            .clients
            .into_iter()
            .map(|c| (c.author_id, c.client_id, c.last_seq, c.last_version));
        let logged = state.log.iter().map(|r| {
            (
                r.author_id.clone(),
                r.client_id.clone(),
                r.client_seq,
                r.version,
            )
        });
        for (author_id, client_id, seq, version) in clocks.chain(logged) {
            doc.check_owner(&author_id, &client_id)
                .map_err(|e| OtError::CorruptState(e.to_string()))?;
            doc.record_clock(author_id, client_id, seq, version);
        }
        doc.log = state.log;
        Ok(doc)
    }

    /// A copy of everything [`NotesDoc::restore`] needs.
    pub fn to_state(&self) -> NotesState {
        NotesState {
            content: self.content.clone(),
            version: self.version,
            log: self.log.clone(),
            clients: self.clients().collect(),
            last_rebased_at: self.last_rebased_at,
            last_author_id: self.last_author_id.clone(),
            updated_at: self.updated_at,
        }
    }

    pub fn content(&self) -> &str {
        &self.content
    }

    /// The content's length in chars (the unit ops count in).
    pub fn char_len(&self) -> usize {
        self.content_chars
    }

    /// How many ops have been committed in the document's life.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn limits(&self) -> NotesLimits {
        self.limits
    }

    /// The oldest version an op may be based on (and a client may catch up
    /// from); anything older needs the snapshot.
    pub fn oldest_base_version(&self) -> u64 {
        self.oldest_base
    }

    /// The retained log tail, oldest first.
    pub fn log(&self) -> &[CommittedOp] {
        &self.log
    }

    /// `now_ms` of the last submit that had to be transformed over
    /// concurrent ops.
    pub fn last_rebased_at(&self) -> Option<u64> {
        self.last_rebased_at
    }

    /// Who made the last committed op.
    pub fn last_author_id(&self) -> Option<&str> {
        self.last_author_id.as_deref()
    }

    /// `now_ms` of the last commit.
    pub fn updated_at(&self) -> Option<u64> {
        self.updated_at
    }

    pub fn clients(&self) -> impl Iterator<Item = ClientClock> + '_ {
        self.clients.iter().map(|(client_id, clock)| ClientClock {
            author_id: clock.author_id.clone(),
            client_id: client_id.clone(),
            last_seq: clock.last_seq,
            last_version: clock.last_version,
        })
    }

    /// The ops a client at `version` is missing, oldest first: what to send
    /// it when it (re)connects.
    pub fn ops_since(&self, version: u64) -> Result<&[CommittedOp], OtError> {
        if version > self.version {
            return Err(OtError::VersionAhead {
                base_version: version,
                version: self.version,
            });
        }
        let too_old = || OtError::VersionTooOld {
            base_version: version,
            oldest_base: self.oldest_base,
        };
        let skip = version.checked_sub(self.oldest_base).ok_or_else(too_old)?;
        let skip = usize::try_from(skip).map_err(|_| too_old())?;
        self.log.get(skip..).ok_or_else(too_old)
    }

    /// Commits `op`, made by `client_id` (of `author_id`) as its op number
    /// `client_seq` against version `base_version`. On error nothing changed.
    pub fn submit(
        &mut self,
        now_ms: u64,
        author_id: &str,
        client_id: &str,
        client_seq: u64,
        base_version: u64,
        op: Op,
    ) -> Result<SubmitOutcome, OtError> {
        self.check_owner(author_id, client_id)?;
        // Dedup comes next: a resend must be acknowledged even if it would
        // now fail a check (its base may have been compacted away since).
        if let Some(version) = self.already_committed(client_id, client_seq) {
            return Ok(SubmitOutcome::Duplicate {
                client_seq,
                version,
            });
        }
        op.check_size(self.limits.max_op_components, self.limits.max_doc_chars)?;
        let concurrent = self.ops_since(base_version)?;
        let op = concurrent.iter().fold(op, |op, committed| {
            transform(&op, &committed.op, Side::Left)
        });
        let new_chars =
            op.target_len(self.content_chars)
                .ok_or_else(|| OtError::BaseLengthMismatch {
                    op_len: op.base_len(),
                    doc_len: self.content_chars,
                })?;
        if new_chars > self.limits.max_doc_chars && new_chars > self.content_chars {
            return Err(OtError::DocTooLarge {
                chars: new_chars,
                max_chars: self.limits.max_doc_chars,
            });
        }
        if op.is_noop() {
            // Checked like any op (its base, its length), then answered
            // without a version: no clock either, so a resend is answered
            // the same way.
            return Ok(SubmitOutcome::Noop {
                client_seq,
                version: self.version,
            });
        }
        let content = apply(&self.content, &op)?;
        let version = self
            .version
            .checked_add(1)
            .ok_or_else(|| OtError::CorruptState("version overflow".into()))?;

        let transformed_over = self.version - base_version;
        self.version = version;
        self.content = content;
        self.content_chars = new_chars;
        self.updated_at = Some(now_ms);
        self.last_author_id = Some(author_id.to_owned());
        if transformed_over > 0 {
            self.last_rebased_at = Some(now_ms);
        }
        self.record_clock(
            author_id.to_owned(),
            client_id.to_owned(),
            client_seq,
            self.version,
        );
        let committed = CommittedOp {
            version: self.version,
            op,
            author_id: author_id.to_owned(),
            client_id: client_id.to_owned(),
            client_seq,
            base_version,
            transformed_over,
            committed_at_ms: now_ms,
        };
        self.log.push(committed.clone());
        Ok(SubmitOutcome::Committed(committed))
    }

    /// Drops log entries up to `keep_after_version` (capped at the current
    /// version) once the caller has materialised the content. Returns how
    /// many were dropped. Clients behind the new oldest base must reload.
    pub fn compact(&mut self, keep_after_version: u64) -> usize {
        let target = keep_after_version.min(self.version);
        if target <= self.oldest_base {
            return 0;
        }
        let drop = usize::try_from(target - self.oldest_base)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        self.log.drain(..drop);
        self.oldest_base = target;
        drop
    }

    fn check_owner(&self, author_id: &str, client_id: &str) -> Result<(), OtError> {
        match self.clients.get(client_id) {
            Some(clock) if clock.author_id != author_id => Err(OtError::ClientIdTaken {
                client_id: client_id.to_owned(),
            }),
            Some(_) | None => Ok(()),
        }
    }

    /// `Some(version)` if this `(client, seq)` was committed; `Some(None)`
    /// if it was but the record is gone; `None` if it is new.
    fn already_committed(&self, client_id: &str, client_seq: u64) -> Option<Option<u64>> {
        let clock = self.clients.get(client_id)?;
        if client_seq > clock.last_seq {
            return None;
        }
        if client_seq == clock.last_seq {
            return Some(Some(clock.last_version));
        }
        let found = self
            .log
            .iter()
            .rev()
            .find(|c| c.client_seq == client_seq && c.client_id == client_id);
        Some(found.map(|c| c.version))
    }

    fn record_clock(&mut self, author_id: String, client_id: String, seq: u64, version: u64) {
        let clock = self.clients.entry(client_id).or_insert(Clock {
            author_id,
            last_seq: seq,
            last_version: version,
        });
        if seq >= clock.last_seq {
            clock.last_seq = seq;
            clock.last_version = version;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed(outcome: SubmitOutcome) -> CommittedOp {
        match outcome {
            SubmitOutcome::Committed(op) => op,
            other => panic!("expected a commit, got {other:?}"),
        }
    }

    #[test]
    fn commits_in_sequence_and_transforms_concurrent_ops() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        let first = committed(
            doc.submit(10, "u1", "c1", 1, 0, Op::insert_at(0, "hello"))
                .unwrap(),
        );
        assert_eq!(first.version, 1);
        assert_eq!(first.transformed_over, 0);
        assert_eq!(doc.last_rebased_at(), None);

        // Both made against version 1.
        doc.submit(20, "u1", "c1", 2, 1, Op::insert_at(5, "!"))
            .unwrap();
        let second = committed(
            doc.submit(30, "u2", "c2", 1, 1, Op::insert_at(0, "😀 "))
                .unwrap(),
        );
        assert_eq!(second.version, 3);
        assert_eq!(second.base_version, 1);
        assert_eq!(second.transformed_over, 1);
        assert_eq!(second.author_id, "u2");
        assert_eq!(second.committed_at_ms, 30);
        assert_eq!(doc.content(), "😀 hello!");
        assert_eq!(doc.char_len(), 8);
        assert_eq!(doc.version(), 3);
        assert_eq!(doc.last_rebased_at(), Some(30));
        assert_eq!(doc.updated_at(), Some(30));
    }

    #[test]
    fn same_position_ties_go_to_the_incoming_op() {
        // The server transforms incoming ops with `Left`: a later insert at
        // the same position lands before the earlier one.
        let mut doc = NotesDoc::from_snapshot("ab".into(), 0, NotesLimits::default());
        doc.submit(1, "u1", "c1", 1, 0, Op::insert_at(1, "X"))
            .unwrap();
        doc.submit(2, "u2", "c2", 1, 0, Op::insert_at(1, "Y"))
            .unwrap();
        assert_eq!(doc.content(), "aYXb");
    }

    #[test]
    fn resubmissions_are_acked_with_the_original_version_and_never_applied_twice() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        doc.submit(1, "u1", "c1", 1, 0, Op::insert_at(0, "a"))
            .unwrap();
        doc.submit(2, "u2", "c2", 1, 1, Op::insert_at(0, "b"))
            .unwrap();
        let again = doc
            .submit(3, "u1", "c1", 1, 0, Op::insert_at(0, "a"))
            .unwrap();
        assert_eq!(
            again,
            SubmitOutcome::Duplicate {
                client_seq: 1,
                version: Some(1)
            }
        );
        assert_eq!(doc.content(), "ba");
        assert_eq!(doc.version(), 2);

        doc.submit(4, "u1", "c1", 2, 2, Op::insert_at(2, "c"))
            .unwrap();
        let older = doc.submit(5, "u1", "c1", 1, 2, Op::noop()).unwrap();
        assert_eq!(older.ack_version(), Some(1));
        doc.compact(3);
        let older = doc.submit(6, "u1", "c1", 1, 2, Op::noop()).unwrap();
        assert_eq!(older.ack_version(), None);
        let latest = doc.submit(6, "u1", "c1", 2, 0, Op::noop()).unwrap();
        assert_eq!(latest.ack_version(), Some(3));
        assert_eq!(doc.content(), "bac");
    }

    #[test]
    fn a_client_id_belongs_to_the_first_author_that_used_it() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        doc.submit(1, "alice", "c1", 1, 0, Op::insert_at(0, "a"))
            .unwrap();
        // Mallory saw "c1" in a broadcast and tries to fake alice's next ack
        // (or to get her seq 2 dropped as a duplicate).
        let err = doc
            .submit(2, "mallory", "c1", 2, 1, Op::insert_at(0, "m"))
            .unwrap_err();
        assert_eq!(
            err,
            OtError::ClientIdTaken {
                client_id: "c1".into()
            }
        );
        assert_eq!(err.code(), "OT_CLIENT_ID_TAKEN");
        let outcome = doc
            .submit(3, "alice", "c1", 2, 1, Op::insert_at(1, "b"))
            .unwrap();
        assert!(matches!(outcome, SubmitOutcome::Committed(_)));
        assert_eq!(doc.content(), "ab");

        let mut state = doc.to_state();
        state.clients[0].author_id = "mallory".into();
        assert_eq!(
            NotesDoc::restore(state, NotesLimits::default())
                .unwrap_err()
                .code(),
            "OT_CORRUPT_STATE"
        );
    }

    #[test]
    fn version_errors() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        for seq in 1..=4 {
            doc.submit(seq, "u", "c", seq, seq - 1, Op::insert_at(0, "x"))
                .unwrap();
        }
        let ahead = doc
            .submit(9, "u", "c", 5, 5, Op::insert_at(0, "y"))
            .unwrap_err();
        assert_eq!(
            ahead,
            OtError::VersionAhead {
                base_version: 5,
                version: 4
            }
        );
        assert_eq!(doc.compact(2), 2);
        assert_eq!(doc.oldest_base_version(), 2);
        let old = doc
            .submit(9, "u", "c", 5, 1, Op::insert_at(0, "y"))
            .unwrap_err();
        assert_eq!(old.code(), "OT_VERSION_TOO_OLD");
        assert!(old.needs_snapshot());
        assert_eq!(doc.ops_since(1).unwrap_err().code(), "OT_VERSION_TOO_OLD");
        assert_eq!(doc.ops_since(2).unwrap().len(), 2);
        assert_eq!(doc.ops_since(4).unwrap().len(), 0);
        assert_eq!(doc.ops_since(5).unwrap_err().code(), "OT_VERSION_AHEAD");
        assert_eq!(doc.version(), 4);
        assert_eq!(doc.content(), "xxxx");
        // Compacting is idempotent and capped at the current version.
        assert_eq!(doc.compact(1), 0);
        assert_eq!(doc.compact(99), 2);
        assert_eq!(doc.oldest_base_version(), 4);
        assert!(doc.log().is_empty());
        doc.submit(10, "u", "c", 5, 4, Op::insert_at(0, "y"))
            .unwrap();
        assert_eq!(doc.content(), "yxxxx");
    }

    #[test]
    fn size_cap_refuses_growth_and_changes_nothing() {
        let limits = NotesLimits {
            max_doc_chars: 5,
            max_op_components: 3,
        };
        let mut doc = NotesDoc::new(limits);
        doc.submit(1, "u", "c", 1, 0, Op::insert_at(0, "😀😀😀😀"))
            .unwrap();
        let err = doc
            .submit(2, "u", "c", 2, 1, Op::insert_at(0, "ab"))
            .unwrap_err();
        assert_eq!(
            err,
            OtError::DocTooLarge {
                chars: 6,
                max_chars: 5
            }
        );
        assert_eq!(err.code(), "OT_DOC_TOO_LARGE");
        let too_long = doc
            .submit(2, "u", "c", 2, 1, Op::insert_at(0, "abcdef"))
            .unwrap_err();
        assert_eq!(too_long.code(), "OT_OP_TOO_LONG");
        let many = Op::builder()
            .insert("a")
            .retain(1)
            .delete(1)
            .retain(1)
            .insert("b")
            .build();
        assert_eq!(
            doc.submit(2, "u", "c", 2, 1, many).unwrap_err().code(),
            "OT_OP_TOO_LONG"
        );
        assert_eq!(doc.content(), "😀😀😀😀");
        assert_eq!(doc.version(), 1);
        // The refused seq was not recorded: the same seq may carry a smaller op.
        doc.submit(3, "u", "c", 2, 1, Op::insert_at(0, "a"))
            .unwrap();
        assert_eq!(doc.content(), "a😀😀😀😀");
    }

    #[test]
    fn an_oversized_document_can_still_shrink() {
        let limits = NotesLimits {
            max_doc_chars: 3,
            max_op_components: 10,
        };
        let mut doc = NotesDoc::from_snapshot("abcdef".into(), 7, limits);
        let swap = Op::builder().delete(1).insert("z").build();
        doc.submit(1, "u", "c", 1, 7, swap).unwrap();
        doc.submit(2, "u", "c", 2, 8, Op::delete_at(0, 4)).unwrap();
        assert_eq!(doc.content(), "ef");
    }

    #[test]
    fn ops_that_do_not_fit_are_refused() {
        let mut doc = NotesDoc::from_snapshot("abc".into(), 0, NotesLimits::default());
        let err = doc
            .submit(1, "u", "c", 1, 0, Op::delete_at(2, 2))
            .unwrap_err();
        assert_eq!(
            err,
            OtError::BaseLengthMismatch {
                op_len: 4,
                doc_len: 3
            }
        );
        assert_eq!(doc.version(), 0);
    }

    #[test]
    fn restores_from_persisted_state() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        for seq in 1..=5 {
            doc.submit(seq * 10, "u", "c", seq, seq - 1, Op::insert_at(0, "ab"))
                .unwrap();
        }
        doc.submit(60, "v", "d", 1, 3, Op::insert_at(0, "😀"))
            .unwrap();
        doc.compact(4);
        let json = serde_json::to_string(&doc.to_state()).unwrap();
        let state: NotesState = serde_json::from_str(&json).unwrap();
        let mut restored = NotesDoc::restore(state, NotesLimits::default()).unwrap();
        assert_eq!(restored.content(), doc.content());
        assert_eq!(restored.char_len(), doc.char_len());
        assert_eq!(restored.version(), 6);
        assert_eq!(restored.oldest_base_version(), 4);
        assert_eq!(restored.last_rebased_at(), Some(60));
        assert_eq!(restored.last_author_id(), Some("v"));
        assert_eq!(restored.clients().count(), 2);
        let dup = restored.submit(70, "u", "c", 5, 4, Op::noop()).unwrap();
        assert_eq!(dup.ack_version(), Some(5));

        let mut broken = doc.to_state();
        broken.version = 9;
        assert_eq!(
            NotesDoc::restore(broken, NotesLimits::default())
                .unwrap_err()
                .code(),
            "OT_CORRUPT_STATE"
        );
        let mut short = doc.to_state();
        short.version = 1;
        assert!(NotesDoc::restore(short, NotesLimits::default()).is_err());
    }

    #[test]
    fn committed_ops_use_camel_case_on_the_wire() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        let op = committed(
            doc.submit(5, "u", "c", 1, 0, Op::insert_at(0, "hi"))
                .unwrap(),
        );
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "version": 1, "op": ["hi"], "authorId": "u", "clientId": "c",
                "clientSeq": 1, "baseVersion": 0, "transformedOver": 0, "committedAtMs": 5
            })
        );
    }

    #[test]
    fn an_op_that_changes_nothing_gets_the_current_version_and_no_commit() {
        let mut doc = NotesDoc::new(NotesLimits::default());
        committed(
            doc.submit(1, "u", "c", 1, 0, Op::insert_at(0, "abc"))
                .unwrap(),
        );
        for (seq, op) in [(2, Op::noop()), (3, Op::builder().retain(3).build())] {
            assert_eq!(
                doc.submit(2, "u", "c", seq, 1, op).unwrap(),
                SubmitOutcome::Noop {
                    client_seq: seq,
                    version: 1
                }
            );
        }
        // Transformed to nothing: a delete of text someone deleted first.
        committed(doc.submit(3, "v", "d", 1, 1, Op::delete_at(0, 1)).unwrap());
        assert_eq!(
            doc.submit(4, "u", "c", 4, 1, Op::delete_at(0, 1)).unwrap(),
            SubmitOutcome::Noop {
                client_seq: 4,
                version: 2
            }
        );
        assert_eq!(
            (doc.version(), doc.content(), doc.log().len()),
            (2, "bc", 2)
        );
        assert_eq!(doc.updated_at(), Some(3));
        // Checked like any op: a base ahead of the document is refused.
        assert_eq!(
            doc.submit(5, "u", "c", 5, 9, Op::noop())
                .unwrap_err()
                .code(),
            "OT_VERSION_AHEAD"
        );
        // No clock was moved: the next real op of the client commits.
        assert_eq!(
            committed(
                doc.submit(6, "u", "c", 6, 2, Op::insert_at(0, "x"))
                    .unwrap()
            )
            .version,
            3
        );
    }
}
