//! Notifications (issue 13, docs/notifications.md): the one function every
//! producer calls ([`notify`]), the per-user hub's worker side ([`hub`]),
//! the inbox routes ([`routes`]) and email ([`email`]).

pub mod announce;
pub mod email;
pub mod hub;
pub mod notify;
pub mod producers;
pub mod routes;

#[allow(unused_imports)] // the privacy work's entry point (`notify`)
pub use notify::{notify, notify_all, Notified};

/// Erases what the user's hub keeps (N17): closes their sockets and
/// streams (4003) and deletes the ring of their last notifications and its
/// sequence. The privacy erasure calls it; the `notifications` rows are
/// the erasure's own to delete. Idempotent: an erased hub erases to the
/// same empty state.
pub async fn erase_user_hub(env: &worker::Env, user_id: &str) -> worker::Result<()> {
    hub::erase(env, user_id)
        .await
        .map_err(worker::Error::RustError)
}
