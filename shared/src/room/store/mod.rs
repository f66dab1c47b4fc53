//! The room's storage contract: a **synchronous** trait, because a Durable
//! Object's SQLite API is synchronous, and synchronous writes made without
//! an `await` in between commit together (the object's implicit
//! transaction) before any output leaves the object (its output gate). So
//! the room can persist a commit and only then queue the ack and the
//! broadcast, without ever awaiting.
//!
//! Two implementations share one behaviour suite
//! (`shared/tests/room_store_contract.rs`): [`MemoryStore`] for tests, and
//! [`SqlRoomStore`] over anything that runs SQL ([`SqlExec`]), which the
//! Durable Object shell implements over `ctx.storage.sql`.
//!
//! # Rules every implementation keeps
//!
//! - Appends are sequenced: transcript and chat seqs and note versions must
//!   be exactly `head + 1`, anything else is [`StoreError::Conflict`] and
//!   writes nothing. Heads are derived from the rows, never stored apart.
//! - Each method is atomic: it writes everything or nothing.
//! - Reads are bounded by a `limit` and return rows in sequence order.
//! - Integers are at most 2^53 − 1 (SQLite in D1 and Durable Objects is
//!   read through JavaScript numbers); larger values are
//!   [`StoreError::OutOfRange`].

mod memory;
pub mod queries;
mod schema;
mod sql;
mod sql_codec;

pub use memory::MemoryStore;
pub use schema::{ROOM_SCHEMA, ROOM_SCHEMA_VERSION};
pub use sql::{SqlExec, SqlRoomStore};
pub use sql_codec::{Row, SqlValue};

use serde::{Deserialize, Serialize};

use crate::ot::{ClientClock, CommittedOp};

use super::chat::ChatMessage;
use super::meta::RoomMeta;
use super::prompts::{PromptEvent, RoomIntel};
use super::transcript::TranscriptChunk;

/// Why storage failed. The room never half-applies a change on error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed (the message is the driver's).
    #[error("sql: {0}")]
    Sql(String),
    /// An append out of sequence, or a duplicate key.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data that does not decode or does not hang together.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// An integer past 2^53 − 1, which SQLite-through-JavaScript cannot hold exactly.
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Sql(_) => "STORE_SQL",
            StoreError::Conflict(_) => "STORE_CONFLICT",
            StoreError::Corrupt(_) => "STORE_CORRUPT",
            StoreError::OutOfRange(_) => "STORE_OUT_OF_RANGE",
        }
    }
}

/// The materialised notes document at some version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotesSnapshot {
    pub content: String,
    pub version: u64,
    pub last_rebased_at: Option<u64>,
    pub last_author_id: Option<String>,
    pub updated_at: Option<u64>,
}

/// What the store holds about the notes, apart from the op rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotesHead {
    /// The newest stored snapshot (version 0 and empty when none).
    pub snapshot: NotesSnapshot,
    /// The version just before the oldest retained op: ops at or below it
    /// were compacted away. Never above `snapshot.version`.
    pub log_base: u64,
    /// The newest version: the last op's, or the snapshot's when no op is newer.
    pub version: u64,
    /// Every client's dedup clock.
    pub clients: Vec<ClientClock>,
}

/// Synchronous storage for one meeting room. Reads take `&self`, writes
/// `&mut self`; see the module docs for the rules.
pub trait RoomStore {
    // --- meta -----------------------------------------------------------
    fn load_meta(&self) -> Result<Option<RoomMeta>, StoreError>;
    fn save_meta(&mut self, meta: &RoomMeta) -> Result<(), StoreError>;

    // --- notes ----------------------------------------------------------
    fn notes_head(&self) -> Result<NotesHead, StoreError>;
    /// Appends a committed op (version = head + 1) and moves its client's
    /// clock, in one step.
    fn append_note_op(&mut self, op: &CommittedOp) -> Result<(), StoreError>;
    /// Ops with versions above `version`, oldest first, at most `limit`.
    fn note_ops_since(&self, version: u64, limit: usize) -> Result<Vec<CommittedOp>, StoreError>;
    /// Replaces the snapshot if `snapshot.version` is newer (an older one is
    /// ignored) and not above the head.
    fn save_notes_snapshot(&mut self, snapshot: &NotesSnapshot) -> Result<(), StoreError>;
    /// Drops ops at or below `min(up_to_version, snapshot version)` and
    /// returns how many went. The log base rises accordingly.
    fn compact_note_ops(&mut self, up_to_version: u64) -> Result<usize, StoreError>;

    // --- transcript -----------------------------------------------------
    fn transcript_head(&self) -> Result<u64, StoreError>;
    fn append_transcript(&mut self, chunk: &TranscriptChunk) -> Result<(), StoreError>;
    fn transcript_after(&self, seq: u64, limit: usize) -> Result<Vec<TranscriptChunk>, StoreError>;
    /// Chunks starting in `[from_ms, to_ms)`, by start time then seq.
    fn transcript_by_time(
        &self,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
    ) -> Result<Vec<TranscriptChunk>, StoreError>;

    // --- chat -----------------------------------------------------------
    fn chat_head(&self) -> Result<u64, StoreError>;
    /// Appends a message (seq = head + 1; `(user_id, client_ref)` unused).
    fn append_chat(&mut self, message: &ChatMessage) -> Result<(), StoreError>;
    fn chat_after(&self, seq: u64, limit: usize) -> Result<Vec<ChatMessage>, StoreError>;
    fn chat_by_client_ref(
        &self,
        user_id: &str,
        client_ref: &str,
    ) -> Result<Option<ChatMessage>, StoreError>;

    // --- ticket nonces --------------------------------------------------
    /// Records a ticket nonce until `expires_at_ms`. `Ok(false)` when it is
    /// already recorded (a replay).
    fn nonce_insert(&mut self, nonce: &[u8; 16], expires_at_ms: u64) -> Result<bool, StoreError>;
    /// Forgets nonces that expired at or before `now_ms`; returns how many.
    fn nonce_prune(&mut self, now_ms: u64) -> Result<usize, StoreError>;
    fn nonce_next_expiry(&self) -> Result<Option<u64>, StoreError>;

    // --- in-call prompts ------------------------------------------------
    fn prompt_head(&self) -> Result<u64, StoreError>;
    /// Appends an item of the prompts stream (seq = head + 1).
    fn append_prompt_event(&mut self, event: &PromptEvent) -> Result<(), StoreError>;
    fn prompt_events_after(&self, seq: u64, limit: usize) -> Result<Vec<PromptEvent>, StoreError>;
    /// The detectors, reactions and flag (`None` until first saved).
    fn load_intel(&self) -> Result<Option<RoomIntel>, StoreError>;
    fn save_intel(&mut self, intel: &RoomIntel) -> Result<(), StoreError>;
}
