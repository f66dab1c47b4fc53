//! The one notification decision (N1–N6).

use jiff::Timestamp;

use super::preferences::{Preferences, QuietHours};

/// How long similar notifications are grouped into one (N2).
pub const GROUP_WINDOW_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "low" => Some(Priority::Low),
            "medium" => Some(Priority::Medium),
            "high" => Some(Priority::High),
            "urgent" => Some(Priority::Urgent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// What a producer wants to tell one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification<'a> {
    /// The type (`participant_joined`, `meeting_started`, …).
    pub kind: &'a str,
    pub priority: Priority,
    /// Notifications with the same key are "similar" (e.g.
    /// `participant_joined:<meeting id>`); `None` never groups.
    pub group_key: Option<&'a str>,
}

/// What the caller read before deciding (one indexed query each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct History<'a> {
    /// Notifications created for the user in the last hour (grouped ones count once).
    pub created_last_hour: u32,
    /// The newest unread notification with the same group key, if any:
    /// (id, its created_at ms, how many it already stands for).
    pub similar: Option<(&'a str, i64, u32)>,
}

/// The email part of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Email {
    None,
    Now,
    /// Held by quiet hours until this instant (unix ms) (N4).
    At(i64),
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Neither channel is enabled for this type (N1).
    Drop,
    /// Fold into an existing notification: bump its count to `count` and
    /// re-push it (N2). No new row, no email.
    Group { into_id: String, count: u32 },
    /// A new row. `push` = send to the user's live hub; `email` as decided.
    Create {
        store: bool,
        push: bool,
        email: Email,
    },
}

/// When the quiet window containing `now_ms` ends, or `None` when `now_ms`
/// is outside the window (N4). Local times are resolved in the user's zone,
/// so the window follows daylight-saving changes.
pub fn quiet_until(quiet: &QuietHours, now_ms: i64) -> Option<i64> {
    let now = Timestamp::from_millisecond(now_ms)
        .ok()?
        .to_zoned(quiet.time_zone.clone());
    let minute = u16::try_from(i32::from(now.hour()) * 60 + i32::from(now.minute())).ok()?;
    let (start, end) = (quiet.start_minute, quiet.end_minute);
    let inside = if start < end {
        (start..end).contains(&minute)
    } else {
        minute >= start || minute < end
    };
    if !inside {
        return None;
    }
    // The window ends today, unless it crosses midnight and we are before it.
    let mut date = now.date();
    if start > end && minute >= start {
        date = date.tomorrow().ok()?;
    }
    let end_local = date.at(
        i8::try_from(end / 60).ok()?,
        i8::try_from(end % 60).ok()?,
        0,
        0,
    );
    let end_zoned = end_local.to_zoned(quiet.time_zone.clone()).ok()?;
    Some(end_zoned.timestamp().as_millisecond())
}

/// The decision for one notification to one user (N1–N6).
pub fn decide(
    prefs: &Preferences,
    n: &NewNotification<'_>,
    history: &History<'_>,
    now_ms: i64,
) -> Decision {
    let urgent = n.priority == Priority::Urgent;
    let channels = prefs.channels(n.kind);
    // N6: urgent notifications always reach the inbox and the hub.
    let in_app = channels.in_app || urgent;
    if !in_app && !channels.email {
        return Decision::Drop; // N1
    }
    // N2: group similar notifications within the window (never urgent ones).
    if prefs.group_similar && !urgent {
        if let (Some(_), Some((id, at_ms, count))) = (n.group_key, history.similar) {
            if now_ms.saturating_sub(at_ms) < GROUP_WINDOW_MS {
                return Decision::Group {
                    into_id: id.to_owned(),
                    count: count.saturating_add(1),
                };
            }
        }
    }
    // N3: over the hourly cap, the notification is stored silently: no push,
    // no email. Urgent ones are not capped (N6).
    let capped = !urgent
        && prefs
            .max_per_hour
            .is_some_and(|cap| history.created_last_hour >= cap);
    let email = if !channels.email || capped {
        Email::None
    } else if urgent {
        Email::Now // N6: quiet hours do not hold urgent email
    } else {
        match prefs
            .quiet_hours
            .as_ref()
            .and_then(|q| quiet_until(q, now_ms))
        {
            Some(until) => Email::At(until), // N4
            None => Email::Now,
        }
    };
    Decision::Create {
        store: true,
        push: in_app && !capped,
        email,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::preferences::{quiet_hours, ChannelPrefs};

    // 2025-01-15T12:00:00Z
    const NOON_UTC: i64 = 1_736_942_400_000;
    const HOUR: i64 = 3_600_000;

    fn n(kind: &str, priority: Priority) -> NewNotification<'_> {
        NewNotification {
            kind,
            priority,
            group_key: Some("participant_joined:m1"),
        }
    }

    fn email_prefs() -> Preferences {
        Preferences {
            default: ChannelPrefs {
                in_app: true,
                email: true,
            },
            ..Preferences::default()
        }
    }

    #[test]
    fn n1_disabled_channels_drop_the_notification() {
        let mut p = Preferences::default();
        p.set_kind(
            "participant_left",
            ChannelPrefs {
                in_app: false,
                email: false,
            },
        )
        .unwrap();
        assert_eq!(
            decide(
                &p,
                &n("participant_left", Priority::Low),
                &History::default(),
                NOON_UTC
            ),
            Decision::Drop
        );
        assert_eq!(
            decide(
                &p,
                &n("meeting_started", Priority::Medium),
                &History::default(),
                NOON_UTC
            ),
            Decision::Create {
                store: true,
                push: true,
                email: Email::None
            }
        );
    }

    #[test]
    fn n2_similar_ones_within_a_minute_are_grouped() {
        let p = Preferences::default();
        let h = History {
            created_last_hour: 3,
            similar: Some(("ntf_1", NOON_UTC - 30_000, 4)),
        };
        assert_eq!(
            decide(&p, &n("participant_joined", Priority::Low), &h, NOON_UTC),
            Decision::Group {
                into_id: "ntf_1".into(),
                count: 5
            }
        );
        let old = History {
            created_last_hour: 3,
            similar: Some(("ntf_1", NOON_UTC - GROUP_WINDOW_MS, 4)),
        };
        assert!(matches!(
            decide(&p, &n("participant_joined", Priority::Low), &old, NOON_UTC),
            Decision::Create { .. }
        ));
        let off = Preferences {
            group_similar: false,
            ..Preferences::default()
        };
        assert!(matches!(
            decide(&off, &n("participant_joined", Priority::Low), &h, NOON_UTC),
            Decision::Create { .. }
        ));
    }

    #[test]
    fn n3_the_hourly_cap_stores_silently() {
        let mut p = email_prefs();
        p.set_max_per_hour(Some(5)).unwrap();
        let h = History {
            created_last_hour: 5,
            similar: None,
        };
        assert_eq!(
            decide(&p, &n("meeting_started", Priority::High), &h, NOON_UTC),
            Decision::Create {
                store: true,
                push: false,
                email: Email::None
            }
        );
        let under = History {
            created_last_hour: 4,
            similar: None,
        };
        assert_eq!(
            decide(&p, &n("meeting_started", Priority::High), &under, NOON_UTC),
            Decision::Create {
                store: true,
                push: true,
                email: Email::Now
            }
        );
    }

    #[test]
    fn n4_quiet_hours_hold_email_until_the_window_ends_in_the_users_zone() {
        let mut p = email_prefs();
        // 12:00 UTC is 21:00 in Tokyo; quiet 20:00–07:00 ends at 07:00 JST = 22:00 UTC.
        p.quiet_hours = Some(quiet_hours("20:00", "07:00", "Asia/Tokyo").unwrap());
        assert_eq!(
            decide(
                &p,
                &n("meeting_ended", Priority::Medium),
                &History::default(),
                NOON_UTC
            ),
            Decision::Create {
                store: true,
                push: true,
                email: Email::At(NOON_UTC + 10 * HOUR)
            }
        );
        // 03:00 JST (after midnight) ends the same morning.
        let q = p.quiet_hours.clone().unwrap();
        assert_eq!(
            quiet_until(&q, NOON_UTC + 6 * HOUR),
            Some(NOON_UTC + 10 * HOUR)
        );
        // 08:00 JST: outside.
        assert_eq!(quiet_until(&q, NOON_UTC + 11 * HOUR), None);
        // A same-day window: 12:00–13:30 UTC.
        let lunch = quiet_hours("12:00", "13:30", "UTC").unwrap();
        assert_eq!(quiet_until(&lunch, NOON_UTC), Some(NOON_UTC + 90 * 60_000));
        assert_eq!(quiet_until(&lunch, NOON_UTC - 1), None);
    }

    #[test]
    fn n4_quiet_hours_follow_daylight_saving() {
        // New York, quiet 22:00–07:00. On 2025-03-09 clocks jump at 02:00;
        // 07:00 EDT is 11:00 UTC (not 12:00 as in winter).
        let q = quiet_hours("22:00", "07:00", "America/New_York").unwrap();
        let mar_9_0400_utc = 1_741_492_800_000; // 2025-03-09T04:00Z = 23:00 EST on the 8th
        let mar_9_1100_utc = 1_741_518_000_000;
        assert_eq!(quiet_until(&q, mar_9_0400_utc), Some(mar_9_1100_utc));
    }

    #[test]
    fn n6_urgent_bypasses_quiet_hours_cap_grouping_and_disabled_in_app() {
        let mut p = email_prefs();
        p.quiet_hours = Some(quiet_hours("00:00", "23:59", "UTC").unwrap());
        p.set_max_per_hour(Some(1)).unwrap();
        p.set_kind(
            "system_announcement",
            ChannelPrefs {
                in_app: false,
                email: true,
            },
        )
        .unwrap();
        let h = History {
            created_last_hour: 50,
            similar: Some(("ntf_1", NOON_UTC, 1)),
        };
        assert_eq!(
            decide(
                &p,
                &n("system_announcement", Priority::Urgent),
                &h,
                NOON_UTC
            ),
            Decision::Create {
                store: true,
                push: true,
                email: Email::Now
            }
        );
        assert_eq!(Priority::parse("urgent"), Some(Priority::Urgent));
        assert_eq!(Priority::parse(Priority::Low.as_str()), Some(Priority::Low));
        assert_eq!(Priority::parse("critical"), None);
    }
}
