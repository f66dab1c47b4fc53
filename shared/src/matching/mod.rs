//! People and matching, the pure parts (issue 12, `docs/matching.md`).
//!
//! - [`embedder`], [`local_embedder`], [`remote_embedder`], [`vector_codec`]:
//!   text to vectors behind the [`embedder::Embedder`] trait, the local
//!   lexical default, the wire formats of the remote providers, and the
//!   D1 storage encoding.
//! - [`vector_index`]: the [`vector_index::VectorIndex`] trait and the exact
//!   cosine ranking; [`vector_sql`]: the exact index over stored rows (D1,
//!   M32); [`vectorize`]: the Cloudflare Vectorize index (M33);
//!   [`vector_backend`]: which one serves a model (M34).
//! - [`scoring`], [`feedback`]: how compatible two people are, in a number
//!   and in words, and how accept/decline outcomes move the weights.
//! - [`queue`], [`cycle`]: the queue entry state machine, enter-request
//!   validation, sharding, and the planning of one matching cycle.
//! - [`connections`]: the connection-request state machine.
//! - [`consent_gate`], [`embed_plan`]: who may be embedded and matched
//!   (M27), and embedding one source (M28); [`embed_sweep`]: backfill and
//!   drift (M31).
//! - [`proposal_retry`]: the meeting of a matched proposal, retried (M29).
//! - [`vector_candidates`]: cycle candidates through the vector index (M30).
//!
//! Nothing here reads the clock or a random source: times come in as unix
//! milliseconds (`now_ms`). Rule IDs (`M1`…) are the ones of
//! `docs/matching.md`; the tests that prove them carry the ID in their name.

pub mod connection_plan;
pub mod connections;
pub mod consent_gate;
pub mod cycle;
pub mod cycle_run;
pub mod embed_plan;
pub mod embed_sweep;
pub mod embedder;
pub mod feedback;
pub mod hashing;
pub mod local_embedder;
pub mod post_call;
pub mod profile_vector;
pub mod proposal_plan;
pub mod proposal_retry;
pub mod queue;
pub mod queue_plan;
pub mod ready;
pub mod remote_embedder;
pub mod scoring;
pub mod text;
pub mod vector_backend;
pub mod vector_candidates;
pub mod vector_codec;
pub mod vector_index;
pub mod vector_sql;
pub mod vectorize;
