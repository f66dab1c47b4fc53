//! Profiles and the interest catalogue (`connvo_shared::profiles`, I31–I32).

use utoipa::ToSchema;

/// One interest of the catalogue (`GET /v1/interests`) or of a profile.
#[derive(ToSchema)]
#[schema(example = json!({"key": "rust", "label": "Rust", "category": "technology"}))]
pub struct Interest {
    pub key: String,
    pub label: String,
    pub category: String,
}

/// `GET /v1/interests`: the whole catalogue, sorted by key.
#[derive(ToSchema)]
pub struct InterestCatalogue {
    pub items: Vec<Interest>,
}

/// A profile as the API shows it (`GET/PUT /v1/me/profile`, `GET
/// /v1/users/{id}/profile`). A user who never wrote one gets this shape with
/// empty fields (`display_name` from the account, `updated_at: null`).
#[derive(ToSchema)]
pub struct Profile {
    pub user_id: String,
    #[schema(required = true)]
    pub display_name: Option<String>,
    #[schema(required = true)]
    pub headline: Option<String>,
    #[schema(required = true)]
    pub bio: Option<String>,
    #[schema(required = true)]
    pub goals: Option<String>,
    #[schema(required = true)]
    pub experience: Option<String>,
    pub languages: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<Interest>,
    /// Unix ms; `null` before the first write.
    #[schema(required = true)]
    pub updated_at: Option<i64>,
}

/// `PUT /v1/me/profile`: the whole profile (an absent optional field clears it).
#[derive(ToSchema)]
#[schema(example = json!({"display_name": "Ada", "headline": "CTO", "skills": ["rust"], "interests": ["rust"]}))]
pub struct ProfilePut {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    #[schema(max_length = 160)]
    pub headline: Option<String>,
    #[schema(max_length = 2000)]
    pub bio: Option<String>,
    #[schema(max_length = 1000)]
    pub goals: Option<String>,
    #[schema(max_length = 2000)]
    pub experience: Option<String>,
    /// At most 10 distinct strings of ≤ 40 characters.
    #[schema(max_items = 10)]
    pub languages: Option<Vec<String>>,
    /// At most 30 distinct strings of ≤ 60 characters.
    #[schema(max_items = 30)]
    pub skills: Option<Vec<String>>,
    /// At most 30 distinct keys of the catalogue (`GET /v1/interests`).
    #[schema(max_items = 30)]
    pub interests: Option<Vec<String>>,
}

/// One module's read switch (L2): where the caller's reads go.
#[derive(ToSchema)]
pub struct ReadSwitch {
    /// `profiles`, `connections` or `meetings`.
    pub module: String,
    /// The feature flag that moves it.
    pub flag: String,
    /// `d1` or `legacy`.
    pub source: String,
    /// The flag's decision for the caller.
    pub on: bool,
    /// `default`, `disabled`, `org_override` or `rollout`.
    pub reason: String,
    /// With `reason: rollout`: the caller's bucket.
    pub bucket: Option<i64>,
    /// With `reason: rollout`: the flag's percentage.
    pub percentage: Option<i64>,
}

/// `GET /v1/migration/read-switches`.
#[derive(ToSchema)]
pub struct ReadSwitches {
    pub switches: Vec<ReadSwitch>,
}
