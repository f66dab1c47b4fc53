//! The recording job state machine (rules F7–F9 of `docs/recordings.md`):
//!
//! ```text
//! pending ──started──▶ recording ──stopped──▶ processing ──files_ready──▶ completed
//!    │                    │  └──────files_ready───────────────────────────▲
//!    └──failed──▶ failed ◀┴──failed── processing
//! ```
//!
//! Provider events are redelivered and reordered, so applying an event that
//! the job already reflects is a no-op ([`Transition::Unchanged`]) rather
//! than an error, and `files_ready` is accepted while still `recording`
//! (Stream may send `call.recording_ready` before its `recording_stopped`).
//! `completed` and `failed` are final.

use serde::{Deserialize, Serialize};

/// A recording job's status, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Pending,
    Recording,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Recording => "recording",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(JobStatus::Pending),
            "recording" => Some(JobStatus::Recording),
            "processing" => Some(JobStatus::Processing),
            "completed" => Some(JobStatus::Completed),
            "failed" => Some(JobStatus::Failed),
            _ => None,
        }
    }

    /// `completed` and `failed` never change again (F8).
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed)
    }
}

/// What happened to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    /// The provider confirmed the recording started.
    Started,
    /// Recording stopped (by a host, or the call ended); files are being made.
    Stopped,
    /// The provider announced the files.
    FilesReady,
    /// The provider or our call to it failed; the error is kept on the job.
    Failed { error: String },
}

/// The outcome of applying an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Write the new status (guarded by the old one in SQL).
    To(JobStatus),
    /// The job already reflects the event (a redelivery): write nothing.
    Unchanged,
}

/// An event that cannot apply to the job's status: 409 for a route, a
/// logged and acknowledged no-op for a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: JobStatus,
    pub event: &'static str,
}

/// The longest provider error kept on a job, in bytes.
pub const MAX_ERROR_LEN: usize = 1000;

/// Truncates a provider error on a char boundary to [`MAX_ERROR_LEN`].
pub fn clamp_error(error: &str) -> String {
    if error.len() <= MAX_ERROR_LEN {
        return error.to_owned();
    }
    let mut end = MAX_ERROR_LEN;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    error[..end].to_owned()
}

/// Applies `event` to a job in `from` (F7–F9).
pub fn apply(from: JobStatus, event: &JobEvent) -> Result<Transition, IllegalTransition> {
    use JobStatus::*;
    let to = match (from, event) {
        (Pending, JobEvent::Started) => Recording,
        (Recording, JobEvent::Started) => return Ok(Transition::Unchanged),
        (Recording, JobEvent::Stopped) => Processing,
        (Processing, JobEvent::Stopped) => return Ok(Transition::Unchanged),
        (Recording | Processing, JobEvent::FilesReady) => Completed,
        (Completed, JobEvent::FilesReady) => return Ok(Transition::Unchanged),
        (Completed, JobEvent::Stopped | JobEvent::Started) => return Ok(Transition::Unchanged),
        (Pending | Recording | Processing, JobEvent::Failed { .. }) => Failed,
        (Failed, JobEvent::Failed { .. }) => return Ok(Transition::Unchanged),
        (from, event) => {
            return Err(IllegalTransition {
                from,
                event: match event {
                    JobEvent::Started => "started",
                    JobEvent::Stopped => "stopped",
                    JobEvent::FilesReady => "files_ready",
                    JobEvent::Failed { .. } => "failed",
                },
            })
        }
    };
    Ok(Transition::To(to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus::*;

    fn failed() -> JobEvent {
        JobEvent::Failed {
            error: "egress crashed".into(),
        }
    }

    #[test]
    fn f7_the_happy_path() {
        assert_eq!(
            apply(Pending, &JobEvent::Started),
            Ok(Transition::To(Recording))
        );
        assert_eq!(
            apply(Recording, &JobEvent::Stopped),
            Ok(Transition::To(Processing))
        );
        assert_eq!(
            apply(Processing, &JobEvent::FilesReady),
            Ok(Transition::To(Completed))
        );
    }

    #[test]
    fn f7_files_ready_may_overtake_stopped() {
        assert_eq!(
            apply(Recording, &JobEvent::FilesReady),
            Ok(Transition::To(Completed))
        );
        assert_eq!(
            apply(Completed, &JobEvent::Stopped),
            Ok(Transition::Unchanged)
        );
    }

    #[test]
    fn f8_final_states_do_not_move() {
        assert!(Completed.is_final() && Failed.is_final());
        assert!(apply(Completed, &failed()).is_err());
        assert!(apply(Failed, &JobEvent::Started).is_err());
        assert!(apply(Failed, &JobEvent::FilesReady).is_err());
        assert_eq!(apply(Failed, &failed()), Ok(Transition::Unchanged));
    }

    #[test]
    fn f9_redeliveries_are_no_ops_and_failures_apply_from_any_live_state() {
        assert_eq!(
            apply(Recording, &JobEvent::Started),
            Ok(Transition::Unchanged)
        );
        assert_eq!(
            apply(Processing, &JobEvent::Stopped),
            Ok(Transition::Unchanged)
        );
        assert_eq!(
            apply(Completed, &JobEvent::FilesReady),
            Ok(Transition::Unchanged)
        );
        for s in [Pending, Recording, Processing] {
            assert_eq!(apply(s, &failed()), Ok(Transition::To(Failed)));
        }
        assert_eq!(
            apply(Pending, &JobEvent::Stopped),
            Err(IllegalTransition {
                from: Pending,
                event: "stopped"
            })
        );
        assert_eq!(
            apply(Pending, &JobEvent::FilesReady).unwrap_err().event,
            "files_ready"
        );
    }

    #[test]
    fn f9_statuses_round_trip_and_errors_are_clamped() {
        for s in [Pending, Recording, Processing, Completed, Failed] {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::parse("done"), None);
        let long = "é".repeat(MAX_ERROR_LEN);
        let clamped = clamp_error(&long);
        assert!(clamped.len() <= MAX_ERROR_LEN && clamped.len() >= MAX_ERROR_LEN - 1);
    }
}
