//! The privacy request routes' pure parts (rules P33–P35 of
//! `docs/privacy.md`): asking for an export or for erasure, and what the
//! status routes show.
//!
//! - `POST /v1/privacy/export`: refused while a deletion of the caller is
//!   open or another export is (P12), else one `pending` row and a job.
//! - `POST /v1/privacy/delete-account`: one open request per user; asking
//!   again answers the open one (and its job is queued again, so a request
//!   whose job was lost moves on).
//! - The status routes show only the owner's request; a completed erasure
//!   no longer names the user, so its owner is recognised by the pseudonym.

use serde::Deserialize;
use serde_json::{json, Value};

use super::export::{export_allowed, EXPORT_URL_TTL_MS};
use crate::notifications::{Category, Outgoing, Priority};
use crate::sql::privacy::{DeletionRequestCreate, ExportRequestCreate};
use crate::sql::Statement;
use crate::ApiError;

/// Export request ids.
pub const EXPORT_PREFIX: &str = "exp";
/// Deletion request ids.
pub const DELETION_PREFIX: &str = "del";

/// An open request (`EXPORT_REQUEST_OPEN_FOR_USER`,
/// `DELETION_REQUEST_OPEN_FOR_USER`).
#[derive(Debug, Clone, Deserialize)]
pub struct OpenRequest {
    pub id: String,
}

/// P12 as the route answers it: 409 `CONFLICT` with `details.reason`
/// `DELETION_IN_PROGRESS` or `EXPORT_IN_PROGRESS` (and the open export's
/// id), else the insert of the new `pending` row.
pub fn plan_export(
    deletion_open: bool,
    export_open: Option<&OpenRequest>,
    id: &str,
    user_id: &str,
    now_ms: i64,
) -> Result<Statement, ApiError> {
    export_allowed(deletion_open, export_open.is_some()).map_err(|reason| {
        let message = match reason {
            "DELETION_IN_PROGRESS" => "an erasure of this account is in progress",
            _ => "an export is already in progress",
        };
        ApiError::conflict(message).with_details(json!({
            "reason": reason,
            "export_id": export_open.map(|o| o.id.as_str()),
        }))
    })?;
    Ok(ExportRequestCreate {
        id,
        user_id,
        now_ms,
    }
    .statement())
}

/// The refusal when the insert found an open export after all (two
/// requests at once; the unique index decided).
pub fn export_raced() -> ApiError {
    ApiError::conflict("an export is already in progress")
        .with_details(json!({ "reason": "EXPORT_IN_PROGRESS" }))
}

/// One `data_export_requests` row (`EXPORT_REQUEST_GET`, `_LOAD`).
#[derive(Debug, Clone, Deserialize)]
pub struct ExportRow {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub object_key: Option<String>,
    pub error: Option<String>,
    pub requested_at: i64,
    pub completed_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub progress: Option<String>,
    pub rows_exported: i64,
    pub parts: i64,
    pub sets_done: i64,
}

impl ExportRow {
    /// The status as shown: a ready export past its expiry is `expired`.
    pub fn status_at(&self, now_ms: i64) -> &str {
        match self.expires_at {
            Some(t) if self.status == "ready" && t <= now_ms => "expired",
            _ => &self.status,
        }
    }

    /// How long a download URL issued now may live: until the export
    /// expires (at most 30 days, P11). `None` when there is nothing to
    /// download.
    pub fn download_ttl_ms(&self, now_ms: i64) -> Option<i64> {
        if self.status_at(now_ms) != "ready" || self.object_key.is_none() {
            return None;
        }
        let left = self.expires_at? - now_ms;
        (left > 0).then_some(left.min(EXPORT_URL_TTL_MS))
    }
}

/// `GET /v1/privacy/export/{id}` and the answer of the POST: status,
/// progress, and the signed URL when ready.
pub fn export_view(row: &ExportRow, now_ms: i64, download_url: Option<&str>) -> Value {
    json!({
        "export": {
            "id": row.id,
            "status": row.status_at(now_ms),
            "requested_at": row.requested_at,
            "completed_at": row.completed_at,
            "expires_at": row.expires_at,
            "error": row.error,
            "progress": {
                "sets_done": row.sets_done,
                "sets_total": super::export::DataSet::ALL.len(),
                "rows_exported": row.rows_exported,
                "parts": row.parts,
            },
            "download_url": download_url,
        }
    })
}

/// The notification that an export is ready (once per export: its dedupe
/// key), carrying the signed path (valid 30 days).
pub fn export_ready(
    user_id: &str,
    export_id: &str,
    download_path: &str,
    expires_at: i64,
) -> Outgoing {
    Outgoing::new(
        user_id,
        "export_ready",
        Category::System,
        Priority::Medium,
        "Your data export is ready",
    )
    .body("Download it within 30 days.")
    .data("export_id", export_id)
    .data("download_url", download_path)
    .data("expires_at", expires_at)
    .dedupe(format!("export_ready:{export_id}"))
}

/// What `POST /v1/privacy/delete-account` does.
#[derive(Debug, Clone, PartialEq)]
pub enum DeletionPlan {
    /// Open a new request with this insert (201).
    Create(Statement),
    /// A request is already open: answer it (200) and queue its job again.
    Existing(String),
}

/// P34: one open deletion request per user.
pub fn plan_deletion(
    open: Option<&OpenRequest>,
    id: &str,
    user_id: &str,
    pseudonym: &str,
    now_ms: i64,
) -> DeletionPlan {
    match open {
        Some(o) => DeletionPlan::Existing(o.id.clone()),
        None => DeletionPlan::Create(
            DeletionRequestCreate {
                id,
                user_id,
                pseudonym,
                now_ms,
            }
            .statement(),
        ),
    }
}

/// One `data_deletion_requests` row (`DELETION_REQUEST_GET`).
#[derive(Debug, Clone, Deserialize)]
pub struct DeletionRow {
    pub id: String,
    pub user_id: Option<String>,
    pub pseudonym: String,
    pub status: String,
    pub error: Option<String>,
    pub waiting_for: Option<String>,
    pub steps_done: i64,
    pub steps_total: i64,
    pub rows_changed: i64,
    pub requested_at: i64,
    pub processed_at: Option<i64>,
    pub updated_at: i64,
}

impl DeletionRow {
    /// P35: the caller owns the request: it names them, or (completed, the
    /// user id gone) its pseudonym is theirs.
    pub fn owned_by(&self, caller_id: &str, caller_pseudonym: Option<&str>) -> bool {
        match &self.user_id {
            Some(u) => u == caller_id,
            None => caller_pseudonym == Some(self.pseudonym.as_str()),
        }
    }
}

/// The status routes' view of a deletion request.
pub fn deletion_view(row: &DeletionRow) -> Value {
    json!({
        "deletion": {
            "id": row.id,
            "status": row.status,
            "waiting_for": row.waiting_for,
            "error": row.error,
            "requested_at": row.requested_at,
            "processed_at": row.processed_at,
            "progress": {
                "steps_done": row.steps_done,
                "steps_total": row.steps_total,
                "rows_changed": row.rows_changed,
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn open(id: &str) -> OpenRequest {
        OpenRequest { id: id.into() }
    }

    #[test]
    fn p33_an_export_is_refused_while_one_or_a_deletion_is_open() {
        let err = plan_export(false, Some(&open("exp_1")), "exp_2", "u", 5).unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        let details = err.details.unwrap();
        assert_eq!(details["reason"], "EXPORT_IN_PROGRESS");
        assert_eq!(details["export_id"], "exp_1");
        let err = plan_export(true, None, "exp_2", "u", 5).unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "DELETION_IN_PROGRESS");
        let st = plan_export(false, None, "exp_2", "u", 5).unwrap();
        assert_eq!(st.name, "EXPORT_REQUEST_CREATE");
    }

    fn row(status: &str, expires_at: Option<i64>) -> ExportRow {
        ExportRow {
            id: "exp_1".into(),
            user_id: "u".into(),
            status: status.into(),
            object_key: Some("privacy-exports/exp_1.json".into()),
            error: None,
            requested_at: 1,
            completed_at: None,
            expires_at,
            progress: None,
            rows_exported: 3,
            parts: 1,
            sets_done: 14,
        }
    }

    #[test]
    fn p33_a_download_url_lives_until_the_export_expires() {
        let ready = row("ready", Some(1_000));
        assert_eq!(ready.download_ttl_ms(400), Some(600));
        assert_eq!(ready.status_at(1_000), "expired");
        assert_eq!(ready.download_ttl_ms(1_000), None);
        assert_eq!(row("processing", None).download_ttl_ms(0), None);
        let view = export_view(&ready, 400, Some("https://x/v1/files/exp_1?…"));
        assert_eq!(view["export"]["status"], "ready");
        assert_eq!(view["export"]["progress"]["sets_total"], 14);
        let n = export_ready("u", "exp_1", "/v1/files/exp_1?sig=…", 9);
        assert_eq!(n.dedupe_key.as_deref(), Some("export_ready:exp_1"));
        assert_eq!(n.data["download_url"], "/v1/files/exp_1?sig=…");
    }

    #[test]
    fn p34_one_open_deletion_per_user_and_p35_its_owner_sees_it() {
        assert_eq!(
            plan_deletion(Some(&open("del_1")), "del_2", "u", "erased_x", 1),
            DeletionPlan::Existing("del_1".into())
        );
        assert!(matches!(
            plan_deletion(None, "del_2", "u", "erased_x", 1),
            DeletionPlan::Create(st) if st.name == "DELETION_REQUEST_CREATE"
        ));
        let mut r = DeletionRow {
            id: "del_1".into(),
            user_id: Some("u".into()),
            pseudonym: "erased_x".into(),
            status: "pending".into(),
            error: None,
            waiting_for: Some("legal_hold".into()),
            steps_done: 0,
            steps_total: 0,
            rows_changed: 0,
            requested_at: 1,
            processed_at: None,
            updated_at: 1,
        };
        assert!(r.owned_by("u", None));
        assert!(!r.owned_by("v", Some("erased_x")));
        r.user_id = None;
        assert!(r.owned_by("u", Some("erased_x")));
        assert!(!r.owned_by("u", Some("erased_y")));
        assert_eq!(deletion_view(&r)["deletion"]["waiting_for"], "legal_hold");
    }
}
