//! Notification preferences and their validation (N7, N8).

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

/// Per-channel switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelPrefs {
    pub in_app: bool,
    pub email: bool,
}

impl Default for ChannelPrefs {
    /// In-app on, email off, unless the user asks.
    fn default() -> Self {
        ChannelPrefs {
            in_app: true,
            email: false,
        }
    }
}

/// A daily quiet window in the user's time zone. `start == end` is invalid;
/// `start > end` crosses midnight (22:00–07:00).
#[derive(Debug, Clone, PartialEq)]
pub struct QuietHours {
    pub start_minute: u16,
    pub end_minute: u16,
    pub time_zone: TimeZone,
    /// The IANA name as given, for storage.
    pub time_zone_name: String,
}

/// Why preferences were refused (a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefError {
    /// Not an IANA time zone the bundled database knows (N8).
    UnknownTimeZone(String),
    /// Not `HH:MM` in 00:00–23:59.
    BadTime(String),
    /// Start and end are the same minute.
    EmptyQuietWindow,
    /// The hourly cap must be 1–1000.
    BadHourlyCap(u32),
    /// A notification type name that is empty or longer than 64 bytes.
    BadKind(String),
}

/// The user's preferences.
#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    /// Per notification type (`meeting_started`, …); absent types use `default`.
    pub per_kind: BTreeMap<String, ChannelPrefs>,
    pub default: ChannelPrefs,
    pub quiet_hours: Option<QuietHours>,
    pub group_similar: bool,
    pub max_per_hour: Option<u32>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            per_kind: BTreeMap::new(),
            default: ChannelPrefs::default(),
            quiet_hours: None,
            group_similar: true,
            max_per_hour: None,
        }
    }
}

impl Preferences {
    pub fn channels(&self, kind: &str) -> ChannelPrefs {
        self.per_kind.get(kind).copied().unwrap_or(self.default)
    }

    /// Sets a type's channels (N7).
    pub fn set_kind(&mut self, kind: &str, prefs: ChannelPrefs) -> Result<(), PrefError> {
        if kind.is_empty() || kind.len() > 64 {
            return Err(PrefError::BadKind(kind.to_owned()));
        }
        self.per_kind.insert(kind.to_owned(), prefs);
        Ok(())
    }

    /// Sets the hourly cap (N7): `None` = no cap, otherwise 1–1000.
    pub fn set_max_per_hour(&mut self, cap: Option<u32>) -> Result<(), PrefError> {
        if let Some(c) = cap {
            if !(1..=1000).contains(&c) {
                return Err(PrefError::BadHourlyCap(c));
            }
        }
        self.max_per_hour = cap;
        Ok(())
    }
}

fn parse_hhmm(text: &str) -> Result<u16, PrefError> {
    let bad = || PrefError::BadTime(text.to_owned());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Validates quiet hours (N8): `HH:MM` times and a known IANA zone.
pub fn quiet_hours(start: &str, end: &str, time_zone: &str) -> Result<QuietHours, PrefError> {
    let start_minute = parse_hhmm(start)?;
    let end_minute = parse_hhmm(end)?;
    if start_minute == end_minute {
        return Err(PrefError::EmptyQuietWindow);
    }
    // Only names: no POSIX TZ strings, no empty or path-like input.
    if time_zone.is_empty() || time_zone.len() > 64 || time_zone.contains("..") {
        return Err(PrefError::UnknownTimeZone(time_zone.to_owned()));
    }
    let tz =
        TimeZone::get(time_zone).map_err(|_| PrefError::UnknownTimeZone(time_zone.to_owned()))?;
    Ok(QuietHours {
        start_minute,
        end_minute,
        time_zone: tz,
        time_zone_name: time_zone.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n8_time_zones_and_times_are_validated() {
        assert!(quiet_hours("22:00", "07:00", "Europe/Paris").is_ok());
        assert!(quiet_hours("22:00", "07:00", "America/Argentina/Buenos_Aires").is_ok());
        assert_eq!(
            quiet_hours("22:00", "07:00", "Mars/Olympus_Mons"),
            Err(PrefError::UnknownTimeZone("Mars/Olympus_Mons".into()))
        );
        assert!(matches!(
            quiet_hours("22:00", "07:00", ""),
            Err(PrefError::UnknownTimeZone(_))
        ));
        assert!(matches!(
            quiet_hours("22:00", "07:00", "../etc/passwd"),
            Err(PrefError::UnknownTimeZone(_))
        ));
        assert_eq!(
            quiet_hours("24:00", "07:00", "UTC"),
            Err(PrefError::BadTime("24:00".into()))
        );
        assert_eq!(
            quiet_hours("7:00", "08:00", "UTC"),
            Err(PrefError::BadTime("7:00".into()))
        );
        assert_eq!(
            quiet_hours("07:00", "07:00", "UTC"),
            Err(PrefError::EmptyQuietWindow)
        );
    }

    #[test]
    fn n7_channels_per_kind_and_cap_bounds() {
        let mut p = Preferences::default();
        assert_eq!(
            p.channels("meeting_started"),
            ChannelPrefs {
                in_app: true,
                email: false
            }
        );
        p.set_kind(
            "meeting_started",
            ChannelPrefs {
                in_app: false,
                email: true,
            },
        )
        .unwrap();
        assert!(p.channels("meeting_started").email);
        assert!(p.set_kind("", ChannelPrefs::default()).is_err());
        assert_eq!(p.set_max_per_hour(Some(0)), Err(PrefError::BadHourlyCap(0)));
        assert!(p.set_max_per_hour(Some(10)).is_ok());
    }
}
