//! What goes into a user's privacy export (rule P11 of `docs/privacy.md`).
//! The export job pages through each set with keyset pagination
//! ([`super::export_run`], which owns each set's statements), writes the
//! JSON document `{ …, "data": { "<data set>": [rows…], … } }` to R2, and
//! stores its key on the `data_export_requests` row.
//!
//! Only the user's own rows go in: their account and profile, memberships,
//! the chat messages and notes ops they wrote, the transcript lines they
//! spoke, their prompt reactions, insights, notifications, consents,
//! matching outcomes, connections, and the audit rows where they are the
//! actor. Other people's words in the same meetings are not theirs to take.

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

    #[test]
    fn p11_every_data_set_has_its_own_key_and_the_url_lasts_30_days() {
        // That every set's statement binds the user is
        // `export_run::tests::p30_every_read_binds_the_user_and_walks_every_set`.
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
