//! Meeting intelligence: insights (`connvo_shared::insights`), prompts
//! (`connvo_shared::prompts`) and the feature flags that gate them
//! (`connvo_shared::flag_admin`).

use utoipa::ToSchema;

/// One insight in `GET /v1/me/insights` (the summary fields).
#[derive(ToSchema)]
pub struct InsightSummary {
    pub id: String,
    pub meeting_id: String,
    pub summary: String,
    /// The generator's topics (JSON as stored).
    pub topics: serde_json::Value,
    pub action_items: serde_json::Value,
    /// `private` (only the owner sees it).
    pub visibility: String,
    /// Unix ms.
    pub created_at: i64,
}

/// `GET /v1/me/insights`: newest first, keyset-paginated.
#[derive(ToSchema)]
pub struct InsightPage {
    pub items: Vec<InsightSummary>,
    /// Pass back as `cursor` until it is `null`.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `GET /v1/meetings/{id}/insights/me`: the caller's insight of a concluded
/// meeting (docs/intelligence.md has the parts' shapes).
#[derive(ToSchema)]
pub struct Insight {
    pub id: String,
    pub user_id: String,
    pub meeting_id: String,
    pub summary: String,
    pub topics: serde_json::Value,
    pub decisions: serde_json::Value,
    pub action_items: serde_json::Value,
    /// The recommendations of kind `follow_up`.
    pub follow_ups: Vec<serde_json::Value>,
    /// The other recommendations (people to connect with).
    pub recommendations: Vec<serde_json::Value>,
    pub links: serde_json::Value,
    pub visibility: String,
    /// Which provider and model wrote it.
    pub provenance: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A pre-call idea or an in-call prompt.
#[derive(ToSchema)]
pub struct Prompt {
    pub id: String,
    /// `precall` or `incall`.
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub tags: serde_json::Value,
    pub relevance: f64,
    pub source: String,
    #[schema(required = true)]
    pub trigger_reason: Option<String>,
    #[schema(required = true)]
    pub source_prompt_id: Option<String>,
    #[schema(required = true)]
    pub used_at: Option<i64>,
    #[schema(required = true)]
    pub feedback: Option<String>,
    #[schema(required = true)]
    pub feedback_at: Option<i64>,
    pub created_at: i64,
}

/// `GET /v1/meetings/{id}/prompts`: oldest first, keyset-paginated.
#[derive(ToSchema)]
pub struct PromptPage {
    pub items: Vec<Prompt>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// One feature flag of this environment, stored or default (I13, I30).
#[derive(ToSchema)]
pub struct FeatureFlag {
    /// `intelligence.precall`, `intelligence.incall`, `intelligence.insights`
    /// or `matching`.
    pub key: String,
    pub enabled: bool,
    #[schema(minimum = 0, maximum = 100)]
    pub rollout_percentage: i64,
    /// Per-organisation overrides: org id → on/off.
    pub orgs: std::collections::BTreeMap<String, bool>,
    /// The stored value (`true`, or `{orgs}`).
    pub value: serde_json::Value,
    /// What the flag answers for the caller's organisation (rollout ignored).
    pub on_for_my_org: bool,
    /// `true` when nothing is stored (the default applies).
    pub default: Option<bool>,
    /// Stored flags only.
    pub description: Option<String>,
    pub updated_by: Option<String>,
    pub reason: Option<String>,
    pub updated_at: Option<i64>,
}

/// `GET /v1/admin/flags`.
#[derive(ToSchema)]
pub struct FlagList {
    /// The environment's name.
    pub env: String,
    pub items: Vec<FeatureFlag>,
    /// How long an isolate caches the flags (ms).
    pub cache_ttl_ms: i64,
}

/// `PUT /v1/admin/flags`: one flag's new state (audited).
#[derive(ToSchema)]
#[schema(example = json!({"key": "matching", "enabled": true, "reason": "launch"}))]
pub struct FlagSetRequest {
    /// `intelligence.precall`, `intelligence.incall`, `intelligence.insights` or `matching`.
    pub key: String,
    pub enabled: bool,
    /// Default 100.
    #[schema(minimum = 0, maximum = 100)]
    pub rollout_percentage: Option<i64>,
    /// Org id → on/off, at most 100.
    pub orgs: Option<std::collections::BTreeMap<String, bool>>,
    pub description: Option<String>,
    /// Why (audited).
    #[schema(min_length = 1)]
    pub reason: String,
}

/// `PUT /v1/admin/flags`: the flag as stored.
#[derive(ToSchema)]
pub struct FlagSet {
    pub key: String,
    pub env: String,
    pub enabled: bool,
    pub rollout_percentage: i64,
    pub orgs: std::collections::BTreeMap<String, bool>,
    pub value: serde_json::Value,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub updated_by: Option<String>,
    #[schema(required = true)]
    pub reason: Option<String>,
    pub updated_at: i64,
    /// Live rooms told about the change.
    pub rooms_notified: i64,
}
