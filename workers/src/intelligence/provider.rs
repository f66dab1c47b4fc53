//! The configured generation provider and its fallback (docs/intelligence.md,
//! "Generation", "Fallbacks" and "Plugging in a real provider"). Callers ask
//! `Providers` for a pre-call, in-call or insights generation and never
//! learn which provider answered, except from the provenance that comes
//! back with the output.
//!
//! Configuration (README, "Configuration"): `AI_PROVIDER` = `heuristic`
//! (the default) or `openai_compatible`; for the latter `AI_BASE_URL`,
//! `AI_MODEL`, `AI_TIMEOUT_MS` (default 8000) and the secret `AI_API_KEY`.
//! The heuristic is always the fallback, so a provider outage costs quality,
//! never a generation.
//!
//! The `openai_compatible` shell is only the HTTP call: the body is built by
//! `connvo_shared::intelligence::openai_compatible::request_body` and the
//! answer parsed (and validated) by its `parse_*`. The whole exchange —
//! sending, and reading the response body to its end — races one timeout,
//! so a server that answers its headers and then stalls is a `Timeout` like
//! one that never answers.

use std::time::Duration;

use connvo_shared::intelligence::generator::{
    generate_incall, generate_insights, generate_precall, Generated, GenerationError,
    GenerationParams, Generator, IncallInput, IncallOutput, InsightsInput, InsightsOutput,
    PrecallInput, PrecallOutput, Task,
};
use connvo_shared::intelligence::heuristic::Heuristic;
use connvo_shared::intelligence::openai_compatible::{
    self, chat_completions_url, parse_incall, parse_insights, parse_precall, request_body,
    status_error,
};
use connvo_shared::ApiError;
use futures::future::{select, Either};
use serde::Serialize;
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::clock::now_ms;
use crate::config::var;

/// `AI_TIMEOUT_MS` when unset, and its bounds.
pub const DEFAULT_TIMEOUT_MS: u64 = 8_000;
const MIN_TIMEOUT_MS: u64 = 100;
const MAX_TIMEOUT_MS: u64 = 60_000;

/// The primary provider and the heuristic that answers when it cannot.
pub struct Providers {
    primary: Primary,
    fallback: Heuristic,
}

/// The provider `AI_PROVIDER` names.
pub enum Primary {
    Heuristic(Heuristic),
    OpenAiCompatible(OpenAiCompatible),
}

impl Providers {
    /// Reads the provider configuration from the environment. A named but
    /// incomplete `openai_compatible` configuration (no base URL or model)
    /// is an error, not a silent heuristic: the job fails loudly and the
    /// runbook says what to set.
    pub fn from_env(env: &Env) -> Result<Providers, ApiError> {
        let params = GenerationParams::default();
        let primary = match var(env, "AI_PROVIDER").as_deref().map(str::trim) {
            None | Some("") | Some("heuristic") => Primary::Heuristic(Heuristic::new(params)),
            Some("openai_compatible") => {
                Primary::OpenAiCompatible(OpenAiCompatible::from_env(env, params)?)
            }
            Some(other) => {
                return Err(ApiError::internal(format!(
                    "AI_PROVIDER={other} is not a provider (heuristic, openai_compatible)"
                )))
            }
        };
        Ok(Providers {
            primary,
            fallback: Heuristic::new(params),
        })
    }

    /// The request hash a pre-call generation of `input` will carry (I16),
    /// so a retried job can find its stored result before calling anyone.
    pub fn precall_hash(&self, input: &PrecallInput) -> Result<String, ApiError> {
        self.primary
            .request_hash(Task::Precall, input)
            .map_err(failed)
    }

    /// The configured provider's name (for logs).
    pub fn provider(&self) -> &str {
        self.primary.provider()
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

impl Generator for Primary {
    fn provider(&self) -> &str {
        match self {
            Primary::Heuristic(h) => h.provider(),
            Primary::OpenAiCompatible(o) => o.provider(),
        }
    }

    fn model(&self) -> &str {
        match self {
            Primary::Heuristic(h) => h.model(),
            Primary::OpenAiCompatible(o) => o.model(),
        }
    }

    fn params(&self) -> GenerationParams {
        match self {
            Primary::Heuristic(h) => h.params(),
            Primary::OpenAiCompatible(o) => o.params(),
        }
    }

    async fn precall(
        &self,
        input: &PrecallInput,
        request_hash: &str,
    ) -> Result<PrecallOutput, GenerationError> {
        match self {
            Primary::Heuristic(h) => h.precall(input, request_hash).await,
            Primary::OpenAiCompatible(o) => o.precall(input, request_hash).await,
        }
    }

    async fn incall(
        &self,
        input: &IncallInput,
        request_hash: &str,
    ) -> Result<IncallOutput, GenerationError> {
        match self {
            Primary::Heuristic(h) => h.incall(input, request_hash).await,
            Primary::OpenAiCompatible(o) => o.incall(input, request_hash).await,
        }
    }

    async fn insights(
        &self,
        input: &InsightsInput,
        request_hash: &str,
    ) -> Result<InsightsOutput, GenerationError> {
        match self {
            Primary::Heuristic(h) => h.insights(input, request_hash).await,
            Primary::OpenAiCompatible(o) => o.insights(input, request_hash).await,
        }
    }
}

/// A chat-completions server (OpenAI, Workers AI's compatible endpoint,
/// vLLM, llama.cpp, Ollama…).
pub struct OpenAiCompatible {
    /// `AI_BASE_URL`, e.g. `https://api.openai.com/v1`.
    base_url: String,
    model: String,
    /// `AI_API_KEY` (a secret); servers that need none may leave it unset.
    api_key: Option<String>,
    timeout_ms: u64,
    params: GenerationParams,
}

impl OpenAiCompatible {
    fn from_env(env: &Env, params: GenerationParams) -> Result<OpenAiCompatible, ApiError> {
        let base_url = var(env, "AI_BASE_URL")
            .filter(|b| b.starts_with("https://") || b.starts_with("http://"))
            .ok_or_else(|| {
                ApiError::internal("AI_PROVIDER=openai_compatible needs AI_BASE_URL (http[s]://…)")
            })?;
        let model = var(env, "AI_MODEL")
            .ok_or_else(|| ApiError::internal("AI_PROVIDER=openai_compatible needs AI_MODEL"))?;
        let timeout_ms = var(env, "AI_TIMEOUT_MS")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|v| (MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(v))
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        Ok(OpenAiCompatible {
            base_url,
            model,
            api_key: var(env, "AI_API_KEY"),
            timeout_ms,
            params,
        })
    }

    /// POSTs the request body of `task` and returns the 2xx response body,
    /// read to its end; every failure is a typed `GenerationError`.
    async fn complete<I: Serialize + ?Sized>(
        &self,
        task: Task,
        input: &I,
        request_hash: &str,
    ) -> Result<String, GenerationError> {
        let body = request_body(task, input, &self.model, &self.params, request_hash)?;
        let headers = Headers::new();
        let mut set = vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json".to_owned()),
        ];
        if let Some(key) = &self.api_key {
            set.push(("authorization", format!("Bearer {key}")));
        }
        for (name, value) in &set {
            headers
                .set(name, value)
                .map_err(|e| GenerationError::Transport(e.to_string()))?;
        }
        let request = Request::new_with_init(
            &chat_completions_url(&self.base_url),
            RequestInit::new()
                .with_method(Method::Post)
                .with_headers(headers)
                .with_body(Some(body.to_string().into())),
        )
        .map_err(|e| GenerationError::Transport(e.to_string()))?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = Box::pin(async move {
            let mut resp = Fetch::Request(request)
                .send_with_signal(&signal)
                .await
                .map_err(|e| GenerationError::Transport(format!("request failed: {e}")))?;
            let status = resp.status_code();
            // Read to the end whatever the status: an unread body keeps the
            // invocation (and a queue batch) open.
            let text = resp
                .text()
                .await
                .map_err(|e| GenerationError::Transport(format!("reading the body: {e}")))?;
            Ok::<_, GenerationError>((status, text))
        });
        let timeout = Box::pin(Delay::from(Duration::from_millis(self.timeout_ms)));
        match select(exchange, timeout).await {
            Either::Left((Ok((status, text)), _)) if (200..300).contains(&status) => Ok(text),
            Either::Left((Ok((status, _)), _)) => Err(status_error(status)),
            Either::Left((Err(e), _)) => Err(e),
            Either::Right(_) => {
                controller.abort();
                Err(GenerationError::Timeout)
            }
        }
    }
}

impl Generator for OpenAiCompatible {
    fn provider(&self) -> &str {
        openai_compatible::PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn params(&self) -> GenerationParams {
        self.params
    }

    async fn precall(
        &self,
        input: &PrecallInput,
        request_hash: &str,
    ) -> Result<PrecallOutput, GenerationError> {
        let body = self.complete(Task::Precall, input, request_hash).await?;
        parse_precall(&body, input, &self.params)
    }

    async fn incall(
        &self,
        input: &IncallInput,
        request_hash: &str,
    ) -> Result<IncallOutput, GenerationError> {
        let body = self.complete(Task::Incall, input, request_hash).await?;
        parse_incall(&body, input, &self.params)
    }

    async fn insights(
        &self,
        input: &InsightsInput,
        request_hash: &str,
    ) -> Result<InsightsOutput, GenerationError> {
        let body = self.complete(Task::Insights, input, request_hash).await?;
        parse_insights(&body, input)
    }
}
