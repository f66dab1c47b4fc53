//! One connection as the room sees it: a small state machine
//! (`AwaitingHello` → `Live`), the per-stream delivery cursors, and the
//! per-connection limits.
//!
//! [`SessionState`] is the part that survives hibernation: the shell stores
//! it as the socket's attachment (at most 16 KiB on Cloudflare; ours stays
//! around 1 KiB, because every string in it is capped) and hands it back
//! through `restore_session`. The cursors in it are exact as of the end of
//! the last event, the only time the object can hibernate: a cursor at its
//! stream's head is saved as [`Sub::Head`] and read back as the head the
//! store holds (R28, `attachment.rs`), so a restored room sends each
//! connection precisely what it had not yet been given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::identity::SessionIdentity;
use super::stream::{Stream, StreamSet};

/// The attachment format version.
pub const SESSION_STATE_VERSION: u8 = 1;

/// Where a subscribed stream stands for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Sub {
    /// Delivering. `cursor` is the last seq (notes: version) handed to the
    /// shell for this connection; unused (0) for unsequenced streams.
    Live { cursor: u64 },
    /// Messages were dropped (backpressure); nothing more is sent on this
    /// stream until the client subscribes again with its own cursor.
    Resync,
    /// Only in a saved attachment: delivering, and the cursor was the
    /// stream's head when saved (R28). Restoring turns it back into
    /// `Live` at the head the store holds; a live session never has it.
    Head,
}

/// A connection after its hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveState {
    /// The client's id for the notes protocol (one per page load).
    pub client_id: String,
    pub live_since_ms: u64,
    pub subs: BTreeMap<Stream, Sub>,
    pub speaking: bool,
    /// The version of the last notes snapshot or reject sent on this
    /// connection (0: none). The client reset its document then, dropping
    /// its in-flight op: an op of this connection based on an older
    /// version must reach it as an op, never as an ack it would ignore.
    #[serde(default)]
    pub notes_reset_version: u64,
}

/// Where a connection is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Accepted; nothing is sent to it until its hello is handled (a live
    /// broadcast ahead of the catch-up would arrive out of order).
    AwaitingHello,
    Live(LiveState),
}

/// The persisted part of a session: the socket's hibernation attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub v: u8,
    pub identity: SessionIdentity,
    pub connected_at_ms: u64,
    pub phase: Phase,
}

impl SessionState {
    pub(crate) fn new(identity: SessionIdentity, now_ms: u64) -> Self {
        SessionState {
            v: SESSION_STATE_VERSION,
            identity,
            connected_at_ms: now_ms,
            phase: Phase::AwaitingHello,
        }
    }

    pub fn live(&self) -> Option<&LiveState> {
        match &self.phase {
            Phase::Live(live) => Some(live),
            Phase::AwaitingHello => None,
        }
    }

    /// Streams currently delivering (not in resync).
    pub fn live_streams(&self) -> StreamSet {
        self.live()
            .map(|live| {
                live.subs
                    .iter()
                    .filter(|(_, sub)| matches!(sub, Sub::Live { .. }))
                    .map(|(stream, _)| *stream)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A token bucket in milli-tokens, driven by the caller's clock.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    milli_tokens: u64,
    capacity: u64,
    per_ms: u64,
    last_ms: u64,
}

impl RateLimiter {
    pub(crate) fn new(rate_per_sec: u32, burst: u32, now_ms: u64) -> Self {
        let capacity = u64::from(burst.max(1)) * 1000;
        RateLimiter {
            milli_tokens: capacity,
            capacity,
            // A rate of r per second refills r milli-tokens per millisecond.
            per_ms: u64::from(rate_per_sec),
            last_ms: now_ms,
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn take(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        self.milli_tokens = self
            .milli_tokens
            .saturating_add(elapsed.saturating_mul(self.per_ms))
            .min(self.capacity);
        if self.milli_tokens >= 1000 {
            self.milli_tokens -= 1000;
            true
        } else {
            false
        }
    }
}

/// A connection in the room: its persisted state plus what is only worth
/// keeping while the object is awake.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) state: SessionState,
    pub(crate) limiter: RateLimiter,
    /// Inside a run of rate-limited frames (only the first gets an error).
    pub(crate) limited: bool,
    pub(crate) rate_violations: u32,
    pub(crate) bad_frames: u32,
    /// Last time a denial of each action was audited, to bound audit volume.
    pub(crate) denials_audited: BTreeMap<&'static str, u64>,
}

impl Session {
    pub(crate) fn new(state: SessionState, rate_per_sec: u32, burst: u32, now_ms: u64) -> Self {
        Session {
            state,
            limiter: RateLimiter::new(rate_per_sec, burst, now_ms),
            limited: false,
            rate_violations: 0,
            bad_frames: 0,
            denials_audited: BTreeMap::new(),
        }
    }

    pub(crate) fn user_id(&self) -> &str {
        &self.state.identity.user_id
    }

    pub(crate) fn live_mut(&mut self) -> Option<&mut LiveState> {
        match &mut self.state.phase {
            Phase::Live(live) => Some(live),
            Phase::AwaitingHello => None,
        }
    }

    pub(crate) fn sub(&self, stream: Stream) -> Option<Sub> {
        self.state.live()?.subs.get(&stream).copied()
    }

    /// The delivery cursor of a stream that is live for this connection.
    pub(crate) fn cursor(&self, stream: Stream) -> Option<u64> {
        match self.sub(stream)? {
            Sub::Live { cursor } => Some(cursor),
            Sub::Resync | Sub::Head => None,
        }
    }

    pub(crate) fn set_sub(&mut self, stream: Stream, sub: Option<Sub>) {
        if let Some(live) = self.live_mut() {
            match sub {
                Some(sub) => {
                    live.subs.insert(stream, sub);
                }
                None => {
                    live.subs.remove(&stream);
                }
            }
        }
    }

    pub(crate) fn client_id(&self) -> Option<&str> {
        self.state.live().map(|live| live.client_id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::MeetingRole;

    #[test]
    fn token_bucket_refills_with_the_callers_clock() {
        let mut limiter = RateLimiter::new(10, 2, 1000);
        assert!(limiter.take(1000));
        assert!(limiter.take(1000));
        assert!(!limiter.take(1000));
        assert!(!limiter.take(1050));
        assert!(limiter.take(1100), "10/s refills one token per 100 ms");
        assert!(
            !limiter.take(900),
            "a clock going backwards refills nothing"
        );
        assert!(limiter.take(5000));
        assert!(limiter.take(5000));
        assert!(!limiter.take(5000), "never more than the burst");
    }

    #[test]
    fn attachments_are_small_and_round_trip() {
        let mut identity = SessionIdentity::new("u".repeat(255), Some(MeetingRole::Participant));
        identity.org_id = Some("o".repeat(255));
        identity.client.user_agent = Some("a".repeat(200));
        identity.client.ip = Some("b".repeat(200));
        let mut state = SessionState::new(identity, 7);
        state.phase = Phase::Live(LiveState {
            client_id: "c".repeat(64),
            live_since_ms: 9_007_199_254_740_991,
            subs: Stream::ALL
                .into_iter()
                .map(|s| {
                    (
                        s,
                        Sub::Live {
                            cursor: 9_007_199_254_740_991,
                        },
                    )
                })
                .collect(),
            speaking: true,
            notes_reset_version: 9_007_199_254_740_991,
        });
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.len() < 2048, "{} bytes", json.len());
        assert_eq!(serde_json::from_str::<SessionState>(&json).unwrap(), state);
        assert_eq!(state.live_streams(), StreamSet::all());
    }
}
