//! `matching_queue` (who is waiting to be matched) and `matching_analytics`
//! (outcomes and feedback that tune the weights).

use crate::params;

/// Enter the queue. A user already waiting is refused by the partial unique
/// index: `changes() == 0` means "already queued" (read it with
/// [`MATCHING_QUEUE_GET_WAITING`]).
///
/// Params: ?1 id, ?2 user_id, ?3 org_id, ?4 shard, ?5 available_from, ?6 available_to,
/// ?7 constraints (JSON object), ?8 now_ms.
pub const MATCHING_QUEUE_INSERT: &str = "\
INSERT INTO matching_queue (id, user_id, org_id, shard, available_from, available_to, constraints, status,
                            created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'waiting', ?8, ?8)
ON CONFLICT (user_id) WHERE status = 'waiting' DO NOTHING";
params! {
    /// Parameters of [`MATCHING_QUEUE_INSERT`], `?1..?8` in order.
    MATCHING_QUEUE_INSERT => MatchingQueueInsert<'a> { id: &'a str, user_id: &'a str, org_id: Option<&'a str>, shard: i64, available_from: i64, available_to: i64, constraints: &'a str, now_ms: i64 }
}

/// Params: ?1 id.
pub const MATCHING_QUEUE_GET: &str = "\
SELECT id, user_id, org_id, shard, available_from, available_to, constraints, status,
       matched_with_user_id, match_id, version, created_at, updated_at
FROM matching_queue WHERE id = ?1";
params! {
    /// Parameters of [`MATCHING_QUEUE_GET`], `?1..?1` in order.
    MATCHING_QUEUE_GET => MatchingQueueGet<'a> { id: &'a str }
}

/// The user's current waiting entry, if any.
///
/// Params: ?1 user_id.
pub const MATCHING_QUEUE_GET_WAITING: &str = "\
SELECT id, user_id, org_id, shard, available_from, available_to, constraints, status,
       matched_with_user_id, match_id, version, created_at, updated_at
FROM matching_queue WHERE user_id = ?1 AND status = 'waiting'";
params! {
    /// Parameters of [`MATCHING_QUEUE_GET_WAITING`], `?1..?1` in order.
    MATCHING_QUEUE_GET_WAITING => MatchingQueueGetWaiting<'a> { user_id: &'a str }
}

/// A user's queue history, newest first.
///
/// Params: ?1 user_id, ?2 limit.
pub const MATCHING_QUEUE_LIST_FOR_USER: &str = "\
SELECT id, status, available_from, available_to, matched_with_user_id, match_id, created_at, updated_at
FROM matching_queue WHERE user_id = ?1
ORDER BY created_at DESC
LIMIT ?2";
params! {
    /// Parameters of [`MATCHING_QUEUE_LIST_FOR_USER`], `?1..?2` in order.
    MATCHING_QUEUE_LIST_FOR_USER => MatchingQueueListForUser<'a> { user_id: &'a str, limit: i64 }
}

/// Leave the queue.
///
/// Params: ?1 id, ?2 user_id (owner), ?3 now_ms.
pub const MATCHING_QUEUE_CANCEL: &str = "\
UPDATE matching_queue SET status = 'cancelled', version = version + 1, updated_at = ?3
WHERE id = ?1 AND user_id = ?2 AND status = 'waiting'";
params! {
    /// Parameters of [`MATCHING_QUEUE_CANCEL`], `?1..?3` in order.
    MATCHING_QUEUE_CANCEL => MatchingQueueCancel<'a> { id: &'a str, user_id: &'a str, now_ms: i64 }
}

/// The matcher pairs an entry, guarded by the version it read (optimistic
/// concurrency: `changes() == 0` = someone else got there first). Batch both
/// sides of a pair so they commit together.
///
/// Params: ?1 id, ?2 expected version, ?3 match_id, ?4 matched_with_user_id, ?5 now_ms.
pub const MATCHING_QUEUE_MARK_MATCHED: &str = "\
UPDATE matching_queue
SET status = 'matched', match_id = ?3, matched_with_user_id = ?4, version = version + 1, updated_at = ?5
WHERE id = ?1 AND version = ?2 AND status = 'waiting'";
params! {
    /// Parameters of [`MATCHING_QUEUE_MARK_MATCHED`], `?1..?5` in order.
    MATCHING_QUEUE_MARK_MATCHED => MatchingQueueMarkMatched<'a> { id: &'a str, expected_version: i64, match_id: &'a str, matched_with_user_id: &'a str, now_ms: i64 }
}

/// Waiting entries of one shard whose availability overlaps [from, to), by
/// earliest availability. Keyset on (available_from, id) is not needed: a
/// cycle takes one bounded batch per shard.
///
/// Params: ?1 shard, ?2 window from ms, ?3 window to ms, ?4 limit.
pub const MATCHING_QUEUE_LIST_WAITING: &str = "\
SELECT id, user_id, org_id, available_from, available_to, constraints, version
FROM matching_queue
WHERE status = 'waiting' AND shard = ?1 AND available_from < ?3 AND available_to > ?2
ORDER BY available_from
LIMIT ?4";
params! {
    /// Parameters of [`MATCHING_QUEUE_LIST_WAITING`], `?1..?4` in order.
    MATCHING_QUEUE_LIST_WAITING => MatchingQueueListWaiting { shard: i64, window_from_ms: i64, window_to_ms: i64, limit: i64 }
}

/// Expire waiting entries whose window has passed. Bounded; repeat while
/// `changes() == limit`.
///
/// Params: ?1 now_ms, ?2 limit.
pub const MATCHING_QUEUE_EXPIRE: &str = "\
UPDATE matching_queue SET status = 'expired', version = version + 1, updated_at = ?1
WHERE rowid IN (
  SELECT rowid FROM matching_queue WHERE status = 'waiting' AND available_to <= ?1 LIMIT ?2
)";
params! {
    /// Parameters of [`MATCHING_QUEUE_EXPIRE`], `?1..?2` in order.
    MATCHING_QUEUE_EXPIRE => MatchingQueueExpire { now_ms: i64, limit: i64 }
}

/// Both entries of a match.
///
/// Params: ?1 match_id.
pub const MATCHING_QUEUE_LIST_BY_MATCH: &str = "\
SELECT id, user_id, status, matched_with_user_id, version
FROM matching_queue WHERE match_id = ?1
LIMIT 10";
params! {
    /// Parameters of [`MATCHING_QUEUE_LIST_BY_MATCH`], `?1..?1` in order.
    MATCHING_QUEUE_LIST_BY_MATCH => MatchingQueueListByMatch<'a> { match_id: &'a str }
}

/// Record an outcome for one side of a match (accepted, declined, completed).
/// Retried jobs collide on (match_id, user_id, outcome) and update in place.
///
/// Params: ?1 id, ?2 match_id, ?3 user_id, ?4 peer_user_id, ?5 meeting_id, ?6 outcome,
/// ?7 score, ?8 rating (1..5), ?9 feedback (JSON), ?10 features (JSON), ?11 weights (JSON),
/// ?12 now_ms.
pub const MATCH_OUTCOME_RECORD: &str = "\
INSERT INTO matching_analytics (id, match_id, user_id, peer_user_id, meeting_id, outcome, score, rating,
                                feedback, features, weights, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
ON CONFLICT (match_id, user_id, outcome) DO UPDATE SET
  meeting_id = coalesce(excluded.meeting_id, matching_analytics.meeting_id),
  rating = coalesce(excluded.rating, matching_analytics.rating),
  feedback = coalesce(excluded.feedback, matching_analytics.feedback),
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`MATCH_OUTCOME_RECORD`], `?1..?12` in order.
    MATCH_OUTCOME_RECORD => MatchOutcomeRecord<'a> { id: &'a str, match_id: &'a str, user_id: &'a str, peer_user_id: &'a str, meeting_id: &'a str, outcome: &'a str, score: f64, rating: Option<i64>, feedback: Option<&'a str>, features: Option<&'a str>, weights: Option<&'a str>, now_ms: i64 }
}

/// Did the user decline this peer since a time? (Do not re-suggest a poor
/// match inside the decay window.)
///
/// Params: ?1 user_id, ?2 peer_user_id, ?3 since ms.
pub const MATCH_RECENTLY_DECLINED: &str = "\
SELECT EXISTS (
  SELECT 1 FROM matching_analytics
  WHERE user_id = ?1 AND peer_user_id = ?2 AND outcome = 'declined' AND created_at >= ?3
) AS declined";
params! {
    /// Parameters of [`MATCH_RECENTLY_DECLINED`], `?1..?3` in order.
    MATCH_RECENTLY_DECLINED => MatchRecentlyDeclined<'a> { user_id: &'a str, peer_user_id: &'a str, since_ms: i64 }
}

/// A user's match outcomes, newest first.
///
/// Params: ?1 user_id, ?2 limit.
pub const MATCH_OUTCOME_LIST_FOR_USER: &str = "\
SELECT id, match_id, peer_user_id, meeting_id, outcome, score, rating, feedback, created_at
FROM matching_analytics WHERE user_id = ?1
ORDER BY created_at DESC
LIMIT ?2";
params! {
    /// Parameters of [`MATCH_OUTCOME_LIST_FOR_USER`], `?1..?2` in order.
    MATCH_OUTCOME_LIST_FOR_USER => MatchOutcomeListForUser<'a> { user_id: &'a str, limit: i64 }
}

/// Outcomes of a kind since a time, oldest first (the weight-tuning job).
/// Keyset on (created_at, id); first page: ?2 = since, ?3 = ''.
///
/// Params: ?1 outcome, ?2 after created_at, ?3 after id, ?4 limit.
pub const MATCH_OUTCOME_LIST_BY_KIND: &str = "\
SELECT id, match_id, user_id, peer_user_id, score, rating, features, weights, created_at
FROM matching_analytics
WHERE outcome = ?1 AND (created_at, id) > (?2, ?3)
ORDER BY created_at, id
LIMIT ?4";
params! {
    /// Parameters of [`MATCH_OUTCOME_LIST_BY_KIND`], `?1..?4` in order.
    MATCH_OUTCOME_LIST_BY_KIND => MatchOutcomeListByKind<'a> { outcome: &'a str, after_created_at: i64, after_id: &'a str, limit: i64 }
}
