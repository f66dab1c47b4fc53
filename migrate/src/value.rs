//! The value model shared by both sides of the migration: a legacy row is
//! read as text (every column cast to `text` in the source query, so one
//! parser owns every conversion), and a new row is a list of SQLite values.

use std::collections::BTreeMap;
use std::fmt;

/// One legacy row: column name → its PostgreSQL text form (None for NULL).
pub type LegacyRow = BTreeMap<String, Option<String>>;

/// A D1 (SQLite) value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Val {
    pub fn text(s: impl Into<String>) -> Val {
        Val::Text(s.into())
    }

    pub fn opt_text(s: Option<&str>) -> Val {
        s.map_or(Val::Null, |s| Val::Text(s.to_owned()))
    }

    pub fn opt_int(n: Option<i64>) -> Val {
        n.map_or(Val::Null, Val::Int)
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The canonical form hashed by the parity checksums: a type tag, so
    /// `1` (integer) and `'1'` (text) differ, and a length, so adjacent
    /// fields cannot run into each other.
    pub fn canonical(&self) -> String {
        match self {
            Val::Null => "N".to_owned(),
            Val::Int(n) => format!("I{n}"),
            Val::Real(f) => format!("R{f:?}"),
            Val::Text(s) => format!("T{}:{s}", s.len()),
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null => write!(f, "NULL"),
            Val::Int(n) => write!(f, "{n}"),
            Val::Real(x) => write!(f, "{x}"),
            Val::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// A column of a legacy row, or None when it is NULL or absent.
pub fn col<'a>(row: &'a LegacyRow, name: &str) -> Option<&'a str> {
    row.get(name).and_then(|v| v.as_deref())
}
