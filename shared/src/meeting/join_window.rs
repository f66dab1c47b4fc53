//! When a participant may get into the live meeting (a Stream call token):
//! while the meeting is active, or from [`JOIN_EARLY_MS`] before its planned
//! start (the lobby: people test their camera before the host starts). The
//! ACL has already refused concluded and cancelled meetings; this adds the
//! time rule for scheduled ones.

use crate::acl::MeetingState;
use crate::error::{ApiError, ErrorCode};

/// How early before the planned start a call token is handed out.
pub const JOIN_EARLY_MS: i64 = 15 * 60 * 1000;

/// `Ok` when a call token may be minted now.
pub fn check_join(state: MeetingState, scheduled_at_ms: i64, now_ms: i64) -> Result<(), ApiError> {
    let opens_at = scheduled_at_ms.saturating_sub(JOIN_EARLY_MS);
    let open = match state {
        MeetingState::Active => true,
        MeetingState::Scheduled => now_ms >= opens_at,
        MeetingState::Concluded | MeetingState::Cancelled => false,
    };
    if open {
        return Ok(());
    }
    let mut details = serde_json::json!({
        "reason": "OUTSIDE_JOIN_WINDOW",
        "state": state.as_str(),
    });
    if state == MeetingState::Scheduled {
        details["opens_at"] = serde_json::Value::from(opens_at);
    }
    Err(ApiError::new(
        ErrorCode::MeetingNotActive,
        "the meeting is not open for joining yet",
    )
    .with_details(details))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_fifteen_minutes_early() {
        let start = 10_000_000;
        let s = MeetingState::Scheduled;
        assert!(check_join(s, start, start - JOIN_EARLY_MS).is_ok());
        assert!(check_join(s, start, start).is_ok());
        let err = check_join(s, start, start - JOIN_EARLY_MS - 1).unwrap_err();
        assert_eq!(err.code, ErrorCode::MeetingNotActive);
        assert_eq!(
            err.details.unwrap()["opens_at"],
            serde_json::json!(start - JOIN_EARLY_MS)
        );
        assert!(check_join(MeetingState::Active, start, 0).is_ok());
        assert!(check_join(MeetingState::Concluded, start, start).is_err());
        assert!(check_join(MeetingState::Cancelled, start, start).is_err());
        assert!(check_join(s, i64::MIN, 0).is_ok());
    }
}
