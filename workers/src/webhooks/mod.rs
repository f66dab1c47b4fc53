//! Webhook routes from outside services.

pub mod rooms;
pub mod workos;
