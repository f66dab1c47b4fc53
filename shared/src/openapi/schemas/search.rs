//! Search (`workers/src/search`, S1–S15): hits straight from the FTS
//! queries' columns (`connvo_shared::sql::search`), with highlights and
//! snippets marked `<mark>…</mark>`.

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// A meeting hit.
#[derive(ToSchema)]
pub struct MeetingHit {
    pub id: String,
    pub title: String,
    pub state: String,
    #[schema(required = true)]
    pub organizer_id: Option<String>,
    pub scheduled_at: i64,
    pub participant_count: i64,
    #[schema(required = true)]
    pub language: Option<String>,
    pub title_highlight: Option<String>,
    pub description_snippet: Option<String>,
    pub host_highlight: Option<String>,
    pub participants_snippet: Option<String>,
}

/// A transcript hit: a speaker-turn segment (with `id`) after the meeting,
/// or a live chunk (with `seq`) before segments exist.
#[derive(ToSchema)]
pub struct TranscriptHit {
    /// `segment` or `live`.
    pub source: String,
    /// The segment's id (segments only).
    pub id: Option<String>,
    /// The chunk's sequence number (live chunks only).
    pub seq: Option<i64>,
    pub meeting_id: String,
    pub meeting_title: String,
    #[schema(required = true)]
    pub speaker_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Where to jump to in the recording (the transcript clock).
    pub offset_ms: i64,
    /// The whole text of the segment or chunk.
    pub context: String,
    #[schema(required = true)]
    pub language: Option<String>,
    pub snippet: Option<String>,
}

/// A member hit (the caller's organisation; admins also see `email`).
#[derive(ToSchema)]
pub struct UserHit {
    pub user_id: String,
    #[schema(required = true)]
    pub display_name: Option<String>,
    #[schema(required = true)]
    pub headline: Option<String>,
    /// Organisation admins only.
    pub email: Option<String>,
    /// Profile matches only (not matches by email).
    pub name_highlight: Option<String>,
    pub snippet: Option<String>,
}

/// `GET /v1/search/meetings`.
#[derive(ToSchema)]
pub struct MeetingHitPage {
    pub items: Vec<MeetingHit>,
    /// The next page's `offset` (at most 200), or `null`.
    #[schema(required = true)]
    pub next_offset: Option<i64>,
}

/// `GET /v1/search/transcripts`.
#[derive(ToSchema)]
pub struct TranscriptHitPage {
    pub items: Vec<TranscriptHit>,
    #[schema(required = true)]
    pub next_offset: Option<i64>,
}

/// `GET /v1/search/users`.
#[derive(ToSchema)]
pub struct UserHitPage {
    pub items: Vec<UserHit>,
    #[schema(required = true)]
    pub next_offset: Option<i64>,
}

/// Hits per type.
#[derive(ToSchema)]
pub struct SearchCounts {
    pub meetings: i64,
    pub transcripts: i64,
    pub notes: i64,
    pub users: i64,
}

/// The facets of the meeting hits.
#[derive(ToSchema)]
pub struct SearchFacets {
    /// Meeting state → hits.
    pub meeting_state: BTreeMap<String, i64>,
}

/// `GET /v1/search`: the first page of every type.
#[derive(ToSchema)]
pub struct SearchAll {
    pub meetings: Vec<MeetingHit>,
    pub transcripts: Vec<TranscriptHit>,
    pub users: Vec<UserHit>,
    pub counts: SearchCounts,
    pub facets: SearchFacets,
}

/// A meeting suggestion.
#[derive(ToSchema)]
pub struct MeetingSuggestion {
    pub id: String,
    pub title: String,
    #[schema(required = true)]
    pub highlight: Option<String>,
}

/// A member suggestion.
#[derive(ToSchema)]
pub struct UserSuggestion {
    pub user_id: String,
    #[schema(required = true)]
    pub display_name: Option<String>,
    #[schema(required = true)]
    pub highlight: Option<String>,
}

/// `GET /v1/search/suggest` (S3).
#[derive(ToSchema)]
pub struct Suggestions {
    pub meetings: Vec<MeetingSuggestion>,
    pub users: Vec<UserSuggestion>,
}

/// `POST /v1/admin/search/{entity}/reindex` (S9).
#[derive(ToSchema)]
pub struct ReindexRun {
    pub id: String,
    /// `meetings`, `transcripts`, `notes` or `users`.
    pub entity: String,
    /// `done`.
    pub status: String,
    pub finished_at: i64,
}
