//! Reading a JSON object body field by field, so that every
//! `VALIDATION_ERROR` names the field at fault (`details.field`) and a body
//! with a field we do not know is refused rather than half-understood.
//!
//! Used for our own request bodies; vendor payloads (webhooks) are decoded
//! leniently instead, because vendors add fields without notice.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A JSON object whose keys have been checked against an allow-list.
#[derive(Debug, Clone)]
pub struct Fields {
    map: Map<String, Value>,
}

/// A validation error naming `field`.
pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(message).with_details(serde_json::json!({ "field": field }))
}

impl Fields {
    /// Parses `body` as a JSON object whose keys are all in `allowed`.
    pub fn parse(body: &[u8], allowed: &[&str]) -> Result<Fields, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| {
            ApiError::validation("the body is not valid JSON")
                .with_details(serde_json::json!({ "field": null }))
        })?;
        let Value::Object(map) = value else {
            return Err(ApiError::validation("the body must be a JSON object")
                .with_details(serde_json::json!({ "field": null })));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(unknown, format!("unknown field `{unknown}`")));
        }
        Ok(Fields { map })
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
            Some(_) => Err(invalid(name, format!("`{name}` must be {rule}"))),
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
            .ok_or_else(|| invalid(name, format!("`{name}` is required")))
    }

    /// An optional integer field within `min..=max`.
    pub fn opt_u64_in(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                _ => Err(invalid(
                    name,
                    format!("`{name}` must be an integer from {min} to {max}"),
                )),
            },
            Some(_) => Err(invalid(
                name,
                format!("`{name}` must be an integer from {min} to {max}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: &ApiError) -> Value {
        err.details.clone().unwrap_or(Value::Null)["field"].clone()
    }

    #[test]
    fn refuses_non_objects_and_unknown_fields() {
        assert!(Fields::parse(b"[]", &["a"]).is_err());
        assert!(Fields::parse(b"not json", &["a"]).is_err());
        let err = Fields::parse(br#"{"a":1,"evil":2}"#, &["a"]).unwrap_err();
        assert_eq!(field_of(&err), "evil");
    }

    #[test]
    fn typed_reads_name_the_field() {
        let f = Fields::parse(br#"{"s":"x","n":5,"bad":7}"#, &["s", "n", "bad", "none"]).unwrap();
        assert_eq!(f.str("s", |_| true, "text").unwrap(), "x");
        assert_eq!(f.opt_str("none", |_| true, "text").unwrap(), None);
        let err = f.str("none", |_| true, "text").unwrap_err();
        assert_eq!(field_of(&err), "none");
        let err = f.opt_str("bad", |_| true, "text").unwrap_err();
        assert_eq!(field_of(&err), "bad");
        let err = f.str("s", |s| s.len() > 3, "long").unwrap_err();
        assert_eq!(field_of(&err), "s");
        assert_eq!(f.opt_u64_in("n", 1, 10).unwrap(), Some(5));
        assert_eq!(field_of(&f.opt_u64_in("n", 6, 10).unwrap_err()), "n");
        assert_eq!(field_of(&f.opt_u64_in("s", 1, 10).unwrap_err()), "s");
    }
}
