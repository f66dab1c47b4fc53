//! Rules for changing who is in a meeting, on top of the ACL. The ACL says
//! which role may manage participants at all (host and cohost), change roles
//! or transfer the host role (host only); these rules stop the moves that
//! would break the meeting's shape:
//!
//! - a meeting always has exactly one host: the host role is never given,
//!   removed or changed directly, only transferred (the old host becomes a
//!   cohost, in the same statement);
//! - nobody grants more than they hold: only the host adds or removes a cohost;
//! - anyone may leave (remove themselves), except the host, who must
//!   transfer the role first (the route table's `ActionRule::OwnOrOther`
//!   makes removing yourself the ACL's `LeaveMeeting`).

use crate::acl::MeetingRole;
use crate::error::{ApiError, ErrorCode};

fn conflict(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message)
        .with_details(serde_json::json!({ "reason": reason }))
}

fn forbidden(message: &str) -> ApiError {
    ApiError::forbidden(message)
        .with_details(serde_json::json!({ "reason": "DENY_ROLE_INSUFFICIENT" }))
}

/// May `actor` add someone as `role`?
pub fn check_add(actor: MeetingRole, role: MeetingRole) -> Result<(), ApiError> {
    match role {
        MeetingRole::Host => Err(conflict(
            "HOST_BY_TRANSFER_ONLY",
            "the host role moves only by transfer",
        )),
        MeetingRole::Cohost if actor != MeetingRole::Host => {
            Err(forbidden("only the host adds cohosts"))
        }
        MeetingRole::Cohost | MeetingRole::Participant | MeetingRole::Observer => Ok(()),
    }
}

/// May `actor` remove a member holding `target` (themselves when `is_self`)?
pub fn check_remove(
    actor: MeetingRole,
    target: MeetingRole,
    is_self: bool,
) -> Result<(), ApiError> {
    match (is_self, target) {
        (true, MeetingRole::Host) => Err(conflict(
            "HOST_CANNOT_LEAVE",
            "the host must transfer the host role before leaving",
        )),
        (true, _) => Ok(()),
        (false, MeetingRole::Host) => Err(forbidden("the host cannot be removed")),
        (false, MeetingRole::Cohost) if actor != MeetingRole::Host => {
            Err(forbidden("only the host removes cohosts"))
        }
        (false, MeetingRole::Cohost | MeetingRole::Participant | MeetingRole::Observer) => Ok(()),
    }
}

/// May a member holding `target` be given `new` (by the host)?
pub fn check_change_role(target: MeetingRole, new: MeetingRole) -> Result<(), ApiError> {
    if target == MeetingRole::Host || new == MeetingRole::Host {
        return Err(conflict(
            "HOST_BY_TRANSFER_ONLY",
            "the host role moves only by transfer",
        ));
    }
    Ok(())
}

/// May the host hand the role to `target_id`?
pub fn check_transfer(actor_id: &str, target_id: &str) -> Result<(), ApiError> {
    if actor_id == target_id {
        return Err(conflict("ALREADY_HOST", "you are already the host"));
    }
    Ok(())
}

/// The role the previous host keeps after a transfer.
pub const PREVIOUS_HOST_ROLE: MeetingRole = MeetingRole::Cohost;

#[cfg(test)]
mod tests {
    use super::*;
    use MeetingRole::*;

    #[test]
    fn adding() {
        assert!(check_add(Host, Cohost).is_ok());
        assert!(check_add(Host, Observer).is_ok());
        assert!(check_add(Cohost, Participant).is_ok());
        assert_eq!(check_add(Cohost, Cohost).unwrap_err().status(), 403);
        assert_eq!(check_add(Host, Host).unwrap_err().status(), 409);
    }

    #[test]
    fn removing_and_leaving() {
        assert_eq!(check_remove(Host, Host, true).unwrap_err().status(), 409);
        assert!(check_remove(Observer, Observer, true).is_ok());
        assert!(check_remove(Cohost, Cohost, true).is_ok());
        assert_eq!(check_remove(Cohost, Host, false).unwrap_err().status(), 403);
        assert_eq!(
            check_remove(Cohost, Cohost, false).unwrap_err().status(),
            403
        );
        assert!(check_remove(Host, Cohost, false).is_ok());
        assert!(check_remove(Cohost, Participant, false).is_ok());
    }

    #[test]
    fn roles_and_transfer() {
        assert!(check_change_role(Participant, Cohost).is_ok());
        assert!(check_change_role(Cohost, Observer).is_ok());
        assert_eq!(check_change_role(Host, Cohost).unwrap_err().status(), 409);
        assert_eq!(check_change_role(Cohost, Host).unwrap_err().status(), 409);
        assert!(check_transfer("a", "b").is_ok());
        assert_eq!(check_transfer("a", "a").unwrap_err().status(), 409);
    }
}
