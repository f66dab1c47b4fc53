//! Connection requests between two members (issue 12 part 1, rules M17 and
//! M18), over the `connections` table: one row per unordered pair.
//!
//! ```text
//! (none) ──request──▶ pending ──accept (addressee)──▶ accepted ──remove (either)──▶ (none)
//!                       │  ├──decline (addressee)──▶ declined ──request again later──▶ pending
//!                       │  └──withdraw (requester)──▶ (none)
//! any state, or none ──block (either)──▶ blocked ──unblock (the blocker)──▶ (none)
//! ```
//!
//! `withdrawn` and `removed` are not stored: the row is deleted, so the
//! pair can start over. Every function here decides from the existing row
//! (the shell reads it by the pair index) and returns a
//! [`ConnectionEffect`] for the shell to apply with a guarded write
//! (`… WHERE id = ? AND status = <read status>`), or a [`ConnectionError`]
//! with a stable code. A blocked pair is never matched ([`blocks_matching`]).

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// `connections.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Pending,
    Accepted,
    Declined,
    Blocked,
}

impl ConnectionStatus {
    pub const ALL: [ConnectionStatus; 4] = [
        ConnectionStatus::Pending,
        ConnectionStatus::Accepted,
        ConnectionStatus::Declined,
        ConnectionStatus::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Accepted => "accepted",
            ConnectionStatus::Declined => "declined",
            ConnectionStatus::Blocked => "blocked",
        }
    }

    pub fn parse(text: &str) -> Option<ConnectionStatus> {
        ConnectionStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The parts of a `connections` row the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRow {
    pub requester_id: String,
    pub addressee_id: String,
    pub status: ConnectionStatus,
    pub blocked_by: Option<String>,
    pub responded_at: Option<i64>,
}

impl ConnectionRow {
    fn involves(&self, user: &str) -> bool {
        self.requester_id == user || self.addressee_id == user
    }

    fn other(&self, user: &str) -> &str {
        if self.requester_id == user {
            &self.addressee_id
        } else {
            &self.requester_id
        }
    }
}

/// A move on an existing connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionAction {
    Accept,
    Decline,
    Withdraw,
    Remove,
    Unblock,
}

impl ConnectionAction {
    pub const ALL: [ConnectionAction; 5] = [
        ConnectionAction::Accept,
        ConnectionAction::Decline,
        ConnectionAction::Withdraw,
        ConnectionAction::Remove,
        ConnectionAction::Unblock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionAction::Accept => "accept",
            ConnectionAction::Decline => "decline",
            ConnectionAction::Withdraw => "withdraw",
            ConnectionAction::Remove => "remove",
            ConnectionAction::Unblock => "unblock",
        }
    }
}

/// What the shell writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum ConnectionEffect {
    /// A new row.
    Insert {
        requester_id: String,
        addressee_id: String,
        status: ConnectionStatus,
        blocked_by: Option<String>,
    },
    /// Rewrite the existing row (roles may swap on a renewed request).
    Update {
        requester_id: String,
        addressee_id: String,
        status: ConnectionStatus,
        blocked_by: Option<String>,
        responded_at: Option<i64>,
    },
    /// Delete the existing row (withdrawn, removed, unblocked).
    Delete,
}

/// Why a connection move is refused. `code()` is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    #[error("you cannot connect with yourself")]
    SelfRequest,
    #[error("the message is longer than {max_chars} characters")]
    MessageTooLong { max_chars: usize },
    #[error("you already asked to connect")]
    DuplicateRequest,
    #[error("they already asked to connect with you; accept their request")]
    RequestPendingFromPeer,
    #[error("you are already connected")]
    AlreadyConnected,
    #[error("your request was declined; you can ask again after {until}")]
    DeclinedRecently { until: i64 },
    #[error("you cannot connect with this member")]
    Blocked,
    #[error("no such connection")]
    NotFound,
    #[error("only the {party} can {} a request", .action.as_str())]
    WrongParty {
        action: ConnectionAction,
        party: &'static str,
    },
    #[error("cannot {} a connection that is {}", .action.as_str(), .status.as_str())]
    IllegalTransition {
        action: ConnectionAction,
        status: ConnectionStatus,
    },
}

impl ConnectionError {
    /// The stable `details.reason`.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectionError::SelfRequest => "SELF_REQUEST",
            ConnectionError::MessageTooLong { .. } => "MESSAGE_TOO_LONG",
            ConnectionError::DuplicateRequest => "DUPLICATE_REQUEST",
            ConnectionError::RequestPendingFromPeer => "REQUEST_PENDING_FROM_PEER",
            ConnectionError::AlreadyConnected => "ALREADY_CONNECTED",
            ConnectionError::DeclinedRecently { .. } => "DECLINED_RECENTLY",
            ConnectionError::Blocked => "BLOCKED",
            ConnectionError::NotFound => "NOT_FOUND",
            ConnectionError::WrongParty { .. } => "WRONG_PARTY",
            ConnectionError::IllegalTransition { .. } => "ILLEGAL_TRANSITION",
        }
    }

    /// The API error class.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            ConnectionError::SelfRequest | ConnectionError::MessageTooLong { .. } => {
                ErrorCode::ValidationError
            }
            ConnectionError::Blocked | ConnectionError::WrongParty { .. } => ErrorCode::Forbidden,
            ConnectionError::NotFound => ErrorCode::NotFound,
            ConnectionError::DuplicateRequest
            | ConnectionError::RequestPendingFromPeer
            | ConnectionError::AlreadyConnected
            | ConnectionError::DeclinedRecently { .. }
            | ConnectionError::IllegalTransition { .. } => ErrorCode::Conflict,
        }
    }
}

impl From<ConnectionError> for ApiError {
    fn from(err: ConnectionError) -> Self {
        let mut details = serde_json::json!({ "reason": err.code() });
        match &err {
            ConnectionError::SelfRequest => details["field"] = "user_id".into(),
            ConnectionError::MessageTooLong { .. } => details["field"] = "message".into(),
            _ => {}
        }
        ApiError::new(err.error_code(), err.to_string()).with_details(details)
    }
}

/// Configuration of the request rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionPolicy {
    /// After a decline, the same requester may ask again after this long.
    pub rerequest_after_ms: i64,
    pub max_message_chars: usize,
}

impl Default for ConnectionPolicy {
    fn default() -> Self {
        ConnectionPolicy {
            rerequest_after_ms: 30 * 24 * 60 * 60 * 1000,
            max_message_chars: 500,
        }
    }
}

/// Rule M18: `actor` asks to connect with `target`, given the pair's
/// existing row (either direction) and an optional note.
pub fn request_connection(
    actor: &str,
    target: &str,
    message: Option<&str>,
    existing: Option<&ConnectionRow>,
    policy: &ConnectionPolicy,
    now_ms: i64,
) -> Result<ConnectionEffect, ConnectionError> {
    if actor == target {
        return Err(ConnectionError::SelfRequest);
    }
    if message.is_some_and(|m| m.chars().count() > policy.max_message_chars) {
        return Err(ConnectionError::MessageTooLong {
            max_chars: policy.max_message_chars,
        });
    }
    let pending = |requester: &str, addressee: &str| ConnectionEffect::Update {
        requester_id: requester.to_owned(),
        addressee_id: addressee.to_owned(),
        status: ConnectionStatus::Pending,
        blocked_by: None,
        responded_at: None,
    };
    let Some(row) = existing else {
        return Ok(ConnectionEffect::Insert {
            requester_id: actor.to_owned(),
            addressee_id: target.to_owned(),
            status: ConnectionStatus::Pending,
            blocked_by: None,
        });
    };
    if !(row.involves(actor) && row.other(actor) == target) {
        // The shell read the wrong row: refuse rather than overwrite.
        return Err(ConnectionError::NotFound);
    }
    match row.status {
        ConnectionStatus::Blocked => Err(ConnectionError::Blocked),
        ConnectionStatus::Accepted => Err(ConnectionError::AlreadyConnected),
        ConnectionStatus::Pending if row.requester_id == actor => {
            Err(ConnectionError::DuplicateRequest)
        }
        ConnectionStatus::Pending => Err(ConnectionError::RequestPendingFromPeer),
        // The one who declined changes their mind: a fresh request their way.
        ConnectionStatus::Declined if row.addressee_id == actor => Ok(pending(actor, target)),
        ConnectionStatus::Declined => {
            let until = row
                .responded_at
                .unwrap_or(i64::MIN)
                .saturating_add(policy.rerequest_after_ms);
            if now_ms < until {
                Err(ConnectionError::DeclinedRecently { until })
            } else {
                Ok(pending(actor, target))
            }
        }
    }
}

/// Rule M17: `actor` applies `action` to the pair's row at `now_ms`.
pub fn act_on_connection(
    actor: &str,
    row: &ConnectionRow,
    action: ConnectionAction,
    now_ms: i64,
) -> Result<ConnectionEffect, ConnectionError> {
    use ConnectionAction as A;
    use ConnectionStatus as S;
    if !row.involves(actor) {
        return Err(ConnectionError::NotFound);
    }
    let is_addressee = row.addressee_id == actor;
    let respond = |status| ConnectionEffect::Update {
        requester_id: row.requester_id.clone(),
        addressee_id: row.addressee_id.clone(),
        status,
        blocked_by: None,
        responded_at: Some(now_ms),
    };
    let wrong = |party| Err(ConnectionError::WrongParty { action, party });
    match (row.status, action) {
        (S::Pending, A::Accept) if is_addressee => Ok(respond(S::Accepted)),
        (S::Pending, A::Decline) if is_addressee => Ok(respond(S::Declined)),
        (S::Pending, A::Accept | A::Decline) => wrong("addressee"),
        (S::Pending, A::Withdraw) if !is_addressee => Ok(ConnectionEffect::Delete),
        (S::Pending, A::Withdraw) => wrong("requester"),
        (S::Accepted, A::Remove) => Ok(ConnectionEffect::Delete),
        (S::Blocked, A::Unblock) if row.blocked_by.as_deref() == Some(actor) => {
            Ok(ConnectionEffect::Delete)
        }
        (S::Blocked, _) => Err(ConnectionError::Blocked),
        (status, action) => Err(ConnectionError::IllegalTransition { action, status }),
    }
}

/// Rule M17: `actor` blocks `target`, whatever the pair's row says (a
/// stranger can be blocked too). Blocking twice is refused; a block by the
/// other side stands (the pair is blocked either way).
pub fn block(
    actor: &str,
    target: &str,
    existing: Option<&ConnectionRow>,
) -> Result<ConnectionEffect, ConnectionError> {
    if actor == target {
        return Err(ConnectionError::SelfRequest);
    }
    match existing {
        None => Ok(ConnectionEffect::Insert {
            requester_id: actor.to_owned(),
            addressee_id: target.to_owned(),
            status: ConnectionStatus::Blocked,
            blocked_by: Some(actor.to_owned()),
        }),
        Some(row) if !(row.involves(actor) && row.other(actor) == target) => {
            Err(ConnectionError::NotFound)
        }
        Some(row) if row.status == ConnectionStatus::Blocked => Err(ConnectionError::Blocked),
        Some(row) => Ok(ConnectionEffect::Update {
            requester_id: row.requester_id.clone(),
            addressee_id: row.addressee_id.clone(),
            status: ConnectionStatus::Blocked,
            blocked_by: Some(actor.to_owned()),
            responded_at: row.responded_at,
        }),
    }
}

/// Rule M8/M17: a pair with a blocked row is never proposed by matching.
pub fn blocks_matching(row: Option<&ConnectionRow>) -> bool {
    row.is_some_and(|r| r.status == ConnectionStatus::Blocked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn row(status: ConnectionStatus) -> ConnectionRow {
        ConnectionRow {
            requester_id: "ann".into(),
            addressee_id: "bob".into(),
            status,
            blocked_by: (status == ConnectionStatus::Blocked).then(|| "bob".to_owned()),
            responded_at: Some(NOW),
        }
    }

    fn req(
        actor: &str,
        target: &str,
        existing: Option<&ConnectionRow>,
        now: i64,
    ) -> Result<ConnectionEffect, ConnectionError> {
        request_connection(
            actor,
            target,
            None,
            existing,
            &ConnectionPolicy::default(),
            now,
        )
    }

    #[test]
    fn m18_self_requests_are_refused() {
        let err = req("ann", "ann", None, NOW).unwrap_err();
        assert_eq!(err.code(), "SELF_REQUEST");
        assert_eq!(ApiError::from(err).status(), 400);
        assert_eq!(
            block("ann", "ann", None).unwrap_err(),
            ConnectionError::SelfRequest
        );
    }

    #[test]
    fn m18_first_request_inserts_a_pending_row() {
        assert_eq!(
            req("ann", "bob", None, NOW).unwrap(),
            ConnectionEffect::Insert {
                requester_id: "ann".into(),
                addressee_id: "bob".into(),
                status: ConnectionStatus::Pending,
                blocked_by: None,
            }
        );
        let long = "x".repeat(501);
        let err = request_connection(
            "ann",
            "bob",
            Some(&long),
            None,
            &ConnectionPolicy::default(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err.code(), "MESSAGE_TOO_LONG");
    }

    #[test]
    fn m18_duplicates_are_refused_given_the_existing_row() {
        use ConnectionStatus as S;
        let cases = [
            ("ann", "bob", S::Pending, "DUPLICATE_REQUEST", 409),
            ("bob", "ann", S::Pending, "REQUEST_PENDING_FROM_PEER", 409),
            ("ann", "bob", S::Accepted, "ALREADY_CONNECTED", 409),
            ("bob", "ann", S::Accepted, "ALREADY_CONNECTED", 409),
            ("ann", "bob", S::Declined, "DECLINED_RECENTLY", 409),
            ("ann", "bob", S::Blocked, "BLOCKED", 403),
            ("bob", "ann", S::Blocked, "BLOCKED", 403),
        ];
        for (actor, target, status, code, http) in cases {
            let existing = row(status);
            let err = req(actor, target, Some(&existing), NOW + 1).unwrap_err();
            assert_eq!(err.code(), code, "{actor} {status:?}");
            let api = ApiError::from(err);
            assert_eq!(api.status(), http);
            assert_eq!(api.details.unwrap()["reason"], code);
        }
        // A row of another pair is never overwritten.
        assert_eq!(
            req("ann", "cy", Some(&row(S::Pending)), NOW).unwrap_err(),
            ConnectionError::NotFound
        );
    }

    #[test]
    fn m18_declined_request_may_be_renewed_after_the_window_or_by_the_decliner() {
        let declined = row(ConnectionStatus::Declined);
        let window = ConnectionPolicy::default().rerequest_after_ms;
        assert_eq!(
            req("ann", "bob", Some(&declined), NOW + window - 1).unwrap_err(),
            ConnectionError::DeclinedRecently {
                until: NOW + window
            }
        );
        let renewed = req("ann", "bob", Some(&declined), NOW + window).unwrap();
        assert!(
            matches!(renewed, ConnectionEffect::Update { status: ConnectionStatus::Pending, ref requester_id, .. } if requester_id == "ann")
        );
        // Bob, who declined, may ask Ann at once; the roles swap.
        let swapped = req("bob", "ann", Some(&declined), NOW + 1).unwrap();
        assert_eq!(
            swapped,
            ConnectionEffect::Update {
                requester_id: "bob".into(),
                addressee_id: "ann".into(),
                status: ConnectionStatus::Pending,
                blocked_by: None,
                responded_at: None,
            }
        );
    }

    #[test]
    fn m17_state_machine_allows_exactly_the_documented_moves() {
        use ConnectionAction as A;
        use ConnectionStatus as S;
        // (status, action, actor) → Some(new status) | None for delete.
        let legal: [(S, A, &str, Option<S>); 6] = [
            (S::Pending, A::Accept, "bob", Some(S::Accepted)),
            (S::Pending, A::Decline, "bob", Some(S::Declined)),
            (S::Pending, A::Withdraw, "ann", None),
            (S::Accepted, A::Remove, "ann", None),
            (S::Accepted, A::Remove, "bob", None),
            (S::Blocked, A::Unblock, "bob", None),
        ];
        for status in ConnectionStatus::ALL {
            for action in ConnectionAction::ALL {
                for actor in ["ann", "bob", "cy"] {
                    let got = act_on_connection(actor, &row(status), action, NOW + 5);
                    let want = legal
                        .iter()
                        .find(|(s, a, who, _)| *s == status && *a == action && *who == actor);
                    match (got, want) {
                        (Ok(ConnectionEffect::Delete), Some((_, _, _, None))) => {}
                        (
                            Ok(ConnectionEffect::Update {
                                status: new,
                                responded_at,
                                ..
                            }),
                            Some((_, _, _, Some(to))),
                        ) => {
                            assert_eq!(new, *to);
                            assert_eq!(responded_at, Some(NOW + 5));
                        }
                        (Err(err), None) => {
                            let expected = if actor == "cy" {
                                "NOT_FOUND"
                            } else if status == S::Blocked {
                                "BLOCKED"
                            } else if status == S::Pending
                                && matches!(action, A::Accept | A::Decline | A::Withdraw)
                            {
                                "WRONG_PARTY"
                            } else {
                                "ILLEGAL_TRANSITION"
                            };
                            assert_eq!(err.code(), expected, "{status:?} {action:?} {actor}");
                        }
                        (got, want) => panic!("{status:?} {action:?} {actor}: {got:?} vs {want:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn m17_blocking_works_from_any_state_and_stops_matching() {
        assert!(!blocks_matching(None));
        let effect = block("ann", "cy", None).unwrap();
        assert!(
            matches!(effect, ConnectionEffect::Insert { status: ConnectionStatus::Blocked, ref blocked_by, .. } if blocked_by.as_deref() == Some("ann"))
        );
        for status in [
            ConnectionStatus::Pending,
            ConnectionStatus::Accepted,
            ConnectionStatus::Declined,
        ] {
            let effect = block("ann", "bob", Some(&row(status))).unwrap();
            assert!(
                matches!(effect, ConnectionEffect::Update { status: ConnectionStatus::Blocked, ref blocked_by, .. } if blocked_by.as_deref() == Some("ann"))
            );
            assert!(!blocks_matching(Some(&row(status))));
        }
        let blocked = row(ConnectionStatus::Blocked);
        assert!(blocks_matching(Some(&blocked)));
        assert_eq!(
            block("ann", "bob", Some(&blocked)).unwrap_err().code(),
            "BLOCKED"
        );
        // Only the blocker can unblock.
        assert_eq!(
            act_on_connection("ann", &blocked, ConnectionAction::Unblock, NOW)
                .unwrap_err()
                .code(),
            "BLOCKED"
        );
        assert_eq!(
            act_on_connection("bob", &blocked, ConnectionAction::Unblock, NOW).unwrap(),
            ConnectionEffect::Delete
        );
    }

    #[test]
    fn statuses_round_trip_their_column_values() {
        for s in ConnectionStatus::ALL {
            assert_eq!(ConnectionStatus::parse(s.as_str()), Some(s));
        }
        let json = serde_json::to_value(ConnectionEffect::Delete).unwrap();
        assert_eq!(json["effect"], "delete");
    }
}
