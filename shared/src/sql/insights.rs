//! `insights`: post-call summaries, one per (meeting, user), private to that
//! user unless shared.

use crate::params;

/// Write a user's insight for a meeting. The insights job is retried: a second
/// run replaces the content of the same row (same id kept).
///
/// Params: ?1 id, ?2 user_id, ?3 meeting_id, ?4 summary, ?5 topics, ?6 decisions,
/// ?7 action_items, ?8 recommendations, ?9 links (JSON arrays), ?10 provenance (JSON object),
/// ?11 now_ms.
pub const INSIGHT_UPSERT: &str = "\
INSERT INTO insights (id, user_id, meeting_id, summary, topics, decisions, action_items, recommendations,
                      links, provenance, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
ON CONFLICT (meeting_id, user_id) DO UPDATE SET
  summary = excluded.summary,
  topics = excluded.topics,
  decisions = excluded.decisions,
  action_items = excluded.action_items,
  recommendations = excluded.recommendations,
  links = excluded.links,
  provenance = excluded.provenance,
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`INSIGHT_UPSERT`], `?1..?11` in order.
    INSIGHT_UPSERT => InsightUpsert<'a> { id: &'a str, user_id: &'a str, meeting_id: &'a str, summary: &'a str, topics: &'a str, decisions: &'a str, action_items: &'a str, recommendations: &'a str, links: &'a str, provenance: &'a str, now_ms: i64 }
}

/// Owner-scoped read.
///
/// Params: ?1 id, ?2 user_id.
pub const INSIGHT_GET: &str = "\
SELECT id, user_id, meeting_id, summary, topics, decisions, action_items, recommendations, links,
       visibility, provenance, created_at, updated_at
FROM insights WHERE id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`INSIGHT_GET`], `?1..?2` in order.
    INSIGHT_GET => InsightGet<'a> { id: &'a str, user_id: &'a str }
}

/// Params: ?1 meeting_id, ?2 user_id.
pub const INSIGHT_GET_FOR_MEETING: &str = "\
SELECT id, user_id, meeting_id, summary, topics, decisions, action_items, recommendations, links,
       visibility, provenance, created_at, updated_at
FROM insights WHERE meeting_id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`INSIGHT_GET_FOR_MEETING`], `?1..?2` in order.
    INSIGHT_GET_FOR_MEETING => InsightGetForMeeting<'a> { meeting_id: &'a str, user_id: &'a str }
}

/// A user's insights, newest first. Keyset on (created_at, id); first page:
/// ?2 = i64::MAX, ?3 = ''.
///
/// Params: ?1 user_id, ?2 before created_at, ?3 before id, ?4 limit.
pub const INSIGHT_LIST_FOR_USER: &str = "\
SELECT id, user_id, meeting_id, summary, topics, action_items, visibility, created_at
FROM insights
WHERE user_id = ?1 AND (created_at, id) < (?2, ?3)
ORDER BY created_at DESC, id DESC
LIMIT ?4";
params! {
    /// Parameters of [`INSIGHT_LIST_FOR_USER`], `?1..?4` in order.
    INSIGHT_LIST_FOR_USER => InsightListForUser<'a> { user_id: &'a str, before_created_at: i64, before_id: &'a str, limit: i64 }
}

/// The insights of a meeting its participants chose to share.
///
/// Params: ?1 meeting_id, ?2 limit.
pub const INSIGHT_LIST_SHARED_FOR_MEETING: &str = "\
SELECT id, user_id, meeting_id, summary, topics, decisions, action_items, created_at
FROM insights
WHERE meeting_id = ?1 AND visibility = 'shared'
ORDER BY user_id
LIMIT ?2";
params! {
    /// Parameters of [`INSIGHT_LIST_SHARED_FOR_MEETING`], `?1..?2` in order.
    INSIGHT_LIST_SHARED_FOR_MEETING => InsightListSharedForMeeting<'a> { meeting_id: &'a str, limit: i64 }
}

/// Params: ?1 id, ?2 user_id (owner), ?3 visibility ('private' | 'shared'), ?4 now_ms.
pub const INSIGHT_SET_VISIBILITY: &str = "\
UPDATE insights SET visibility = ?3, updated_at = ?4 WHERE id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`INSIGHT_SET_VISIBILITY`], `?1..?4` in order.
    INSIGHT_SET_VISIBILITY => InsightSetVisibility<'a> { id: &'a str, user_id: &'a str, visibility: &'a str, now_ms: i64 }
}

/// A user deletes their own insight.
///
/// Params: ?1 id, ?2 user_id.
pub const INSIGHT_DELETE: &str = "DELETE FROM insights WHERE id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`INSIGHT_DELETE`], `?1..?2` in order.
    INSIGHT_DELETE => InsightDelete<'a> { id: &'a str, user_id: &'a str }
}

/// A user deletes their own insight of a meeting.
///
/// Params: ?1 meeting_id, ?2 user_id.
pub const INSIGHT_DELETE_FOR_MEETING: &str =
    "DELETE FROM insights WHERE meeting_id = ?1 AND user_id = ?2";
params! {
    /// Parameters of [`INSIGHT_DELETE_FOR_MEETING`], `?1..?2` in order.
    INSIGHT_DELETE_FOR_MEETING => InsightDeleteForMeeting<'a> { meeting_id: &'a str, user_id: &'a str }
}
