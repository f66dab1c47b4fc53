//! The meeting reads every route shares: a meeting with the caller's
//! membership (one D1 batch), a membership, the participant list.

use connvo_shared::meeting::request::MAX_PARTICIPANTS;
use connvo_shared::meeting::view::{MeetingRow, MembershipRow, ParticipantListRow};
use connvo_shared::sql::{meetings, participants};
use connvo_shared::ApiError;
use worker::D1Database;

use crate::args;
use crate::db::{self, decode};

/// The meeting and `user_id`'s membership of it, read together.
pub async fn meeting_with_membership(
    db: &D1Database,
    meeting_id: &str,
    user_id: &str,
) -> Result<(Option<MeetingRow>, Option<MembershipRow>), ApiError> {
    let results = db::batch(
        db,
        vec![
            db::stmt(db, meetings::MEETING_GET, args![meeting_id])?,
            db::stmt(
                db,
                participants::PARTICIPANT_GET,
                args![meeting_id, user_id],
            )?,
        ],
    )
    .await?;
    let first_row = |i: usize| -> Result<Option<serde_json::Value>, ApiError> {
        match results.get(i) {
            Some(r) => Ok(db::rows(r)?.into_iter().next()),
            None => Err(ApiError::internal("D1 batch returned too few results")),
        }
    };
    let meeting = first_row(0)?.map(decode::<MeetingRow>).transpose()?;
    let membership = first_row(1)?.map(decode::<MembershipRow>).transpose()?;
    Ok((meeting, membership))
}

pub async fn meeting(db: &D1Database, meeting_id: &str) -> Result<Option<MeetingRow>, ApiError> {
    db::first(db, meetings::MEETING_GET, args![meeting_id])
        .await?
        .map(decode)
        .transpose()
}

pub async fn membership(
    db: &D1Database,
    meeting_id: &str,
    user_id: &str,
) -> Result<Option<MembershipRow>, ApiError> {
    db::first(
        db,
        participants::PARTICIPANT_GET,
        args![meeting_id, user_id],
    )
    .await?
    .map(decode)
    .transpose()
}

/// Every member (a meeting has at most `MAX_PARTICIPANTS`), by user id.
pub async fn participants(
    db: &D1Database,
    meeting_id: &str,
) -> Result<Vec<ParticipantListRow>, ApiError> {
    let limit = i64::try_from(MAX_PARTICIPANTS).unwrap_or(100);
    db::all(
        db,
        participants::PARTICIPANT_LIST_BY_MEETING,
        args![meeting_id, "", limit],
    )
    .await?
    .into_iter()
    .map(decode)
    .collect()
}
