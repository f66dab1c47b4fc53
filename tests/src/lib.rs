//! The end-to-end harness: starts the built worker under `wrangler dev`
//! (workerd with local D1, KV, Durable Objects and Queues) on a free loopback
//! port with a fresh state folder, waits until it answers, and always stops
//! it, even when a test panics. Each [`Backend`] owns its own port and state,
//! so tests run in parallel without sharing anything.
//!
//! The worker must already be built (`scripts/build-worker`); `scripts/test`
//! does that, and also prepares a migrated state folder once
//! (`CONNVO_STATE_TEMPLATE`) that every backend copies.

pub mod api;
pub mod backend;
pub mod chaos;
pub mod d1;
pub mod fakes;
pub mod meet;
pub mod room;

pub use backend::{Backend, BackendOptions};
