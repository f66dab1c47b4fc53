//! Notification creation, the pure part (issue 13, `docs/notifications.md`):
//! one function, [`decide`], that every producer goes through. It applies
//! the user's preferences per type and channel, groups similar
//! notifications, enforces the hourly cap, holds email during quiet hours
//! (IANA time zones through `jiff` and its bundled tzdb) and lets urgent
//! ones through. Rule IDs `N1`… are the ones of `docs/notifications.md`.

pub mod announce;
pub mod decide;
pub mod email;
pub mod hub;
pub mod plan;
pub mod preferences;
pub mod wire;

pub use decide::{decide, Decision, Email, History, NewNotification, Priority};
pub use plan::{plan, Category, Loaded, Outgoing, Plan};
pub use preferences::{ChannelPrefs, PrefError, Preferences, QuietHours};
