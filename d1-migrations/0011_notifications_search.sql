-- 0011: notifications delivery (preferences, the exact unread counter, the
-- email outbox) and search over meetings and people, with vocabularies for
-- typo rewriting and the reindex job log (issue 13; docs/notifications.md,
-- docs/search.md).

-- One row per user who saved preferences; absent = the defaults (N1).
-- `prefs` is the JSON of `notifications::preferences::to_json`, validated
-- on the way in by the same parser that reads it back.
CREATE TABLE notification_preferences (
  user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  prefs      TEXT NOT NULL CHECK (json_valid(prefs) AND json_type(prefs) = 'object'),
  updated_at INTEGER NOT NULL
) STRICT;

-- The unread counter (N10): recomputed inside every batch that creates,
-- reads or deletes a user's notifications, so it is exact under any race.
CREATE TABLE notification_counters (
  user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  unread     INTEGER NOT NULL DEFAULT 0 CHECK (unread >= 0),
  updated_at INTEGER NOT NULL
) STRICT;

-- One email per notification (N5): the primary key is the idempotency.
-- `status`: pending → sent, or dead after the last attempt.
CREATE TABLE email_outbox (
  notification_id TEXT PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  to_address      TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  -- Quiet hours: not before this instant (N4).
  send_after      INTEGER NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  provider        TEXT,
  provider_id     TEXT,
  last_error      TEXT,
  sent_at         INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX email_outbox_user ON email_outbox (user_id, created_at);
CREATE INDEX email_outbox_sent ON email_outbox (status, sent_at);

-- Meetings: title and description (S8). External content over `meetings`.
CREATE VIRTUAL TABLE meetings_fts USING fts5(
  title,
  description,
  content = 'meetings',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER meetings_fts_insert AFTER INSERT ON meetings
BEGIN
  INSERT INTO meetings_fts (rowid, title, description) VALUES (NEW.rowid, NEW.title, NEW.description);
END;

CREATE TRIGGER meetings_fts_delete AFTER DELETE ON meetings
BEGIN
  INSERT INTO meetings_fts (meetings_fts, rowid, title, description)
  VALUES ('delete', OLD.rowid, OLD.title, OLD.description);
END;

CREATE TRIGGER meetings_fts_update AFTER UPDATE OF title, description ON meetings
WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description
BEGIN
  INSERT INTO meetings_fts (meetings_fts, rowid, title, description)
  VALUES ('delete', OLD.rowid, OLD.title, OLD.description);
  INSERT INTO meetings_fts (rowid, title, description) VALUES (NEW.rowid, NEW.title, NEW.description);
END;

-- People: display name, headline, bio, skills of the profile (S8). Email is
-- not indexed; org admins find members by email through the admin routes.
CREATE VIRTUAL TABLE profiles_fts USING fts5(
  display_name,
  headline,
  bio,
  skills,
  content = 'profiles',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER profiles_fts_insert AFTER INSERT ON profiles
BEGIN
  INSERT INTO profiles_fts (rowid, display_name, headline, bio, skills)
  VALUES (NEW.rowid, NEW.display_name, NEW.headline, NEW.bio, NEW.skills);
END;

CREATE TRIGGER profiles_fts_delete AFTER DELETE ON profiles
BEGIN
  INSERT INTO profiles_fts (profiles_fts, rowid, display_name, headline, bio, skills)
  VALUES ('delete', OLD.rowid, OLD.display_name, OLD.headline, OLD.bio, OLD.skills);
END;

CREATE TRIGGER profiles_fts_update AFTER UPDATE ON profiles
BEGIN
  INSERT INTO profiles_fts (profiles_fts, rowid, display_name, headline, bio, skills)
  VALUES ('delete', OLD.rowid, OLD.display_name, OLD.headline, OLD.bio, OLD.skills);
  INSERT INTO profiles_fts (rowid, display_name, headline, bio, skills)
  VALUES (NEW.rowid, NEW.display_name, NEW.headline, NEW.bio, NEW.skills);
END;

-- The indexed terms of each index (S4 typo rewriting reads candidates by
-- first letter: `term >= ?` is a constraint fts5vocab answers without a scan).
CREATE VIRTUAL TABLE transcript_vocab USING fts5vocab(transcript_segments_fts, 'row');
CREATE VIRTUAL TABLE meetings_vocab USING fts5vocab(meetings_fts, 'row');
CREATE VIRTUAL TABLE profiles_vocab USING fts5vocab(profiles_fts, 'row');

-- Reindex runs (S9): one row per admin request, per entity type.
CREATE TABLE search_index_jobs (
  id           TEXT PRIMARY KEY,
  entity       TEXT NOT NULL CHECK (entity IN ('meetings', 'transcripts', 'notes', 'users')),
  requested_by TEXT,
  status       TEXT NOT NULL DEFAULT 'done' CHECK (status IN ('running', 'done', 'failed')),
  created_at   INTEGER NOT NULL,
  finished_at  INTEGER
) STRICT;

CREATE INDEX search_index_jobs_entity ON search_index_jobs (entity, created_at);

INSERT INTO meetings_fts (meetings_fts) VALUES ('rebuild');
INSERT INTO profiles_fts (profiles_fts) VALUES ('rebuild');

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0011', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
