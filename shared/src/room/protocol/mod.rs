//! The room's wire protocol, version 1: JSON text frames
//! `{"type": "...", ...}` in both directions. `docs/protocol.md` is the
//! reference; this module is its executable form.

mod client;
mod server;

pub use client::{
    parse_client_frame, ClientFrame, ClientMsg, FrameError, Hello, Resume, MAX_CLIENT_ID_LEN,
    MAX_REF_LEN,
};
pub use server::{Heads, ServerMsg, WireLimits, WireOp, PROTOCOL_VERSION};
