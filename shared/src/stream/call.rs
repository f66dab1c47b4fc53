//! Creating a meeting's Stream call (docs/vendors.md "Creating a call"): the
//! request we send, and what its answer means for the provisioning job.
//!
//! ```text
//! POST {base}/api/v2/video/call/{type}/{id}?api_key={key}
//! Authorization: <server JWT>      stream-auth-type: jwt
//! {"data": {"created_by_id", "members": [{"user_id", "role"}], "custom", "starts_at"}}
//! ```
//!
//! The call is get-or-create, and its id is the meeting id, so every attempt
//! of every job for a meeting converges on the same call.

use serde::Serialize;
use serde_json::Value;

use crate::acl::MeetingRole;

/// Stream's call-level role for a meeting role. Stream's built-in call roles
/// are used, so no dashboard setup is needed: hosts and cohosts moderate
/// (`host`), everyone else is a `call_member`. Observers' read-only status is
/// enforced by our room; a stricter Stream role would need a custom role
/// configured on the call type.
pub fn call_role(role: MeetingRole) -> &'static str {
    match role {
        MeetingRole::Host | MeetingRole::Cohost => "host",
        MeetingRole::Participant | MeetingRole::Observer => "call_member",
    }
}

/// One member of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallMember {
    pub user_id: String,
    pub role: &'static str,
}

#[derive(Serialize)]
struct CallData<'a> {
    created_by_id: &'a str,
    members: &'a [CallMember],
    custom: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    starts_at: Option<&'a str>,
}

#[derive(Serialize)]
struct Body<'a> {
    data: CallData<'a>,
}

/// Everything that goes into the create-call request.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCall {
    pub call_type: String,
    pub call_id: String,
    pub created_by_id: String,
    pub members: Vec<CallMember>,
    pub custom: Value,
    /// RFC 3339.
    pub starts_at: Option<String>,
}

impl CreateCall {
    pub fn cid(&self) -> String {
        format!("{}:{}", self.call_type, self.call_id)
    }

    /// The request URL. The type and id are our own validated ids (no
    /// escaping needed); the API key is percent-encoded all the same.
    pub fn url(&self, api_base: &str, api_key: &str) -> String {
        format!(
            "{}/api/v2/video/call/{}/{}?api_key={}",
            api_base.trim_end_matches('/'),
            self.call_type,
            self.call_id,
            percent_encode(api_key)
        )
    }

    /// The JSON body, fields in the order the contract shows them.
    pub fn body(&self) -> String {
        let body = Body {
            data: CallData {
                created_by_id: &self.created_by_id,
                members: &self.members,
                custom: &self.custom,
                starts_at: self.starts_at.as_deref(),
            },
        };
        // Serialising plain strings and a Value cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What went wrong at the provider, as stored in `meetings.provisioning_error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderError {
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Stream's error `code`, when its body had one.
    pub code: Option<i64>,
    pub message: String,
}

impl ProviderError {
    pub fn transport(message: impl Into<String>) -> ProviderError {
        ProviderError {
            status: None,
            code: None,
            message: message.into(),
        }
    }

    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The provisioning job's reading of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// 2xx: the call exists (`created` is false when it already did).
    Ready { created: Option<bool> },
    /// Worth retrying: 408, 429, 5xx, no answer, a timeout.
    Transient(ProviderError),
    /// Retrying the same request cannot help: any other 4xx.
    Permanent(ProviderError),
}

/// Longest provider message we keep.
const MAX_MESSAGE_CHARS: usize = 500;

/// Classifies Stream's answer to the create-call request.
pub fn classify(status: u16, body: &[u8]) -> CallOutcome {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        let created = json
            .as_ref()
            .and_then(|v| v.get("created"))
            .and_then(Value::as_bool);
        return CallOutcome::Ready { created };
    }
    let code = json
        .as_ref()
        .and_then(|v| v.get("code"))
        .and_then(Value::as_i64);
    let message = json
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let error = ProviderError {
        status: Some(status),
        code,
        message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
    };
    if status == 408 || status == 429 || status >= 500 {
        CallOutcome::Transient(error)
    } else {
        CallOutcome::Permanent(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call() -> CreateCall {
        CreateCall {
            call_type: "default".into(),
            call_id: "mtg_1".into(),
            created_by_id: "user_h".into(),
            members: vec![
                CallMember {
                    user_id: "user_h".into(),
                    role: call_role(MeetingRole::Host),
                },
                CallMember {
                    user_id: "user_p".into(),
                    role: call_role(MeetingRole::Participant),
                },
            ],
            custom: json!({"meeting_id": "mtg_1"}),
            starts_at: Some("2024-10-16T04:15:01.911Z".into()),
        }
    }

    #[test]
    fn wire_format() {
        let c = call();
        assert_eq!(c.cid(), "default:mtg_1");
        assert_eq!(
            c.url("https://video.stream-io-api.com/", "k y"),
            "https://video.stream-io-api.com/api/v2/video/call/default/mtg_1?api_key=k%20y"
        );
        assert_eq!(
            c.body(),
            r#"{"data":{"created_by_id":"user_h","members":[{"user_id":"user_h","role":"host"},{"user_id":"user_p","role":"call_member"}],"custom":{"meeting_id":"mtg_1"},"starts_at":"2024-10-16T04:15:01.911Z"}}"#
        );
        let mut no_start = call();
        no_start.starts_at = None;
        assert!(!no_start.body().contains("starts_at"));
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(
            classify(201, br#"{"created":true,"call":{}}"#),
            CallOutcome::Ready {
                created: Some(true)
            }
        );
        assert_eq!(classify(200, b""), CallOutcome::Ready { created: None });
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(status, b"oops"), CallOutcome::Transient(_)),
                "{status}"
            );
        }
        match classify(
            400,
            br#"{"code":4,"message":"bad members","StatusCode":400}"#,
        ) {
            CallOutcome::Permanent(e) => {
                assert_eq!(e.status, Some(400));
                assert_eq!(e.code, Some(4));
                assert_eq!(e.message, "bad members");
                let stored: Value = serde_json::from_str(&e.to_json_text()).unwrap();
                assert_eq!(stored["code"], 4);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(classify(401, b""), CallOutcome::Permanent(e) if e.message == "HTTP 401"));
    }
}
