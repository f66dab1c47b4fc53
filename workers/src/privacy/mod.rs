//! Privacy routes (docs/privacy.md): the caller's consents (P19). The
//! export and erasure jobs are not wired yet (their pure plans are in
//! `connvo_shared::privacy`).

pub mod consents;
