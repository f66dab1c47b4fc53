//! Consents (rules P1–P5 of `docs/privacy.md`).
//!
//! A consent history is a list of events per (user, type): a grant of some
//! version, or a withdrawal. The newest event decides (P1); at equal times a
//! withdrawal wins, so a withdrawal is never lost to a clock tie.
//!
//! - Recording is opt-in: a meeting may be recorded only when *every*
//!   participant's recording consent is granted (P2). No answer is a no.
//! - Data processing (embeddings, matching, AI insights) is opt-out: it is
//!   allowed unless the user's newest data-processing event is a withdrawal
//!   (P3). Accepting the terms is the legal basis until then.
//! - Terms and privacy are accepted per version: a grant of an older version
//!   than the current one asks for re-acceptance (P4).

use serde::{Deserialize, Serialize};

/// The kinds of consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentType {
    Terms,
    Privacy,
    Recording,
    DataProcessing,
}

impl ConsentType {
    pub const ALL: [ConsentType; 4] = [
        ConsentType::Terms,
        ConsentType::Privacy,
        ConsentType::Recording,
        ConsentType::DataProcessing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentType::Terms => "terms",
            ConsentType::Privacy => "privacy",
            ConsentType::Recording => "recording",
            ConsentType::DataProcessing => "data_processing",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// One consent event, as `user_consents` stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub consent_type: ConsentType,
    pub version: String,
    /// `false` is a withdrawal.
    pub consented: bool,
    pub at_ms: i64,
}

/// The effective state of one consent type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConsentState {
    /// Never answered.
    Missing,
    Granted {
        version: String,
        at_ms: i64,
    },
    Withdrawn {
        at_ms: i64,
    },
}

impl ConsentState {
    pub fn is_granted(&self) -> bool {
        matches!(self, ConsentState::Granted { .. })
    }
}

/// The newest event of `kind` decides; a withdrawal wins a tie (P1).
pub fn effective(events: &[ConsentEvent], kind: ConsentType) -> ConsentState {
    let newest = events
        .iter()
        .filter(|e| e.consent_type == kind)
        // max_by_key keeps the last maximum; ordering withdrawals above
        // grants at the same time makes the withdrawal win.
        .max_by_key(|e| (e.at_ms, !e.consented));
    match newest {
        None => ConsentState::Missing,
        Some(e) if e.consented => ConsentState::Granted {
            version: e.version.clone(),
            at_ms: e.at_ms,
        },
        Some(e) => ConsentState::Withdrawn { at_ms: e.at_ms },
    }
}

/// Validation of a consent change request (`POST /v1/privacy/consents/{type}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentError {
    UnknownType,
    /// Version empty, longer than 50 bytes, or not `[A-Za-z0-9._-]`.
    BadVersion,
}

/// Validates a consent change (P5): a known type and a plain version string.
pub fn validate_change(consent_type: &str, version: &str) -> Result<ConsentType, ConsentError> {
    let kind = ConsentType::parse(consent_type).ok_or(ConsentError::UnknownType)?;
    let ok = !version.is_empty()
        && version.len() <= 50
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(ConsentError::BadVersion);
    }
    Ok(kind)
}

/// Why a recording may not start: the participants without a granted
/// recording consent, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingBlocked {
    pub missing: Vec<String>,
    pub withdrawn: Vec<String>,
}

/// P2: every participant's recording consent must be granted. `participants`
/// is (user id, that user's consent events), for every member of the
/// meeting (`CONSENT_LIST_FOR_MEETING`). An empty meeting cannot be recorded.
pub fn recording_allowed(participants: &[(&str, &[ConsentEvent])]) -> Result<(), RecordingBlocked> {
    let mut blocked = RecordingBlocked {
        missing: Vec::new(),
        withdrawn: Vec::new(),
    };
    for (user_id, events) in participants {
        match effective(events, ConsentType::Recording) {
            ConsentState::Granted { .. } => {}
            ConsentState::Missing => blocked.missing.push((*user_id).to_owned()),
            ConsentState::Withdrawn { .. } => blocked.withdrawn.push((*user_id).to_owned()),
        }
    }
    if participants.is_empty() || !blocked.missing.is_empty() || !blocked.withdrawn.is_empty() {
        return Err(blocked);
    }
    Ok(())
}

/// P3: embeddings, matching and AI processing of a user's data are allowed
/// unless their newest data-processing event is a withdrawal.
pub fn processing_allowed(events: &[ConsentEvent]) -> bool {
    !matches!(
        effective(events, ConsentType::DataProcessing),
        ConsentState::Withdrawn { .. }
    )
}

/// P4: terms or privacy must be (re-)accepted when the newest grant is not
/// of `current_version` (or there is none, or it was withdrawn).
pub fn needs_acceptance(events: &[ConsentEvent], kind: ConsentType, current_version: &str) -> bool {
    match effective(events, kind) {
        ConsentState::Granted { version, .. } => version != current_version,
        ConsentState::Missing | ConsentState::Withdrawn { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentType::*;

    fn ev(kind: ConsentType, version: &str, consented: bool, at_ms: i64) -> ConsentEvent {
        ConsentEvent {
            consent_type: kind,
            version: version.into(),
            consented,
            at_ms,
        }
    }

    #[test]
    fn p1_the_newest_event_decides_and_withdrawal_wins_a_tie() {
        let events = [ev(Recording, "1", true, 10), ev(Recording, "1", false, 20)];
        assert_eq!(
            effective(&events, Recording),
            ConsentState::Withdrawn { at_ms: 20 }
        );
        let regranted = [ev(Recording, "1", false, 20), ev(Recording, "2", true, 30)];
        assert_eq!(
            effective(&regranted, Recording),
            ConsentState::Granted {
                version: "2".into(),
                at_ms: 30
            }
        );
        let tie = [ev(Recording, "1", false, 5), ev(Recording, "1", true, 5)];
        assert_eq!(
            effective(&tie, Recording),
            ConsentState::Withdrawn { at_ms: 5 }
        );
        assert_eq!(effective(&events, Terms), ConsentState::Missing);
    }

    #[test]
    fn p2_recording_needs_every_participant_granted() {
        let yes = [ev(Recording, "1", true, 1)];
        let withdrew = [ev(Recording, "1", true, 1), ev(Recording, "1", false, 2)];
        let other_kind = [ev(Terms, "1", true, 1)];
        assert_eq!(recording_allowed(&[("a", &yes), ("b", &yes)]), Ok(()));
        assert_eq!(
            recording_allowed(&[("a", &yes), ("b", &withdrew), ("c", &other_kind)]),
            Err(RecordingBlocked {
                missing: vec!["c".into()],
                withdrawn: vec!["b".into()]
            })
        );
        assert!(recording_allowed(&[]).is_err());
    }

    #[test]
    fn p3_processing_stops_on_withdrawal_only() {
        assert!(processing_allowed(&[]));
        assert!(processing_allowed(&[ev(DataProcessing, "1", true, 1)]));
        assert!(!processing_allowed(&[
            ev(DataProcessing, "1", true, 1),
            ev(DataProcessing, "1", false, 2)
        ]));
        assert!(processing_allowed(&[ev(Recording, "1", false, 2)]));
    }

    #[test]
    fn p4_terms_are_accepted_per_version() {
        let events = [ev(Terms, "2024-01", true, 1)];
        assert!(!needs_acceptance(&events, Terms, "2024-01"));
        assert!(needs_acceptance(&events, Terms, "2025-06"));
        assert!(needs_acceptance(&events, Privacy, "2024-01"));
    }

    #[test]
    fn p5_consent_changes_are_validated() {
        assert_eq!(validate_change("recording", "v1.2"), Ok(Recording));
        assert_eq!(
            validate_change("data_processing", "2025-01-01"),
            Ok(DataProcessing)
        );
        assert_eq!(
            validate_change("marketing", "1"),
            Err(ConsentError::UnknownType)
        );
        assert_eq!(validate_change("terms", ""), Err(ConsentError::BadVersion));
        assert_eq!(
            validate_change("terms", "1 OR 1"),
            Err(ConsentError::BadVersion)
        );
        assert_eq!(
            validate_change("terms", &"1".repeat(51)),
            Err(ConsentError::BadVersion)
        );
        for t in ConsentType::ALL {
            assert_eq!(ConsentType::parse(t.as_str()), Some(t));
        }
    }
}
