//! The meeting reads the handlers share: a meeting, a membership, the
//! participant list.

use connvo_rooms::d1::D1;
use connvo_shared::meeting::request::MAX_PARTICIPANTS;
use connvo_shared::meeting::view::{MeetingRow, MembershipRow, ParticipantListRow};
use connvo_shared::sql::meetings::MeetingGet;
use connvo_shared::sql::participants::{ParticipantGet, ParticipantListByMeeting};
use connvo_shared::ApiError;

pub async fn meeting(db: &D1, meeting_id: &str) -> Result<Option<MeetingRow>, ApiError> {
    Ok(db.first(MeetingGet { id: meeting_id }).await?)
}

pub async fn membership(
    db: &D1,
    meeting_id: &str,
    user_id: &str,
) -> Result<Option<MembershipRow>, ApiError> {
    Ok(db
        .first(ParticipantGet {
            meeting_id,
            user_id,
        })
        .await?)
}

/// Every member (a meeting has at most `MAX_PARTICIPANTS`), by user id.
pub async fn participants(db: &D1, meeting_id: &str) -> Result<Vec<ParticipantListRow>, ApiError> {
    Ok(db
        .all(ParticipantListByMeeting {
            meeting_id,
            after_user_id: "",
            limit: i64::try_from(MAX_PARTICIPANTS).unwrap_or(100),
        })
        .await?)
}
