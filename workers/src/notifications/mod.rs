//! Notifications (issue 13, docs/notifications.md): the one function every
//! producer calls ([`notify`]), the per-user hub's worker side ([`hub`]),
//! the inbox routes ([`routes`]) and email ([`email`]).

pub mod email;
pub mod hub;
pub mod notify;
pub mod producers;
pub mod routes;

#[allow(unused_imports)] // the privacy work's entry point (`notify`)
pub use notify::{notify, notify_all, Notified};
