//! Rate limits: the configuration (per route class, per user and per IP)
//! and the limiter itself, a sliding-window counter approximated from two
//! fixed windows (the previous window's count weighted by how much of it
//! still overlaps the sliding window, plus the current count; the
//! approximation Cloudflare and others use, with no per-hit storage).
//!
//! Pure: the caller passes `now`. The Worker keeps the counters in one
//! `RateLimiter` Durable Object per subject (see docs/threat-model.md,
//! "Denial of service", for why not D1 or KV).

use serde::{Deserialize, Serialize};

use crate::route::RouteClass;

/// One limit: at most `limit` requests per sliding `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub limit: u32,
    pub window_secs: u32,
}

impl Limit {
    pub const fn new(limit: u32, window_secs: u32) -> Limit {
        Limit { limit, window_secs }
    }

    fn is_valid(self) -> bool {
        self.limit >= 1 && (1..=86_400).contains(&self.window_secs)
    }
}

/// The two limits of a route class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassLimits {
    /// Per authenticated user (`None` for classes without one, e.g. webhooks).
    pub per_user: Option<Limit>,
    pub per_ip: Limit,
}

/// Every class's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub default: ClassLimits,
    pub meeting_create: ClassLimits,
    pub webhook: ClassLimits,
    pub ws_ticket: ClassLimits,
    pub transcript_ingest: ClassLimits,
}

/// The stable name of a route class in configuration, counters and logs.
pub fn class_name(class: RouteClass) -> &'static str {
    match class {
        RouteClass::Default => "default",
        RouteClass::MeetingCreate => "meeting_create",
        RouteClass::Webhook => "webhook",
        RouteClass::WsTicket => "ws_ticket",
        RouteClass::TranscriptIngest => "transcript_ingest",
    }
}

/// Why `RATE_LIMITS` was refused (the defaults then apply, and it is logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitConfigError {
    #[error("RATE_LIMITS is not valid JSON of the documented shape: {0}")]
    Malformed(String),
    #[error("RATE_LIMITS has a limit below 1 or a window outside 1..=86400 s ({0})")]
    OutOfRange(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    per_user: Option<Limit>,
    per_ip: Option<Limit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    default: Option<RawClass>,
    meeting_create: Option<RawClass>,
    webhook: Option<RawClass>,
    ws_ticket: Option<RawClass>,
    transcript_ingest: Option<RawClass>,
}

impl Default for RateLimits {
    /// Per minute unless noted. Generous for people, tight where a request
    /// is expensive (creating meetings) or cheap to abuse (tickets).
    fn default() -> Self {
        RateLimits {
            default: ClassLimits {
                per_user: Some(Limit::new(300, 60)),
                per_ip: Limit::new(600, 60),
            },
            meeting_create: ClassLimits {
                per_user: Some(Limit::new(20, 60)),
                per_ip: Limit::new(60, 60),
            },
            // WorkOS and Stream deliver from a few addresses; retries come in bursts.
            webhook: ClassLimits {
                per_user: None,
                per_ip: Limit::new(1_200, 60),
            },
            ws_ticket: ClassLimits {
                per_user: Some(Limit::new(30, 60)),
                per_ip: Limit::new(120, 60),
            },
            // ~10 chunks/s per speaker (SLO: ≥ 10 updates/s/meeting).
            transcript_ingest: ClassLimits {
                per_user: Some(Limit::new(900, 60)),
                per_ip: Limit::new(1_800, 60),
            },
        }
    }
}

impl RateLimits {
    /// The defaults with `RATE_LIMITS` JSON overrides applied, e.g.
    /// `{"default":{"per_user":{"limit":100,"window_secs":60}}}`. Any class
    /// or limit not named keeps its default.
    pub fn from_json(text: &str) -> Result<RateLimits, RateLimitConfigError> {
        RateLimits::default().with_overrides(text)
    }

    /// These limits with JSON overrides (the `RATE_LIMITS` shape) applied:
    /// the run-time settings go over `RATE_LIMITS` (`operator_limits`, O12).
    pub fn with_overrides(self, text: &str) -> Result<RateLimits, RateLimitConfigError> {
        let raw: RawLimits = serde_json::from_str(text)
            .map_err(|e| RateLimitConfigError::Malformed(e.to_string()))?;
        let mut limits = self;
        let slots = [
            ("default", raw.default, &mut limits.default),
            (
                "meeting_create",
                raw.meeting_create,
                &mut limits.meeting_create,
            ),
            ("webhook", raw.webhook, &mut limits.webhook),
            ("ws_ticket", raw.ws_ticket, &mut limits.ws_ticket),
            (
                "transcript_ingest",
                raw.transcript_ingest,
                &mut limits.transcript_ingest,
            ),
        ];
        for (name, raw, slot) in slots {
            let Some(raw) = raw else { continue };
            if let Some(user) = raw.per_user {
                if !user.is_valid() {
                    return Err(RateLimitConfigError::OutOfRange(name));
                }
                slot.per_user = Some(user);
            }
            if let Some(ip) = raw.per_ip {
                if !ip.is_valid() {
                    return Err(RateLimitConfigError::OutOfRange(name));
                }
                slot.per_ip = ip;
            }
        }
        Ok(limits)
    }

    pub fn for_class(&self, class: RouteClass) -> ClassLimits {
        match class {
            RouteClass::Default => self.default,
            RouteClass::MeetingCreate => self.meeting_create,
            RouteClass::Webhook => self.webhook,
            RouteClass::WsTicket => self.ws_ticket,
            RouteClass::TranscriptIngest => self.transcript_ingest,
        }
    }
}

/// One subject's counter for one (class, limit): two fixed windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCounter {
    pub window_start_ms: u64,
    pub current: u32,
    pub previous: u32,
}

/// A limiter's answer, with what the `X-RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in the sliding window after this one.
    pub remaining: u32,
    /// Seconds until the current fixed window ends and the count rolls over.
    pub reset_secs: u64,
    /// When refused: seconds until a request would be allowed. 0 when allowed.
    pub retry_after_secs: u64,
}

impl WindowCounter {
    /// Counts a request at `now_ms` against `limit` if it fits. A refused
    /// request is not counted: hammering does not extend the wait.
    pub fn hit(&mut self, now_ms: u64, limit: Limit) -> Decision {
        let window = u64::from(limit.window_secs.max(1)) * 1000;
        let start = now_ms - now_ms % window;
        if start != self.window_start_ms {
            self.previous = if start == self.window_start_ms.saturating_add(window) {
                self.current
            } else {
                0
            };
            self.current = 0;
            self.window_start_ms = start;
        }
        let elapsed = now_ms - start;
        let left_in_window = window - elapsed;
        let max = f64::from(limit.limit);
        let estimate = f64::from(self.previous) * (left_in_window as f64 / window as f64)
            + f64::from(self.current);
        let reset_secs = left_in_window.div_ceil(1000);
        if estimate + 1.0 <= max {
            self.current = self.current.saturating_add(1);
            let remaining = (max - estimate - 1.0).floor().max(0.0) as u32;
            return Decision {
                allowed: true,
                limit: limit.limit,
                remaining,
                reset_secs,
                retry_after_secs: 0,
            };
        }
        Decision {
            allowed: false,
            limit: limit.limit,
            remaining: 0,
            reset_secs,
            retry_after_secs: self
                .retry_after_ms(elapsed, window, limit.limit)
                .div_ceil(1000)
                .max(1),
        }
    }

    /// How long until `previous·(window − e)/window + current + 1 ≤ limit`.
    fn retry_after_ms(&self, elapsed: u64, window: u64, limit: u32) -> u64 {
        let (w, l) = (window as f64, f64::from(limit));
        let (prev, cur) = (f64::from(self.previous), f64::from(self.current));
        if cur + 1.0 <= l && prev > 0.0 {
            // Within this window, as the previous one slides out.
            let needed_elapsed = w - (l - 1.0 - cur) * w / prev;
            return (needed_elapsed - elapsed as f64).ceil().max(0.0) as u64;
        }
        // Only in the next window, once this window's count slides out enough.
        let to_next = window - elapsed;
        let into_next = if cur > 0.0 {
            (w * (1.0 - (l - 1.0) / cur)).ceil().max(0.0) as u64
        } else {
            0
        };
        to_next + into_next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const L: Limit = Limit::new(3, 10);

    #[test]
    fn allows_up_to_the_limit_then_refuses_with_retry_after() {
        let mut c = WindowCounter::default();
        let d = c.hit(100_000, L);
        assert!(d.allowed);
        assert_eq!((d.limit, d.remaining, d.reset_secs), (3, 2, 10));
        assert_eq!(c.hit(101_000, L).remaining, 1);
        assert_eq!(c.hit(102_000, L).remaining, 0);
        let d = c.hit(103_000, L);
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset_secs, 7);
        // Next window starts at 110 s with previous = 3; a request fits once
        // 3·(10 − e)/10 + 1 ≤ 3, i.e. e ≥ 10/3 s: 7 s + 3.34 s → 11 s.
        assert_eq!(d.retry_after_secs, 11);
        // Refused hits are not counted.
        assert_eq!(c.current, 3);
    }

    #[test]
    fn the_previous_window_slides_out() {
        let mut c = WindowCounter::default();
        for t in [100_000, 101_000, 102_000] {
            assert!(c.hit(t, L).allowed);
        }
        // At 110 s the previous window still weighs fully: refused.
        assert!(!c.hit(110_000, L).allowed);
        // At 114 s: 3·0.6 = 1.8, +1 ≤ 3: allowed.
        assert!(c.hit(114_000, L).allowed);
        // Two idle windows later nothing remains.
        let d = c.hit(200_000, L);
        assert!(d.allowed);
        assert_eq!(d.remaining, 2);
    }

    #[test]
    fn config_overrides_merge_onto_defaults() {
        let l = RateLimits::from_json(r#"{"default":{"per_ip":{"limit":5,"window_secs":60}}}"#)
            .unwrap();
        assert_eq!(l.default.per_ip, Limit::new(5, 60));
        assert_eq!(l.default.per_user, RateLimits::default().default.per_user);
        assert_eq!(l.webhook, RateLimits::default().webhook);
        assert!(matches!(
            RateLimits::from_json("nope"),
            Err(RateLimitConfigError::Malformed(_))
        ));
        assert!(matches!(
            RateLimits::from_json(r#"{"defualt":{}}"#),
            Err(RateLimitConfigError::Malformed(_))
        ));
        assert_eq!(
            RateLimits::from_json(r#"{"webhook":{"per_ip":{"limit":0,"window_secs":60}}}"#),
            Err(RateLimitConfigError::OutOfRange("webhook"))
        );
        assert_eq!(
            class_name(RouteClass::TranscriptIngest),
            "transcript_ingest"
        );
    }

    proptest! {
        /// However requests arrive, no sliding window of the limit's length
        /// ever admits more than `limit` plus what the approximation leaks
        /// (at most one window's worth, in the worst case of a burst at the
        /// boundary); in every fixed window at most `limit`.
        #[test]
        fn never_more_than_the_limit_per_fixed_window(
            gaps in proptest::collection::vec(0u64..4_000, 1..300),
            limit in 1u32..20,
        ) {
            let lim = Limit::new(limit, 10);
            let mut c = WindowCounter::default();
            let mut t = 1_000_000u64;
            let mut per_window = std::collections::HashMap::<u64, u32>::new();
            for g in gaps {
                t += g;
                let d = c.hit(t, lim);
                prop_assert!(d.remaining <= limit);
                if d.allowed {
                    *per_window.entry(t / 10_000).or_default() += 1;
                } else {
                    prop_assert!(d.retry_after_secs >= 1);
                }
            }
            prop_assert!(per_window.values().all(|n| *n <= limit));
        }
    }
}
