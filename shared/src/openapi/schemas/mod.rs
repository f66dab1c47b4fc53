//! The wire shapes the spec names, as Rust types with `ToSchema` derived
//! (utoipa), one file per domain. Most describe what a handler or a plan
//! puts on the wire with `json!`; `super::tests` serialises real plan
//! outputs and checks them against these schemas, and the schemathesis run
//! in `scripts/test` checks every live answer against them. A field added
//! to a response goes here too, or one of those fails.
//!
//! Nullable versus optional follows the wire: a key that is always present
//! but may be `null` is `Option<T>` with `#[schema(required = true)]`; a key
//! that may be absent is a plain `Option<T>`.

// The derive reads doc comments as descriptions; these types are never
// constructed in Rust.
#![allow(dead_code)]

mod admin;
mod connections;
mod intelligence;
mod meetings;
mod notifications;
mod privacy;
mod profiles;
mod recordings;
mod search;
mod webhooks;

pub use admin::*;
pub use connections::*;
pub use intelligence::*;
pub use meetings::*;
pub use notifications::*;
pub use privacy::*;
pub use profiles::*;
pub use recordings::*;
pub use search::*;
pub use webhooks::*;
