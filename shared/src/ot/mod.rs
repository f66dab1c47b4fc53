//! Collaborative notes: operational transform over plain text, in the
//! ShareDB / `ot-text-unicode` model, plus the server document and the client
//! state machine that speak it.
//!
//! - [`Op`] is a walk over the text: `Retain(n)`, `Insert(text)`, `Delete(n)`.
//!   Its JSON wire form is `ot-text-unicode`'s: `[3, "hi", {"d": 2}]`.
//!   Positions and lengths count Unicode scalar values (Rust `char`s, JS
//!   code points), never bytes or UTF-16 units, so emoji and other non-BMP
//!   text can never be split mid-character.
//! - [`apply`], [`transform`] (with a [`Side`] for tie-breaks), [`compose`]
//!   and [`transform_position`] behave as the npm library does.
//! - [`NotesDoc`] is the authority: it commits submitted ops in sequence.
//! - [`NotesClient`] is one participant: optimistic local edits, one op in
//!   flight, the rest composed into a pending op.
//!
//! # Protocol
//!
//! The shell (the Durable Object and the browser) moves these messages; the
//! core only says what to send.
//!
//! 1. On (re)connect the client sends the version from
//!    [`NotesClient::connect`]. The server answers with
//!    [`NotesDoc::ops_since`] that version, in order, or with a snapshot when
//!    that fails with `OT_VERSION_TOO_OLD` (the client then calls
//!    [`NotesClient::reset`]). Until it has handled that hello, the server
//!    sends the connection nothing else, not even live broadcasts: a live
//!    op sent ahead of the catch-up would reach the client before the ops
//!    it follows.
//! 2. The client sends whatever [`NotesClient::poll_submit`] yields: an
//!    [`OpSubmission`], at most one unacknowledged at a time. After a
//!    reconnect that is the same op with the same `client_seq`.
//! 3. The server calls [`NotesDoc::submit`] with the connection's
//!    authenticated user as author. A new op is committed and persisted;
//!    then the sender gets an ack (`client_seq`, `version`) and every other
//!    connection gets the [`CommittedOp`]. A duplicate is acked again with its original
//!    version and applied nowhere. A refused op gets its error code, its
//!    `client_seq` and a snapshot of the document: the client's document
//!    already shows the refused edit, so [`NotesClient::handle_reject`]
//!    rolls back to the snapshot (and ignores refusals of ops it already
//!    dropped).
//! 4. The client feeds acks to [`NotesClient::handle_ack`] and ops to
//!    [`NotesClient::handle_op`], in the order they were sent. Its own op
//!    coming back during catch-up counts as the ack.
//!
//! Each connection delivers in order; that is the only ordering the protocol
//! relies on. `shared/tests/ot_simulation.rs` drives many clients through
//! lossy reconnects, delayed and duplicated submissions, and checks that
//! everyone ends with the server's text.

mod apply;
mod chars;
mod client;
mod compose;
mod document;
mod error;
pub mod gen;
mod op;
mod take;
mod transform;
mod wire;

pub use apply::apply;
pub use client::{NotesClient, OpSubmission};
pub use compose::compose;
pub use document::{ClientClock, CommittedOp, NotesDoc, NotesLimits, NotesState, SubmitOutcome};
pub use error::OtError;
pub use op::{Component, Op, OpBuilder, OpKind};
pub use transform::{transform, transform_position, Side};
