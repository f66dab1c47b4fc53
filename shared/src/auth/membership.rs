//! Reconciling what a token says about the caller's organisation with what
//! WorkOS's webhooks have told us since.
//!
//! A token is a snapshot as of its `iat`, living ~5 minutes. A WorkOS
//! membership event (role lowered, membership removed) can arrive in
//! between. The rule, applied on every authenticated request:
//!
//! - if no membership event newer than the token was applied, the token's
//!   org and role stand;
//! - otherwise the newer event can only take privileges *away* before the
//!   token refreshes: the effective role is the lower of the token's and
//!   the stored one, and a removed membership (or one for another org)
//!   leaves no org admin rights at all.
//!
//! Promotions take effect with the next token, within minutes; demotions and
//! removals take effect at once.

use serde::Deserialize;

use crate::acl::OrgRole;

/// The user row as authentication reads it (`USER_GET_FOR_AUTH`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoredUser {
    pub id: String,
    pub org_id: Option<String>,
    pub org_role: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub is_active: i64,
    pub deleted_at: Option<i64>,
    pub membership_updated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl StoredUser {
    /// Deactivated or erased: no request is served for them.
    pub fn is_disabled(&self) -> bool {
        self.is_active == 0 || self.deleted_at.is_some()
    }
}

/// What the token claims about the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenMembership<'a> {
    pub org_id: Option<&'a str>,
    pub role: Option<&'a str>,
    pub roles: &'a [String],
    /// The token's `iat` in unix ms (0 when absent: then any event is newer).
    pub issued_at_ms: i64,
}

/// The org and role a request acts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub org_id: Option<String>,
    pub org_role: OrgRole,
}

fn lower(a: OrgRole, b: OrgRole) -> OrgRole {
    if a == OrgRole::Admin && b == OrgRole::Admin {
        OrgRole::Admin
    } else {
        OrgRole::Member
    }
}

/// Applies the module's rule. `stored` is the user's row, if read.
pub fn effective(token: TokenMembership<'_>, stored: Option<&StoredUser>) -> Effective {
    let token_role = OrgRole::from_workos(token.role, token.roles);
    let token_org = token.org_id.map(str::to_owned);
    let newer_event = stored.filter(|s| {
        s.membership_updated_at
            .is_some_and(|at| at > token.issued_at_ms)
    });
    let Some(stored) = newer_event else {
        return Effective {
            // A role means nothing without an org.
            org_role: if token_org.is_some() {
                token_role
            } else {
                OrgRole::Member
            },
            org_id: token_org,
        };
    };
    match (&token_org, &stored.org_id) {
        (Some(t), Some(s)) if t == s => Effective {
            org_role: lower(
                token_role,
                OrgRole::from_workos(stored.org_role.as_deref(), &[]),
            ),
            org_id: token_org,
        },
        // Removed from the org since the token, or the newest membership is
        // another org's: keep the org (the session is scoped to it) with no
        // admin rights; or no org at all when the row has none.
        (Some(_), Some(_)) => Effective {
            org_id: token_org,
            org_role: OrgRole::Member,
        },
        (_, None) | (None, _) => Effective {
            org_id: None,
            org_role: OrgRole::Member,
        },
    }
}

/// A cheap fingerprint of what the token would write, so an isolate that
/// upserted the same values recently can skip D1 entirely.
pub fn token_fingerprint(
    user_id: &str,
    org: Option<&str>,
    role: Option<&str>,
    email: Option<&str>,
) -> String {
    let part = |v: Option<&str>| {
        v.map(|s| format!("{}:{s}", s.len()))
            .unwrap_or_else(|| "-".to_owned())
    };
    format!(
        "{}|{}|{}|{}",
        part(Some(user_id)),
        part(org),
        part(role),
        part(email)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(org: Option<&str>, role: Option<&str>, at: Option<i64>) -> StoredUser {
        StoredUser {
            id: "u".into(),
            org_id: org.map(Into::into),
            org_role: role.map(Into::into),
            email: None,
            display_name: None,
            avatar_url: None,
            is_active: 1,
            deleted_at: None,
            membership_updated_at: at,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn token<'a>(org: Option<&'a str>, role: Option<&'a str>, iat: i64) -> TokenMembership<'a> {
        TokenMembership {
            org_id: org,
            role,
            roles: &[],
            issued_at_ms: iat,
        }
    }

    #[test]
    fn the_token_stands_without_a_newer_event() {
        let e = effective(
            token(Some("o"), Some("admin"), 1_000),
            Some(&stored(Some("o"), Some("member"), Some(500))),
        );
        assert_eq!(
            e,
            Effective {
                org_id: Some("o".into()),
                org_role: OrgRole::Admin
            }
        );
        let e = effective(token(Some("o"), Some("admin"), 1_000), None);
        assert_eq!(e.org_role, OrgRole::Admin);
        // An admin role without an org is no admin.
        let e = effective(token(None, Some("admin"), 1_000), None);
        assert_eq!(
            e,
            Effective {
                org_id: None,
                org_role: OrgRole::Member
            }
        );
    }

    #[test]
    fn a_newer_event_demotes_but_never_promotes() {
        let demoted = stored(Some("o"), Some("member"), Some(2_000));
        let e = effective(token(Some("o"), Some("admin"), 1_000), Some(&demoted));
        assert_eq!(e.org_role, OrgRole::Member);
        let promoted = stored(Some("o"), Some("admin"), Some(2_000));
        let e = effective(token(Some("o"), Some("member"), 1_000), Some(&promoted));
        assert_eq!(e.org_role, OrgRole::Member);
        let e = effective(token(Some("o"), Some("admin"), 1_000), Some(&promoted));
        assert_eq!(e.org_role, OrgRole::Admin);
    }

    #[test]
    fn a_newer_removal_drops_the_org() {
        let removed = stored(None, None, Some(2_000));
        let e = effective(token(Some("o"), Some("admin"), 1_000), Some(&removed));
        assert_eq!(
            e,
            Effective {
                org_id: None,
                org_role: OrgRole::Member
            }
        );
        let elsewhere = stored(Some("other"), Some("admin"), Some(2_000));
        let e = effective(token(Some("o"), Some("admin"), 1_000), Some(&elsewhere));
        assert_eq!(
            e,
            Effective {
                org_id: Some("o".into()),
                org_role: OrgRole::Member
            }
        );
    }

    #[test]
    fn fingerprints_separate_fields() {
        assert_ne!(
            token_fingerprint("u", Some("a|b"), None, None),
            token_fingerprint("u", Some("a"), Some("b"), None)
        );
        assert_eq!(
            token_fingerprint("u", None, None, None),
            token_fingerprint("u", None, None, None)
        );
    }
}
