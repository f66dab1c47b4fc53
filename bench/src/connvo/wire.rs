//! The Connvo room's WebSocket protocol, version 1 (`docs/protocol.md`;
//! the room state machine in `shared/src/room/` is its executable form):
//! JSON text frames `{"type": …}` in both directions. The subset the
//! benchmark speaks:
//!
//! - `hello` `{protocol, client_id}` with no `subscribe` (every stream the
//!   role may read) and no `resume` (holding nothing); the room answers
//!   `welcome`, then `notes.snapshot {version, content}` and the other
//!   streams' catch-up;
//! - `notes.op {client_seq, base_version, op}` → `notes.ack {client_seq,
//!   version}` to the sender, `notes.ops {ops: [{version, op, client_id,
//!   client_seq, …}]}` (coalesced) to everyone, or `notes.reject`;
//! - `transcript.append {chunk: {text, confidence, start_ms, end_ms,
//!   final}}` → `transcript.chunks {chunks: [{seq, text, …}]}` to everyone,
//!   the sender included (its echo is its acknowledgement);
//! - `error`, `resync` (a stream fell behind and was dropped) and `goodbye`
//!   are reported as errors; presence, state, chat and pongs are ignored.
//!
//! Server frames are decoded with the room's own
//! `connvo_shared::room::protocol::ServerMsg` (the enum the room encodes
//! with), matched exhaustively: a frame type added to the room fails this
//! build until the benchmark decides what it means for the measurement.
//! Client frames are plain JSON, as a browser writes them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connvo_shared::ot::{CommittedOp, NotesClient, OpSubmission};
use connvo_shared::room::protocol::{ServerMsg, PROTOCOL_VERSION};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{connect, Inbound, Joined, Wire, Ws};

const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub struct ConnvoWire;

impl Wire for ConnvoWire {
    fn submit(&self, s: &OpSubmission) -> String {
        json!({
            "type": "notes.op",
            "client_seq": s.client_seq,
            "base_version": s.base_version,
            "op": s.op,
        })
        .to_string()
    }

    fn transcript(&self, text: &str) -> Option<String> {
        // A final result for the last two seconds of speech, as a recogniser sends.
        let end = unix_ms();
        Some(
            json!({
                "type": "transcript.append",
                "chunk": {
                    "text": text,
                    "confidence": 0.92,
                    "start_ms": end.saturating_sub(2_000),
                    "end_ms": end,
                    "final": true,
                    "language": "en-US",
                },
            })
            .to_string(),
        )
    }

    fn decode(&self, frame: &str, out: &mut Vec<Inbound>) -> Result<(), String> {
        let msg = ServerMsg::decode(frame).map_err(|e| {
            let head: String = frame.chars().take(200).collect();
            format!("{e}: {head}")
        })?;
        match msg {
            ServerMsg::NotesOps { ops } => {
                out.extend(ops.into_iter().map(|op| Inbound::Op(CommittedOp::from(op))));
            }
            ServerMsg::NotesAck {
                client_seq,
                version,
            } => out.push(Inbound::Ack {
                client_seq,
                version,
            }),
            ServerMsg::NotesReject {
                client_seq,
                code,
                content,
                version,
                ..
            } => out.push(Inbound::Reject {
                client_seq,
                code,
                content,
                version,
            }),
            ServerMsg::TranscriptChunks { chunks, truncated } => {
                if truncated {
                    out.push(Inbound::Error {
                        code: "TRANSCRIPT_TRUNCATED".into(),
                        message: "older transcript chunks were skipped".into(),
                    });
                }
                out.extend(chunks.into_iter().map(|c| Inbound::Transcript {
                    seq: Some(c.seq),
                    text: c.text,
                }));
            }
            ServerMsg::Error { code, message, .. } => out.push(Inbound::Error { code, message }),
            ServerMsg::Resync { stream } => out.push(Inbound::Error {
                code: "RESYNC".into(),
                message: format!(
                    "the room dropped queued {} frames (slow consumer)",
                    stream.as_str()
                ),
            }),
            ServerMsg::Goodbye { code, reason } => out.push(Inbound::Error {
                code: format!("GOODBYE_{code}"),
                message: reason,
            }),
            ServerMsg::NotesSnapshot { .. } => out.push(Inbound::Error {
                code: "NOTES_SNAPSHOT".into(),
                message: "a notes snapshot mid-session (the client fell behind)".into(),
            }),
            // Not measured: chat and prompts are not part of the workload;
            // presence, state, role changes and pongs carry no tagged payload.
            ServerMsg::Welcome { .. }
            | ServerMsg::ChatMessages { .. }
            | ServerMsg::PromptsItems { .. }
            | ServerMsg::ChatAck { .. }
            | ServerMsg::Presence { .. }
            | ServerMsg::State { .. }
            | ServerMsg::Role { .. }
            | ServerMsg::Pong { .. } => out.push(Inbound::Ignored),
        }
        Ok(())
    }
}

/// Opens a room socket at `url` (ticket included) as `client_id`, says
/// hello, and waits for the welcome and the notes snapshot.
pub async fn join(url: &str, client_id: &str) -> Result<Joined, String> {
    let mut ws: Ws = connect(url).await?;
    let hello = json!({"type": "hello", "protocol": PROTOCOL_VERSION, "client_id": client_id});
    ws.send(Message::Text(hello.to_string().into()))
        .await
        .map_err(|e| format!("sending hello: {e}"))?;
    let mut welcomed = false;
    let wait = async {
        while let Some(message) = ws.next().await {
            let message = message.map_err(|e| format!("room socket: {e}"))?;
            let text = match message {
                Message::Text(text) => text,
                Message::Close(close) => {
                    return Err(format!("the room closed the socket: {close:?}"))
                }
                _ => continue,
            };
            let frame = ServerMsg::decode(text.as_str())
                .map_err(|e| format!("undecodable room frame ({e}): {text}"))?;
            match frame {
                ServerMsg::Welcome { .. } => welcomed = true,
                ServerMsg::NotesSnapshot { version, content } if welcomed => {
                    return Ok((version, content));
                }
                ServerMsg::Error { code, message, .. } => {
                    return Err(format!("the room refused the hello: {code} {message}"))
                }
                ServerMsg::Goodbye { code, reason } => {
                    return Err(format!("the room said goodbye: {code} {reason}"))
                }
                _ => {}
            }
        }
        Err("the room closed the socket during the hello".to_owned())
    };
    let (version, content) = tokio::time::timeout(HELLO_TIMEOUT, wait)
        .await
        .map_err(|_| format!("no welcome and notes snapshot within {HELLO_TIMEOUT:?}"))??;
    let mut notes = NotesClient::new(client_id, content, version);
    notes.connect();
    Ok(Joined::ot(ws, notes, Box::new(ConnvoWire)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use connvo_shared::ot::Op;

    #[test]
    fn decodes_room_frames() {
        let w = ConnvoWire;
        let mut out = Vec::new();
        for frame in [
            r#"{"type":"notes.ack","client_seq":2,"version":7}"#,
            r#"{"type":"notes.ops","ops":[{"version":8,"op":[3,"a\n"],"author_id":"u",
                "client_id":"c","client_seq":1,"base_version":6,"committed_at_ms":5}]}"#,
            r#"{"type":"transcript.chunks","chunks":[{"seq":4,"speaker_id":"u","text":"t.1.2.3.4 hi",
                "confidence":0.9,"start_ms":1,"end_ms":2,"final":true,"language":null,
                "source":"participant","created_at_ms":3}]}"#,
            r#"{"type":"presence","full":true,"users":[]}"#,
            r#"{"type":"resync","stream":"transcript"}"#,
        ] {
            w.decode(frame, &mut out).unwrap();
        }
        assert!(matches!(
            out[0],
            Inbound::Ack {
                client_seq: 2,
                version: 7
            }
        ));
        assert!(matches!(&out[1], Inbound::Op(op) if op.version == 8 && op.transformed_over == 1));
        assert!(
            matches!(&out[2], Inbound::Transcript { seq: Some(4), text } if text.starts_with("t.1"))
        );
        assert!(matches!(out[3], Inbound::Ignored));
        assert!(matches!(&out[4], Inbound::Error { code, .. } if code == "RESYNC"));
        assert!(w.decode("{}", &mut out).is_err());
        assert!(w.decode(r#"{"type":"surprise"}"#, &mut out).is_err());
    }

    #[test]
    fn encodes_client_frames() {
        let w = ConnvoWire;
        let op: serde_json::Value = serde_json::from_str(&w.submit(&OpSubmission {
            client_id: "c".into(),
            client_seq: 3,
            base_version: 5,
            op: Op::insert_at(2, "x\n"),
        }))
        .unwrap();
        assert_eq!(
            op,
            json!({"type":"notes.op","client_seq":3,"base_version":5,"op":[2,"x\n"]})
        );
        let chunk: serde_json::Value =
            serde_json::from_str(&w.transcript("t.0.1.2.3 words").unwrap()).unwrap();
        assert_eq!(chunk["type"], "transcript.append");
        assert_eq!(chunk["chunk"]["text"], "t.0.1.2.3 words");
        assert!(chunk["chunk"]["end_ms"].as_u64() >= chunk["chunk"]["start_ms"].as_u64());
    }
}
