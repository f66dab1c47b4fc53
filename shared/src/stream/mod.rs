//! GetStream Video, the pure half: the webhook events we act on, and the
//! create-call request with the rules for reading its answer. The wire
//! formats are CONTRACTS.md's; tokens are in `auth::stream_token`, webhook
//! signatures in `signature`.

pub mod call;
pub mod webhook;
