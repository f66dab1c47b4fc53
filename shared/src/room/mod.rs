//! The meeting room's core ([`RoomCore`]): everything one meeting's Durable Object does,
//! without the Durable Object. Pure and deterministic in the quinn-proto
//! shape — time comes in as `now_ms`, nothing here reads a clock or a random
//! source — with synchronous storage behind [`RoomStore`].
//!
//! # Using it (the shell's loop)
//!
//! 1. Build the store (`SqlRoomStore::open(exec)`) and the room
//!    ([`RoomCore::load`]); after hibernation, call
//!    [`RoomCore::restore_session`] for every socket with its attachment.
//! 2. Feed it inputs: [`RoomCore::handle_upgrade`] (a forwarded upgrade,
//!    decoded by [`Upgrade::from_headers`]), [`RoomCore::handle_frame`],
//!    [`RoomCore::handle_disconnect`], [`RoomCore::handle_timeout`],
//!    [`RoomCore::handle_notice`] (the worker's internal notices, decoded
//!    by [`Notice::decode`]), and [`RoomCore::flush_done`] /
//!    [`RoomCore::flush_failed`] once a flush was written.
//! 3. After each input, [`RoomCore::drain`] (`drain.rs`) carries out the
//!    outputs on the shell's [`Sockets`] and returns the flushes and audit
//!    rows to write and the next deadline ([`Drained::wake`]: wait in
//!    memory, or set an alarm). The native tests and simulations drive
//!    the same loop.
//! 4. Last in every runtime event, [`RoomCore::checkpoint_sessions`] and
//!    a drain: the attachments that changed are saved (R28,
//!    `attachment.rs`). The object can hibernate only between events.
//!
//! The protocol it speaks is specified in `docs/protocol.md`.
//!
//! # Guarantees
//!
//! - A write is stored before anything about it is sent (acks, broadcasts).
//! - Each connection gets every item of each sequenced stream it follows
//!   exactly once and in order, across reconnects (resume cursors) and
//!   hibernation (cursors in the attachment, R28), or an explicit `resync` /
//!   snapshot / `truncated` marker instead.
//! - Nothing is sent to a connection before its hello is handled.
//! - Bad input from one connection is answered to that connection only,
//!   and never panics.

mod attachment;
mod chat;
mod close;
mod coalesce;
mod config;
mod core;
mod delivery;
mod drain;
mod error;
mod fanout;
mod flush_batch;
mod flush_schedule;
mod frames;
mod identity;
mod load;
mod meta;
mod notes_flow;
mod notice;
mod observed;
mod output;
mod presence;
mod prompts;
pub mod protocol;
mod recent;
mod server_commands;
mod session;
pub mod store;
mod stream;
mod transcript;
mod upgrade;

pub use chat::{ChatInput, ChatMessage, CheckedChat, MAX_CLIENT_REF_LEN};
pub use close::{CloseCode, CloseReason};
pub use config::{RoomConfig, INCALL_VARS};
pub use core::{Frame, RoomCore};
pub use drain::{Drained, Sockets, Wake, INLINE_WAIT_MS, MAX_INLINE_WAITS};
pub use error::RoomError;
pub use flush_batch::{ActivityRow, FlushBatch, PromptReactionRow};
pub use identity::{ClientInfo, SessionId, SessionIdentity};
pub use load::ShedCounters;
pub use meta::{CallPresence, FlushWatermarks, RoomMeta, OTHER_SPEAKERS};
pub use notice::{notice_meeting_id, Notice, NoticeReply};
pub use observed::{Observed, RoomMetrics};
pub use output::Output;
pub use presence::UserPresence;
pub use prompts::{
    KnownPrompt, LivePrompt, PromptEvent, PromptEventBody, PromptReaction, RoomIntel,
    MAX_PROMPTS_PER_MEETING,
};
pub use session::{LiveState, Phase, SessionState, Sub, SESSION_STATE_VERSION};
pub use store::{
    MemoryStore, NotesHead, NotesSnapshot, RoomStore, Row, SqlExec, SqlRoomStore, SqlValue,
    StoreError,
};
pub use stream::{Stream, StreamSet};
pub use transcript::{bucket_of, CheckedChunk, TranscriptChunk, TranscriptInput, TranscriptSource};
pub use upgrade::Upgrade;

/// The largest integer JavaScript numbers (and so D1 and Durable Object
/// SQLite, read through them) hold exactly: 2^53 − 1. Every seq, version and
/// time the room stores or accepts stays at or below it.
pub const MAX_SAFE_INT: u64 = 9_007_199_254_740_991;
