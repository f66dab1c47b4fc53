//! The matching queue (rules M12–M14): validating a
//! request to enter, the life of one queue entry, and the shard a user's
//! entries belong to.
//!
//! ```text
//! waiting ──propose──▶ proposed ──accept──▶ accepted
//!    │                    │  │                 │
//!    │                    │  └─decline──▶ declined
//!    │                    │                    │
//!    ├──expire──▶ expired ◀──expire────────────┤
//!    └──cancel──▶ cancelled ◀──cancel──────────┘
//!         ▲           (proposed and accepted may also be cancelled)
//!    waiting ◀──requeue── proposed | accepted   (the peer declined, left or let it expire)
//! ```
//!
//! `declined`, `expired` and `cancelled` are final; `accepted` is final
//! once the peer accepts too ([`resolve_proposal`]: the pair is matched and
//! a meeting is scheduled). A legal move is applied by the shell with a
//! guarded update (`… WHERE id = ? AND status = <from> AND version = ?`),
//! so of two racing moves one wins and the other finds no row.
//!
//! Schema note: `matching_queue.status` in migration 0004 allows `waiting`,
//! `matched`, `expired`, `cancelled`; this machine needs `proposed`,
//! `accepted` and `declined` too (a migration for the shell to add).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::hashing::stable_hash;
use super::scoring::{Constraints, OrgConstraint};
use crate::error::{ApiError, ErrorCode};
use crate::validation::{invalid, parse_object, FieldReader};

/// The status of one queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    Waiting,
    Proposed,
    Accepted,
    Declined,
    Expired,
    Cancelled,
}

impl QueueStatus {
    pub const ALL: [QueueStatus; 6] = [
        QueueStatus::Waiting,
        QueueStatus::Proposed,
        QueueStatus::Accepted,
        QueueStatus::Declined,
        QueueStatus::Expired,
        QueueStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueStatus::Waiting => "waiting",
            QueueStatus::Proposed => "proposed",
            QueueStatus::Accepted => "accepted",
            QueueStatus::Declined => "declined",
            QueueStatus::Expired => "expired",
            QueueStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<QueueStatus> {
        QueueStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No move leaves this status.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            QueueStatus::Declined | QueueStatus::Expired | QueueStatus::Cancelled
        )
    }

    /// The entry still holds the user's place in the queue (one at a time).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            QueueStatus::Waiting | QueueStatus::Proposed | QueueStatus::Accepted
        )
    }
}

/// A move of one queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueEvent {
    /// A cycle paired this entry with another.
    Propose,
    /// The user accepted the proposal.
    Accept,
    /// The user declined the proposal.
    Decline,
    /// The window closed, or the proposal went unanswered.
    Expire,
    /// The user left the queue.
    Cancel,
    /// The peer declined, left or let the proposal expire: wait again.
    Requeue,
}

impl QueueEvent {
    pub const ALL: [QueueEvent; 6] = [
        QueueEvent::Propose,
        QueueEvent::Accept,
        QueueEvent::Decline,
        QueueEvent::Expire,
        QueueEvent::Cancel,
        QueueEvent::Requeue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueEvent::Propose => "propose",
            QueueEvent::Accept => "accept",
            QueueEvent::Decline => "decline",
            QueueEvent::Expire => "expire",
            QueueEvent::Cancel => "cancel",
            QueueEvent::Requeue => "requeue",
        }
    }
}

/// A move the entry's status does not allow: 409 `CONFLICT`,
/// `details.reason = "ILLEGAL_TRANSITION"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a queue entry that is {}", .event.as_str(), .from.as_str())]
pub struct IllegalQueueTransition {
    pub from: QueueStatus,
    pub event: QueueEvent,
}

impl IllegalQueueTransition {
    pub fn code(&self) -> &'static str {
        "ILLEGAL_TRANSITION"
    }
}

impl From<IllegalQueueTransition> for ApiError {
    fn from(err: IllegalQueueTransition) -> Self {
        ApiError::new(ErrorCode::Conflict, err.to_string()).with_details(serde_json::json!({
            "reason": err.code(),
            "state": err.from.as_str(),
            "transition": err.event.as_str(),
        }))
    }
}

/// Rule M13: the status `event` leads to from `from`, if legal.
pub fn next_status(
    from: QueueStatus,
    event: QueueEvent,
) -> Result<QueueStatus, IllegalQueueTransition> {
    use QueueEvent as E;
    use QueueStatus as S;
    match (from, event) {
        (S::Waiting, E::Propose) => Ok(S::Proposed),
        (S::Proposed, E::Accept) => Ok(S::Accepted),
        (S::Proposed, E::Decline) => Ok(S::Declined),
        (S::Waiting | S::Proposed | S::Accepted, E::Expire) => Ok(S::Expired),
        (S::Waiting | S::Proposed | S::Accepted, E::Cancel) => Ok(S::Cancelled),
        (S::Proposed | S::Accepted, E::Requeue) => Ok(S::Waiting),
        _ => Err(IllegalQueueTransition { from, event }),
    }
}

/// How a proposal stands, from both entries' statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalOutcome {
    /// Waiting for one or both answers.
    Pending,
    /// Both accepted: schedule the meeting.
    Matched,
    /// One declined (feedback and the cooldown apply).
    Declined,
    /// One left the queue (no feedback).
    Cancelled,
    /// The deadline passed without both answers.
    Expired,
}

/// What to do with a proposal now: its outcome and the moves to apply to
/// each side's entry (`None`: leave it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProposalResolution {
    pub outcome: ProposalOutcome,
    pub a: Option<QueueEvent>,
    pub b: Option<QueueEvent>,
}

/// Rule M13: resolves a proposal from its two entries' statuses at `now_ms`
/// with answers due by `respond_by_ms`. The side that said yes (or had not
/// answered) to a proposal that fell through is requeued; a side that let
/// it expire unanswered leaves the queue.
pub fn resolve_proposal(
    a: QueueStatus,
    b: QueueStatus,
    respond_by_ms: i64,
    now_ms: i64,
) -> ProposalResolution {
    use QueueStatus as S;
    let requeue =
        |s: QueueStatus| matches!(s, S::Proposed | S::Accepted).then_some(QueueEvent::Requeue);
    let resolution = |outcome, a, b| ProposalResolution { outcome, a, b };
    match (a, b) {
        (S::Accepted, S::Accepted) => resolution(ProposalOutcome::Matched, None, None),
        (S::Declined, other) => resolution(ProposalOutcome::Declined, None, requeue(other)),
        (other, S::Declined) => resolution(ProposalOutcome::Declined, requeue(other), None),
        (S::Cancelled | S::Expired, other) => {
            resolution(ProposalOutcome::Cancelled, None, requeue(other))
        }
        (other, S::Cancelled | S::Expired) => {
            resolution(ProposalOutcome::Cancelled, requeue(other), None)
        }
        _ if now_ms >= respond_by_ms => {
            let side = |s: QueueStatus| match s {
                S::Proposed => Some(QueueEvent::Expire),
                S::Accepted => Some(QueueEvent::Requeue),
                _ => None,
            };
            resolution(ProposalOutcome::Expired, side(a), side(b))
        }
        _ => resolution(ProposalOutcome::Pending, None, None),
    }
}

/// Rule M14: the shard of `user_id` among `shards` (at least 1). Stable
/// across builds and platforms (it is stored in `matching_queue.shard`).
pub fn shard_of(user_id: &str, shards: u32) -> u32 {
    let shards = u64::from(shards.max(1));
    // The remainder is < shards ≤ u32::MAX.
    u32::try_from(stable_hash(&[b"shard", user_id.as_bytes()]) % shards).unwrap_or(0)
}

/// Bounds on what a user may ask of the queue (configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// The longest availability window.
    pub max_window_ms: i64,
    /// The shortest useful window (one short call).
    pub min_window_ms: i64,
    /// How far ahead a window may start.
    pub max_lead_ms: i64,
    pub max_interests: usize,
    pub max_roles: usize,
    /// Characters in one interest key or role.
    pub max_label_chars: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        const MINUTE: i64 = 60_000;
        const DAY: i64 = 24 * 60 * MINUTE;
        QueueLimits {
            max_window_ms: 7 * DAY,
            min_window_ms: 15 * MINUTE,
            max_lead_ms: 30 * DAY,
            max_interests: 20,
            max_roles: 10,
            max_label_chars: 100,
        }
    }
}

/// A request to enter the queue (`POST /v1/matching/queue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterRequest {
    pub available_from: i64,
    pub available_to: i64,
    #[serde(default)]
    pub constraints: Constraints,
}

/// Why an enter request is refused: 400 `VALIDATION_ERROR` with
/// `details: {"field", "reason": code()}`; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnterError {
    #[error("available_to must be after available_from")]
    WindowInverted,
    #[error("the availability window is over")]
    WindowInPast,
    #[error("the availability window is shorter than {min_ms} ms")]
    WindowTooShort { min_ms: i64 },
    #[error("the availability window is longer than {max_ms} ms")]
    WindowTooLong { max_ms: i64 },
    #[error("the availability window starts more than {max_ms} ms ahead")]
    WindowTooFar { max_ms: i64 },
    #[error("more than {max} {field}")]
    TooMany { field: &'static str, max: usize },
    #[error("an item of {field} is empty or longer than {max_chars} characters")]
    BadLabel {
        field: &'static str,
        max_chars: usize,
    },
    #[error("unknown interest: {key}")]
    UnknownInterest { key: String },
}

impl EnterError {
    /// The stable `details.reason`.
    pub fn code(&self) -> &'static str {
        match self {
            EnterError::WindowInverted => "window_inverted",
            EnterError::WindowInPast => "window_in_past",
            EnterError::WindowTooShort { .. } => "window_too_short",
            EnterError::WindowTooLong { .. } => "window_too_long",
            EnterError::WindowTooFar { .. } => "window_too_far",
            EnterError::TooMany { .. } => "too_many",
            EnterError::BadLabel { .. } => "invalid_value",
            EnterError::UnknownInterest { .. } => "unknown_interest",
        }
    }

    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            EnterError::WindowInverted
            | EnterError::WindowInPast
            | EnterError::WindowTooShort { .. }
            | EnterError::WindowTooLong { .. } => "available_to",
            EnterError::WindowTooFar { .. } => "available_from",
            EnterError::TooMany { field, .. } | EnterError::BadLabel { field, .. } => field,
            EnterError::UnknownInterest { .. } => "constraints.interests",
        }
    }
}

impl From<EnterError> for ApiError {
    fn from(err: EnterError) -> Self {
        let mut details = serde_json::json!({ "field": err.field(), "reason": err.code() });
        if let EnterError::UnknownInterest { key } = &err {
            details["value"] = serde_json::json!(key);
        }
        ApiError::validation(err.to_string()).with_details(details)
    }
}

/// Trimmed, lowercased, deduplicated (first wins) labels, each checked.
fn clean_labels(
    items: &[String],
    field: &'static str,
    max: usize,
    max_chars: usize,
) -> Result<Vec<String>, EnterError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in items {
        let label = item.trim().to_lowercase();
        let chars = label.chars().count();
        if chars == 0 || chars > max_chars || label.chars().any(char::is_control) {
            return Err(EnterError::BadLabel { field, max_chars });
        }
        if seen.insert(label.clone()) {
            out.push(label);
        }
    }
    if out.len() > max {
        return Err(EnterError::TooMany { field, max });
    }
    Ok(out)
}

/// Rule M12: checks an enter request against the limits at `now_ms`, with
/// `known_interests` the interest keys that exist (the shell loads those
/// among the requested ones). Returns the request normalised: the window
/// starts no earlier than now, labels are trimmed, lowercased and deduplicated.
pub fn validate_enter(
    request: &EnterRequest,
    known_interests: &BTreeSet<String>,
    limits: &QueueLimits,
    now_ms: i64,
) -> Result<EnterRequest, EnterError> {
    let (from, to) = (request.available_from, request.available_to);
    if to <= from {
        return Err(EnterError::WindowInverted);
    }
    if to <= now_ms {
        return Err(EnterError::WindowInPast);
    }
    if from.saturating_sub(now_ms) > limits.max_lead_ms {
        return Err(EnterError::WindowTooFar {
            max_ms: limits.max_lead_ms,
        });
    }
    let from = from.max(now_ms);
    let length = to.saturating_sub(from);
    if length < limits.min_window_ms {
        return Err(EnterError::WindowTooShort {
            min_ms: limits.min_window_ms,
        });
    }
    if length > limits.max_window_ms {
        return Err(EnterError::WindowTooLong {
            max_ms: limits.max_window_ms,
        });
    }
    let interests = clean_labels(
        &request.constraints.interests,
        "constraints.interests",
        limits.max_interests,
        limits.max_label_chars,
    )?;
    if let Some(key) = interests.iter().find(|k| !known_interests.contains(*k)) {
        return Err(EnterError::UnknownInterest { key: key.clone() });
    }
    let roles = clean_labels(
        &request.constraints.roles,
        "constraints.roles",
        limits.max_roles,
        limits.max_label_chars,
    )?;
    Ok(EnterRequest {
        available_from: from,
        available_to: to,
        constraints: Constraints {
            interests,
            roles,
            org: request.constraints.org,
        },
    })
}

/// Reads an enter request body: `{"available_from", "available_to",
/// "constraints": {"interests", "roles", "org_constraints"}}`, unknown
/// fields refused, errors naming the field. Then [`validate_enter`] it.
pub fn parse_enter_body(body: &[u8], limits: &QueueLimits) -> Result<EnterRequest, ApiError> {
    let mut map = parse_object(body)?;
    // `FieldReader` reads no nested objects: take `constraints` out and read it
    // with its own `FieldReader`.
    let nested = map.remove("constraints");
    let mut f = FieldReader::new(&map, "");
    let required = |name: &str, v: Option<i64>| {
        v.ok_or_else(|| invalid(name, "required", format!("{name} is required")))
    };
    let from = required("available_from", f.opt_int("available_from", 0, i64::MAX)?)?;
    let to = required("available_to", f.opt_int("available_to", 0, i64::MAX)?)?;
    let mut constraints = Constraints::default();
    if let Some(value) = nested.as_ref().filter(|v| !v.is_null()) {
        let mut c = FieldReader::element(value, "constraints")?;
        // Generous array bounds here; validate_enter applies the real ones.
        let strings = |items: Option<&Vec<serde_json::Value>>, path: &str| {
            items
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            v.as_str().map(str::to_owned).ok_or_else(|| {
                                let p = format!("{path}[{i}]");
                                invalid(&p, "wrong_type", format!("{p} must be a string"))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
        };
        constraints.interests = strings(
            c.opt_array("interests", limits.max_interests * 4)?,
            "constraints.interests",
        )?
        .unwrap_or_default();
        constraints.roles = strings(
            c.opt_array("roles", limits.max_roles * 4)?,
            "constraints.roles",
        )?
        .unwrap_or_default();
        constraints.org = c
            .opt_enum(
                "org_constraints",
                OrgConstraint::parse,
                "any, same_org, other_org",
            )?
            .unwrap_or_default();
        c.finish()?;
    }
    f.finish()?;
    Ok(EnterRequest {
        available_from: from,
        available_to: to,
        constraints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;
    const NOW: i64 = 1_700_000_000_000;

    fn known() -> BTreeSet<String> {
        ["rust", "climate", "design"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn request(from: i64, to: i64) -> EnterRequest {
        EnterRequest {
            available_from: from,
            available_to: to,
            constraints: Constraints::default(),
        }
    }

    fn check(req: &EnterRequest) -> Result<EnterRequest, EnterError> {
        validate_enter(req, &known(), &QueueLimits::default(), NOW)
    }

    #[test]
    fn m13_state_machine_allows_exactly_the_documented_moves() {
        use QueueEvent as E;
        use QueueStatus as S;
        let legal = [
            (S::Waiting, E::Propose, S::Proposed),
            (S::Waiting, E::Expire, S::Expired),
            (S::Waiting, E::Cancel, S::Cancelled),
            (S::Proposed, E::Accept, S::Accepted),
            (S::Proposed, E::Decline, S::Declined),
            (S::Proposed, E::Expire, S::Expired),
            (S::Proposed, E::Cancel, S::Cancelled),
            (S::Proposed, E::Requeue, S::Waiting),
            (S::Accepted, E::Expire, S::Expired),
            (S::Accepted, E::Cancel, S::Cancelled),
            (S::Accepted, E::Requeue, S::Waiting),
        ];
        for from in QueueStatus::ALL {
            for event in QueueEvent::ALL {
                let expected = legal
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match (next_status(from, event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(err), None) => {
                        let api = ApiError::from(err);
                        assert_eq!(api.status(), 409);
                        assert_eq!(api.details.unwrap()["reason"], "ILLEGAL_TRANSITION");
                    }
                    (got, want) => panic!("{from:?} {event:?}: {got:?} vs {want:?}"),
                }
            }
        }
        for s in QueueStatus::ALL {
            assert_eq!(QueueStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                s.is_final(),
                QueueEvent::ALL.iter().all(|e| next_status(s, *e).is_err())
            );
        }
    }

    #[test]
    fn m13_proposal_resolution() {
        use QueueStatus as S;
        let r = |a, b, now| resolve_proposal(a, b, 100, now);
        assert_eq!(
            r(S::Accepted, S::Accepted, 500).outcome,
            ProposalOutcome::Matched
        );
        assert_eq!(
            r(S::Proposed, S::Accepted, 50).outcome,
            ProposalOutcome::Pending
        );
        let declined = r(S::Accepted, S::Declined, 50);
        assert_eq!(declined.outcome, ProposalOutcome::Declined);
        assert_eq!((declined.a, declined.b), (Some(QueueEvent::Requeue), None));
        let left = r(S::Cancelled, S::Proposed, 50);
        assert_eq!(left.outcome, ProposalOutcome::Cancelled);
        assert_eq!((left.a, left.b), (None, Some(QueueEvent::Requeue)));
        let late = r(S::Accepted, S::Proposed, 100);
        assert_eq!(late.outcome, ProposalOutcome::Expired);
        assert_eq!(
            (late.a, late.b),
            (Some(QueueEvent::Requeue), Some(QueueEvent::Expire))
        );
        // Every move it asks for is legal.
        for a in QueueStatus::ALL {
            for b in QueueStatus::ALL {
                for now in [0, 100] {
                    let res = resolve_proposal(a, b, 100, now);
                    if let Some(e) = res.a {
                        assert!(next_status(a, e).is_ok(), "{a:?} {e:?}");
                    }
                    if let Some(e) = res.b {
                        assert!(next_status(b, e).is_ok(), "{b:?} {e:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn m14_shard_of_is_stable_bounded_and_spread() {
        assert_eq!(shard_of("user_1", 16), shard_of("user_1", 16));
        assert_eq!(shard_of("user_1", 0), 0);
        assert_eq!(shard_of("user_1", 1), 0);
        let mut counts = [0_u32; 8];
        for i in 0..8_000 {
            let s = shard_of(&format!("user_{i}"), 8);
            counts[s as usize] += 1;
        }
        // Roughly uniform: every shard within 15% of the mean.
        assert!(
            counts.iter().all(|c| (850..=1150).contains(c)),
            "{counts:?}"
        );
        // Pinned: the shard is stored, so the hash must never change.
        assert_eq!(
            PINNED_SHARDS,
            [0, 1, 2, 3].map(|i| shard_of(&format!("user_{i}"), 64))
        );
    }

    const PINNED_SHARDS: [u32; 4] = [57, 46, 60, 26];

    #[test]
    fn m12_valid_request_is_normalised() {
        let mut req = request(NOW - HOUR, NOW + 2 * HOUR);
        req.constraints.interests = vec![" Rust ".into(), "rust".into(), "climate".into()];
        req.constraints.roles = vec!["Founder".into(), "founder".into()];
        let ok = check(&req).unwrap();
        assert_eq!(ok.available_from, NOW);
        assert_eq!(ok.available_to, NOW + 2 * HOUR);
        assert_eq!(ok.constraints.interests, vec!["rust", "climate"]);
        assert_eq!(ok.constraints.roles, vec!["founder"]);
    }

    #[test]
    fn m12_windows_in_the_past_or_too_long_are_refused() {
        let cases = [
            (request(NOW + HOUR, NOW + HOUR), "window_inverted"),
            (request(NOW - 2 * HOUR, NOW - HOUR), "window_in_past"),
            (request(NOW - 2 * HOUR, NOW), "window_in_past"),
            (request(NOW, NOW + 5 * MIN), "window_too_short"),
            (request(NOW, NOW + 8 * DAY), "window_too_long"),
            (request(NOW + 31 * DAY, NOW + 32 * DAY), "window_too_far"),
        ];
        for (req, code) in cases {
            let err = check(&req).unwrap_err();
            assert_eq!(err.code(), code, "{req:?}");
            let api = ApiError::from(err);
            assert_eq!(api.status(), 400);
            assert_eq!(api.details.unwrap()["reason"], code);
        }
        // The window is measured from now when it started earlier.
        assert!(check(&request(NOW - 30 * DAY, NOW + 6 * DAY)).is_ok());
    }

    #[test]
    fn m12_constraints_are_bounded_and_interests_must_exist() {
        let mut req = request(NOW, NOW + HOUR);
        req.constraints.interests = vec!["rust".into(), "knitting".into()];
        let err = check(&req).unwrap_err();
        assert_eq!(
            err,
            EnterError::UnknownInterest {
                key: "knitting".into()
            }
        );
        assert_eq!(ApiError::from(err).details.unwrap()["value"], "knitting");

        req.constraints.interests = (0..21).map(|i| format!("i{i}")).collect();
        assert_eq!(check(&req).unwrap_err().code(), "too_many");
        req.constraints.interests = vec![];
        req.constraints.roles = vec!["  ".into()];
        let err = check(&req).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("invalid_value", "constraints.roles")
        );
        req.constraints.roles = vec!["x".repeat(101)];
        assert_eq!(check(&req).unwrap_err().code(), "invalid_value");
        req.constraints.roles = (0..11).map(|i| format!("r{i}")).collect();
        assert_eq!(check(&req).unwrap_err().field(), "constraints.roles");
    }

    #[test]
    fn m12_body_parsing_names_the_field() {
        let limits = QueueLimits::default();
        let body = br#"{"available_from": 1, "available_to": 2, "constraints": {"interests": ["rust"], "roles": ["cto"], "org_constraints": "other_org"}}"#;
        let req = parse_enter_body(body, &limits).unwrap();
        assert_eq!(req.constraints.org, OrgConstraint::OtherOrg);
        assert_eq!(req.constraints.roles, vec!["cto"]);
        let field = |body: &[u8]| {
            parse_enter_body(body, &limits)
                .unwrap_err()
                .details
                .unwrap()["field"]
                .clone()
        };
        assert_eq!(field(br#"{"available_to": 2}"#), "available_from");
        assert_eq!(
            field(br#"{"available_from": 1, "available_to": 2, "x": 1}"#),
            "x"
        );
        assert_eq!(
            field(br#"{"available_from": 1, "available_to": 2, "constraints": {"roles": [1]}}"#),
            "constraints.roles[0]"
        );
        assert_eq!(
            field(br#"{"available_from": 1, "available_to": 2, "constraints": {"org_constraints": "mine"}}"#),
            "constraints.org_constraints"
        );
        assert_eq!(
            field(br#"{"available_from": 1, "available_to": 2, "constraints": {"colour": "red"}}"#),
            "constraints.colour"
        );
        assert_eq!(
            field(br#"{"available_from": 1, "available_to": 2, "constraints": 3}"#),
            "constraints"
        );
    }
}
