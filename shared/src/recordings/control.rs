//! Starting and stopping a meeting's recording and transcription (rules
//! F18–F21 of `docs/recordings.md`): the consent gate, the job rows, and the
//! four Stream requests, matching `@stream-io/node-sdk`:
//!
//! ```text
//! POST {base}/api/v2/video/call/{type}/{id}/recordings/{recording_type}/start   {}
//! POST {base}/api/v2/video/call/{type}/{id}/recordings/{recording_type}/stop    {}
//! POST {base}/api/v2/video/call/{type}/{id}/start_transcription                 {"language": "auto"}
//! POST {base}/api/v2/video/call/{type}/{id}/stop_transcription                  {}
//! ```
//!
//! Recording is refused unless every member of the meeting has granted
//! recording consent and not withdrawn it (F18, `privacy::consent`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::privacy::consent::{recording_allowed, ConsentEvent, ConsentType};
use crate::recordings::job::{apply, clamp_error, JobEvent, JobStatus, Transition};
use crate::sql::recordings::{RecordingJobCreate, RecordingJobMove, RecordingJobRefused};
use crate::sql::Statement;
use crate::{ApiError, ErrorCode};

/// Stream's recording type we start: one composite of the call.
pub const RECORDING_TYPE: &str = "composite";

/// One row of `CONSENT_LIST_FOR_MEETING` (`consent_type` NULL: the member
/// has no recording consent row at all).
#[derive(Debug, Clone, Deserialize)]
pub struct MemberConsentRow {
    pub user_id: String,
    pub consent_type: Option<String>,
    pub version: Option<String>,
    pub consented: Option<i64>,
    pub created_at: Option<i64>,
}

/// The consent gate (F18): `Ok` when every member granted recording
/// consent; else 409 `RECORDING_CONSENT_REQUIRED` naming who is missing and
/// who withdrew.
pub fn consent_gate(rows: &[MemberConsentRow]) -> Result<(), ApiError> {
    let mut members: Vec<(String, Vec<ConsentEvent>)> = Vec::new();
    for row in rows {
        if members
            .last()
            .map(|(u, _)| u != &row.user_id)
            .unwrap_or(true)
        {
            members.push((row.user_id.clone(), Vec::new()));
        }
        if let (Some(version), Some(consented), Some(at_ms)) =
            (&row.version, row.consented, row.created_at)
        {
            if row.consent_type.as_deref() == Some(ConsentType::Recording.as_str()) {
                if let Some((_, events)) = members.last_mut() {
                    events.push(ConsentEvent {
                        consent_type: ConsentType::Recording,
                        version: version.clone(),
                        consented: consented != 0,
                        at_ms,
                    });
                }
            }
        }
    }
    let view: Vec<(&str, &[ConsentEvent])> = members
        .iter()
        .map(|(u, e)| (u.as_str(), e.as_slice()))
        .collect();
    recording_allowed(&view).map_err(|blocked| {
        ApiError::new(
            ErrorCode::Conflict,
            "every member must consent to recording before it starts",
        )
        .with_details(json!({
            "reason": "RECORDING_CONSENT_REQUIRED",
            "missing": blocked.missing,
            "withdrawn": blocked.withdrawn,
        }))
    })
}

/// A stored job (`RECORDING_JOB_LIST`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct JobRow {
    pub id: String,
    pub meeting_id: String,
    pub status: String,
    pub recording_type: String,
    pub call_cid: String,
    pub started_by: Option<String>,
    pub error: Option<String>,
    pub started_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub created_at: i64,
}

impl JobRow {
    pub fn status(&self) -> JobStatus {
        JobStatus::parse(&self.status).unwrap_or(JobStatus::Failed)
    }
}

fn conflict(reason: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message.to_owned()).with_details(json!({ "reason": reason }))
}

/// The call a start needs (F19): a provisioned Stream call.
pub fn call_of(call_cid: Option<&str>) -> Result<(&str, &str), ApiError> {
    call_cid.and_then(|c| c.split_once(':')).ok_or_else(|| {
        conflict(
            "CALL_NOT_PROVISIONED",
            "the meeting's video call is not provisioned yet",
        )
    })
}

/// Opens a job (F19): refused while one is live (`pending`/`recording`).
pub fn start<'a>(
    latest: Option<&JobRow>,
    job_id: &'a str,
    meeting_id: &'a str,
    call_cid: &'a str,
    started_by: Option<&'a str>,
    now_ms: i64,
) -> Result<Statement, ApiError> {
    if let Some(job) = latest {
        if matches!(job.status(), JobStatus::Pending | JobStatus::Recording) {
            return Err(conflict(
                "RECORDING_IN_PROGRESS",
                "the meeting is already being recorded",
            ));
        }
    }
    Ok(RecordingJobCreate {
        id: job_id,
        meeting_id,
        call_cid,
        started_by,
        now_ms,
    }
    .statement())
}

/// The statement moving `job` on `event`, or `None` for a redelivery (F7–F9).
pub fn transition(
    job_id: &str,
    from: JobStatus,
    event: &JobEvent,
    now_ms: i64,
) -> Result<Option<Statement>, ApiError> {
    let to = match apply(from, event) {
        Ok(Transition::To(to)) => to,
        Ok(Transition::Unchanged) => return Ok(None),
        Err(illegal) => {
            return Err(conflict(
                "RECORDING_STATE",
                &format!(
                    "a {} recording cannot take '{}'",
                    illegal.from.as_str(),
                    illegal.event
                ),
            ))
        }
    };
    let error = match event {
        JobEvent::Failed { error } => Some(clamp_error(error)),
        _ => None,
    };
    Ok(Some(
        RecordingJobMove {
            id: job_id,
            from: from.as_str(),
            to: to.as_str(),
            error: error.as_deref(),
            now_ms,
        }
        .statement(),
    ))
}

/// The job a stop applies to (F20): the live one.
pub fn stoppable(latest: Option<&JobRow>) -> Result<&JobRow, ApiError> {
    match latest {
        Some(job) if job.status() == JobStatus::Recording => Ok(job),
        _ => Err(conflict(
            "NOT_RECORDING",
            "the meeting is not being recorded",
        )),
    }
}

/// F22: the `failed` job an automatic start's refusal leaves, so the
/// meeting's members see why nothing records (`GET …/recordings`), or
/// `None` when a job already tells the story: one is recording, or the
/// provider's failure is kept on the job that asked it (F20).
pub fn auto_start_refusal<'a>(
    err: &ApiError,
    job_id: &'a str,
    meeting_id: &'a str,
    call_cid: Option<&'a str>,
    now_ms: i64,
) -> Option<(Statement, String)> {
    let details = err.details.as_ref();
    let reason = details
        .and_then(|d| d["reason"].as_str())
        .unwrap_or(err.code.as_str());
    if matches!(reason, "RECORDING_IN_PROGRESS" | "PROVIDER_ERROR") {
        return None;
    }
    let mut error = format!("automatic start refused: {reason}: {}", err.message);
    for list in ["missing", "withdrawn"] {
        if let Some(users) = details.and_then(|d| d[list].as_array()) {
            if !users.is_empty() {
                let names: Vec<&str> = users.iter().filter_map(|u| u.as_str()).collect();
                error.push_str(&format!("; {list}: {}", names.join(", ")));
            }
        }
    }
    let error = clamp_error(&error);
    let statement = RecordingJobRefused {
        id: job_id,
        meeting_id,
        call_cid: call_cid.unwrap_or_default(),
        error: &error,
        now_ms,
    }
    .statement();
    Some((statement, reason.to_owned()))
}

/// One of the four provider requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderOp {
    StartRecording,
    StopRecording,
    StartTranscription,
    StopTranscription,
}

impl ProviderOp {
    /// The request path under the API base (F21), for the call `type:id`.
    pub fn path(self, call_type: &str, call_id: &str) -> String {
        let call = format!("/api/v2/video/call/{call_type}/{call_id}");
        match self {
            ProviderOp::StartRecording => format!("{call}/recordings/{RECORDING_TYPE}/start"),
            ProviderOp::StopRecording => format!("{call}/recordings/{RECORDING_TYPE}/stop"),
            ProviderOp::StartTranscription => format!("{call}/start_transcription"),
            ProviderOp::StopTranscription => format!("{call}/stop_transcription"),
        }
    }

    /// The JSON body, as the SDK sends it (no external storage: Stream's own).
    pub fn body(self) -> &'static str {
        match self {
            ProviderOp::StartTranscription => r#"{"language":"auto"}"#,
            _ => "{}",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderOp::StartRecording => "start_recording",
            ProviderOp::StopRecording => "stop_recording",
            ProviderOp::StartTranscription => "start_transcription",
            ProviderOp::StopTranscription => "stop_transcription",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: &str, consented: Option<i64>, at: i64) -> MemberConsentRow {
        MemberConsentRow {
            user_id: user.into(),
            consent_type: consented.map(|_| "recording".into()),
            version: consented.map(|_| "1".into()),
            consented,
            created_at: consented.map(|_| at),
        }
    }

    #[test]
    fn f18_every_member_must_consent_and_a_withdrawal_blocks() {
        assert!(consent_gate(&[row("a", Some(1), 1), row("b", Some(1), 1)]).is_ok());
        let err = consent_gate(&[
            row("a", Some(1), 1),
            row("b", Some(1), 1),
            row("b", Some(0), 2),
            row("c", None, 0),
        ])
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        let details = err.details.clone().unwrap();
        assert_eq!(details["reason"], "RECORDING_CONSENT_REQUIRED");
        assert_eq!(details["withdrawn"], json!(["b"]));
        assert_eq!(details["missing"], json!(["c"]));
        assert!(consent_gate(&[]).is_err(), "no members, no recording");
    }

    fn job(status: &str) -> JobRow {
        JobRow {
            id: "rj_1".into(),
            meeting_id: "m".into(),
            status: status.into(),
            recording_type: RECORDING_TYPE.into(),
            call_cid: "default:m".into(),
            started_by: None,
            error: None,
            started_at: None,
            stopped_at: None,
            completed_at: None,
            created_at: 1,
        }
    }

    #[test]
    fn f19_one_live_job_per_meeting() {
        assert!(start(None, "rj_2", "m", "default:m", Some("u"), 5).is_ok());
        assert!(start(Some(&job("completed")), "rj_2", "m", "default:m", None, 5).is_ok());
        for live in ["pending", "recording"] {
            let err = start(Some(&job(live)), "rj_2", "m", "default:m", None, 5).unwrap_err();
            assert_eq!(err.details.unwrap()["reason"], "RECORDING_IN_PROGRESS");
        }
        assert!(call_of(None).is_err());
        assert_eq!(call_of(Some("default:m")).unwrap(), ("default", "m"));
    }

    #[test]
    fn f20_only_a_recording_job_stops_and_failures_keep_the_error() {
        assert!(stoppable(Some(&job("recording"))).is_ok());
        assert!(stoppable(Some(&job("processing"))).is_err());
        assert!(stoppable(None).is_err());
        let s = transition(
            "rj_1",
            JobStatus::Pending,
            &JobEvent::Failed {
                error: "x".repeat(2000),
            },
            9,
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.name, "RECORDING_JOB_MOVE");
        assert!(
            transition("rj_1", JobStatus::Recording, &JobEvent::Started, 9)
                .unwrap()
                .is_none()
        );
        assert!(transition("rj_1", JobStatus::Failed, &JobEvent::Stopped, 9).is_err());
    }

    #[test]
    fn f22_a_refused_automatic_start_is_kept_as_a_failed_job_with_its_reason() {
        let consent = consent_gate(&[row("a", Some(1), 1), row("c", None, 0)]).unwrap_err();
        let (s, reason) = auto_start_refusal(&consent, "rj_9", "m", Some("default:m"), 7).unwrap();
        assert_eq!(reason, "RECORDING_CONSENT_REQUIRED");
        assert_eq!(s.name, "RECORDING_JOB_REFUSED");
        let crate::sql::SqlValue::Text(error) = &s.params[3] else {
            panic!("no error text")
        };
        assert!(error.starts_with("automatic start refused: RECORDING_CONSENT_REQUIRED"));
        assert!(error.ends_with("; missing: c"), "{error}");
        let (s, reason) =
            auto_start_refusal(&call_of(None).unwrap_err(), "rj_9", "m", None, 7).unwrap();
        assert_eq!(reason, "CALL_NOT_PROVISIONED");
        assert_eq!(s.params[2], crate::sql::SqlValue::Text(String::new()));
        // A live job, or the provider's failure on its own job: nothing more.
        let live = start(Some(&job("recording")), "rj_2", "m", "c", None, 5).unwrap_err();
        assert!(auto_start_refusal(&live, "rj_9", "m", None, 7).is_none());
        let provider = ApiError::provider_unavailable("down")
            .with_details(json!({"reason": "PROVIDER_ERROR", "job_id": "rj_1"}));
        assert!(auto_start_refusal(&provider, "rj_9", "m", None, 7).is_none());
    }

    #[test]
    fn f21_provider_paths_match_the_node_sdk() {
        assert_eq!(
            ProviderOp::StartRecording.path("default", "m1"),
            "/api/v2/video/call/default/m1/recordings/composite/start"
        );
        assert_eq!(
            ProviderOp::StopTranscription.path("default", "m1"),
            "/api/v2/video/call/default/m1/stop_transcription"
        );
        assert_eq!(
            ProviderOp::StartTranscription.body(),
            r#"{"language":"auto"}"#
        );
    }
}
