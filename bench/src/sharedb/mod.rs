//! The ShareDB side: starts `bench/sharedb-server.mjs` (stock ShareDB, the
//! `ot-text-unicode` type, `ws`) under the project's Node 22, with its
//! in-memory database or on PostgreSQL through `sharedb-postgres` (see
//! [`postgres`]), and joins participants over ShareDB's own JSON WebSocket
//! protocol (see [`wire`]). Nothing here is a ShareDB client library: the
//! generator speaks the protocol directly, with the same notes client state
//! machine it uses against Connvo.

mod postgres;
mod server;
mod wire;

pub use postgres::{Postgres, ShareDbOnPostgres};
pub use server::{node_binary, ShareDbServer};
pub use wire::join_meeting;
