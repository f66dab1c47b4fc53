//! Feature flags as stored and administered (requirement 21; rules I13–I14
//! evaluate them, `intelligence::flags`): the `feature_flags` row as D1
//! returns it, its evaluation form ([`FlagRow`]), and the admin routes'
//! plans — `GET /v1/admin/flags` (every known flag of this environment with
//! its row, or its default) and `PUT /v1/admin/flags` (one flag's row, with
//! a required reason, audited with the operator).
//!
//! **I30 — flag changes.** A change names a known key, `enabled`, a
//! `rollout_percentage` (0–100, default 100), optional per-org overrides
//! (`orgs`, at most 100, each `true`/`false`) and a `reason` (1–500
//! characters, required). It replaces the row (no partial update, so what
//! an operator sends is what holds), records who and why on the row
//! (`updated_by`, `reason`) and in the audit log
//! (`admin.feature_flag.set`, with the previous row). The shells read flags
//! through an isolate cache of [`CACHE_TTL_MS`], so a change holds
//! everywhere within that time without a redeploy; a change to
//! `intelligence.incall` is also pushed to the live rooms.
//!
//! **I38 — who may change what.** Flags are environment-wide, so a tenant's
//! admin must not be able to switch a feature off for every other tenant.
//! A platform operator (a user id listed in `FLAG_OPERATORS`) may change any
//! part of a flag. An organisation admin who is not an operator may change
//! only their own organisation's override (`orgs.<their org>`): the rest of
//! what they send must equal the stored row (or the default when there is
//! none), else 403 `FLAG_SCOPE` and nothing is written. With
//! `FLAG_OPERATORS` unset, only a local deployment (`ENVIRONMENT=local`,
//! where anyone can mint a dev token anyway) treats org admins as operators;
//! staging and production then have no operator until one is configured.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::intelligence::flags::{evaluate, FlagKey, FlagRow};
use crate::route::is_valid_id;
use crate::sql::flags::{FlagGet, FlagUpsert};
use crate::sql::Statement;
use crate::validation::{invalid, parse_object, reason, FieldReader};

/// How long an isolate trusts its copy of the environment's flags.
pub const CACHE_TTL_MS: i64 = 3_000;
/// The audit action of a change.
pub const ACTION_SET: &str = "admin.feature_flag.set";
/// Per-org overrides one flag may carry.
pub const MAX_ORG_OVERRIDES: usize = 100;
const MAX_REASON_CHARS: usize = 500;
const MAX_DESCRIPTION_CHARS: usize = 500;

/// A `feature_flags` row as D1 returns it (`FLAG_GET`, `FLAG_LIST_FOR_ENV`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFlag {
    pub key: String,
    pub env: String,
    pub enabled: i64,
    pub value: String,
    pub rollout_percentage: i64,
    pub description: Option<String>,
    pub updated_by: Option<String>,
    pub reason: Option<String>,
    pub updated_at: i64,
}

impl StoredFlag {
    /// The row as the evaluator reads it. A value that is not JSON (the
    /// table's CHECK forbids it) counts as `false`: off is the safe side.
    pub fn to_row(&self) -> FlagRow {
        FlagRow {
            key: self.key.clone(),
            enabled: self.enabled != 0,
            rollout_percentage: u8::try_from(self.rollout_percentage.clamp(0, 100)).unwrap_or(0),
            value: serde_json::from_str(&self.value).unwrap_or(Value::Bool(false)),
        }
    }

    pub fn to_json(&self) -> Value {
        let row = self.to_row();
        json!({
            "enabled": row.enabled,
            "rollout_percentage": row.rollout_percentage,
            "orgs": row.org_overrides(),
            "value": row.value,
            "description": self.description,
            "updated_by": self.updated_by,
            "reason": self.reason,
            "updated_at": self.updated_at,
        })
    }
}

/// `GET /v1/admin/flags`: every known flag of `env`, stored or default,
/// and what it answers for the caller's organisation (`on_for_my_org`,
/// ignoring the rollout bucket, which depends on the subject).
pub fn list_json(env: &str, stored: &[StoredFlag], org_id: Option<&str>) -> Value {
    let items: Vec<Value> = FlagKey::ALL
        .iter()
        .map(|key| {
            let row = stored.iter().find(|s| s.key == key.as_str());
            let mut item = match row {
                Some(s) => s.to_json(),
                None => json!({"enabled": key.default_on(), "rollout_percentage": 100,
                                "orgs": {}, "value": true, "default": true}),
            };
            let eval = row.map(StoredFlag::to_row);
            // Rollout 100 % for this evaluation: the org's standing only.
            let full = eval.as_ref().map(|r| FlagRow {
                rollout_percentage: 100,
                ..r.clone()
            });
            item["key"] = json!(key.as_str());
            item["on_for_my_org"] = json!(evaluate(*key, full.as_ref(), org_id, "").on);
            item
        })
        .collect();
    json!({ "env": env, "items": items, "cache_ttl_ms": CACHE_TTL_MS })
}

/// A parsed `PUT /v1/admin/flags` body.
#[derive(Debug, Clone, PartialEq)]
pub struct SetFlag {
    pub key: FlagKey,
    pub enabled: bool,
    pub rollout_percentage: u8,
    pub orgs: BTreeMap<String, bool>,
    pub description: Option<String>,
    pub reason: String,
}

impl SetFlag {
    /// The stored `value`: the overrides, or `true` when there are none.
    pub fn value(&self) -> Value {
        if self.orgs.is_empty() {
            Value::Bool(true)
        } else {
            json!({ "orgs": self.orgs })
        }
    }
}

/// Parses and bounds a flag change (I30).
pub fn parse_set(body: &[u8]) -> Result<SetFlag, ApiError> {
    let mut map = parse_object(body)?;
    // `orgs` is an object of org id → bool, read by hand; the reader sees the rest.
    let orgs = parse_orgs(map.remove("orgs").as_ref())?;
    let mut r = FieldReader::new(&map, "");
    let key = r
        .opt_enum(
            "key",
            FlagKey::parse,
            "intelligence.precall, intelligence.incall, intelligence.insights, matching",
        )?
        .ok_or_else(|| invalid("key", reason::REQUIRED, "key is required"))?;
    let enabled = r
        .opt_bool("enabled")?
        .ok_or_else(|| invalid("enabled", reason::REQUIRED, "enabled is required"))?;
    let rollout = r.opt_int("rollout_percentage", 0, 100)?.unwrap_or(100);
    let description = r.opt_text("description", MAX_DESCRIPTION_CHARS, true)?;
    let reason_text = r.text("reason", MAX_REASON_CHARS, true)?;
    r.finish()?;
    Ok(SetFlag {
        key,
        enabled,
        rollout_percentage: u8::try_from(rollout).unwrap_or(100),
        orgs,
        description,
        reason: reason_text,
    })
}

fn parse_orgs(value: Option<&Value>) -> Result<BTreeMap<String, bool>, ApiError> {
    let map: &Map<String, Value> = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(invalid(
                "orgs",
                reason::WRONG_TYPE,
                "orgs must be an object of org id → true/false",
            ))
        }
    };
    if map.len() > MAX_ORG_OVERRIDES {
        return Err(invalid(
            "orgs",
            reason::TOO_MANY,
            format!("orgs has more than {MAX_ORG_OVERRIDES} entries"),
        ));
    }
    let mut out = BTreeMap::new();
    for (org, on) in map {
        let path = format!("orgs.{org}");
        if !is_valid_id(org) {
            return Err(invalid(&path, reason::INVALID_VALUE, "not a valid org id"));
        }
        let Value::Bool(on) = on else {
            return Err(invalid(
                &path,
                reason::WRONG_TYPE,
                format!("{path} must be true or false"),
            ));
        };
        out.insert(org.clone(), *on);
    }
    Ok(out)
}

/// Whether `user_id` is a platform operator (I38): listed in
/// `flag_operators` (the comma-separated `FLAG_OPERATORS` value), or, when
/// that is unset or empty, any flag admin of a local deployment.
pub fn is_operator(flag_operators: Option<&str>, local: bool, user_id: &str) -> bool {
    match flag_operators.map(str::trim).filter(|v| !v.is_empty()) {
        Some(list) => list.split(',').any(|id| id.trim() == user_id),
        None => local,
    }
}

/// Whether a caller may make `set` over `previous` (I38): an operator may
/// make any change; anyone else only one that answers the same as before
/// for every subject outside their own organisation.
pub fn authorize_set(
    set: &SetFlag,
    previous: Option<&StoredFlag>,
    caller_org: &str,
    operator: bool,
) -> Result<(), ApiError> {
    let before = match previous {
        Some(p) => {
            let row = p.to_row();
            let on = row.enabled && row.value != Value::Bool(false);
            Outside::of(on, row.rollout_percentage, row.org_overrides(), caller_org)
        }
        None => Outside::of(set.key.default_on(), 100, BTreeMap::new(), caller_org),
    };
    let after = Outside::of(
        set.enabled,
        set.rollout_percentage,
        set.orgs.clone(),
        caller_org,
    );
    let description_same = set.description.is_none()
        || set.description == previous.and_then(|p| p.description.clone());
    if operator || (before == after && description_same) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "only a platform operator (FLAG_OPERATORS) changes a flag beyond your organisation's \
         override: keep the stored row and change only orgs.<your org>",
    )
    .with_details(json!({"reason": "FLAG_SCOPE", "org_id": caller_org})))
}

/// How a flag answers outside one organisation: off for everyone (the kill
/// switch, or on with no rollout and no other override), or on by rollout
/// with the other organisations' overrides.
#[derive(Debug, PartialEq)]
enum Outside {
    Off,
    On {
        rollout: u8,
        orgs: BTreeMap<String, bool>,
    },
}

impl Outside {
    fn of(on: bool, rollout: u8, mut orgs: BTreeMap<String, bool>, caller_org: &str) -> Outside {
        orgs.remove(caller_org);
        let rollout = rollout.min(100);
        if !on || (rollout == 0 && orgs.values().all(|o| !o)) {
            Outside::Off
        } else {
            Outside::On { rollout, orgs }
        }
    }
}

/// What the shell does for a change.
#[derive(Debug, Clone, PartialEq)]
pub struct SetPlan {
    /// The upsert, then the row read back (statement 1).
    pub statements: Vec<Statement>,
    /// The audit event's metadata (`ACTION_SET`, resource `feature_flag`/key).
    pub audit_meta: Vec<(&'static str, Value)>,
    /// Tell the live rooms (a change to the in-call flag).
    pub notify_rooms: bool,
}

/// The change `set` of `env` by `operator`, replacing `previous` (I30).
pub fn plan_set(
    env: &str,
    set: &SetFlag,
    previous: Option<&StoredFlag>,
    operator: &str,
    now_ms: i64,
) -> SetPlan {
    let value = set.value().to_string();
    let key = set.key.as_str();
    SetPlan {
        statements: vec![
            FlagUpsert {
                key,
                env,
                enabled: set.enabled,
                value: Some(&value),
                rollout_percentage: i64::from(set.rollout_percentage),
                description: set.description.as_deref(),
                updated_by: Some(operator),
                reason: Some(&set.reason),
                now_ms,
            }
            .statement(),
            FlagGet { key, env }.statement(),
        ],
        audit_meta: vec![
            ("key", json!(key)),
            ("env", json!(env)),
            ("enabled", json!(set.enabled)),
            ("rollout_percentage", json!(set.rollout_percentage)),
            ("orgs", json!(set.orgs)),
            ("reason", json!(set.reason)),
            (
                "previous",
                previous.map_or(Value::Null, StoredFlag::to_json),
            ),
        ],
        notify_rooms: set.key == FlagKey::Incall,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn i30_a_change_needs_a_known_key_and_a_reason() {
        let ok = parse_set(&body(
            json!({"key": "intelligence.incall", "enabled": false,
                                        "reason": "provider outage"}),
        ))
        .unwrap();
        assert_eq!(ok.key, FlagKey::Incall);
        assert_eq!(ok.rollout_percentage, 100);
        assert_eq!(ok.value(), json!(true));
        let err = parse_set(&body(
            json!({"key": "intelligence.incall", "enabled": false}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["field"], "reason");
        let err = parse_set(&body(
            json!({"key": "nope", "enabled": true, "reason": "x"}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "invalid_value");
        let err = parse_set(&body(
            json!({"key": "matching", "enabled": true, "reason": "x", "extra": 1}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "unknown_field");
        let err = parse_set(&body(
            json!({"key": "matching", "enabled": true, "reason": "x",
                                          "rollout_percentage": 101}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "out_of_range");
    }

    #[test]
    fn i30_org_overrides_are_bounded_and_stored_in_the_value() {
        let set = parse_set(&body(
            json!({"key": "intelligence.precall", "enabled": true,
            "rollout_percentage": 10, "orgs": {"org_a": true, "org_b": false}, "reason": "pilot"}),
        ))
        .unwrap();
        assert_eq!(
            set.value(),
            json!({"orgs": {"org_a": true, "org_b": false}})
        );
        let err = parse_set(&body(
            json!({"key": "matching", "enabled": true, "reason": "x",
                                          "orgs": {"org a": true}}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "invalid_value");
        let err = parse_set(&body(
            json!({"key": "matching", "enabled": true, "reason": "x",
                                          "orgs": {"org_a": "yes"}}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "wrong_type");
        let many: Map<String, Value> = (0..101).map(|i| (format!("o{i}"), json!(true))).collect();
        let err = parse_set(&body(
            json!({"key": "matching", "enabled": true, "reason": "x",
                                          "orgs": many}),
        ))
        .unwrap_err();
        assert_eq!(err.details.unwrap()["reason"], "too_many");
    }

    #[test]
    fn i30_the_plan_records_operator_reason_and_previous_and_tells_rooms_for_incall() {
        let set = parse_set(&body(
            json!({"key": "intelligence.incall", "enabled": false,
                                         "reason": "outage"}),
        ))
        .unwrap();
        let prev = StoredFlag {
            key: "intelligence.incall".into(),
            env: "local".into(),
            enabled: 1,
            value: "true".into(),
            rollout_percentage: 100,
            description: None,
            updated_by: None,
            reason: None,
            updated_at: 1,
        };
        let plan = plan_set("local", &set, Some(&prev), "user_op", 9);
        assert_eq!(plan.statements[0].name, "FLAG_UPSERT");
        assert_eq!(plan.statements[1].name, "FLAG_GET");
        assert!(plan.notify_rooms);
        let meta: BTreeMap<_, _> = plan.audit_meta.into_iter().collect();
        assert_eq!(meta["reason"], "outage");
        assert_eq!(meta["previous"]["enabled"], true);
        let precall = parse_set(&body(
            json!({"key": "intelligence.precall", "enabled": false,
                                             "reason": "r"}),
        ))
        .unwrap();
        assert!(!plan_set("local", &precall, None, "u", 1).notify_rooms);
    }

    fn stored(enabled: i64, value: &str, rollout: i64) -> StoredFlag {
        StoredFlag {
            key: "intelligence.insights".into(),
            env: "production".into(),
            enabled,
            value: value.into(),
            rollout_percentage: rollout,
            description: None,
            updated_by: None,
            reason: None,
            updated_at: 1,
        }
    }

    #[test]
    fn i38_operators_are_listed_or_local() {
        assert!(is_operator(Some("user_a, user_b"), false, "user_b"));
        assert!(!is_operator(Some("user_a"), true, "user_b"));
        assert!(is_operator(None, true, "anyone"));
        assert!(is_operator(Some(" "), true, "anyone"));
        assert!(!is_operator(None, false, "anyone"));
    }

    #[test]
    fn i38_an_org_admin_changes_only_their_own_override() {
        let prev = stored(1, r#"{"orgs":{"org_b":false}}"#, 40);
        let set = |v: Value| parse_set(&body(v)).unwrap();
        // Their own override, everything else as stored: allowed.
        let own = set(json!({"key": "intelligence.insights", "enabled": true,
            "rollout_percentage": 40, "orgs": {"org_a": false, "org_b": false}, "reason": "r"}));
        assert!(authorize_set(&own, Some(&prev), "org_a", false).is_ok());
        // The kill switch, the rollout, or another org's override: refused.
        for other in [
            json!({"key": "intelligence.insights", "enabled": false,
                   "rollout_percentage": 40, "orgs": {"org_b": false}, "reason": "r"}),
            json!({"key": "intelligence.insights", "enabled": true,
                   "rollout_percentage": 100, "orgs": {"org_b": false}, "reason": "r"}),
            json!({"key": "intelligence.insights", "enabled": true,
                   "rollout_percentage": 40, "orgs": {"org_b": true}, "reason": "r"}),
            json!({"key": "intelligence.insights", "enabled": true,
                   "rollout_percentage": 40, "reason": "r"}),
        ] {
            let err = authorize_set(&set(other.clone()), Some(&prev), "org_a", false).unwrap_err();
            assert_eq!(err.status(), 403, "{other}");
            assert_eq!(err.details.unwrap()["reason"], "FLAG_SCOPE");
            // An operator may make the same change.
            assert!(authorize_set(&set(other), Some(&prev), "org_a", true).is_ok());
        }
        // No row: matching is off by default, so an org may opt itself in
        // with a row that stays off for everyone else (no rollout).
        let opt_in = set(
            json!({"key": "matching", "enabled": true, "rollout_percentage": 0,
                                "orgs": {"org_a": true}, "reason": "pilot"}),
        );
        assert!(authorize_set(&opt_in, None, "org_a", false).is_ok());
        let flags = crate::intelligence::flags::FlagSet::new([FlagRow {
            key: "matching".into(),
            enabled: true,
            rollout_percentage: 0,
            value: opt_in.value(),
        }]);
        assert!(flags.is_on(FlagKey::Matching, Some("org_a"), "user_1"));
        assert!(!flags.is_on(FlagKey::Matching, Some("org_b"), "user_1"));
        let global = set(json!({"key": "matching", "enabled": true, "reason": "all"}));
        assert!(authorize_set(&global, None, "org_a", false).is_err());
    }

    #[test]
    fn i30_listing_shows_defaults_and_stored_rows() {
        let stored = vec![StoredFlag {
            key: "intelligence.insights".into(),
            env: "local".into(),
            enabled: 1,
            value: r#"{"orgs":{"org_a":false}}"#.into(),
            rollout_percentage: 50,
            description: None,
            updated_by: Some("user_op".into()),
            reason: Some("why".into()),
            updated_at: 5,
        }];
        let v = list_json("local", &stored, Some("org_a"));
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), FlagKey::ALL.len());
        let insights = items
            .iter()
            .find(|i| i["key"] == "intelligence.insights")
            .unwrap();
        assert_eq!(insights["on_for_my_org"], false);
        assert_eq!(insights["rollout_percentage"], 50);
        let matching = items.iter().find(|i| i["key"] == "matching").unwrap();
        assert_eq!(matching["default"], true);
        assert_eq!(matching["enabled"], false);
        // A stored row whose value is not JSON is off.
        let mut bad = stored[0].clone();
        bad.value = "nope".into();
        assert!(!evaluate(FlagKey::Insights, Some(&bad.to_row()), None, "m").on);
    }
}
