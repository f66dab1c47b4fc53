//! Health checks.

/// Liveness of the D1 binding: one row, `ok = 1`.
pub const HEALTH_PING: &str = "SELECT 1 AS ok";

/// The schema version the last applied migration recorded ("0005", ...).
pub const HEALTH_SCHEMA_VERSION: &str = "\
SELECT value AS schema_version, updated_at FROM schema_meta WHERE key = 'schema_version'";
