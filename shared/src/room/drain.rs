//! The one loop that carries out the core's outputs, shared by the Durable
//! Object and the native tests and simulations, so the simulations run the
//! loop that runs in production.
//!
//! [`RoomCore::drain`] hands frames, closes and attachments to the shell's
//! [`Sockets`] as they come, feeds failed sends back to the core, and
//! returns what needs I/O the shell must await — flush batches and audit
//! rows — with the next deadline. After writing a flush the shell reports
//! it ([`RoomCore::flush_done`] / [`RoomCore::flush_failed`]) and drains
//! again. [`Drained::wake`] says how to wait for the deadline.

use crate::audit::{AuditContext, AuditEvent};
use crate::jobs::JobMessage;

use super::close::CloseReason;
use super::core::RoomCore;
use super::flush_batch::FlushBatch;
use super::identity::SessionId;
use super::output::Output;
use super::session::SessionState;
use super::store::RoomStore;

/// Deadlines at most this far ahead are waited for in memory: an alarm
/// costs a storage write, and a storage write holds every outgoing frame
/// behind its fsync (a busy room's coalescing window is 100 ms, R26).
pub const INLINE_WAIT_MS: u64 = 250;
/// At most this many in-memory waits per event before falling back to an alarm.
pub const MAX_INLINE_WAITS: u32 = 40;
/// Rounds of "failed sends fed back" per drain: each round can only close
/// or resync sessions, so a few always suffice.
const MAX_ROUNDS: usize = 8;

/// The shell's sockets, as the loop uses them. A session's socket is
/// found by its session id (the Durable Object: the socket's tag).
pub trait Sockets {
    /// Hands a text frame to the session's socket; `false` when there is
    /// no such socket or it refused the frame (the core then resyncs it).
    fn send(&mut self, session: &SessionId, text: &str) -> bool;
    /// Closes the session's socket with `reason.code()` and `reason.as_str()`.
    fn close(&mut self, session: &SessionId, reason: CloseReason);
    /// Stores the session's hibernation attachment (replacing the old one).
    fn save(&mut self, session: &SessionId, state: &SessionState);
}

/// What a drain leaves for the shell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drained {
    /// Write each to D1 (`batch.statements(now)` as one batch), then
    /// report it with `flush_done(now, batch.upto)` or `flush_failed(now)`.
    pub flushes: Vec<FlushBatch>,
    /// Write each row: `event.statement(random, &context)`.
    pub audits: Vec<(AuditEvent, AuditContext)>,
    /// Put each on the `JOBS` queue (in-call generations).
    pub jobs: Vec<JobMessage>,
    /// When `handle_timeout` is next due (`poll_timeout`).
    pub next_deadline: Option<u64>,
}

/// How the shell waits for the next deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Nothing scheduled.
    Idle,
    /// Wait this long in memory, then call `handle_timeout` and drain.
    InMemory { ms: u64 },
    /// Set an alarm for this time (unix ms).
    Alarm { at_ms: u64 },
}

impl Drained {
    /// How to wait for the next deadline, `inline_waits` in-memory waits
    /// into this event: short ones in memory, long ones (the flush
    /// interval, the hello deadline) as an alarm.
    pub fn wake(&self, now_ms: u64, inline_waits: u32) -> Wake {
        match self.next_deadline {
            None => Wake::Idle,
            Some(at) if inline_waits < MAX_INLINE_WAITS && at <= now_ms + INLINE_WAIT_MS => {
                Wake::InMemory {
                    ms: at.saturating_sub(now_ms),
                }
            }
            Some(at) => Wake::Alarm { at_ms: at },
        }
    }
}

impl<S: RoomStore> RoomCore<S> {
    /// Carries out every pending output on `sockets`; see the module docs.
    pub fn drain(&mut self, now_ms: u64, sockets: &mut impl Sockets) -> Drained {
        let mut drained = Drained::default();
        for _ in 0..MAX_ROUNDS {
            let mut failed: Vec<SessionId> = Vec::new();
            while let Some(output) = self.poll_output() {
                match output {
                    Output::Send { session, text } => {
                        if !sockets.send(&session, &text) && !failed.contains(&session) {
                            failed.push(session);
                        }
                    }
                    Output::Close {
                        session, reason, ..
                    } => sockets.close(&session, reason),
                    Output::SaveSession { session, state } => sockets.save(&session, &state),
                    Output::Flush(batch) => drained.flushes.push(batch),
                    Output::Audit { event, context } => drained.audits.push((event, context)),
                    Output::Job(job) => drained.jobs.push(job),
                }
            }
            if failed.is_empty() {
                break;
            }
            for session in failed {
                self.handle_send_failed(now_ms, &session);
            }
        }
        drained.next_deadline = self.poll_timeout();
        drained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_deadlines_wait_in_memory_long_ones_become_alarms() {
        let at = |t| Drained {
            next_deadline: t,
            ..Drained::default()
        };
        assert_eq!(at(None).wake(1_000, 0), Wake::Idle);
        assert_eq!(at(Some(1_100)).wake(1_000, 0), Wake::InMemory { ms: 100 });
        assert_eq!(at(Some(900)).wake(1_000, 0), Wake::InMemory { ms: 0 });
        assert_eq!(at(Some(6_000)).wake(1_000, 0), Wake::Alarm { at_ms: 6_000 });
        assert_eq!(
            at(Some(1_100)).wake(1_000, MAX_INLINE_WAITS),
            Wake::Alarm { at_ms: 1_100 }
        );
    }
}
