//! The configured generation provider and its fallback (docs/intelligence.md,
//! "Generation" and "Fallbacks"). Callers ask `Providers` for a pre-call,
//! in-call or insights generation and never learn which provider answered,
//! except from the provenance that comes back with the output.
//!
//! INTERFACE SKELETON: today only the `heuristic` provider is wired; the
//! `openai_compatible` provider (selected by `AI_PROVIDER`) is added behind
//! the same three methods.

use connvo_shared::intelligence::generator::{
    generate_incall, generate_insights, generate_precall, Generated, GenerationError,
    GenerationParams, IncallInput, IncallOutput, InsightsInput, InsightsOutput, PrecallInput,
    PrecallOutput,
};
use connvo_shared::intelligence::heuristic::Heuristic;
use connvo_shared::ApiError;
use worker::Env;

use crate::clock::now_ms;

/// The primary provider and the heuristic that answers when it cannot.
pub struct Providers {
    primary: Heuristic,
    fallback: Heuristic,
}

impl Providers {
    /// Reads the provider configuration from the environment.
    pub fn from_env(_env: &Env) -> Result<Providers, ApiError> {
        let params = GenerationParams::default();
        Ok(Providers {
            primary: Heuristic::new(params),
            fallback: Heuristic::new(params),
        })
    }

    pub async fn precall(
        &self,
        input: &PrecallInput,
    ) -> Result<Generated<PrecallOutput>, ApiError> {
        generate_precall(&self.primary, &self.fallback, input, &clock)
            .await
            .map_err(failed)
    }

    pub async fn incall(&self, input: &IncallInput) -> Result<Generated<IncallOutput>, ApiError> {
        generate_incall(&self.primary, &self.fallback, input, &clock)
            .await
            .map_err(failed)
    }

    pub async fn insights(
        &self,
        input: &InsightsInput,
    ) -> Result<Generated<InsightsOutput>, ApiError> {
        generate_insights(&self.primary, &self.fallback, input, &clock)
            .await
            .map_err(failed)
    }
}

fn clock() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

/// Both the provider and the heuristic failed: only possible for an input
/// the heuristic itself rejects, which is a bug worth a retry and a log.
fn failed(e: GenerationError) -> ApiError {
    ApiError::internal(format!("generation failed: {e:?}"))
}
