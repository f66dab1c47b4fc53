//! connvo-migrate: moves Connvo's data off the old Supabase/Drizzle
//! PostgreSQL backend into D1 (issue 16; docs/migration.md).
//!
//! The decisions are pure and tested natively: the mapping as data
//! (`spec`), the field conversions (`convert`), one row's mapping
//! (`mapping`), identity reconciliation (`reconcile`) and re-keying provisional
//! users once WorkOS knows them (`rekey`), the write plan and
//! its bookkeeping (`writes`), keyset cursors and watermarks (`cursor`),
//! and the parity comparison (`parity`). The I/O shells read the old store
//! (`legacy`), write D1 (`target`), ask WorkOS (`workos`), and run the
//! subcommands (`commands`).

pub mod commands;
pub mod convert;
pub mod cursor;
pub mod legacy;
pub mod mapping;
pub mod parity;
pub mod reconcile;
pub mod rekey;
pub mod spec;
pub mod target;
pub mod value;
pub mod workos;
pub mod writes;
