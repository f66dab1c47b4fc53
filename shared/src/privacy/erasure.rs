//! The erasure plan (rules P6–P9 of `docs/privacy.md`): the statements that
//! erase one user, in order, for a queue job to run.
//!
//! - The user's rows in other people's meetings are renamed to a pseudonym
//!   (speaker labels, chat author, notes author, participant rows, organiser),
//!   whose `users` row is an inactive tombstone with no email or name: the
//!   soft-deleted account (P6).
//! - What is theirs alone is deleted: insights, embeddings, queue entries,
//!   notifications, prompt reactions, and finally the `users` row, whose
//!   cascade takes the profile, interests, connections, consents and
//!   anything left (P7).
//! - Audit logs are kept as they are: a legal requirement (P8).
//! - The plan is idempotent and resumable (P9): the pseudonym is derived
//!   from the user id with a server secret ([`pseudonym`]), every statement
//!   changes nothing once done, and the per-meeting renames run before the
//!   participant rows move, so a resumed job still finds the meetings (pass
//!   the meetings of the user id *and* of the pseudonym).
//! - A user under a legal hold is not erased (P10); the job waits.

use crate::matching::embed_plan::delete_source_embeddings;
use crate::matching::embedder::SourceType;
use crate::signature::{hmac_sha256, to_hex};
use crate::sql::privacy::{
    DeletionRequestComplete, ErasureDeleteInsights, ErasureDeleteNotifications,
    ErasureDeletePromptFeedback, ErasureDeleteQueueEntries, ErasureRenameInvitedBy,
    ErasureRenameMessages, ErasureRenameNoteOps, ErasureRenameNotesAuthor, ErasureRenameOrganizer,
    ErasureRenameParticipants, ErasureRenameReleasedHolds, ErasureRenameSegmentSpeaker,
    ErasureRenameTranscriptSpeaker, ErasureTombstoneInsert,
};
use crate::sql::users::UserDelete;
use crate::sql::Statement;

/// The prefix of every pseudonym; no WorkOS id starts with it.
pub const PSEUDONYM_PREFIX: &str = "erased_";

/// The default rows per bounded statement.
pub const DEFAULT_BATCH: i64 = 500;

/// The pseudonym of `user_id`: `erased_` and 32 hex digits of
/// HMAC-SHA256(secret, user id). Stable, so a resumed job renames to the
/// same id; not reversible without the secret.
pub fn pseudonym(secret: &[u8], user_id: &str) -> Option<String> {
    let tag = hmac_sha256(secret, &[b"connvo-erasure-v1\0", user_id.as_bytes()])?;
    Some(format!("{PSEUDONYM_PREFIX}{}", &to_hex(&tag)[..32]))
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub statement: Statement,
    /// `Some(limit)`: run again while `changes() == limit`.
    pub repeat_limit: Option<i64>,
}

/// Why a plan was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureError {
    EmptyUserId,
    /// The pseudonym is not an `erased_` id, or is the user's own id.
    BadPseudonym,
    /// P10: the user is under an active legal hold.
    LegalHold,
    BadBatch,
}

/// What the job knows when it plans.
#[derive(Debug, Clone)]
pub struct ErasureInput<'a> {
    pub request_id: &'a str,
    pub user_id: &'a str,
    pub pseudonym: &'a str,
    /// Every meeting the user took part in (memberships of `user_id` and of
    /// `pseudonym`, so a resumed job finds them too).
    pub meeting_ids: &'a [&'a str],
    /// Whether `LEGAL_HOLD_ACTIVE_FOR('user', user_id)` found a hold.
    pub under_legal_hold: bool,
    pub now_ms: i64,
    pub batch: i64,
}

/// The statements that erase the user, in the order they must run (P6–P10).
pub fn plan(input: &ErasureInput<'_>) -> Result<Vec<Step>, ErasureError> {
    let user = input.user_id;
    let alias = input.pseudonym;
    if user.is_empty() {
        return Err(ErasureError::EmptyUserId);
    }
    if !alias.starts_with(PSEUDONYM_PREFIX)
        || alias.len() <= PSEUDONYM_PREFIX.len()
        || alias == user
    {
        return Err(ErasureError::BadPseudonym);
    }
    if input.under_legal_hold {
        return Err(ErasureError::LegalHold);
    }
    let limit = input.batch;
    if !(1..=10_000).contains(&limit) {
        return Err(ErasureError::BadBatch);
    }
    let now = input.now_ms;
    let once = |statement: Statement| Step {
        statement,
        repeat_limit: None,
    };
    let bounded = |statement: Statement| Step {
        statement,
        repeat_limit: Some(limit),
    };

    let mut steps = vec![once(
        ErasureTombstoneInsert {
            pseudonym: alias,
            now_ms: now,
        }
        .statement(),
    )];
    for meeting_id in input.meeting_ids {
        steps.push(once(
            ErasureRenameTranscriptSpeaker {
                meeting_id,
                user_id: user,
                pseudonym: alias,
            }
            .statement(),
        ));
        steps.push(once(
            ErasureRenameSegmentSpeaker {
                meeting_id,
                user_id: user,
                pseudonym: alias,
                now_ms: now,
            }
            .statement(),
        ));
        steps.push(once(
            ErasureRenameNotesAuthor {
                meeting_id,
                user_id: user,
                pseudonym: alias,
            }
            .statement(),
        ));
    }
    steps.extend([
        bounded(
            ErasureRenameMessages {
                user_id: user,
                pseudonym: alias,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureRenameNoteOps {
                user_id: user,
                pseudonym: alias,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureRenameOrganizer {
                user_id: user,
                pseudonym: alias,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureRenameInvitedBy {
                user_id: user,
                pseudonym: alias,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureDeleteInsights {
                user_id: user,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureDeleteNotifications {
                user_id: user,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureDeleteQueueEntries {
                user_id: user,
                limit,
            }
            .statement(),
        ),
        bounded(
            ErasureDeletePromptFeedback {
                user_id: user,
                limit,
            }
            .statement(),
        ),
        once(delete_source_embeddings(SourceType::User, user)),
        once(delete_source_embeddings(SourceType::Profile, user)),
        once(
            ErasureRenameReleasedHolds {
                user_id: user,
                pseudonym: alias,
            }
            .statement(),
        ),
        bounded(
            ErasureRenameParticipants {
                user_id: user,
                pseudonym: alias,
                limit,
            }
            .statement(),
        ),
        once(UserDelete { id: user }.statement()),
        once(
            DeletionRequestComplete {
                id: input.request_id,
                now_ms: now,
            }
            .statement(),
        ),
    ]);
    Ok(steps)
}

/// Where a run resumes (P9): after the steps the last run recorded, when
/// the plan still has the length it had then; otherwise from the start
/// (every step is idempotent, so repeating one costs a no-op statement).
pub fn resume_at(steps_done: i64, steps_total: i64, plan_len: usize) -> usize {
    match (usize::try_from(steps_done), usize::try_from(steps_total)) {
        (Ok(done), Ok(total)) if total == plan_len && done <= plan_len => done,
        _ => 0,
    }
}

/// The step after `index` ran and changed `changes` rows: the same one
/// again while a bounded step fills its batch, else the next.
pub fn next_step(step: &Step, index: usize, changes: usize) -> usize {
    match step.repeat_limit {
        Some(limit) if i64::try_from(changes).unwrap_or(i64::MAX) >= limit => index,
        _ => index + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn input<'a>(meetings: &'a [&'a str]) -> ErasureInput<'a> {
        ErasureInput {
            request_id: "del_1",
            user_id: "user_a",
            pseudonym: "erased_0123456789abcdef0123456789abcdef",
            meeting_ids: meetings,
            under_legal_hold: false,
            now_ms: 1_000,
            batch: 100,
        }
    }

    fn names(steps: &[Step]) -> Vec<&'static str> {
        steps.iter().map(|s| s.statement.name).collect()
    }

    #[test]
    fn p6_p7_the_plan_renames_then_deletes_then_completes() {
        let steps = plan(&input(&["m1", "m2"])).unwrap();
        let n = names(&steps);
        assert_eq!(n[0], "ERASURE_TOMBSTONE_INSERT");
        assert_eq!(
            n.iter()
                .filter(|x| **x == "ERASURE_RENAME_SEGMENT_SPEAKER")
                .count(),
            2
        );
        let pos = |name: &str| n.iter().position(|x| *x == name).unwrap();
        // Per-meeting renames before the participant rows move (P9), the
        // users row last, then the request.
        assert!(pos("ERASURE_RENAME_NOTES_AUTHOR") < pos("ERASURE_RENAME_PARTICIPANTS"));
        assert!(pos("ERASURE_RENAME_PARTICIPANTS") < pos("USER_DELETE"));
        assert_eq!(*n.last().unwrap(), "DELETION_REQUEST_COMPLETE");
        for name in [
            "ERASURE_DELETE_INSIGHTS",
            "ERASURE_DELETE_NOTIFICATIONS",
            "ERASURE_DELETE_QUEUE_ENTRIES",
            "ERASURE_DELETE_PROMPT_FEEDBACK",
            "EMBEDDING_DELETE_FOR_SOURCE",
            "ERASURE_RENAME_MESSAGES",
            "ERASURE_RENAME_ORGANIZER",
        ] {
            assert!(n.contains(&name), "{name} missing");
        }
        let bounded = steps
            .iter()
            .find(|s| s.statement.name == "ERASURE_RENAME_MESSAGES")
            .unwrap();
        assert_eq!(bounded.repeat_limit, Some(100));
    }

    #[test]
    fn p9_a_run_resumes_where_the_last_one_stopped() {
        assert_eq!(resume_at(5, 20, 20), 5);
        assert_eq!(resume_at(5, 20, 23), 0, "the plan changed: from the start");
        assert_eq!(resume_at(0, 0, 20), 0);
        assert_eq!(resume_at(-1, 20, 20), 0);
        let steps = plan(&input(&["m1"])).unwrap();
        let bounded = steps.iter().position(|s| s.repeat_limit.is_some()).unwrap();
        assert_eq!(next_step(&steps[bounded], bounded, 100), bounded);
        assert_eq!(next_step(&steps[bounded], bounded, 99), bounded + 1);
        assert_eq!(next_step(&steps[0], 0, 1), 1);
        let holds = steps
            .iter()
            .position(|s| s.statement.name == "ERASURE_RENAME_RELEASED_HOLDS")
            .unwrap();
        assert!(
            holds
                < steps
                    .iter()
                    .position(|s| s.statement.name == "USER_DELETE")
                    .unwrap()
        );
    }

    #[test]
    fn p8_audit_logs_are_never_touched() {
        let steps = plan(&input(&["m1"])).unwrap();
        assert!(steps
            .iter()
            .all(|s| !s.statement.sql.contains("audit_logs")));
    }

    #[test]
    fn p9_pseudonyms_are_stable_secret_and_distinct() {
        let a = pseudonym(b"k", "user_a").unwrap();
        assert_eq!(a, pseudonym(b"k", "user_a").unwrap());
        assert_ne!(a, pseudonym(b"k", "user_b").unwrap());
        assert_ne!(a, pseudonym(b"other", "user_a").unwrap());
        assert!(a.starts_with(PSEUDONYM_PREFIX) && a.len() == PSEUDONYM_PREFIX.len() + 32);
        assert!(!a.contains("user_a"));
        // The plan binds the pseudonym, never the user id, as the new value.
        let steps = plan(&input(&[])).unwrap();
        let rename = steps
            .iter()
            .find(|s| s.statement.name == "ERASURE_RENAME_MESSAGES")
            .unwrap();
        assert_eq!(
            rename.statement.params[1],
            SqlValue::Text(input(&[]).pseudonym.into())
        );
    }

    #[test]
    fn p10_a_held_user_is_not_erased_and_bad_input_is_refused() {
        let mut held = input(&[]);
        held.under_legal_hold = true;
        assert_eq!(plan(&held), Err(ErasureError::LegalHold));
        let mut bad = input(&[]);
        bad.pseudonym = "user_a";
        assert_eq!(plan(&bad), Err(ErasureError::BadPseudonym));
        let mut bad = input(&[]);
        bad.user_id = "";
        assert_eq!(plan(&bad), Err(ErasureError::EmptyUserId));
        let mut bad = input(&[]);
        bad.batch = 0;
        assert_eq!(plan(&bad), Err(ErasureError::BadBatch));
    }
}
