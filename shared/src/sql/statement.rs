//! One statement ready to run: a registry entry's SQL with its parameters
//! bound by name. Every store executor in the shells (D1 in the worker and
//! the room's flush, the Durable Object's SQLite) takes [`Statement`]s, so
//! no caller lists parameters by position.
//!
//! Each registry constant gets a typed parameter struct through [`params!`],
//! declared right after the constant: the struct's fields are the `?1..?N`
//! parameters in order, so the order lives in one place, next to the SQL,
//! and a call site names every value it binds:
//!
//! ```
//! use connvo_shared::sql::meetings::MeetingGet;
//! let statement = MeetingGet { id: "mtg_1" }.statement();
//! assert_eq!(statement.name, "MEETING_GET");
//! ```

use serde::Serialize;

/// One SQL value, as bound to a parameter or read from a column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A registry statement with its parameters bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The constant's name in `crate::sql`, for logs and errors.
    pub name: &'static str,
    pub sql: &'static str,
    /// `?1..?N`, in order.
    pub params: Vec<SqlValue>,
}

/// A Rust value that binds as one SQL parameter.
pub trait ToSql {
    fn to_sql(&self) -> SqlValue;
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> SqlValue {
        self.clone()
    }
}
impl ToSql for &str {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Text((*self).to_owned())
    }
}
impl ToSql for String {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Text(self.clone())
    }
}
impl ToSql for i64 {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Integer(*self)
    }
}
impl ToSql for u64 {
    /// Times, counts and sequence numbers: all far below `i64::MAX`; a value
    /// above it saturates rather than wrapping into a negative.
    fn to_sql(&self) -> SqlValue {
        SqlValue::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToSql for bool {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Integer(i64::from(*self))
    }
}
impl ToSql for f64 {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Real(*self)
    }
}
impl ToSql for &[u8] {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Blob(self.to_vec())
    }
}
impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> SqlValue {
        self.as_ref().map_or(SqlValue::Null, ToSql::to_sql)
    }
}

/// Declares the typed parameters of a registry constant: a struct whose
/// fields are `?1..?N` in order, and `statement()` binding them.
///
/// ```ignore
/// params! {
///     /// Parameters of [`MEETING_GET`].
///     MEETING_GET => MeetingGet<'a> { id: &'a str }
/// }
/// ```
#[macro_export]
macro_rules! params {
    ($(#[$meta:meta])* $name:ident => $ty:ident $(<$lt:lifetime>)? { $($field:ident : $fty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $ty $(<$lt>)? { $(pub $field: $fty),* }

        impl $(<$lt>)? $ty $(<$lt>)? {
            /// The parameter names, `?1..?N` in order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The statement with these parameters bound.
            pub fn statement(&self) -> $crate::sql::Statement {
                $crate::sql::Statement {
                    name: stringify!($name),
                    sql: $name,
                    params: vec![$($crate::sql::ToSql::to_sql(&self.$field)),*],
                }
            }
        }

        impl $(<$lt>)? From<$ty $(<$lt>)?> for $crate::sql::Statement {
            fn from(params: $ty $(<$lt>)?) -> $crate::sql::Statement {
                params.statement()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: &str = "SELECT ?1, ?2, ?3, ?4";
    params! {
        PING => Ping<'a> { text: &'a str, n: i64, maybe: Option<&'a str>, flag: bool }
    }

    #[test]
    fn binds_fields_in_declared_order() {
        let s = Ping {
            text: "a",
            n: 7,
            maybe: None,
            flag: true,
        }
        .statement();
        assert_eq!(s.name, "PING");
        assert_eq!(s.sql, PING);
        assert_eq!(
            s.params,
            vec![
                SqlValue::Text("a".into()),
                SqlValue::Integer(7),
                SqlValue::Null,
                SqlValue::Integer(1)
            ]
        );
        assert_eq!(Ping::FIELDS, &["text", "n", "maybe", "flag"]);
    }
}
