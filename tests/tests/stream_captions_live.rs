//! Issue 5, Stream's closed captions reaching the live transcript: a
//! participant opens the meeting's WebSocket (ticket → upgrade → the
//! MeetingRoom Durable Object), subscribes to the transcript, and a signed
//! `call.closed_caption` webhook shows up as a transcript chunk on the socket.
//!
//! These exercise the MeetingRoom Durable Object end to end (its `GET /ws`
//! upgrade and single-use tickets, protocol v1 `hello`/`transcript.chunks`
//! frames, `POST /internal/caption` and `/internal/member`; docs/protocol.md),
//! so they fail if the room does not answer those (a room without them
//! answers 404).

use std::time::Duration;

use connvo_e2e::fakes::stream::webhook_event;
use connvo_e2e::meet::{meeting_body, World};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `user`'s socket on the meeting and says hello, subscribed to the transcript.
async fn open(w: &World, id: &str, user: &str) -> Socket {
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/ws-ticket"),
            Some(user),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.body["ticket"].as_str().unwrap();
    let url = w
        .backend
        .ws_url(&format!("/v1/meetings/{id}/ws?ticket={ticket}"));
    let (mut ws, resp) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| panic!("the upgrade failed (is the room's /ws there?): {e}"));
    assert_eq!(resp.status().as_u16(), 101);
    let hello = json!({"type": "hello", "protocol": 1, "client_id": format!("e2e-{user}"),
                       "subscribe": ["transcript"]});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    ws
}

/// The next text frame matching `pred`, within `within`.
async fn next_frame(ws: &mut Socket, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("no matching frame in time")
            .expect("the socket closed")
            .expect("a socket error");
        if let Message::Text(text) = msg {
            let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            if pred(&frame) {
                return frame;
            }
        }
    }
}

#[tokio::test]
async fn a_closed_caption_reaches_the_live_transcript() {
    let w = World::start(&[HOST, GUEST]).await;
    let m = w
        .create_meeting(HOST, meeting_body("Captions", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let cid = w.wait_provisioned(HOST, &id).await["video"]["call_cid"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut ws = open(&w, &id, GUEST).await;
    next_frame(&mut ws, Duration::from_secs(10), |f| f["type"] == "welcome").await;

    let text = "Shall we start with the roadmap?";
    let caption = webhook_event(
        "call.closed_caption",
        &cid,
        json!({"closed_caption": {"id": "cc-e2e-1", "text": text, "speaker_id": HOST,
               "start_time": "2024-10-16T04:15:01.100Z", "end_time": "2024-10-16T04:15:03.400Z",
               "language": "en", "translated": false, "user": {"id": HOST}}}),
    );
    let a = w.webhook(&caption, "wh-cc-1").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "applied");
    let frame = next_frame(&mut ws, Duration::from_secs(10), |f| {
        f["type"] == "transcript.chunks" && f.to_string().contains(text)
    })
    .await;
    assert!(
        frame.to_string().contains(HOST),
        "the speaker is kept: {frame}"
    );

    // A redelivery under another webhook id carries the same caption id: it
    // reaches the room once.
    let a = w.webhook(&caption, "wh-cc-1-again").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "ignored");
    // (The outer timeout fires first: no such frame within 2 s.)
    let dup = tokio::time::timeout(
        Duration::from_secs(2),
        next_frame(&mut ws, Duration::from_secs(30), |f| {
            f["type"] == "transcript.chunks" && f.to_string().contains(text)
        }),
    )
    .await;
    assert!(dup.is_err(), "the same caption was appended twice");
}

#[tokio::test]
async fn a_ticket_opens_the_room_once_and_removal_closes_the_socket() {
    let w = World::start(&[HOST, GUEST]).await;
    let m = w
        .create_meeting(HOST, meeting_body("Sockets", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/ws-ticket"),
            Some(GUEST),
            None,
        )
        .await;
    let ticket = a.body["ticket"].as_str().unwrap().to_owned();
    let url = w
        .backend
        .ws_url(&format!("/v1/meetings/{id}/ws?ticket={ticket}"));
    let (mut ws, resp) = tokio_tungstenite::connect_async(url.clone())
        .await
        .expect("the first use of a ticket opens the socket");
    assert_eq!(resp.status().as_u16(), 101);
    // Single use: the same ticket again is refused by the room, either at
    // the upgrade or by closing the socket at once (4001 TICKET_INVALID).
    if let Ok((mut again, _)) = tokio_tungstenite::connect_async(url).await {
        let first = tokio::time::timeout(Duration::from_secs(5), again.next())
            .await
            .expect("the reused ticket's socket neither closed nor spoke");
        match first {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 4001, "{frame:?}")
            }
            None | Some(Err(_)) | Some(Ok(Message::Close(None))) => {}
            Some(Ok(other)) => panic!("a reused ticket got a live socket: {other:?}"),
        }
    }
    ws.send(Message::text(
        json!({"type": "hello", "protocol": 1, "client_id": "e2e"}).to_string(),
    ))
    .await
    .unwrap();
    next_frame(&mut ws, Duration::from_secs(10), |f| f["type"] == "welcome").await;
    // Removing the member closes their socket within a second.
    let a = w
        .call(
            "DELETE",
            &format!("/v1/meetings/{id}/participants/{GUEST}"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let closed = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the removed member's socket stayed open");
}
