//! The query-string pieces the intelligence list routes share (prompts,
//! insights): a bounded `limit`, and a `(created_at, id)` keyset cursor
//! written `<created_at>.<id>`.

use crate::error::ApiError;
use crate::route::is_valid_id;
use crate::validation::{invalid, reason};

/// `limit`, within 1..=`max`.
pub fn limit(value: &str, max: i64) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|l| (1..=max).contains(l))
        .ok_or_else(|| {
            invalid(
                "limit",
                reason::OUT_OF_RANGE,
                format!("limit must be 1 to {max}"),
            )
        })
}

/// A cursor this module wrote ([`encode`]).
pub fn cursor(value: &str) -> Result<(i64, String), ApiError> {
    value
        .split_once('.')
        .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id)))
        .filter(|(_, id)| is_valid_id(id))
        .map(|(t, id)| (t, id.to_owned()))
        .ok_or_else(|| {
            invalid(
                "cursor",
                reason::INVALID_VALUE,
                "cursor is not one we issued",
            )
        })
}

pub fn encode(created_at: i64, id: &str) -> String {
    format!("{created_at}.{id}")
}

/// A query parameter the route does not take.
pub fn unknown(name: &str) -> ApiError {
    invalid(
        name,
        reason::UNKNOWN_FIELD,
        format!("unknown query parameter {name}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_round_trip_and_refuse_the_rest() {
        assert_eq!(limit("5", 10).unwrap(), 5);
        for bad in ["0", "11", "-1", "x"] {
            assert_eq!(limit(bad, 10).unwrap_err().status(), 400);
        }
        assert_eq!(cursor(&encode(7, "prm_1")).unwrap(), (7, "prm_1".into()));
        for bad in ["x", "1", "a.b", "1.a/b", "1."] {
            assert!(cursor(bad).is_err(), "{bad}");
        }
    }
}
