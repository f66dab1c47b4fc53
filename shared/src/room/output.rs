//! What the room asks its shell to do, and the queue those requests wait in
//! until the shell polls them.
//!
//! The queue also accounts, per connection, for the frames and bytes
//! waiting to be sent. That is what backpressure is measured against: a
//! connection over its caps has its queued *stream* frames dropped and is
//! told to `resync`, so a slow reader costs bounded memory.

use std::collections::{BTreeMap, VecDeque};

use crate::audit::{AuditContext, AuditEvent};
use crate::jobs::JobMessage;

use super::close::{CloseCode, CloseReason};
use super::flush_batch::FlushBatch;
use super::identity::SessionId;
use super::session::SessionState;
use super::stream::{Stream, StreamSet};

/// One thing for the shell to do, in the order produced. For a given
/// session, a `Close` is always its last output.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send this text frame on the session's socket.
    Send { session: SessionId, text: String },
    /// Close the socket with this code; `reason.as_str()` is the close reason.
    /// The matching `goodbye` frame was queued just before.
    Close {
        session: SessionId,
        code: CloseCode,
        reason: CloseReason,
    },
    /// Store this as the socket's hibernation attachment (replacing the old one).
    SaveSession {
        session: SessionId,
        state: SessionState,
    },
    /// Write these rows to D1 (one batch), then call `flush_done` with
    /// `batch.upto` (or `flush_failed`).
    Flush(FlushBatch),
    /// Write this audit row (`event.statement(random, &context)`):
    /// connections, stream subscriptions, refused writes, revocations.
    Audit {
        event: AuditEvent,
        context: AuditContext,
    },
    /// Put this on the `JOBS` queue (an in-call generation). Best effort:
    /// a job that cannot be queued is logged and the detection is lost.
    Job(JobMessage),
}

#[derive(Debug, Clone)]
struct Queued {
    output: Output,
    /// For `Send`: the stream the frame belongs to (droppable under
    /// backpressure), and its size.
    stream: Option<Stream>,
    bytes: usize,
}

/// Frames and bytes waiting for one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Usage {
    pub(crate) frames: usize,
    pub(crate) bytes: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Queued>,
    usage: BTreeMap<SessionId, Usage>,
}

impl Outbox {
    /// Everything waiting for the shell.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn usage(&self, session: &SessionId) -> Usage {
        self.usage.get(session).copied().unwrap_or_default()
    }

    pub(crate) fn send(&mut self, session: &SessionId, text: String, stream: Option<Stream>) {
        let bytes = text.len();
        let usage = self.usage.entry(session.clone()).or_default();
        usage.frames += 1;
        usage.bytes += bytes;
        self.queue.push_back(Queued {
            output: Output::Send {
                session: session.clone(),
                text,
            },
            stream,
            bytes,
        });
    }

    pub(crate) fn push(&mut self, output: Output) {
        self.queue.push_back(Queued {
            output,
            stream: None,
            bytes: 0,
        });
    }

    pub(crate) fn pop(&mut self) -> Option<Output> {
        let queued = self.queue.pop_front()?;
        if let Output::Send { session, .. } = &queued.output {
            self.release(session, queued.bytes);
        }
        Some(queued.output)
    }

    fn release(&mut self, session: &SessionId, bytes: usize) {
        if let Some(usage) = self.usage.get_mut(session) {
            usage.frames = usage.frames.saturating_sub(1);
            usage.bytes = usage.bytes.saturating_sub(bytes);
            if usage.frames == 0 {
                self.usage.remove(session);
            }
        }
    }

    /// Drops the session's queued stream frames; returns their streams.
    pub(crate) fn drop_stream_frames(&mut self, session: &SessionId) -> StreamSet {
        let mut dropped = StreamSet::empty();
        let mut freed = Vec::new();
        self.queue
            .retain(|queued| match (&queued.output, queued.stream) {
                (Output::Send { session: s, .. }, Some(stream)) if s == session => {
                    dropped.insert(stream);
                    freed.push(queued.bytes);
                    false
                }
                _ => true,
            });
        for bytes in freed {
            self.release(session, bytes);
        }
        dropped
    }

    /// Drops everything queued for a session whose socket is gone.
    pub(crate) fn drop_session(&mut self, session: &SessionId) {
        self.queue.retain(|queued| match &queued.output {
            Output::Send { session: s, .. }
            | Output::Close { session: s, .. }
            | Output::SaveSession { session: s, .. } => s != session,
            Output::Flush(_) | Output::Audit { .. } | Output::Job(_) => true,
        });
        self.usage.remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(s: &str) -> SessionId {
        SessionId::new(s).unwrap()
    }

    #[test]
    fn accounts_per_session_and_drops_stream_frames_only() {
        let mut outbox = Outbox::default();
        outbox.send(&sid("a"), "12345".into(), Some(Stream::Chat));
        outbox.send(&sid("a"), "123".into(), None);
        outbox.send(&sid("b"), "1".into(), Some(Stream::Notes));
        outbox.send(&sid("a"), "12".into(), Some(Stream::Transcript));
        assert_eq!(
            outbox.usage(&sid("a")),
            Usage {
                frames: 3,
                bytes: 10
            }
        );
        let dropped = outbox.drop_stream_frames(&sid("a"));
        assert_eq!(
            dropped.iter().collect::<Vec<_>>(),
            [Stream::Transcript, Stream::Chat]
        );
        assert_eq!(
            outbox.usage(&sid("a")),
            Usage {
                frames: 1,
                bytes: 3
            }
        );
        assert!(matches!(outbox.pop(), Some(Output::Send { text, .. }) if text == "123"));
        assert_eq!(outbox.usage(&sid("a")), Usage::default());
        outbox.drop_session(&sid("b"));
        assert!(outbox.pop().is_none());
    }
}
