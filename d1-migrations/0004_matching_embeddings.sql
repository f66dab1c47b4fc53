-- 0004: matching (queue and feedback loop), embeddings behind the provider
-- trait, the vector backend configuration, and in-app notifications.

-- One row per time a user enters the matching queue. Matching cycles are
-- sharded by `shard` (a hash of user_id computed by the app).
CREATE TABLE matching_queue (
  id                   TEXT PRIMARY KEY,
  user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id               TEXT,
  shard                INTEGER NOT NULL CHECK (shard >= 0),
  available_from       INTEGER NOT NULL,
  available_to         INTEGER NOT NULL,
  -- {interests: [...], roles: [...], org_constraints?: ...}
  constraints          TEXT NOT NULL DEFAULT '{}'
                       CHECK (json_valid(constraints) AND json_type(constraints) = 'object'),
  status               TEXT NOT NULL DEFAULT 'waiting'
                       CHECK (status IN ('waiting', 'matched', 'expired', 'cancelled')),
  matched_with_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  match_id             TEXT,
  -- Optimistic-concurrency counter for the matcher.
  version              INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  CHECK (available_to > available_from),
  CHECK (status <> 'matched' OR match_id IS NOT NULL)
) STRICT;

-- A user waits in the queue at most once at a time.
CREATE UNIQUE INDEX matching_queue_one_waiting ON matching_queue (user_id) WHERE status = 'waiting';
CREATE INDEX matching_queue_user ON matching_queue (user_id, created_at);
-- A matching cycle reads the waiting entries of one shard, by availability.
CREATE INDEX matching_queue_shard ON matching_queue (status, shard, available_from);
-- The expiry sweep and the purge of finished entries.
CREATE INDEX matching_queue_expiry ON matching_queue (status, available_to);
CREATE INDEX matching_queue_matched_with ON matching_queue (matched_with_user_id);
CREATE INDEX matching_queue_match ON matching_queue (match_id) WHERE match_id IS NOT NULL;

-- Outcomes and feedback per match and user: the features and weights the
-- score used, so the weights can be tuned from outcomes.
CREATE TABLE matching_analytics (
  id           TEXT PRIMARY KEY,
  match_id     TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  peer_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  meeting_id   TEXT REFERENCES meetings (id) ON DELETE SET NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('accepted', 'declined', 'completed')),
  score        REAL,
  rating       INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
  feedback     TEXT CHECK (feedback IS NULL OR json_valid(feedback)),
  features     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(features)),
  weights      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(weights)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX matching_analytics_natural ON matching_analytics (match_id, user_id, outcome);
-- "Did this user decline this peer recently?" (the re-suggestion decay window),
-- and the user's history.
CREATE INDEX matching_analytics_user_peer ON matching_analytics (user_id, peer_user_id, created_at);
CREATE INDEX matching_analytics_peer ON matching_analytics (peer_user_id);
CREATE INDEX matching_analytics_meeting ON matching_analytics (meeting_id);
-- The weight-tuning job reads outcomes by kind and time.
CREATE INDEX matching_analytics_outcome ON matching_analytics (outcome, created_at, id);

-- Embeddings, provider-agnostic. `vector` is `dim` little-endian f32 values.
-- Rows are deleted with their source by the triggers below (the source is
-- polymorphic, so there is no FK).
CREATE TABLE embeddings (
  id               TEXT PRIMARY KEY,
  source_type      TEXT NOT NULL
                   CHECK (source_type IN ('user', 'profile', 'meeting', 'note', 'transcript_segment')),
  -- user/profile: the user id; meeting and note: the meeting id; transcript_segment: the segment id.
  source_id        TEXT NOT NULL,
  org_id           TEXT,
  language         TEXT,
  model            TEXT NOT NULL,
  dim              INTEGER NOT NULL CHECK (dim BETWEEN 1 AND 8192),
  version          TEXT NOT NULL,
  vector           BLOB NOT NULL CHECK (length(vector) = dim * 4),
  -- Hash of the embedded text: a changed source is re-embedded (drift).
  content_hash     TEXT NOT NULL,
  metadata         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
  last_computed_at INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX embeddings_source_model ON embeddings (source_type, source_id, model);
-- Similarity candidate sets, filtered by model, data type and org; keyset on id.
CREATE INDEX embeddings_scope ON embeddings (model, source_type, org_id, id);
-- Re-embedding after a model version change walks a model's rows in id order.
CREATE INDEX embeddings_model ON embeddings (model, id);

CREATE TRIGGER users_embeddings_cleanup AFTER DELETE ON users
BEGIN
  DELETE FROM embeddings WHERE source_type = 'user' AND source_id = OLD.id;
END;

CREATE TRIGGER profiles_embeddings_cleanup AFTER DELETE ON profiles
BEGIN
  DELETE FROM embeddings WHERE source_type = 'profile' AND source_id = OLD.user_id;
END;

CREATE TRIGGER meetings_embeddings_cleanup AFTER DELETE ON meetings
BEGIN
  DELETE FROM embeddings WHERE source_type = 'meeting' AND source_id = OLD.id;
END;

CREATE TRIGGER meeting_notes_embeddings_cleanup AFTER DELETE ON meeting_notes
BEGIN
  DELETE FROM embeddings WHERE source_type = 'note' AND source_id = OLD.meeting_id;
END;

CREATE TRIGGER transcript_segments_embeddings_cleanup AFTER DELETE ON transcript_segments
BEGIN
  DELETE FROM embeddings WHERE source_type = 'transcript_segment' AND source_id = OLD.id;
END;

-- Which vector backend serves which model. Switching providers is a row update here.
CREATE TABLE vector_index_meta (
  id         TEXT PRIMARY KEY,
  provider   TEXT NOT NULL,
  index_name TEXT NOT NULL,
  model      TEXT NOT NULL,
  dim        INTEGER NOT NULL CHECK (dim BETWEEN 1 AND 8192),
  metric     TEXT NOT NULL DEFAULT 'cosine' CHECK (metric IN ('cosine', 'dot', 'euclidean')),
  config     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config) AND json_type(config) = 'object'),
  status     TEXT NOT NULL DEFAULT 'inactive' CHECK (status IN ('active', 'inactive', 'migrating')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX vector_index_meta_name ON vector_index_meta (provider, index_name);
-- At most one active backend per model.
CREATE UNIQUE INDEX vector_index_meta_active ON vector_index_meta (model) WHERE status = 'active';
CREATE INDEX vector_index_meta_status ON vector_index_meta (status, model);

-- In-app notifications (delivery goes through a queue; this is the inbox).
CREATE TABLE notifications (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- e.g. meeting_starting, recording_available, match_found
  kind         TEXT NOT NULL,
  category     TEXT NOT NULL DEFAULT 'system'
               CHECK (category IN ('meeting', 'user', 'system', 'announcement', 'feedback', 'matching')),
  priority     TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  meeting_id   TEXT REFERENCES meetings (id) ON DELETE CASCADE,
  title        TEXT NOT NULL,
  body         TEXT,
  data         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data) AND json_type(data) = 'object'),
  -- Makes a retried delivery job idempotent.
  dedupe_key   TEXT NOT NULL,
  read_at      INTEGER,
  delivered_at INTEGER,
  expires_at   INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key);
CREATE INDEX notifications_user_time ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (user_id, created_at) WHERE read_at IS NULL;
CREATE INDEX notifications_meeting ON notifications (meeting_id);
CREATE INDEX notifications_created ON notifications (created_at);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0004', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
