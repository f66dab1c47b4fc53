//! Issue 4 against the real runtime: the MeetingRoom Durable Object behind
//! the worker's ticketed WebSocket route. Notes converge across concurrent
//! and offline editors, transcript chunks reach every subscriber in order,
//! resume returns exactly the missed tail, a runtime restart loses nothing
//! acknowledged, and bad frames affect only their sender.

use std::time::Duration;

use connvo_e2e::room::{connect, meeting, user, Session, User};
use connvo_e2e::Backend;
use connvo_shared::ot::{gen, NotesClient, Op};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// One editing participant: a socket plus the OT client state machine.
struct Editor {
    session: Session,
    notes: NotesClient,
}

impl Editor {
    async fn join(b: &Backend, u: &User, meeting_id: &str, client_id: &str) -> Editor {
        let mut session = connect(b, u, meeting_id).await;
        let mut notes = NotesClient::new(client_id, String::new(), 0);
        let version = notes.connect();
        session
            .hello(client_id, json!({"notes_version": version}))
            .await;
        Editor { session, notes }
    }

    async fn submit_pending(&mut self) {
        if let Some(sub) = self.notes.poll_submit() {
            self.session
                .send(json!({"type": "notes.op", "client_seq": sub.client_seq,
                    "base_version": sub.base_version, "op": sub.op.to_json_value()}))
                .await;
        }
    }

    /// Feeds every notes frame that arrives within `wait` to the client.
    async fn pump(&mut self, wait: Duration) {
        while let Some(frame) = self.session.next(wait).await {
            self.feed(&frame);
            self.submit_pending().await;
        }
    }

    fn feed(&mut self, frame: &Value) {
        match frame["type"].as_str() {
            Some("notes.ops") => {
                for op in frame["ops"].as_array().into_iter().flatten() {
                    let wire: connvo_shared::room::protocol::WireOp =
                        serde_json::from_value(op.clone()).expect("wire op");
                    self.notes.handle_op(&wire.into()).expect("op applies");
                }
            }
            Some("notes.ack") => {
                let seq = frame["client_seq"].as_u64().unwrap();
                let version = frame["version"].as_u64().unwrap();
                self.notes.handle_ack(seq, version).expect("ack matches");
            }
            Some("notes.snapshot") => {
                let content = frame["content"].as_str().unwrap();
                let version = frame["version"].as_u64().unwrap();
                self.notes.reset(content.to_owned(), version);
            }
            Some("notes.reject") => {
                let seq = frame["client_seq"].as_u64().unwrap();
                let content = frame["content"].as_str().unwrap();
                let version = frame["version"].as_u64().unwrap();
                self.notes.handle_reject(seq, content.to_owned(), version);
            }
            _ => {}
        }
    }

    async fn edit(&mut self, rng: &mut u64) {
        let op: Op = gen::random_op(rng, self.notes.char_len());
        self.notes.edit(op).expect("local edit applies");
        self.submit_pending().await;
    }
}

async fn three_people(b: &Backend) -> (User, User, User, String) {
    let host = user(b, "user_host").await;
    let p1 = user(b, "user_p1").await;
    let p2 = user(b, "user_p2").await;
    let m = meeting(b, &host, &[(&p1, "participant"), (&p2, "cohost")], true).await;
    (host, p1, p2, m)
}

#[tokio::test]
async fn three_clients_edit_at_once_and_converge() {
    let b = Backend::start().await;
    let (host, p1, p2, m) = three_people(&b).await;
    let mut eds = [
        Editor::join(&b, &host, &m, "c_host").await,
        Editor::join(&b, &p1, &m, "c_p1").await,
        Editor::join(&b, &p2, &m, "c_p2").await,
    ];
    let mut rng = 42u64;
    for _round in 0..15 {
        for ed in eds.iter_mut() {
            ed.edit(&mut rng).await;
        }
        for ed in eds.iter_mut() {
            ed.pump(Duration::from_millis(30)).await;
        }
    }
    for _ in 0..20 {
        for ed in eds.iter_mut() {
            ed.pump(Duration::from_millis(100)).await;
        }
        if eds.iter().all(|e| !e.notes.has_unacked()) {
            break;
        }
    }
    let texts: Vec<&str> = eds.iter().map(|e| e.notes.content()).collect();
    assert!(
        eds.iter().all(|e| !e.notes.has_unacked()),
        "unacked ops remain"
    );
    assert!(!texts[0].is_empty());
    assert_eq!(texts[0], texts[1]);
    assert_eq!(texts[1], texts[2]);
    // A fresh joiner gets the same document.
    let mut late = Editor::join(&b, &host, &m, "c_late").await;
    late.pump(Duration::from_millis(300)).await;
    assert_eq!(late.notes.content(), texts[0]);
}

#[tokio::test]
async fn an_offline_client_edits_reconnects_and_converges() {
    let b = Backend::start().await;
    let (host, p1, _p2, m) = three_people(&b).await;
    let mut online = Editor::join(&b, &host, &m, "c_on").await;
    let mut offline = Editor::join(&b, &p1, &m, "c_off").await;
    let mut rng = 7u64;
    online.edit(&mut rng).await;
    online.pump(Duration::from_millis(200)).await;
    offline.pump(Duration::from_millis(200)).await;

    // Go offline: the socket closes, edits queue locally.
    offline.session.send_raw(Message::Close(None)).await;
    offline.notes.disconnect();
    for _ in 0..5 {
        let op = gen::random_op(&mut rng, offline.notes.char_len());
        offline.notes.edit(op).expect("offline edit");
        online.edit(&mut rng).await;
        online.pump(Duration::from_millis(30)).await;
    }
    // Reconnect on a new socket and resume from the last version seen.
    let mut session = connect(&b, &p1, &m).await;
    let version = offline.notes.connect();
    session
        .hello("c_off", json!({"notes_version": version}))
        .await;
    offline.session = session;
    offline.submit_pending().await;
    for _ in 0..30 {
        offline.pump(Duration::from_millis(50)).await;
        online.pump(Duration::from_millis(50)).await;
        if !offline.notes.has_unacked() && !online.notes.has_unacked() {
            break;
        }
    }
    online.pump(Duration::from_millis(200)).await;
    assert!(!offline.notes.has_unacked());
    assert_eq!(offline.notes.content(), online.notes.content());
}

fn chunk(text: &str, start: u64) -> Value {
    json!({"type": "transcript.append", "chunk": {"text": text, "confidence": 0.9,
        "start_ms": start, "end_ms": start + 500, "final": true, "language": "en"}})
}

fn seqs(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f["type"] == "transcript.chunks")
        .flat_map(|f| f["chunks"].as_array().cloned().unwrap_or_default())
        .map(|c| c["seq"].as_u64().unwrap())
        .collect()
}

async fn collect(s: &mut Session, wait: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(f) = s.next(wait).await {
        out.push(f);
    }
    out
}

#[tokio::test]
async fn transcript_chunks_reach_every_subscriber_in_order_and_resume_returns_the_tail() {
    let b = Backend::start().await;
    let (host, p1, p2, m) = three_people(&b).await;
    let mut speaker = connect(&b, &host, &m).await;
    speaker.hello("c_s", json!({})).await;
    let mut a = connect(&b, &p1, &m).await;
    a.hello("c_a", json!({})).await;
    let mut c = connect(&b, &p2, &m).await;
    c.hello("c_c", json!({})).await;

    for i in 0..30u64 {
        speaker.send(chunk(&format!("line {i}"), i * 1000)).await;
    }
    let got_a = seqs(&collect(&mut a, Duration::from_millis(800)).await);
    let got_c = seqs(&collect(&mut c, Duration::from_millis(300)).await);
    let expected: Vec<u64> = (1..=30).collect();
    assert_eq!(got_a, expected, "subscriber a");
    assert_eq!(got_c, expected, "subscriber c");

    // a drops after seq 30; ten more lines are said; a resumes from 30.
    a.send_raw(Message::Close(None)).await;
    for i in 30..40u64 {
        speaker.send(chunk(&format!("line {i}"), i * 1000)).await;
    }
    let _ = collect(&mut c, Duration::from_millis(500)).await;
    let mut a2 = connect(&b, &p1, &m).await;
    a2.hello("c_a", json!({"transcript_seq": 30})).await;
    let tail = seqs(&collect(&mut a2, Duration::from_millis(800)).await);
    assert_eq!(
        tail,
        (31..=40).collect::<Vec<u64>>(),
        "exactly the missed tail"
    );
}

#[tokio::test]
async fn a_runtime_restart_loses_nothing_acknowledged() {
    let mut b = Backend::start().await;
    let (host, p1, _p2, m) = three_people(&b).await;
    let mut ed = Editor::join(&b, &host, &m, "c_r").await;
    let mut rng = 99u64;
    for _ in 0..10 {
        ed.edit(&mut rng).await;
        ed.pump(Duration::from_millis(50)).await;
    }
    ed.pump(Duration::from_millis(300)).await;
    assert!(
        !ed.notes.has_unacked(),
        "every edit acknowledged before the restart"
    );
    ed.session.send(chunk("said before the restart", 0)).await;
    ed.session.until(|f| f["type"] == "transcript.chunks").await;
    ed.session
        .send(json!({"type": "chat.send", "client_ref": "m1", "text": "hello before restart"}))
        .await;
    ed.session.until(|f| f["type"] == "chat.ack").await;
    let acked = ed.notes.content().to_owned();
    drop(ed);

    b.restart().await;

    let mut again = Editor::join(&b, &p1, &m, "c_after").await;
    let frames = collect(&mut again.session, Duration::from_millis(800)).await;
    for f in &frames {
        again.feed(f);
    }
    assert_eq!(again.notes.content(), acked, "notes survive the restart");
    assert_eq!(seqs(&frames), vec![1], "the transcript line survives");
    let chats: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "chat.messages")
        .flat_map(|f| f["messages"].as_array().into_iter().flatten())
        .collect();
    assert!(
        chats.iter().any(|m| m["text"] == "hello before restart"),
        "chat survives: {frames:?}"
    );
}

#[tokio::test]
async fn bad_frames_affect_only_their_sender() {
    let b = Backend::start().await;
    let (host, p1, _p2, m) = three_people(&b).await;
    let mut good = connect(&b, &host, &m).await;
    good.hello("c_good", json!({})).await;
    let mut bad = connect(&b, &p1, &m).await;
    bad.hello("c_bad", json!({})).await;
    let _ = collect(&mut good, Duration::from_millis(200)).await;

    bad.send_raw(Message::text("{not json")).await;
    let e = bad.until(|f| f["type"] == "error").await;
    assert!(e["code"].is_string());
    bad.send(json!({"type": "no.such.type"})).await;
    bad.until(|f| f["type"] == "error").await;
    bad.send(json!({"type": "notes.op", "client_seq": 1, "base_version": 0, "op": [5, "x"]}))
        .await;
    bad.until(|f| f["type"] == "notes.reject" || f["type"] == "error")
        .await;
    bad.send(json!({"type": "chat.send", "client_ref": "x", "text": "y".repeat(5000)}))
        .await;
    bad.until(|f| f["type"] == "error").await;
    // Nothing of that reached the other session.
    let seen = collect(&mut good, Duration::from_millis(400)).await;
    assert!(
        seen.iter()
            .all(|f| f["type"] != "error" && f["type"] != "notes.ops"),
        "the good session saw: {seen:?}"
    );
    // An oversized frame closes only its sender, with 1009.
    bad.send_raw(Message::text("x".repeat(70 * 1024))).await;
    assert_eq!(bad.closed(Duration::from_secs(5)).await, Some(1009));
    // The room and the good session carry on.
    good.send(chunk("still here", 0)).await;
    good.until(|f| f["type"] == "transcript.chunks").await;
}

#[tokio::test]
async fn roles_tickets_and_revocation_are_enforced_live() {
    let b = Backend::start().await;
    let host = user(&b, "user_h").await;
    let obs = user(&b, "user_obs").await;
    let part = user(&b, "user_part").await;
    let outsider = user(&b, "user_out").await;
    let m = meeting(
        &b,
        &host,
        &[(&obs, "observer"), (&part, "participant")],
        true,
    )
    .await;

    // A non-participant never gets a ticket.
    let (status, body) = connvo_e2e::room::ticket(&b, &outsider, &m).await;
    assert_eq!(status, 403, "{body}");

    // A ticket is single-use.
    let (status, body) = connvo_e2e::room::ticket(&b, &part, &m).await;
    assert_eq!(status, 200);
    let t = body["ticket"].as_str().unwrap().to_owned();
    let mut first = connvo_e2e::room::connect_with_ticket(&b, &m, &t)
        .await
        .unwrap();
    first.hello("c_part", json!({})).await;
    let replay = connvo_e2e::room::connect_with_ticket(&b, &m, &t).await;
    match replay {
        Err(_) => {}
        Ok(mut s) => assert_eq!(s.closed(Duration::from_secs(5)).await, Some(4001)),
    }

    // An observer reads but cannot write notes.
    let mut o = connect(&b, &obs, &m).await;
    o.hello("c_obs", json!({})).await;
    o.send(json!({"type": "notes.op", "client_seq": 1, "base_version": 0, "op": ["hi"]}))
        .await;
    let refused = o
        .until(|f| f["type"] == "notes.reject" || f["type"] == "error")
        .await;
    assert_eq!(refused["code"], "FORBIDDEN", "{refused}");

    // Removing the participant closes their open socket within a second.
    let (status, body) = connvo_e2e::room::call(
        &b,
        &host,
        "DELETE",
        &format!("/v1/meetings/{m}/participants/{}", part.id),
        None,
    )
    .await;
    assert!(status == 200 || status == 204, "remove: {status} {body}");
    let code = first.closed(Duration::from_secs(1)).await;
    assert_eq!(
        code,
        Some(4003),
        "revoked socket closes with 4003 within 1 s"
    );
}

#[tokio::test]
async fn transcript_reads_back_by_sequence_and_time_and_is_aggregated_after_the_end() {
    let b = Backend::start().await;
    let (host, p1, _p2, m) = three_people(&b).await;
    let mut s = connect(&b, &host, &m).await;
    s.hello("c_t", json!({})).await;
    // Two speaker turns: host for 0..3 s, then a caption-like turn by p1's
    // socket would need p1; the host's own lines plus a long gap make two segments.
    for i in 0..4u64 {
        s.send(chunk(&format!("roadmap planning item {i}"), i * 1000))
            .await;
    }
    for i in 0..3u64 {
        s.send(chunk(
            &format!("pricing review point {i}"),
            60_000 + i * 1000,
        ))
        .await;
    }
    let mut got = 0;
    while got < 7 {
        let f = s.until(|f| f["type"] == "transcript.chunks").await;
        got += f["chunks"].as_array().map_or(0, Vec::len);
    }

    let (status, body) = connvo_e2e::room::call(
        &b,
        &p1,
        "GET",
        &format!("/v1/meetings/{m}/transcript?after_seq=2&limit=3"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seqs: Vec<u64> = body["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![3, 4, 5]);
    assert_eq!(body["next_after_seq"], 5);
    let (status, body) = connvo_e2e::room::call(
        &b,
        &p1,
        "GET",
        &format!("/v1/meetings/{m}/transcript?from_ms=60000&to_ms=70000"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chunks"].as_array().unwrap().len(), 3);
    let (status, _) = connvo_e2e::room::call(
        &b,
        &p1,
        "GET",
        &format!("/v1/meetings/{m}/transcript?limit=501"),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let outsider = user(&b, "user_nosy").await;
    let (status, _) = connvo_e2e::room::call(
        &b,
        &outsider,
        "GET",
        &format!("/v1/meetings/{m}/transcript"),
        None,
    )
    .await;
    assert_eq!(status, 403, "a non-participant reads nothing");

    // Ending flushes the room, then the aggregation job writes segments.
    let (status, body) =
        connvo_e2e::room::call(&b, &host, "POST", &format!("/v1/meetings/{m}/end"), None).await;
    assert_eq!(status, 200, "{body}");
    let mut segments = Vec::new();
    for _ in 0..100 {
        let (status, body) = connvo_e2e::room::call(
            &b,
            &host,
            "GET",
            &format!("/v1/meetings/{m}/segments"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        segments = body["segments"].as_array().cloned().unwrap_or_default();
        if !segments.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        segments.len(),
        2,
        "two turns split by the minute of silence: {segments:?}"
    );
    assert!(segments[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("roadmap planning item 0"));
    assert_eq!(segments[0]["speaker_id"], host.id);
    assert!(segments[1]["topics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "pricing"));

    // M28 (docs/matching.md): after the call, each aggregated segment is
    // embedded once (the local embedder by default), with its provenance.
    let sql = format!(
        "SELECT e.source_id, e.model, e.dim FROM embeddings e \
         JOIN transcript_segments s ON s.id = e.source_id \
         WHERE e.source_type = 'transcript_segment' AND s.meeting_id = '{m}'"
    );
    let mut embedded = Vec::new();
    for _ in 0..100 {
        embedded = connvo_e2e::d1::query(b.state_dir(), &sql, &[]);
        if embedded.len() == segments.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        embedded.len(),
        segments.len(),
        "one vector per segment: {embedded:?}\n{}",
        b.log_tail()
    );
    assert!(
        embedded.iter().all(|r| r["dim"].as_i64().unwrap_or(0) > 0),
        "{embedded:?}"
    );
}

// ---------------------------------------------------------------------------
// Issue 11, faults 2 and 4 (the room's refusals). Kept together, apart from
// the tests above and from other areas' tests appended to this file.
// ---------------------------------------------------------------------------

mod room_refusals {
    use std::time::{Duration, Instant};

    use connvo_e2e::room::{connect, ticket, user};
    use connvo_e2e::Backend;
    use futures::SinkExt;
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::{Error as WsError, Message};

    /// Issue 11, fault 2: a replayed ticket used to get `101`, silence, an
    /// ignored hello and a 4001 close 10–15 s later. Like every other bad
    /// ticket it is now refused before the upgrade: HTTP 401, reason
    /// `TICKET_REPLAYED`, at once.
    #[tokio::test]
    async fn a_replayed_ticket_is_refused_before_the_upgrade() {
        let b = Backend::start().await;
        let host = user(&b, "user_rh").await;
        let part = user(&b, "user_rp").await;
        let m = super::meeting(&b, &host, &[(&part, "participant")], true).await;
        let (status, body) = ticket(&b, &part, &m).await;
        assert_eq!(status, 200, "{body}");
        let t = body["ticket"].as_str().unwrap().to_owned();
        let url = b.ws_url(&format!("/v1/meetings/{m}/ws?ticket={t}"));
        let (mut first, resp) = tokio_tungstenite::connect_async(url.clone())
            .await
            .expect("the first use of the ticket opens the socket");
        assert_eq!(resp.status().as_u16(), 101);
        first
            .send(Message::text(
                json!({"type": "hello", "protocol": 1, "client_id": "c_first"}).to_string(),
            ))
            .await
            .unwrap();
        let welcome = tokio::time::timeout(
            Duration::from_secs(10),
            futures::StreamExt::next(&mut first),
        )
        .await;
        assert!(
            matches!(&welcome, Ok(Some(Ok(Message::Text(t)))) if t.contains("welcome")),
            "{welcome:?}"
        );

        let started = Instant::now();
        let replay = tokio::time::timeout(
            Duration::from_secs(3),
            tokio_tungstenite::connect_async(url),
        )
        .await
        .expect("the replayed ticket's upgrade was answered within 3 s");
        match replay {
            Err(WsError::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 401, "{resp:?}");
            }
            Err(other) => panic!("the replay failed without an HTTP answer: {other}"),
            Ok((mut ws, resp)) => {
                // What main did: 101, then silence until the client spoke.
                let quiet =
                    tokio::time::timeout(Duration::from_secs(3), futures::StreamExt::next(&mut ws))
                        .await;
                let quiet_at = started.elapsed();
                let _ = ws
                    .send(Message::text(
                        json!({"type": "hello", "protocol": 1, "client_id": "c_replay"})
                            .to_string(),
                    ))
                    .await;
                let after_hello =
                    tokio::time::timeout(Duration::from_secs(3), futures::StreamExt::next(&mut ws))
                        .await;
                panic!(
                    "a replayed ticket was upgraded ({}); it got {quiet:?} ({quiet_at:?} \
                     after the request), then after a hello {after_hello:?}",
                    resp.status(),
                );
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "refused at once, not after {:?}",
            started.elapsed()
        );
        // The refusal is the API's error (tungstenite does not keep the
        // body): the same replayed upgrade, read as plain HTTP.
        let resp = reqwest::Client::new()
            .get(b.url(&format!("/v1/meetings/{m}/ws?ticket={t}")))
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await
            .expect("the replayed upgrade as plain HTTP");
        assert_eq!(resp.status().as_u16(), 401);
        let body: Value = resp.json().await.expect("an error body");
        assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{body}");
        assert_eq!(
            body["error"]["details"]["reason"], "TICKET_REPLAYED",
            "{body}"
        );
        // The first socket is untouched.
        first
            .send(Message::text(
                json!({"type": "ping", "ref": "p1"}).to_string(),
            ))
            .await
            .unwrap();
        loop {
            let next =
                tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut first))
                    .await;
            match next {
                Ok(Some(Ok(Message::Text(t)))) if t.contains("pong") => break,
                Ok(Some(Ok(Message::Text(_)))) => continue,
                other => panic!("the first socket: {other:?}"),
            }
        }
    }

    /// Issue 11, fault 4: a text frame that is not UTF-8 used to get an
    /// `UNKNOWN_TYPE` error frame. RFC 6455 §8.1: fail the connection, with
    /// 1007 (docs/protocol.md, R21). Only the sender is affected.
    #[tokio::test]
    async fn invalid_utf8_in_a_text_frame_closes_its_sender_with_1007() {
        let b = Backend::start().await;
        let host = user(&b, "user_uh").await;
        let part = user(&b, "user_up").await;
        let m = super::meeting(&b, &host, &[(&part, "participant")], true).await;
        let mut good = connect(&b, &host, &m).await;
        good.hello("c_good8", json!({})).await;
        let mut bad = connect(&b, &part, &m).await;
        bad.hello("c_bad8", json!({})).await;

        // `{"type":"ping","ref":"<ff fe>"}`: valid JSON around bytes that are not UTF-8.
        let mut bytes = br#"{"type":"ping","ref":""#.to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(br#""}"#);
        bad.send_raw(Message::Frame(Frame::message(
            bytes,
            OpCode::Data(Data::Text),
            true,
        )))
        .await;
        let mut frames = Vec::new();
        let code = loop {
            match bad.next(Duration::from_secs(5)).await {
                Some(f) if f["type"] == "__close" => break f["code"].as_u64(),
                Some(f) => frames.push(f),
                None => break None,
            }
        };
        assert_eq!(code, Some(1007), "closed with 1007; before it: {frames:?}");
        assert!(
            frames
                .iter()
                .all(|f| f["type"] != "error" && f["type"] != "pong"),
            "the frame was not answered as if it were text: {frames:?}"
        );
        if let Some(goodbye) = frames.iter().find(|f| f["type"] == "goodbye") {
            assert_eq!(goodbye["code"], 1007);
            assert_eq!(goodbye["reason"], "INVALID_UTF8");
        }
        // The rest of the room carries on.
        good.send(super::chunk("after the bad frame", 0)).await;
        good.until(|f| f["type"] == "transcript.chunks").await;
    }
}

/// Issue 11, fault 5 (protocol rule R22): ops that normalise to nothing are
/// acknowledged at the current version, not stored and not broadcast.
#[tokio::test]
async fn empty_notes_ops_create_no_version_and_reach_nobody() {
    let b = Backend::start().await;
    let (host, p1, _p2, m) = three_people(&b).await;
    let mut writer = connect(&b, &host, &m).await;
    writer.hello("c_w", json!({})).await;
    let mut reader = connect(&b, &p1, &m).await;
    reader.hello("c_r", json!({})).await;
    writer
        .send(json!({"type": "notes.op", "client_seq": 1, "base_version": 0, "op": ["abc"]}))
        .await;
    let ack = writer.until(|f| f["type"] == "notes.ack").await;
    assert_eq!(ack["version"], 1);
    let _ = collect(&mut reader, Duration::from_millis(400)).await;

    for (seq, nothing) in [(2, json!([])), (3, json!([0])), (4, json!([""]))] {
        writer
            .send(json!({"type": "notes.op", "client_seq": seq, "base_version": 1, "op": nothing}))
            .await;
        let ack = writer
            .until(|f| f["type"] == "notes.ack" || f["type"] == "notes.reject")
            .await;
        assert_eq!(
            (
                ack["type"].as_str(),
                ack["client_seq"].as_u64(),
                ack["version"].as_u64()
            ),
            (Some("notes.ack"), Some(seq), Some(1)),
            "{nothing} is acked at the current version: {ack}"
        );
    }
    let seen = collect(&mut reader, Duration::from_millis(500)).await;
    assert!(
        seen.iter().all(|f| f["type"] != "notes.ops"),
        "an empty op was broadcast: {seen:?}"
    );
    // The next real op is version 2, and a fresh joiner sees one version of history.
    writer
        .send(json!({"type": "notes.op", "client_seq": 5, "base_version": 1, "op": [3, "d"]}))
        .await;
    let ack = writer.until(|f| f["type"] == "notes.ack").await;
    assert_eq!(ack["version"], 2, "{ack}");
    let mut late = connect(&b, &p1, &m).await;
    let welcome = late.hello("c_late", json!({"notes_version": 0})).await;
    assert_eq!(welcome["heads"]["notes_version"], 2, "{welcome}");
}
