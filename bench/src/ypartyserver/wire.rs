//! y-partyserver's WebSocket protocol as a y-websocket client speaks it
//! (y-protocols 1.x, binary frames; the messages' encoding comes from
//! `yrs::sync`, the Rust port of y-protocols):
//!
//! - a frame is a varuint message type then its body: `messageSync` (0)
//!   carries a sync message, `messageAwareness` (1) an awareness update
//!   (ignored here: the benchmark measures the document, not presence);
//! - sync messages are `step1` (0, a state vector: "send me what I lack"),
//!   `step2` (1, an update answering a step 1) and `update` (2, a change).
//!   The server opens with its step 1; the client answers with a step 2 and
//!   sends its own step 1, whose step 2 is the document so far.
//! - every change is an `update` frame the server applies and then sends to
//!   every connection of the room, **the sender included**. That echo is the
//!   only acknowledgement Yjs has: it says the server applied the update and
//!   broadcast it, not that it was stored (see the peer's `src/index.js`).
//!
//! [`YjsReplica`] is one participant's copy of the notes: a Yjs document
//! whose text the edit rule changes ([`NotesText`]), the frames that carry
//! its edits, and the decoding of what arrives: someone else's text, merged
//! into the document, and echoes of our own edits, which acknowledge them.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::read::Cursor;
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::types::text::TextEvent;
use yrs::types::Delta;
use yrs::types::Observable;
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Any, ClientID, Doc, GetString, OffsetKind, Options, Out, ReadTxn, StateVector, Text, TextRef,
    Transact, Update,
};

use crate::edits::NotesText;
use crate::wire::{connect, Inbound, Ws};

/// The shared text every participant of a room edits.
const TEXT: &str = "notes";
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// One participant's Yjs document and what is in flight.
pub struct YjsReplica {
    doc: Doc,
    text: TextRef,
    me: ClientID,
    /// Text that remote updates inserted, collected by the text's observer
    /// while [`YjsReplica::receive`] applies them.
    inserted: Arc<Mutex<Vec<String>>>,
    /// Updates of local edits not sent yet (one edit may be two transactions).
    outbox: Vec<Vec<u8>>,
    /// Our clock before the current edit's insert: its item's first id.
    edit_clock: Option<u32>,
    /// Own edits waiting for their echo: the clock their insert starts at,
    /// and when they were sent.
    unacked: VecDeque<(u32, u64)>,
}

/// A y-protocols sync message as one binary frame.
fn frame(message: SyncMessage) -> Vec<u8> {
    Message::Sync(message).encode_v1()
}

impl YjsReplica {
    /// An empty document for client `client_id` (unique within the room).
    pub fn new(client_id: u64) -> YjsReplica {
        let mut options = Options::with_client_id(ClientID::new(client_id));
        // Yjs in JavaScript counts text positions in UTF-16 units.
        options.offset_kind = OffsetKind::Utf16;
        let doc = Doc::with_options(options);
        let text = doc.get_or_insert_text(TEXT);
        let inserted = Arc::new(Mutex::new(Vec::new()));
        let sink = inserted.clone();
        text.observe("bench", move |txn, event: &TextEvent| {
            let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
            for delta in event.delta(txn) {
                if let Delta::Inserted(Out::Any(Any::String(s)), _) = delta {
                    sink.push(s.to_string());
                }
            }
        });
        YjsReplica {
            me: doc.client_id(),
            doc,
            text,
            inserted,
            outbox: Vec::new(),
            edit_clock: None,
            unacked: VecDeque::new(),
        }
    }

    /// The step 1 that asks the server for the document.
    pub fn sync_request(&self) -> Vec<u8> {
        frame(SyncMessage::SyncStep1(self.doc.transact().state_vector()))
    }

    /// After an edit (see [`crate::edits::edit`]): the frame carrying it,
    /// remembered as unacknowledged until its echo. `None` when the edit
    /// changed nothing.
    pub fn take_edit(&mut self, sent_us: u64) -> Result<Option<Vec<u8>>, String> {
        // Local changes were observed too: they are not receipts.
        self.take_inserted();
        let updates = std::mem::take(&mut self.outbox);
        let update = match updates.len() {
            0 => return Ok(None),
            1 => updates.into_iter().next().unwrap_or_default(),
            // One message per edit, as the OT targets send one op per edit.
            _ => yrs::merge_updates_v1(&updates).map_err(|e| format!("merging updates: {e}"))?,
        };
        if let Some(clock) = self.edit_clock.take() {
            self.unacked.push_back((clock, sent_us));
        }
        Ok(Some(frame(SyncMessage::Update(update))))
    }

    /// Decodes one binary frame: merges any update into the document,
    /// appends what it means for the benchmark to `out`, and appends the
    /// frames to answer with to `replies`.
    pub fn receive(
        &mut self,
        data: &[u8],
        out: &mut Vec<Inbound>,
        replies: &mut Vec<Vec<u8>>,
    ) -> Result<(), String> {
        let mut decoder = DecoderV1::new(Cursor::new(data));
        for message in MessageReader::new(&mut decoder) {
            match message.map_err(|e| format!("y-protocols frame: {e}"))? {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let diff = self.doc.transact().encode_diff_v1(&sv);
                    replies.push(frame(SyncMessage::SyncStep2(diff)));
                }
                Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                    self.apply(&update, out)?;
                }
                _ => out.push(Inbound::Ignored),
            }
        }
        Ok(())
    }

    fn apply(&mut self, update: &[u8], out: &mut Vec<Inbound>) -> Result<(), String> {
        let update = Update::decode_v1(update).map_err(|e| format!("Yjs update: {e}"))?;
        // Our own items in it: the echo of our edits up to the one whose
        // insert starts at this clock (echoes come back in order).
        let lower: StateVector = update.state_vector_lower();
        if lower.contains_client(&self.me) {
            let clock = lower.get(&self.me);
            while let Some(&(start, sent_us)) = self.unacked.front() {
                if start > clock {
                    break;
                }
                self.unacked.pop_front();
                out.push(Inbound::EditAcked { sent_us });
            }
        }
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|e| format!("applying a Yjs update: {e}"))?;
        out.extend(self.take_inserted().into_iter().map(Inbound::Inserted));
        Ok(())
    }

    fn take_inserted(&self) -> Vec<String> {
        std::mem::take(&mut *self.inserted.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs one local change in its own transaction and queues its update.
    fn change(&mut self, f: impl FnOnce(&TextRef, &mut yrs::TransactionMut)) {
        let mut txn = self.doc.transact_mut();
        f(&self.text, &mut txn);
        let update = txn.encode_update_v1();
        // Committed (observers run) when dropped.
        drop(txn);
        self.outbox.push(update);
    }
}

impl NotesText for YjsReplica {
    type Error = String;

    fn content(&self) -> Cow<'_, str> {
        Cow::Owned(self.text.get_string(&self.doc.transact()))
    }

    fn char_len(&self) -> usize {
        self.text.len(&self.doc.transact()) as usize
    }

    fn has_unacked(&self) -> bool {
        !self.unacked.is_empty()
    }

    fn insert(&mut self, at: usize, text: &str) -> Result<(), String> {
        let index = u32::try_from(at).map_err(|_| format!("position {at} too large"))?;
        if self.edit_clock.is_none() {
            self.edit_clock = Some(self.doc.transact().state_vector().get(&self.me));
        }
        self.change(|t, txn| t.insert(txn, index, text));
        Ok(())
    }

    fn delete(&mut self, at: usize, len: usize) -> Result<(), String> {
        let (index, len) = match (u32::try_from(at), u32::try_from(len)) {
            (Ok(i), Ok(l)) => (i, l),
            _ => return Err(format!("range {at}+{len} too large")),
        };
        self.change(|t, txn| t.remove_range(txn, index, len));
        Ok(())
    }
}

/// Reads frames until the server's step 2 arrives (the document so far),
/// answering its step 1 on the way.
async fn sync(ws: &mut Ws, replica: &mut YjsReplica) -> Result<(), String> {
    let read = async {
        let mut out = Vec::new();
        let mut replies = Vec::new();
        while let Some(message) = ws.next().await {
            let message = message.map_err(|e| format!("y-partyserver socket: {e}"))?;
            let WsMessage::Binary(data) = message else {
                continue;
            };
            let synced = matches!(data.get(..2), Some([0, 1]));
            replica.receive(&data, &mut out, &mut replies)?;
            for reply in replies.drain(..) {
                ws.send(WsMessage::Binary(reply.into()))
                    .await
                    .map_err(|e| format!("y-partyserver send: {e}"))?;
            }
            if synced {
                return Ok(());
            }
        }
        Err("y-partyserver closed the socket before the document arrived".to_owned())
    };
    tokio::time::timeout(SETUP_TIMEOUT, read)
        .await
        .map_err(|_| format!("y-partyserver did not sync within {SETUP_TIMEOUT:?}"))?
}

/// Connects `participants` clients to meeting `meeting`'s room
/// (`{base}/parties/notes-room/m{meeting}`), each synced with the document.
pub async fn join_meeting(
    base: &str,
    meeting: u32,
    participants: u32,
) -> Result<Vec<(Ws, YjsReplica)>, String> {
    let mut joined = Vec::new();
    for p in 0..participants {
        let url = format!("{base}/parties/notes-room/m{meeting}?_pk=m{meeting}p{p}");
        let mut ws = connect(&url).await?;
        // Client ids only need to differ within a room; 0 is not a valid one.
        let mut replica = YjsReplica::new(u64::from(p) + 1);
        ws.send(WsMessage::Binary(replica.sync_request().into()))
            .await
            .map_err(|e| format!("y-partyserver send: {e}"))?;
        sync(&mut ws, &mut replica).await?;
        joined.push((ws, replica));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edits;

    /// Two replicas and a server that does what y-partyserver does: apply
    /// each update and send it to everyone, the sender included.
    #[test]
    fn edits_reach_the_other_replica_and_echoes_acknowledge_them() {
        let mut a = YjsReplica::new(1);
        let mut b = YjsReplica::new(2);
        let mut rng = 7;
        edits::edit(&mut a, "n.0.0.1.10\n", &mut rng, 4000).unwrap();
        let frame_a = a.take_edit(10).unwrap().unwrap();
        assert!(a.has_unacked());
        edits::edit(&mut b, "n.0.1.1.20\n", &mut rng, 4000).unwrap();
        let frame_b = b.take_edit(20).unwrap().unwrap();

        let (mut out, mut replies) = (Vec::new(), Vec::new());
        // The server applied a's update first: b receives it, then its own echo.
        b.receive(&frame_a, &mut out, &mut replies).unwrap();
        b.receive(&frame_b, &mut out, &mut replies).unwrap();
        assert!(replies.is_empty());
        assert!(
            matches!(&out[..], [Inbound::Inserted(t), Inbound::EditAcked { sent_us: 20 }] if t == "n.0.0.1.10\n"),
            "{out:?}"
        );
        assert!(!b.has_unacked());

        out.clear();
        a.receive(&frame_a, &mut out, &mut replies).unwrap();
        a.receive(&frame_b, &mut out, &mut replies).unwrap();
        assert!(
            matches!(&out[..], [Inbound::EditAcked { sent_us: 10 }, Inbound::Inserted(t)] if t == "n.0.1.1.20\n"),
            "{out:?}"
        );
        assert_eq!(a.content(), b.content());
        assert_eq!(a.char_len(), 22);
    }

    #[test]
    fn answers_a_step_one_with_what_the_server_lacks() {
        let mut a = YjsReplica::new(1);
        let mut rng = 1;
        edits::edit(&mut a, "n.0.0.1.1\n", &mut rng, 4000).unwrap();
        a.take_edit(1).unwrap();
        let server = YjsReplica::new(9);
        let (mut out, mut replies) = (Vec::new(), Vec::new());
        a.receive(&server.sync_request(), &mut out, &mut replies)
            .unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(&replies[0][..2], &[0, 1], "a sync step 2");
        let mut server = server;
        server
            .receive(&replies[0], &mut out, &mut Vec::new())
            .unwrap();
        assert_eq!(server.content(), "n.0.0.1.1\n");
        // Awareness and other message types are not the document.
        out.clear();
        a.receive(&[1, 1, 0], &mut out, &mut replies).unwrap();
        assert!(matches!(&out[..], [Inbound::Ignored]));
    }

    #[test]
    fn an_edit_that_also_trims_goes_out_as_one_update() {
        let mut a = YjsReplica::new(1);
        let mut rng = 3;
        for i in 0..6 {
            edits::edit(&mut a, &format!("n.0.0.{i}.1\n"), &mut rng, 30).unwrap();
            let frame = a.take_edit(i).unwrap().unwrap();
            // The echo, so the next edit may trim.
            a.receive(&frame, &mut Vec::new(), &mut Vec::new()).unwrap();
        }
        assert!(a.char_len() <= 30 + "n.0.0.5.1\n".len());
        assert!(!a.has_unacked());
    }
}
