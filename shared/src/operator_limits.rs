//! Operator controls over rate limiting (docs/security.md, "Rate limits";
//! rules O11–O13 in docs/operations.md): tiers by caller kind on top of the
//! route classes, the run-time settings an operator changes with
//! `PUT /v1/admin/rate-limits` (validated here, audited by the worker), and
//! the IP allow-list that bypasses every limit.
//!
//! - O11: a caller's limit is its class's limit scaled by its tier's
//!   percentage: anonymous callers (public, webhook and dev routes) on the
//!   per-IP limit; signed-in users, meeting participants, hosts and
//!   organisation admins on the per-user limit. Every tier is 100 % unless
//!   configured, so tiers change nothing until an operator sets them.
//! - O12: the effective limits are the defaults, then `RATE_LIMITS`, then
//!   the stored run-time settings; a stored setting that no longer
//!   validates is ignored as a whole (and logged by the worker).
//! - O13: a caller whose address is on the allow-list (`RATE_LIMIT_ALLOW_IPS`
//!   or the stored `allow_ips`: addresses or CIDR blocks, IPv4 or IPv6) is
//!   not rate limited at all.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::acl::MeetingRole;
use crate::rate_limit::{Limit, RateLimits};
use crate::validation::invalid;
use crate::ApiError;

/// Who is calling, for the tier of its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Anonymous,
    SignedIn,
    Participant,
    Host,
    Admin,
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::Anonymous,
        Tier::SignedIn,
        Tier::Participant,
        Tier::Host,
        Tier::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Anonymous => "anonymous",
            Tier::SignedIn => "signed_in",
            Tier::Participant => "participant",
            Tier::Host => "host",
            Tier::Admin => "admin",
        }
    }

    /// An authenticated caller's tier: an organisation admin, else the
    /// role in the route's meeting (host and co-host count as host; any
    /// other membership as participant), else signed in.
    pub fn of(org_admin: bool, meeting_role: Option<MeetingRole>) -> Tier {
        match (org_admin, meeting_role) {
            (true, _) => Tier::Admin,
            (false, Some(MeetingRole::Host | MeetingRole::Cohost)) => Tier::Host,
            (false, Some(_)) => Tier::Participant,
            (false, None) => Tier::SignedIn,
        }
    }
}

/// Tier percentages (1–1000; 100 = the class's limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers([u16; 5]);

impl Default for Tiers {
    fn default() -> Self {
        Tiers([100; 5])
    }
}

impl Tiers {
    pub fn percent(&self, tier: Tier) -> u16 {
        self.0[tier as usize]
    }

    /// `limit` scaled for `tier` (at least 1 request).
    pub fn scale(&self, limit: Limit, tier: Tier) -> Limit {
        let scaled = u64::from(limit.limit) * u64::from(self.percent(tier)) / 100;
        Limit::new(
            u32::try_from(scaled.max(1)).unwrap_or(u32::MAX),
            limit.window_secs,
        )
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            Tier::ALL
                .iter()
                .map(|t| (t.as_str().to_owned(), json!(self.percent(*t))))
                .collect(),
        )
    }
}

/// One allow-list entry: an address block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let p = u32::from(self.prefix);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(got)) => {
                let mask = u32::MAX.checked_shl(32 - p).unwrap_or(0);
                u32::from(net) & mask == u32::from(got) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(got)) => {
                let mask = u128::MAX.checked_shl(128 - p).unwrap_or(0);
                u128::from(net) & mask == u128::from(got) & mask
            }
            _ => false,
        }
    }
}

/// Whether `ip` is on `allow` (O13). An unparsable address is not.
pub fn allowed(allow: &[Cidr], ip: Option<&str>) -> bool {
    let Some(ip) = ip.and_then(|i| i.trim().parse::<IpAddr>().ok()) else {
        return false;
    };
    allow.iter().any(|c| c.contains(ip))
}

/// Parses a comma-separated allow-list (`RATE_LIMIT_ALLOW_IPS`); bad
/// entries are an error naming them.
pub fn parse_allow_list(text: &str) -> Result<Vec<Cidr>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Cidr::parse(e).ok_or_else(|| format!("not an address or CIDR block: {e:?}")))
        .collect()
}

/// The stored run-time settings (`operator_limits.config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Class overrides, the shape of `RATE_LIMITS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Value>,
    /// Tier name → percentage.
    #[serde(default)]
    pub tiers: Map<String, Value>,
    #[serde(default)]
    pub allow_ips: Vec<String>,
}

/// The limits in force (O12).
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub limits: RateLimits,
    pub tiers: Tiers,
    pub allow: Vec<Cidr>,
}

impl Settings {
    /// Validates and applies these settings over `base` (`RATE_LIMITS`
    /// applied to the defaults) and `env_allow`.
    pub fn apply(&self, base: RateLimits, env_allow: &[Cidr]) -> Result<Effective, ApiError> {
        let limits = match &self.classes {
            None => base,
            Some(v) => base
                .with_overrides(&v.to_string())
                .map_err(|e| invalid("classes", "INVALID", e.to_string()))?,
        };
        let mut tiers = Tiers::default();
        for (name, value) in &self.tiers {
            let field = format!("tiers.{name}");
            let tier = Tier::ALL
                .into_iter()
                .find(|t| t.as_str() == name)
                .ok_or_else(|| {
                    invalid(
                        &field,
                        "UNKNOWN_FIELD",
                        "tiers are anonymous, signed_in, participant, host and admin",
                    )
                })?;
            let pct = value
                .as_u64()
                .filter(|p| (1..=1000).contains(p))
                .ok_or_else(|| {
                    invalid(
                        &field,
                        "OUT_OF_RANGE",
                        format!("{field} is a percentage, 1 to 1000"),
                    )
                })?;
            tiers.0[tier as usize] = pct as u16;
        }
        if self.allow_ips.len() > 100 {
            return Err(invalid("allow_ips", "TOO_MANY", "at most 100 entries"));
        }
        let mut allow = env_allow.to_vec();
        for (i, entry) in self.allow_ips.iter().enumerate() {
            let c = Cidr::parse(entry).ok_or_else(|| {
                invalid(
                    &format!("allow_ips[{i}]"),
                    "INVALID",
                    "an IPv4 or IPv6 address or CIDR block",
                )
            })?;
            allow.push(c);
        }
        Ok(Effective {
            limits,
            tiers,
            allow,
        })
    }
}

/// A validated `PUT /v1/admin/rate-limits` body: the new settings and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SetLimits {
    pub settings: Settings,
    pub reason: String,
}

/// Parses and validates a `PUT` body (`{"classes"?, "tiers"?, "allow_ips"?,
/// "reason"}`) against `base`; nothing is written for a bad one.
pub fn parse_set(body: &[u8], base: RateLimits, env_allow: &[Cidr]) -> Result<SetLimits, ApiError> {
    let mut map = crate::validation::parse_object(body)?;
    let reason = match map.remove("reason") {
        Some(Value::String(r)) if !r.trim().is_empty() && r.chars().count() <= 500 => {
            r.trim().to_owned()
        }
        _ => {
            return Err(invalid(
                "reason",
                "REQUIRED",
                "reason is required (1 to 500 characters)",
            ))
        }
    };
    let settings: Settings = serde_json::from_value(Value::Object(map))
        .map_err(|e| invalid("body", "INVALID", e.to_string()))?;
    settings.apply(base, env_allow)?;
    Ok(SetLimits { settings, reason })
}

/// The `GET /v1/admin/rate-limits` body: what is in force, and the stored settings.
pub fn to_json(e: &Effective, stored: Option<&Settings>) -> Value {
    use crate::rate_limit::class_name;
    use crate::route::RouteClass;
    let limit = |l: Limit| json!({ "limit": l.limit, "window_secs": l.window_secs });
    let classes: Map<String, Value> = [
        RouteClass::Default,
        RouteClass::MeetingCreate,
        RouteClass::Webhook,
        RouteClass::WsTicket,
        RouteClass::TranscriptIngest,
    ]
    .into_iter()
    .map(|c| {
        let cl = e.limits.for_class(c);
        (
            class_name(c).to_owned(),
            json!({ "per_user": cl.per_user.map(limit), "per_ip": limit(cl.per_ip) }),
        )
    })
    .collect();
    json!({
        "classes": classes,
        "tiers": e.tiers.to_json(),
        "allow_ips": e.allow.iter().map(|c| format!("{}/{}", c.addr, c.prefix)).collect::<Vec<_>>(),
        "stored": stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o11_tiers_scale_the_class_limit_and_default_to_unchanged() {
        let t = Tiers::default();
        assert_eq!(
            t.scale(Limit::new(300, 60), Tier::Host),
            Limit::new(300, 60)
        );
        let e = Settings {
            tiers: serde_json::from_str(r#"{"anonymous": 50, "admin": 300}"#).unwrap(),
            ..Settings::default()
        }
        .apply(RateLimits::default(), &[])
        .unwrap();
        assert_eq!(e.tiers.scale(Limit::new(300, 60), Tier::Admin).limit, 900);
        assert_eq!(e.tiers.scale(Limit::new(3, 60), Tier::Anonymous).limit, 1);
        assert_eq!(Tier::of(false, Some(MeetingRole::Cohost)), Tier::Host);
        assert_eq!(
            Tier::of(false, Some(MeetingRole::Observer)),
            Tier::Participant
        );
        assert_eq!(Tier::of(true, Some(MeetingRole::Participant)), Tier::Admin);
        assert_eq!(Tier::of(false, None), Tier::SignedIn);
    }

    #[test]
    fn o12_settings_apply_over_the_configured_limits_and_bad_ones_are_refused() {
        let base = RateLimits::default()
            .with_overrides(r#"{"default":{"per_ip":{"limit":7,"window_secs":60}}}"#)
            .unwrap();
        let set = parse_set(
            br#"{"classes":{"default":{"per_user":{"limit":5,"window_secs":10}}},"reason":"incident 12"}"#,
            base,
            &[],
        )
        .unwrap();
        let e = set.settings.apply(base, &[]).unwrap();
        assert_eq!(e.limits.default.per_user, Some(Limit::new(5, 10)));
        assert_eq!(
            e.limits.default.per_ip,
            Limit::new(7, 60),
            "RATE_LIMITS still applies"
        );
        for (body, field) in [
            (r#"{"tiers":{"host":0},"reason":"x"}"#, "tiers.host"),
            (r#"{"tiers":{"vip":200},"reason":"x"}"#, "tiers.vip"),
            (
                r#"{"allow_ips":["10.0.0.0/99"],"reason":"x"}"#,
                "allow_ips[0]",
            ),
            (
                r#"{"classes":{"default":{"per_ip":{"limit":0,"window_secs":60}}},"reason":"x"}"#,
                "classes",
            ),
            (r#"{"tiers":{}}"#, "reason"),
            (r#"{"surprise":1,"reason":"x"}"#, "body"),
        ] {
            let err = parse_set(body.as_bytes(), base, &[]).unwrap_err();
            assert_eq!(err.details.unwrap()["field"], field, "{body}");
        }
    }

    #[test]
    fn o13_the_allow_list_matches_addresses_and_blocks() {
        let allow = parse_allow_list("10.1.0.0/16, 192.168.1.7, 2001:db8::/32").unwrap();
        assert!(allowed(&allow, Some("10.1.200.3")));
        assert!(!allowed(&allow, Some("10.2.0.1")));
        assert!(allowed(&allow, Some("192.168.1.7")));
        assert!(!allowed(&allow, Some("192.168.1.8")));
        assert!(allowed(&allow, Some("2001:db8:1::5")));
        assert!(!allowed(&allow, Some("2001:db9::5")));
        assert!(allowed(&allow, Some("::ffff:10.1.0.9")));
        assert!(!allowed(&allow, Some("unknown")));
        assert!(!allowed(&allow, None));
        assert!(allowed(
            &parse_allow_list("0.0.0.0/0").unwrap(),
            Some("8.8.8.8")
        ));
        assert!(parse_allow_list("10.0.0.0/8, nope").is_err());
    }
}
