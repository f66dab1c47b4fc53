//! GetStream Video, the worker's half: configuration, the create-call REST
//! client, and the webhook route with the effects of each event.

pub mod apply;
pub mod client;
pub mod config;
pub mod webhook;
