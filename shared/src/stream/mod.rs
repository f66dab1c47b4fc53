//! GetStream Video, the pure half: the webhook events we act on, and the
//! create-call request with the rules for reading its answer. The wire
//! formats are in docs/api.md ("Webhooks"); tokens are in `auth::stream_token`, webhook
//! signatures in `signature`.

pub mod call;
pub mod plan;
pub mod webhook;
