//! [`RoomStore`] in memory: the reference implementation the contract
//! suite holds the SQL store to, and the store of the room's own tests. It
//! keeps the same rules as SQLite would (sequencing, range checks), and it
//! can be told to fail writes, to exercise the room's failure paths.

use std::collections::BTreeMap;

use crate::ot::{ClientClock, CommittedOp};
use crate::room::chat::ChatMessage;
use crate::room::meta::RoomMeta;
use crate::room::prompts::{PromptEvent, RoomIntel};
use crate::room::transcript::TranscriptChunk;
use crate::room::MAX_SAFE_INT;

use super::{NotesHead, NotesSnapshot, RoomStore, StoreError};

#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    meta: Option<RoomMeta>,
    snapshot: Option<NotesSnapshot>,
    log_base: u64,
    ops: Vec<CommittedOp>,
    clients: BTreeMap<String, ClientClock>,
    transcript: Vec<TranscriptChunk>,
    chat: Vec<ChatMessage>,
    chat_refs: BTreeMap<(String, String), u64>,
    nonces: BTreeMap<[u8; 16], u64>,
    prompts: Vec<PromptEvent>,
    intel: Option<RoomIntel>,
    fail_writes: bool,
}

fn check(value: u64, what: &'static str) -> Result<(), StoreError> {
    if value > MAX_SAFE_INT {
        Err(StoreError::OutOfRange(what))
    } else {
        Ok(())
    }
}

fn out_of_sequence(what: &str) -> StoreError {
    StoreError::Conflict(format!(
        "{what} is not the next in sequence, or a duplicate"
    ))
}

fn take_limit<T: Clone>(items: impl Iterator<Item = T>, limit: usize) -> Vec<T> {
    items.take(limit).collect()
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// While on, every write fails with [`StoreError::Sql`] and changes nothing.
    pub fn set_fail_writes(&mut self, fail: bool) {
        self.fail_writes = fail;
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.fail_writes {
            Err(StoreError::Sql("injected write failure".into()))
        } else {
            Ok(())
        }
    }

    fn notes_version(&self) -> u64 {
        let ops = self.ops.last().map_or(0, |op| op.version);
        ops.max(self.snapshot.as_ref().map_or(0, |s| s.version))
    }
}

impl RoomStore for MemoryStore {
    fn load_meta(&self) -> Result<Option<RoomMeta>, StoreError> {
        Ok(self.meta.clone())
    }

    fn save_meta(&mut self, meta: &RoomMeta) -> Result<(), StoreError> {
        self.writable()?;
        for (value, what) in [
            (meta.activity_rev, "activity_rev"),
            (meta.flushed.transcript_seq, "flushed_transcript_seq"),
            (meta.flushed.notes_version, "flushed_notes_version"),
            (meta.flushed.chat_seq, "flushed_chat_seq"),
            (meta.flushed.activity_rev, "flushed_activity_rev"),
            (meta.started_at_ms.unwrap_or(0), "started_at"),
            (meta.ended_at_ms.unwrap_or(0), "ended_at"),
            (meta.last_activity_ms.unwrap_or(0), "last_activity_at"),
        ] {
            check(value, what)?;
        }
        if meta.speaking_ms.values().any(|ms| *ms > MAX_SAFE_INT) {
            return Err(StoreError::OutOfRange("speaking_ms"));
        }
        if meta.call_presence.values().any(|c| c.at_ms > MAX_SAFE_INT) {
            return Err(StoreError::OutOfRange("call_presence"));
        }
        self.meta = Some(meta.clone());
        Ok(())
    }

    fn notes_head(&self) -> Result<NotesHead, StoreError> {
        Ok(NotesHead {
            snapshot: self.snapshot.clone().unwrap_or_default(),
            log_base: self.log_base,
            version: self.notes_version(),
            clients: self.clients.values().cloned().collect(),
        })
    }

    fn append_note_op(&mut self, op: &CommittedOp) -> Result<(), StoreError> {
        self.writable()?;
        for (value, what) in [
            (op.version, "version"),
            (op.base_version, "base_version"),
            (op.client_seq, "client_seq"),
            (op.transformed_over, "transformed_over"),
            (op.committed_at_ms, "committed_at"),
        ] {
            check(value, what)?;
        }
        if Some(op.version) != self.notes_version().checked_add(1) {
            return Err(out_of_sequence("note op"));
        }
        self.ops.push(op.clone());
        let clock = self
            .clients
            .entry(op.client_id.clone())
            .or_insert_with(|| ClientClock {
                author_id: op.author_id.clone(),
                client_id: op.client_id.clone(),
                last_seq: op.client_seq,
                last_version: op.version,
            });
        if op.client_seq >= clock.last_seq {
            clock.last_seq = op.client_seq;
            clock.last_version = op.version;
        }
        Ok(())
    }

    fn note_ops_since(&self, version: u64, limit: usize) -> Result<Vec<CommittedOp>, StoreError> {
        check(version, "version")?;
        let start = self.ops.partition_point(|op| op.version <= version);
        Ok(take_limit(self.ops.iter().skip(start).cloned(), limit))
    }

    fn save_notes_snapshot(&mut self, snapshot: &NotesSnapshot) -> Result<(), StoreError> {
        self.writable()?;
        check(snapshot.version, "version")?;
        if snapshot.version > self.notes_version() {
            return Err(StoreError::Conflict(format!(
                "snapshot version {} is ahead of the log",
                snapshot.version
            )));
        }
        let newer = self
            .snapshot
            .as_ref()
            .is_none_or(|current| snapshot.version > current.version);
        if newer {
            self.snapshot = Some(snapshot.clone());
        }
        Ok(())
    }

    fn compact_note_ops(&mut self, up_to_version: u64) -> Result<usize, StoreError> {
        self.writable()?;
        let Some(snapshot) = &self.snapshot else {
            return Ok(0);
        };
        let target = up_to_version.min(snapshot.version);
        if target <= self.log_base {
            return Ok(0);
        }
        let drop = self.ops.partition_point(|op| op.version <= target);
        self.ops.drain(..drop);
        self.log_base = target;
        Ok(drop)
    }

    fn transcript_head(&self) -> Result<u64, StoreError> {
        Ok(self.transcript.last().map_or(0, |c| c.seq))
    }

    fn append_transcript(&mut self, chunk: &TranscriptChunk) -> Result<(), StoreError> {
        self.writable()?;
        for (value, what) in [
            (chunk.seq, "seq"),
            (chunk.start_ms, "start_ms"),
            (chunk.end_ms, "end_ms"),
            (chunk.created_at_ms, "created_at"),
        ] {
            check(value, what)?;
        }
        if Some(chunk.seq) != self.transcript_head()?.checked_add(1) {
            return Err(out_of_sequence("transcript chunk"));
        }
        self.transcript.push(chunk.clone());
        Ok(())
    }

    fn transcript_after(&self, seq: u64, limit: usize) -> Result<Vec<TranscriptChunk>, StoreError> {
        check(seq, "seq")?;
        let start = self.transcript.partition_point(|c| c.seq <= seq);
        Ok(take_limit(
            self.transcript.iter().skip(start).cloned(),
            limit,
        ))
    }

    fn transcript_by_time(
        &self,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
    ) -> Result<Vec<TranscriptChunk>, StoreError> {
        check(from_ms, "from_ms")?;
        check(to_ms, "to_ms")?;
        let mut hits: Vec<&TranscriptChunk> = self
            .transcript
            .iter()
            .filter(|c| c.start_ms >= from_ms && c.start_ms < to_ms)
            .collect();
        hits.sort_by_key(|c| (c.start_ms, c.seq));
        Ok(take_limit(hits.into_iter().cloned(), limit))
    }

    fn chat_head(&self) -> Result<u64, StoreError> {
        Ok(self.chat.last().map_or(0, |m| m.seq))
    }

    fn append_chat(&mut self, message: &ChatMessage) -> Result<(), StoreError> {
        self.writable()?;
        check(message.seq, "seq")?;
        check(message.created_at_ms, "created_at")?;
        let key = (message.user_id.clone(), message.client_ref.clone());
        if Some(message.seq) != self.chat_head()?.checked_add(1)
            || self.chat_refs.contains_key(&key)
        {
            return Err(out_of_sequence("chat message"));
        }
        self.chat_refs.insert(key, message.seq);
        self.chat.push(message.clone());
        Ok(())
    }

    fn chat_after(&self, seq: u64, limit: usize) -> Result<Vec<ChatMessage>, StoreError> {
        check(seq, "seq")?;
        let start = self.chat.partition_point(|m| m.seq <= seq);
        Ok(take_limit(self.chat.iter().skip(start).cloned(), limit))
    }

    fn chat_by_client_ref(
        &self,
        user_id: &str,
        client_ref: &str,
    ) -> Result<Option<ChatMessage>, StoreError> {
        let Some(seq) = self
            .chat_refs
            .get(&(user_id.to_owned(), client_ref.to_owned()))
        else {
            return Ok(None);
        };
        let at = self.chat.partition_point(|m| m.seq < *seq);
        Ok(self.chat.get(at).filter(|m| m.seq == *seq).cloned())
    }

    fn nonce_insert(&mut self, nonce: &[u8; 16], expires_at_ms: u64) -> Result<bool, StoreError> {
        self.writable()?;
        check(expires_at_ms, "expires_at")?;
        if self.nonces.contains_key(nonce) {
            return Ok(false);
        }
        self.nonces.insert(*nonce, expires_at_ms);
        Ok(true)
    }

    fn nonce_prune(&mut self, now_ms: u64) -> Result<usize, StoreError> {
        self.writable()?;
        check(now_ms, "now_ms")?;
        let before = self.nonces.len();
        self.nonces.retain(|_, exp| *exp > now_ms);
        Ok(before - self.nonces.len())
    }

    fn nonce_next_expiry(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.nonces.values().min().copied())
    }

    fn prompt_head(&self) -> Result<u64, StoreError> {
        Ok(self.prompts.last().map_or(0, |e| e.seq))
    }

    fn append_prompt_event(&mut self, event: &PromptEvent) -> Result<(), StoreError> {
        self.writable()?;
        check(event.seq, "seq")?;
        check(event.at_ms, "at_ms")?;
        if event.seq != self.prompt_head()? + 1 {
            return Err(out_of_sequence("prompt event"));
        }
        self.prompts.push(event.clone());
        Ok(())
    }

    fn prompt_events_after(&self, seq: u64, limit: usize) -> Result<Vec<PromptEvent>, StoreError> {
        Ok(take_limit(
            self.prompts.iter().filter(|e| e.seq > seq).cloned(),
            limit,
        ))
    }

    fn load_intel(&self) -> Result<Option<RoomIntel>, StoreError> {
        Ok(self.intel.clone())
    }

    fn save_intel(&mut self, intel: &RoomIntel) -> Result<(), StoreError> {
        self.writable()?;
        self.intel = Some(intel.clone());
        Ok(())
    }
}
