//! Which new user each legacy account becomes (requirement 16.2): the
//! WorkOS user with the same email, matched case-insensitively; accounts
//! whose emails fold to the same address are one person, merged into the
//! oldest; an account WorkOS does not know is imported under a provisional
//! id and flagged. Pure: the WorkOS answer comes in as a map.

use std::collections::{BTreeMap, HashMap};

use crate::convert::{fold_email, provisional_user_id};
use crate::mapping::Identity;

/// What the reconciliation needs of a legacy account.
#[derive(Debug, Clone)]
pub struct Account {
    pub legacy_id: String,
    pub email: String,
    pub created_at_ms: i64,
}

/// The identity of every account. `workos` maps folded emails to WorkOS
/// user ids.
pub fn identities(
    accounts: &[Account],
    workos: &HashMap<String, String>,
) -> HashMap<String, Identity> {
    let mut groups: BTreeMap<String, Vec<&Account>> = BTreeMap::new();
    for a in accounts {
        groups.entry(fold_email(&a.email)).or_default().push(a);
    }
    let mut out = HashMap::new();
    for (email, mut group) in groups {
        // The oldest account is the person's; ties by id, so the choice is stable.
        group.sort_by(|a, b| (a.created_at_ms, &a.legacy_id).cmp(&(b.created_at_ms, &b.legacy_id)));
        let canonical = group[0];
        let new_id = workos.get(&email).cloned();
        let into = new_id
            .clone()
            .unwrap_or_else(|| provisional_user_id(&canonical.legacy_id));
        out.insert(
            canonical.legacy_id.clone(),
            match new_id {
                Some(id) => Identity::WorkOs(id),
                None => Identity::Provisional(into.clone()),
            },
        );
        for dup in &group[1..] {
            out.insert(
                dup.legacy_id.clone(),
                Identity::MergedInto {
                    canonical: canonical.legacy_id.clone(),
                    into: into.clone(),
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(id: &str, email: &str, at: i64) -> Account {
        Account {
            legacy_id: id.into(),
            email: email.into(),
            created_at_ms: at,
        }
    }

    #[test]
    fn accounts_match_workos_by_folded_email() {
        let workos = HashMap::from([("ana@example.com".to_owned(), "user_ana".to_owned())]);
        let ids = identities(&[acct("1", " Ana@Example.COM", 5)], &workos);
        assert_eq!(ids["1"], Identity::WorkOs("user_ana".into()));
    }

    #[test]
    fn duplicate_emails_merge_into_the_oldest_account() {
        let workos = HashMap::from([("ana@example.com".to_owned(), "user_ana".to_owned())]);
        let ids = identities(
            &[
                acct("2", "ANA@example.com", 20),
                acct("1", "ana@example.com", 10),
            ],
            &workos,
        );
        assert_eq!(ids["1"], Identity::WorkOs("user_ana".into()));
        assert_eq!(
            ids["2"],
            Identity::MergedInto {
                canonical: "1".into(),
                into: "user_ana".into()
            }
        );
    }

    #[test]
    fn unknown_emails_get_a_provisional_id_and_duplicates_follow_it() {
        let ids = identities(
            &[acct("b", "c@x.io", 1), acct("a", "C@x.io", 1)],
            &HashMap::new(),
        );
        assert_eq!(ids["a"], Identity::Provisional("legacy_a".into()));
        assert_eq!(
            ids["b"],
            Identity::MergedInto {
                canonical: "a".into(),
                into: "legacy_a".into()
            }
        );
    }
}
