//! ShareDB's WebSocket protocol (protocol 1.2, as in sharedb 7's
//! `lib/client/connection.js`, `lib/client/doc.js` and `lib/agent.js`),
//! the subset a text document needs:
//!
//! - the server opens with `{"a":"init",…}`; the client answers with the
//!   handshake `{"a":"hs","id":src,"protocol":1,"protocolMinor":2}` and the
//!   server confirms with `{"a":"hs","id":src,…}`. `src` names the client
//!   in every op it submits.
//! - create: `{"a":"op","c","d","src","seq","create":{"type","data"}}`.
//! - subscribe: `{"a":"s","c","d"}` → `{"a":"s","c","d","data":{"v","data","type"}}`,
//!   `v` being the number of ops so far (the create included).
//! - submit: `{"a":"op","c","d","v","src","seq","op"}`, `v` the version the
//!   op was made against. The ack is `{"a":"op","c","d","src","seq","v"}`
//!   with no `op`, `v` being the version it was committed at; others get
//!   `{"a":"op","c","d","v","src","seq","op"}`. A failure comes back as the
//!   request with an `error: {code, message}`.
//!
//! ShareDB's `v` is the version an op applies to; the notes client counts
//! the version an op produces, hence the `+ 1`s below.

use std::time::Duration;

use connvo_shared::ot::{CommittedOp, NotesClient, Op, OpSubmission};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{connect, Inbound, Joined, Wire, Ws};

const COLLECTION: &str = "notes";
/// `ot-text-unicode`'s type URI, which the server script registers.
const TEXT_UNICODE: &str = "http://sharejs.org/types/text-unicode";
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
struct Frame {
    a: String,
    #[serde(default)]
    d: Option<String>,
    #[serde(default)]
    src: Option<String>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    v: Option<u64>,
    #[serde(default)]
    op: Option<Op>,
    #[serde(default)]
    create: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    data: Option<Snapshot>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
struct Snapshot {
    v: u64,
    #[serde(default)]
    data: Option<String>,
    #[serde(default, rename = "type")]
    type_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: serde_json::Value,
    #[serde(default)]
    message: String,
}

impl ErrorBody {
    fn code(&self) -> String {
        match &self.code {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// One participant's view of the protocol: its doc and its `src`.
pub struct ShareDbWire {
    doc: String,
    src: String,
}

impl Wire for ShareDbWire {
    fn submit(&self, s: &OpSubmission) -> String {
        json!({
            "a": "op", "c": COLLECTION, "d": self.doc,
            "v": s.base_version, "src": s.client_id, "seq": s.client_seq, "op": s.op,
        })
        .to_string()
    }

    fn transcript(&self, _text: &str) -> Option<String> {
        None
    }

    fn decode(&self, frame: &str, out: &mut Vec<Inbound>) -> Result<(), String> {
        let f: Frame = serde_json::from_str(frame).map_err(|e| format!("{e}: {frame}"))?;
        if let Some(error) = &f.error {
            out.push(Inbound::Error {
                code: error.code(),
                message: error.message.clone(),
            });
            return Ok(());
        }
        if f.a != "op" || f.d.as_deref() != Some(self.doc.as_str()) || f.create.is_some() {
            out.push(Inbound::Ignored);
            return Ok(());
        }
        let (Some(src), Some(seq), Some(v)) = (f.src, f.seq, f.v) else {
            return Err(format!("op without src, seq or v: {frame}"));
        };
        match f.op {
            Some(op) => out.push(Inbound::Op(CommittedOp {
                version: v + 1,
                op,
                author_id: String::new(),
                client_id: src,
                client_seq: seq,
                base_version: v,
                transformed_over: 0,
                committed_at_ms: 0,
            })),
            None if src == self.src => out.push(Inbound::Ack {
                client_seq: seq,
                version: v + 1,
            }),
            None => out.push(Inbound::Ignored),
        }
        Ok(())
    }
}

async fn send(ws: &mut Ws, value: serde_json::Value) -> Result<(), String> {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .map_err(|e| format!("ShareDB send: {e}"))
}

/// Reads frames until one satisfies `wanted`, failing on a ShareDB error.
async fn expect(ws: &mut Ws, what: &str, wanted: impl Fn(&Frame) -> bool) -> Result<Frame, String> {
    let read = async {
        while let Some(message) = ws.next().await {
            let message = message.map_err(|e| format!("ShareDB socket: {e}"))?;
            let Message::Text(text) = message else {
                continue;
            };
            let frame: Frame =
                serde_json::from_str(text.as_str()).map_err(|e| format!("{e}: {text}"))?;
            if let Some(error) = &frame.error {
                return Err(format!(
                    "ShareDB refused {what}: {} {}",
                    error.code(),
                    error.message
                ));
            }
            if wanted(&frame) {
                return Ok(frame);
            }
        }
        Err(format!(
            "ShareDB closed the socket while waiting for {what}"
        ))
    };
    tokio::time::timeout(SETUP_TIMEOUT, read)
        .await
        .map_err(|_| format!("ShareDB did not answer {what} within {SETUP_TIMEOUT:?}"))?
}

/// Connects `participants` clients to meeting `meeting`'s document,
/// creating it first (empty) from the first client.
pub async fn join_meeting(
    url: &str,
    meeting: u32,
    participants: u32,
) -> Result<Vec<Joined>, String> {
    let doc = format!("m{meeting}");
    let mut joined = Vec::new();
    for p in 0..participants {
        let src = format!("m{meeting}p{p}");
        let mut ws = connect(url).await?;
        send(
            &mut ws,
            json!({"a": "hs", "id": src, "protocol": 1, "protocolMinor": 2}),
        )
        .await?;
        expect(&mut ws, "the handshake", |f| f.a == "hs").await?;
        if p == 0 {
            // Created under its own src, so this client's op seqs still start at 1.
            let creator = format!("{src}-create");
            send(
                &mut ws,
                json!({"a": "op", "c": COLLECTION, "d": doc, "src": creator, "seq": 1,
                       "create": {"type": TEXT_UNICODE, "data": ""}}),
            )
            .await?;
            expect(&mut ws, "the create", |f| {
                f.a == "op" && f.src.as_deref() == Some(creator.as_str())
            })
            .await?;
        }
        send(&mut ws, json!({"a": "s", "c": COLLECTION, "d": doc})).await?;
        let frame = expect(&mut ws, "the subscribe", |f| {
            f.a == "s" && f.d.as_deref() == Some(doc.as_str())
        })
        .await?;
        let snapshot = frame.data.ok_or("subscribe answer without a snapshot")?;
        if snapshot.type_uri.as_deref() != Some(TEXT_UNICODE) {
            return Err(format!(
                "document {doc} has type {:?}, not text-unicode",
                snapshot.type_uri
            ));
        }
        let mut notes =
            NotesClient::new(src.clone(), snapshot.data.unwrap_or_default(), snapshot.v);
        notes.connect();
        let wire: Box<dyn Wire> = Box::new(ShareDbWire {
            doc: doc.clone(),
            src,
        });
        joined.push(Joined::ot(ws, notes, wire));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire() -> ShareDbWire {
        ShareDbWire {
            doc: "m0".into(),
            src: "m0p1".into(),
        }
    }

    #[test]
    fn decodes_acks_ops_and_errors() {
        let mut out = Vec::new();
        let w = wire();
        w.decode(
            r#"{"src":"m0p1","seq":3,"v":7,"a":"op","c":"notes","d":"m0"}"#,
            &mut out,
        )
        .unwrap();
        w.decode(
            r#"{"a":"op","c":"notes","d":"m0","v":8,"src":"m0p2","seq":1,"op":[2,"x\n",{"d":1}]}"#,
            &mut out,
        )
        .unwrap();
        w.decode(
            r#"{"a":"op","c":"notes","d":"m0","v":0,"src":"m0p0-create","seq":1,"create":{"type":"t","data":""}}"#,
            &mut out,
        )
        .unwrap();
        w.decode(
            r#"{"a":"op","d":"m0","error":{"code":"ERR_X","message":"no"}}"#,
            &mut out,
        )
        .unwrap();
        assert!(matches!(
            out[0],
            Inbound::Ack {
                client_seq: 3,
                version: 8
            }
        ));
        match &out[1] {
            Inbound::Op(op) => {
                assert_eq!((op.version, op.client_seq), (9, 1));
                assert_eq!(
                    serde_json::to_string(&op.op).unwrap(),
                    r#"[2,"x\n",{"d":1}]"#
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(out[2], Inbound::Ignored));
        assert!(matches!(&out[3], Inbound::Error { code, .. } if code == "ERR_X"));
    }

    #[test]
    fn encodes_submissions_against_the_base_version() {
        let frame = wire().submit(&OpSubmission {
            client_id: "m0p1".into(),
            client_seq: 4,
            base_version: 9,
            op: Op::insert_at(1, "y\n"),
        });
        let v: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(
            v,
            json!({"a":"op","c":"notes","d":"m0","v":9,"src":"m0p1","seq":4,"op":[1,"y\n"]})
        );
    }
}
