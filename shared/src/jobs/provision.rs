//! `provision_call`, pure: get-or-create the meeting's Stream call and
//! record it. The claim (`MEETING_PROVISIONING_CLAIM`) makes one job the
//! provisioner at a time, with a lease so a job that died is taken over;
//! it also records the call's cid (`<call type>:<meeting id>`, the id every
//! attempt converges on). Outcomes ([`outcome`]):
//! - 2xx → `ready`;
//! - 5xx, 429, 408, timeouts, network errors → `pending` with the error, and
//!   a retry after the backoff delay; out of attempts → `failed`;
//! - any other 4xx → `failed` with Stream's `{code, message}`.
//!
//! A repeated job finds `ready` (or a live claim) and does nothing.

use serde::Deserialize;
use serde_json::json;

use super::{Backoff, JobResult, RetryDecision};
use crate::acl::MeetingRole;
use crate::error::ApiError;
use crate::log::Level;
use crate::meeting::lifecycle::is_final;
use crate::meeting::view::{MeetingRow, Provisioning};
use crate::sql::meetings::{
    MeetingProvisioningClaim, MeetingProvisioningFailed, MeetingProvisioningReady,
    MeetingProvisioningRetry,
};
use crate::sql::participants::ParticipantListByMeeting;
use crate::sql::Statement;
use crate::stream::call::{call_role, CallMember, CallOutcome, CreateCall, ProviderError};
use crate::time::format_rfc3339_ms;

/// A claim older than this belongs to a job that died.
pub const LEASE_MS: i64 = 60_000;
/// Members read for the call (the meeting's participant cap).
const MAX_MEMBERS: i64 = 100;

/// What the job does first, from the meeting as loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Nothing to do (why, for the log; `None`: already ready).
    Done(Option<&'static str>),
    /// Claim the meeting; 0 changes: see [`claim_lost`].
    Claim(Statement),
}

pub fn start(meeting: Option<&MeetingRow>, call_type: &str, now_ms: i64) -> Start {
    let Some(m) = meeting else {
        return Start::Done(Some("meeting gone; nothing to provision"));
    };
    if m.provisioning() == Provisioning::Ready {
        return Start::Done(None);
    }
    let cid = format!("{call_type}:{}", m.id);
    Start::Claim(
        MeetingProvisioningClaim {
            id: &m.id,
            call_type,
            call_id: &m.id,
            call_cid: Some(&cid),
            now_ms,
            lease_cutoff_ms: now_ms - LEASE_MS,
        }
        .statement(),
    )
}

/// Another job holds a live claim: look again after its lease. Anything
/// else (ready, gone) is done.
pub fn claim_lost(meeting: Option<&MeetingRow>) -> JobResult {
    match meeting.map(MeetingRow::provisioning) {
        Some(Provisioning::Provisioning) => JobResult::Retry {
            delay_secs: u32::try_from(LEASE_MS / 1000).unwrap_or(60),
        },
        _ => JobResult::Done,
    }
}

/// After the claim, from the meeting as re-read.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    Gone,
    /// The meeting ended meanwhile: record this failure, no call.
    Refuse(Statement),
    /// Read the members ([`members_query`]) and ask Stream.
    Call,
}

pub fn claimed(meeting: Option<&MeetingRow>, now_ms: i64) -> Claimed {
    let Some(m) = meeting else {
        return Claimed::Gone;
    };
    if !is_final(m.state()) {
        return Claimed::Call;
    }
    let error = ProviderError::transport(format!("not provisioned: the meeting is {}", m.state));
    Claimed::Refuse(
        MeetingProvisioningFailed {
            id: &m.id,
            error: Some(&error.to_json_text()),
            now_ms,
        }
        .statement(),
    )
}

/// The columns of a `PARTICIPANT_LIST_BY_MEETING` row the call needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub role: String,
}

pub fn members_query(meeting_id: &str) -> Statement {
    ParticipantListByMeeting {
        meeting_id,
        after_user_id: "",
        limit: MAX_MEMBERS,
    }
    .statement()
}

/// The request for this meeting's call: every member with their call role,
/// created by the organizer (or the current host, if the organizer left).
pub fn request(
    meeting: &MeetingRow,
    rows: &[MemberRow],
    call_type: &str,
) -> Result<CreateCall, ApiError> {
    let mut host = None;
    let members: Vec<CallMember> = rows
        .iter()
        .map(|row| {
            let role = MeetingRole::parse(&row.role).unwrap_or(MeetingRole::Observer);
            if role == MeetingRole::Host {
                host = Some(row.user_id.clone());
            }
            CallMember {
                user_id: row.user_id.clone(),
                role: call_role(role),
            }
        })
        .collect();
    let created_by_id = meeting
        .organizer_id
        .clone()
        .filter(|o| members.iter().any(|m| &m.user_id == o))
        .or(host)
        .ok_or_else(|| ApiError::internal("the meeting has no host"))?;
    Ok(CreateCall {
        call_type: meeting
            .stream_call_type
            .clone()
            .unwrap_or_else(|| call_type.to_owned()),
        call_id: meeting
            .stream_call_id
            .clone()
            .unwrap_or_else(|| meeting.id.clone()),
        created_by_id,
        members,
        custom: json!({ "meeting_id": meeting.id, "org_id": meeting.org_id }),
        starts_at: format_rfc3339_ms(meeting.scheduled_at),
    })
}

/// What Stream's answer comes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub write: Statement,
    pub result: JobResult,
    pub log: (Level, &'static str),
    /// Stream's error, for the log.
    pub error: Option<ProviderError>,
}

pub fn outcome(
    meeting_id: &str,
    answer: &CallOutcome,
    backoff: &Backoff,
    attempt: u32,
    random: u32,
    now_ms: i64,
) -> Outcome {
    match answer {
        CallOutcome::Ready { .. } => Outcome {
            write: MeetingProvisioningReady {
                id: meeting_id,
                now_ms,
            }
            .statement(),
            result: JobResult::Done,
            log: (Level::Info, "call provisioned"),
            error: None,
        },
        CallOutcome::Permanent(error) => Outcome {
            write: MeetingProvisioningFailed {
                id: meeting_id,
                error: Some(&error.to_json_text()),
                now_ms,
            }
            .statement(),
            result: JobResult::Done,
            log: (Level::Warn, "provisioning refused by Stream"),
            error: Some(error.clone()),
        },
        CallOutcome::Transient(error) => {
            let (write, result) = match backoff.after_failure(attempt, random) {
                RetryDecision::RetryAfter { delay_secs, .. } => (
                    MeetingProvisioningRetry {
                        id: meeting_id,
                        error: Some(&error.to_json_text()),
                        now_ms,
                    }
                    .statement(),
                    JobResult::Retry { delay_secs },
                ),
                RetryDecision::GiveUp => {
                    let mut stored = json!(error);
                    stored["gave_up_after_attempts"] = json!(attempt);
                    (
                        MeetingProvisioningFailed {
                            id: meeting_id,
                            error: Some(&stored.to_string()),
                            now_ms,
                        }
                        .statement(),
                        JobResult::Done,
                    )
                }
            };
            Outcome {
                write,
                result,
                log: (Level::Warn, "provisioning failed transiently"),
                error: Some(error.clone()),
            }
        }
    }
}

#[cfg(test)]
mod tests;
