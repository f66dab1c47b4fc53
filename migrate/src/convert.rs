//! Field conversions from the old store's text forms to the new store's
//! conventions (docs/migration.md "Conventions"): timestamps to unix
//! milliseconds, emails case-folded, interest names to keys, the old enums
//! to the new CHECK values. Pure; each rule is tested here.

use connvo_shared::time::parse_rfc3339_ms;

/// A PostgreSQL `timestamptz` or `timestamp` in its text output form
/// (`2024-03-01 09:32:05.5+05:30`, `2024-03-01 09:32:00`) as unix
/// milliseconds. A value without a zone is UTC: the old app wrote its one
/// naive column (messages.created_at) in UTC. Sub-millisecond digits are
/// truncated toward the past. PostgreSQL's text is put in RFC 3339 form
/// (`T`, `Z`, `±HH:MM`) and read by the core's one date parser.
pub fn timestamp_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("not a PostgreSQL timestamp: {text:?}");
    let s = text.trim();
    let (date_time, rest) = match (s.get(..19), s.get(19..)) {
        (Some(dt), Some(rest)) => (dt, rest),
        _ => return Err(bad()),
    };
    let zone_at = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
    let (fraction, zone) = rest.split_at(zone_at);
    let zone = match zone.len() {
        0 => "Z".to_owned(),
        3 => format!("{zone}:00"),
        _ => zone.to_owned(),
    };
    let rfc3339 = format!("{}T{}{fraction}{zone}", &date_time[..10], &date_time[11..]);
    parse_rfc3339_ms(&rfc3339).ok_or_else(bad)
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
/// of characters other than letters and digits replaced by one `-`, the
/// slug form of the seeded catalogue (`ai-ml`, `remote-work`).
/// `"Machine Learning"` → `machine-learning`.
pub fn interest_key(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
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
        assert_eq!(interest_key("Machine Learning"), "machine-learning");
        assert_eq!(interest_key("  Rock -- climbing! "), "rock-climbing");
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
