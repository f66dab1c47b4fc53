//! `prompts` (pre-call and in-call conversation prompts) and `prompt_feedback`
//! (each participant's reaction, the relevance signal).

use crate::params;

/// Insert a generated prompt. AI jobs are retried: a prompt whose
/// (meeting_id, dedupe_key) exists changes nothing.
///
/// Params: ?1 id, ?2 meeting_id, ?3 type ('precall' | 'incall'), ?4 content, ?5 tags (JSON array),
/// ?6 relevance (0..1), ?7 source, ?8 trigger_reason, ?9 dedupe_key, ?10 request_hash, ?11 now_ms.
pub const PROMPT_INSERT: &str = "\
INSERT INTO prompts (id, meeting_id, type, content, tags, relevance, source, trigger_reason, dedupe_key,
                     request_hash, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
ON CONFLICT (meeting_id, dedupe_key) DO NOTHING";
params! {
    /// Parameters of [`PROMPT_INSERT`], `?1..?11` in order.
    PROMPT_INSERT => PromptInsert<'a> { id: &'a str, meeting_id: &'a str, kind: &'a str, content: &'a str, tags: &'a str, relevance: f64, source: &'a str, trigger_reason: Option<&'a str>, dedupe_key: Option<&'a str>, request_hash: Option<&'a str>, now_ms: i64 }
}

/// Promote a pre-call prompt into the call, keeping provenance
/// (`source_prompt_id`). Promoting twice changes nothing.
///
/// Params: ?1 new id, ?2 meeting_id, ?3 source prompt id, ?4 now_ms.
pub const PROMPT_PROMOTE: &str = "\
INSERT INTO prompts (id, meeting_id, type, content, tags, relevance, source, source_prompt_id, dedupe_key,
                     created_at, updated_at)
SELECT ?1, meeting_id, 'incall', content, tags, relevance, 'promoted', id, 'promote:' || id, ?4, ?4
FROM prompts
WHERE id = ?3 AND meeting_id = ?2 AND type = 'precall'
ON CONFLICT (meeting_id, dedupe_key) DO NOTHING";
params! {
    /// Parameters of [`PROMPT_PROMOTE`], `?1..?4` in order.
    PROMPT_PROMOTE => PromptPromote<'a> { new_id: &'a str, meeting_id: &'a str, source_prompt_id: &'a str, now_ms: i64 }
}

/// When a meeting starts: its best pre-call prompts become in-call ones,
/// keeping provenance (`source_prompt_id`, `request_hash`), with the id
/// `<source id>_in`. Only while the meeting is active (so a start that lost
/// a race promotes nothing); promoting twice changes nothing.
///
/// Params: ?1 meeting_id, ?2 limit, ?3 now_ms.
pub const PROMPT_PROMOTE_ON_START: &str = "\
INSERT INTO prompts (id, meeting_id, type, content, tags, relevance, source, source_prompt_id, dedupe_key,
                     request_hash, created_at, updated_at)
SELECT p.id || '_in', p.meeting_id, 'incall', p.content, p.tags, p.relevance, 'promoted', p.id,
       'promote:' || p.id, p.request_hash, ?3, ?3
FROM prompts p
WHERE p.meeting_id = ?1 AND p.type = 'precall'
  AND EXISTS (SELECT 1 FROM meetings m WHERE m.id = ?1 AND m.state = 'active')
ORDER BY p.relevance DESC, p.id
LIMIT ?2
ON CONFLICT (meeting_id, dedupe_key) DO NOTHING";
params! {
    /// Parameters of [`PROMPT_PROMOTE_ON_START`], `?1..?3` in order.
    PROMPT_PROMOTE_ON_START => PromptPromoteOnStart<'a> { meeting_id: &'a str, limit: i64, now_ms: i64 }
}

/// How many prompts of a type one generation (its request hash) stored:
/// a retried job finds its earlier result.
///
/// Params: ?1 meeting_id, ?2 type, ?3 request_hash.
pub const PROMPT_COUNT_FOR_REQUEST: &str = "\
SELECT count(*) AS n FROM prompts WHERE meeting_id = ?1 AND type = ?2 AND request_hash = ?3";
params! {
    /// Parameters of [`PROMPT_COUNT_FOR_REQUEST`], `?1..?3` in order.
    PROMPT_COUNT_FOR_REQUEST => PromptCountForRequest<'a> { meeting_id: &'a str, kind: &'a str, request_hash: &'a str }
}

/// Pre-call prompts of an earlier generation (other participants, other
/// profiles), replaced by the current one. Promoted copies keep their
/// content (their `source_prompt_id` becomes NULL).
///
/// Params: ?1 meeting_id, ?2 current request_hash.
pub const PROMPT_DELETE_STALE_PRECALL: &str = "\
DELETE FROM prompts
WHERE meeting_id = ?1 AND type = 'precall' AND (request_hash IS NULL OR request_hash <> ?2)";
params! {
    /// Parameters of [`PROMPT_DELETE_STALE_PRECALL`], `?1..?2` in order.
    PROMPT_DELETE_STALE_PRECALL => PromptDeleteStalePrecall<'a> { meeting_id: &'a str, request_hash: &'a str }
}

/// Params: ?1 id.
pub const PROMPT_GET: &str = "\
SELECT id, meeting_id, type, content, tags, relevance, source, trigger_reason, source_prompt_id,
       used_at, feedback, feedback_at, created_at, updated_at
FROM prompts WHERE id = ?1";
params! {
    /// Parameters of [`PROMPT_GET`], `?1..?1` in order.
    PROMPT_GET => PromptGet<'a> { id: &'a str }
}

/// A meeting's prompts of one type, oldest first (the live list; resume with
/// the last row). First page: ?3 = -1, ?4 = ''.
///
/// Params: ?1 meeting_id, ?2 type, ?3 after created_at, ?4 after id, ?5 limit.
pub const PROMPT_LIST_BY_MEETING: &str = "\
SELECT id, meeting_id, type, content, tags, relevance, source, trigger_reason, source_prompt_id,
       used_at, feedback, feedback_at, created_at
FROM prompts
WHERE meeting_id = ?1 AND type = ?2 AND (created_at, id) > (?3, ?4)
ORDER BY created_at, id
LIMIT ?5";
params! {
    /// Parameters of [`PROMPT_LIST_BY_MEETING`], `?1..?5` in order.
    PROMPT_LIST_BY_MEETING => PromptListByMeeting<'a> { meeting_id: &'a str, kind: &'a str, after_created_at: i64, after_id: &'a str, limit: i64 }
}

/// The most relevant prompts of a type (pre-call agenda; AI-outage fallback).
///
/// Params: ?1 meeting_id, ?2 type, ?3 limit.
pub const PROMPT_TOP_BY_RELEVANCE: &str = "\
SELECT id, meeting_id, type, content, tags, relevance, source, used_at, feedback, created_at
FROM prompts
WHERE meeting_id = ?1 AND type = ?2
ORDER BY relevance DESC
LIMIT ?3";
params! {
    /// Parameters of [`PROMPT_TOP_BY_RELEVANCE`], `?1..?3` in order.
    PROMPT_TOP_BY_RELEVANCE => PromptTopByRelevance<'a> { meeting_id: &'a str, kind: &'a str, limit: i64 }
}

/// The shared state of a prompt after a participant acts on it (`used` also
/// stamps `used_at` once).
///
/// Params: ?1 id, ?2 feedback ('used' | 'dismissed' | 'upvoted'), ?3 now_ms.
pub const PROMPT_SET_FEEDBACK: &str = "\
UPDATE prompts
SET feedback = ?2,
    feedback_at = ?3,
    used_at = CASE WHEN ?2 = 'used' THEN coalesce(used_at, ?3) ELSE used_at END,
    updated_at = ?3
WHERE id = ?1";
params! {
    /// Parameters of [`PROMPT_SET_FEEDBACK`], `?1..?3` in order.
    PROMPT_SET_FEEDBACK => PromptSetFeedback<'a> { id: &'a str, feedback: Option<&'a str>, now_ms: i64 }
}

/// One participant's reaction (last one wins).
///
/// Params: ?1 prompt_id, ?2 user_id, ?3 feedback, ?4 now_ms.
pub const PROMPT_FEEDBACK_UPSERT: &str = "\
INSERT INTO prompt_feedback (prompt_id, user_id, feedback, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?4)
ON CONFLICT (prompt_id, user_id) DO UPDATE SET
  feedback = excluded.feedback,
  updated_at = excluded.updated_at
WHERE prompt_feedback.feedback IS NOT excluded.feedback";
params! {
    /// Parameters of [`PROMPT_FEEDBACK_UPSERT`], `?1..?4` in order.
    PROMPT_FEEDBACK_UPSERT => PromptFeedbackUpsert<'a> { prompt_id: &'a str, user_id: &'a str, feedback: Option<&'a str>, now_ms: i64 }
}

/// Reaction counts per feedback kind for one prompt.
///
/// Params: ?1 prompt_id.
pub const PROMPT_FEEDBACK_COUNTS: &str = "\
SELECT feedback, count(*) AS n FROM prompt_feedback WHERE prompt_id = ?1 GROUP BY feedback";
params! {
    /// Parameters of [`PROMPT_FEEDBACK_COUNTS`], `?1..?1` in order.
    PROMPT_FEEDBACK_COUNTS => PromptFeedbackCounts<'a> { prompt_id: &'a str }
}

/// A user's recent reactions, newest first (relevance tuning per user).
///
/// Params: ?1 user_id, ?2 since ms, ?3 limit.
pub const PROMPT_FEEDBACK_LIST_FOR_USER: &str = "\
SELECT pf.prompt_id, pf.feedback, pf.created_at, p.type, p.tags, p.relevance
FROM prompt_feedback pf
JOIN prompts p ON p.id = pf.prompt_id
WHERE pf.user_id = ?1 AND pf.created_at >= ?2
ORDER BY pf.created_at DESC
LIMIT ?3";
params! {
    /// Parameters of [`PROMPT_FEEDBACK_LIST_FOR_USER`], `?1..?3` in order.
    PROMPT_FEEDBACK_LIST_FOR_USER => PromptFeedbackListForUser<'a> { user_id: &'a str, since_ms: i64, limit: i64 }
}
