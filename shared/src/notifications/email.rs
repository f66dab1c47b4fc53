//! Email delivery, the pure part (N5): the message, the wire format of the
//! production provider (Resend's REST API: `POST {base}/emails` with a
//! bearer key and an `Idempotency-Key` header; docs/vendors.md style), and
//! what to do with its answer. The worker's `notifications::email` holds
//! the `EmailProvider` trait, the HTTP provider and the local outbox.

use serde::Deserialize;
use serde_json::{json, Value};

/// One email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The notification id: the idempotency key, end to end.
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
}

/// Resend's `POST /emails` body.
pub fn resend_body(m: &Message<'_>) -> Value {
    json!({ "from": m.from, "to": [m.to], "subject": m.subject, "text": m.text })
}

/// The `Idempotency-Key` header: Resend answers a repeat within 24 hours
/// with the first result instead of sending again, so a crash between the
/// provider's success and our `sent` mark cannot send twice.
pub fn idempotency_key(m: &Message<'_>) -> String {
    format!("notification/{}", m.id)
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted, with the provider's message id.
    Sent(String),
    /// Worth retrying (rate limit, 5xx, transport).
    Retry(String),
    /// Never going to work (bad address, bad key): dead-lettered at once.
    Permanent(String),
}

#[derive(Deserialize)]
struct Accepted {
    id: String,
}

/// Classifies Resend's answer.
pub fn resend_outcome(status: u16, body: &str) -> Outcome {
    match status {
        200..=299 => match serde_json::from_str::<Accepted>(body) {
            Ok(a) => Outcome::Sent(a.id),
            Err(_) => Outcome::Retry(format!("unreadable success body: {body:.200}")),
        },
        409 | 429 | 500..=599 => Outcome::Retry(format!("provider answered {status}")),
        _ => Outcome::Permanent(format!("provider answered {status}: {body:.200}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n5_resend_wire_format_and_outcomes() {
        let m = Message {
            id: "ntf_1",
            from: "Connvo <n@connvo.test>",
            to: "a@example.com",
            subject: "Hi",
            text: "Body",
        };
        assert_eq!(
            resend_body(&m),
            json!({"from": "Connvo <n@connvo.test>", "to": ["a@example.com"], "subject": "Hi", "text": "Body"})
        );
        assert_eq!(idempotency_key(&m), "notification/ntf_1");
        assert_eq!(
            resend_outcome(200, r#"{"id":"re_1"}"#),
            Outcome::Sent("re_1".into())
        );
        assert!(matches!(resend_outcome(429, ""), Outcome::Retry(_)));
        assert!(matches!(resend_outcome(503, ""), Outcome::Retry(_)));
        assert!(matches!(resend_outcome(422, "{}"), Outcome::Permanent(_)));
        assert!(matches!(resend_outcome(200, "nope"), Outcome::Retry(_)));
    }
}
