//! The one validation-error shape, and reading request input into typed
//! values with it. Every failure, on every route, is `400 VALIDATION_ERROR`
//! with `details: {"field": "participants[1].role", "reason": "invalid_value"}`
//! ([`invalid`]; `field` is `null`-free: the body as a whole is `"body"`).
//! Unknown fields are refused too (a typo must not be silently ignored).
//!
//! Two readers share the shape: [`FieldReader`] for our own JSON bodies
//! (typed reads by path, then [`FieldReader::finish`] refuses the rest), and
//! [`FlatObject`] for a flat body read with rules the caller supplies (the
//! dev token request). Vendor payloads (webhooks) are decoded leniently
//! elsewhere, because vendors add fields without notice, but their errors
//! use [`invalid`] too.
//!
//! Parsing by hand rather than with `#[derive(Deserialize)]` is what makes
//! the details precise: serde's messages name neither the path nor a stable
//! reason.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A stable reason code in `details.reason`.
pub mod reason {
    pub const REQUIRED: &str = "required";
    pub const WRONG_TYPE: &str = "wrong_type";
    pub const EMPTY: &str = "empty";
    pub const TOO_LONG: &str = "too_long";
    pub const OUT_OF_RANGE: &str = "out_of_range";
    pub const INVALID_VALUE: &str = "invalid_value";
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    pub const DUPLICATE: &str = "duplicate";
    pub const TOO_MANY: &str = "too_many";
    pub const MALFORMED_JSON: &str = "malformed_json";
    pub const UNKNOWN_USER: &str = "unknown_user";
}

/// A `VALIDATION_ERROR` naming `field`, with a stable `reason` (see [`reason`]).
pub fn invalid(field: &str, reason: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(message).with_details(serde_json::json!({
        "field": field,
        "reason": reason,
    }))
}

/// Parses a request body as a JSON object. An empty body counts as `{}`.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(
            "body",
            reason::WRONG_TYPE,
            "the body must be a JSON object",
        )),
        Err(_) => Err(invalid(
            "body",
            reason::MALFORMED_JSON,
            "the body is not valid JSON",
        )),
    }
}

/// A body that must carry no fields at all (`{}` or nothing).
pub fn expect_empty(body: &[u8]) -> Result<(), ApiError> {
    FieldReader::new(&parse_object(body)?, "").finish()
}

/// Reads fields out of one JSON object, remembering which it looked at so
/// that [`FieldReader::finish`] can refuse the rest.
pub struct FieldReader<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    seen: Vec<&'a str>,
}

impl<'a> FieldReader<'a> {
    /// `prefix` is the path of this object (`""` for the body,
    /// `"participants[2]"` for an element).
    pub fn new(map: &'a Map<String, Value>, prefix: &str) -> FieldReader<'a> {
        FieldReader {
            map,
            prefix: prefix.to_owned(),
            seen: Vec::new(),
        }
    }

    /// An element of an array field, which must itself be an object.
    pub fn element(value: &'a Value, path: &str) -> Result<FieldReader<'a>, ApiError> {
        match value {
            Value::Object(map) => Ok(FieldReader::new(map, path)),
            _ => Err(invalid(
                path,
                reason::WRONG_TYPE,
                format!("{path} must be an object"),
            )),
        }
    }

    /// The full path of a field of this object.
    pub fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The raw value: `None` when absent. JSON `null` is returned as is.
    fn raw(&mut self, name: &str) -> Option<&'a Value> {
        let (key, value) = self.map.get_key_value(name)?;
        self.seen.push(key.as_str());
        Some(value)
    }

    fn required<T>(&self, name: &str, value: Option<T>) -> Result<T, ApiError> {
        value.ok_or_else(|| {
            let path = self.path(name);
            invalid(&path, reason::REQUIRED, format!("{path} is required"))
        })
    }

    fn wrong_type(&self, name: &str, expected: &str) -> ApiError {
        let path = self.path(name);
        invalid(
            &path,
            reason::WRONG_TYPE,
            format!("{path} must be {expected}"),
        )
    }

    /// A string of 1..=`max_chars` characters after trimming, with no
    /// control characters other than newline and tab when `multiline`.
    pub fn opt_text(
        &mut self,
        name: &str,
        max_chars: usize,
        multiline: bool,
    ) -> Result<Option<String>, ApiError> {
        match self.raw(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => self.check_text(name, s, max_chars, multiline).map(Some),
            Some(_) => Err(self.wrong_type(name, "a string")),
        }
    }

    pub fn text(
        &mut self,
        name: &str,
        max_chars: usize,
        multiline: bool,
    ) -> Result<String, ApiError> {
        let value = self.opt_text(name, max_chars, multiline)?;
        self.required(name, value)
    }

    /// For PATCH: absent → `None`, `null` → `Some(None)` (clear), a string
    /// → `Some(Some(text))`.
    pub fn patch_text(
        &mut self,
        name: &str,
        max_chars: usize,
        multiline: bool,
    ) -> Result<Option<Option<String>>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => self
                .check_text(name, s, max_chars, multiline)
                .map(|t| Some(Some(t))),
            Some(_) => Err(self.wrong_type(name, "a string or null")),
        }
    }

    fn check_text(
        &self,
        name: &str,
        s: &str,
        max_chars: usize,
        multiline: bool,
    ) -> Result<String, ApiError> {
        let path = self.path(name);
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(invalid(&path, reason::EMPTY, format!("{path} is empty")));
        }
        if trimmed.chars().count() > max_chars {
            return Err(invalid(
                &path,
                reason::TOO_LONG,
                format!("{path} is longer than {max_chars} characters"),
            ));
        }
        let bad_control = trimmed
            .chars()
            .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')));
        if bad_control {
            return Err(invalid(
                &path,
                reason::INVALID_VALUE,
                format!("{path} contains control characters"),
            ));
        }
        Ok(trimmed.to_owned())
    }

    /// An identifier string checked by `valid`.
    pub fn opt_id(
        &mut self,
        name: &str,
        valid: fn(&str) -> bool,
    ) -> Result<Option<String>, ApiError> {
        match self.raw(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if valid(s) => Ok(Some(s.clone())),
            Some(Value::String(_)) => {
                let path = self.path(name);
                Err(invalid(
                    &path,
                    reason::INVALID_VALUE,
                    format!("{path} is not a valid id"),
                ))
            }
            Some(_) => Err(self.wrong_type(name, "a string")),
        }
    }

    pub fn id(&mut self, name: &str, valid: fn(&str) -> bool) -> Result<String, ApiError> {
        let value = self.opt_id(name, valid)?;
        self.required(name, value)
    }

    /// One of a fixed set of strings, mapped by `parse`.
    pub fn opt_enum<T>(
        &mut self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.raw(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => match parse(s) {
                Some(v) => Ok(Some(v)),
                None => {
                    let path = self.path(name);
                    Err(invalid(
                        &path,
                        reason::INVALID_VALUE,
                        format!("{path} must be one of {allowed}"),
                    ))
                }
            },
            Some(_) => Err(self.wrong_type(name, "a string")),
        }
    }

    /// An integer within `min..=max`.
    pub fn opt_int(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.raw(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                _ => {
                    let path = self.path(name);
                    Err(invalid(
                        &path,
                        reason::OUT_OF_RANGE,
                        format!("{path} must be an integer from {min} to {max}"),
                    ))
                }
            },
            Some(_) => Err(self.wrong_type(name, "an integer")),
        }
    }

    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong_type(name, "true or false")),
        }
    }

    /// An array of at most `max_items` elements.
    pub fn opt_array(
        &mut self,
        name: &str,
        max_items: usize,
    ) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.raw(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) if items.len() <= max_items => Ok(Some(items)),
            Some(Value::Array(_)) => {
                let path = self.path(name);
                Err(invalid(
                    &path,
                    reason::TOO_MANY,
                    format!("{path} has more than {max_items} items"),
                ))
            }
            Some(_) => Err(self.wrong_type(name, "an array")),
        }
    }

    /// Refuses any field not read so far.
    pub fn finish(self) -> Result<(), ApiError> {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.seen.contains(&k.as_str()))
            .collect();
        unknown.sort();
        match unknown.first() {
            None => Ok(()),
            Some(name) => {
                let path = self.path(name);
                Err(invalid(
                    &path,
                    reason::UNKNOWN_FIELD,
                    format!("unknown field {path}"),
                ))
            }
        }
    }
}

/// A flat JSON object whose keys have been checked against an allow-list,
/// read with rules the caller supplies.
#[derive(Debug, Clone)]
pub struct FlatObject {
    map: Map<String, Value>,
}

impl FlatObject {
    /// Parses `body` as a JSON object whose keys are all in `allowed`.
    pub fn parse(body: &[u8], allowed: &[&str]) -> Result<FlatObject, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| invalid("body", reason::MALFORMED_JSON, "the body is not valid JSON"))?;
        let Value::Object(map) = value else {
            return Err(invalid(
                "body",
                reason::WRONG_TYPE,
                "the body must be a JSON object",
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(
                unknown,
                reason::UNKNOWN_FIELD,
                format!("unknown field `{unknown}`"),
            ));
        }
        Ok(FlatObject { map })
    }

    /// A string field; `null` and absence both give `None`. `valid` is the
    /// field's rule, `rule` describes it for the error message.
    pub fn opt_str(
        &self,
        name: &str,
        valid: impl Fn(&str) -> bool,
        rule: &str,
    ) -> Result<Option<String>, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if valid(s) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(
                name,
                reason::INVALID_VALUE,
                format!("`{name}` must be {rule}"),
            )),
        }
    }

    /// A required string field.
    pub fn str(
        &self,
        name: &str,
        valid: impl Fn(&str) -> bool,
        rule: &str,
    ) -> Result<String, ApiError> {
        self.opt_str(name, valid, rule)?
            .ok_or_else(|| invalid(name, reason::REQUIRED, format!("`{name}` is required")))
    }

    /// An optional integer field within `min..=max`.
    pub fn opt_u64_in(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let out_of_range = || {
            invalid(
                name,
                reason::OUT_OF_RANGE,
                format!("`{name}` must be an integer from {min} to {max}"),
            )
        };
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                _ => Err(out_of_range()),
            },
            Some(_) => Err(out_of_range()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn details(err: ApiError) -> (String, String) {
        let d = err.details.unwrap();
        (
            d["field"].as_str().unwrap().to_owned(),
            d["reason"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn reads_and_names_fields() {
        let body = json!({"title": "  Hi  ", "n": 5, "b": true, "list": [{"x": 1}]});
        let map = body.as_object().unwrap();
        let mut f = FieldReader::new(map, "");
        assert_eq!(f.text("title", 10, false).unwrap(), "Hi");
        assert_eq!(f.opt_int("n", 0, 10).unwrap(), Some(5));
        assert_eq!(f.opt_bool("b").unwrap(), Some(true));
        let list = f.opt_array("list", 3).unwrap().unwrap();
        let el = FieldReader::element(&list[0], "list[0]").unwrap();
        assert_eq!(el.path("x"), "list[0].x");
        assert!(f.finish().is_ok());
    }

    #[test]
    fn errors_carry_field_and_reason() {
        let body = json!({"title": "", "n": 11, "s": 3, "extra": 1, "nl": "a\u{7}b"});
        let map = body.as_object().unwrap();
        let mut f = FieldReader::new(map, "p[0]");
        assert_eq!(
            details(f.text("title", 10, false).unwrap_err()),
            ("p[0].title".into(), "empty".into())
        );
        assert_eq!(
            details(f.opt_int("n", 0, 10).unwrap_err()),
            ("p[0].n".into(), "out_of_range".into())
        );
        assert_eq!(
            details(f.opt_text("s", 10, false).unwrap_err()),
            ("p[0].s".into(), "wrong_type".into())
        );
        assert_eq!(
            details(f.opt_text("nl", 10, true).unwrap_err()),
            ("p[0].nl".into(), "invalid_value".into())
        );
        assert_eq!(
            details(f.text("missing", 10, false).unwrap_err()),
            ("p[0].missing".into(), "required".into())
        );
        assert_eq!(
            details(f.finish().unwrap_err()),
            ("p[0].extra".into(), "unknown_field".into())
        );
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(parse_object(b"").unwrap().is_empty());
        assert!(parse_object(b"  \n").unwrap().is_empty());
        assert_eq!(
            details(parse_object(b"[1]").unwrap_err()).1,
            reason::WRONG_TYPE
        );
        assert_eq!(
            details(parse_object(b"{").unwrap_err()).1,
            reason::MALFORMED_JSON
        );
        assert!(expect_empty(b"{}").is_ok());
        assert_eq!(
            details(expect_empty(br#"{"force":true}"#).unwrap_err()).0,
            "force"
        );
    }

    #[test]
    fn patch_text_distinguishes_absent_null_and_value() {
        let body = json!({"a": null, "b": "x"});
        let map = body.as_object().unwrap();
        let mut f = FieldReader::new(map, "");
        assert_eq!(f.patch_text("a", 5, true).unwrap(), Some(None));
        assert_eq!(f.patch_text("b", 5, true).unwrap(), Some(Some("x".into())));
        assert_eq!(f.patch_text("c", 5, true).unwrap(), None);
    }

    fn flat_field_of(err: &ApiError) -> Value {
        err.details.clone().unwrap_or(Value::Null)["field"].clone()
    }

    #[test]
    fn flat_objects_refuse_non_objects_and_unknown_fields() {
        assert!(FlatObject::parse(b"[]", &["a"]).is_err());
        assert!(FlatObject::parse(b"not json", &["a"]).is_err());
        let err = FlatObject::parse(br#"{"a":1,"evil":2}"#, &["a"]).unwrap_err();
        assert_eq!(flat_field_of(&err), "evil");
        assert_eq!(err.details.unwrap()["reason"], reason::UNKNOWN_FIELD);
    }

    #[test]
    fn flat_reads_name_the_field_and_reason() {
        let f =
            FlatObject::parse(br#"{"s":"x","n":5,"bad":7}"#, &["s", "n", "bad", "none"]).unwrap();
        assert_eq!(f.str("s", |_| true, "text").unwrap(), "x");
        assert_eq!(f.opt_str("none", |_| true, "text").unwrap(), None);
        let err = f.str("none", |_| true, "text").unwrap_err();
        assert_eq!(flat_field_of(&err), "none");
        let err = f.opt_str("bad", |_| true, "text").unwrap_err();
        assert_eq!(flat_field_of(&err), "bad");
        let err = f.str("s", |s| s.len() > 3, "long").unwrap_err();
        assert_eq!(flat_field_of(&err), "s");
        assert_eq!(f.opt_u64_in("n", 1, 10).unwrap(), Some(5));
        assert_eq!(flat_field_of(&f.opt_u64_in("n", 6, 10).unwrap_err()), "n");
        assert_eq!(flat_field_of(&f.opt_u64_in("s", 1, 10).unwrap_err()), "s");
    }
}
