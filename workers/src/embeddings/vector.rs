//! The vector index of the configured embedding model (rules M32–M34):
//! [`open`] reads the model's active `vector_index_meta` row and returns
//! the backend it names — the exact index over D1 (`SqlExactIndex` on the
//! `DB` binding, the default) or Cloudflare Vectorize (`VectorizeIndex`
//! over its REST API). Callers (the embed jobs, queue entry, matching
//! cycles) hold an [`Index`] and never branch on which it is.
//!
//! Vectorize configuration: the meta row's `index_name` and
//! `config.account_id`; the secret `VECTORIZE_API_TOKEN` (bearer);
//! `VECTORIZE_API_BASE` overrides the API base (the e2e tests point it
//! at their fake); `VECTORIZE_TIMEOUT_MS` (default 5000) bounds one
//! exchange.

use connvo_rooms::d1::D1;
use connvo_shared::matching::embedder::ModelInfo;
use connvo_shared::matching::vector_backend::{choose, Backend, IndexMetaRow};
use connvo_shared::matching::vector_index::{
    VectorFilter, VectorHit, VectorIndex, VectorIndexError, VectorKey, VectorRecord,
};
use connvo_shared::matching::vector_sql::{CandidateRow, SqlExactIndex, VectorRows};
use connvo_shared::matching::vectorize::{
    vectorize_url, VectorizeIndex, VectorizeOp, VectorizeTransport, VECTORIZE_API_BASE,
};
use connvo_shared::sql::embeddings::VectorIndexGetActive;
use connvo_shared::sql::Statement;
use connvo_shared::ApiError;
use worker::Env;

use crate::config::var;

const DEFAULT_TIMEOUT_MS: u64 = 5_000;

/// D1 as the exact index's row store.
pub struct D1Rows(D1);

impl VectorRows for D1Rows {
    async fn candidates(&self, statements: &[Statement]) -> Result<Vec<CandidateRow>, String> {
        let outcomes = self.0.batch(statements).await.map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        for o in outcomes {
            rows.extend(o.decode::<CandidateRow>().map_err(|e| e.to_string())?);
        }
        Ok(rows)
    }

    async fn write(&self, statements: &[Statement]) -> Result<(), String> {
        self.0
            .batch(statements)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Vectorize's REST API over `fetch`.
pub struct Http {
    base: String,
    account_id: String,
    index_name: String,
    token: Option<String>,
    timeout_ms: u64,
}

impl VectorizeTransport for Http {
    async fn send(&self, op: VectorizeOp, body: String) -> Result<(u16, Vec<u8>), String> {
        let url = vectorize_url(&self.base, &self.account_id, &self.index_name, op);
        let mut headers = vec![("content-type", op.content_type().to_owned())];
        if let Some(token) = &self.token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        super::remote::post(&url, &headers, body, self.timeout_ms).await
    }
}

/// The backend serving the configured model.
pub enum Index {
    Exact(SqlExactIndex<D1Rows>),
    Vectorize(VectorizeIndex<Http>),
}

fn backend_error(err: VectorIndexError) -> ApiError {
    ApiError::internal(format!("vector index ({}): {err}", err.code()))
}

/// M34: the index of `model`, as its active `vector_index_meta` row says.
pub async fn open(env: &Env, model: &ModelInfo, now_ms: i64) -> Result<Index, ApiError> {
    let db = D1::from_env(env)?;
    let row = db
        .first::<IndexMetaRow>(VectorIndexGetActive { model: &model.name })
        .await?;
    let backend = choose(row.as_ref(), model)
        .map_err(|e| ApiError::internal(format!("{}: {e}", e.code())))?;
    Ok(match backend {
        Backend::Exact => Index::Exact(SqlExactIndex::new(D1Rows(db), model.clone(), now_ms)),
        Backend::Vectorize {
            index_name,
            account_id,
        } => {
            let timeout_ms = var(env, "VECTORIZE_TIMEOUT_MS")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|v| (100..=60_000).contains(v))
                .unwrap_or(DEFAULT_TIMEOUT_MS);
            let http = Http {
                base: var(env, "VECTORIZE_API_BASE")
                    .filter(|b| b.starts_with("https://") || b.starts_with("http://"))
                    .unwrap_or_else(|| VECTORIZE_API_BASE.to_owned()),
                account_id,
                index_name,
                token: var(env, "VECTORIZE_API_TOKEN"),
                timeout_ms,
            };
            Index::Vectorize(VectorizeIndex::new(http, model.dim))
        }
    })
}

impl VectorIndex for Index {
    fn dim(&self) -> usize {
        match self {
            Index::Exact(i) => i.dim(),
            Index::Vectorize(i) => i.dim(),
        }
    }

    async fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<(), VectorIndexError> {
        match self {
            Index::Exact(i) => i.upsert(records).await,
            Index::Vectorize(i) => i.upsert(records).await,
        }
    }

    async fn delete_source(&mut self, key: &VectorKey) -> Result<(), VectorIndexError> {
        match self {
            Index::Exact(i) => i.delete_source(key).await,
            Index::Vectorize(i) => i.delete_source(key).await,
        }
    }

    async fn query(
        &self,
        vector: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<VectorHit>, VectorIndexError> {
        match self {
            Index::Exact(i) => i.query(vector, k, filter).await,
            Index::Vectorize(i) => i.query(vector, k, filter).await,
        }
    }
}

/// Upserts `records` (vectors of `model`) into the model's index; an
/// index failure is an error of the caller (the job retries).
pub async fn upsert(
    env: &Env,
    model: &ModelInfo,
    records: Vec<VectorRecord>,
    now_ms: i64,
) -> Result<(), ApiError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut index = open(env, model, now_ms).await?;
    index.upsert(records).await.map_err(backend_error)
}

/// Removes `keys` from the model's index (a source deleted or a consent
/// withdrawn). Other domains that delete a source call this after
/// `embed_plan::delete_source_embeddings`, so an external index forgets
/// it too.
pub async fn forget(
    env: &Env,
    model: &ModelInfo,
    keys: &[VectorKey],
    now_ms: i64,
) -> Result<(), ApiError> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut index = open(env, model, now_ms).await?;
    for key in keys {
        index.delete_source(key).await.map_err(backend_error)?;
    }
    Ok(())
}
