//! Connections and blocks (`connvo_shared::matching::connection_plan`,
//! M17–M20) and matching (`connvo_shared::matching::{queue_plan,
//! proposal_plan}`, M12–M24).

use utoipa::ToSchema;

/// A connection or a block, as one of its two members sees it (M20).
#[derive(ToSchema)]
pub struct Connection {
    pub id: String,
    pub requester_id: String,
    pub addressee_id: String,
    /// The other member.
    pub peer_id: String,
    /// `outgoing` (the caller asked) or `incoming`.
    pub direction: String,
    /// `pending`, `accepted`, `declined` or `blocked`.
    pub status: String,
    #[schema(required = true)]
    pub message: Option<String>,
    #[schema(required = true)]
    pub responded_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /v1/connections`: newest change first, keyset-paginated.
#[derive(ToSchema)]
pub struct ConnectionPage {
    pub items: Vec<Connection>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `POST /v1/connections` (M18).
#[derive(ToSchema)]
#[schema(example = json!({"user_id": "user_bob", "message": "Great talk!"}))]
pub struct ConnectionRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub user_id: String,
    pub message: Option<String>,
}

/// What a queue entry asks of a match.
#[derive(ToSchema)]
pub struct MatchConstraints {
    /// Interest keys of the catalogue.
    pub interests: Option<Vec<String>>,
    /// Roles to meet (`founder`, `investor`, …).
    pub roles: Option<Vec<String>>,
    /// `any` (default), `same_org` or `other_org`.
    pub org_constraints: Option<String>,
}

/// `POST /v1/matching/queue` (M12). Times are unix ms.
#[derive(ToSchema)]
#[schema(example = json!({"available_from": 1767225600000_i64, "available_to": 1767229200000_i64, "constraints": {"interests": ["rust"]}}))]
pub struct EnterQueueRequest {
    #[schema(minimum = 0)]
    pub available_from: i64,
    #[schema(minimum = 0)]
    pub available_to: i64,
    pub constraints: Option<MatchConstraints>,
}

/// A matching queue entry.
#[derive(ToSchema)]
pub struct QueueEntry {
    pub id: String,
    /// `waiting`, `proposed`, `accepted`, `declined`, `expired` or `cancelled`.
    pub status: String,
    pub available_from: i64,
    pub available_to: i64,
    /// As entered (`{interests, roles, org_constraints}`).
    pub constraints: serde_json::Value,
    /// The proposal it is in, if any.
    #[schema(required = true)]
    pub proposal_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /v1/matching/queue` (M21).
#[derive(ToSchema)]
pub struct QueueStatus {
    /// The caller's active entry, or `null`.
    #[schema(required = true)]
    pub entry: Option<QueueEntry>,
}

/// A matching proposal, as one of its two users sees it (M24).
#[derive(ToSchema)]
pub struct Proposal {
    pub id: String,
    /// `proposed`, `matched`, `declined` or `expired`.
    pub status: String,
    pub peer_user_id: String,
    pub score: f64,
    /// The score's factors (docs/matching.md).
    pub factors: serde_json::Value,
    pub starts_at: i64,
    pub respond_by: i64,
    /// `pending`, `accepted`, `declined` or `closed`; `null` when the
    /// caller's entry moved on.
    #[schema(required = true)]
    pub my_answer: Option<String>,
    /// The meeting created once both accepted.
    #[schema(required = true)]
    pub meeting_id: Option<String>,
    pub created_at: i64,
}

/// `POST /v1/dev/matching/cycle`.
#[derive(ToSchema)]
pub struct MatchingCycleRequest {
    /// One shard only (default every shard).
    #[schema(minimum = 0)]
    pub shard: Option<i64>,
}

/// One shard's cycle.
#[derive(ToSchema)]
pub struct ShardReport {
    pub shard: i64,
    pub seeds: i64,
    pub candidates: i64,
    pub pairs_scored: i64,
    pub planned: i64,
    pub claimed: i64,
    pub proposals: Vec<String>,
}

/// `POST /v1/dev/matching/cycle`: what the cycles did.
#[derive(ToSchema)]
pub struct MatchingCycle {
    pub shards: Vec<ShardReport>,
    /// Proposals settled by the sweep.
    pub settled: i64,
}
