//! Recordings and transcript files, the pure parts (issue 14,
//! `docs/recordings.md`).
//!
//! - [`signed_url`]: HMAC-signed, time-limited download URLs for stored
//!   files (recordings, transcript exports, privacy exports).
//! - [`transcript_export`]: our transcript rows as `txt`, `srt`, `vtt` or
//!   `json` files.
//! - [`job`]: the recording job state machine
//!   `pending → recording → processing → completed | failed`.
//! - [`control`]: starting and stopping through Stream, the consent gate.
//! - [`tracks`]: which track each announced file is, its duration and size.
//!
//! Nothing here reads the clock: times come in as unix milliseconds. Rule
//! IDs (`F1`…) are the ones of `docs/recordings.md`; the tests that prove
//! them carry the ID in their name.

pub mod control;
pub mod job;
pub mod signed_url;
pub mod tracks;
pub mod transcript_export;
