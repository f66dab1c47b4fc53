//! The clock, the one input of time the pure core never reads itself:
//! handlers read it here once and pass `now` in.

use worker::Date;

/// Now, in unix milliseconds. Stays below 2^53 (D1 keeps it exact).
pub fn now_ms() -> i64 {
    i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX)
}
