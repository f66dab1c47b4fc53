//! WebSocket tickets: a short-lived, single-use credential for opening a
//! meeting's socket. Browsers cannot set `Authorization` on a WebSocket
//! upgrade, and a JWT in the URL would land in logs for its whole lifetime,
//! so the client trades its access token for a ticket over HTTPS and puts
//! the ticket in the upgrade URL.
//!
//! A ticket is `v1.<b64url(claims JSON)>.<b64url(HMAC-SHA256)>`, URL-safe as
//! it stands. It binds a user, a meeting and optionally a role snapshot, and
//! lives at most [`MAX_TTL_MS`].
//!
//! **Single use is the caller's half of the contract.** [`verify_ticket`] is
//! pure and cannot remember anything. The meeting's `MeetingRoom` Durable
//! Object, the single writer for that meeting, records each accepted nonce
//! in a [`UsedNonces`] until the ticket's expiry and refuses a second use;
//! since a ticket names its meeting, no other object can accept it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::base64url;
use crate::error::{ApiError, ErrorCode};
use crate::signature::{hmac_sha256, verify_hmac_sha256};

/// Longest ticket lifetime: enough to open a socket, short enough that a
/// leaked URL is worthless by the time anyone reads the log.
pub const MAX_TTL_MS: u64 = 60_000;
/// How far a ticket's issue time may be ahead of the verifier's clock. The
/// Worker that issues and the Durable Object that verifies run on different
/// isolates, possibly different machines.
pub const MAX_CLOCK_SKEW_MS: u64 = 5_000;
/// HMAC-SHA256 keys shorter than the hash output weaken it (RFC 2104 §3).
pub const MIN_SECRET_LEN: usize = 32;
const MAX_TICKET_LEN: usize = 2048;
const MAX_ID_LEN: usize = 255;
const VERSION: &str = "v1";
/// Domain separation: the MAC covers this label too, so a ticket MAC can
/// never be confused with another HMAC made with the same secret.
const MAC_CONTEXT: &[u8] = b"connvo/ws-ticket\0";

/// Why a ticket could not be issued or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("ticket secret shorter than 32 bytes")]
    WeakSecret,
    #[error("ticket lifetime must be 1..=60000 ms")]
    InvalidTtl,
    #[error("invalid {0}")]
    InvalidInput(&'static str),
    #[error("malformed ticket")]
    Malformed,
    #[error("bad ticket signature")]
    BadSignature,
    #[error("ticket expired")]
    Expired,
    #[error("ticket not yet valid")]
    NotYetValid,
    #[error("ticket is for another meeting")]
    WrongMeeting,
    #[error("ticket already used")]
    Replayed,
}

impl TicketError {
    pub fn code(&self) -> &'static str {
        match self {
            TicketError::WeakSecret => "TICKET_WEAK_SECRET",
            TicketError::InvalidTtl => "TICKET_INVALID_TTL",
            TicketError::InvalidInput(_) => "TICKET_INVALID_INPUT",
            TicketError::Malformed => "TICKET_MALFORMED",
            TicketError::BadSignature => "TICKET_BAD_SIGNATURE",
            TicketError::Expired => "TICKET_EXPIRED",
            TicketError::NotYetValid => "TICKET_NOT_YET_VALID",
            TicketError::WrongMeeting => "TICKET_WRONG_MEETING",
            TicketError::Replayed => "TICKET_REPLAYED",
        }
    }
}

impl From<TicketError> for ApiError {
    fn from(err: TicketError) -> Self {
        let code = match err {
            TicketError::WeakSecret | TicketError::InvalidTtl => ErrorCode::Internal,
            TicketError::InvalidInput(_) => ErrorCode::ValidationError,
            TicketError::Malformed
            | TicketError::BadSignature
            | TicketError::Expired
            | TicketError::NotYetValid
            | TicketError::WrongMeeting
            | TicketError::Replayed => ErrorCode::Unauthorized,
        };
        ApiError::new(code, err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}

/// What a verified ticket vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketClaims {
    pub user_id: String,
    pub meeting_id: String,
    /// The meeting role at issue time; the room re-checks its own roster.
    pub role: Option<String>,
    pub nonce: [u8; 16],
    pub issued_at_ms: u64,
    pub expires_at_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireClaims {
    sub: String,
    mid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    nonce: String,
    iat: u64,
    exp: u64,
}

/// Issues a ticket for `user_id` to open `meeting_id`'s socket. `nonce` must
/// be fresh random bytes from the caller; `ttl_ms` is at most [`MAX_TTL_MS`].
pub fn issue_ticket(
    secret: &[u8],
    user_id: &str,
    meeting_id: &str,
    role: Option<&str>,
    nonce: [u8; 16],
    now_ms: u64,
    ttl_ms: u64,
) -> Result<String, TicketError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(TicketError::WeakSecret);
    }
    if ttl_ms == 0 || ttl_ms > MAX_TTL_MS {
        return Err(TicketError::InvalidTtl);
    }
    if !is_plain_id(user_id) {
        return Err(TicketError::InvalidInput("user_id"));
    }
    if !is_plain_id(meeting_id) {
        return Err(TicketError::InvalidInput("meeting_id"));
    }
    if role.is_some_and(|r| !is_plain_id(r)) {
        return Err(TicketError::InvalidInput("role"));
    }
    let wire = WireClaims {
        sub: user_id.to_owned(),
        mid: meeting_id.to_owned(),
        role: role.map(str::to_owned),
        nonce: base64url::encode(&nonce),
        iat: now_ms,
        exp: now_ms.saturating_add(ttl_ms),
    };
    let json = serde_json::to_vec(&wire).map_err(|_| TicketError::InvalidInput("claims"))?;
    let payload = base64url::encode(&json);
    let tag = hmac_sha256(secret, &mac_input(&payload)).ok_or(TicketError::WeakSecret)?;
    Ok(format!("{VERSION}.{payload}.{}", base64url::encode(&tag)))
}

fn mac_input(payload_b64: &str) -> [&[u8]; 4] {
    [
        MAC_CONTEXT,
        VERSION.as_bytes(),
        b".",
        payload_b64.as_bytes(),
    ]
}

/// Verifies a ticket for `meeting_id` at `now_ms`. Does **not** enforce
/// single use: see the module docs and [`UsedNonces`].
pub fn verify_ticket(
    secret: &[u8],
    ticket: &str,
    meeting_id: &str,
    now_ms: u64,
) -> Result<TicketClaims, TicketError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(TicketError::WeakSecret);
    }
    if ticket.len() > MAX_TICKET_LEN {
        return Err(TicketError::Malformed);
    }
    let mut parts = ticket.split('.');
    let (Some(VERSION), Some(payload), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TicketError::Malformed);
    };
    let tag = base64url::decode(tag).map_err(|_| TicketError::Malformed)?;
    // Authenticate before parsing anything the client controls.
    if !verify_hmac_sha256(secret, &mac_input(payload), &tag) {
        return Err(TicketError::BadSignature);
    }
    let json = base64url::decode(payload).map_err(|_| TicketError::Malformed)?;
    let wire: WireClaims = serde_json::from_slice(&json).map_err(|_| TicketError::Malformed)?;
    let nonce: [u8; 16] = base64url::decode(&wire.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(TicketError::Malformed)?;
    // Only we can sign, so this guards against our own bugs, not attackers.
    if wire.exp <= wire.iat || wire.exp - wire.iat > MAX_TTL_MS {
        return Err(TicketError::Malformed);
    }
    if wire.mid != meeting_id {
        return Err(TicketError::WrongMeeting);
    }
    if now_ms >= wire.exp {
        return Err(TicketError::Expired);
    }
    if wire.iat > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err(TicketError::NotYetValid);
    }
    Ok(TicketClaims {
        user_id: wire.sub,
        meeting_id: wire.mid,
        role: wire.role,
        nonce,
        issued_at_ms: wire.iat,
        expires_at_ms: wire.exp,
    })
}

/// Nonces of tickets already accepted by one meeting, kept until each
/// ticket's expiry (after which the ticket is refused as expired anyway).
/// Owned by the meeting's Durable Object; bounded by the tickets issued in
/// the last [`MAX_TTL_MS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsedNonces {
    expiry_by_nonce: BTreeMap<[u8; 16], u64>,
}

impl UsedNonces {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the ticket's nonce, or refuses it if seen before. Call after
    /// [`verify_ticket`] succeeded, with the same `now_ms`.
    pub fn consume(&mut self, claims: &TicketClaims, now_ms: u64) -> Result<(), TicketError> {
        self.prune(now_ms);
        if self.expiry_by_nonce.contains_key(&claims.nonce) {
            return Err(TicketError::Replayed);
        }
        self.expiry_by_nonce
            .insert(claims.nonce, claims.expires_at_ms);
        Ok(())
    }

    /// Forgets nonces whose tickets have expired.
    pub fn prune(&mut self, now_ms: u64) {
        self.expiry_by_nonce.retain(|_, exp| *exp > now_ms);
    }

    /// When the next nonce can be forgotten, for the object's alarm.
    pub fn next_expiry_ms(&self) -> Option<u64> {
        self.expiry_by_nonce.values().min().copied()
    }

    pub fn len(&self) -> usize {
        self.expiry_by_nonce.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expiry_by_nonce.is_empty()
    }
}

fn is_plain_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && s.bytes().all(|b| b.is_ascii_graphic())
}
