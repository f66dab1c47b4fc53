//! Connvo's Durable Objects. Each is a thin shell: it decodes frames and
//! requests, calls the pure core in `connvo-shared`, writes its SQLite
//! storage, sends to sockets, and turns the core's next deadline into an alarm.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod d1;
mod d1_sink;
mod internal;
mod jobs_sink;
mod logging;
mod meeting_room;
mod metrics_aggregator;
pub mod metrics_sink;
mod sockets;
mod sql_exec;
mod user_hub;

pub use meeting_room::MeetingRoom;
pub use metrics_aggregator::MetricsAggregator;
pub use user_hub::UserHub;
