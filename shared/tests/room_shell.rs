//! What the Durable Object shell asks the core, decided by the core: the
//! forwarded upgrade (`handle_upgrade`), the worker's internal notices
//! (`handle_notice`), invalid UTF-8 (`Frame`), hibernated sockets without
//! an attachment, and the drain loop itself. Test names carry the rule ids
//! of `docs/protocol.md`.

mod room_support;

use connvo_shared::acl::{MeetingRole, MeetingState};
use connvo_shared::auth::ticket::TicketClaims;
use connvo_shared::room::protocol::ServerMsg;
use connvo_shared::room::{
    CloseCode, CloseReason, Frame, Notice, NoticeReply, RoomConfig, SessionId, SessionIdentity,
    SessionState, Sockets, Upgrade,
};
use connvo_shared::ApiError;
use room_support::*;
use serde_json::json;

use MeetingRole::{Host, Participant};

fn reason(err: &ApiError) -> String {
    err.body()["error"]["details"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn upgrade(user: &str, role: Option<MeetingRole>, nonce: u8, now: u64) -> Upgrade {
    Upgrade {
        claims: TicketClaims {
            user_id: user.into(),
            meeting_id: MEETING.into(),
            role: None,
            nonce: [nonce; 16],
            issued_at_ms: 0,
            expires_at_ms: now + 30_000,
        },
        identity: SessionIdentity::new(user, role),
        meeting_state: Some(MeetingState::Active),
    }
}

#[test]
fn r18_a_replayed_ticket_is_refused_before_any_socket() {
    let mut shell = Shell::new(RoomConfig::default());
    let first = upgrade("alice", Some(Host), 1, shell.now);
    shell
        .room
        .handle_upgrade(shell.now, sid("a"), first.clone())
        .unwrap();
    shell.drain();
    // The upgrade caught the room up with D1's state, then connected.
    assert_eq!(shell.room.meta().state, MeetingState::Active);
    shell.hello("a", "ca", json!({}));
    assert_eq!(shell.types("a")[0], "welcome");

    let err = shell
        .room
        .handle_upgrade(shell.now, sid("b"), first)
        .unwrap_err();
    assert_eq!(
        (err.status(), reason(&err).as_str()),
        (401, "TICKET_REPLAYED")
    );
    assert_eq!(err.body()["error"]["code"], "UNAUTHORIZED");
    shell.drain();
    assert!(
        !shell.sockets.contains_key(&sid("b")),
        "nothing for a refused upgrade"
    );
    assert_eq!(shell.room.session_ids().count(), 1);

    let mut expired = upgrade("alice", Some(Host), 2, shell.now);
    expired.claims.expires_at_ms = shell.now;
    let err = shell
        .room
        .handle_upgrade(shell.now, sid("c"), expired)
        .unwrap_err();
    assert_eq!(
        (err.status(), reason(&err).as_str()),
        (401, "TICKET_EXPIRED")
    );
}

#[test]
fn r11_an_upgrade_without_a_role_gets_its_socket_then_goodbye_4003() {
    let mut shell = Shell::new(RoomConfig::default());
    shell
        .room
        .handle_upgrade(shell.now, sid("x"), upgrade("xavier", None, 3, shell.now))
        .unwrap();
    shell.drain();
    let socket = shell.socket("x");
    assert_eq!(
        socket.closed,
        Some((CloseCode::AccessRevoked, CloseReason::NotAParticipant))
    );
    assert!(matches!(
        &socket.inbox[..],
        [ServerMsg::Goodbye { code: 4003, .. }]
    ));
}

#[test]
fn r21_text_that_is_not_utf8_closes_its_sender_with_1007_only() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.join("c", "carol", Participant);
    shell.clear();

    // Raw bytes that are not UTF-8, inside otherwise valid JSON.
    let mut bytes = br#"{"type":"ping","ref":""#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(br#""}"#);
    shell
        .room
        .handle_frame(shell.now, &sid("b"), Frame::text_bytes(&bytes));
    shell.drain();
    // What the Workers runtime delivers for the same frame.
    shell.room.handle_frame(
        shell.now,
        &sid("c"),
        Frame::runtime_text("{\"type\":\"ping\",\"ref\":\"\u{FFFD}\u{FFFD}\"}"),
    );
    shell.drain();
    for id in ["b", "c"] {
        let socket = shell.socket(id);
        assert_eq!(
            socket.closed,
            Some((CloseCode::InvalidPayload, CloseReason::InvalidUtf8)),
            "{id}"
        );
        assert_eq!(CloseCode::InvalidPayload.as_u16(), 1007);
        // Its last frame is the goodbye; the frame itself got no answer.
        assert!(
            matches!(socket.inbox.last(), Some(ServerMsg::Goodbye { code: 1007, reason }) if reason == "INVALID_UTF8"),
            "{id}: {:?}",
            socket.inbox
        );
        assert!(
            socket
                .inbox
                .iter()
                .all(|m| !matches!(m, ServerMsg::Error { .. } | ServerMsg::Pong { .. })),
            "{id}: {:?}",
            socket.inbox
        );
    }
    // Everyone else carries on; an escaped U+FFFD is an ordinary character.
    shell.json(
        "a",
        json!({"type": "chat.send", "client_ref": "r1", "text": "\u{FFFD}"})
            .to_string()
            .replace('\u{FFFD}', "\\ufffd")
            .parse::<serde_json::Value>()
            .unwrap(),
    );
    let raw = r#"{"type":"chat.send","client_ref":"r2","text":"ok \ufffd"}"#;
    shell.frame("a", raw);
    let got = shell.take("a");
    assert_eq!(chat_seqs(&got), [1, 2], "{got:?}");
    assert!(shell.socket("a").closed.is_none());
}

#[test]
fn notices_are_decoded_and_answered_by_the_core() {
    let mut shell = Shell::new(RoomConfig::default());
    let caption = br#"{"speaker_id":"u1","text":"hi","start_ms":1,"end_ms":2,"final":true,"caption_id":"c1"}"#;
    let notice = Notice::decode("/internal/caption", "", caption).unwrap();
    // Captions only while the meeting is active: the core's rule.
    let err = shell
        .room
        .handle_notice(shell.now, notice.clone())
        .unwrap_err();
    assert_eq!(
        (err.status(), reason(&err).as_str()),
        (409, "MEETING_NOT_ACTIVE")
    );

    let start = Notice::decode("/internal/state", "", br#"{"state":"active","at_ms":1}"#).unwrap();
    assert_eq!(
        shell.room.handle_notice(shell.now, start).unwrap(),
        NoticeReply::Done
    );
    assert_eq!(
        shell.room.handle_notice(shell.now, notice).unwrap(),
        NoticeReply::Done
    );
    let read = Notice::decode("/internal/transcript", "after_seq=0", b"").unwrap();
    match shell.room.handle_notice(shell.now, read).unwrap() {
        NoticeReply::Json(body) => assert_eq!(body["chunks"][0]["text"], "hi"),
        other => panic!("{other:?}"),
    }

    shell.join("b", "bob", Participant);
    let revoke = Notice::decode(
        "/internal/member",
        "",
        br#"{"user_id":"bob","action":"revoke"}"#,
    )
    .unwrap();
    shell.room.handle_notice(shell.now, revoke).unwrap();
    shell.drain();
    assert_eq!(
        shell.socket("b").closed,
        Some((CloseCode::AccessRevoked, CloseReason::AccessRevoked))
    );

    // The end answers 2xx only once the final flush is in D1.
    let end = Notice::decode("/internal/end", "", br#"{"at_ms":5,"reason":"host"}"#).unwrap();
    assert_eq!(
        shell.room.handle_notice(shell.now, end.clone()).unwrap(),
        NoticeReply::AfterFlush
    );
    shell.drain();
    let err = shell.room.end_reply().unwrap_err();
    assert_eq!(
        (err.status(), reason(&err).as_str()),
        (503, "FINAL_FLUSH_PENDING")
    );
    let batch = shell.flushes.pop().expect("the final flush");
    shell.room.flush_done(shell.now, batch.upto).unwrap();
    shell.drain();
    assert!(shell.room.end_reply().is_ok());
    // Idempotent: a second end answers at once.
    assert_eq!(
        shell.room.handle_notice(shell.now, end).unwrap(),
        NoticeReply::AfterFlush
    );
    assert!(shell.room.end_reply().is_ok());
}

#[test]
fn a_woken_socket_without_an_attachment_is_closed_unknown_session() {
    let mut shell = Shell::active(RoomConfig::default());
    let err = shell.room.restore_session(sid("z"), None).unwrap_err();
    assert_eq!(err.code(), "UNKNOWN_SESSION");
    shell.drain();
    assert_eq!(
        shell.socket("z").closed,
        Some((CloseCode::ProtocolViolation, CloseReason::UnknownSession))
    );
}

/// Sockets that refuse every frame for one session.
struct Refusing {
    refuse: SessionId,
    sent: Vec<SessionId>,
}

impl Sockets for Refusing {
    fn send(&mut self, session: &SessionId, _text: &str) -> bool {
        self.sent.push(session.clone());
        session != &self.refuse
    }
    fn close(&mut self, _session: &SessionId, _reason: CloseReason) {}
    fn save(&mut self, _session: &SessionId, _state: &SessionState) {}
}

#[test]
fn r15_the_drain_loop_feeds_failed_sends_back_and_ends() {
    let mut shell = Shell::active(RoomConfig::default());
    shell.join("a", "alice", Host);
    shell.join("b", "bob", Participant);
    shell.json(
        "a",
        json!({"type": "chat.send", "client_ref": "m", "text": "hi"}),
    );
    // Undrained: a chat for a and b, then b refuses everything.
    let mut sockets = Refusing {
        refuse: sid("b"),
        sent: Vec::new(),
    };
    shell.room.handle_frame(
        shell.now,
        &sid("a"),
        Frame::Text(r#"{"type":"chat.send","client_ref":"n","text":"again"}"#),
    );
    let drained = shell.room.drain(shell.now, &mut sockets);
    assert!(sockets.sent.contains(&sid("a")));
    assert!(sockets.sent.iter().filter(|s| **s == sid("b")).count() >= 1);
    assert!(drained.flushes.is_empty());
    // The room still answers a afterwards.
    shell.json("a", json!({"type": "ping", "ref": "p"}));
    assert!(shell
        .take("a")
        .iter()
        .any(|m| matches!(m, ServerMsg::Pong { .. })));
}

/// U+FFFD pasted into free text is a character, not a decoding failure: the
/// runtime's text is parsed as usual when the character stands only inside
/// string values other than `type` and `ref` (R21).
#[test]
fn r21_a_replacement_character_in_free_text_is_kept_not_closed() {
    assert!(matches!(
        Frame::runtime_text("{\"type\":\"chat\",\"content\":\"caf\u{FFFD}\"}"),
        Frame::Text(_)
    ));
    assert!(matches!(
        Frame::runtime_text("{\"type\":\"op\",\"op\":[3,\"\u{FFFD}\"]}"),
        Frame::Text(_)
    ));
    for bad in [
        "{\"type\":\"pi\u{FFFD}g\"}",
        "{\"type\":\"ping\",\"ref\":\"\u{FFFD}\"}",
        "{\"type\":\"chat\",\"co\u{FFFD}tent\":\"x\"}",
        "{\"type\":\"chat\",\u{FFFD}",
        "\u{FFFD}",
    ] {
        assert!(
            matches!(Frame::runtime_text(bad), Frame::InvalidText { .. }),
            "{bad}"
        );
    }
}
