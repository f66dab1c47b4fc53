//! `matching_queue` (who is waiting to be matched) and `matching_analytics`
//! (outcomes and feedback that tune the weights).

use crate::params;

/// Enter the queue. A user already active (waiting or in a proposal) is
/// refused by the partial unique index `matching_queue_one_active`
/// (migration 0009): `changes() == 0` means "already queued" (read it with
/// [`MATCHING_QUEUE_GET_ACTIVE`]).
///
/// Params: ?1 id, ?2 user_id, ?3 org_id, ?4 shard, ?5 available_from, ?6 available_to,
/// ?7 constraints (JSON object), ?8 now_ms.
pub const MATCHING_QUEUE_INSERT: &str = "\
INSERT INTO matching_queue (id, user_id, org_id, shard, available_from, available_to, constraints, status,
                            created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'waiting', ?8, ?8)
ON CONFLICT DO NOTHING";
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

/// The user's active entry (M21: waiting, proposed, or accepted while its
/// proposal is still pending), if any.
///
/// Params: ?1 user_id.
pub const MATCHING_QUEUE_GET_ACTIVE: &str = "\
SELECT id, user_id, org_id, shard, available_from, available_to, constraints, status,
       matched_with_user_id, match_id, version, created_at, updated_at
FROM matching_queue AS q
WHERE user_id = ?1
  AND (status IN ('waiting', 'proposed')
       OR (status = 'accepted' AND EXISTS (
             SELECT 1 FROM matching_proposals AS p WHERE p.id = q.match_id AND p.status = 'pending')))
ORDER BY created_at DESC
LIMIT 1";
params! {
    /// Parameters of [`MATCHING_QUEUE_GET_ACTIVE`], `?1..?1` in order.
    MATCHING_QUEUE_GET_ACTIVE => MatchingQueueGetActive<'a> { user_id: &'a str }
}

/// One move of rule M13 on an entry, guarded by the status and version the
/// plan read (`changes() == 0`: it moved meanwhile). `?5 clear_match` = 1
/// drops the proposal link (a requeue).
///
/// Params: ?1 id, ?2 expected status, ?3 expected version, ?4 new status,
/// ?5 clear_match, ?6 now_ms.
pub const MATCHING_QUEUE_MOVE: &str = "\
UPDATE matching_queue
SET status = ?4,
    match_id = CASE WHEN ?5 = 1 THEN NULL ELSE match_id END,
    matched_with_user_id = CASE WHEN ?5 = 1 THEN NULL ELSE matched_with_user_id END,
    version = version + 1, updated_at = ?6
WHERE id = ?1 AND status = ?2 AND version = ?3";
params! {
    /// Parameters of [`MATCHING_QUEUE_MOVE`], `?1..?6` in order.
    MATCHING_QUEUE_MOVE => MatchingQueueMove<'a> { id: &'a str, expected_status: &'a str, expected_version: i64, new_status: &'a str, clear_match: bool, now_ms: i64 }
}

/// Claim a proposal (M15): both entries move `waiting → proposed` in one
/// statement, or neither does. The subquery sees the rows before the update,
/// so if either entry's version or status moved (a concurrent cycle claimed
/// it) the count is not 2 and no row changes: `changes()` is 2 or 0.
///
/// Params: ?1 match_id, ?2 a entry id, ?3 a version, ?4 a user_id, ?5 b entry id,
/// ?6 b version, ?7 b user_id, ?8 now_ms.
pub const MATCHING_QUEUE_CLAIM_PAIR: &str = "\
UPDATE matching_queue
SET status = 'proposed', match_id = ?1,
    matched_with_user_id = CASE WHEN id = ?2 THEN ?7 ELSE ?4 END,
    version = version + 1, updated_at = ?8
WHERE id IN (?2, ?5) AND status = 'waiting'
  AND (SELECT count(*) FROM matching_queue
       WHERE (id = ?2 AND version = ?3 AND status = 'waiting')
          OR (id = ?5 AND version = ?6 AND status = 'waiting')) = 2";
params! {
    /// Parameters of [`MATCHING_QUEUE_CLAIM_PAIR`], `?1..?8` in order.
    MATCHING_QUEUE_CLAIM_PAIR => MatchingQueueClaimPair<'a> { match_id: &'a str, a_entry_id: &'a str, a_version: i64, a_user_id: &'a str, b_entry_id: &'a str, b_version: i64, b_user_id: &'a str, now_ms: i64 }
}

/// The proposal row of a claim, written only when both entries carry the
/// match id (the claim before it in the same batch succeeded); repeated
/// claims of the same id do nothing.
///
/// Params: ?1 id, ?2 a_entry_id, ?3 a_user_id, ?4 b_entry_id, ?5 b_user_id, ?6 score,
/// ?7 detail (JSON), ?8 starts_at, ?9 respond_by, ?10 now_ms.
pub const MATCHING_PROPOSAL_INSERT_CLAIMED: &str = "\
INSERT INTO matching_proposals (id, a_entry_id, a_user_id, b_entry_id, b_user_id, score, detail,
                                starts_at, respond_by, status, created_at, updated_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?10
WHERE (SELECT count(*) FROM matching_queue WHERE match_id = ?1 AND status = 'proposed') = 2
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_INSERT_CLAIMED`], `?1..?10` in order.
    MATCHING_PROPOSAL_INSERT_CLAIMED => MatchingProposalInsertClaimed<'a> { id: &'a str, a_entry_id: &'a str, a_user_id: &'a str, b_entry_id: &'a str, b_user_id: &'a str, score: f64, detail: &'a str, starts_at: i64, respond_by: i64, now_ms: i64 }
}

/// Params: ?1 id.
pub const MATCHING_PROPOSAL_GET: &str = "\
SELECT id, a_entry_id, a_user_id, b_entry_id, b_user_id, score, detail, starts_at, respond_by,
       status, meeting_id, created_at, updated_at
FROM matching_proposals WHERE id = ?1";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_GET`], `?1..?1` in order.
    MATCHING_PROPOSAL_GET => MatchingProposalGet<'a> { id: &'a str }
}

/// Settle a proposal, guarded by `status = 'pending'`.
///
/// Params: ?1 id, ?2 new status, ?3 meeting_id, ?4 now_ms.
pub const MATCHING_PROPOSAL_SETTLE: &str = "\
UPDATE matching_proposals SET status = ?2, meeting_id = ?3, updated_at = ?4
WHERE id = ?1 AND status = 'pending'";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_SETTLE`], `?1..?4` in order.
    MATCHING_PROPOSAL_SETTLE => MatchingProposalSettle<'a> { id: &'a str, status: &'a str, meeting_id: Option<&'a str>, now_ms: i64 }
}

/// Pending proposals past their deadline (the expiry sweep), bounded.
///
/// Params: ?1 now_ms, ?2 limit.
pub const MATCHING_PROPOSAL_LIST_DUE: &str = "\
SELECT id FROM matching_proposals
WHERE status = 'pending' AND respond_by <= ?1
ORDER BY respond_by
LIMIT ?2";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_LIST_DUE`], `?1..?2` in order.
    MATCHING_PROPOSAL_LIST_DUE => MatchingProposalListDue { now_ms: i64, limit: i64 }
}

/// Candidates of a cycle by interest overlap (M15, M25): for each seed
/// user, the waiting entries of other users sharing an interest with them,
/// most shared interests first, at most `?3` per seed. Never all pairs, and
/// bounded whatever the population: per seed interest only the `?4` users
/// just above and the `?4` just below the seed's id among those holding the
/// interest are looked at (index `user_interests_interest`), so the cost of a
/// cycle grows with its seeds, not with the users sharing a popular interest.
/// (`CROSS JOIN` keeps SQLite from driving the join from the queue.)
///
/// Params: ?1 seed user ids (JSON array), ?2 now_ms, ?3 per-seed limit,
/// ?4 per-interest fan-out (each direction).
pub const MATCHING_CANDIDATES_BY_INTEREST: &str = "\
SELECT seed_user_id, id, user_id, org_id, available_from, available_to, constraints, version, shared
FROM (
  SELECT pairs.seed_user_id, q.id, q.user_id, q.org_id, q.available_from, q.available_to,
         q.constraints, q.version, count(*) AS shared,
         row_number() OVER (PARTITION BY pairs.seed_user_id ORDER BY count(*) DESC, q.id) AS rank
  FROM (
    SELECT mine.user_id AS seed_user_id, t.user_id AS peer_id
    FROM user_interests AS mine
    JOIN user_interests AS t ON t.rowid IN (
      SELECT u.rowid FROM user_interests AS u
      WHERE u.interest_key = mine.interest_key AND u.user_id > mine.user_id
      ORDER BY u.user_id LIMIT ?4)
    WHERE mine.user_id IN (SELECT value FROM json_each(?1))
    UNION ALL
    SELECT mine.user_id AS seed_user_id, t.user_id AS peer_id
    FROM user_interests AS mine
    JOIN user_interests AS t ON t.rowid IN (
      SELECT u.rowid FROM user_interests AS u
      WHERE u.interest_key = mine.interest_key AND u.user_id < mine.user_id
      ORDER BY u.user_id DESC LIMIT ?4)
    WHERE mine.user_id IN (SELECT value FROM json_each(?1))
  ) AS pairs
  CROSS JOIN matching_queue AS q
    ON q.user_id = pairs.peer_id AND q.status = 'waiting' AND q.available_to > ?2
  GROUP BY pairs.seed_user_id, q.id
)
WHERE rank <= ?3";
params! {
    /// Parameters of [`MATCHING_CANDIDATES_BY_INTEREST`], `?1..?4` in order.
    MATCHING_CANDIDATES_BY_INTEREST => MatchingCandidatesByInterest<'a> { seed_user_ids: &'a str, now_ms: i64, per_seed: i64, per_interest: i64 }
}

/// What the scorer needs of a set of users (M7): org, profile fields and
/// interest keys (JSON array). Deleted users are left out (never proposed).
///
/// Params: ?1 user ids (JSON array).
pub const MATCHING_PEOPLE: &str = "\
SELECT u.id AS user_id, u.org_id, p.goals, coalesce(p.skills, '[]') AS skills,
       coalesce(p.roles, '[]') AS roles, coalesce(p.languages, '[]') AS languages,
       (SELECT json_group_array(ui.interest_key) FROM user_interests AS ui WHERE ui.user_id = u.id)
         AS interests
FROM users AS u
LEFT JOIN profiles AS p ON p.user_id = u.id
WHERE u.id IN (SELECT value FROM json_each(?1)) AND u.deleted_at IS NULL";
params! {
    /// Parameters of [`MATCHING_PEOPLE`], `?1..?1` in order.
    MATCHING_PEOPLE => MatchingPeople<'a> { user_ids: &'a str }
}

/// Each user's record (M7 `history`): proposals answered, accepted,
/// completed, ratings.
///
/// Params: ?1 user ids (JSON array).
pub const MATCH_HISTORY_FOR_USERS: &str = "\
SELECT user_id, count(DISTINCT match_id) AS proposals,
       sum(outcome = 'accepted') AS accepted, sum(outcome = 'completed') AS completed,
       coalesce(sum(rating), 0) AS rating_sum, count(rating) AS ratings
FROM matching_analytics
WHERE user_id IN (SELECT value FROM json_each(?1))
GROUP BY user_id";
params! {
    /// Parameters of [`MATCH_HISTORY_FOR_USERS`], `?1..?1` in order.
    MATCH_HISTORY_FOR_USERS => MatchHistoryForUsers<'a> { user_ids: &'a str }
}

/// Declines among a set of users since a time (M11), latest per pair.
///
/// Params: ?1 user ids (JSON array), ?2 since ms.
pub const MATCH_DECLINES_AMONG: &str = "\
SELECT user_id, peer_user_id, max(created_at) AS declined_at
FROM matching_analytics
WHERE user_id IN (SELECT value FROM json_each(?1))
  AND peer_user_id IN (SELECT value FROM json_each(?1))
  AND outcome = 'declined' AND created_at >= ?2
GROUP BY user_id, peer_user_id";
params! {
    /// Parameters of [`MATCH_DECLINES_AMONG`], `?1..?2` in order.
    MATCH_DECLINES_AMONG => MatchDeclinesAmong<'a> { user_ids: &'a str, since_ms: i64 }
}

/// The current learned weights (M10), if any were learned.
pub const MATCHING_WEIGHTS_GET: &str = "SELECT weights, updates FROM matching_weights WHERE id = 1";
params! {
    /// Parameters of [`MATCHING_WEIGHTS_GET`] (none).
    MATCHING_WEIGHTS_GET => MatchingWeightsGet {}
}

/// Store learned weights, guarded by the update count read (`?3`; -1 when
/// there was no row): a concurrent update makes this change nothing (the
/// very first write inserts whatever `?3` says).
///
/// Params: ?1 weights (JSON), ?2 now_ms, ?3 expected updates.
pub const MATCHING_WEIGHTS_PUT: &str = "\
INSERT INTO matching_weights (id, weights, updates, updated_at)
VALUES (1, ?1, 1, ?2)
ON CONFLICT (id) DO UPDATE SET weights = excluded.weights, updates = matching_weights.updates + 1,
  updated_at = excluded.updated_at
WHERE matching_weights.updates = ?3";
params! {
    /// Parameters of [`MATCHING_WEIGHTS_PUT`], `?1..?3` in order.
    MATCHING_WEIGHTS_PUT => MatchingWeightsPut<'a> { weights: &'a str, now_ms: i64, expected_updates: i64 }
}

/// One side's answer to a proposal (`accepted` or `declined`, M10, M11),
/// with the features and weights it was scored with. No meeting yet.
/// Retries collide on (match_id, user_id, outcome) and change nothing.
///
/// Params: ?1 id, ?2 match_id, ?3 user_id, ?4 peer_user_id, ?5 outcome, ?6 score,
/// ?7 features (JSON), ?8 weights (JSON), ?9 now_ms.
pub const MATCH_ANSWER_RECORD: &str = "\
INSERT INTO matching_analytics (id, match_id, user_id, peer_user_id, outcome, score, features, weights,
                                created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`MATCH_ANSWER_RECORD`], `?1..?9` in order.
    MATCH_ANSWER_RECORD => MatchAnswerRecord<'a> { id: &'a str, match_id: &'a str, user_id: &'a str, peer_user_id: &'a str, outcome: &'a str, score: f64, features: &'a str, weights: &'a str, now_ms: i64 }
}

/// The meeting a matched proposal scheduled (set once).
///
/// Params: ?1 id, ?2 meeting_id, ?3 now_ms.
pub const MATCHING_PROPOSAL_SET_MEETING: &str = "\
UPDATE matching_proposals SET meeting_id = ?2, updated_at = ?3
WHERE id = ?1 AND status = 'matched' AND meeting_id IS NULL";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_SET_MEETING`], `?1..?3` in order.
    MATCHING_PROPOSAL_SET_MEETING => MatchingProposalSetMeeting<'a> { id: &'a str, meeting_id: &'a str, now_ms: i64 }
}

/// Matched proposals whose meeting was never created (its creation failed
/// after the settle, M29), last touched before ?1, oldest first, bounded.
///
/// Params: ?1 touched before ms, ?2 limit.
pub const MATCHING_PROPOSAL_LIST_UNSCHEDULED: &str = "\
SELECT id, a_entry_id, a_user_id, b_entry_id, b_user_id, score, detail, starts_at, respond_by,
       status, meeting_id, created_at, updated_at
FROM matching_proposals
WHERE status = 'matched' AND meeting_id IS NULL AND updated_at <= ?1
ORDER BY updated_at
LIMIT ?2";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_LIST_UNSCHEDULED`], `?1..?2` in order.
    MATCHING_PROPOSAL_LIST_UNSCHEDULED => MatchingProposalListUnscheduled { touched_before_ms: i64, limit: i64 }
}

/// Takes the lease to (re)create a matched proposal's meeting (M29): moves
/// `updated_at` from the value read to now, so of concurrent retries
/// exactly one changes the row and schedules.
///
/// Params: ?1 id, ?2 updated_at read, ?3 now_ms.
pub const MATCHING_PROPOSAL_LEASE_SCHEDULE: &str = "\
UPDATE matching_proposals SET updated_at = ?3
WHERE id = ?1 AND status = 'matched' AND meeting_id IS NULL AND updated_at = ?2";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_LEASE_SCHEDULE`], `?1..?3` in order.
    MATCHING_PROPOSAL_LEASE_SCHEDULE => MatchingProposalLeaseSchedule<'a> { id: &'a str, read_updated_at: i64, now_ms: i64 }
}

/// The waiting entries of a set of users whose window is still open
/// (M30: the people the vector index found for a cycle's seeds), at most
/// one per user (index `matching_queue_one_active`).
///
/// Params: ?1 user ids (JSON array), ?2 now_ms, ?3 limit.
pub const MATCHING_QUEUE_WAITING_AMONG: &str = "\
SELECT id, user_id, org_id, available_from, available_to, constraints, version
FROM matching_queue
WHERE status = 'waiting' AND user_id IN (SELECT value FROM json_each(?1)) AND available_to > ?2
LIMIT ?3";
params! {
    /// Parameters of [`MATCHING_QUEUE_WAITING_AMONG`], `?1..?3` in order.
    MATCHING_QUEUE_WAITING_AMONG => MatchingQueueWaitingAmong<'a> { user_ids: &'a str, now_ms: i64, limit: i64 }
}

/// The matched proposal whose meeting this is (M35: post-call signals).
///
/// Params: ?1 meeting_id.
pub const MATCHING_PROPOSAL_BY_MEETING: &str = "\
SELECT id, a_entry_id, a_user_id, b_entry_id, b_user_id, score, detail, starts_at, respond_by,
       status, meeting_id, created_at, updated_at
FROM matching_proposals WHERE meeting_id = ?1 AND status = 'matched'
LIMIT 1";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_BY_MEETING`], `?1..?1` in order.
    MATCHING_PROPOSAL_BY_MEETING => MatchingProposalByMeeting<'a> { meeting_id: &'a str }
}

/// The newest matched proposal between two users, either way round (M35:
/// a connection accepted between a matched pair).
///
/// Params: ?1 one user, ?2 the other.
pub const MATCHING_PROPOSAL_MATCHED_BETWEEN: &str = "\
SELECT id, a_entry_id, a_user_id, b_entry_id, b_user_id, score, detail, starts_at, respond_by,
       status, meeting_id, created_at, updated_at
FROM (
  SELECT * FROM matching_proposals WHERE a_user_id = ?1 AND b_user_id = ?2 AND status = 'matched'
  UNION ALL
  SELECT * FROM matching_proposals WHERE a_user_id = ?2 AND b_user_id = ?1 AND status = 'matched'
)
ORDER BY created_at DESC
LIMIT 1";
params! {
    /// Parameters of [`MATCHING_PROPOSAL_MATCHED_BETWEEN`], `?1..?2` in order.
    MATCHING_PROPOSAL_MATCHED_BETWEEN => MatchingProposalMatchedBetween<'a> { user_id: &'a str, peer_user_id: &'a str }
}

/// The insights job's matching signal rows (I35) of a meeting between two
/// users: each one's recommendation of the other (M35).
///
/// Params: ?1 "meeting:<meeting>:<b>" (a's row), ?2 "meeting:<meeting>:<a>" (b's row).
pub const MATCH_INSIGHT_SIGNALS_FOR_PAIR: &str = "\
SELECT user_id, peer_user_id, score, features
FROM matching_analytics
WHERE match_id IN (?1, ?2) AND outcome = 'completed'
LIMIT 4";
params! {
    /// Parameters of [`MATCH_INSIGHT_SIGNALS_FOR_PAIR`], `?1..?2` in order.
    MATCH_INSIGHT_SIGNALS_FOR_PAIR => MatchInsightSignalsForPair<'a> { a_match_id: &'a str, b_match_id: &'a str }
}

/// One post-call signal of a match for one user (M35: `met`,
/// `connected`, or `completed` from the insights), with the features and
/// weights the match was scored with. A signal is recorded once.
///
/// Params: ?1 id, ?2 match_id, ?3 user_id, ?4 peer_user_id, ?5 meeting_id, ?6 outcome,
/// ?7 score, ?8 rating, ?9 feedback (JSON), ?10 features (JSON), ?11 weights (JSON), ?12 now_ms.
pub const MATCH_SIGNAL_RECORD: &str = "\
INSERT INTO matching_analytics (id, match_id, user_id, peer_user_id, meeting_id, outcome, score, rating,
                                feedback, features, weights, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
ON CONFLICT DO NOTHING";
params! {
    /// Parameters of [`MATCH_SIGNAL_RECORD`], `?1..?12` in order.
    MATCH_SIGNAL_RECORD => MatchSignalRecord<'a> { id: &'a str, match_id: &'a str, user_id: &'a str, peer_user_id: &'a str, meeting_id: Option<&'a str>, outcome: &'a str, score: f64, rating: Option<i64>, feedback: &'a str, features: &'a str, weights: &'a str, now_ms: i64 }
}

/// Store learned weights for a post-call signal (M35): only if that
/// signal of that match is not recorded yet (put this before the signal's
/// rows in the same batch, so a retried job learns nothing twice), and
/// guarded by the update count read, as `MATCHING_WEIGHTS_PUT`.
///
/// Params: ?1 weights (JSON), ?2 now_ms, ?3 expected updates, ?4 match_id, ?5 outcome.
pub const MATCHING_WEIGHTS_PUT_FOR_SIGNAL: &str = "\
INSERT INTO matching_weights (id, weights, updates, updated_at)
SELECT 1, ?1, 1, ?2
WHERE NOT EXISTS (SELECT 1 FROM matching_analytics WHERE match_id = ?4 AND outcome = ?5)
ON CONFLICT (id) DO UPDATE SET weights = excluded.weights, updates = matching_weights.updates + 1,
  updated_at = excluded.updated_at
WHERE matching_weights.updates = ?3";
params! {
    /// Parameters of [`MATCHING_WEIGHTS_PUT_FOR_SIGNAL`], `?1..?5` in order.
    MATCHING_WEIGHTS_PUT_FOR_SIGNAL => MatchingWeightsPutForSignal<'a> { weights: &'a str, now_ms: i64, expected_updates: i64, match_id: &'a str, outcome: &'a str }
}
