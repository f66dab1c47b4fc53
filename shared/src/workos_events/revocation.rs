//! Pushing an identity change to live meetings: which rooms to tell that a
//! user's sockets must close. The worker pages through the user's active
//! meetings with [`Revocation::page`], keeps what [`Revocation::read_page`]
//! says (only the given organisation's meetings, when one is named), and
//! sends each room a `revoke` member notice (docs/protocol.md, "Internal
//! endpoints").
//!
//! Organisation role changes need no notice: inside a room every right
//! comes from the meeting role, and no room action is granted to an org
//! role, so there is nothing on a live socket to lower.

use serde::Deserialize;

use crate::audit::MAX_TIME_MS;
use crate::sql::meetings::MeetingListForUserAsc;
use crate::sql::Statement;

/// Meetings fetched per query, and at most this many pages (a user is in a
/// handful of live meetings; the bound keeps a bad row from looping).
pub const PAGE: i64 = 100;
pub const MAX_PAGES: usize = 5;

/// Whose sockets to close: the user's, in their active meetings (only
/// those of `org_id` when given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub user_id: String,
    pub org_id: Option<String>,
    /// Why, for the log (`user.deleted`, `session.revoked`, …).
    pub cause: String,
}

/// The columns of a `MEETING_LIST_FOR_USER_ASC` row this needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListedMeeting {
    pub id: String,
    pub org_id: Option<String>,
    pub scheduled_at: i64,
}

/// Where the next page starts (keyset on `(scheduled_at, id)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    pub after_scheduled_at: i64,
    pub after_id: String,
}

/// One page, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Meetings whose room gets the notice.
    pub meetings: Vec<String>,
    /// The next page, when this one was full.
    pub next: Option<Cursor>,
}

impl Revocation {
    /// The query for the page after `cursor` (`Cursor::default()` first).
    pub fn page(&self, cursor: &Cursor) -> Statement {
        MeetingListForUserAsc {
            user_id: &self.user_id,
            state_filter: Some("active"),
            after_scheduled_at: cursor.after_scheduled_at,
            after_id: &cursor.after_id,
            to_ms: MAX_TIME_MS,
            limit: PAGE,
        }
        .statement()
    }

    /// The meetings of a page to notify, and where the next page starts.
    pub fn read_page(&self, rows: &[ListedMeeting]) -> Page {
        let meetings = rows
            .iter()
            .filter(|m| {
                self.org_id
                    .as_deref()
                    .is_none_or(|want| m.org_id.as_deref() == Some(want))
            })
            .map(|m| m.id.clone())
            .collect();
        let full = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
        let next = rows.last().filter(|_| full).map(|last| Cursor {
            after_scheduled_at: last.scheduled_at,
            after_id: last.id.clone(),
        });
        Page { meetings, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, org: Option<&str>, at: i64) -> ListedMeeting {
        ListedMeeting {
            id: id.into(),
            org_id: org.map(str::to_owned),
            scheduled_at: at,
        }
    }

    fn revocation(org: Option<&str>) -> Revocation {
        Revocation {
            user_id: "user_1".into(),
            org_id: org.map(str::to_owned),
            cause: "user.deleted".into(),
        }
    }

    #[test]
    fn only_the_named_orgs_meetings_are_told() {
        let rows = [
            listed("m1", Some("org_a"), 1),
            listed("m2", Some("org_b"), 2),
            listed("m3", None, 3),
        ];
        assert_eq!(revocation(Some("org_a")).read_page(&rows).meetings, ["m1"]);
        assert_eq!(
            revocation(None).read_page(&rows).meetings,
            ["m1", "m2", "m3"]
        );
        assert_eq!(revocation(None).read_page(&rows).next, None);
    }

    #[test]
    fn a_full_page_continues_after_its_last_row() {
        let rows: Vec<ListedMeeting> = (0..PAGE)
            .map(|i| listed(&format!("m{i}"), None, 10 + i))
            .collect();
        let page = revocation(None).read_page(&rows);
        let next = page.next.unwrap();
        assert_eq!(next.after_scheduled_at, 10 + PAGE - 1);
        assert_eq!(next.after_id, format!("m{}", PAGE - 1));
        let query = revocation(None).page(&next);
        assert_eq!(query.name, "MEETING_LIST_FOR_USER_ASC");
        assert_eq!(query.params[1], crate::sql::SqlValue::Text("active".into()));
        assert_eq!(query.params[3], crate::sql::SqlValue::Text(next.after_id));
    }
}
