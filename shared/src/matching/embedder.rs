//! The provider-agnostic embedding layer : the
//! [`Embedder`] trait every provider implements, what an `embeddings` row
//! records about where its vector came from ([`ModelInfo`], [`Provenance`]),
//! and when a stored vector is stale ([`drift`], rule M5).
//!
//! Implementations: [`LocalEmbedder`](super::local_embedder::LocalEmbedder)
//! (the default, in-process, no network) here; the worker's remote embedder
//! drives the pure request/response halves in
//! [`remote_embedder`](super::remote_embedder) over `fetch` or the AI binding.
//! The trait is async so both fit; callers never know which one they hold.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which model made a vector: stored on every `embeddings` row (`model`,
/// `version`, `dim`) and in `vector_index_meta`. `GET /v1/admin/embeddings`
/// answers it as `configured_model` (hence `ToSchema`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelInfo {
    /// The provider family: `local`, `workers-ai` or `openai-compatible`.
    pub provider: String,
    /// The model name as stored in `embeddings.model`.
    pub name: String,
    /// Bumped whenever the same name would produce different vectors.
    pub version: String,
    /// Every vector this model returns has exactly this many components.
    pub dim: usize,
}

/// Why a batch could not be embedded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    /// More texts than the provider takes in one call; split the batch.
    #[error("{got} texts in one batch, at most {max}")]
    BatchTooLarge { max: usize, got: usize },
    /// The provider answered, but not with what we asked for.
    #[error(transparent)]
    Remote(#[from] super::remote_embedder::RemoteEmbedError),
    /// The provider could not be reached; fall back to the local embedder
    /// and mark the rows for re-embedding ([`Provenance::fallback`]).
    #[error("embedding provider unavailable: {0}")]
    Unavailable(String),
}

impl EmbedError {
    /// A stable code for logs and job progress rows.
    pub fn code(&self) -> &'static str {
        match self {
            EmbedError::BatchTooLarge { .. } => "EMBED_BATCH_TOO_LARGE",
            EmbedError::Remote(err) => err.code(),
            EmbedError::Unavailable(_) => "EMBED_PROVIDER_UNAVAILABLE",
        }
    }
}

/// Text in, one vector per text out, in order.
///
/// Contract (rule M1 for the local implementation, M3 for remote ones):
/// `embed(texts)` returns `texts.len()` vectors of exactly `model().dim`
/// finite components; an empty batch returns an empty list; a batch larger
/// than `max_batch()` is refused with [`EmbedError::BatchTooLarge`].
#[allow(async_fn_in_trait)] // Workers futures are !Send; no Send bound wanted.
pub trait Embedder {
    /// The model this embedder produces vectors with.
    fn model(&self) -> ModelInfo;
    /// The largest batch one `embed` call accepts.
    fn max_batch(&self) -> usize;
    /// Embeds `texts`, one vector each, in order.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// What an embedding is of: the `embeddings.source_type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    User,
    Profile,
    Meeting,
    Note,
    TranscriptSegment,
}

impl SourceType {
    pub const ALL: [SourceType; 5] = [
        SourceType::User,
        SourceType::Profile,
        SourceType::Meeting,
        SourceType::Note,
        SourceType::TranscriptSegment,
    ];

    /// The column value (the SQL `CHECK` list).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::User => "user",
            SourceType::Profile => "profile",
            SourceType::Meeting => "meeting",
            SourceType::Note => "note",
            SourceType::TranscriptSegment => "transcript_segment",
        }
    }

    pub fn parse(text: &str) -> Option<SourceType> {
        SourceType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// The hex SHA-256 of the text that was embedded: `embeddings.content_hash`.
/// A source whose text hashes differently has changed and is re-embedded.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex
}

/// Whether a stored embedding still matches its source and the current model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drift {
    Current,
    /// The source text changed since it was embedded.
    ContentChanged,
    /// Same model name, different version or dimension (rule M5).
    ModelChanged,
    /// The row was written by the local fallback while the configured
    /// provider was down; the drift job redoes it with the provider.
    Fallback,
}

/// Rule M5: what the drift job should do about one stored row. `stored_*`
/// are the row's columns, `reembed` its `metadata.reembed` flag, `current`
/// the configured model and `text` the source's text now.
pub fn drift(
    stored_version: &str,
    stored_dim: usize,
    stored_content_hash: &str,
    reembed: bool,
    current: &ModelInfo,
    text: &str,
) -> Drift {
    if stored_version != current.version || stored_dim != current.dim {
        Drift::ModelChanged
    } else if reembed {
        Drift::Fallback
    } else if stored_content_hash != content_hash(text) {
        Drift::ContentChanged
    } else {
        Drift::Current
    }
}

/// Where a stored vector came from: `embeddings.metadata.provenance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The model that actually produced the vector.
    pub model: ModelInfo,
    /// Set when the configured provider was unavailable and `model` is the
    /// local fallback: the provider that should have produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_from: Option<String>,
}

impl Provenance {
    pub fn direct(model: ModelInfo) -> Provenance {
        Provenance {
            model,
            fallback_from: None,
        }
    }

    /// A vector made by `local` because `intended` was unreachable.
    pub fn fallback(local: ModelInfo, intended: &ModelInfo) -> Provenance {
        Provenance {
            model: local,
            fallback_from: Some(format!("{}:{}", intended.provider, intended.name)),
        }
    }

    /// The `embeddings.metadata` object: `{"provenance": …, "reembed": bool}`.
    pub fn metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "provenance": self,
            "reembed": self.fallback_from.is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(version: &str) -> ModelInfo {
        ModelInfo {
            provider: "local".into(),
            name: "m".into(),
            version: version.into(),
            dim: 4,
        }
    }

    #[test]
    fn source_types_round_trip_their_column_values() {
        for t in SourceType::ALL {
            assert_eq!(SourceType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(SourceType::parse("bio"), None);
    }

    #[test]
    fn content_hash_is_hex_sha256() {
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn m5_drift_detects_model_content_and_fallback() {
        let now = model("v2");
        let hash = content_hash("bio");
        assert_eq!(drift("v2", 4, &hash, false, &now, "bio"), Drift::Current);
        assert_eq!(
            drift("v1", 4, &hash, false, &now, "bio"),
            Drift::ModelChanged
        );
        assert_eq!(
            drift("v2", 8, &hash, false, &now, "bio"),
            Drift::ModelChanged
        );
        assert_eq!(
            drift("v2", 4, &hash, false, &now, "new bio"),
            Drift::ContentChanged
        );
        assert_eq!(drift("v2", 4, &hash, true, &now, "bio"), Drift::Fallback);
    }

    #[test]
    fn m3_fallback_provenance_marks_rows_for_reembedding() {
        let intended = ModelInfo {
            provider: "workers-ai".into(),
            name: "@cf/baai/bge-small-en-v1.5".into(),
            version: "1".into(),
            dim: 384,
        };
        let meta = Provenance::fallback(model("v1"), &intended).metadata();
        assert_eq!(meta["reembed"], true);
        assert_eq!(
            meta["provenance"]["fallback_from"],
            "workers-ai:@cf/baai/bge-small-en-v1.5"
        );
        assert_eq!(Provenance::direct(model("v1")).metadata()["reembed"], false);
    }
}
