//! Data-processing consent as matching and embeddings see it (rule M27).
//!
//! **M27 — a withdrawn user is neither embedded nor matched.** Embedding a
//! user's text and proposing them to others is data processing (privacy
//! rule P3, [`processing_allowed`]): allowed unless the user's newest
//! `data_processing` event in `user_consents` is a withdrawal. A cycle
//! loads those events for exactly the users it scores
//! (`CONSENT_PROCESSING_AMONG`) and drops the withdrawn ones before scoring
//! (like a deleted user); entering the queue is refused by the privacy
//! rule P21 (`privacy::consent_routes::processing_gate`: 403 `FORBIDDEN`,
//! `details.reason = "DATA_PROCESSING_WITHDRAWN"`); an embed job for
//! a withdrawn user's source deletes its embeddings instead of writing one.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::privacy::consent::{processing_allowed, ConsentEvent, ConsentType};

/// A row of `CONSENT_PROCESSING_AMONG` (or of `CONSENT_LIST_FOR_USER`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConsentRow {
    pub user_id: String,
    pub consent_type: String,
    pub version: String,
    pub consented: i64,
    pub created_at: i64,
}

impl ConsentRow {
    fn event(&self) -> Option<ConsentEvent> {
        Some(ConsentEvent {
            consent_type: ConsentType::parse(&self.consent_type)?,
            version: self.version.clone(),
            consented: self.consented != 0,
            at_ms: self.created_at,
        })
    }
}

/// M27: the users among `rows` whose newest data-processing event is a
/// withdrawal. A user with no row is not in the set (processing is opt-out).
pub fn processing_withdrawn(rows: &[ConsentRow]) -> BTreeSet<String> {
    let mut by_user: BTreeMap<&str, Vec<ConsentEvent>> = BTreeMap::new();
    for row in rows {
        if let Some(event) = row.event() {
            by_user.entry(row.user_id.as_str()).or_default().push(event);
        }
    }
    by_user
        .into_iter()
        .filter(|(_, events)| !processing_allowed(events))
        .map(|(user, _)| user.to_owned())
        .collect()
}

/// M27: whether one user's data may be processed, from their consent rows.
pub fn user_may_be_processed(user_id: &str, rows: &[ConsentRow]) -> bool {
    !processing_withdrawn(rows).contains(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: &str, kind: &str, consented: bool, at: i64) -> ConsentRow {
        ConsentRow {
            user_id: user.into(),
            consent_type: kind.into(),
            version: "1".into(),
            consented: i64::from(consented),
            created_at: at,
        }
    }

    #[test]
    fn m27_newest_data_processing_withdrawal_excludes_the_user() {
        let rows = [
            row("ann", "data_processing", true, 1),
            row("ann", "data_processing", false, 2),
            row("bob", "data_processing", false, 1),
            row("bob", "data_processing", true, 3),
            row("cat", "recording", false, 5),
            row("dan", "data_processing", true, 4),
            row("dan", "data_processing", false, 4),
        ];
        let out = processing_withdrawn(&rows);
        assert_eq!(
            out.into_iter().collect::<Vec<_>>(),
            vec!["ann".to_owned(), "dan".to_owned()]
        );
        assert!(!user_may_be_processed("ann", &rows));
        assert!(user_may_be_processed("bob", &rows));
        assert!(user_may_be_processed("cat", &rows));
        assert!(user_may_be_processed("eve", &[]));
    }
}
