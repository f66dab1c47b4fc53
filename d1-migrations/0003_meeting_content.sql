-- 0003: what is said and written in a meeting. The MeetingRoom Durable Object
-- owns the live copy and flushes here in batches; every insert is idempotent on
-- a natural key, so a retried flush never duplicates a row.

-- The materialised notes document, one per meeting. `doc_id` is an explicit
-- INTEGER PRIMARY KEY (a stable rowid) because the FTS5 index in 0005 points at it.
CREATE TABLE meeting_notes (
  doc_id          INTEGER PRIMARY KEY,
  meeting_id      TEXT NOT NULL UNIQUE REFERENCES meetings (id) ON DELETE CASCADE,
  -- At most 1 MB of UTF-8, well under D1's 2 MB row limit.
  content         TEXT NOT NULL DEFAULT '' CHECK (length(CAST(content AS BLOB)) <= 1000000),
  version         INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
  last_rebased_at INTEGER,
  last_author_id  TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX meeting_notes_updated ON meeting_notes (updated_at);

-- Append-only archive of committed notes operations. `version` is the document
-- version the op produced (its sequence number); `base_version` the version it
-- was authored against; (client_id, client_seq) the client's own dedupe pair.
CREATE TABLE note_ops (
  meeting_id   TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL CHECK (version > 0),
  base_version INTEGER NOT NULL CHECK (base_version >= 0 AND base_version < version),
  author_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
  client_id    TEXT,
  client_seq   INTEGER,
  -- A summary of the op's components: only inserts, only deletes, both, or neither.
  op_kind      TEXT NOT NULL CHECK (op_kind IN ('insert', 'delete', 'replace', 'retain')),
  op           TEXT NOT NULL CHECK (json_valid(op)),
  -- The author's clock when the op was made; created_at is the room's commit time.
  authored_at  INTEGER,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, version)
) STRICT;

CREATE INDEX note_ops_author ON note_ops (author_id);
CREATE INDEX note_ops_created ON note_ops (created_at);

-- Append-only transcript chunks, partitioned by meeting and 5-minute bucket.
-- bucket_ms = start_ms - start_ms % 300000 (enforced below).
CREATE TABLE transcripts (
  meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL CHECK (seq >= 0),
  bucket_ms  INTEGER NOT NULL CHECK (bucket_ms >= 0 AND bucket_ms % 300000 = 0),
  kind       TEXT NOT NULL DEFAULT 'final' CHECK (kind IN ('interim', 'final')),
  source     TEXT NOT NULL DEFAULT 'client' CHECK (source IN ('client', 'stream', 'provider')),
  -- A WorkOS user id when known, otherwise a provisional label.
  speaker_id TEXT,
  text       TEXT NOT NULL,
  confidence REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
  language   TEXT,
  start_ms   INTEGER NOT NULL,
  end_ms     INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, seq),
  CHECK (end_ms >= start_ms),
  CHECK (start_ms >= bucket_ms AND start_ms < bucket_ms + 300000)
) STRICT;

CREATE INDEX transcripts_bucket ON transcripts (meeting_id, bucket_ms, seq);
CREATE INDEX transcripts_created ON transcripts (created_at);

-- Aggregated transcript segments for search and review, built after the call.
-- `segment_no` is the stable rowid the FTS5 index in 0005 points at; `id` is the
-- public id used by insight links and embeddings.
CREATE TABLE transcript_segments (
  segment_no INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  -- The main speaker ('' when unknown); `speakers` lists everyone in the window.
  speaker_id TEXT NOT NULL,
  speakers   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(speakers) AND json_type(speakers) = 'array'),
  text       TEXT NOT NULL,
  topics     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics) AND json_type(topics) = 'array'),
  sentiment  REAL CHECK (sentiment IS NULL OR (sentiment >= -1 AND sentiment <= 1)),
  -- Prompts used during this window (requirement 10.5).
  prompt_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(prompt_ids) AND json_type(prompt_ids) = 'array'),
  start_ms   INTEGER NOT NULL,
  end_ms     INTEGER NOT NULL,
  -- Provenance: the transcript seq range this segment was built from.
  first_seq  INTEGER,
  last_seq   INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (end_ms >= start_ms)
) STRICT;

CREATE UNIQUE INDEX transcript_segments_natural ON transcript_segments (meeting_id, start_ms, speaker_id);
CREATE INDEX transcript_segments_speaker ON transcript_segments (meeting_id, speaker_id, start_ms);
CREATE INDEX transcript_segments_created ON transcript_segments (created_at);

-- Chat messages, sequenced per meeting by the room.
CREATE TABLE messages (
  meeting_id  TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL CHECK (seq >= 0),
  -- The client's message id, echoed back for optimistic UI.
  id          TEXT NOT NULL,
  user_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
  content     TEXT NOT NULL,
  attachments TEXT CHECK (attachments IS NULL OR (json_valid(attachments) AND json_type(attachments) = 'array')),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, seq)
) STRICT;

CREATE INDEX messages_user ON messages (user_id);
CREATE INDEX messages_created ON messages (created_at);

-- Pre-call and in-call conversation prompts. `dedupe_key` makes AI writes
-- idempotent (request hash + ordinal, or 'promote:<source id>').
CREATE TABLE prompts (
  id               TEXT PRIMARY KEY,
  meeting_id       TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  type             TEXT NOT NULL CHECK (type IN ('precall', 'incall')),
  content          TEXT NOT NULL,
  tags             TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  relevance        REAL NOT NULL DEFAULT 0 CHECK (relevance >= 0 AND relevance <= 1),
  source           TEXT NOT NULL DEFAULT 'ai'
                   CHECK (source IN ('ai', 'heuristic', 'fallback', 'promoted', 'manual')),
  -- Why an in-call prompt was generated: lull, topic_shift, ...
  trigger_reason   TEXT,
  -- Provenance of a promoted prompt (precall -> incall).
  source_prompt_id TEXT REFERENCES prompts (id) ON DELETE SET NULL,
  dedupe_key       TEXT NOT NULL,
  request_hash     TEXT,
  -- The shared state every participant sees; per-user reactions are in prompt_feedback.
  used_at          INTEGER,
  feedback         TEXT CHECK (feedback IS NULL OR feedback IN ('used', 'dismissed', 'upvoted')),
  feedback_at      INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX prompts_dedupe ON prompts (meeting_id, dedupe_key);
CREATE INDEX prompts_meeting_type_time ON prompts (meeting_id, type, created_at, id);
CREATE INDEX prompts_meeting_type_relevance ON prompts (meeting_id, type, relevance);
CREATE INDEX prompts_source_prompt ON prompts (source_prompt_id);
CREATE INDEX prompts_created ON prompts (created_at);

-- Each participant's reaction to a prompt: the relevance feedback signal.
CREATE TABLE prompt_feedback (
  prompt_id  TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  feedback   TEXT NOT NULL CHECK (feedback IN ('used', 'dismissed', 'upvoted')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (prompt_id, user_id)
) STRICT;

CREATE INDEX prompt_feedback_user ON prompt_feedback (user_id, created_at);

-- Post-call insights, one per (meeting, user), private to that user by default.
CREATE TABLE insights (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  meeting_id      TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  summary         TEXT NOT NULL,
  topics          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics) AND json_type(topics) = 'array'),
  decisions       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(decisions) AND json_type(decisions) = 'array'),
  action_items    TEXT NOT NULL DEFAULT '[]'
                  CHECK (json_valid(action_items) AND json_type(action_items) = 'array'),
  recommendations TEXT NOT NULL DEFAULT '[]'
                  CHECK (json_valid(recommendations) AND json_type(recommendations) = 'array'),
  links           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(links) AND json_type(links) = 'array'),
  visibility      TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'shared')),
  -- Generator, model and input hash, for reproducibility.
  provenance      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(provenance) AND json_type(provenance) = 'object'),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX insights_meeting_user ON insights (meeting_id, user_id);
CREATE INDEX insights_user_time ON insights (user_id, created_at, id);
CREATE INDEX insights_created ON insights (created_at);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0003', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
