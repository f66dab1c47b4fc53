//! WebSocket tickets: binding, expiry, tampering, secrets, and single use.

use connvo_shared::auth::base64url;
use connvo_shared::auth::ticket::{
    issue_ticket, verify_ticket, TicketError, UsedNonces, MAX_CLOCK_SKEW_MS, MAX_TTL_MS,
};
use connvo_shared::{ApiError, ErrorCode};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const OTHER_SECRET: &[u8] = b"fedcba9876543210fedcba9876543210";
const NONCE: [u8; 16] = [7; 16];
const NOW: u64 = 1_700_000_000_000;
const TTL: u64 = 30_000;

fn ticket() -> String {
    issue_ticket(SECRET, "user_1", "mtg_1", Some("host"), NONCE, NOW, TTL).unwrap()
}

#[test]
fn round_trip_yields_the_bound_claims() {
    let claims = verify_ticket(SECRET, &ticket(), "mtg_1", NOW + 1).unwrap();
    assert_eq!(claims.user_id, "user_1");
    assert_eq!(claims.meeting_id, "mtg_1");
    assert_eq!(claims.role.as_deref(), Some("host"));
    assert_eq!(claims.nonce, NONCE);
    assert_eq!(claims.issued_at_ms, NOW);
    assert_eq!(claims.expires_at_ms, NOW + TTL);
}

#[test]
fn role_snapshot_is_optional() {
    let t = issue_ticket(SECRET, "user_1", "mtg_1", None, NONCE, NOW, TTL).unwrap();
    assert_eq!(verify_ticket(SECRET, &t, "mtg_1", NOW).unwrap().role, None);
}

#[test]
fn ticket_is_url_safe() {
    let t = ticket();
    assert!(t.starts_with("v1."));
    assert!(t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')));
}

#[test]
fn expires_at_ttl() {
    let t = ticket();
    assert!(verify_ticket(SECRET, &t, "mtg_1", NOW + TTL - 1).is_ok());
    assert_eq!(
        verify_ticket(SECRET, &t, "mtg_1", NOW + TTL),
        Err(TicketError::Expired)
    );
    assert_eq!(
        verify_ticket(SECRET, &t, "mtg_1", NOW + 3_600_000),
        Err(TicketError::Expired)
    );
}

#[test]
fn rejects_tickets_from_the_future_beyond_skew() {
    let t = ticket();
    assert!(verify_ticket(SECRET, &t, "mtg_1", NOW - MAX_CLOCK_SKEW_MS).is_ok());
    assert_eq!(
        verify_ticket(SECRET, &t, "mtg_1", NOW - MAX_CLOCK_SKEW_MS - 1),
        Err(TicketError::NotYetValid)
    );
}

#[test]
fn rejects_the_wrong_meeting() {
    assert_eq!(
        verify_ticket(SECRET, &ticket(), "mtg_2", NOW),
        Err(TicketError::WrongMeeting)
    );
}

#[test]
fn rejects_the_wrong_secret() {
    assert_eq!(
        verify_ticket(OTHER_SECRET, &ticket(), "mtg_1", NOW),
        Err(TicketError::BadSignature)
    );
}

#[test]
fn rejects_tampering() {
    let t = ticket();
    let parts: Vec<&str> = t.split('.').collect();
    let claims = String::from_utf8(base64url::decode(parts[1]).unwrap()).unwrap();

    // Retarget to another meeting, extend the expiry, swap the user.
    for (from, to) in [
        ("\"mtg_1\"", "\"mtg_2\""),
        (
            &*format!("{}", NOW + TTL),
            &*format!("{}", NOW + TTL + 60_000),
        ),
        ("\"user_1\"", "\"user_2\""),
        ("\"host\"", "\"cohost\""),
    ] {
        assert!(claims.contains(from), "{claims}");
        let forged = base64url::encode(claims.replace(from, to).as_bytes());
        let tampered = format!("v1.{forged}.{}", parts[2]);
        let meeting = if to == "\"mtg_2\"" { "mtg_2" } else { "mtg_1" };
        assert_eq!(
            verify_ticket(SECRET, &tampered, meeting, NOW),
            Err(TicketError::BadSignature)
        );
    }

    // Flip a bit of the MAC.
    let mut mac = base64url::decode(parts[2]).unwrap();
    mac[0] ^= 1;
    let tampered = format!("v1.{}.{}", parts[1], base64url::encode(&mac));
    assert_eq!(
        verify_ticket(SECRET, &tampered, "mtg_1", NOW),
        Err(TicketError::BadSignature)
    );
}

#[test]
fn rejects_malformed_tickets() {
    let t = ticket();
    let parts: Vec<&str> = t.split('.').collect();
    for bad in [
        String::new(),
        "v1".to_owned(),
        format!("v2.{}.{}", parts[1], parts[2]),
        format!("v1.{}", parts[1]),
        format!("{t}.extra"),
        format!("v1.{}.{}=", parts[1], parts[2]),
        "x".repeat(5000),
    ] {
        assert_eq!(
            verify_ticket(SECRET, &bad, "mtg_1", NOW),
            Err(TicketError::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn issuing_enforces_ttl_secret_and_ids() {
    assert!(issue_ticket(SECRET, "u", "m", None, NONCE, NOW, MAX_TTL_MS).is_ok());
    assert_eq!(
        issue_ticket(SECRET, "u", "m", None, NONCE, NOW, MAX_TTL_MS + 1),
        Err(TicketError::InvalidTtl)
    );
    assert_eq!(
        issue_ticket(SECRET, "u", "m", None, NONCE, NOW, 0),
        Err(TicketError::InvalidTtl)
    );
    assert_eq!(
        issue_ticket(b"short", "u", "m", None, NONCE, NOW, TTL),
        Err(TicketError::WeakSecret)
    );
    assert_eq!(
        verify_ticket(b"short", &ticket(), "mtg_1", NOW),
        Err(TicketError::WeakSecret)
    );
    assert_eq!(
        issue_ticket(SECRET, "", "m", None, NONCE, NOW, TTL),
        Err(TicketError::InvalidInput("user_id"))
    );
    assert_eq!(
        issue_ticket(SECRET, "u", "m 1", None, NONCE, NOW, TTL),
        Err(TicketError::InvalidInput("meeting_id"))
    );
    assert_eq!(
        issue_ticket(SECRET, "u", "m", Some(""), NONCE, NOW, TTL),
        Err(TicketError::InvalidInput("role"))
    );
}

#[test]
fn used_nonces_enforce_single_use_until_expiry() {
    let mut used = UsedNonces::new();
    let claims = verify_ticket(SECRET, &ticket(), "mtg_1", NOW).unwrap();
    assert_eq!(used.consume(&claims, NOW), Ok(()));
    assert_eq!(used.consume(&claims, NOW + 1), Err(TicketError::Replayed));
    assert_eq!(used.next_expiry_ms(), Some(NOW + TTL));

    // A different nonce is a different ticket.
    let other = issue_ticket(SECRET, "user_1", "mtg_1", None, [8; 16], NOW, TTL).unwrap();
    let other = verify_ticket(SECRET, &other, "mtg_1", NOW).unwrap();
    assert_eq!(used.consume(&other, NOW), Ok(()));
    assert_eq!(used.len(), 2);

    // After expiry the nonce is forgotten; the ticket itself is refused as expired.
    used.prune(NOW + TTL);
    assert!(used.is_empty());
    assert_eq!(
        verify_ticket(SECRET, &ticket(), "mtg_1", NOW + TTL),
        Err(TicketError::Expired)
    );
}

#[test]
fn ticket_errors_map_to_api_errors() {
    let err: ApiError = TicketError::Replayed.into();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.body()["error"]["details"]["reason"], "TICKET_REPLAYED");
    let err: ApiError = TicketError::WeakSecret.into();
    assert_eq!(err.code, ErrorCode::Internal);
}
