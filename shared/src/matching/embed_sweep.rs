//! The embeddings sweep (rule M31): backfill and drift in one incremental
//! walk.
//!
//! **M31 — backfill and drift.** Every cron tick (and `POST
//! /v1/dev/embeddings/sweep`) takes the next page of at most
//! [`SWEEP_PAGE`] profiles after the stored cursor of the configured model
//! (`embedding_progress`, migration 0010; keyset on the user id) and runs
//! the embed job's steps (M28) on each: a legacy profile without a vector
//! is embedded (backfill); one whose vector is of another model version or
//! dimension, a local fallback, or of changed text is re-embedded (drift,
//! M5); a current one costs one read; a withdrawn user's vectors go (M27).
//! Then one guarded statement records the page ([`advance`]): the cursor
//! moves from the value read (so of two overlapping sweeps one records),
//! the counters (`scanned`, `embedded`, `deleted`, `current`,
//! `fallback`) add up, and a short page ends the pass (`passes` + 1, the
//! cursor back to ''), so the walk starts over and picks up what drifted
//! since. Changing the model (or its version) starts a new row of
//! progress, or re-embeds in the next pass. `GET /v1/admin/embeddings`
//! shows every model's counters.

use serde::{Deserialize, Serialize};

use crate::sql::embeddings::EmbeddingProgressAdvance;
use crate::sql::Statement;

/// Profiles per sweep page (each costs a handful of reads and, when it
/// changed, one embedding).
pub const SWEEP_PAGE: i64 = 25;

/// A row of `EMBEDDING_PROGRESS_GET` / `_LIST`, as `GET /v1/admin/embeddings`
/// answers it (M31; `ToSchema` for the OpenAPI document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProgressRow {
    pub model: String,
    pub cursor: String,
    pub passes: i64,
    pub scanned: i64,
    pub embedded: i64,
    pub deleted: i64,
    pub current: i64,
    pub fallback: i64,
    #[schema(required = true)]
    pub last_pass_at: Option<i64>,
    pub updated_at: i64,
}

/// What one page did (`POST /v1/dev/embeddings/sweep`'s `page`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PageCounts {
    pub scanned: i64,
    pub embedded: i64,
    pub deleted: i64,
    pub current: i64,
    /// Sources embedded by the local fallback (M3) in this page.
    pub fallback: i64,
}

/// M31: the statement recording a page: `page` are the user ids done (in
/// order), `read_cursor` the cursor the page started after.
pub fn advance(
    model: &str,
    read_cursor: &str,
    page: &[String],
    counts: &PageCounts,
    now_ms: i64,
) -> Statement {
    let pass_done = i64::try_from(page.len()).unwrap_or(i64::MAX) < SWEEP_PAGE;
    let cursor = if pass_done {
        ""
    } else {
        page.last().map_or("", String::as_str)
    };
    EmbeddingProgressAdvance {
        model,
        read_cursor,
        cursor,
        pass_done,
        scanned: counts.scanned,
        embedded: counts.embedded,
        deleted: counts.deleted,
        current: counts.current,
        fallback: counts.fallback,
        now_ms,
    }
    .statement()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("user_{i:03}")).collect()
    }

    #[test]
    fn m31_a_full_page_moves_the_cursor_and_a_short_one_ends_the_pass() {
        let counts = PageCounts {
            scanned: 25,
            embedded: 3,
            ..PageCounts::default()
        };
        let full = advance("m", "", &ids(25), &counts, 9);
        assert_eq!(full.params[1], SqlValue::Text(String::new()));
        assert_eq!(full.params[2], SqlValue::Text("user_024".into()));
        assert_eq!(full.params[3], SqlValue::Integer(0));
        let short = advance("m", "user_024", &ids(3), &counts, 9);
        assert_eq!(short.params[1], SqlValue::Text("user_024".into()));
        assert_eq!(short.params[2], SqlValue::Text(String::new()));
        assert_eq!(short.params[3], SqlValue::Integer(1));
        assert_eq!(short.params[5], SqlValue::Integer(3));
    }
}
