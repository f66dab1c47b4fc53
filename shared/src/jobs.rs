//! Queue jobs: the typed messages on the `JOBS` queue, their idempotency
//! keys, and the retry policy (exponential backoff). The queue consumer in
//! the worker decodes each message with [`JobMessage::decode`], runs it, and
//! asks [`Backoff::after_failure`] what to do when it fails transiently.
//!
//! Every job is idempotent: running it twice does no harm. The key says
//! which unit of work a message stands for; a job that must not run its side
//! effect twice claims the key in D1 (`idempotency_keys`) first.
//!
//! Retries are the runtime's (`message.retry` with a delay), so a message
//! keeps its id across deliveries; the consumer counts deliveries per
//! message id in D1 (`sql::jobs::JOB_ATTEMPT_NEXT`), because workers-rs does
//! not expose the runtime's `message.attempts`. A consumer never sends to
//! its own queue: follow-up work is queued by whoever starts the flow and
//! ordered by records in D1 (see `Job::FinalizeMeeting`), so every retry of
//! a unit of work is the same message, counted and dead-lettered by the
//! runtime, and no job can start a re-queue loop.

use serde::{Deserialize, Serialize};

use crate::route::is_valid_id;

pub mod aggregate;
pub mod finalize;
pub mod incall;
pub mod insights;
pub mod precall;
pub mod provision;
pub mod records;

/// The wire version of [`JobMessage`]. A consumer refuses versions it does
/// not know (logged and acked: retrying would never help).
pub const JOB_MESSAGE_VERSION: u32 = 1;

/// One unit of background work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Get-or-create the meeting's Stream call and record it on the meeting.
    ProvisionCall { meeting_id: String },
    /// After a meeting ended: make the room stop writes and flush, retried
    /// until it answers; then record the meeting as finalized (its key
    /// completed), which the post-call jobs wait for.
    FinalizeMeeting { meeting_id: String },
    /// Assemble the flushed transcript into speaker-turn segments
    /// (`transcript_segments`; `crate::segments`), once the meeting is
    /// finalized (its room flushed to D1).
    AggregateTranscript { meeting_id: String },
    /// Post-call insights (`jobs::insights`, rule I34), once the meeting is
    /// finalized and its transcript aggregated.
    GenerateInsights { meeting_id: String },
    /// Pre-call ideas from the members' profiles (`jobs::precall`, rule
    /// I33), queued when a meeting is scheduled and when its members change.
    /// Idempotent by the generation's request hash, not by this key: every
    /// member change is the same kind of work on newer inputs.
    GeneratePrecall { meeting_id: String },
    /// One in-call prompt for the room's `detection`-th detection
    /// (`incall::IncallRequest`, queued by the MeetingRoom, docs/intelligence.md
    /// "The room's pipeline"): checked against the in-call flag, generated,
    /// stored, and sent back to the room. One job per detection.
    GenerateIncall {
        meeting_id: String,
        detection: u64,
        request: Box<incall::IncallRequest>,
    },
    /// Send the email of one notification (`email_outbox`, rule N5): at most
    /// once, whatever the number of deliveries. Its subject id is the
    /// notification's, not a meeting's.
    SendEmail { notification_id: String },
    /// Embed a user's profile (rule M28, `matching::embed_plan`), queued
    /// when the profile is saved and when the user enters the matching
    /// queue. Idempotent by the text's content hash, not by this key: a
    /// repeat finds the stored vector current. Its id is the user's.
    EmbedProfile { user_id: String },
    /// Embed a meeting's notes and transcript segments (M28), once its
    /// transcript is aggregated (it waits like the insights job).
    EmbedMeeting { meeting_id: String },
    /// Notify one batch of an organisation's members of a system
    /// announcement (N16, `notifications::announce`); queued, one per
    /// batch, by the admin route. Its id is the announcement's.
    AnnounceBatch {
        announcement_id: String,
        batch_no: u32,
    },
    /// Post-call signals of a matched pair's meeting (rule M35,
    /// `matching::post_call`): met, and the insights' recommendations,
    /// once the insights job is recorded (it waits like that job).
    MatchingPostCall { meeting_id: String },
    /// A user's privacy export (docs/privacy.md P30–P32): bounded runs
    /// over the data sets, each recording its progress; the job continues
    /// by asking for a retry, and the cron sweep re-queues an export whose
    /// message ran out of deliveries. Its id is the export request's.
    PrivacyExport { export_id: String },
    /// Erase a user (P6–P10, P36): bounded runs of the erasure plan, waiting
    /// under a legal hold; continued like the export. Its id is the
    /// deletion request's; `session_id` is the session that asked, revoked
    /// once the erasure starts (absent when the cron re-queued it).
    EraseUser {
        request_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_id: Option<String>,
    },
}

impl Job {
    /// A stable name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::ProvisionCall { .. } => "provision_call",
            Job::FinalizeMeeting { .. } => "finalize_meeting",
            Job::AggregateTranscript { .. } => "aggregate_transcript",
            Job::GenerateInsights { .. } => "generate_insights",
            Job::GeneratePrecall { .. } => "generate_precall",
            Job::GenerateIncall { .. } => "generate_incall",
            Job::SendEmail { .. } => "send_email",
            Job::EmbedProfile { .. } => "embed_profile",
            Job::EmbedMeeting { .. } => "embed_meeting",
            Job::AnnounceBatch { .. } => "announce_batch",
            Job::MatchingPostCall { .. } => "matching_post_call",
            Job::PrivacyExport { .. } => "privacy_export",
            Job::EraseUser { .. } => "erase_user",
        }
    }

    /// The id the job is about: its meeting's, or for `EmbedProfile` the
    /// user's (checked like a meeting id, and logged under `meeting_id`).
    pub fn meeting_id(&self) -> &str {
        match self {
            Job::EmbedProfile { user_id } => user_id,
            Job::ProvisionCall { meeting_id }
            | Job::FinalizeMeeting { meeting_id }
            | Job::AggregateTranscript { meeting_id }
            | Job::GenerateInsights { meeting_id }
            | Job::GeneratePrecall { meeting_id }
            | Job::GenerateIncall { meeting_id, .. }
            | Job::EmbedMeeting { meeting_id }
            | Job::MatchingPostCall { meeting_id } => meeting_id,
            // The one job about a notification: its id stands in (a valid
            // id, so `decode` checks it the same way).
            Job::SendEmail { notification_id } => notification_id,
            Job::AnnounceBatch {
                announcement_id, ..
            } => announcement_id,
            // The privacy jobs are about a request: its id stands in.
            Job::PrivacyExport { export_id } => export_id,
            Job::EraseUser { request_id, .. } => request_id,
        }
    }

    /// The unit of work this job stands for: two messages with the same key
    /// are the same work, and the second finds it done. One of each kind per
    /// meeting: provisioning converges on the meeting's one call, and a
    /// meeting ends once. In-call prompts are one per detection.
    pub fn idempotency_key(&self) -> String {
        match self {
            Job::GenerateIncall { detection, .. } => {
                format!("{}:{}:{detection}", self.kind(), self.meeting_id())
            }
            Job::AnnounceBatch { batch_no, .. } => {
                format!("{}:{}:{batch_no}", self.kind(), self.meeting_id())
            }
            _ => format!("{}:{}", self.kind(), self.meeting_id()),
        }
    }
}

/// What goes on the queue: the job and its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMessage {
    pub v: u32,
    pub job: Job,
    pub idempotency_key: String,
}

/// Why a queue message is not a job we can run. Such a message is logged
/// and acked: no retry can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobDecodeError {
    #[error("not a job message: {0}")]
    Malformed(String),
    #[error("unknown job message version {0}")]
    UnknownVersion(u32),
    #[error("invalid meeting id")]
    InvalidMeetingId,
    #[error("idempotency key does not match the job")]
    KeyMismatch,
}

impl JobMessage {
    pub fn new(job: Job) -> JobMessage {
        JobMessage {
            v: JOB_MESSAGE_VERSION,
            idempotency_key: job.idempotency_key(),
            job,
        }
    }

    /// Decodes and checks a message body.
    pub fn decode(value: serde_json::Value) -> Result<JobMessage, JobDecodeError> {
        let version = value.get("v").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(JOB_MESSAGE_VERSION) => {}
            Some(v) => {
                return Err(JobDecodeError::UnknownVersion(
                    u32::try_from(v).unwrap_or(u32::MAX),
                ))
            }
            None => return Err(JobDecodeError::Malformed("missing v".into())),
        }
        let msg: JobMessage =
            serde_json::from_value(value).map_err(|e| JobDecodeError::Malformed(e.to_string()))?;
        if !is_valid_id(msg.job.meeting_id()) {
            return Err(JobDecodeError::InvalidMeetingId);
        }
        if msg.idempotency_key != msg.job.idempotency_key() {
            return Err(JobDecodeError::KeyMismatch);
        }
        Ok(msg)
    }
}

/// Cloudflare Queues refuses a delay over 12 hours.
pub const MAX_QUEUE_DELAY_SECS: u32 = 12 * 60 * 60;

/// Exponential backoff: attempt `n` failed, wait `base · 2^(n-1)` seconds
/// (capped), at most `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_secs: u32,
    pub max_delay_secs: u32,
    pub max_attempts: u32,
}

/// What a job asks the consumer to do with its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    /// Done, or failed for good (the job recorded why): ack.
    Done,
    /// Failed transiently (or waiting for earlier work): deliver again after
    /// this many seconds.
    Retry { delay_secs: u32 },
}

/// What to do after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Deliver again (attempt `next_attempt`) after `delay_secs`.
    RetryAfter { delay_secs: u32, next_attempt: u32 },
    /// Out of attempts: record the failure for good.
    GiveUp,
}

impl Default for Backoff {
    /// 2 s, 4 s, 8 s, 16 s, 32 s between six attempts (about a minute in all).
    fn default() -> Self {
        Backoff {
            base_secs: 2,
            max_delay_secs: 300,
            max_attempts: 6,
        }
    }
}

impl Backoff {
    /// The delay after attempt `attempt` (1-based) failed, before jitter.
    pub fn delay_secs(&self, attempt: u32) -> u32 {
        let exponent = attempt.saturating_sub(1).min(31);
        let delay = u64::from(self.base_secs.max(1)) << exponent;
        let cap = self.max_delay_secs.clamp(1, MAX_QUEUE_DELAY_SECS);
        u32::try_from(delay.min(u64::from(cap))).unwrap_or(cap)
    }

    /// "Equal jitter": half the delay fixed, half spread by `random`, so jobs
    /// that failed together (a provider outage) do not retry together.
    pub fn jittered_delay_secs(&self, attempt: u32, random: u32) -> u32 {
        let delay = self.delay_secs(attempt);
        let fixed = delay.div_ceil(2);
        let spread = delay - fixed;
        fixed + random % (spread + 1)
    }

    /// The message's fate after attempt `attempt` failed transiently:
    /// retried after the jittered delay, or acked once out of attempts.
    pub fn retry_or_done(&self, attempt: u32, random: u32) -> JobResult {
        match self.after_failure(attempt, random) {
            RetryDecision::RetryAfter { delay_secs, .. } => JobResult::Retry { delay_secs },
            RetryDecision::GiveUp => JobResult::Done,
        }
    }

    /// True on the last attempt this policy allows.
    pub fn is_last(&self, attempt: u32) -> bool {
        attempt >= self.max_attempts
    }

    /// After attempt `attempt` failed transiently: retry, or give up.
    pub fn after_failure(&self, attempt: u32, random: u32) -> RetryDecision {
        if attempt >= self.max_attempts {
            RetryDecision::GiveUp
        } else {
            RetryDecision::RetryAfter {
                delay_secs: self.jittered_delay_secs(attempt, random),
                next_attempt: attempt + 1,
            }
        }
    }
}

/// The post-call jobs' gate: go once the meeting is finalized, or on the
/// last attempt (then on what D1 has); otherwise wait with backoff.
pub fn wait_for_finalize(
    finalized: bool,
    backoff: &Backoff,
    attempt: u32,
    random: u32,
) -> Option<JobResult> {
    (!finalized && !backoff.is_last(attempt)).then(|| backoff.retry_or_done(attempt, random))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_form_is_tagged_and_keyed() {
        let msg = JobMessage::new(Job::ProvisionCall {
            meeting_id: "mtg_1".into(),
        });
        let value = serde_json::to_value(&msg).unwrap();
        assert_eq!(
            value,
            json!({"v": 1, "job": {"kind": "provision_call", "meeting_id": "mtg_1"},
                   "idempotency_key": "provision_call:mtg_1"})
        );
        assert_eq!(JobMessage::decode(value).unwrap(), msg);
    }

    #[test]
    fn every_kind_has_its_own_key() {
        let id = || "m".to_string();
        let jobs = [
            Job::ProvisionCall { meeting_id: id() },
            Job::FinalizeMeeting { meeting_id: id() },
            Job::AggregateTranscript { meeting_id: id() },
            Job::GenerateInsights { meeting_id: id() },
            Job::GeneratePrecall { meeting_id: id() },
            Job::EmbedProfile { user_id: id() },
            Job::EmbedMeeting { meeting_id: id() },
            Job::MatchingPostCall { meeting_id: id() },
            Job::PrivacyExport { export_id: id() },
            Job::EraseUser {
                request_id: id(),
                session_id: Some("sess".into()),
            },
        ];
        let mut keys: Vec<String> = jobs.iter().map(Job::idempotency_key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), jobs.len());
        for job in jobs {
            let msg = JobMessage::new(job.clone());
            let back = JobMessage::decode(serde_json::to_value(&msg).unwrap()).unwrap();
            assert_eq!(back.job, job);
        }
    }

    #[test]
    fn bad_messages_are_refused() {
        let good = json!({"v": 1, "job": {"kind": "provision_call", "meeting_id": "m"},
                          "idempotency_key": "provision_call:m"});
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            f(&mut v);
            JobMessage::decode(v)
        };
        assert!(with(&|_| {}).is_ok());
        assert_eq!(
            with(&|v| v["v"] = json!(2)),
            Err(JobDecodeError::UnknownVersion(2))
        );
        assert!(matches!(
            with(&|v| v["job"]["kind"] = json!("mine_bitcoin")),
            Err(JobDecodeError::Malformed(_))
        ));
        assert_eq!(
            with(&|v| v["job"]["meeting_id"] = json!("a/b")),
            Err(JobDecodeError::InvalidMeetingId)
        );
        assert_eq!(
            with(&|v| v["idempotency_key"] = json!("provision_call:other")),
            Err(JobDecodeError::KeyMismatch)
        );
        assert!(matches!(
            JobMessage::decode(json!("hello")),
            Err(JobDecodeError::Malformed(_))
        ));
    }

    #[test]
    fn backoff_doubles_caps_and_gives_up() {
        let b = Backoff::default();
        let delays: Vec<u32> = (1..=6).map(|a| b.delay_secs(a)).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 64]);
        let capped = Backoff {
            base_secs: 10,
            max_delay_secs: 60,
            max_attempts: 100,
        };
        assert_eq!(capped.delay_secs(10), 60);
        assert_eq!(capped.delay_secs(u32::MAX), 60);
        let huge = Backoff {
            base_secs: u32::MAX,
            max_delay_secs: u32::MAX,
            max_attempts: 3,
        };
        assert_eq!(huge.delay_secs(40), MAX_QUEUE_DELAY_SECS);
        assert_eq!(
            b.after_failure(1, 0),
            RetryDecision::RetryAfter {
                delay_secs: 1,
                next_attempt: 2
            }
        );
        assert_eq!(b.after_failure(6, 0), RetryDecision::GiveUp);
        assert_eq!(b.after_failure(60, 0), RetryDecision::GiveUp);
    }

    #[test]
    fn jitter_stays_within_half_to_full() {
        let b = Backoff::default();
        for attempt in 1..=6 {
            let full = b.delay_secs(attempt);
            for random in [0, 1, 7, 1000, u32::MAX] {
                let d = b.jittered_delay_secs(attempt, random);
                assert!(d >= full.div_ceil(2) && d <= full, "{attempt} {random} {d}");
            }
        }
    }
}
