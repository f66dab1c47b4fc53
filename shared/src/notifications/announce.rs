//! System announcements (N16), the pure part: an announcement to an
//! organisation of any size is recorded with its batches (keyset ranges of
//! the organisation's active members, in id order) and one queue job per
//! batch. Each job notifies its range through the one notify function and
//! marks its batch done; the per-recipient dedupe key
//! (`announcement:<id>`) makes a redelivered batch a no-op, so the fan-out
//! is idempotent whatever the queue does.

use crate::jobs::Job;
use crate::sql::notifications::{AnnouncementBatchInsert, AnnouncementInsert};
use crate::sql::Statement;

use super::{Category, Outgoing, Priority};

/// Members per batch: each notification costs a few subrequests (reads,
/// the write batch, the hub, the email job), and one queue invocation has
/// a bounded number.
pub const BATCH_SIZE: i64 = 50;
/// The most members one batch job reads: a range gains members who joined
/// after the announcement was planned; beyond this they are not notified.
pub const BATCH_MEMBER_LIMIT: i64 = 2 * BATCH_SIZE;

/// What the admin sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub created_by: &'a str,
    pub title: &'a str,
    pub body: Option<&'a str>,
    pub priority: Priority,
}

/// The writes (one atomic batch) and the jobs of one announcement.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnouncePlan {
    pub statements: Vec<Statement>,
    pub jobs: Vec<Job>,
}

/// Plans the fan-out: `bounds` are the last member id of every batch, in
/// id order (`ANNOUNCEMENT_BOUNDS`). Batch `n` covers `(bounds[n-1],
/// bounds[n]]`, the first from the start. No members: no batch, no job.
pub fn plan(a: &Announcement, bounds: &[String], now_ms: i64) -> AnnouncePlan {
    let mut statements = vec![AnnouncementInsert {
        id: a.id,
        org_id: a.org_id,
        created_by: a.created_by,
        title: a.title,
        body: a.body,
        priority: a.priority.as_str(),
        batches_total: i64::try_from(bounds.len()).unwrap_or(i64::MAX),
        now_ms,
    }
    .statement()];
    let mut jobs = Vec::with_capacity(bounds.len());
    let mut after = "";
    for (n, last) in bounds.iter().enumerate() {
        statements.push(
            AnnouncementBatchInsert {
                announcement_id: a.id,
                batch_no: i64::try_from(n).unwrap_or(i64::MAX),
                after_id: after,
                last_id: last,
            }
            .statement(),
        );
        jobs.push(Job::AnnounceBatch {
            announcement_id: a.id.to_owned(),
            batch_no: u32::try_from(n).unwrap_or(u32::MAX),
        });
        after = last;
    }
    AnnouncePlan { statements, jobs }
}

/// The notifications of one batch: one per member, deduplicated per
/// announcement (a second delivery of the batch is `Duplicate` for each).
pub fn batch_notifications(
    announcement_id: &str,
    title: &str,
    body: Option<&str>,
    priority: Priority,
    members: &[String],
) -> Vec<Outgoing> {
    members
        .iter()
        .map(|m| {
            let mut n = Outgoing::new(
                m,
                "system_announcement",
                Category::Announcement,
                priority,
                title,
            )
            .data("announcement_id", announcement_id)
            .dedupe(format!("announcement:{announcement_id}"));
            n.body = body.map(str::to_owned);
            n
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn announcement() -> Announcement<'static> {
        Announcement {
            id: "ann_1",
            org_id: "org_1",
            created_by: "u_admin",
            title: "Maintenance",
            body: None,
            priority: Priority::High,
        }
    }

    #[test]
    fn n16_batches_are_contiguous_ranges_with_one_job_each() {
        let bounds: Vec<String> = vec!["u050".into(), "u100".into(), "u120".into()];
        let p = plan(&announcement(), &bounds, 7);
        assert_eq!(p.statements.len(), 4);
        assert_eq!(p.statements[0].name, "ANNOUNCEMENT_INSERT");
        let ranges: Vec<(SqlValue, SqlValue)> = p.statements[1..]
            .iter()
            .map(|s| (s.params[2].clone(), s.params[3].clone()))
            .collect();
        let t = SqlValue::text;
        assert_eq!(
            ranges,
            vec![
                (t(""), t("u050")),
                (t("u050"), t("u100")),
                (t("u100"), t("u120")),
            ]
        );
        assert_eq!(
            p.jobs,
            (0..3)
                .map(|n| Job::AnnounceBatch {
                    announcement_id: "ann_1".into(),
                    batch_no: n
                })
                .collect::<Vec<_>>()
        );
        // Distinct jobs, so the queue never folds two batches into one.
        assert_ne!(p.jobs[0].idempotency_key(), p.jobs[1].idempotency_key());
    }

    #[test]
    fn n16_no_members_no_batches() {
        let p = plan(&announcement(), &[], 7);
        assert_eq!((p.statements.len(), p.jobs.len()), (1, 0));
    }

    #[test]
    fn n16_every_member_is_deduplicated_per_announcement() {
        let ns = batch_notifications(
            "ann_1",
            "Maintenance",
            Some("Tonight"),
            Priority::Urgent,
            &["a".into(), "b".into()],
        );
        assert_eq!(ns.len(), 2);
        assert!(ns
            .iter()
            .all(|n| n.dedupe_key.as_deref() == Some("announcement:ann_1")
                && n.priority == Priority::Urgent
                && n.body.as_deref() == Some("Tonight")));
        assert_eq!(ns[1].user_id, "b");
    }
}
