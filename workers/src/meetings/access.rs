//! Loads what a meeting route needs to decide, and decides with
//! `connvo_shared::meeting::access::authorize` (403 for a meeting the caller
//! cannot see, whether or not it exists; see that module).

use connvo_shared::acl::{Action, MeetingRole};
use connvo_shared::meeting::access::{authorize, Caller};
use connvo_shared::meeting::view::{MeetingRow, MembershipRow};
use connvo_shared::ApiError;
use worker::D1Database;

use super::{audited, store};
use crate::request::RequestCtx;

/// A meeting the caller may act on, with how they may.
pub struct Access {
    pub meeting: MeetingRow,
    pub membership: Option<MembershipRow>,
}

impl Access {
    /// The caller's meeting role, if they are a member.
    pub fn role(&self) -> Option<MeetingRole> {
        self.membership.as_ref().map(MembershipRow::role)
    }
}

/// Reads the meeting and the caller's membership, and checks `action`.
/// A refusal is audited (`access.denied`).
pub async fn require(
    ctx: &RequestCtx,
    db: &D1Database,
    caller: &Caller,
    meeting_id: &str,
    action: Action,
) -> Result<Access, ApiError> {
    let (meeting, membership) =
        store::meeting_with_membership(db, meeting_id, &caller.user_id).await?;
    if let Err(err) = authorize(caller, action, meeting.as_ref(), membership.as_ref()) {
        audited::denied(ctx, caller, meeting_id, action, &err);
        return Err(err);
    }
    match meeting {
        Some(meeting) => Ok(Access {
            meeting,
            membership,
        }),
        // `authorize` refuses a missing meeting; this is unreachable.
        None => Err(connvo_shared::meeting::access::not_visible()),
    }
}
