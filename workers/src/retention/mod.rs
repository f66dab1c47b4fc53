//! Retention (docs/privacy.md P13–P18, P20): the scheduled run, driven by
//! cron in bounded batches with counters, and legal holds.
//! Storage policies are the section 14 defaults (`retention::Policy::default`);
//! their admin CRUD is not built yet.

pub mod holds;
pub mod run;
