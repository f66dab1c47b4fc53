//! The `heuristic` generator (rules I21–I24): the default provider, what
//! local runs and tests use, and the fallback of every other provider. It is
//! deterministic: its only inputs are the request's typed input and a
//! [`Seed`] derived from the meeting id and the request hash, from which
//! every phrasing choice and tie-break is taken (no random source). It reads
//! the inputs — profiles' shared and complementary features, transcript
//! keywords, notes — so its text always carries terms from them.
//!
//! - [`precall`]: agenda items, questions and conversation starters (I21).
//! - [`incall`]: prompts for a lull or a topic shift (I22), and the pick of a
//!   cached pre-call prompt when a provider fails in-call (I18).
//! - [`insights`]: post-call insights per participant (I23–I24).

pub mod incall;
pub mod insights;
pub mod precall;
pub mod seed;
pub mod text;

pub use seed::Seed;

use super::generator::{
    GenerationError, GenerationParams, Generator, IncallInput, IncallOutput, InsightsInput,
    InsightsOutput, PrecallInput, PrecallOutput,
};

/// The provider name in provenance and configuration.
pub const PROVIDER: &str = "heuristic";
/// Bumped when the heuristic's output for the same input changes.
pub const MODEL: &str = "heuristic-v1";

/// The heuristic generator.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Heuristic {
    params: GenerationParams,
}

impl Heuristic {
    pub fn new(params: GenerationParams) -> Heuristic {
        Heuristic { params }
    }

    pub fn precall_now(&self, input: &PrecallInput, request_hash: &str) -> PrecallOutput {
        precall::generate(
            input,
            &self.params,
            &Seed::new(&input.meeting_id, request_hash),
        )
    }

    pub fn incall_now(&self, input: &IncallInput, request_hash: &str) -> IncallOutput {
        incall::generate(
            input,
            &self.params,
            &Seed::new(&input.meeting_id, request_hash),
        )
    }

    pub fn insights_now(&self, input: &InsightsInput, request_hash: &str) -> InsightsOutput {
        insights::generate(input, &Seed::new(&input.meeting_id, request_hash))
    }
}

impl Generator for Heuristic {
    fn provider(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        MODEL
    }

    fn params(&self) -> GenerationParams {
        self.params
    }

    async fn precall(
        &self,
        input: &PrecallInput,
        request_hash: &str,
    ) -> Result<PrecallOutput, GenerationError> {
        Ok(self.precall_now(input, request_hash))
    }

    async fn incall(
        &self,
        input: &IncallInput,
        request_hash: &str,
    ) -> Result<IncallOutput, GenerationError> {
        Ok(self.incall_now(input, request_hash))
    }

    async fn insights(
        &self,
        input: &InsightsInput,
        request_hash: &str,
    ) -> Result<InsightsOutput, GenerationError> {
        Ok(self.insights_now(input, request_hash))
    }
}
