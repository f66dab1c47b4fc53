//! `profiles`, `interests` and `user_interests`: what matching and pre-call
//! ideas read about a person.

use crate::params;

/// Params: ?1 user_id.
pub const PROFILE_GET: &str = "\
SELECT user_id, display_name, headline, bio, goals, experience, languages, skills, roles,
       created_at, updated_at
FROM profiles WHERE user_id = ?1";
params! {
    /// Parameters of [`PROFILE_GET`], `?1..?1` in order.
    PROFILE_GET => ProfileGet<'a> { user_id: &'a str }
}

/// Create or replace a profile. JSON params (?7 languages, ?8 skills, ?9 roles)
/// are arrays as text.
///
/// Params: ?1 user_id, ?2 display_name, ?3 headline, ?4 bio, ?5 goals, ?6 experience,
/// ?7 languages, ?8 skills, ?9 roles, ?10 now_ms.
pub const PROFILE_UPSERT: &str = "\
INSERT INTO profiles (user_id, display_name, headline, bio, goals, experience, languages, skills, roles,
                      created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
ON CONFLICT (user_id) DO UPDATE SET
  display_name = excluded.display_name,
  headline = excluded.headline,
  bio = excluded.bio,
  goals = excluded.goals,
  experience = excluded.experience,
  languages = excluded.languages,
  skills = excluded.skills,
  roles = excluded.roles,
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`PROFILE_UPSERT`], `?1..?10` in order.
    PROFILE_UPSERT => ProfileUpsert<'a> { user_id: &'a str, display_name: Option<&'a str>, headline: Option<&'a str>, bio: Option<&'a str>, goals: Option<&'a str>, experience: Option<&'a str>, languages: Option<&'a str>, skills: Option<&'a str>, roles: Option<&'a str>, now_ms: i64 }
}

/// Every member of a meeting with their profile, if they wrote one
/// (pre-call ideas, insights): a member without a profile row still counts,
/// named by their user row's display name, or their id. Bounded by the
/// meeting's membership.
///
/// Params: ?1 meeting_id.
pub const PROFILE_LIST_FOR_MEETING: &str = "\
SELECT mp.user_id, mp.role,
       coalesce(p.display_name, u.display_name, mp.user_id) AS display_name,
       p.headline, p.bio, p.goals, p.experience,
       coalesce(p.languages, '[]') AS languages, coalesce(p.skills, '[]') AS skills,
       coalesce(p.roles, '[]') AS roles
FROM meeting_participants mp
JOIN users u ON u.id = mp.user_id
LEFT JOIN profiles p ON p.user_id = mp.user_id
WHERE mp.meeting_id = ?1
ORDER BY mp.user_id
LIMIT 500";
params! {
    /// Parameters of [`PROFILE_LIST_FOR_MEETING`], `?1..?1` in order.
    PROFILE_LIST_FOR_MEETING => ProfileListForMeeting<'a> { meeting_id: &'a str }
}

/// Whether two users are members of one meeting (profile visibility).
///
/// Params: ?1 viewer user_id, ?2 target user_id.
pub const PROFILE_SHARES_MEETING: &str = "\
SELECT EXISTS (
  SELECT 1 FROM meeting_participants a
  JOIN meeting_participants b ON b.meeting_id = a.meeting_id AND b.user_id = ?2
  WHERE a.user_id = ?1
) AS shared";
params! {
    /// Parameters of [`PROFILE_SHARES_MEETING`], `?1..?2` in order.
    PROFILE_SHARES_MEETING => ProfileSharesMeeting<'a> { viewer_id: &'a str, target_id: &'a str }
}

/// Profiles changed since a point, oldest first (embedding backfill and
/// drift jobs). Keyset on (updated_at, user_id); first page: ?1 = since, ?2 = ''.
///
/// Params: ?1 after updated_at, ?2 after user_id, ?3 limit.
pub const PROFILE_LIST_UPDATED_SINCE: &str = "\
SELECT user_id, display_name, headline, bio, goals, experience, languages, skills, roles, updated_at
FROM profiles
WHERE (updated_at, user_id) > (?1, ?2)
ORDER BY updated_at, user_id
LIMIT ?3";
params! {
    /// Parameters of [`PROFILE_LIST_UPDATED_SINCE`], `?1..?3` in order.
    PROFILE_LIST_UPDATED_SINCE => ProfileListUpdatedSince<'a> { after_updated_at: i64, after_user_id: &'a str, limit: i64 }
}

/// Params: ?1 key, ?2 label, ?3 category, ?4 now_ms.
pub const INTEREST_UPSERT: &str = "\
INSERT INTO interests (key, label, category, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?4)
ON CONFLICT (key) DO UPDATE SET
  label = excluded.label,
  category = excluded.category,
  updated_at = excluded.updated_at
WHERE interests.label IS NOT excluded.label OR interests.category IS NOT excluded.category";
params! {
    /// Parameters of [`INTEREST_UPSERT`], `?1..?4` in order.
    INTEREST_UPSERT => InterestUpsert<'a> { key: &'a str, label: &'a str, category: &'a str, now_ms: i64 }
}

/// The taxonomy, keyset on key. First page: ?1 = ''.
///
/// Params: ?1 after key, ?2 limit.
pub const INTEREST_LIST: &str = "\
SELECT key, label, category FROM interests
WHERE key > ?1
ORDER BY key
LIMIT ?2";
params! {
    /// Parameters of [`INTEREST_LIST`], `?1..?2` in order.
    INTEREST_LIST => InterestList<'a> { after_key: &'a str, limit: i64 }
}

/// Params: ?1 category, ?2 after key ('' for the first page), ?3 limit.
pub const INTEREST_LIST_BY_CATEGORY: &str = "\
SELECT key, label, category FROM interests
WHERE category = ?1 AND key > ?2
ORDER BY key
LIMIT ?3";
params! {
    /// Parameters of [`INTEREST_LIST_BY_CATEGORY`], `?1..?3` in order.
    INTEREST_LIST_BY_CATEGORY => InterestListByCategory<'a> { category: &'a str, after_key: &'a str, limit: i64 }
}

/// Params: ?1 user_id, ?2 interest key, ?3 now_ms.
pub const USER_INTEREST_ADD: &str = "\
INSERT INTO user_interests (user_id, interest_key, created_at)
VALUES (?1, ?2, ?3)
ON CONFLICT (user_id, interest_key) DO NOTHING";
params! {
    /// Parameters of [`USER_INTEREST_ADD`], `?1..?3` in order.
    USER_INTEREST_ADD => UserInterestAdd<'a> { user_id: &'a str, interest_key: &'a str, now_ms: i64 }
}

/// Params: ?1 user_id, ?2 interest key.
pub const USER_INTEREST_REMOVE: &str = "\
DELETE FROM user_interests WHERE user_id = ?1 AND interest_key = ?2";
params! {
    /// Parameters of [`USER_INTEREST_REMOVE`], `?1..?2` in order.
    USER_INTEREST_REMOVE => UserInterestRemove<'a> { user_id: &'a str, interest_key: &'a str }
}

/// Replace-all helper: batch this, then one [`USER_INTEREST_ADD`] per interest.
///
/// Params: ?1 user_id.
pub const USER_INTEREST_CLEAR: &str = "DELETE FROM user_interests WHERE user_id = ?1";
params! {
    /// Parameters of [`USER_INTEREST_CLEAR`], `?1..?1` in order.
    USER_INTEREST_CLEAR => UserInterestClear<'a> { user_id: &'a str }
}

/// Params: ?1 user_id.
pub const USER_INTEREST_LIST_FOR_USER: &str = "\
SELECT i.key, i.label, i.category
FROM user_interests ui
JOIN interests i ON i.key = ui.interest_key
WHERE ui.user_id = ?1
ORDER BY i.key
LIMIT 200";
params! {
    /// Parameters of [`USER_INTEREST_LIST_FOR_USER`], `?1..?1` in order.
    USER_INTEREST_LIST_FOR_USER => UserInterestListForUser<'a> { user_id: &'a str }
}

/// The interests of every member of a meeting (pre-call ideas, insights).
///
/// Params: ?1 meeting_id.
pub const USER_INTEREST_LIST_FOR_MEETING: &str = "\
SELECT ui.user_id, i.key, i.label, i.category
FROM meeting_participants mp
JOIN user_interests ui ON ui.user_id = mp.user_id
JOIN interests i ON i.key = ui.interest_key
WHERE mp.meeting_id = ?1
ORDER BY ui.user_id, i.key
LIMIT 5000";
params! {
    /// Parameters of [`USER_INTEREST_LIST_FOR_MEETING`], `?1..?1` in order.
    USER_INTEREST_LIST_FOR_MEETING => UserInterestListForMeeting<'a> { meeting_id: &'a str }
}

/// Users sharing an interest (matching candidates), keyset on user_id.
///
/// Params: ?1 interest key, ?2 after user_id ('' first), ?3 limit.
pub const USER_INTEREST_LIST_USERS: &str = "\
SELECT user_id FROM user_interests
WHERE interest_key = ?1 AND user_id > ?2
ORDER BY user_id
LIMIT ?3";
params! {
    /// Parameters of [`USER_INTEREST_LIST_USERS`], `?1..?3` in order.
    USER_INTEREST_LIST_USERS => UserInterestListUsers<'a> { interest_key: &'a str, after_user_id: &'a str, limit: i64 }
}
