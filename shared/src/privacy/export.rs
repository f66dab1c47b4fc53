//! What goes into a user's privacy export (rule P11 of `docs/privacy.md`),
//! and the first-page statement of each data set. The export job pages
//! through each set (the statements are keyset-paginated), writes the JSON
//! document `{ "<data set>": [rows…], … }` to R2, and stores its key on the
//! `data_export_requests` row.
//!
//! Only the user's own rows go in: their account and profile, memberships,
//! the chat messages and notes ops they wrote, the transcript lines they
//! spoke, their prompt reactions, insights, notifications, consents,
//! matching outcomes, connections, and the audit rows where they are the
//! actor. Other people's words in the same meetings are not theirs to take.

use crate::sql::audit::AuditListByActor;
use crate::sql::connections::ConnectionListAccepted;
use crate::sql::insights::InsightListForUser;
use crate::sql::matching::MatchOutcomeListForUser;
use crate::sql::notifications::NotificationListForUser;
use crate::sql::privacy::{
    ConsentListForUser, ExportMemberships, ExportMessagesByUser, ExportNoteOpsByAuthor,
    ExportTranscriptBySpeaker,
};
use crate::sql::profiles::{ProfileGet, UserInterestListForUser};
use crate::sql::prompts::PromptFeedbackListForUser;
use crate::sql::users::UserGet;
use crate::sql::Statement;

/// The data sets of an export, in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSet {
    Account,
    Profile,
    Interests,
    Memberships,
    Messages,
    NoteOps,
    /// Per meeting: one statement for each of the user's meetings.
    TranscriptLines,
    PromptReactions,
    Insights,
    Notifications,
    Consents,
    MatchOutcomes,
    Connections,
    AuditRows,
}

impl DataSet {
    pub const ALL: [DataSet; 14] = [
        DataSet::Account,
        DataSet::Profile,
        DataSet::Interests,
        DataSet::Memberships,
        DataSet::Messages,
        DataSet::NoteOps,
        DataSet::TranscriptLines,
        DataSet::PromptReactions,
        DataSet::Insights,
        DataSet::Notifications,
        DataSet::Consents,
        DataSet::MatchOutcomes,
        DataSet::Connections,
        DataSet::AuditRows,
    ];

    /// The key of the set in the export document.
    pub fn key(self) -> &'static str {
        match self {
            DataSet::Account => "account",
            DataSet::Profile => "profile",
            DataSet::Interests => "interests",
            DataSet::Memberships => "memberships",
            DataSet::Messages => "messages",
            DataSet::NoteOps => "note_ops",
            DataSet::TranscriptLines => "transcript_lines",
            DataSet::PromptReactions => "prompt_reactions",
            DataSet::Insights => "insights",
            DataSet::Notifications => "notifications",
            DataSet::Consents => "consents",
            DataSet::MatchOutcomes => "match_outcomes",
            DataSet::Connections => "connections",
            DataSet::AuditRows => "audit_rows",
        }
    }

    /// The first page of this set for `user_id` (for [`DataSet::TranscriptLines`],
    /// one statement per meeting in `meeting_ids`; for the others the list
    /// has one statement). Later pages rebind the statement's cursor.
    pub fn first_pages(self, user_id: &str, meeting_ids: &[&str], limit: i64) -> Vec<Statement> {
        const NEWEST: i64 = i64::MAX;
        match self {
            DataSet::Account => vec![UserGet { id: user_id }.statement()],
            DataSet::Profile => vec![ProfileGet { user_id }.statement()],
            DataSet::Interests => vec![UserInterestListForUser { user_id }.statement()],
            DataSet::Memberships => vec![ExportMemberships {
                user_id,
                after_meeting_id: "",
                limit,
            }
            .statement()],
            DataSet::Messages => vec![ExportMessagesByUser {
                user_id,
                after_rowid: 0,
                limit,
            }
            .statement()],
            DataSet::NoteOps => vec![ExportNoteOpsByAuthor {
                user_id,
                after_rowid: 0,
                limit,
            }
            .statement()],
            DataSet::TranscriptLines => meeting_ids
                .iter()
                .map(|meeting_id| {
                    ExportTranscriptBySpeaker {
                        meeting_id,
                        user_id,
                        after_seq: -1,
                        limit,
                    }
                    .statement()
                })
                .collect(),
            DataSet::PromptReactions => {
                vec![PromptFeedbackListForUser {
                    user_id,
                    since_ms: 0,
                    limit,
                }
                .statement()]
            }
            DataSet::Insights => vec![InsightListForUser {
                user_id,
                before_created_at: NEWEST,
                before_id: "",
                limit,
            }
            .statement()],
            DataSet::Notifications => vec![NotificationListForUser {
                user_id,
                before_created_at: NEWEST,
                before_id: "",
                limit,
            }
            .statement()],
            DataSet::Consents => vec![ConsentListForUser { user_id, limit }.statement()],
            DataSet::MatchOutcomes => vec![MatchOutcomeListForUser { user_id, limit }.statement()],
            DataSet::Connections => vec![ConnectionListAccepted {
                user_id,
                before_updated_at: NEWEST,
                before_id: "",
                limit,
            }
            .statement()],
            DataSet::AuditRows => vec![AuditListByActor {
                actor_user_id: Some(user_id),
                from_ms: 0,
                before_created_at: NEWEST,
                before_id: "",
                limit,
            }
            .statement()],
        }
    }
}

/// Whether a new export may start (P12): not while a deletion of the same
/// user is open, and not while another export is open (the unique index
/// enforces the latter; this gives the route its answer first).
pub fn export_allowed(deletion_open: bool, export_open: bool) -> Result<(), &'static str> {
    if deletion_open {
        return Err("DELETION_IN_PROGRESS");
    }
    if export_open {
        return Err("EXPORT_IN_PROGRESS");
    }
    Ok(())
}

/// How long a finished export's signed URL lasts: 30 days (P11).
pub const EXPORT_URL_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    #[test]
    fn p11_every_data_set_is_scoped_to_the_user() {
        for set in DataSet::ALL {
            let pages = set.first_pages("user_a", &["m1", "m2"], 100);
            assert!(!pages.is_empty(), "{}", set.key());
            for statement in pages {
                assert!(
                    statement.params.contains(&SqlValue::Text("user_a".into())),
                    "{} does not bind the user",
                    statement.name
                );
            }
        }
        assert_eq!(
            DataSet::TranscriptLines
                .first_pages("u", &["m1", "m2"], 10)
                .len(),
            2
        );
        let keys: std::collections::BTreeSet<_> = DataSet::ALL.iter().map(|s| s.key()).collect();
        assert_eq!(keys.len(), DataSet::ALL.len());
        assert_eq!(EXPORT_URL_TTL_MS, crate::recordings::signed_url::MAX_TTL_MS);
    }

    #[test]
    fn p12_a_deletion_in_progress_blocks_an_export() {
        assert_eq!(export_allowed(true, false), Err("DELETION_IN_PROGRESS"));
        assert_eq!(export_allowed(false, true), Err("EXPORT_IN_PROGRESS"));
        assert_eq!(export_allowed(false, false), Ok(()));
    }
}
