-- 0006: privacy and retention (issue 14): consents, legal holds, data
-- deletion and export requests. See docs/privacy.md.

-- Consent history, append-only: every grant and every withdrawal is a row.
-- The effective consent of a (user, type) is its newest row
-- (connvo_shared::privacy::consent). `consented` = 0 is a withdrawal.
CREATE TABLE user_consents (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  consent_type TEXT NOT NULL CHECK (consent_type IN ('terms', 'privacy', 'recording', 'data_processing')),
  version      TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 50),
  consented    INTEGER NOT NULL CHECK (consented IN (0, 1)),
  created_at   INTEGER NOT NULL
) STRICT;

-- A user's history per type, newest last; also the FK on user_id.
CREATE INDEX user_consents_user_type ON user_consents (user_id, consent_type, created_at, id);

-- Legal holds suspend retention deletes and erasure. scope 'meeting': the
-- meeting's rows; scope 'user': the user's own rows and the rows of every
-- meeting they took part in. A released hold keeps its row for the record.
CREATE TABLE legal_holds (
  id          TEXT PRIMARY KEY,
  scope       TEXT NOT NULL CHECK (scope IN ('meeting', 'user')),
  subject_id  TEXT NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 255),
  reason      TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  -- The admin who placed it; provenance only, no FK.
  placed_by   TEXT,
  released_at INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

-- "Is this meeting / user held?", the lookup inside every retention delete.
CREATE INDEX legal_holds_active ON legal_holds (scope, subject_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_time ON legal_holds (created_at, id);

-- Right-to-erasure requests. `user_id` is cleared when the request completes
-- (only `pseudonym`, the id the user's rows were renamed to, remains), so no
-- row outside audit_logs keeps the erased user's id.
CREATE TABLE data_deletion_requests (
  id           TEXT PRIMARY KEY,
  user_id      TEXT,
  pseudonym    TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  error        TEXT,
  requested_at INTEGER NOT NULL,
  processed_at INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  CHECK (status <> 'completed' OR (user_id IS NULL AND processed_at IS NOT NULL))
) STRICT;

-- At most one open request per user.
CREATE UNIQUE INDEX data_deletion_requests_open ON data_deletion_requests (user_id)
  WHERE status IN ('pending', 'processing');
CREATE INDEX data_deletion_requests_user ON data_deletion_requests (user_id, created_at);

-- Privacy exports (one open export per user).
CREATE TABLE data_export_requests (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'processing', 'ready', 'failed', 'expired')),
  -- The R2 object key of the finished export; served through a signed URL.
  object_key   TEXT,
  error        TEXT,
  requested_at INTEGER NOT NULL,
  completed_at INTEGER,
  expires_at   INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  CHECK (status <> 'ready' OR (object_key IS NOT NULL AND expires_at IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX data_export_requests_open ON data_export_requests (user_id)
  WHERE status IN ('pending', 'processing');
CREATE INDEX data_export_requests_user ON data_export_requests (user_id, created_at, id);

-- Erasure renames `invited_by` provenance too.
CREATE INDEX meeting_participants_invited_by ON meeting_participants (invited_by)
  WHERE invited_by IS NOT NULL;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0006', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
