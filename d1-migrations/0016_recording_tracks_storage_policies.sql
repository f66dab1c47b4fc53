-- 0016: recording tracks, storage policies and retention runs (issue 14,
-- docs/recordings.md F23–F26, docs/privacy.md P22–P25).

-- Each file Stream announces is one track of a recording job: which track
-- (connvo_shared::recordings::tracks), its duration (end - start) and its
-- size (the file's Content-Length, probed once after the webhook; NULL until
-- known or when the file store does not say).
ALTER TABLE meeting_recordings ADD COLUMN job_id TEXT;
ALTER TABLE meeting_recordings ADD COLUMN track TEXT
  CHECK (track IS NULL OR track IN ('composite', 'audio_only', 'video_only', 'audio_video', 'screen_share', 'transcript'));
ALTER TABLE meeting_recordings ADD COLUMN duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0);
ALTER TABLE meeting_recordings ADD COLUMN size_bytes INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0);

-- A job's tracks (GET /v1/recordings/{id}, the meeting's list).
CREATE INDEX meeting_recordings_job ON meeting_recordings (job_id);
-- Retention of recordings (RETENTION_HELD_PURGE_RECORDINGS*), oldest first.
CREATE INDEX meeting_recordings_created ON meeting_recordings (created_at);

-- An organisation's storage policy for one data class (`scope`): how long
-- it lives (`retention_days`, 0 = indefinitely), whether retention deletes
-- it at all (`auto_delete`), and the storage tier it asks for. One per
-- (org, scope); the section 14 schedule applies where there is none.
CREATE TABLE storage_policies (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL,
  name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  scope          TEXT NOT NULL CHECK (scope IN ('messages', 'recordings')),
  retention_days INTEGER NOT NULL CHECK (retention_days BETWEEN 0 AND 3650),
  auto_delete    INTEGER NOT NULL CHECK (auto_delete IN (0, 1)),
  tier           TEXT NOT NULL CHECK (tier IN ('hot', 'cool', 'archive')),
  created_by     TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- One policy per org and scope; an org's policies (the admin list).
CREATE UNIQUE INDEX storage_policies_org_scope ON storage_policies (org_id, scope);
-- Every org's policy for one scope (the retention run).
CREATE INDEX storage_policies_scope ON storage_policies (scope, org_id);

-- One row per retention run: what it deleted per class (JSON object),
-- statements run, and whether it finished (P18). Readable by org admins.
CREATE TABLE retention_runs (
  id          TEXT PRIMARY KEY,
  trigger     TEXT NOT NULL CHECK (trigger IN ('cron', 'dev')),
  deleted     TEXT NOT NULL CHECK (json_valid(deleted)),
  statements  INTEGER NOT NULL CHECK (statements >= 0),
  complete    INTEGER NOT NULL CHECK (complete IN (0, 1)),
  skipped_policies INTEGER NOT NULL DEFAULT 0 CHECK (skipped_policies >= 0),
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;

-- Newest first, keyset (GET /v1/admin/retention/runs); also their own purge.
CREATE INDEX retention_runs_time ON retention_runs (created_at, id);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0016', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
