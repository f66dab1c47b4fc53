//! SQL values and rows as the room's SQL store exchanges them with
//! [`super::SqlExec`], and the checked conversions between them and Rust
//! types.
//!
//! Durable Object and D1 SQLite are read through JavaScript numbers, which
//! hold integers exactly only up to 2^53 − 1, and may hand an integer back
//! as a float. So every integer going in is range-checked, and every
//! integer coming out is accepted as either an integer or an integral float.

use super::StoreError;
use crate::room::MAX_SAFE_INT;

pub use crate::sql::SqlValue;

/// A result row: the columns in `SELECT` order.
pub type Row = Vec<SqlValue>;

impl SqlValue {
    /// A non-negative integer, checked against 2^53 − 1.
    pub fn uint(value: u64, what: &'static str) -> Result<SqlValue, StoreError> {
        if value > MAX_SAFE_INT {
            return Err(StoreError::OutOfRange(what));
        }
        i64::try_from(value)
            .map(SqlValue::Integer)
            .map_err(|_| StoreError::OutOfRange(what))
    }

    pub fn opt_uint(value: Option<u64>, what: &'static str) -> Result<SqlValue, StoreError> {
        match value {
            Some(v) => SqlValue::uint(v, what),
            None => Ok(SqlValue::Null),
        }
    }

    pub fn text(value: impl Into<String>) -> SqlValue {
        SqlValue::Text(value.into())
    }

    pub fn opt_text(value: Option<&str>) -> SqlValue {
        match value {
            Some(v) => SqlValue::Text(v.to_owned()),
            None => SqlValue::Null,
        }
    }

    pub fn bool(value: bool) -> SqlValue {
        SqlValue::Integer(i64::from(value))
    }

    /// A count or limit (always small).
    pub fn count(value: usize) -> SqlValue {
        SqlValue::Integer(i64::try_from(value).unwrap_or(i64::MAX).min(MAX_SAFE_I64))
    }
}

const MAX_SAFE_I64: i64 = 9_007_199_254_740_991;

/// Typed access to the columns of a [`Row`], with the column's name in errors.
pub(crate) struct Cols<'a> {
    row: &'a [SqlValue],
}

impl<'a> Cols<'a> {
    pub(crate) fn new(row: &'a [SqlValue]) -> Self {
        Cols { row }
    }

    fn get(&self, i: usize, name: &str) -> Result<&'a SqlValue, StoreError> {
        self.row
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("missing column {name}")))
    }

    pub(crate) fn opt_u64(&self, i: usize, name: &str) -> Result<Option<u64>, StoreError> {
        match self.get(i, name)? {
            SqlValue::Null => Ok(None),
            SqlValue::Integer(v) => u64::try_from(*v)
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("{name} is negative"))),
            // An integral, non-negative, exactly representable float.
            SqlValue::Real(v) if v.fract() == 0.0 && *v >= 0.0 && *v <= MAX_SAFE_INT as f64 => {
                Ok(Some(*v as u64))
            }
            other => Err(StoreError::Corrupt(format!(
                "{name} is not an integer: {other:?}"
            ))),
        }
    }

    pub(crate) fn u64(&self, i: usize, name: &str) -> Result<u64, StoreError> {
        self.opt_u64(i, name)?
            .ok_or_else(|| StoreError::Corrupt(format!("{name} is null")))
    }

    pub(crate) fn f64(&self, i: usize, name: &str) -> Result<f64, StoreError> {
        match self.get(i, name)? {
            SqlValue::Real(v) => Ok(*v),
            SqlValue::Integer(v) => Ok(*v as f64),
            other => Err(StoreError::Corrupt(format!(
                "{name} is not a number: {other:?}"
            ))),
        }
    }

    pub(crate) fn bool(&self, i: usize, name: &str) -> Result<bool, StoreError> {
        Ok(self.u64(i, name)? != 0)
    }

    pub(crate) fn opt_text(&self, i: usize, name: &str) -> Result<Option<String>, StoreError> {
        match self.get(i, name)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(v) => Ok(Some(v.clone())),
            other => Err(StoreError::Corrupt(format!(
                "{name} is not text: {other:?}"
            ))),
        }
    }

    pub(crate) fn text(&self, i: usize, name: &str) -> Result<String, StoreError> {
        self.opt_text(i, name)?
            .ok_or_else(|| StoreError::Corrupt(format!("{name} is null")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_range_checked_both_ways() {
        assert_eq!(
            SqlValue::uint(MAX_SAFE_INT, "x").unwrap(),
            SqlValue::Integer(MAX_SAFE_I64)
        );
        assert_eq!(
            SqlValue::uint(MAX_SAFE_INT + 1, "x").unwrap_err(),
            StoreError::OutOfRange("x")
        );
        assert_eq!(SqlValue::count(usize::MAX), SqlValue::Integer(MAX_SAFE_I64));
        let row = vec![
            SqlValue::Real(5.0),
            SqlValue::Real(5.5),
            SqlValue::Integer(-1),
            SqlValue::Null,
            SqlValue::Text("t".into()),
        ];
        let cols = Cols::new(&row);
        assert_eq!(cols.u64(0, "a").unwrap(), 5);
        assert!(cols.u64(1, "b").is_err());
        assert!(cols.u64(2, "c").is_err());
        assert_eq!(cols.opt_u64(3, "d").unwrap(), None);
        assert!(cols.u64(3, "d").is_err());
        assert_eq!(cols.text(4, "e").unwrap(), "t");
        assert!(cols.text(9, "missing").is_err());
        assert_eq!(cols.f64(2, "c").unwrap(), -1.0);
    }
}
