//! Recordings (`workers/src/recordings`, F1–F23): recording jobs and the
//! files Stream announced, each with a signed download URL (Stream's own URL
//! never leaves the server).

use utoipa::ToSchema;

/// A recording or transcription file (one track of a job).
#[derive(ToSchema)]
pub struct Recording {
    pub id: String,
    pub meeting_id: String,
    /// `recording` or `transcription`.
    pub kind: String,
    pub recording_type: Option<String>,
    pub call_cid: Option<String>,
    pub session_id: Option<String>,
    pub egress_id: Option<String>,
    pub filename: Option<String>,
    /// Unix ms.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub created_at: i64,
    /// The recording job it belongs to.
    pub job_id: Option<String>,
    pub track: Option<String>,
    pub duration_ms: Option<i64>,
    pub size_bytes: Option<i64>,
    /// A signed URL of this API (`GET /v1/files/{id}`), valid until `download_expires_at`.
    pub download_url: String,
    pub download_expires_at: i64,
}

/// A recording job (`recording_jobs`).
#[derive(ToSchema)]
pub struct RecordingJob {
    pub id: String,
    pub meeting_id: String,
    /// The job's state (docs/recordings: e.g. `recording`, `processing`, `completed`, `failed`).
    pub status: String,
    pub recording_type: String,
    pub call_cid: String,
    #[schema(required = true)]
    pub started_by: Option<String>,
    #[schema(required = true)]
    pub error: Option<String>,
    #[schema(required = true)]
    pub started_at: Option<i64>,
    #[schema(required = true)]
    pub stopped_at: Option<i64>,
    #[schema(required = true)]
    pub completed_at: Option<i64>,
    pub created_at: i64,
    /// In listings: the job's files.
    pub tracks: Option<Vec<Recording>>,
}

/// `POST /v1/meetings/{id}/recording/start|stop`: the job as stored.
#[derive(ToSchema)]
pub struct RecordingJobBody {
    #[schema(required = true)]
    pub job: Option<RecordingJob>,
}

/// `GET /v1/meetings/{id}/recordings`.
#[derive(ToSchema)]
pub struct MeetingRecordings {
    pub recordings: Vec<Recording>,
    /// Each job with its `tracks`.
    pub jobs: Vec<RecordingJob>,
}

/// `GET /v1/recordings/{id}`: the file, its job and all of that job's tracks.
#[derive(ToSchema)]
pub struct RecordingDetail {
    pub recording: Recording,
    #[schema(required = true)]
    pub job: Option<RecordingJob>,
    pub tracks: Vec<Recording>,
}
