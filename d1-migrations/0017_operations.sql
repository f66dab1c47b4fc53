-- Operations (docs/operations.md, docs/security.md): who the alert cron
-- notifies, and the rate limits operators adjust at run time.

-- Organisation admins (the alert cron notifies them, O10).
CREATE INDEX users_org_role ON users (org_role, id) WHERE org_role IS NOT NULL;

-- The run-time rate-limit settings of an environment (one row per
-- environment): class overrides, tier percentages and the IP allow-list
-- (`connvo_shared::operator_limits`), validated before they are written,
-- every change audited (`admin.rate_limits.set`).
CREATE TABLE operator_limits (
  env         TEXT PRIMARY KEY CHECK (length(env) BETWEEN 1 AND 32),
  config      TEXT NOT NULL CHECK (json_valid(config)),
  updated_by  TEXT NOT NULL,
  reason      TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0017', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
