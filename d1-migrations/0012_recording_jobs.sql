-- 0012: recording jobs (issue 14, docs/recordings.md F7–F9, F18–F20).
-- One row per start of a meeting's recording and transcription through
-- Stream; the files Stream announces later are `meeting_recordings` rows.
CREATE TABLE recording_jobs (
  id           TEXT PRIMARY KEY,
  meeting_id   TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'recording', 'processing', 'completed', 'failed')),
  -- Stream's recording type (composite) and the call it runs on.
  recording_type TEXT NOT NULL DEFAULT 'composite',
  call_cid     TEXT NOT NULL,
  -- Who asked (NULL for the automatic start of a recording_enabled meeting).
  started_by   TEXT,
  -- The provider's error, clamped (connvo_shared::recordings::job::clamp_error).
  error        TEXT CHECK (error IS NULL OR length(error) <= 1000),
  started_at   INTEGER,
  stopped_at   INTEGER,
  completed_at INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

-- At most one live job per meeting: a second start collides (409).
CREATE UNIQUE INDEX recording_jobs_live ON recording_jobs (meeting_id)
  WHERE status IN ('pending', 'recording');
-- A meeting's jobs, newest first; also the FK on meeting_id.
CREATE INDEX recording_jobs_meeting ON recording_jobs (meeting_id, created_at, id);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0012', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
