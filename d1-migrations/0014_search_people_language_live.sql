-- 0014: search finds meetings by who took part and by language, and the
-- live transcript (chunks) before its segments are built; system
-- announcements fan out through the queue in batches (issue 13;
-- docs/search.md S11–S15, docs/notifications.md N16).

-- The meeting's language: the first language its live transcript reports
-- (a trigger on `transcripts` below). NULL until a chunk carries one.
ALTER TABLE meetings ADD COLUMN language TEXT;

CREATE INDEX meetings_org_language ON meetings (org_id, language) WHERE language IS NOT NULL;

CREATE TRIGGER meetings_language_from_transcript AFTER INSERT ON transcripts
WHEN NEW.language IS NOT NULL
BEGIN
  UPDATE meetings SET language = lower(NEW.language) WHERE id = NEW.meeting_id AND language IS NULL;
END;

-- Meetings: title, description, the host's name and every member's name
-- (S11). The document is the view below; the index keeps its own copy of
-- the text (not external content), so a trigger can always remove a
-- meeting's document by rowid whatever changed underneath it (a renamed
-- member, an erased user), then insert the current one.
DROP TABLE meetings_vocab;
DROP TRIGGER meetings_fts_insert;
DROP TRIGGER meetings_fts_delete;
DROP TRIGGER meetings_fts_update;
DROP TABLE meetings_fts;

CREATE VIEW meeting_search_docs AS
SELECT m.rowid AS doc_rowid, m.id AS meeting_id, m.title, m.description,
  (SELECT coalesce(p.display_name, u.display_name) FROM users u
   LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = m.organizer_id) AS host,
  (SELECT group_concat(coalesce(p.display_name, u.display_name), ' ') FROM meeting_participants mp
   JOIN users u ON u.id = mp.user_id
   LEFT JOIN profiles p ON p.user_id = mp.user_id
   WHERE mp.meeting_id = m.id) AS participants
FROM meetings m;

CREATE VIRTUAL TABLE meetings_fts USING fts5(
  title,
  description,
  host,
  participants,
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER meetings_fts_insert AFTER INSERT ON meetings
BEGIN
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs WHERE meeting_id = NEW.id;
END;

CREATE TRIGGER meetings_fts_delete AFTER DELETE ON meetings
BEGIN
  DELETE FROM meetings_fts WHERE rowid = OLD.rowid;
END;

CREATE TRIGGER meetings_fts_update AFTER UPDATE OF title, description, organizer_id ON meetings
WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description OR OLD.organizer_id IS NOT NEW.organizer_id
BEGIN
  DELETE FROM meetings_fts WHERE rowid = NEW.rowid;
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs WHERE meeting_id = NEW.id;
END;

CREATE TRIGGER meetings_fts_member_insert AFTER INSERT ON meeting_participants
BEGIN
  DELETE FROM meetings_fts WHERE rowid = (SELECT rowid FROM meetings WHERE id = NEW.meeting_id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs WHERE meeting_id = NEW.meeting_id;
END;

CREATE TRIGGER meetings_fts_member_delete AFTER DELETE ON meeting_participants
BEGIN
  DELETE FROM meetings_fts WHERE rowid = (SELECT rowid FROM meetings WHERE id = OLD.meeting_id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs WHERE meeting_id = OLD.meeting_id;
END;

-- A member's (or host's) name changed, appeared or was erased: their
-- meetings' documents are refreshed. A user inserted after their
-- memberships (a restore imports tables in any order) counts as appearing.
CREATE TRIGGER meetings_fts_user_insert AFTER INSERT ON users
BEGIN
  DELETE FROM meetings_fts WHERE rowid IN (SELECT m.rowid FROM meeting_participants mp JOIN meetings m ON m.id = mp.meeting_id WHERE mp.user_id = NEW.id
    UNION SELECT rowid FROM meetings WHERE organizer_id = NEW.id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs
  WHERE meeting_id IN (SELECT meeting_id FROM meeting_participants WHERE user_id = NEW.id
    UNION SELECT id FROM meetings WHERE organizer_id = NEW.id);
END;

CREATE TRIGGER meetings_fts_profile_insert AFTER INSERT ON profiles
BEGIN
  DELETE FROM meetings_fts WHERE rowid IN (SELECT m.rowid FROM meeting_participants mp JOIN meetings m ON m.id = mp.meeting_id WHERE mp.user_id = NEW.user_id
    UNION SELECT rowid FROM meetings WHERE organizer_id = NEW.user_id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs
  WHERE meeting_id IN (SELECT meeting_id FROM meeting_participants WHERE user_id = NEW.user_id
    UNION SELECT id FROM meetings WHERE organizer_id = NEW.user_id);
END;

CREATE TRIGGER meetings_fts_profile_name AFTER UPDATE OF display_name ON profiles
WHEN OLD.display_name IS NOT NEW.display_name
BEGIN
  DELETE FROM meetings_fts WHERE rowid IN (SELECT m.rowid FROM meeting_participants mp JOIN meetings m ON m.id = mp.meeting_id WHERE mp.user_id = NEW.user_id
    UNION SELECT rowid FROM meetings WHERE organizer_id = NEW.user_id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs
  WHERE meeting_id IN (SELECT meeting_id FROM meeting_participants WHERE user_id = NEW.user_id
    UNION SELECT id FROM meetings WHERE organizer_id = NEW.user_id);
END;

CREATE TRIGGER meetings_fts_profile_delete AFTER DELETE ON profiles
BEGIN
  DELETE FROM meetings_fts WHERE rowid IN (SELECT m.rowid FROM meeting_participants mp JOIN meetings m ON m.id = mp.meeting_id WHERE mp.user_id = OLD.user_id
    UNION SELECT rowid FROM meetings WHERE organizer_id = OLD.user_id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs
  WHERE meeting_id IN (SELECT meeting_id FROM meeting_participants WHERE user_id = OLD.user_id
    UNION SELECT id FROM meetings WHERE organizer_id = OLD.user_id);
END;

CREATE TRIGGER meetings_fts_user_name AFTER UPDATE OF display_name ON users
WHEN OLD.display_name IS NOT NEW.display_name
BEGIN
  DELETE FROM meetings_fts WHERE rowid IN (SELECT m.rowid FROM meeting_participants mp JOIN meetings m ON m.id = mp.meeting_id WHERE mp.user_id = NEW.id
    UNION SELECT rowid FROM meetings WHERE organizer_id = NEW.id);
  INSERT INTO meetings_fts (rowid, title, description, host, participants)
  SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs
  WHERE meeting_id IN (SELECT meeting_id FROM meeting_participants WHERE user_id = NEW.id
    UNION SELECT id FROM meetings WHERE organizer_id = NEW.id);
END;

CREATE VIRTUAL TABLE meetings_vocab USING fts5vocab(meetings_fts, 'row');

INSERT INTO meetings_fts (rowid, title, description, host, participants)
SELECT doc_rowid, title, description, host, participants FROM meeting_search_docs;

-- The live transcript (S12): every stored chunk, external content over
-- `transcripts` (append-only; its text never changes after the insert).
CREATE VIRTUAL TABLE transcripts_fts USING fts5(
  text,
  content = 'transcripts',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER transcripts_fts_insert AFTER INSERT ON transcripts
BEGIN
  INSERT INTO transcripts_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
END;

CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcripts
BEGIN
  INSERT INTO transcripts_fts (transcripts_fts, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
END;

CREATE TRIGGER transcripts_fts_update AFTER UPDATE OF text ON transcripts
BEGIN
  INSERT INTO transcripts_fts (transcripts_fts, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
  INSERT INTO transcripts_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
END;

CREATE VIRTUAL TABLE transcript_chunks_vocab USING fts5vocab(transcripts_fts, 'row');

INSERT INTO transcripts_fts (transcripts_fts) VALUES ('rebuild');

-- A system announcement (N16): the route records it and its batches (a
-- keyset range of the organisation's members each) and queues one job per
-- batch; each job notifies its range and marks its batch done.
CREATE TABLE announcements (
  id            TEXT PRIMARY KEY,
  org_id        TEXT NOT NULL,
  created_by    TEXT,
  title         TEXT NOT NULL,
  body          TEXT,
  priority      TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  batches_total INTEGER NOT NULL CHECK (batches_total >= 0),
  created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX announcements_org ON announcements (org_id, created_at);

-- One batch: members with `after_id < id <= last_id`.
CREATE TABLE announcement_batches (
  announcement_id TEXT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
  batch_no        INTEGER NOT NULL CHECK (batch_no >= 0),
  after_id        TEXT NOT NULL,
  last_id         TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  recipients      INTEGER NOT NULL DEFAULT 0 CHECK (recipients >= 0),
  finished_at     INTEGER,
  PRIMARY KEY (announcement_id, batch_no)
) STRICT;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0014', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
