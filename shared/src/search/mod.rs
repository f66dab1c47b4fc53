//! Search query building, the pure parts (issue 13, `docs/search.md`):
//! user input to an FTS5 `MATCH` string that can never be an FTS5 syntax
//! error, prefix autocomplete, and a one-typo rewrite against a vocabulary
//! of indexed terms. Rule IDs `S1`… are the ones of `docs/search.md`.

pub mod query;
pub mod request;
