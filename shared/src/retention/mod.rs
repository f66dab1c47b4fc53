//! Retention, the pure plan (rules P13–P18 and P22–P25 of `docs/privacy.md`).
//!
//! The schedule (docs/data-model.md, "Retention") says how long each class of data
//! lives; [`plan`] turns it, the per-org overrides (organisations' storage
//! policies, [`storage_policy`]) and `now` into
//! bounded delete statements, and [`RetentionRun`] drives them: run the
//! next statement, report D1's `changes()`, repeat while a batch came back
//! full, and stop at the run's statement budget. The run's [`Report`] counts
//! what each class lost.
//!
//! Every delete of personal content is hold-aware
//! (`crate::sql::legal_holds::RETENTION_HELD_PURGE_*`): rows of a held
//! meeting, of a held user, or of a meeting a held user took part in are
//! never deleted (P15), and the check runs inside each statement, so a hold
//! placed mid-run counts from the next batch. Finished matching-queue
//! entries and expired idempotency keys are operational data and use the
//! plain purges.

pub mod holds;
pub mod storage_policy;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sql::idempotency::IdempotencyPurgeExpired;
use crate::sql::legal_holds::{
    RetentionHeldPurgeAuditLogs, RetentionHeldPurgeInsights, RetentionHeldPurgeMeetingNotes,
    RetentionHeldPurgeMessages, RetentionHeldPurgeMessagesForOrg, RetentionHeldPurgeNoteOps,
    RetentionHeldPurgeNotifications, RetentionHeldPurgePrompts, RetentionHeldPurgeRecordings,
    RetentionHeldPurgeRecordingsForOrg, RetentionHeldPurgeTranscriptSegments,
    RetentionHeldPurgeTranscripts,
};
use crate::sql::retention::RetentionPurgeMatchingQueue;
use crate::sql::storage_policies::RetentionRunPurge;
use crate::sql::Statement;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A class of data with its own retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    TranscriptChunks,
    TranscriptSegments,
    NoteOps,
    Notes,
    Messages,
    Prompts,
    Insights,
    AuditLogs,
    Notifications,
    MatchingQueue,
    IdempotencyKeys,
    /// Recording files (`meeting_recordings`, 0016): kept unless a storage
    /// policy says otherwise (P22).
    Recordings,
    /// The retention runs' own counters (`retention_runs`, 0016).
    RetentionRuns,
}

impl DataClass {
    pub const ALL: [DataClass; 13] = [
        DataClass::TranscriptChunks,
        DataClass::TranscriptSegments,
        DataClass::NoteOps,
        DataClass::Notes,
        DataClass::Messages,
        DataClass::Prompts,
        DataClass::Insights,
        DataClass::AuditLogs,
        DataClass::Notifications,
        DataClass::MatchingQueue,
        DataClass::IdempotencyKeys,
        DataClass::Recordings,
        DataClass::RetentionRuns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::TranscriptChunks => "transcript_chunks",
            DataClass::TranscriptSegments => "transcript_segments",
            DataClass::NoteOps => "note_ops",
            DataClass::Notes => "notes",
            DataClass::Messages => "messages",
            DataClass::Prompts => "prompts",
            DataClass::Insights => "insights",
            DataClass::AuditLogs => "audit_logs",
            DataClass::Notifications => "notifications",
            DataClass::MatchingQueue => "matching_queue",
            DataClass::IdempotencyKeys => "idempotency_keys",
            DataClass::Recordings => "recordings",
            DataClass::RetentionRuns => "retention_runs",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The section 14 default, in days (P13); `None` = kept. Idempotency
    /// keys carry their own expiry, so their "days" is 0: delete once
    /// expired. Recordings are not in section 14 and stay until an
    /// organisation's storage policy deletes them (P22).
    pub fn default_days(self) -> Option<u32> {
        Some(match self {
            DataClass::TranscriptChunks => 90,
            DataClass::TranscriptSegments => 365,
            DataClass::NoteOps => 90,
            DataClass::Notes => 365,
            DataClass::Messages => 90,
            DataClass::Prompts => 365,
            DataClass::Insights => 365,
            DataClass::AuditLogs => 365,
            DataClass::Notifications => 90,
            DataClass::MatchingQueue => 30,
            DataClass::IdempotencyKeys => 0,
            DataClass::Recordings => return None,
            DataClass::RetentionRuns => 30,
        })
    }

    /// Classes an organisation's storage policy may override (P22): those
    /// whose purge can be narrowed to one organisation's meetings.
    pub fn per_org(self) -> bool {
        matches!(self, DataClass::Messages | DataClass::Recordings)
    }

    /// The days an operator may configure (P14): raw transcript chunks
    /// 30–90; audit logs at least a year; everything else 1 day to 10
    /// years; idempotency keys are not configurable.
    pub fn allowed_days(self) -> std::ops::RangeInclusive<u32> {
        match self {
            DataClass::TranscriptChunks => 30..=90,
            DataClass::AuditLogs => 365..=3650,
            DataClass::IdempotencyKeys => 0..=0,
            DataClass::RetentionRuns => 30..=30,
            _ => 1..=3650,
        }
    }
}

/// Why a policy was refused (a 400 on the admin route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    OutOfRange {
        class: DataClass,
        days: u32,
    },
    EmptyOrgId,
    TooManyOrgOverrides,
    /// This class has no per-organisation retention (P22).
    NotPerOrg {
        class: DataClass,
    },
}

/// The most orgs with their own retention of one class one run handles.
pub const MAX_ORG_OVERRIDES: usize = 500;

/// How long each class lives; `None` in `days` = keep forever (storage
/// policy `auto_delete = false` or `retention_days = 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    days: BTreeMap<DataClass, Option<u32>>,
    /// Per-org retention of the [`DataClass::per_org`] classes, days or
    /// `None` = kept (P16, P22).
    org: BTreeMap<DataClass, BTreeMap<String, Option<u32>>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            days: DataClass::ALL
                .iter()
                .map(|c| (*c, c.default_days()))
                .collect(),
            org: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Sets a class's retention; `None` keeps it forever.
    pub fn set(&mut self, class: DataClass, days: Option<u32>) -> Result<(), PolicyError> {
        if let Some(d) = days {
            if !class.allowed_days().contains(&d) {
                return Err(PolicyError::OutOfRange { class, days: d });
            }
        }
        self.days.insert(class, days);
        Ok(())
    }

    pub fn days(&self, class: DataClass) -> Option<u32> {
        self.days.get(&class).copied().flatten()
    }

    /// An org's own message retention (P16).
    pub fn set_org_messages(&mut self, org_id: &str, days: u32) -> Result<(), PolicyError> {
        self.set_org(DataClass::Messages, org_id, Some(days))
    }

    /// An org's own retention of a per-org class (P16, P22); `None` keeps
    /// its rows (storage policy `auto_delete = false` or 0 days).
    pub fn set_org(
        &mut self,
        class: DataClass,
        org_id: &str,
        days: Option<u32>,
    ) -> Result<(), PolicyError> {
        if !class.per_org() {
            return Err(PolicyError::NotPerOrg { class });
        }
        if org_id.is_empty() {
            return Err(PolicyError::EmptyOrgId);
        }
        if let Some(d) = days {
            if !class.allowed_days().contains(&d) {
                return Err(PolicyError::OutOfRange { class, days: d });
            }
        }
        let orgs = self.org.entry(class).or_default();
        if !orgs.contains_key(org_id) && orgs.len() >= MAX_ORG_OVERRIDES {
            return Err(PolicyError::TooManyOrgOverrides);
        }
        orgs.insert(org_id.to_owned(), days);
        Ok(())
    }

    /// An org's retention of `class`: its own if it set one, else the default.
    pub fn org_days(&self, class: DataClass, org_id: &str) -> Option<u32> {
        match self.org.get(&class).and_then(|o| o.get(org_id)) {
            Some(days) => *days,
            None => self.days(class),
        }
    }

    fn org_overrides(&self, class: DataClass) -> impl Iterator<Item = (&String, &Option<u32>)> {
        self.org.get(&class).into_iter().flatten()
    }
}

/// One bounded delete, repeated while it deletes `limit` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub class: DataClass,
    pub statement: Statement,
    pub limit: i64,
}

/// The bounded deletes of one run, in order (P13–P17, P22).
pub fn plan(policy: &Policy, now_ms: i64, limit: i64) -> Vec<Batch> {
    let limit = limit.clamp(1, 10_000);
    let cutoff = |days: u32| now_ms.saturating_sub(i64::from(days) * DAY_MS);
    let mut out = Vec::new();
    let mut push = |class, statement| {
        out.push(Batch {
            class,
            statement,
            limit,
        })
    };
    for class in DataClass::ALL {
        if class == DataClass::IdempotencyKeys {
            push(class, IdempotencyPurgeExpired { now_ms, limit }.statement());
            continue;
        }
        if class.per_org() {
            // The default batch skips every org with its own policy; each
            // of those that deletes at all gets its own batch (P16, P22).
            let excluded: Vec<&str> = policy
                .org_overrides(class)
                .map(|(o, _)| o.as_str())
                .collect();
            let excluded_orgs_json =
                serde_json::to_string(&excluded).unwrap_or_else(|_| String::from("[]"));
            if let Some(days) = policy.days(class) {
                let cutoff_ms = cutoff(days);
                let excluded_orgs_json = excluded_orgs_json.as_str();
                push(
                    class,
                    if class == DataClass::Messages {
                        RetentionHeldPurgeMessages {
                            cutoff_ms,
                            limit,
                            excluded_orgs_json,
                        }
                        .statement()
                    } else {
                        RetentionHeldPurgeRecordings {
                            cutoff_ms,
                            limit,
                            excluded_orgs_json,
                        }
                        .statement()
                    },
                );
            }
            for (org_id, days) in policy.org_overrides(class) {
                let Some(days) = days else { continue };
                let cutoff_ms = cutoff(*days);
                push(
                    class,
                    if class == DataClass::Messages {
                        RetentionHeldPurgeMessagesForOrg {
                            cutoff_ms,
                            limit,
                            org_id,
                        }
                        .statement()
                    } else {
                        RetentionHeldPurgeRecordingsForOrg {
                            cutoff_ms,
                            limit,
                            org_id,
                        }
                        .statement()
                    },
                );
            }
            continue;
        }
        let Some(days) = policy.days(class) else {
            continue;
        };
        let cutoff_ms = cutoff(days);
        let statement = match class {
            DataClass::TranscriptChunks => {
                RetentionHeldPurgeTranscripts { cutoff_ms, limit }.statement()
            }
            DataClass::TranscriptSegments => {
                RetentionHeldPurgeTranscriptSegments { cutoff_ms, limit }.statement()
            }
            DataClass::NoteOps => RetentionHeldPurgeNoteOps { cutoff_ms, limit }.statement(),
            DataClass::Notes => RetentionHeldPurgeMeetingNotes { cutoff_ms, limit }.statement(),
            DataClass::Prompts => RetentionHeldPurgePrompts { cutoff_ms, limit }.statement(),
            DataClass::Insights => RetentionHeldPurgeInsights { cutoff_ms, limit }.statement(),
            DataClass::AuditLogs => RetentionHeldPurgeAuditLogs { cutoff_ms, limit }.statement(),
            DataClass::Notifications => {
                RetentionHeldPurgeNotifications { cutoff_ms, limit }.statement()
            }
            DataClass::MatchingQueue => {
                RetentionPurgeMatchingQueue { cutoff_ms, limit }.statement()
            }
            DataClass::RetentionRuns => RetentionRunPurge { cutoff_ms, limit }.statement(),
            DataClass::IdempotencyKeys | DataClass::Messages | DataClass::Recordings => continue,
        };
        push(class, statement);
    }
    out
}

/// What one run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub deleted: BTreeMap<DataClass, u64>,
    pub statements_run: u32,
    /// `false` when the budget ran out with batches still full: the next run
    /// carries on (P18).
    pub complete: bool,
}

/// Drives a plan within a statement budget (P17–P18).
#[derive(Debug, Clone)]
pub struct RetentionRun {
    batches: Vec<Batch>,
    index: usize,
    budget: u32,
    report: Report,
}

impl RetentionRun {
    pub fn new(batches: Vec<Batch>, max_statements: u32) -> Self {
        RetentionRun {
            batches,
            index: 0,
            budget: max_statements,
            report: Report::default(),
        }
    }

    /// The next statement to run, or `None` when the run is over.
    pub fn next_statement(&self) -> Option<&Statement> {
        if self.report.statements_run >= self.budget {
            return None;
        }
        self.batches.get(self.index).map(|b| &b.statement)
    }

    /// Reports `changes()` of the statement [`Self::next_statement`] returned.
    pub fn record(&mut self, changes: u64) {
        let Some(batch) = self.batches.get(self.index) else {
            return;
        };
        self.report.statements_run += 1;
        *self.report.deleted.entry(batch.class).or_insert(0) += changes;
        // A batch that came back short has nothing older left: move on.
        if changes < u64::try_from(batch.limit).unwrap_or(u64::MAX) {
            self.index += 1;
        }
    }

    /// The counters so far.
    pub fn report(&self) -> Report {
        let mut report = self.report.clone();
        report.complete = self.index >= self.batches.len();
        report
    }
}

#[cfg(test)]
mod tests;
