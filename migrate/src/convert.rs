//! Field conversions from the old store's text forms to the new store's
//! conventions (docs/migration.md "Conventions"): timestamps to unix
//! milliseconds, emails case-folded, interest names to keys, the old enums
//! to the new CHECK values. Pure; each rule is tested here.

/// A PostgreSQL `timestamptz` or `timestamp` in its text output form
/// (`2024-03-01 09:32:05.5+05:30`, `2024-03-01 09:32:00`) as unix
/// milliseconds. A value without a zone is UTC: the old app wrote its one
/// naive column (messages.created_at) in UTC. Sub-millisecond digits are
/// truncated toward the past.
pub fn timestamp_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("not a PostgreSQL timestamp: {text:?}");
    let s = text.trim();
    let (date, rest) = s.split_once([' ', 'T']).ok_or_else(bad)?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let month: i64 = d.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let day: i64 = d.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    // The zone starts at the first '+' or '-' after the time, or is 'Z'.
    let (time, zone) = match rest.find(['+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest.trim_end_matches('Z'), ""),
    };
    let mut t = time.splitn(3, ':');
    let hour: i64 = t.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let minute: i64 = t.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let sec_text = t.next().ok_or_else(bad)?;
    let (whole, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let second: i64 = whole.parse().map_err(|_| bad())?;
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let millis: i64 = format!("{frac:0<3}")[..3].parse().map_err(|_| bad())?;
    let offset_secs = if zone.is_empty() {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let mut z = zone[1..].splitn(3, ':');
        let zh: i64 = z.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let zm: i64 = z.next().map_or(Ok(0), |x| x.parse().map_err(|_| bad()))?;
        let zs: i64 = z.next().map_or(Ok(0), |x| x.parse().map_err(|_| bad()))?;
        sign * (zh * 3600 + zm * 60 + zs)
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    Ok((days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs) * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The form emails are compared and stored in: trimmed and lowercased. The
/// old store had no unique index on lower(email), so two accounts may fold
/// to the same address; WorkOS matches emails case-insensitively too.
pub fn fold_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The display name of an account without one: the email's local part.
pub fn name_from_email(email: &str) -> String {
    let folded = fold_email(email);
    folded.split('@').next().unwrap_or_default().to_owned()
}

/// An interest's key in the new taxonomy: its old name lowercased, every run
/// of characters other than letters and digits replaced by one `_`.
/// `"Machine Learning"` → `machine_learning`.
pub fn interest_key(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The id of an imported user the WorkOS reconciliation found no identity
/// for: provisional, so the rows that point at the user keep their links,
/// and flagged in the report. (The users table is keyed by WorkOS user id;
/// such an account must be linked before its owner can sign in.)
pub fn provisional_user_id(legacy_id: &str) -> String {
    format!("legacy_{legacy_id}")
}

/// An old enum value through its mapping table; None for a value the table
/// does not know (reported, never guessed).
pub fn map_enum(table: &[(&'static str, &'static str)], old: &str) -> Option<&'static str> {
    table.iter().find(|(o, _)| *o == old).map(|(_, n)| *n)
}

/// A JSON array text from the old store's `to_json(text[])`; anything else
/// is an error.
pub fn json_array(text: &str) -> Result<String, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ serde_json::Value::Array(_)) => Ok(v.to_string()),
        _ => Err(format!("not a JSON array: {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_zones_become_utc_millis() {
        assert_eq!(timestamp_ms("1970-01-01 00:00:00+00"), Ok(0));
        assert_eq!(
            timestamp_ms("2024-03-01 15:01:00+05:30"),
            Ok(1_709_285_460_000)
        );
        assert_eq!(
            timestamp_ms("2024-03-01 09:31:00+00"),
            Ok(1_709_285_460_000)
        );
        assert_eq!(
            timestamp_ms("2024-04-20 20:20:20-07"),
            timestamp_ms("2024-04-21 03:20:20+00")
        );
        assert_eq!(
            timestamp_ms("2024-02-29T12:34:56.789Z"),
            Ok(1_709_210_096_789)
        );
    }

    #[test]
    fn naive_timestamps_are_utc_and_fractions_truncate_to_millis() {
        assert_eq!(timestamp_ms("2024-03-01 09:32:05.5"), Ok(1_709_285_525_500));
        assert_eq!(
            timestamp_ms("2024-03-01 09:32:05.123999+00"),
            Ok(1_709_285_525_123)
        );
        assert_eq!(timestamp_ms("1969-12-31 23:59:59.999+00"), Ok(-1));
    }

    #[test]
    fn malformed_timestamps_are_errors() {
        for bad in [
            "",
            "2024-13-01 00:00:00",
            "2024-01-01",
            "yesterday",
            "2024-01-01 00:00:xx",
        ] {
            assert!(timestamp_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_fold_to_one_form() {
        assert_eq!(fold_email(" ANA@Example.com "), "ana@example.com");
        assert_eq!(fold_email("ana@example.com"), fold_email("Ana@EXAMPLE.COM"));
        assert_eq!(name_from_email("Ben@Example.com"), "ben");
    }

    #[test]
    fn interest_names_become_keys() {
        assert_eq!(interest_key("Machine Learning"), "machine_learning");
        assert_eq!(interest_key("  Rock -- climbing! "), "rock_climbing");
        assert_eq!(interest_key("Café"), "café");
    }

    #[test]
    fn unknown_enum_values_are_not_guessed() {
        let t = [("rejected", "declined")];
        assert_eq!(map_enum(&t, "rejected"), Some("declined"));
        assert_eq!(map_enum(&t, "ignored"), None);
    }

    #[test]
    fn arrays_must_be_json_arrays() {
        assert_eq!(
            json_array("[\"rust\", \"ml\"]").as_deref(),
            Ok("[\"rust\",\"ml\"]")
        );
        assert!(json_array("{\"a\":1}").is_err());
    }
}
