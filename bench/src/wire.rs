//! What a server's WebSocket protocol must offer the generator, once a
//! connection is joined: encode a notes submission or a transcript chunk,
//! and decode a frame into events. Everything target-specific (ShareDB's
//! JSON messages, the Connvo room protocol) lives behind this trait in its
//! own module, so the participant loop, the metrics and the workload are the
//! same code for every OT target. The CRDT target (y-partyserver) keeps a
//! Yjs document instead of the OT notes client ([`Replica::Yjs`]) and
//! decodes into the same events.

use connvo_shared::ot::{CommittedOp, OpSubmission};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One decoded server message, in the notes state machine's terms.
#[derive(Debug)]
pub enum Inbound {
    /// Our op `client_seq` was committed as `version` (the version it produced).
    Ack { client_seq: u64, version: u64 },
    /// Someone's committed op, `version` being the version it produced.
    Op(CommittedOp),
    /// Our op `client_seq` was refused; the document is at `content`, `version`.
    Reject {
        client_seq: u64,
        code: String,
        content: String,
        version: u64,
    },
    /// A transcript chunk (ours echoed back, or someone else's), with the
    /// server's position in the meeting's transcript stream when it has one.
    Transcript { seq: Option<u64>, text: String },
    /// Text someone else inserted, already merged into a CRDT replica.
    Inserted(String),
    /// One of our CRDT edits came back from the server (the echo Yjs has
    /// in place of an ack), sent at `sent_us`.
    EditAcked { sent_us: u64 },
    /// An error the server reported, as its stable code and message.
    Error { code: String, message: String },
    /// Anything the benchmark does not measure (presence, pongs, …).
    Ignored,
}

pub trait Wire: Send + Sync {
    /// The frame that submits a notes op.
    fn submit(&self, submission: &OpSubmission) -> String;
    /// The frame that appends a transcript chunk, or `None` when the target
    /// has no transcript (ShareDB).
    fn transcript(&self, text: &str) -> Option<String>;
    /// Decodes one text frame, appending its events to `out` (a frame may
    /// batch several). Errors are malformed frames.
    fn decode(&self, frame: &str, out: &mut Vec<Inbound>) -> Result<(), String>;
}

/// A joined connection: the socket, past any handshake and subscription,
/// and the participant's copy of the notes as the server sent it.
pub struct Joined {
    pub ws: Ws,
    pub replica: Replica,
}

/// A participant's copy of the notes and the protocol that keeps it.
pub enum Replica {
    /// An OT server: the notes client and the server's protocol.
    Ot {
        notes: connvo_shared::ot::NotesClient,
        wire: Box<dyn Wire>,
    },
    /// A Yjs server: the document speaks y-protocols itself.
    Yjs(Box<crate::ypartyserver::YjsReplica>),
}

impl Joined {
    pub fn ot(ws: Ws, notes: connvo_shared::ot::NotesClient, wire: Box<dyn Wire>) -> Joined {
        Joined {
            ws,
            replica: Replica::Ot { notes, wire },
        }
    }
}

/// Opens a WebSocket with Nagle's algorithm off: small frames must leave at
/// once, or the client side alone would add up to 40 ms (delayed ACKs).
pub async fn connect(url: &str) -> Result<Ws, String> {
    let (ws, _response) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .map_err(|e| format!("WebSocket connect to {url}: {e}"))?;
    Ok(ws)
}
