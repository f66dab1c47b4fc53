//! Test support shared by the migration tests and the import benchmark
//! (`examples/bench_import.rs` includes it by path).

pub mod workos;
