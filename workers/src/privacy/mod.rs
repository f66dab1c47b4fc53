//! Privacy routes and jobs (docs/privacy.md): the caller's consents (P19),
//! the privacy export (P30–P33) and erasure (P34–P36) with their jobs and
//! cron sweep. The decisions are the pure core's (`connvo_shared::privacy`).

pub mod consents;
pub mod erasure;
pub mod export;
mod files;
pub mod sweep;
