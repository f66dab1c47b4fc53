//! connvo-migrate: moves Connvo's data off the old Supabase/Drizzle
//! PostgreSQL backend into D1 (issue 16; docs/migration.md).
//!
//! The decisions are pure and tested natively: the mapping as data
//! (`spec`), the field conversions (`convert`), one row's mapping
//! (`mapping`), identity reconciliation (`reconcile`), re-keying
//! provisional users once WorkOS knows them (`rekey`), the write plan and
//! its bookkeeping (`writes`), keyset cursors and watermarks (`cursor`),
//! the parity comparison (`parity`) and the rollback's reverse mapping
//! (`rollback`). The I/O shells read and write the old store (`legacy`),
//! write D1 (`target`), ask WorkOS (`workos`), and run the subcommands
//! (`commands`, `rollback_run`).

pub mod commands;
pub mod convert;
pub mod cursor;
pub mod legacy;
pub mod mapping;
pub mod parity;
pub mod reconcile;
pub mod rekey;
pub mod rollback;
pub mod rollback_run;
pub mod spec;
pub mod target;
pub mod value;
pub mod workos;
pub mod writes;
