//! Legal holds, the routes' pure parts (rule P20 of `docs/privacy.md`):
//! `POST /v1/admin/legal-holds` `{"scope": "meeting"|"user", "subject_id",
//! "reason"}` and `DELETE /v1/admin/legal-holds/{id}`. An organisation
//! admin holds only a meeting or user of their own organisation (the
//! subject's organisation is loaded and compared here); a hold suspends
//! retention deletes (P15) and erasure (P10) until released.

use serde::Deserialize;

use crate::route::is_valid_id;
use crate::sql::legal_holds::{LegalHoldPlace, LegalHoldRelease};
use crate::sql::Statement;
use crate::validation::{invalid, parse_object, reason, FieldReader};
use crate::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Meeting,
    User,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Meeting => "meeting",
            Scope::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "meeting" => Some(Scope::Meeting),
            "user" => Some(Scope::User),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceHold {
    pub scope: Scope,
    pub subject_id: String,
    pub reason: String,
}

pub fn parse_place(body: &[u8]) -> Result<PlaceHold, ApiError> {
    let map = parse_object(body)?;
    let mut r = FieldReader::new(&map, "");
    let scope = r.opt_enum("scope", Scope::parse, "meeting, user")?;
    let subject_id = r.id("subject_id", is_valid_id)?;
    let why = r.text("reason", 1000, true)?;
    r.finish()?;
    let scope = scope.ok_or_else(|| invalid("scope", reason::REQUIRED, "scope is required"))?;
    Ok(PlaceHold {
        scope,
        subject_id,
        reason: why,
    })
}

/// The subject's organisation must be the admin's (else 404: another
/// organisation's meetings and people are not visible).
pub fn check_subject(admin_org: &str, subject_org: Option<&str>) -> Result<(), ApiError> {
    if subject_org == Some(admin_org) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "no such meeting or user in your organisation",
        ))
    }
}

pub fn place<'a>(id: &'a str, hold: &'a PlaceHold, placed_by: &'a str, now_ms: i64) -> Statement {
    LegalHoldPlace {
        id,
        scope: hold.scope.as_str(),
        subject_id: &hold.subject_id,
        reason: &hold.reason,
        placed_by: Some(placed_by),
        now_ms,
    }
    .statement()
}

/// One stored hold (`LEGAL_HOLD_GET`), as the admin routes answer it
/// (`{hold}`; `ToSchema` for the OpenAPI document).
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct HoldRow {
    pub id: String,
    /// `meeting` or `user`.
    pub scope: String,
    pub subject_id: String,
    pub reason: String,
    #[schema(required = true)]
    pub placed_by: Option<String>,
    #[schema(required = true)]
    pub released_at: Option<i64>,
    pub created_at: i64,
}

/// Releasing an already released hold is a no-op answer, not an error.
pub fn release(hold: &HoldRow, now_ms: i64) -> Option<Statement> {
    hold.released_at.is_none().then(|| {
        LegalHoldRelease {
            id: &hold.id,
            now_ms,
        }
        .statement()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p20_holds_are_validated_and_scoped_to_the_admins_org() {
        let h = parse_place(br#"{"scope":"meeting","subject_id":"mtg_1","reason":"litigation"}"#)
            .unwrap();
        assert_eq!(h.scope, Scope::Meeting);
        for bad in [
            &br#"{"scope":"org","subject_id":"x","reason":"r"}"#[..],
            br#"{"scope":"user","subject_id":"a b","reason":"r"}"#,
            br#"{"scope":"user","subject_id":"u","reason":""}"#,
            br#"{"subject_id":"u","reason":"r"}"#,
        ] {
            assert!(parse_place(bad).is_err());
        }
        assert!(check_subject("org_a", Some("org_a")).is_ok());
        assert!(check_subject("org_a", Some("org_b")).is_err());
        assert!(check_subject("org_a", None).is_err());
        let mut row = HoldRow {
            id: "h".into(),
            scope: "meeting".into(),
            subject_id: "m".into(),
            reason: "r".into(),
            placed_by: None,
            released_at: None,
            created_at: 1,
        };
        assert!(release(&row, 2).is_some());
        row.released_at = Some(2);
        assert!(release(&row, 3).is_none());
        assert_eq!(place("h", &h, "admin", 1).name, "LEGAL_HOLD_PLACE");
    }
}
