//! Preferences as JSON (the `PUT /v1/notifications/preferences` body and the
//! stored row are the same document, read by the same validating parser,
//! N7–N8), the inbox routes' query and page, and the hub frame of one
//! notification (docs/protocol.md "The per-user channel").

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::preferences::{quiet_hours, ChannelPrefs, PrefError, Preferences, QuietHours};
use crate::error::ApiError;
use crate::page;
use crate::validation::{invalid, parse_object, reason};

/// Most per-type entries a user may set.
pub const MAX_KINDS: usize = 64;

fn pref_error(err: PrefError) -> ApiError {
    match err {
        PrefError::UnknownTimeZone(tz) => invalid(
            "quiet_hours.time_zone",
            reason::INVALID_VALUE,
            format!("{tz:?} is not an IANA time zone"),
        ),
        PrefError::BadTime(t) => invalid(
            "quiet_hours",
            reason::INVALID_VALUE,
            format!("{t:?} is not a HH:MM time"),
        ),
        PrefError::EmptyQuietWindow => invalid(
            "quiet_hours",
            reason::INVALID_VALUE,
            "quiet hours must not start and end at the same minute",
        ),
        PrefError::BadHourlyCap(c) => invalid(
            "max_per_hour",
            reason::OUT_OF_RANGE,
            format!("max_per_hour must be 1 to 1000, not {c}"),
        ),
        PrefError::BadKind(k) => invalid(
            "channels",
            reason::INVALID_VALUE,
            format!("{k:?} is not a notification type"),
        ),
    }
}

fn channel(value: &Value, path: &str) -> Result<ChannelPrefs, ApiError> {
    let Value::Object(map) = value else {
        return Err(invalid(
            path,
            reason::WRONG_TYPE,
            format!("{path} must be an object"),
        ));
    };
    let mut prefs = ChannelPrefs::default();
    for (k, v) in map {
        let on = v.as_bool().ok_or_else(|| {
            invalid(
                &format!("{path}.{k}"),
                reason::WRONG_TYPE,
                format!("{path}.{k} must be true or false"),
            )
        })?;
        match k.as_str() {
            "in_app" => prefs.in_app = on,
            "email" => prefs.email = on,
            other => {
                return Err(invalid(
                    &format!("{path}.{other}"),
                    reason::UNKNOWN_FIELD,
                    format!("unknown field {path}.{other}"),
                ))
            }
        }
    }
    Ok(prefs)
}

fn text<'a>(map: &'a Map<String, Value>, name: &str, path: &str) -> Result<&'a str, ApiError> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(
            &format!("{path}.{name}"),
            reason::WRONG_TYPE,
            format!("{path}.{name} must be a string"),
        )),
        None => Err(invalid(
            &format!("{path}.{name}"),
            reason::REQUIRED,
            format!("{path}.{name} is required"),
        )),
    }
}

/// Reads preferences from a JSON object (N7, N8). Every field is optional;
/// absent ones keep the defaults. Unknown fields are refused.
pub fn from_json(map: &Map<String, Value>) -> Result<Preferences, ApiError> {
    let mut prefs = Preferences::default();
    for (key, value) in map {
        match key.as_str() {
            "channels" => {
                let Value::Object(kinds) = value else {
                    return Err(invalid(
                        "channels",
                        reason::WRONG_TYPE,
                        "channels must be an object",
                    ));
                };
                if kinds.len() > MAX_KINDS {
                    return Err(invalid(
                        "channels",
                        reason::TOO_MANY,
                        format!("at most {MAX_KINDS} types"),
                    ));
                }
                for (kind, v) in kinds {
                    let c = channel(v, &format!("channels.{kind}"))?;
                    if kind == "default" {
                        prefs.default = c;
                    } else {
                        prefs.set_kind(kind, c).map_err(pref_error)?;
                    }
                }
            }
            "quiet_hours" => match value {
                Value::Null => prefs.quiet_hours = None,
                Value::Object(q) => {
                    if let Some(extra) = q
                        .keys()
                        .find(|k| !["start", "end", "time_zone"].contains(&k.as_str()))
                    {
                        return Err(invalid(
                            &format!("quiet_hours.{extra}"),
                            reason::UNKNOWN_FIELD,
                            format!("unknown field quiet_hours.{extra}"),
                        ));
                    }
                    let start = text(q, "start", "quiet_hours")?;
                    let end = text(q, "end", "quiet_hours")?;
                    let tz = text(q, "time_zone", "quiet_hours")?;
                    prefs.quiet_hours = Some(quiet_hours(start, end, tz).map_err(pref_error)?);
                }
                _ => {
                    return Err(invalid(
                        "quiet_hours",
                        reason::WRONG_TYPE,
                        "quiet_hours must be an object or null",
                    ))
                }
            },
            "group_similar" => {
                prefs.group_similar = value.as_bool().ok_or_else(|| {
                    invalid(
                        "group_similar",
                        reason::WRONG_TYPE,
                        "group_similar must be true or false",
                    )
                })?;
            }
            "max_per_hour" => {
                let cap = match value {
                    Value::Null => None,
                    v => Some(
                        v.as_u64()
                            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
                            .ok_or_else(|| {
                                invalid(
                                    "max_per_hour",
                                    reason::WRONG_TYPE,
                                    "max_per_hour must be an integer or null",
                                )
                            })?,
                    ),
                };
                prefs.set_max_per_hour(cap).map_err(pref_error)?;
            }
            other => {
                return Err(invalid(
                    other,
                    reason::UNKNOWN_FIELD,
                    format!("unknown field {other}"),
                ))
            }
        }
    }
    Ok(prefs)
}

/// Parses a `PUT` body.
pub fn parse_put(body: &[u8]) -> Result<Preferences, ApiError> {
    from_json(&parse_object(body)?)
}

/// Reads the stored document; a row that no longer parses (a type removed,
/// a zone dropped from the tz database) falls back to the defaults rather
/// than blocking every notification of the user.
pub fn from_stored(text: Option<&str>) -> Preferences {
    text.and_then(|t| serde_json::from_str::<Map<String, Value>>(t).ok())
        .and_then(|m| from_json(&m).ok())
        .unwrap_or_default()
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn quiet_json(q: &QuietHours) -> Value {
    json!({"start": hhmm(q.start_minute), "end": hhmm(q.end_minute), "time_zone": q.time_zone_name})
}

/// The document (what `GET` returns and what is stored).
pub fn to_json(prefs: &Preferences) -> Value {
    let mut channels = Map::new();
    channels.insert(
        "default".into(),
        json!({"in_app": prefs.default.in_app, "email": prefs.default.email}),
    );
    for (kind, c) in &prefs.per_kind {
        channels.insert(kind.clone(), json!({"in_app": c.in_app, "email": c.email}));
    }
    json!({
        "channels": channels,
        "quiet_hours": prefs.quiet_hours.as_ref().map(quiet_json),
        "group_similar": prefs.group_similar,
        "max_per_hour": prefs.max_per_hour,
    })
}

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// A parsed `GET /v1/notifications` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub before: Option<(i64, String)>,
    pub limit: i64,
    pub unread_only: bool,
}

pub fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery {
        before: None,
        limit: DEFAULT_LIMIT,
        unread_only: false,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => q.limit = page::limit(v, MAX_LIMIT)?,
            "cursor" => q.before = Some(page::cursor(v)?),
            "unread" => {
                q.unread_only = match v.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(invalid(
                            "unread",
                            reason::INVALID_VALUE,
                            "unread must be true or false",
                        ))
                    }
                }
            }
            other => return Err(page::unknown(other)),
        }
    }
    Ok(q)
}

/// A row of `NOTIFICATION_INBOX` / `NOTIFICATION_GET`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NotificationRow {
    pub id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub body: Option<String>,
    pub data: String,
    pub read_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl NotificationRow {
    pub fn to_json(&self) -> Value {
        let data: Value = serde_json::from_str(&self.data).unwrap_or_else(|_| json!({}));
        let count = data.get("count").and_then(Value::as_u64).unwrap_or(1);
        json!({
            "id": self.id, "type": self.kind, "category": self.category,
            "priority": self.priority, "meeting_id": self.meeting_id,
            "title": self.title, "body": self.body, "data": data, "count": count,
            "read": self.read_at.is_some(), "read_at": self.read_at,
            "expires_at": self.expires_at, "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// The page, with the cursor of the next one when more follow.
pub fn list_json(rows: &[NotificationRow], q: &ListQuery, unread: i64) -> Value {
    let limit = usize::try_from(q.limit).unwrap_or(0);
    let items: Vec<Value> = rows
        .iter()
        .take(limit)
        .map(NotificationRow::to_json)
        .collect();
    let next = (rows.len() > limit)
        .then(|| {
            rows.get(limit - 1)
                .map(|r| page::encode(r.created_at, &r.id))
        })
        .flatten();
    json!({ "items": items, "next_cursor": next, "unread": unread })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(v: Value) -> Result<Preferences, ApiError> {
        parse_put(v.to_string().as_bytes())
    }

    #[test]
    fn n9_preferences_round_trip_through_their_json() {
        let p = put(json!({
            "channels": {"default": {"in_app": true, "email": true},
                         "participant_left": {"in_app": false, "email": false}},
            "quiet_hours": {"start": "22:00", "end": "07:30", "time_zone": "Europe/Paris"},
            "group_similar": false,
            "max_per_hour": 12
        }))
        .unwrap();
        assert!(p.default.email);
        assert!(!p.channels("participant_left").in_app);
        assert_eq!(p.max_per_hour, Some(12));
        let again = from_stored(Some(&to_json(&p).to_string()));
        assert_eq!(again, p);
        assert_eq!(to_json(&again)["quiet_hours"]["end"], "07:30");
    }

    #[test]
    fn n9_bad_preferences_name_the_field() {
        let field = |v: Value| put(v).unwrap_err().details.unwrap()["field"].clone();
        assert_eq!(
            field(
                json!({"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Base"}})
            ),
            "quiet_hours.time_zone"
        );
        assert_eq!(field(json!({"max_per_hour": 0})), "max_per_hour");
        assert_eq!(field(json!({"max_per_hour": "x"})), "max_per_hour");
        assert_eq!(field(json!({"colour": 1})), "colour");
        assert_eq!(
            field(json!({"channels": {"x": {"sms": true}}})),
            "channels.x.sms"
        );
        assert_eq!(
            field(json!({"quiet_hours": {"start": "22:00"}})),
            "quiet_hours.end"
        );
        // A stored row that no longer parses is the defaults.
        assert_eq!(from_stored(Some("{\"colour\": 1}")), Preferences::default());
        assert_eq!(from_stored(None), Preferences::default());
    }

    #[test]
    fn n9_list_query() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
        };
        let q = parse_list(&pairs(&[("unread", "true"), ("limit", "5")])).unwrap();
        assert!(q.unread_only);
        assert_eq!(q.limit, 5);
        assert!(parse_list(&pairs(&[("unread", "maybe")])).is_err());
        assert!(parse_list(&pairs(&[("limit", "500")])).is_err());
        assert!(parse_list(&pairs(&[("page", "2")])).is_err());
    }
}
