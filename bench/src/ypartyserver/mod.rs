//! The y-partyserver side (issue 17): the nearest public peer of Connvo's
//! room, Yjs rooms on Durable Objects, run under the same local `wrangler
//! dev` / workerd (see [`server`]; the peer's Worker project is
//! `bench/peers/y-partyserver/`), and joined the way a y-websocket client
//! joins a room (see [`wire`]). The generator's Yjs side is `yrs`, the Rust
//! port of Yjs, which speaks the same binary updates.
//!
//! The notes workload is the same as on the other targets: the same edit
//! rule ([`crate::edits`]) on a Y.Text, the same tags in the inserted lines,
//! the same clock. Yjs has no server acknowledgement; the "ack" is the
//! server's echo of our own update (see [`wire`]).

mod server;
mod wire;

pub use server::YPartyServer;
pub use wire::{join_meeting, YjsReplica};
