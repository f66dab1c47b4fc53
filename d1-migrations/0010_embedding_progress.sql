-- 0010: progress of the embeddings sweep (docs/matching.md, M31): the
-- backfill of sources without a vector of the configured model and the
-- re-embedding of drifted ones (model version, fallback, changed text),
-- walked incrementally, one bounded page per cron tick.

CREATE TABLE embedding_progress (
  -- The configured embedding model the sweep works for.
  model        TEXT PRIMARY KEY,
  -- The last profile (user id) done in the current pass; '' at the start.
  cursor       TEXT NOT NULL DEFAULT '',
  passes       INTEGER NOT NULL DEFAULT 0 CHECK (passes >= 0),
  scanned      INTEGER NOT NULL DEFAULT 0 CHECK (scanned >= 0),
  embedded     INTEGER NOT NULL DEFAULT 0 CHECK (embedded >= 0),
  deleted      INTEGER NOT NULL DEFAULT 0 CHECK (deleted >= 0),
  current      INTEGER NOT NULL DEFAULT 0 CHECK (current >= 0),
  fallback     INTEGER NOT NULL DEFAULT 0 CHECK (fallback >= 0),
  last_pass_at INTEGER,
  updated_at   INTEGER NOT NULL
) STRICT;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0010', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
