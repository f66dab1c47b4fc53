//! The JSON wire form of an op, the one `ot-text-unicode` uses, so browser
//! clients can hand their ops over unchanged:
//!
//! - a number `n` retains (skips) `n` chars,
//! - a string inserts that text,
//! - `{"d": n}` deletes `n` chars. `{"d": "text"}` (the invertible form) is
//!   accepted and counted in chars, but the deleted text is not kept: the
//!   server does not invert ops, and trusting client-sent text would let it
//!   disagree with the document.
//!
//! Example: `[3, "hi", {"d": 2}]`. Output is always normalised and never has
//! a trailing retain; input is normalised on the way in.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::chars::char_len;
use super::error::OtError;
use super::op::{Component, Op};

impl Serialize for Op {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.components().len()))?;
        for component in self.components() {
            seq.serialize_element(&WireComponent(component))?;
        }
        seq.end()
    }
}

struct WireComponent<'a>(&'a Component);

impl Serialize for WireComponent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Component::Retain(n) => serializer.serialize_u64(*n as u64),
            Component::Insert(text) => serializer.serialize_str(text),
            Component::Delete(n) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("d", &(*n as u64))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(OpVisitor)
    }
}

struct OpVisitor;

impl<'de> Visitor<'de> for OpVisitor {
    type Value = Op;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of op components (number, string or {\"d\": n})")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Op, A::Error> {
        // Never trust a size hint for preallocation: it comes from the sender.
        let mut components = Vec::new();
        while let Some(component) = seq.next_element::<ParsedComponent>()? {
            components.push(component.0);
        }
        Op::from_components(components).map_err(de::Error::custom)
    }
}

struct ParsedComponent(Component);

impl<'de> Deserialize<'de> for ParsedComponent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ComponentVisitor)
    }
}

struct ComponentVisitor;

fn count<E: de::Error>(n: u64) -> Result<usize, E> {
    usize::try_from(n).map_err(|_| E::custom("component length too large"))
}

impl<'de> Visitor<'de> for ComponentVisitor {
    type Value = ParsedComponent;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a non-negative integer, a string, or {\"d\": n}")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(ParsedComponent(Component::Retain(count(n)?)))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        let n = u64::try_from(n).map_err(|_| E::custom("retain must not be negative"))?;
        self.visit_u64(n)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom("retain must be an integer"))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(ParsedComponent(Component::Insert(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(ParsedComponent(Component::Insert(text)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut deleted = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "d" || deleted.is_some() {
                return Err(de::Error::custom("a delete is exactly {\"d\": n}"));
            }
            deleted = Some(map.next_value::<DeleteLen>()?.0);
        }
        deleted
            .map(|n| ParsedComponent(Component::Delete(n)))
            .ok_or_else(|| de::Error::custom("a delete is exactly {\"d\": n}"))
    }
}

/// The `d` of a delete: a count, or the deleted text (counted in chars).
struct DeleteLen(usize);

impl<'de> Deserialize<'de> for DeleteLen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DeleteVisitor;
        impl Visitor<'_> for DeleteVisitor {
            type Value = DeleteLen;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a non-negative integer or the deleted text")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<DeleteLen, E> {
                Ok(DeleteLen(count(n)?))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<DeleteLen, E> {
                let n = u64::try_from(n).map_err(|_| E::custom("delete must not be negative"))?;
                self.visit_u64(n)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<DeleteLen, E> {
                Err(E::custom("delete must be an integer"))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<DeleteLen, E> {
                Ok(DeleteLen(char_len(text)))
            }
        }
        deserializer.deserialize_any(DeleteVisitor)
    }
}

impl Op {
    /// Parses the JSON wire form, with every failure as `OT_INVALID_OP`.
    pub fn from_json(json: &str) -> Result<Op, OtError> {
        serde_json::from_str(json).map_err(|e| OtError::invalid(e.to_string()))
    }

    /// Parses an already-decoded JSON value (an op inside a larger message).
    pub fn from_json_value(value: &serde_json::Value) -> Result<Op, OtError> {
        Op::deserialize(value).map_err(|e| OtError::invalid(e.to_string()))
    }

    /// The JSON wire form.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.components()
                .iter()
                .map(|c| match c {
                    Component::Retain(n) => serde_json::Value::from(*n as u64),
                    Component::Insert(text) => serde_json::Value::from(text.as_str()),
                    Component::Delete(n) => serde_json::json!({ "d": *n as u64 }),
                })
                .collect(),
        )
    }
}

impl std::fmt::Display for Op {
    /// The compact JSON wire form, for logs and test failures.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_the_ot_text_unicode_form() {
        let op = Op::builder().retain(3).insert("hi😀").delete(2).build();
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json, json!([3, "hi😀", {"d": 2}]));
        assert_eq!(op.to_json_value(), json);
        assert_eq!(Op::from_json_value(&json).unwrap(), op);
        assert_eq!(op.to_string(), r#"[3,"hi😀",{"d":2}]"#);
    }

    #[test]
    fn accepts_invertible_deletes_counted_in_chars() {
        let op = Op::from_json(r#"[1, {"d": "a😀"}, {"d": 1}]"#).unwrap();
        assert_eq!(op, Op::delete_at(1, 3));
    }

    #[test]
    fn normalises_on_input() {
        let op = Op::from_json(r#"[0, 2, 3, "", "a", "b", {"d": 0}, 5]"#).unwrap();
        assert_eq!(serde_json::to_value(&op).unwrap(), json!([5, "ab"]));
        assert!(Op::from_json("[]").unwrap().is_noop());
    }

    #[test]
    fn refuses_everything_else_as_invalid_op() {
        for bad in [
            "{}",
            "3",
            "\"x\"",
            "[-1]",
            "[1.5]",
            "[null]",
            "[true]",
            "[[1]]",
            r#"[{"d": -2}]"#,
            r#"[{"d": 1.5}]"#,
            r#"[{"d": null}]"#,
            r#"[{"x": 1}]"#,
            r#"[{"d": 1, "e": 2}]"#,
            r#"[{"d": 1, "d": 2}]"#,
            r#"[{}]"#,
            "[18446744073709551616]",
            "[",
        ] {
            let err = Op::from_json(bad).unwrap_err();
            assert_eq!(err.code(), "OT_INVALID_OP", "{bad}");
        }
    }
}
