//! The consent routes' pure parts (rule P19 of `docs/privacy.md`):
//! `POST /v1/me/consents` `{"consent_type", "version", "consented"}`
//! validated into one appended history row, and the caller's consents as
//! the API shows them (the effective state of each type, and the history).

use serde::Deserialize;
use serde_json::{json, Value};

use super::consent::{
    effective, processing_allowed, validate_change, ConsentError, ConsentEvent, ConsentType,
};
use crate::sql::privacy::ConsentRecord;
use crate::sql::Statement;
use crate::validation::{invalid, parse_object, reason, FieldReader};
use crate::ApiError;

/// The most history rows read for one user.
pub const HISTORY_LIMIT: i64 = 500;

/// A validated consent change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    pub consent_type: ConsentType,
    pub version: String,
    pub consented: bool,
}

/// Parses the body (P19): unknown fields, an unknown type, a bad version
/// or a missing `consented` are 400s and nothing is written.
pub fn parse_change(body: &[u8]) -> Result<ConsentChange, ApiError> {
    let map = parse_object(body)?;
    let mut r = FieldReader::new(&map, "");
    let kind = r.text("consent_type", 40, false)?;
    let version = r.text("version", 50, false)?;
    let consented = r.opt_bool("consented")?;
    r.finish()?;
    let consented =
        consented.ok_or_else(|| invalid("consented", reason::REQUIRED, "consented is required"))?;
    let consent_type = validate_change(&kind, &version).map_err(|e| match e {
        ConsentError::UnknownType => invalid(
            "consent_type",
            reason::INVALID_VALUE,
            "consent_type must be one of terms, privacy, recording, data_processing",
        ),
        ConsentError::BadVersion => invalid(
            "version",
            reason::INVALID_VALUE,
            "version must be 1 to 50 of A-Z a-z 0-9 . _ -",
        ),
    })?;
    Ok(ConsentChange {
        consent_type,
        version,
        consented,
    })
}

/// The history row of a change.
pub fn record<'a>(
    id: &'a str,
    user_id: &'a str,
    change: &'a ConsentChange,
    now_ms: i64,
) -> Statement {
    ConsentRecord {
        id,
        user_id,
        consent_type: change.consent_type.as_str(),
        version: &change.version,
        consented: change.consented,
        now_ms,
    }
    .statement()
}

/// One row of `CONSENT_LIST_FOR_USER`.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsentRow {
    pub consent_type: String,
    pub version: String,
    pub consented: i64,
    pub created_at: i64,
}

pub fn events(rows: &[ConsentRow]) -> Vec<ConsentEvent> {
    rows.iter()
        .filter_map(|r| {
            Some(ConsentEvent {
                consent_type: ConsentType::parse(&r.consent_type)?,
                version: r.version.clone(),
                consented: r.consented != 0,
                at_ms: r.created_at,
            })
        })
        .collect()
}

/// `{"consents": {type: state}, "history": [...]}`.
pub fn view(rows: &[ConsentRow]) -> Value {
    let events = events(rows);
    let mut consents = serde_json::Map::new();
    for kind in ConsentType::ALL {
        consents.insert(
            kind.as_str().to_owned(),
            serde_json::to_value(effective(&events, kind)).unwrap_or(Value::Null),
        );
    }
    json!({ "consents": consents, "history": events })
}

/// P21: no matching or embedding for a user who withdrew data-processing
/// consent (P3): 403 `DATA_PROCESSING_WITHDRAWN`, nothing written.
pub fn processing_gate(rows: &[ConsentRow]) -> Result<(), ApiError> {
    if processing_allowed(&events(rows)) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "you withdrew consent to data processing; grant it again to use matching",
    )
    .with_details(json!({ "reason": "DATA_PROCESSING_WITHDRAWN" })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p19_changes_are_validated_and_the_view_shows_the_newest() {
        let ok =
            parse_change(br#"{"consent_type":"recording","version":"2026-01","consented":false}"#)
                .unwrap();
        assert_eq!(ok.consent_type, ConsentType::Recording);
        assert!(!ok.consented);
        for bad in [
            &br#"{"consent_type":"marketing","version":"1","consented":true}"#[..],
            br#"{"consent_type":"terms","version":"1 or 1","consented":true}"#,
            br#"{"consent_type":"terms","version":"1"}"#,
            br#"{"consent_type":"terms","version":"1","consented":true,"extra":1}"#,
            br#"{"consent_type":"terms","version":"1","consented":"yes"}"#,
        ] {
            assert!(
                parse_change(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let rows = vec![
            ConsentRow {
                consent_type: "recording".into(),
                version: "1".into(),
                consented: 1,
                created_at: 1,
            },
            ConsentRow {
                consent_type: "recording".into(),
                version: "1".into(),
                consented: 0,
                created_at: 2,
            },
        ];
        let v = view(&rows);
        assert_eq!(v["consents"]["recording"]["state"], "withdrawn");
        assert_eq!(v["consents"]["terms"]["state"], "missing");
        assert_eq!(v["history"].as_array().unwrap().len(), 2);
        let s = record("c1", "u1", &ok, 5);
        assert_eq!(s.name, "CONSENT_RECORD");
    }

    #[test]
    fn p21_withdrawn_data_processing_stops_matching() {
        let row = |consented: i64, at: i64| ConsentRow {
            consent_type: "data_processing".into(),
            version: "1".into(),
            consented,
            created_at: at,
        };
        assert!(processing_gate(&[]).is_ok());
        assert!(processing_gate(&[row(1, 1)]).is_ok());
        let err = processing_gate(&[row(1, 1), row(0, 2)]).unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "DATA_PROCESSING_WITHDRAWN");
        assert!(processing_gate(&[row(0, 1), row(1, 2)]).is_ok());
    }
}
