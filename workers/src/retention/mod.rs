//! Retention (docs/privacy.md P13–P18, P20, P22–P25): the scheduled run,
//! driven by cron in bounded batches with counters kept per run, legal
//! holds, and organisations' storage policies over the section 14 defaults.

pub mod holds;
pub mod policies;
pub mod run;
