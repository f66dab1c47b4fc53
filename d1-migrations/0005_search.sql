-- 0005: full-text search over transcript segments and meeting notes (SQLite FTS5,
-- which D1 supports). Both are external-content indexes: the text is stored
-- once, in the base table, and the triggers below keep the index in step with
-- every insert, update and delete (including FK cascades from meetings).
--
-- Caveat: `wrangler d1 export` refuses databases with virtual tables. Export
-- per table instead; the indexes are derived data and are rebuilt with
-- INSERT INTO <fts>(<fts>) VALUES ('rebuild').

CREATE VIRTUAL TABLE transcript_segments_fts USING fts5(
  text,
  content = 'transcript_segments',
  content_rowid = 'segment_no',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER transcript_segments_fts_insert AFTER INSERT ON transcript_segments
BEGIN
  INSERT INTO transcript_segments_fts (rowid, text) VALUES (NEW.segment_no, NEW.text);
END;

CREATE TRIGGER transcript_segments_fts_delete AFTER DELETE ON transcript_segments
BEGIN
  INSERT INTO transcript_segments_fts (transcript_segments_fts, rowid, text)
  VALUES ('delete', OLD.segment_no, OLD.text);
END;

CREATE TRIGGER transcript_segments_fts_update AFTER UPDATE OF text ON transcript_segments
BEGIN
  INSERT INTO transcript_segments_fts (transcript_segments_fts, rowid, text)
  VALUES ('delete', OLD.segment_no, OLD.text);
  INSERT INTO transcript_segments_fts (rowid, text) VALUES (NEW.segment_no, NEW.text);
END;

CREATE VIRTUAL TABLE meeting_notes_fts USING fts5(
  content,
  content = 'meeting_notes',
  content_rowid = 'doc_id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER meeting_notes_fts_insert AFTER INSERT ON meeting_notes
BEGIN
  INSERT INTO meeting_notes_fts (rowid, content) VALUES (NEW.doc_id, NEW.content);
END;

CREATE TRIGGER meeting_notes_fts_delete AFTER DELETE ON meeting_notes
BEGIN
  INSERT INTO meeting_notes_fts (meeting_notes_fts, rowid, content)
  VALUES ('delete', OLD.doc_id, OLD.content);
END;

-- Notes are flushed often; re-index only when the text really changed.
CREATE TRIGGER meeting_notes_fts_update AFTER UPDATE OF content ON meeting_notes
WHEN OLD.content IS NOT NEW.content
BEGIN
  INSERT INTO meeting_notes_fts (meeting_notes_fts, rowid, content)
  VALUES ('delete', OLD.doc_id, OLD.content);
  INSERT INTO meeting_notes_fts (rowid, content) VALUES (NEW.doc_id, NEW.content);
END;

-- Index whatever already exists (nothing on a fresh database).
INSERT INTO transcript_segments_fts (transcript_segments_fts) VALUES ('rebuild');
INSERT INTO meeting_notes_fts (meeting_notes_fts) VALUES ('rebuild');

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0005', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
