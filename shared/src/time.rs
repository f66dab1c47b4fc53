//! RFC 3339 timestamps to and from unix milliseconds, the unit every time in
//! D1 and in our API uses. Stream writes `created_at` with up to nanosecond
//! precision (`2024-10-16T04:15:01.911604755Z`) and reads `starts_at` back;
//! both directions are pure and total (no panics, `None` on nonsense).
//!
//! Calendar arithmetic is the proleptic Gregorian "days from civil" method
//! (era/day-of-era decomposition), valid for years 0000..=9999.

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a civil date (month 1..=12, day 1..=31).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction; the fallbacks are unreachable.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A fixed number of ASCII digits at `s[at..at + n]`.
fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`)
/// into unix milliseconds, truncating sub-millisecond digits. `t`/`z` and a
/// space separator are accepted as RFC 3339 allows; leap seconds are not.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let s = text.as_bytes();
    if s.len() < 20 || s.len() > 40 {
        return None;
    }
    let year = digits(s, 0, 4)?;
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    let hour = digits(s, 11, 2)?;
    let minute = digits(s, 14, 2)?;
    let second = digits(s, 17, 2)?;
    let separators_ok = s[4] == b'-'
        && s[7] == b'-'
        && matches!(s[10], b'T' | b't' | b' ')
        && s[13] == b':'
        && s[16] == b':';
    if !separators_ok {
        return None;
    }
    let year = i64::from(year);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }

    let mut at = 19;
    let mut millis = 0u32;
    if s.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis = millis * 10 + u32::from(s[at] - b'0');
            }
            at += 1;
        }
        let n = at - start;
        if n == 0 || n > 9 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }

    let offset_minutes: i64 = match s.get(at) {
        Some(b'Z' | b'z') if at + 1 == s.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == s.len() && s[at + 3] == b':' => {
            let oh = digits(s, at + 1, 2)?;
            let om = digits(s, at + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let total = i64::from(oh * 60 + om);
            if *sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };

    let days = days_from_civil(year, month, day);
    let local_ms = days * DAY_MS
        + i64::from(hour) * 3_600_000
        + i64::from(minute) * 60_000
        + i64::from(second) * 1000
        + i64::from(millis);
    Some(local_ms - offset_minutes * 60_000)
}

/// Formats unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). `None`
/// outside years 0000..=9999.
pub fn format_rfc3339_ms(ms: i64) -> Option<String> {
    let days = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let hour = in_day / 3_600_000;
    let minute = in_day / 60_000 % 60;
    let second = in_day / 1000 % 60;
    let millis = in_day % 1000;
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_streams_nanosecond_timestamps() {
        assert_eq!(
            parse_rfc3339_ms("2024-10-16T04:15:01.911604755Z"),
            Some(1_729_052_101_911)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-10-16T04:15:01.6Z"),
            Some(1_729_052_101_600)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-10-16T04:15:01Z"),
            Some(1_729_052_101_000)
        );
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
    }

    #[test]
    fn applies_offsets() {
        assert_eq!(
            parse_rfc3339_ms("2024-10-16T06:15:01.911+02:00"),
            parse_rfc3339_ms("2024-10-16T04:15:01.911Z")
        );
        assert_eq!(
            parse_rfc3339_ms("2024-10-15T23:15:01-05:00"),
            parse_rfc3339_ms("2024-10-16T04:15:01Z")
        );
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "",
            "2024-10-16",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-10-16T24:00:00Z",
            "2024-10-16T04:15:01",
            "2024-10-16T04:15:01.Z",
            "2024-10-16T04:15:01.1234567890Z",
            "2024-10-16T04:15:01+0200",
            "2024-10-16T04:15:01Zjunk",
            "２０２４-10-16T04:15:01Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
        assert!(parse_rfc3339_ms("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(
            format_rfc3339_ms(1_729_052_101_911).as_deref(),
            Some("2024-10-16T04:15:01.911Z")
        );
        assert_eq!(
            format_rfc3339_ms(0).as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        assert_eq!(
            format_rfc3339_ms(-1).as_deref(),
            Some("1969-12-31T23:59:59.999Z")
        );
        for ms in [
            0,
            951_782_400_000,
            1_709_164_800_000,
            4_102_444_799_999,
            -62_135_596_800_000,
        ] {
            let text = format_rfc3339_ms(ms).unwrap();
            assert_eq!(parse_rfc3339_ms(&text), Some(ms), "{text}");
        }
        assert_eq!(format_rfc3339_ms(i64::MAX), None);
    }
}
