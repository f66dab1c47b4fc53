//! Wall-clock timestamps for report names and headers, in UTC, without a
//! date crate: the date from days since 1970 by the usual civil-calendar
//! arithmetic (400-year eras of 146,097 days).

use std::time::{SystemTime, UNIX_EPOCH};

/// (year, month, day) of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153; // March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A UTC time, split for formatting.
pub struct Utc {
    year: i64,
    month: u32,
    day: u32,
    secs_of_day: u64,
}

impl Utc {
    pub fn now() -> Utc {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Utc::from_unix(secs)
    }

    pub fn from_unix(secs: u64) -> Utc {
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        Utc {
            year,
            month,
            day,
            secs_of_day: secs % 86_400,
        }
    }

    fn hms(&self) -> (u64, u64, u64) {
        let s = self.secs_of_day;
        (s / 3600, s / 60 % 60, s % 60)
    }

    /// `2026-05-09T10:23:00Z`
    pub fn iso(&self) -> String {
        let (h, m, s) = self.hms();
        format!(
            "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}Z",
            self.year, self.month, self.day
        )
    }

    /// `20260509T102300Z`: sorts by time, safe in a file name.
    pub fn compact(&self) -> String {
        let (h, m, s) = self.hms();
        format!(
            "{:04}{:02}{:02}T{h:02}{m:02}{s:02}Z",
            self.year, self.month, self.day
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(Utc::from_unix(0).iso(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc::from_unix(951_782_400).iso(), "2000-02-29T00:00:00Z");
        assert_eq!(Utc::from_unix(1_778_322_180).compact(), "20260509T102300Z");
    }
}
