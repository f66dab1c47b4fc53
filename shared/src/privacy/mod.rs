//! Privacy, the pure parts (issue 14, `docs/privacy.md`).
//!
//! - [`consent`]: versioned consents with withdrawal, and the rules
//!   `recording_allowed` and `processing_allowed`.
//! - [`erasure`]: the statement plan that erases a user (anonymise in other
//!   people's meetings, delete what is theirs alone, keep audit logs).
//! - [`export`]: which data sets go into a user's export.
//! - [`export_run`]: the export job's keyset pages, progress and document.
//! - [`requests`]: the export and erasure routes' plans and views.
//!
//! Retention lives in [`crate::retention`]. Rule IDs (`P1`…) are the ones of
//! `docs/privacy.md`; the tests that prove them carry the ID in their name.

pub mod consent;
pub mod consent_routes;
pub mod erasure;
pub mod export;
pub mod export_run;
pub mod requests;
