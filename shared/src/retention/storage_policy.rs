//! Storage policies, the routes' and the run's pure parts (rules P22–P25 of
//! `docs/privacy.md`): an organisation admin sets how long one data class
//! (`scope`: `messages` or `recordings`, the classes whose purge can be
//! narrowed to one organisation, [`DataClass::per_org`]) of their
//! organisation's meetings is kept, whether retention deletes it at all,
//! and the storage tier it asks for.
//!
//! ```text
//! POST /v1/admin/storage-policies       {"name", "scope", "retention_days", "auto_delete", "tier"}
//! PUT  /v1/admin/storage-policies/{id}  {"name", "retention_days", "auto_delete", "tier"}
//! ```
//!
//! `retention_days = 0` means indefinitely (as does `auto_delete = false`);
//! otherwise the days must lie in the class's bounds (P14). The retention
//! run turns the stored rows into a [`Policy`] over the section 14 defaults
//! ([`policy_from_rows`]).

use serde::{Deserialize, Serialize};

use super::{DataClass, Policy};
use crate::sql::storage_policies::{StoragePolicyCreate, StoragePolicyUpdate};
use crate::sql::Statement;
use crate::validation::{invalid, parse_object, reason, FieldReader};
use crate::ApiError;

/// The storage tier a policy asks for. Recorded and returned; Stream keeps
/// the recording files and the D1 rows have no tiers, so nothing moves yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Hot,
    Cool,
    Archive,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Hot => "hot",
            Tier::Cool => "cool",
            Tier::Archive => "archive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hot" => Some(Tier::Hot),
            "cool" => Some(Tier::Cool),
            "archive" => Some(Tier::Archive),
            _ => None,
        }
    }
}

/// The most days a policy may name (ten years; P14's widest bound).
pub const MAX_DAYS: i64 = 3650;
/// Policies one organisation may have: one per per-org class.
pub const MAX_PER_ORG: i64 = 16;

/// A validated policy body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInput {
    pub name: String,
    pub scope: DataClass,
    pub retention_days: u32,
    pub auto_delete: bool,
    pub tier: Tier,
}

impl PolicyInput {
    /// The days retention deletes after, or `None` = kept (P23).
    pub fn effective_days(&self) -> Option<u32> {
        effective_days(self.auto_delete, self.retention_days)
    }
}

/// `auto_delete` with a positive number of days deletes; anything else keeps.
pub fn effective_days(auto_delete: bool, retention_days: u32) -> Option<u32> {
    (auto_delete && retention_days > 0).then_some(retention_days)
}

fn parse_scope(text: &str) -> Option<DataClass> {
    DataClass::parse(text).filter(|c| c.per_org())
}

/// Reads the fields a create and an update share; `scope` is the stored
/// one on an update (it never changes: a policy of another scope is
/// another policy).
fn read(r: &mut FieldReader<'_>, scope: DataClass) -> Result<PolicyInput, ApiError> {
    let name = r.text("name", 100, false)?;
    let days = r.opt_int("retention_days", 0, MAX_DAYS)?.ok_or_else(|| {
        invalid(
            "retention_days",
            reason::REQUIRED,
            "retention_days is required",
        )
    })?;
    let auto_delete = r
        .opt_bool("auto_delete")?
        .ok_or_else(|| invalid("auto_delete", reason::REQUIRED, "auto_delete is required"))?;
    let tier = r
        .opt_enum("tier", Tier::parse, "hot, cool, archive")?
        .unwrap_or(Tier::Hot);
    let input = PolicyInput {
        name,
        scope,
        retention_days: u32::try_from(days).unwrap_or(0),
        auto_delete,
        tier,
    };
    // P14: the same bounds as the schedule's own.
    if let Some(d) = input.effective_days() {
        let allowed = scope.allowed_days();
        if !allowed.contains(&d) {
            return Err(invalid(
                "retention_days",
                reason::OUT_OF_RANGE,
                format!(
                    "{} may be kept {} to {} days (or 0: indefinitely)",
                    scope.as_str(),
                    allowed.start(),
                    allowed.end()
                ),
            ));
        }
    }
    Ok(input)
}

/// `POST /v1/admin/storage-policies` (P23): every field checked, unknown
/// fields refused.
pub fn parse_create(body: &[u8]) -> Result<PolicyInput, ApiError> {
    let map = parse_object(body)?;
    let mut r = FieldReader::new(&map, "");
    let scope = r
        .opt_enum("scope", parse_scope, "messages, recordings")?
        .ok_or_else(|| invalid("scope", reason::REQUIRED, "scope is required"))?;
    let input = read(&mut r, scope)?;
    r.finish()?;
    Ok(input)
}

/// `PUT /v1/admin/storage-policies/{id}` (P23): the whole policy but its
/// scope, which may not be sent.
pub fn parse_update(body: &[u8], scope: DataClass) -> Result<PolicyInput, ApiError> {
    let map = parse_object(body)?;
    let mut r = FieldReader::new(&map, "");
    let input = read(&mut r, scope)?;
    r.finish()?;
    Ok(input)
}

/// Retention runs listed by default and at most.
pub const RUNS_DEFAULT: i64 = 20;
pub const RUNS_MAX: i64 = 100;

/// `GET /v1/admin/retention/runs?limit=` (P24): `limit` 1–100 (default
/// 20), nothing else.
pub fn runs_limit(pairs: &[(String, String)]) -> Result<i64, ApiError> {
    let mut limit = RUNS_DEFAULT;
    for (key, value) in pairs {
        if key != "limit" {
            return Err(invalid(
                key,
                reason::UNKNOWN_FIELD,
                format!("unknown query parameter {key}"),
            ));
        }
        limit = value
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=RUNS_MAX).contains(l))
            .ok_or_else(|| {
                invalid(
                    "limit",
                    reason::OUT_OF_RANGE,
                    format!("limit must be from 1 to {RUNS_MAX}"),
                )
            })?;
    }
    Ok(limit)
}

/// One stored policy (`STORAGE_POLICY_*`), as the admin routes answer it
/// (`{policy}`; `ToSchema` for the OpenAPI document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoragePolicyRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// `messages` or `recordings`.
    pub scope: String,
    /// 0: kept indefinitely.
    pub retention_days: i64,
    /// 1 or 0.
    pub auto_delete: i64,
    /// `hot`, `cool` or `archive`.
    pub tier: String,
    #[schema(required = true)]
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn create<'a>(
    id: &'a str,
    org_id: &'a str,
    input: &'a PolicyInput,
    created_by: &'a str,
    now_ms: i64,
) -> Statement {
    StoragePolicyCreate {
        id,
        org_id,
        name: &input.name,
        scope: input.scope.as_str(),
        retention_days: i64::from(input.retention_days),
        auto_delete: i64::from(input.auto_delete),
        tier: input.tier.as_str(),
        created_by: Some(created_by),
        now_ms,
    }
    .statement()
}

pub fn update<'a>(id: &'a str, org_id: &'a str, input: &'a PolicyInput, now_ms: i64) -> Statement {
    StoragePolicyUpdate {
        id,
        org_id,
        name: &input.name,
        retention_days: i64::from(input.retention_days),
        auto_delete: i64::from(input.auto_delete),
        tier: input.tier.as_str(),
        now_ms,
    }
    .statement()
}

/// The 409 of a second policy for the same scope.
pub fn duplicate(scope: DataClass) -> ApiError {
    ApiError::new(
        crate::ErrorCode::Conflict,
        format!(
            "your organisation already has a {} policy; change that one",
            scope.as_str()
        ),
    )
    .with_details(serde_json::json!({ "reason": "POLICY_EXISTS", "scope": scope.as_str() }))
}

/// The run's policy (P24): the section 14 defaults, then each stored
/// policy as its organisation's override. A row that no longer passes the
/// bounds (they were tightened after it was stored) is skipped, so its
/// organisation keeps the default, and its id is returned to be counted.
pub fn policy_from_rows(rows: &[StoragePolicyRow]) -> (Policy, Vec<String>) {
    let mut policy = Policy::default();
    let mut skipped = Vec::new();
    for row in rows {
        let applied = match parse_scope(&row.scope) {
            Some(class) => {
                let days = u32::try_from(row.retention_days).unwrap_or(u32::MAX);
                let days = effective_days(row.auto_delete != 0, days);
                policy.set_org(class, &row.org_id, days).is_ok()
            }
            None => false,
        };
        if !applied {
            skipped.push(row.id.clone());
        }
    }
    (policy, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::{plan, PolicyError};
    use crate::sql::SqlValue;

    fn row(id: &str, org: &str, scope: &str, days: i64, auto: i64) -> StoragePolicyRow {
        StoragePolicyRow {
            id: id.into(),
            org_id: org.into(),
            name: "n".into(),
            scope: scope.into(),
            retention_days: days,
            auto_delete: auto,
            tier: "hot".into(),
            created_by: None,
            created_at: 1,
            updated_at: 1,
        }
    }

    fn field(err: ApiError) -> String {
        err.details.unwrap()["field"].as_str().unwrap().to_owned()
    }

    #[test]
    fn p23_bodies_are_validated_against_the_p14_bounds() {
        let p = parse_create(
            br#"{"name":"Short chat","scope":"messages","retention_days":7,"auto_delete":true,"tier":"cool"}"#,
        )
        .unwrap();
        assert_eq!(p.scope, DataClass::Messages);
        assert_eq!(p.effective_days(), Some(7));
        assert_eq!(p.tier, Tier::Cool);
        let keep = parse_create(
            br#"{"name":"Keep","scope":"recordings","retention_days":0,"auto_delete":true}"#,
        )
        .unwrap();
        assert_eq!(keep.effective_days(), None, "0 days = indefinitely");
        assert_eq!(keep.tier, Tier::Hot, "the default tier");
        for (bad, at) in [
            (&br#"{"name":"x","scope":"audit_logs","retention_days":7,"auto_delete":true}"#[..], "scope"),
            (br#"{"name":"x","scope":"messages","retention_days":4000,"auto_delete":true}"#, "retention_days"),
            (br#"{"name":"x","scope":"messages","retention_days":-1,"auto_delete":true}"#, "retention_days"),
            (br#"{"name":"x","scope":"messages","retention_days":7}"#, "auto_delete"),
            (br#"{"name":"","scope":"messages","retention_days":7,"auto_delete":true}"#, "name"),
            (br#"{"name":"x","scope":"messages","retention_days":7,"auto_delete":true,"tier":"cold"}"#, "tier"),
            (br#"{"name":"x","scope":"messages","retention_days":7,"auto_delete":true,"extra":1}"#, "extra"),
        ] {
            assert_eq!(field(parse_create(bad).unwrap_err()), at, "{}", String::from_utf8_lossy(bad));
        }
        // An update may not move a policy to another scope.
        let err = parse_update(
            br#"{"name":"x","scope":"recordings","retention_days":7,"auto_delete":true}"#,
            DataClass::Messages,
        )
        .unwrap_err();
        assert_eq!(field(err), "scope");
        let up = parse_update(
            br#"{"name":"x","retention_days":30,"auto_delete":false,"tier":"archive"}"#,
            DataClass::Recordings,
        )
        .unwrap();
        assert_eq!(
            (up.scope, up.effective_days()),
            (DataClass::Recordings, None)
        );
    }

    #[test]
    fn p24_stored_policies_override_the_default_per_org() {
        let (policy, skipped) = policy_from_rows(&[
            row("sp_1", "org_a", "messages", 7, 1),
            row("sp_2", "org_b", "messages", 30, 0),
            row("sp_3", "org_a", "recordings", 60, 1),
            row("sp_bad", "org_c", "messages", 9999, 1),
            row("sp_scope", "org_c", "audit_logs", 400, 1),
        ]);
        assert_eq!(skipped, vec!["sp_bad".to_owned(), "sp_scope".to_owned()]);
        assert_eq!(policy.org_days(DataClass::Messages, "org_a"), Some(7));
        assert_eq!(
            policy.org_days(DataClass::Messages, "org_b"),
            None,
            "auto_delete off keeps"
        );
        assert_eq!(
            policy.org_days(DataClass::Messages, "org_c"),
            Some(90),
            "default"
        );
        assert_eq!(policy.org_days(DataClass::Recordings, "org_a"), Some(60));
        assert_eq!(
            policy.org_days(DataClass::Recordings, "org_b"),
            None,
            "recordings are kept by default"
        );
        let now = 1_000 * 86_400_000;
        let batches = plan(&policy, now, 10);
        let named = |name: &str| -> Vec<&crate::retention::Batch> {
            batches
                .iter()
                .filter(|b| b.statement.name == name)
                .collect()
        };
        // The default message batch skips both orgs with their own policy.
        let default = named("RETENTION_HELD_PURGE_MESSAGES");
        assert_eq!(
            default[0].statement.params[2],
            SqlValue::Text(r#"["org_a","org_b"]"#.into())
        );
        // Only org_a's messages and recordings get batches of their own.
        let org_messages = named("RETENTION_HELD_PURGE_MESSAGES_FOR_ORG");
        assert_eq!(org_messages.len(), 1);
        assert_eq!(
            org_messages[0].statement.params[2],
            SqlValue::Text("org_a".into())
        );
        let org_recordings = named("RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG");
        assert_eq!(org_recordings.len(), 1);
        assert_eq!(
            org_recordings[0].statement.params[0],
            SqlValue::Integer(now - 60 * 86_400_000)
        );
        assert!(
            named("RETENTION_HELD_PURGE_RECORDINGS").is_empty(),
            "no default for recordings"
        );
    }

    #[test]
    fn p24_the_runs_list_takes_only_a_bounded_limit() {
        let q = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
        assert_eq!(runs_limit(&[]).unwrap(), RUNS_DEFAULT);
        assert_eq!(runs_limit(&q("limit", "5")).unwrap(), 5);
        for bad in [
            q("limit", "0"),
            q("limit", "101"),
            q("limit", "x"),
            q("page", "1"),
        ] {
            assert!(runs_limit(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn p25_only_per_org_classes_take_an_org_policy() {
        let mut p = Policy::default();
        assert_eq!(
            p.set_org(DataClass::AuditLogs, "org_a", Some(400)),
            Err(PolicyError::NotPerOrg {
                class: DataClass::AuditLogs
            })
        );
        assert!(p.set_org(DataClass::Recordings, "org_a", Some(0)).is_err());
        assert!(p.set_org(DataClass::Recordings, "org_a", None).is_ok());
        assert_eq!(
            duplicate(DataClass::Messages).details.unwrap()["reason"],
            "POLICY_EXISTS"
        );
    }
}
