//! The Connvo room's WebSocket protocol (`docs/protocol.md`, being written
//! on branch `room` with the room state machine in `shared/src/room/`):
//! the hello and catch-up, notes submissions, acks, committed ops and
//! refusals, and transcript chunks with their per-stream sequence numbers,
//! in the generator's terms ([`Inbound`](crate::wire::Inbound)).
//!
//! Until the protocol is published this module only reports that it is
//! missing; [`check_ready`] stops the run before anything connects.

use super::setup::Person;
use crate::wire::Joined;

const NOT_READY: &str =
    "the Connvo room protocol client (bench/src/connvo/wire.rs) is not written yet: \
     docs/protocol.md has not landed on this branch. \
     Run `./scripts/bench --target sharedb` for the ShareDB side alone.";

/// Fails while this module does not speak the room protocol yet.
pub fn check_ready() -> Result<(), String> {
    Err(NOT_READY.into())
}

/// Opens one participant's room socket and completes the hello.
pub async fn join(_url: &str, _meeting_id: &str, _person: &Person) -> Result<Joined, String> {
    Err(NOT_READY.into())
}
