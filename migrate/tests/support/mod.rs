//! Test support shared by the migration tests and the import benchmark
//! (`examples/bench_import.rs` includes it by path). Each includer uses a
//! part of it, so what one leaves unused is not dead.
#![allow(dead_code)]

pub mod workos;
