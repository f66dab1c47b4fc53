//! `GET /v1/meetings`: the caller's meetings, filtered by state and by a
//! planned-start range, in pages of at most [`MAX_LIMIT`], with an opaque
//! keyset cursor over `(scheduled_at, id)` (never OFFSET: a page costs the
//! same however deep it is). The cursor remembers the order it was made for.

use super::lifecycle::parse_state;
use crate::acl::MeetingState;
use crate::auth::base64url;
use crate::error::ApiError;
use crate::route::is_valid_id;
use crate::validation::{invalid, reason};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// The largest time JavaScript (and so D1) holds exactly: the open upper end.
pub const MAX_TIME_MS: i64 = (1 << 53) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Soonest first (upcoming).
    Asc,
    /// Latest first (history).
    Desc,
}

impl Order {
    fn as_char(self) -> char {
        match self {
            Order::Asc => 'a',
            Order::Desc => 'd',
        }
    }
}

/// Where the previous page stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub order: Order,
    pub scheduled_at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = format!(
            "v1|{}|{}|{}",
            self.order.as_char(),
            self.scheduled_at,
            self.id
        );
        base64url::encode(raw.as_bytes())
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        if text.len() > 200 {
            return None;
        }
        let raw = String::from_utf8(base64url::decode(text).ok()?).ok()?;
        let mut parts = raw.splitn(4, '|');
        let (Some("v1"), Some(order), Some(at), Some(id)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let order = match order {
            "a" => Order::Asc,
            "d" => Order::Desc,
            _ => return None,
        };
        let scheduled_at: i64 = at.parse().ok()?;
        if !(0..=MAX_TIME_MS).contains(&scheduled_at) || !is_valid_id(id) {
            return None;
        }
        Some(Cursor {
            order,
            scheduled_at,
            id: id.to_owned(),
        })
    }
}

/// A validated list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub state: Option<MeetingState>,
    /// Planned start, inclusive.
    pub from_ms: i64,
    /// Planned start, exclusive.
    pub to_ms: i64,
    pub limit: u32,
    pub order: Order,
    pub after: Option<Cursor>,
}

impl ListQuery {
    /// The keyset bound for the SQL (`MEETING_LIST_FOR_USER_ASC/DESC` ?3, ?4):
    /// the cursor's position, or the range's start (asc) or end (desc) with
    /// the empty id, which sorts before every real id.
    pub fn keyset(&self) -> (i64, &str) {
        match (&self.after, self.order) {
            (Some(c), _) => (c.scheduled_at, c.id.as_str()),
            (None, Order::Asc) => (self.from_ms, ""),
            (None, Order::Desc) => (self.to_ms, ""),
        }
    }

    /// The bound the keyset does not cover (?5): `to` (asc) or `from` (desc).
    pub fn far_bound(&self) -> i64 {
        match self.order {
            Order::Asc => self.to_ms,
            Order::Desc => self.from_ms,
        }
    }

    /// The cursor for the page after one that ended with this row, if the
    /// page was full (the caller fetches `limit + 1` rows to know).
    pub fn next_cursor(&self, last_scheduled_at: i64, last_id: &str) -> String {
        Cursor {
            order: self.order,
            scheduled_at: last_scheduled_at,
            id: last_id.to_owned(),
        }
        .encode()
    }
}

fn time_param(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|v| (0..=MAX_TIME_MS).contains(v))
        .ok_or_else(|| {
            invalid(
                name,
                reason::OUT_OF_RANGE,
                format!("{name} must be a time in unix milliseconds"),
            )
        })
}

/// Parses the query string's pairs: `state`, `from`, `to`, `limit`,
/// `order` (`asc` | `desc`) and `cursor`. Repeated or unknown parameters
/// are refused.
pub fn parse_list_query(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery {
        state: None,
        from_ms: 0,
        to_ms: MAX_TIME_MS,
        limit: DEFAULT_LIMIT,
        order: Order::Asc,
        after: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut cursor_text: Option<&str> = None;
    for (name, value) in pairs {
        if seen.contains(&name.as_str()) {
            return Err(invalid(
                name,
                reason::DUPLICATE,
                format!("{name} is given twice"),
            ));
        }
        match name.as_str() {
            "state" => {
                q.state = Some(parse_state(value).ok_or_else(|| {
                    invalid(
                        "state",
                        reason::INVALID_VALUE,
                        "state must be one of scheduled, active, concluded, cancelled",
                    )
                })?)
            }
            "from" => q.from_ms = time_param("from", value)?,
            "to" => q.to_ms = time_param("to", value)?,
            "limit" => {
                q.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        invalid(
                            "limit",
                            reason::OUT_OF_RANGE,
                            format!("limit must be from 1 to {MAX_LIMIT}"),
                        )
                    })?
            }
            "order" => {
                q.order = match value.as_str() {
                    "asc" => Order::Asc,
                    "desc" => Order::Desc,
                    _ => {
                        return Err(invalid(
                            "order",
                            reason::INVALID_VALUE,
                            "order must be asc or desc",
                        ))
                    }
                }
            }
            "cursor" => cursor_text = Some(value.as_str()),
            other => {
                return Err(invalid(
                    other,
                    reason::UNKNOWN_FIELD,
                    format!("unknown query parameter {other}"),
                ))
            }
        }
        seen.push(name.as_str());
    }
    if q.from_ms > q.to_ms {
        return Err(invalid(
            "from",
            reason::OUT_OF_RANGE,
            "from must not be after to",
        ));
    }
    if let Some(text) = cursor_text {
        let cursor = Cursor::decode(text)
            .filter(|c| c.order == q.order)
            .ok_or_else(|| {
                invalid(
                    "cursor",
                    reason::INVALID_VALUE,
                    "the cursor is not one this list gave out (with this order)",
                )
            })?;
        q.after = Some(cursor);
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn field(err: ApiError) -> String {
        err.details.unwrap()["field"].as_str().unwrap().to_owned()
    }

    #[test]
    fn defaults_and_bounds() {
        let q = parse_list_query(&[]).unwrap();
        assert_eq!(q.limit, DEFAULT_LIMIT);
        assert_eq!(q.keyset(), (0, ""));
        assert_eq!(q.far_bound(), MAX_TIME_MS);
        let q = parse_list_query(&pairs(&[
            ("order", "desc"),
            ("from", "10"),
            ("to", "20"),
            ("state", "active"),
            ("limit", "100"),
        ]))
        .unwrap();
        assert_eq!(q.keyset(), (20, ""));
        assert_eq!(q.far_bound(), 10);
        assert_eq!(q.state, Some(MeetingState::Active));
    }

    #[test]
    fn cursors_round_trip_and_bind_the_order() {
        let q = parse_list_query(&[]).unwrap();
        let next = q.next_cursor(1234, "mtg_X");
        let q2 = parse_list_query(&pairs(&[("cursor", &next)])).unwrap();
        assert_eq!(q2.keyset(), (1234, "mtg_X"));
        let err = parse_list_query(&pairs(&[("cursor", &next), ("order", "desc")])).unwrap_err();
        assert_eq!(field(err), "cursor");
        for bad in ["", "!!", "djF8YXwxfA", &base64url::encode(b"v1|a|-5|x")] {
            assert_eq!(
                field(parse_list_query(&pairs(&[("cursor", bad)])).unwrap_err()),
                "cursor",
                "{bad}"
            );
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases: [(&[(&str, &str)], &str); 7] = [
            (&[("limit", "0")], "limit"),
            (&[("limit", "101")], "limit"),
            (&[("state", "done")], "state"),
            (&[("from", "x")], "from"),
            (&[("from", "5"), ("to", "4")], "from"),
            (&[("page", "2")], "page"),
            (&[("limit", "1"), ("limit", "2")], "limit"),
        ];
        for (list, name) in cases {
            assert_eq!(field(parse_list_query(&pairs(list)).unwrap_err()), name);
        }
    }
}
