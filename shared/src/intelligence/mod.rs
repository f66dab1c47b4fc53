//! Meeting intelligence, the pure parts: what the room and the AI jobs decide
//! and generate, with no clock, randomness, network or storage. The rules and
//! their ids (I1, I2, …) are in `docs/intelligence.md`; tests are named after
//! them.
//!
//! - [`keywords`]: tokenising, stopwords, light stemming, term weights.
//! - [`engagement`]: speaking time and word rate (`meeting_state.speaking_stats`).
//! - [`lull`], [`topic_shift`]: the two in-call detectors, woken by `poll_timeout`.
//! - [`gate`]: at most one prompt per interval per meeting, shed under overload.
//! - [`live`]: the room's in-call pipeline: engagement, both detectors and the gate.
//! - [`feedback`]: prompt reactions and the relevance weights they produce.
//! - [`flags`]: feature-flag evaluation (rollout buckets, per-org overrides).
//! - [`profile`]: participant profiles and their shared / complementary features.
//! - [`generator`]: the `Generator` trait, its typed inputs and outputs, request
//!   hashes and provenance.
//! - [`openai_compatible`]: the chat-completions request body and response
//!   parsing (the HTTP call is the shell's).
//! - [`heuristic`]: the deterministic default generator.

pub mod engagement;
pub mod feedback;
pub mod flags;
pub mod gate;
pub mod generator;
pub mod heuristic;
pub mod keywords;
pub mod live;
pub mod lull;
pub mod openai_compatible;
pub mod profile;
pub mod topic_shift;
mod topic_windows;

use serde::{Deserialize, Serialize};

/// One transcript chunk as the room sees it, in order: who spoke, what, and
/// when (unix ms). The detectors and the engagement stats are fed these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utterance {
    pub speaker_id: String,
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Utterance {
    pub fn new(speaker_id: &str, text: &str, start_ms: u64, end_ms: u64) -> Utterance {
        Utterance {
            speaker_id: speaker_id.to_owned(),
            text: text.to_owned(),
            start_ms,
            end_ms: end_ms.max(start_ms),
        }
    }

    /// Whitespace-separated words (what the word rate counts).
    pub fn word_count(&self) -> u64 {
        self.text.split_whitespace().count() as u64
    }
}

/// Runs a future that never waits on anything (the heuristic generator's)
/// to completion; for tests and for synchronous callers of such futures.
/// Returns `None` if the future is not immediately ready.
pub fn now_or_never<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}
