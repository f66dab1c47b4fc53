//! Feature-flag evaluation (rules I13–I14), for the rows of `feature_flags`
//! of one environment.
//!
//! I13, in order: no row → the key's default; `enabled = 0` or a JSON
//! `false` value → off (the kill switch beats everything); a per-org
//! override in the value (`{"orgs": {"<org_id>": true|false}}`) → that;
//! otherwise the subject is on when its stable bucket is under the rollout
//! percentage.
//!
//! I14: the bucket is `u32(first 4 bytes of sha256("<key>:<subject>")) % 100`,
//! so a subject's answer is stable across isolates and deploys, a higher
//! percentage only adds subjects, and different flags bucket independently.
//! The subject is the meeting id for pre-call, in-call and insights (a
//! meeting is all in or all out), the user id for matching.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The flags of meeting intelligence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FlagKey {
    #[serde(rename = "intelligence.precall")]
    Precall,
    #[serde(rename = "intelligence.incall")]
    Incall,
    #[serde(rename = "intelligence.insights")]
    Insights,
    #[serde(rename = "matching")]
    Matching,
    /// The legacy cutover's read switches (rule L1, docs/migration.md).
    #[serde(rename = "migration.read.profiles")]
    ReadProfiles,
    #[serde(rename = "migration.read.connections")]
    ReadConnections,
    #[serde(rename = "migration.read.meetings")]
    ReadMeetings,
}

impl FlagKey {
    pub const ALL: [FlagKey; 7] = [
        FlagKey::Precall,
        FlagKey::Incall,
        FlagKey::Insights,
        FlagKey::Matching,
        FlagKey::ReadProfiles,
        FlagKey::ReadConnections,
        FlagKey::ReadMeetings,
    ];

    /// `feature_flags.key`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKey::Precall => "intelligence.precall",
            FlagKey::Incall => "intelligence.incall",
            FlagKey::Insights => "intelligence.insights",
            FlagKey::Matching => "matching",
            FlagKey::ReadProfiles => "migration.read.profiles",
            FlagKey::ReadConnections => "migration.read.connections",
            FlagKey::ReadMeetings => "migration.read.meetings",
        }
    }

    pub fn parse(s: &str) -> Option<FlagKey> {
        FlagKey::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The answer when the environment has no row for the flag: the
    /// intelligence features are on (the heuristic costs nothing), matching
    /// is off until an operator turns it on, and the migration's read
    /// switches are on: a deployment that never imported a legacy store
    /// reads everything from D1; `connvo-migrate import` writes the rows
    /// that turn them off (rule L1).
    pub fn default_on(self) -> bool {
        !matches!(self, FlagKey::Matching)
    }
}

/// One `feature_flags` row, as the cache holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagRow {
    pub key: String,
    pub enabled: bool,
    /// 0..=100 (values above 100 count as 100).
    pub rollout_percentage: u8,
    /// `feature_flags.value` (parsed JSON).
    pub value: serde_json::Value,
}

impl FlagRow {
    /// A fully-on row.
    pub fn on(key: &str) -> FlagRow {
        FlagRow {
            key: key.to_owned(),
            enabled: true,
            rollout_percentage: 100,
            value: serde_json::Value::Bool(true),
        }
    }

    /// The per-org overrides of the value, if any.
    pub fn org_overrides(&self) -> BTreeMap<String, bool> {
        self.value
            .get("orgs")
            .and_then(serde_json::Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_bool().map(|b| (k.clone(), b)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Why a decision came out the way it did (for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FlagReason {
    Default,
    Disabled,
    OrgOverride,
    Rollout { bucket: u8, percentage: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagDecision {
    pub on: bool,
    #[serde(flatten)]
    pub reason: FlagReason,
}

/// The stable bucket (0..100) of `subject` for flag `key` (I14).
pub fn bucket(key: &str, subject: &str) -> u8 {
    let d = Sha256::digest(format!("{key}:{subject}").as_bytes());
    let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    (n % 100) as u8
}

/// Decides `key` for `subject` in `org_id` given the environment's row (I13).
pub fn evaluate(
    key: FlagKey,
    row: Option<&FlagRow>,
    org_id: Option<&str>,
    subject: &str,
) -> FlagDecision {
    let Some(row) = row else {
        return FlagDecision {
            on: key.default_on(),
            reason: FlagReason::Default,
        };
    };
    if !row.enabled || row.value == serde_json::Value::Bool(false) {
        return FlagDecision {
            on: false,
            reason: FlagReason::Disabled,
        };
    }
    if let Some(on) = org_id.and_then(|o| row.org_overrides().get(o).copied()) {
        return FlagDecision {
            on,
            reason: FlagReason::OrgOverride,
        };
    }
    let percentage = row.rollout_percentage.min(100);
    let b = bucket(key.as_str(), subject);
    FlagDecision {
        on: b < percentage,
        reason: FlagReason::Rollout {
            bucket: b,
            percentage,
        },
    }
}

/// The flag rows of one environment, by key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlagSet {
    rows: BTreeMap<String, FlagRow>,
}

impl FlagSet {
    pub fn new(rows: impl IntoIterator<Item = FlagRow>) -> FlagSet {
        FlagSet {
            rows: rows.into_iter().map(|r| (r.key.clone(), r)).collect(),
        }
    }

    pub fn row(&self, key: FlagKey) -> Option<&FlagRow> {
        self.rows.get(key.as_str())
    }

    pub fn evaluate(&self, key: FlagKey, org_id: Option<&str>, subject: &str) -> FlagDecision {
        evaluate(key, self.row(key), org_id, subject)
    }

    pub fn is_on(&self, key: FlagKey, org_id: Option<&str>, subject: &str) -> bool {
        self.evaluate(key, org_id, subject).on
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(enabled: bool, pct: u8, value: serde_json::Value) -> FlagRow {
        FlagRow {
            key: "intelligence.incall".into(),
            enabled,
            rollout_percentage: pct,
            value,
        }
    }

    #[test]
    fn i13_defaults_kill_switch_and_overrides() {
        assert!(evaluate(FlagKey::Incall, None, None, "m1").on);
        assert!(!evaluate(FlagKey::Matching, None, None, "u1").on);
        let off = row(false, 100, json!({"orgs": {"org_a": true}}));
        let d = evaluate(FlagKey::Incall, Some(&off), Some("org_a"), "m1");
        assert_eq!(d.reason, FlagReason::Disabled);
        assert!(!d.on);
        assert!(
            !evaluate(
                FlagKey::Incall,
                Some(&row(true, 100, json!(false))),
                None,
                "m1"
            )
            .on
        );
        let partial = row(true, 0, json!({"orgs": {"org_a": true, "org_b": false}}));
        assert!(evaluate(FlagKey::Incall, Some(&partial), Some("org_a"), "m1").on);
        assert!(!evaluate(FlagKey::Incall, Some(&partial), Some("org_c"), "m1").on);
        let full = row(true, 100, json!({"orgs": {"org_b": false}}));
        assert!(!evaluate(FlagKey::Incall, Some(&full), Some("org_b"), "m1").on);
        assert!(evaluate(FlagKey::Incall, Some(&full), None, "m1").on);
        let j = serde_json::to_value(evaluate(FlagKey::Incall, Some(&full), None, "m1")).unwrap();
        assert_eq!(j["reason"], "rollout");
        assert_eq!(
            FlagKey::parse("intelligence.precall"),
            Some(FlagKey::Precall)
        );
        assert_eq!(FlagKey::parse("nope"), None);
    }

    #[test]
    fn i14_rollout_buckets_are_stable_and_monotone() {
        let subjects: Vec<String> = (0..1000).map(|i| format!("mtg_{i}")).collect();
        let on = |pct: u8| -> Vec<bool> {
            subjects
                .iter()
                .map(|s| evaluate(FlagKey::Incall, Some(&row(true, pct, json!(true))), None, s).on)
                .collect()
        };
        let (p10, p50) = (on(10), on(50));
        let n10 = p10.iter().filter(|b| **b).count();
        let n50 = p50.iter().filter(|b| **b).count();
        assert!((50..=150).contains(&n10), "{n10}");
        assert!((400..=600).contains(&n50), "{n50}");
        // Raising the percentage only adds subjects.
        assert!(p10.iter().zip(&p50).all(|(a, b)| !*a || *b));
        assert_eq!(on(10), p10);
        assert!(on(0).iter().all(|b| !*b));
        assert!(on(100).iter().all(|b| *b));
        assert_eq!(bucket("k", "s"), bucket("k", "s"));
        // Different flags bucket independently.
        let same = subjects
            .iter()
            .filter(|s| bucket("a", s) == bucket("b", s))
            .count();
        assert!(same < 50, "{same}");
    }
}
