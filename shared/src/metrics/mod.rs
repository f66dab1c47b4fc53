//! Metrics and alerting, the pure parts (issue 15 items 6–7,
//! `docs/operations.md`, rules O1–O7): a mergeable latency sketch with a
//! bounded relative error (`sketch`), per-minute buckets and window
//! summaries (`window`), SLO rules, breach detection and alert
//! deduplication with the Slack webhook body (`slo`), and the Prometheus
//! text exposition (`prometheus`), exemplars to trace (`exemplar`) and
//! the admin route's window and body (`report`), the room's series
//! (`rooms`) and the Analytics Engine layout and SQL read-back
//! (`analytics_engine`). The worker records, an aggregator
//! Durable Object folds, a cron evaluates; none of them decides anything
//! these modules do not.

pub mod analytics_engine;
pub mod exemplar;
pub mod prometheus;
pub mod report;
pub mod rooms;
pub mod sketch;
pub mod slo;
pub mod window;

pub use sketch::Sketch;
pub use window::{http_events, minute_of, Event, LatencySummary, Minutes, Summary};
