//! Operators' and admins' bodies beyond flags: the audit log, the
//! embeddings sweep, the run-time rate limits (`connvo_shared::operator_limits`),
//! and the development-only tools' answers.

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// `GET /v1/admin/audit`: newest first, keyset-paginated.
#[derive(ToSchema)]
pub struct AuditPage {
    pub items: Vec<crate::audit::AuditRecord>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `GET /v1/admin/embeddings` (and `POST /v1/dev/embeddings/sweep`, with `page`).
#[derive(ToSchema)]
pub struct EmbeddingsStatus {
    /// The model new vectors are made with.
    pub configured_model: crate::matching::embedder::ModelInfo,
    /// Every model's sweep counters (M31).
    pub progress: Vec<crate::matching::embed_sweep::ProgressRow>,
    /// `POST /v1/dev/embeddings/sweep` only: the page just run.
    pub page: Option<crate::matching::embed_sweep::PageCounts>,
}

/// A limit: `limit` requests per `window_secs`.
#[derive(ToSchema)]
pub struct LimitView {
    pub limit: i64,
    pub window_secs: i64,
}

/// One route class's limits.
#[derive(ToSchema)]
pub struct ClassLimits {
    /// `null` for classes limited per address only (webhooks).
    #[schema(required = true)]
    pub per_user: Option<LimitView>,
    pub per_ip: LimitView,
}

/// `GET`/`PUT /v1/admin/rate-limits`: what is in force (docs/security.md).
#[derive(ToSchema)]
pub struct RateLimitSettings {
    /// Route class → its limits.
    pub classes: BTreeMap<String, ClassLimits>,
    /// Caller tier → percent of the class's limit.
    pub tiers: BTreeMap<String, i64>,
    /// Addresses (CIDR) that bypass the limits.
    pub allow_ips: Vec<String>,
    /// The stored run-time settings, or `null` when only the configuration applies.
    #[schema(required = true)]
    pub stored: Option<serde_json::Value>,
    pub env: String,
    #[schema(required = true)]
    pub updated_by: Option<String>,
    #[schema(required = true)]
    pub reason: Option<String>,
    #[schema(required = true)]
    pub updated_at: Option<i64>,
}

/// `PUT /v1/admin/rate-limits`: the run-time settings (docs/security.md)
/// and why (audited). Operators only.
#[derive(ToSchema)]
#[schema(example = json!({"tiers": {"anonymous": 50}, "reason": "incident 42"}))]
pub struct RateLimitSet {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Route class → `{per_user?, per_ip?}` overrides.
    pub classes: Option<BTreeMap<String, serde_json::Value>>,
    /// Caller tier → percent.
    pub tiers: Option<BTreeMap<String, i64>>,
    /// CIDR blocks that bypass the limits.
    pub allow_ips: Option<Vec<String>>,
}

/// `GET /v1/dev/bench/verify` (dev auth only): token verification timings
/// (docs/benchmarks.md has every field).
#[derive(ToSchema)]
pub struct VerifyTimings {
    /// Verifications timed.
    pub n: i64,
    pub batch_size: i64,
    pub batches: i64,
    pub total_ms: f64,
    pub mean_ms_per_token: f64,
    /// The same through WebCrypto.
    pub webcrypto: serde_json::Value,
}
