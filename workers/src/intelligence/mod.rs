//! The meeting-intelligence shells: which generation provider answers
//! (configuration), and whether a feature is on (feature flags). Every
//! decision is in `connvo_shared::intelligence`; this module only reads
//! configuration, storage and the clock and hands them to it.
//!
//! - [`provider`]: `Providers::from_env` and the three generations.
//! - [`flags`]: `is_on`, the flag check every intelligence path makes
//!   before it queues or generates anything, through the isolate cache.
//! - [`admin`]: the feature-flag admin routes.
//! - [`reads`]: the prompts and insights read routes.

pub mod admin;
pub mod flags;
pub mod provider;
pub mod reads;
