//! Embedding one source, as a plan (rule M28): whether a source needs a
//! (new) vector, the statements that store it, and the statement that
//! deletes a source's vectors, which other domains (retention, erasure)
//! call when they delete a source.
//!
//! **M28 — the embed job.** A job embeds one source: a profile
//! (`EmbedProfile`, queued by `PUT /v1/me/profile` and by entering the
//! queue) or a meeting's notes and transcript segments (`EmbedMeeting`).
//! For each source the shell loads its text (or learns it is gone), the
//! owner's data-processing consent (M27) and the stored row's state for the
//! configured model, and asks [`decide`]:
//!
//! - the source is gone, has no word, or its owner withdrew consent →
//!   [`EmbedStep::Delete`]: every model's vector of the source goes
//!   ([`delete_source_embeddings`]);
//! - the stored row is [`Drift::Current`] (same version, dimension and
//!   content hash, not a fallback) → [`EmbedStep::UpToDate`], nothing runs;
//! - otherwise [`EmbedStep::Embed`]: the shell embeds the text with the
//!   configured embedder and stores it with [`store`]. When the configured
//!   provider fails in a way that should fall back (M3), the local
//!   embedder's vector is stored under the local model with
//!   `Provenance::fallback` (`metadata.reembed = true`), so the next job
//!   (or the drift job) redoes it with the provider; a direct vector of a
//!   remote model deletes the source's local fallback row.
//!
//! Every row records source type and id, org, model, dimension, version,
//! `last_computed_at` and provenance (`metadata.provenance`).

use serde::Deserialize;

use super::embedder::{content_hash, drift, Drift, ModelInfo, Provenance, SourceType};
use super::local_embedder::LOCAL_EMBEDDER_MODEL;
use super::text::words;
use super::vector_codec::encode_blob;
use super::vector_index::{VectorKey, VectorRecord};
use crate::sql::embeddings::{
    EmbeddingDeleteForSource, EmbeddingDeleteForSourceModel, EmbeddingUpsert,
};
use crate::sql::Statement;

/// One source to embed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedTarget<'a> {
    pub source_type: SourceType,
    pub source_id: &'a str,
    pub org_id: Option<&'a str>,
    pub language: Option<&'a str>,
}

impl EmbedTarget<'_> {
    /// The source's key in the vector index (M32–M34).
    pub fn key(&self) -> VectorKey {
        VectorKey::new(self.source_type, self.source_id)
    }

    /// `vector` as this source's record for the vector index.
    pub fn record(&self, vector: Vec<f32>) -> VectorRecord {
        VectorRecord {
            key: self.key(),
            org_id: self.org_id.map(str::to_owned),
            language: self.language.map(str::to_owned),
            vector,
        }
    }
}

/// A row of `EMBEDDING_STATE_FOR_SOURCE`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EmbeddingState {
    pub version: String,
    pub dim: i64,
    pub content_hash: String,
    /// `metadata.reembed` (1 for a fallback row).
    pub reembed: i64,
}

/// What to do with one source.
#[derive(Debug, Clone, PartialEq)]
pub enum EmbedStep {
    /// Remove the source's vectors (all models).
    Delete(Statement),
    /// The stored vector is current: nothing to do.
    UpToDate,
    /// Embed `text` and [`store`] it.
    Embed { text: String },
}

/// M28: the pure builder other domains call when they delete a source (or
/// must forget it, as erasure does): every model's vector of it.
pub fn delete_source_embeddings(source_type: SourceType, source_id: &str) -> Statement {
    EmbeddingDeleteForSource {
        source_type: source_type.as_str(),
        source_id,
    }
    .statement()
}

/// M28: what to do with one source. `text` is `None` when the source is
/// gone; `allowed` is the owner's data-processing consent (M27); `stored`
/// the configured model's row, if any.
pub fn decide(
    target: &EmbedTarget<'_>,
    text: Option<&str>,
    allowed: bool,
    stored: Option<&EmbeddingState>,
    model: &ModelInfo,
) -> EmbedStep {
    let text = match text {
        Some(t) if allowed && !words(t).is_empty() => t,
        _ => {
            return EmbedStep::Delete(delete_source_embeddings(
                target.source_type,
                target.source_id,
            ))
        }
    };
    let current = stored.is_some_and(|s| {
        drift(
            &s.version,
            usize::try_from(s.dim).unwrap_or(0),
            &s.content_hash,
            s.reembed != 0,
            model,
            text,
        ) == Drift::Current
    });
    if current {
        EmbedStep::UpToDate
    } else {
        EmbedStep::Embed {
            text: text.to_owned(),
        }
    }
}

/// M28: the statements storing `vector` (made by `provenance.model`) for
/// `target`: the upsert under the model that made it, and, for a direct
/// vector of a model other than the local one, the removal of the
/// source's local fallback row.
pub fn store(
    target: &EmbedTarget<'_>,
    text: &str,
    vector: &[f32],
    provenance: &Provenance,
    new_id: &str,
    now_ms: i64,
) -> Vec<Statement> {
    let info = &provenance.model;
    let metadata = provenance.metadata().to_string();
    let blob = encode_blob(vector);
    let hash = content_hash(text);
    let mut out = vec![EmbeddingUpsert {
        id: new_id,
        source_type: target.source_type.as_str(),
        source_id: target.source_id,
        org_id: target.org_id,
        language: target.language,
        model: &info.name,
        dim: i64::try_from(info.dim).unwrap_or(0),
        version: &info.version,
        vector: &blob,
        content_hash: &hash,
        metadata: Some(&metadata),
        now_ms,
    }
    .statement()];
    if provenance.fallback_from.is_none() && info.name != LOCAL_EMBEDDER_MODEL {
        out.push(
            EmbeddingDeleteForSourceModel {
                source_type: target.source_type.as_str(),
                source_id: target.source_id,
                model: LOCAL_EMBEDDER_MODEL,
            }
            .statement(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::local_embedder::LocalEmbedder;
    use crate::sql::SqlValue;

    fn target() -> EmbedTarget<'static> {
        EmbedTarget {
            source_type: SourceType::Profile,
            source_id: "usr_1",
            org_id: Some("org_1"),
            language: None,
        }
    }

    fn state(version: &str, text: &str, reembed: bool) -> EmbeddingState {
        EmbeddingState {
            version: version.into(),
            dim: 384,
            content_hash: content_hash(text),
            reembed: i64::from(reembed),
        }
    }

    #[test]
    fn m28_gone_empty_or_withdrawn_sources_lose_their_vectors() {
        let model = LocalEmbedder::model_info();
        for (text, allowed) in [(None, true), (Some("  , ."), true), (Some("rust"), false)] {
            match decide(&target(), text, allowed, None, &model) {
                EmbedStep::Delete(st) => {
                    assert_eq!(st.name, "EMBEDDING_DELETE_FOR_SOURCE");
                    assert_eq!(
                        st.params,
                        vec![
                            SqlValue::Text("profile".into()),
                            SqlValue::Text("usr_1".into())
                        ]
                    );
                }
                other => panic!("{text:?} {allowed}: {other:?}"),
            }
        }
    }

    #[test]
    fn m28_only_changed_sources_fallbacks_and_new_versions_are_embedded() {
        let model = LocalEmbedder::model_info();
        let text = "rust and websockets";
        let cases = [
            (None, true),
            (Some(state("1", text, false)), false),
            (Some(state("1", "old bio", false)), true),
            (Some(state("0", text, false)), true),
            (Some(state("1", text, true)), true),
        ];
        for (stored, embed) in cases {
            let step = decide(&target(), Some(text), true, stored.as_ref(), &model);
            assert_eq!(
                step == EmbedStep::UpToDate,
                !embed,
                "{stored:?} gave {step:?}"
            );
        }
    }

    #[test]
    fn m28_a_direct_remote_vector_replaces_the_local_fallback() {
        let remote = ModelInfo {
            provider: "openai-compatible".into(),
            name: "text-embedding-3-small".into(),
            version: "1".into(),
            dim: 3,
        };
        let direct = store(
            &target(),
            "rust",
            &[1.0, 0.0, 0.0],
            &Provenance::direct(remote.clone()),
            "emb_1",
            5,
        );
        assert_eq!(direct.len(), 2);
        assert_eq!(direct[1].name, "EMBEDDING_DELETE_FOR_SOURCE_MODEL");
        let local = LocalEmbedder::model_info();
        let fallback = store(
            &target(),
            "rust",
            &LocalEmbedder.embed_one("rust"),
            &Provenance::fallback(local, &remote),
            "emb_2",
            5,
        );
        assert_eq!(fallback.len(), 1);
        let meta = &fallback[0].params[10];
        assert!(matches!(meta, SqlValue::Text(m) if m.contains("\"reembed\":true")));
        assert_eq!(
            fallback[0].params[5],
            SqlValue::Text(LOCAL_EMBEDDER_MODEL.into())
        );
    }
}
