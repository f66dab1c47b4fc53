//! Meetings: the lifecycle state machine, the rules for changing members,
//! request bodies and list queries parsed into typed values, the join window
//! for video tokens, generated ids, and the rows and JSON the API serves.
//! Everything here is pure; the worker's `meetings` module is the shell that
//! reads D1, checks `acl::allowed`, and writes.

pub mod access;
pub mod ids;
pub mod join_window;
pub mod lifecycle;
pub mod list;
pub mod members;
pub mod plan;
pub mod request;
pub mod routes;
pub mod view;
