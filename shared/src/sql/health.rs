//! Health checks.

use crate::params;

/// Liveness of the D1 binding: one row, `ok = 1`.
pub const HEALTH_PING: &str = "SELECT 1 AS ok";
params! {
    /// Parameters of [`HEALTH_PING`], none.
    HEALTH_PING => HealthPing {}
}

/// The schema version the last applied migration recorded ("0005", ...).
pub const HEALTH_SCHEMA_VERSION: &str = "\
SELECT value AS schema_version, updated_at FROM schema_meta WHERE key = 'schema_version'";
params! {
    /// Parameters of [`HEALTH_SCHEMA_VERSION`], none.
    HEALTH_SCHEMA_VERSION => HealthSchemaVersion {}
}
