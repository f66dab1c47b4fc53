//! Webhook routes from outside services, and what they share: the delivery
//! claim (`claim`) and the pushes to live rooms (`rooms`).

pub mod claim;
pub mod rooms;
pub mod workos;
