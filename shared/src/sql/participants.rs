//! `meeting_participants`: membership, role and presence. Every meeting ACL
//! check reads [`PARTICIPANT_GET`].

use crate::params;

/// Add a member. Already a member: nothing changes (`changes() == 0`); the
/// insert trigger bumps `meetings.participant_count` only on a real insert.
///
/// Params: ?1 meeting_id, ?2 user_id, ?3 role, ?4 invited_by, ?5 now_ms.
pub const PARTICIPANT_INSERT: &str = "\
INSERT INTO meeting_participants (meeting_id, user_id, role, presence, invited_by, created_at, updated_at)
VALUES (?1, ?2, ?3, 'invited', ?4, ?5, ?5)
ON CONFLICT (meeting_id, user_id) DO NOTHING";
params! {
    /// Parameters of [`PARTICIPANT_INSERT`], `?1..?5` in order.
    PARTICIPANT_INSERT => ParticipantInsert<'a> { meeting_id: &'a str, user_id: &'a str, role: &'a str, invited_by: Option<&'a str>, now_ms: i64 }
}

/// The ACL lookup: is this user a member, with which role?
///
/// Params: ?1 meeting_id, ?2 user_id.
pub const PARTICIPANT_GET: &str = "\
SELECT meeting_id, user_id, role, presence, joined_at, left_at, presence_changed_at, stream_session_id,
       created_at, updated_at
FROM meeting_participants
WHERE meeting_id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`PARTICIPANT_GET`], `?1..?2` in order.
    PARTICIPANT_GET => ParticipantGet<'a> { meeting_id: &'a str, user_id: &'a str }
}

/// Members of a meeting, keyset on user_id. First page: ?2 = ''.
///
/// Params: ?1 meeting_id, ?2 after user_id, ?3 limit.
pub const PARTICIPANT_LIST_BY_MEETING: &str = "\
SELECT mp.user_id, mp.role, mp.presence, mp.joined_at, mp.left_at, u.display_name, u.avatar_url
FROM meeting_participants mp
JOIN users u ON u.id = mp.user_id
WHERE mp.meeting_id = ?1 AND mp.user_id > ?2
ORDER BY mp.user_id
LIMIT ?3";
params! {
    /// Parameters of [`PARTICIPANT_LIST_BY_MEETING`], `?1..?3` in order.
    PARTICIPANT_LIST_BY_MEETING => ParticipantListByMeeting<'a> { meeting_id: &'a str, after_user_id: &'a str, limit: i64 }
}

/// Remove a member (the delete trigger decrements `participant_count`).
///
/// Params: ?1 meeting_id, ?2 user_id.
pub const PARTICIPANT_REMOVE: &str = "\
DELETE FROM meeting_participants WHERE meeting_id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`PARTICIPANT_REMOVE`], `?1..?2` in order.
    PARTICIPANT_REMOVE => ParticipantRemove<'a> { meeting_id: &'a str, user_id: &'a str }
}

/// Remove a member only while they still hold the role the caller saw (so a
/// member promoted meanwhile is not removed on the strength of their old
/// role). `changes() == 0` = conflict or not a member.
///
/// Params: ?1 meeting_id, ?2 user_id, ?3 expected role.
pub const PARTICIPANT_REMOVE_WITH_ROLE: &str = "\
DELETE FROM meeting_participants WHERE meeting_id = ?1 AND user_id = ?2 AND role = ?3";
params! {
    /// Parameters of [`PARTICIPANT_REMOVE_WITH_ROLE`], `?1..?3` in order.
    PARTICIPANT_REMOVE_WITH_ROLE => ParticipantRemoveWithRole<'a> { meeting_id: &'a str, user_id: &'a str, expected_role: &'a str }
}

/// Change a member's role, guarded by the role the caller saw (so two hosts
/// demoting each other cannot both win). `changes() == 0` = conflict.
///
/// Params: ?1 meeting_id, ?2 user_id, ?3 expected role, ?4 new role, ?5 now_ms.
pub const PARTICIPANT_SET_ROLE: &str = "\
UPDATE meeting_participants SET role = ?4, updated_at = ?5
WHERE meeting_id = ?1 AND user_id = ?2 AND role = ?3";
params! {
    /// Parameters of [`PARTICIPANT_SET_ROLE`], `?1..?5` in order.
    PARTICIPANT_SET_ROLE => ParticipantSetRole<'a> { meeting_id: &'a str, user_id: &'a str, expected_role: &'a str, new_role: &'a str, now_ms: i64 }
}

/// Hand the host role to another member in one statement: the host (?2)
/// becomes ?5 and the target (?3, whose role the caller saw as ?4) becomes
/// host. Both rows change or neither does (the guard counts that both are
/// still as the caller saw them), so a meeting never has zero or two hosts.
/// `changes() == 2` on success, `0` on a conflict.
///
/// Params: ?1 meeting_id, ?2 current host user_id, ?3 target user_id,
/// ?4 target's current role, ?5 the previous host's new role, ?6 now_ms.
pub const PARTICIPANT_TRANSFER_HOST: &str = "\
UPDATE meeting_participants
SET role = CASE WHEN user_id = ?2 THEN ?5 ELSE 'host' END, updated_at = ?6
WHERE meeting_id = ?1
  AND ((user_id = ?2 AND role = 'host') OR (user_id = ?3 AND role = ?4))
  AND (SELECT count(*) FROM meeting_participants
       WHERE meeting_id = ?1
         AND ((user_id = ?2 AND role = 'host') OR (user_id = ?3 AND role = ?4))) = 2";
params! {
    /// Parameters of [`PARTICIPANT_TRANSFER_HOST`], `?1..?6` in order.
    PARTICIPANT_TRANSFER_HOST => ParticipantTransferHost<'a> { meeting_id: &'a str, current_host_user_id: &'a str, target_user_id: &'a str, targets_current_role: &'a str, previous_hosts_new_role: &'a str, now_ms: i64 }
}

/// Params: ?1 meeting_id.
pub const PARTICIPANT_COUNT: &str = "\
SELECT count(*) AS n FROM meeting_participants WHERE meeting_id = ?1";
params! {
    /// Parameters of [`PARTICIPANT_COUNT`], `?1..?1` in order.
    PARTICIPANT_COUNT => ParticipantCount<'a> { meeting_id: &'a str }
}

/// How many members hold a role (e.g. refuse to demote or remove the last host).
///
/// Params: ?1 meeting_id, ?2 role.
pub const PARTICIPANT_COUNT_BY_ROLE: &str = "\
SELECT count(*) AS n FROM meeting_participants WHERE meeting_id = ?1 AND role = ?2";
params! {
    /// Parameters of [`PARTICIPANT_COUNT_BY_ROLE`], `?1..?2` in order.
    PARTICIPANT_COUNT_BY_ROLE => ParticipantCountByRole<'a> { meeting_id: &'a str, role: &'a str }
}

/// Apply a presence change from a Stream webhook or the room, unless a newer
/// one was already applied (events arrive out of order). `joined` stamps
/// `joined_at`, `left` stamps `left_at`.
///
/// Params: ?1 meeting_id, ?2 user_id, ?3 presence, ?4 event time ms,
/// ?5 stream session id (NULL keeps the stored one), ?6 now_ms.
pub const PARTICIPANT_SET_PRESENCE: &str = "\
UPDATE meeting_participants
SET presence = ?3,
    joined_at = CASE WHEN ?3 = 'joined' THEN ?4 ELSE joined_at END,
    left_at = CASE WHEN ?3 = 'left' THEN ?4 ELSE left_at END,
    stream_session_id = coalesce(?5, stream_session_id),
    presence_changed_at = ?4,
    updated_at = ?6
WHERE meeting_id = ?1 AND user_id = ?2
  AND (presence_changed_at IS NULL OR presence_changed_at <= ?4)";
params! {
    /// Parameters of [`PARTICIPANT_SET_PRESENCE`], `?1..?6` in order.
    PARTICIPANT_SET_PRESENCE => ParticipantSetPresence<'a> { meeting_id: &'a str, user_id: &'a str, presence: &'a str, event_time_ms: i64, stream_session_id: Option<&'a str>, now_ms: i64 }
}

/// Everyone still joined has left (call ended / session ended).
///
/// Params: ?1 meeting_id, ?2 event time ms, ?3 now_ms.
pub const PARTICIPANT_MARK_ALL_LEFT: &str = "\
UPDATE meeting_participants
SET presence = 'left', left_at = ?2, presence_changed_at = ?2, updated_at = ?3
WHERE meeting_id = ?1 AND presence = 'joined'
  AND (presence_changed_at IS NULL OR presence_changed_at <= ?2)";
params! {
    /// Parameters of [`PARTICIPANT_MARK_ALL_LEFT`], `?1..?3` in order.
    PARTICIPANT_MARK_ALL_LEFT => ParticipantMarkAllLeft<'a> { meeting_id: &'a str, event_time_ms: i64, now_ms: i64 }
}
