//! `users`: identity rows keyed by the WorkOS user id (`sub`).

use crate::params;

/// Upsert the user seen in a verified access token, writing only when something
/// changed (a repeat login is a no-op write: `changes() == 0`).
///
/// Params: ?1 id (WorkOS `sub`), ?2 org_id, ?3 org_role, ?4 email, ?5 display_name,
/// ?6 avatar_url, ?7 now_ms. Org fields come from the token and always win
/// (NULL = no org). Email/display/avatar are optional claims: NULL keeps the
/// stored value. An erased user (`deleted_at` set) is never revived here.
/// Run it in one `batch` with [`USER_GET`] to read the row back.
pub const USER_UPSERT: &str = "\
INSERT INTO users (id, org_id, org_role, email, display_name, avatar_url, is_active, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)
ON CONFLICT (id) DO UPDATE SET
  org_id = excluded.org_id,
  org_role = excluded.org_role,
  email = COALESCE(excluded.email, users.email),
  display_name = COALESCE(excluded.display_name, users.display_name),
  avatar_url = COALESCE(excluded.avatar_url, users.avatar_url),
  updated_at = excluded.updated_at
WHERE users.deleted_at IS NULL
  AND (users.org_id IS NOT excluded.org_id
    OR users.org_role IS NOT excluded.org_role
    OR (excluded.email IS NOT NULL AND users.email IS NOT excluded.email)
    OR (excluded.display_name IS NOT NULL AND users.display_name IS NOT excluded.display_name)
    OR (excluded.avatar_url IS NOT NULL AND users.avatar_url IS NOT excluded.avatar_url))";
params! {
    /// Parameters of [`USER_UPSERT`], `?1..?7` in order.
    USER_UPSERT => UserUpsert<'a> { id: &'a str, org_id: Option<&'a str>, org_role: Option<&'a str>, email: Option<&'a str>, display_name: Option<&'a str>, avatar_url: Option<&'a str>, now_ms: i64 }
}

/// Params: ?1 id.
pub const USER_GET: &str = "\
SELECT id, org_id, org_role, email, display_name, avatar_url, is_active, last_seen_at, deleted_at,
       created_at, updated_at
FROM users WHERE id = ?1";
params! {
    /// Parameters of [`USER_GET`], `?1..?1` in order.
    USER_GET => UserGet<'a> { id: &'a str }
}

/// Apply a WorkOS `user.created` / `user.updated` event. Events arrive out of
/// order and are retried for days, so an event older than the last one applied
/// changes nothing.
///
/// Params: ?1 id, ?2 email, ?3 display_name, ?4 avatar_url, ?5 event `updated_at` (ms), ?6 now_ms.
pub const USER_APPLY_WORKOS_EVENT: &str = "\
INSERT INTO users (id, email, display_name, avatar_url, is_active, workos_updated_at, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?6)
ON CONFLICT (id) DO UPDATE SET
  email = excluded.email,
  display_name = excluded.display_name,
  avatar_url = excluded.avatar_url,
  workos_updated_at = excluded.workos_updated_at,
  updated_at = excluded.updated_at
WHERE users.deleted_at IS NULL
  AND (users.workos_updated_at IS NULL OR users.workos_updated_at < excluded.workos_updated_at)";
params! {
    /// Parameters of [`USER_APPLY_WORKOS_EVENT`], `?1..?6` in order.
    USER_APPLY_WORKOS_EVENT => UserApplyWorkosEvent<'a> { id: &'a str, email: Option<&'a str>, display_name: Option<&'a str>, avatar_url: Option<&'a str>, event_updated_at: i64, now_ms: i64 }
}

/// Apply a WorkOS `organization_membership.*` event (deleted: pass NULL org and
/// role). Ignored when older than the last membership event applied.
///
/// Params: ?1 user id, ?2 org_id, ?3 org_role, ?4 event `updated_at` (ms), ?5 now_ms.
pub const USER_APPLY_MEMBERSHIP_EVENT: &str = "\
UPDATE users
SET org_id = ?2, org_role = ?3, membership_updated_at = ?4, updated_at = ?5
WHERE id = ?1 AND deleted_at IS NULL
  AND (membership_updated_at IS NULL OR membership_updated_at < ?4)";
params! {
    /// Parameters of [`USER_APPLY_MEMBERSHIP_EVENT`], `?1..?5` in order.
    USER_APPLY_MEMBERSHIP_EVENT => UserApplyMembershipEvent<'a> { user_id: &'a str, org_id: Option<&'a str>, org_role: Option<&'a str>, event_updated_at: i64, now_ms: i64 }
}

/// Record activity, at most once per interval (keeps hot users from writing on
/// every request).
///
/// Params: ?1 id, ?2 now_ms, ?3 min interval ms.
pub const USER_TOUCH_LAST_SEEN: &str = "\
UPDATE users SET last_seen_at = ?2
WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at <= ?2 - ?3)";
params! {
    /// Parameters of [`USER_TOUCH_LAST_SEEN`], `?1..?3` in order.
    USER_TOUCH_LAST_SEEN => UserTouchLastSeen<'a> { id: &'a str, now_ms: i64, min_interval_ms: i64 }
}

/// Params: ?1 id, ?2 is_active (0/1), ?3 now_ms.
pub const USER_SET_ACTIVE: &str = "\
UPDATE users SET is_active = ?2, updated_at = ?3
WHERE id = ?1 AND deleted_at IS NULL AND is_active <> ?2";
params! {
    /// Parameters of [`USER_SET_ACTIVE`], `?1..?3` in order.
    USER_SET_ACTIVE => UserSetActive<'a> { id: &'a str, is_active: bool, now_ms: i64 }
}

/// Deactivate and scrub PII (WorkOS `user.deleted`, or the first step of an
/// erasure request). The row stays so foreign keys and audit references hold.
///
/// Params: ?1 id, ?2 now_ms.
pub const USER_SOFT_DELETE: &str = "\
UPDATE users
SET is_active = 0, deleted_at = ?2, email = NULL, display_name = NULL, avatar_url = NULL, updated_at = ?2
WHERE id = ?1 AND deleted_at IS NULL";
params! {
    /// Parameters of [`USER_SOFT_DELETE`], `?1..?2` in order.
    USER_SOFT_DELETE => UserSoftDelete<'a> { id: &'a str, now_ms: i64 }
}

/// Erase a user for good. Cascades to profile, interests, memberships,
/// connections, insights, queue entries, notifications and embeddings; authored
/// notes ops and messages keep their content with the author set NULL.
///
/// Params: ?1 id.
pub const USER_DELETE: &str = "DELETE FROM users WHERE id = ?1";
params! {
    /// Parameters of [`USER_DELETE`], `?1..?1` in order.
    USER_DELETE => UserDelete<'a> { id: &'a str }
}

/// Active members of an org, keyset on id. First page: ?2 = ''.
///
/// Params: ?1 org_id, ?2 after id, ?3 limit.
pub const USER_LIST_BY_ORG: &str = "\
SELECT id, org_id, org_role, email, display_name, avatar_url, last_seen_at
FROM users
WHERE org_id = ?1 AND is_active = 1 AND id > ?2
ORDER BY id
LIMIT ?3";
params! {
    /// Parameters of [`USER_LIST_BY_ORG`], `?1..?3` in order.
    USER_LIST_BY_ORG => UserListByOrg<'a> { org_id: Option<&'a str>, after_id: &'a str, limit: i64 }
}

/// Params: ?1 email.
pub const USER_FIND_BY_EMAIL: &str = "\
SELECT id, org_id, org_role, email, display_name, is_active
FROM users WHERE email = ?1 AND deleted_at IS NULL
LIMIT 10";
params! {
    /// Parameters of [`USER_FIND_BY_EMAIL`], `?1..?1` in order.
    USER_FIND_BY_EMAIL => UserFindByEmail<'a> { email: Option<&'a str> }
}

/// Upsert the user seen in a verified access token, writing only when
/// something changed. Unlike [`USER_UPSERT`], the token's org fields apply
/// only when the token is newer than the last WorkOS membership event
/// applied (`membership_updated_at`): a token minted before a demotion
/// must not undo it.
///
/// Params: ?1 id (WorkOS `sub`), ?2 org_id, ?3 org_role (the token's role slug),
/// ?4 email (NULL keeps the stored one), ?5 token `iat` in ms, ?6 now_ms.
/// An erased user (`deleted_at` set) is never revived. Batch it with
/// [`USER_GET_FOR_AUTH`].
pub const USER_UPSERT_FROM_TOKEN: &str = "\
INSERT INTO users (id, org_id, org_role, email, is_active, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, 1, ?6, ?6)
ON CONFLICT (id) DO UPDATE SET
  org_id = CASE WHEN users.membership_updated_at IS NULL OR users.membership_updated_at < ?5
                THEN excluded.org_id ELSE users.org_id END,
  org_role = CASE WHEN users.membership_updated_at IS NULL OR users.membership_updated_at < ?5
                  THEN excluded.org_role ELSE users.org_role END,
  email = COALESCE(excluded.email, users.email),
  updated_at = excluded.updated_at
WHERE users.deleted_at IS NULL
  AND (((users.membership_updated_at IS NULL OR users.membership_updated_at < ?5)
        AND (users.org_id IS NOT excluded.org_id OR users.org_role IS NOT excluded.org_role))
    OR (excluded.email IS NOT NULL AND users.email IS NOT excluded.email))";
params! {
    /// Parameters of [`USER_UPSERT_FROM_TOKEN`], `?1..?6` in order.
    USER_UPSERT_FROM_TOKEN => UserUpsertFromToken<'a> { id: &'a str, org_id: Option<&'a str>, org_role: Option<&'a str>, email: Option<&'a str>, token_iat_in_ms: i64, now_ms: u64 }
}

/// What authentication needs of a user row: state and the membership clock.
///
/// Params: ?1 id.
pub const USER_GET_FOR_AUTH: &str = "\
SELECT id, org_id, org_role, email, display_name, avatar_url, is_active, deleted_at,
       membership_updated_at, created_at, updated_at
FROM users WHERE id = ?1";
params! {
    /// Parameters of [`USER_GET_FOR_AUTH`], `?1..?1` in order.
    USER_GET_FOR_AUTH => UserGetForAuth<'a> { id: &'a str }
}

/// Apply a WorkOS `organization_membership.deleted` event (or a membership
/// that is no longer active): clear the org only if it is that org, and
/// only if no newer membership event was applied.
///
/// Params: ?1 user id, ?2 org_id, ?3 event `updated_at` (ms), ?4 now_ms.
pub const USER_CLEAR_MEMBERSHIP_EVENT: &str = "\
UPDATE users
SET org_id = NULL, org_role = NULL, membership_updated_at = ?3, updated_at = ?4
WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL
  AND (membership_updated_at IS NULL OR membership_updated_at < ?3)";
params! {
    /// Parameters of [`USER_CLEAR_MEMBERSHIP_EVENT`], `?1..?4` in order.
    USER_CLEAR_MEMBERSHIP_EVENT => UserClearMembershipEvent<'a> { user_id: &'a str, org_id: Option<&'a str>, event_updated_at: i64, now_ms: i64 }
}
