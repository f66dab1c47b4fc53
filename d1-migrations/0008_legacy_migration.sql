-- 0008: bookkeeping of the move off the old Supabase/Drizzle store (issue 16,
-- connvo-migrate, docs/migration.md). Written only by the migration tool, in
-- the same atomic batch as the rows it imports, so a checkpoint never runs
-- ahead of the data. Dropped after the decommission.

-- Which new row each old row became. `new_key` is the new primary key (parts
-- of a composite key joined with '/'); NULL for a row that was not written.
--   imported    written under new_key
--   provisional a user WorkOS does not know, written under `legacy_<uuid>`
--   merged      a duplicate account folded into new_key (nothing written)
--   flagged     not written; the reason is in legacy_import_issues
--   deleted     deleted in the old store and here (by sync)
CREATE TABLE legacy_id_map (
  legacy_table      TEXT NOT NULL,
  legacy_id         TEXT NOT NULL,
  new_table         TEXT NOT NULL,
  new_key           TEXT,
  status            TEXT NOT NULL
                    CHECK (status IN ('imported', 'provisional', 'merged', 'flagged', 'deleted')),
  -- What the new row does not keep (e.g. the Supabase auth id), JSON.
  detail            TEXT CHECK (detail IS NULL OR json_valid(detail)),
  -- The old row's updated_at (unix ms) when last copied.
  source_updated_at INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  PRIMARY KEY (legacy_table, legacy_id),
  CHECK (status IN ('flagged', 'deleted') OR new_key IS NOT NULL)
) STRICT;

-- "Which old row owns this new key?" (duplicates, verify, live-write check).
CREATE INDEX legacy_id_map_new ON legacy_id_map (new_table, new_key, status);

-- Rows reported instead of silently skipped: orphans, duplicates, schema
-- violations, accounts without a WorkOS identity. The old row is kept as
-- JSON (`row_json`), so nothing is lost. A later pass that writes the row sets resolved_at.
CREATE TABLE legacy_import_issues (
  legacy_table TEXT NOT NULL,
  legacy_id    TEXT NOT NULL,
  kind         TEXT NOT NULL,
  detail       TEXT NOT NULL,
  row_json     TEXT NOT NULL CHECK (json_valid(row_json)),
  resolved_at  INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (legacy_table, legacy_id)
) STRICT;

CREATE INDEX legacy_import_issues_open ON legacy_import_issues (legacy_table, legacy_id) WHERE resolved_at IS NULL;

-- One checkpoint per old table: the (updated_at, key) position of the last
-- row copied (the import's resume point and the sync watermark) and the
-- last tombstone applied.
CREATE TABLE legacy_checkpoints (
  legacy_table   TEXT PRIMARY KEY,
  cursor_changed TEXT,
  cursor_key     TEXT,
  rows_read      INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
  tombstone_seq  INTEGER NOT NULL DEFAULT 0 CHECK (tombstone_seq >= 0),
  import_started_at   INTEGER NOT NULL,
  import_completed_at INTEGER,
  last_sync_at   INTEGER,
  updated_at     INTEGER NOT NULL
) STRICT;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0008', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
