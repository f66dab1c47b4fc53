//! Which `VectorIndex` backend serves a model (rule M34): the model's
//! active `vector_index_meta` row, read by the shell and decided here, so
//! callers hold a `VectorIndex` and never learn which one it is.
//!
//! **M34 — choosing the backend.** No active row, or a row whose
//! `provider` is `d1` (or `exact`): the exact index over D1 (M32). A row
//! with provider `vectorize`: the Vectorize index `index_name` (M33) of
//! the account in `config.account_id`; it must have the model's
//! dimension and metric `cosine` (scores are cosine similarities), else
//! the choice fails with `VECTOR_INDEX_MISCONFIGURED` rather than
//! answering nonsense. Any other provider fails the same way.

use serde::Deserialize;

use super::embedder::ModelInfo;

/// A row of `VECTOR_INDEX_GET_ACTIVE`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexMetaRow {
    pub id: String,
    pub provider: String,
    pub index_name: String,
    pub model: String,
    pub dim: i64,
    pub metric: String,
    pub config: String,
}

/// The backend a model's vectors live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The exact index over D1's `embeddings` rows (M32).
    Exact,
    /// A Cloudflare Vectorize index (M33).
    Vectorize {
        index_name: String,
        account_id: String,
    },
}

/// Why the active row cannot be used. `code()` is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vector index misconfigured: {0}")]
pub struct Misconfigured(pub String);

impl Misconfigured {
    pub fn code(&self) -> &'static str {
        "VECTOR_INDEX_MISCONFIGURED"
    }
}

#[derive(Deserialize)]
struct VectorizeConfig {
    account_id: Option<String>,
}

/// M34: the backend of `model` given its active row.
pub fn choose(row: Option<&IndexMetaRow>, model: &ModelInfo) -> Result<Backend, Misconfigured> {
    let Some(row) = row else {
        return Ok(Backend::Exact);
    };
    match row.provider.as_str() {
        "d1" | "exact" => Ok(Backend::Exact),
        "vectorize" => {
            if usize::try_from(row.dim).ok() != Some(model.dim) {
                return Err(Misconfigured(format!(
                    "{} has {} dimensions, model {} has {}",
                    row.index_name, row.dim, model.name, model.dim
                )));
            }
            if row.metric != "cosine" {
                return Err(Misconfigured(format!(
                    "{} uses metric {}, not cosine",
                    row.index_name, row.metric
                )));
            }
            let account_id = serde_json::from_str::<VectorizeConfig>(&row.config)
                .ok()
                .and_then(|c| c.account_id)
                .filter(|a| !a.trim().is_empty())
                .ok_or_else(|| Misconfigured("vectorize needs config.account_id".into()))?;
            Ok(Backend::Vectorize {
                index_name: row.index_name.clone(),
                account_id,
            })
        }
        other => Err(Misconfigured(format!("unknown provider {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::local_embedder::LocalEmbedder;

    fn row(provider: &str, dim: i64, metric: &str, config: &str) -> IndexMetaRow {
        IndexMetaRow {
            id: "vim_1".into(),
            provider: provider.into(),
            index_name: "people".into(),
            model: "connvo-local-lexical".into(),
            dim,
            metric: metric.into(),
            config: config.into(),
        }
    }

    #[test]
    fn m34_no_row_or_d1_is_the_exact_index() {
        let model = LocalEmbedder::model_info();
        assert_eq!(choose(None, &model), Ok(Backend::Exact));
        assert_eq!(
            choose(Some(&row("d1", 384, "cosine", "{}")), &model),
            Ok(Backend::Exact)
        );
    }

    #[test]
    fn m34_a_vectorize_row_names_its_index_and_account() {
        let model = LocalEmbedder::model_info();
        let r = row("vectorize", 384, "cosine", r#"{"account_id": "acc"}"#);
        assert_eq!(
            choose(Some(&r), &model),
            Ok(Backend::Vectorize {
                index_name: "people".into(),
                account_id: "acc".into()
            })
        );
    }

    #[test]
    fn m34_a_row_that_cannot_serve_the_model_is_refused() {
        let model = LocalEmbedder::model_info();
        for bad in [
            row("vectorize", 768, "cosine", r#"{"account_id": "acc"}"#),
            row("vectorize", 384, "euclidean", r#"{"account_id": "acc"}"#),
            row("vectorize", 384, "cosine", "{}"),
            row("pinecone", 384, "cosine", "{}"),
        ] {
            let err = choose(Some(&bad), &model).unwrap_err();
            assert_eq!(err.code(), "VECTOR_INDEX_MISCONFIGURED");
        }
    }
}
