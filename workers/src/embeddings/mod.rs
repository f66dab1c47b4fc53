//! The configured embedder and its local fallback (rules M3, M28), and the
//! embed jobs ([`job`]). Callers ask [`Configured::embed`] for vectors and
//! get them with the provenance to store; they never learn which provider
//! answered except from that provenance.
//!
//! Configuration (docs/matching.md, "Configuration"): `EMBEDDINGS_PROVIDER`
//! = `local` (the default: `LocalEmbedder`, in the worker, no network),
//! `openai-compatible` (`EMBEDDINGS_BASE_URL`, `EMBEDDINGS_MODEL`,
//! `EMBEDDINGS_DIM`) or `workers-ai` (`EMBEDDINGS_MODEL`, a known
//! `@cf/baai/bge-*` model, default bge-small; through the REST API of
//! `EMBEDDINGS_ACCOUNT_ID`, or `EMBEDDINGS_BASE_URL` in its place);
//! `EMBEDDINGS_TIMEOUT_MS` (default 8000) and the secret
//! `EMBEDDINGS_API_KEY`. A misconfigured remote provider is an error, not
//! a silent local embedder.

pub mod job;
mod remote;
pub mod sweep;
pub mod vector;

use connvo_shared::matching::embedder::{EmbedError, ModelInfo, Provenance};
use connvo_shared::matching::local_embedder::LocalEmbedder;
use connvo_shared::matching::remote_embedder::{workers_ai_model_dim, RemoteEmbedderConfig};
use connvo_shared::ApiError;
use worker::Env;

use crate::config::var;
use remote::Remote;

/// `EMBEDDINGS_TIMEOUT_MS` when unset, and its bounds.
const DEFAULT_TIMEOUT_MS: u64 = 8_000;
const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 100..=60_000;
const DEFAULT_WORKERS_AI_MODEL: &str = "@cf/baai/bge-small-en-v1.5";

/// The embedder `EMBEDDINGS_PROVIDER` names.
pub enum Configured {
    Local,
    Remote(Remote),
}

/// Vectors, in input order, and where they came from.
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub provenance: Provenance,
}

fn bad(what: &str) -> ApiError {
    ApiError::internal(format!("embeddings configuration: {what}"))
}

impl Configured {
    pub fn from_env(env: &Env) -> Result<Configured, ApiError> {
        let provider = var(env, "EMBEDDINGS_PROVIDER");
        let base_url = var(env, "EMBEDDINGS_BASE_URL")
            .filter(|b| b.starts_with("https://") || b.starts_with("http://"));
        let timeout_ms = var(env, "EMBEDDINGS_TIMEOUT_MS")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|v| TIMEOUT_MS.contains(v))
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        let api_key = var(env, "EMBEDDINGS_API_KEY");
        let model = var(env, "EMBEDDINGS_MODEL");
        match provider.as_deref().map(str::trim) {
            None | Some("" | "local") => Ok(Configured::Local),
            Some("openai-compatible" | "openai_compatible") => {
                let url =
                    base_url.ok_or_else(|| bad("openai-compatible needs EMBEDDINGS_BASE_URL"))?;
                let model = model.ok_or_else(|| bad("openai-compatible needs EMBEDDINGS_MODEL"))?;
                let dim = var(env, "EMBEDDINGS_DIM")
                    .and_then(|d| d.trim().parse::<usize>().ok())
                    .filter(|d| (1..=8192).contains(d))
                    .ok_or_else(|| bad("openai-compatible needs EMBEDDINGS_DIM (1..=8192)"))?;
                let config = RemoteEmbedderConfig::openai_compatible(&model, dim);
                Ok(Configured::Remote(Remote::openai(
                    config, url, api_key, timeout_ms,
                )))
            }
            Some("workers-ai" | "workers_ai") => {
                let model = model.unwrap_or_else(|| DEFAULT_WORKERS_AI_MODEL.to_owned());
                let config = RemoteEmbedderConfig::workers_ai(&model)
                    .filter(|_| workers_ai_model_dim(&model).is_some())
                    .ok_or_else(|| {
                        bad("EMBEDDINGS_MODEL is not a known Workers AI embedding model")
                    })?;
                let account = var(env, "EMBEDDINGS_ACCOUNT_ID");
                let remote = Remote::workers_ai(config, base_url, account, api_key, timeout_ms)
                    .ok_or_else(|| {
                        bad("workers-ai needs EMBEDDINGS_ACCOUNT_ID or EMBEDDINGS_BASE_URL")
                    })?;
                Ok(Configured::Remote(remote))
            }
            Some(other) => Err(bad(&format!("unknown EMBEDDINGS_PROVIDER {other:?}"))),
        }
    }

    /// The model whose vectors this deployment stores and the matcher reads.
    pub fn model(&self) -> ModelInfo {
        match self {
            Configured::Local => LocalEmbedder::model_info(),
            Configured::Remote(remote) => remote.config.model_info(),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Configured::Local)
    }

    /// M3: embeds `texts` with the configured provider; when it fails in a
    /// way that should fall back, with the local embedder, marked for
    /// re-embedding. Other failures (our request was refused) are errors.
    pub async fn embed(&self, texts: &[String]) -> Result<Embedded, ApiError> {
        let local = || Embedded {
            vectors: texts.iter().map(|t| LocalEmbedder.embed_one(t)).collect(),
            provenance: Provenance::direct(LocalEmbedder::model_info()),
        };
        let Configured::Remote(remote) = self else {
            return Ok(local());
        };
        match remote.embed_all(texts).await {
            Ok(vectors) => Ok(Embedded {
                vectors,
                provenance: Provenance::direct(remote.config.model_info()),
            }),
            Err(err) if falls_back(&err) => Ok(Embedded {
                provenance: Provenance::fallback(
                    LocalEmbedder::model_info(),
                    &remote.config.model_info(),
                ),
                ..local()
            }),
            Err(err) => Err(ApiError::internal(format!(
                "embedding provider refused the request ({}): {err}",
                err.code()
            ))),
        }
    }
}

/// M3: which failures fall back to the local embedder.
fn falls_back(err: &EmbedError) -> bool {
    match err {
        EmbedError::Remote(remote) => remote.should_fall_back(),
        EmbedError::Unavailable(_) => true,
        EmbedError::BatchTooLarge { .. } => false,
    }
}
