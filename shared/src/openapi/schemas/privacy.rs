//! Privacy and retention: consents (`connvo_shared::privacy::consent_routes`,
//! P19), legal holds and storage policies (`connvo_shared::retention`,
//! P20–P25), retention runs, and the export and erasure requests
//! (`connvo_shared::privacy::requests`, P30–P36).

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// One consent's effective state.
#[derive(ToSchema)]
pub struct ConsentStateView {
    /// `missing`, `granted` or `withdrawn`.
    pub state: String,
    /// The granted version (`granted` only).
    pub version: Option<String>,
    /// When it was answered (unix ms; not for `missing`).
    pub at_ms: Option<i64>,
}

/// One consent event of the history.
#[derive(ToSchema)]
pub struct ConsentEventView {
    /// `terms`, `privacy`, `recording` or `data_processing`.
    pub consent_type: String,
    pub version: String,
    /// `false` is a withdrawal.
    pub consented: bool,
    pub at_ms: i64,
}

/// `GET /v1/me/consents`, and the answer of `POST` (P19).
#[derive(ToSchema)]
pub struct Consents {
    /// Each type → its effective state.
    pub consents: BTreeMap<String, ConsentStateView>,
    pub history: Vec<ConsentEventView>,
}

/// `POST /v1/me/consents`: grant or withdraw one consent.
#[derive(ToSchema)]
#[schema(example = json!({"consent_type": "recording", "version": "2026-01", "consented": true}))]
pub struct ConsentChange {
    /// `terms`, `privacy`, `recording` or `data_processing`.
    #[schema(max_length = 40)]
    pub consent_type: String,
    /// 1–50 of `A-Z a-z 0-9 . _ -`.
    #[schema(min_length = 1, max_length = 50)]
    pub version: String,
    pub consented: bool,
}

/// `POST /v1/admin/legal-holds` (P20).
#[derive(ToSchema)]
#[schema(example = json!({"scope": "meeting", "subject_id": "mtg_123", "reason": "litigation"}))]
pub struct LegalHoldRequest {
    /// `meeting` or `user`.
    pub scope: String,
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub subject_id: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// `{hold}`.
#[derive(ToSchema)]
pub struct LegalHoldBody {
    pub hold: crate::retention::holds::HoldRow,
}

/// `POST /v1/dev/retention/run`: what one run deleted.
#[derive(ToSchema)]
pub struct RetentionReport {
    /// Data class → rows deleted.
    pub deleted: BTreeMap<String, i64>,
    pub statements_run: i64,
    /// `false` when the budget ran out; the next run carries on (P18).
    pub complete: bool,
}

/// `{report}`.
#[derive(ToSchema)]
pub struct RetentionRunBody {
    pub report: RetentionReport,
}

/// One recorded retention run.
#[derive(ToSchema)]
pub struct RetentionRun {
    pub id: String,
    /// `cron` or `dev`.
    pub trigger: String,
    /// Data class → rows deleted.
    pub deleted: BTreeMap<String, i64>,
    pub statements: i64,
    pub complete: bool,
    /// Stored policies that could not be applied.
    pub skipped_policies: i64,
    pub started_at: i64,
    pub finished_at: i64,
}

/// `GET /v1/admin/retention/runs`.
#[derive(ToSchema)]
pub struct RetentionRuns {
    pub runs: Vec<RetentionRun>,
}

/// `{policy}`.
#[derive(ToSchema)]
pub struct StoragePolicyBody {
    pub policy: crate::retention::storage_policy::StoragePolicyRow,
}

/// What applies to a class without a policy.
#[derive(ToSchema)]
pub struct RetentionDefault {
    /// `null`: kept indefinitely.
    #[schema(required = true)]
    pub days: Option<i64>,
    /// Whether an organisation may set its own policy for it.
    pub per_org: bool,
}

/// `GET /v1/admin/storage-policies`.
#[derive(ToSchema)]
pub struct StoragePolicies {
    pub policies: Vec<crate::retention::storage_policy::StoragePolicyRow>,
    /// Data class → the default schedule.
    pub defaults: BTreeMap<String, RetentionDefault>,
}

/// `POST /v1/admin/storage-policies` (P23).
#[derive(ToSchema)]
#[schema(example = json!({"name": "Chat 90 days", "scope": "messages", "retention_days": 90, "auto_delete": true}))]
pub struct StoragePolicyCreate {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `messages` or `recordings`.
    pub scope: String,
    /// 0 (indefinitely) or within the class's bounds.
    #[schema(minimum = 0, maximum = 3650)]
    pub retention_days: i64,
    pub auto_delete: bool,
    /// `hot` (default), `cool` or `archive`.
    pub tier: Option<String>,
}

/// `PUT /v1/admin/storage-policies/{id}`: the whole policy but its scope.
#[derive(ToSchema)]
#[schema(example = json!({"name": "Chat 30 days", "retention_days": 30, "auto_delete": true}))]
pub struct StoragePolicyUpdate {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(minimum = 0, maximum = 3650)]
    pub retention_days: i64,
    pub auto_delete: bool,
    pub tier: Option<String>,
}

/// An export's progress.
#[derive(ToSchema)]
pub struct ExportProgress {
    pub sets_done: i64,
    pub sets_total: i64,
    pub rows_exported: i64,
    pub parts: i64,
}

/// A data export (P30–P33).
#[derive(ToSchema)]
pub struct Export {
    pub id: String,
    /// e.g. `pending`, `ready`, `failed`; a ready export past its expiry is `expired`.
    pub status: String,
    pub requested_at: i64,
    #[schema(required = true)]
    pub completed_at: Option<i64>,
    #[schema(required = true)]
    pub expires_at: Option<i64>,
    #[schema(required = true)]
    pub error: Option<String>,
    pub progress: ExportProgress,
    /// A signed URL once `ready`.
    #[schema(required = true)]
    pub download_url: Option<String>,
}

/// `{export}`.
#[derive(ToSchema)]
pub struct ExportBody {
    pub export: Export,
}

/// An erasure's progress.
#[derive(ToSchema)]
pub struct DeletionProgress {
    pub steps_done: i64,
    pub steps_total: i64,
    pub rows_changed: i64,
}

/// An erasure request (P34–P36).
#[derive(ToSchema)]
pub struct Deletion {
    pub id: String,
    pub status: String,
    /// What it waits for (a legal hold, an export), if anything.
    #[schema(required = true)]
    pub waiting_for: Option<String>,
    #[schema(required = true)]
    pub error: Option<String>,
    pub requested_at: i64,
    #[schema(required = true)]
    pub processed_at: Option<i64>,
    pub progress: DeletionProgress,
}

/// `{deletion}`.
#[derive(ToSchema)]
pub struct DeletionBody {
    pub deletion: Deletion,
}
