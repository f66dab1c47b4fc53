//! Admitting a socket. The worker verifies the ticket's MAC, expiry and
//! meeting and the caller's membership, then forwards the upgrade with the
//! identity headers of `room_internal::header`; [`Upgrade::from_headers`]
//! decodes them, and [`RoomCore::handle_upgrade`] admits the socket in the
//! one order that is safe: the ticket's single use first, then the
//! meeting's state caught up with D1's, then the connection itself.
//!
//! A refused ticket never gets a socket: the upgrade is answered HTTP 401
//! at once, like every ticket the worker refuses (issue 11: a replayed
//! ticket used to be upgraded and closed 10–15 s later).

use crate::acl::{MeetingRole, MeetingState, OrgRole};
use crate::auth::ticket::{TicketClaims, TicketError};
use crate::error::ApiError;
use crate::meeting::lifecycle::parse_state;
use crate::room_internal::header;
use crate::signature::from_hex;

use super::core::RoomCore;
use super::error::RoomError;
use super::identity::{ClientInfo, SessionId, SessionIdentity};
use super::store::RoomStore;

/// How soon to retry pruning nonces after the store failed to.
const NONCE_RETRY_MS: u64 = 60_000;

/// What the worker vouches for on a forwarded upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The ticket's meeting, user, nonce and expiry (the MAC was checked by
    /// the worker; the room enforces single use).
    pub claims: TicketClaims,
    pub identity: SessionIdentity,
    /// D1's state of the meeting at upgrade time (D1 is the source of truth).
    pub meeting_state: Option<MeetingState>,
}

fn bad_header(name: &str) -> ApiError {
    ApiError::validation(format!("missing or malformed {name} header"))
        .with_details(serde_json::json!({ "reason": "UPGRADE_HEADER_INVALID", "header": name }))
}

impl Upgrade {
    /// Decodes the forwarded upgrade's headers; `get` reads one header by
    /// name (an empty value counts as missing). Refused with 400
    /// `UPGRADE_HEADER_INVALID` naming the header.
    pub fn from_headers(get: impl Fn(&str) -> Option<String>) -> Result<Upgrade, ApiError> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let need = |name: &str| get(name).ok_or_else(|| bad_header(name));
        let meeting_id = need(header::MEETING_ID)?;
        let user_id = need(header::USER_ID)?;
        let role = MeetingRole::parse(&need(header::ROLE)?);
        let org_role = OrgRole::from_workos(get(header::ORG_ROLE).as_deref(), &[]);
        let nonce: [u8; 16] = from_hex(&need(header::TICKET_NONCE)?)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| bad_header(header::TICKET_NONCE))?;
        let expires_at_ms = need(header::TICKET_EXP_MS)?
            .parse::<u64>()
            .map_err(|_| bad_header(header::TICKET_EXP_MS))?;
        let mut identity = SessionIdentity::new(user_id.clone(), role);
        identity.org_role = org_role;
        identity.client = ClientInfo {
            user_agent: get("user-agent"),
            ip: get("cf-connecting-ip"),
        };
        Ok(Upgrade {
            claims: TicketClaims {
                user_id,
                meeting_id,
                role: None,
                nonce,
                issued_at_ms: 0,
                expires_at_ms,
            },
            identity,
            meeting_state: get(header::MEETING_STATE).and_then(|s| parse_state(&s)),
        })
    }
}

impl<S: RoomStore> RoomCore<S> {
    /// A forwarded upgrade for `session` (a fresh id from the shell).
    ///
    /// `Err`: answer the upgrade with this error's status and body, without
    /// a socket — 401 (`TICKET_REPLAYED`, `TICKET_EXPIRED`,
    /// `TICKET_WRONG_MEETING`) or 500 when the state catch-up could not be
    /// stored. `Ok`: accept the socket, tagged `session`, then drain the
    /// outputs (a connection the room refuses gets its `goodbye` and close
    /// there, R11/R13).
    pub fn handle_upgrade(
        &mut self,
        now_ms: u64,
        session: SessionId,
        upgrade: Upgrade,
    ) -> Result<(), ApiError> {
        self.consume_ticket(now_ms, &upgrade.claims)?;
        // A room that missed a lifecycle notice (or is opened for the first
        // time) catches up with D1 before admitting anyone.
        if let Some(state) = upgrade.meeting_state {
            self.set_meeting_state(now_ms, state)?;
        }
        // A refusal queues a goodbye and a close for this session.
        let _ = self.handle_connect(now_ms, session, upgrade.identity);
        Ok(())
    }

    /// Enforces single use of a WebSocket ticket the worker has verified
    /// (`auth::ticket::verify_ticket`): records its nonce until the ticket
    /// expires, and refuses a second use (R18).
    pub fn consume_ticket(&mut self, now_ms: u64, claims: &TicketClaims) -> Result<(), RoomError> {
        if claims.meeting_id != self.meta.meeting_id {
            return Err(RoomError::Ticket(TicketError::WrongMeeting));
        }
        if claims.expires_at_ms <= now_ms {
            return Err(RoomError::Ticket(TicketError::Expired));
        }
        if self.next_nonce_expiry.is_some_and(|at| at <= now_ms) {
            self.prune_nonces(now_ms);
        }
        if !self
            .store
            .nonce_insert(&claims.nonce, claims.expires_at_ms)?
        {
            return Err(RoomError::Ticket(TicketError::Replayed));
        }
        self.next_nonce_expiry = Some(
            self.next_nonce_expiry
                .map_or(claims.expires_at_ms, |at| at.min(claims.expires_at_ms)),
        );
        Ok(())
    }

    pub(super) fn prune_nonces(&mut self, now_ms: u64) {
        let pruned = self
            .store
            .nonce_prune(now_ms)
            .and_then(|_| self.store.nonce_next_expiry());
        self.next_nonce_expiry = match pruned {
            Ok(next) => next,
            Err(_) => Some(now_ms.saturating_add(NONCE_RETRY_MS)),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const GOOD: [(&str, &str); 7] = [
        (header::MEETING_ID, "mtg_1"),
        (header::USER_ID, "user_1"),
        (header::ROLE, "participant"),
        (header::ORG_ROLE, "admin"),
        (header::MEETING_STATE, "active"),
        (header::TICKET_NONCE, "000102030405060708090a0b0c0d0e0f"),
        (header::TICKET_EXP_MS, "1700000060000"),
    ];

    #[test]
    fn decodes_the_forwarded_identity() {
        let up = Upgrade::from_headers(headers(&GOOD)).unwrap();
        assert_eq!(up.claims.meeting_id, "mtg_1");
        assert_eq!(up.claims.nonce[15], 15);
        assert_eq!(up.claims.expires_at_ms, 1_700_000_060_000);
        assert_eq!(up.identity.role, Some(MeetingRole::Participant));
        assert_eq!(up.identity.org_role, OrgRole::Admin);
        assert_eq!(up.meeting_state, Some(MeetingState::Active));
    }

    #[test]
    fn a_missing_or_malformed_header_is_named() {
        for (name, value) in [
            (header::USER_ID, ""),
            (header::TICKET_NONCE, "abcd"),
            (header::TICKET_EXP_MS, "soon"),
        ] {
            let mut pairs = GOOD.to_vec();
            pairs.retain(|(k, _)| *k != name);
            pairs.push((name, value));
            let err = Upgrade::from_headers(headers(&pairs)).unwrap_err();
            assert_eq!(err.status(), 400);
            let body = err.body();
            assert_eq!(body["error"]["details"]["reason"], "UPGRADE_HEADER_INVALID");
            assert_eq!(body["error"]["details"]["header"], name);
        }
    }
}
