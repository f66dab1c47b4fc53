-- 0013: (1) the exact vector index over D1 (docs/matching.md, M32) reads the
-- newest-computed vectors of a model and source type, optionally within
-- one org, bounded by EXACT_CANDIDATE_LIMIT: one index per access path so
-- the walk stops at the limit instead of sorting the whole model.

CREATE INDEX embeddings_recent ON embeddings (model, source_type, last_computed_at);
CREATE INDEX embeddings_org_recent ON embeddings (model, source_type, org_id, last_computed_at);

-- (2) Post-call signals of a match (M35): `met` (its meeting ended with
-- both present) and `connected` (the pair accepted a connection) join the
-- outcomes. SQLite cannot change a CHECK in place, so `matching_analytics`
-- is rebuilt: copy, drop, rename, recreate the indexes. Nothing
-- references it by foreign key.

CREATE TABLE matching_analytics_0013 (
  id           TEXT PRIMARY KEY,
  match_id     TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  peer_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  meeting_id   TEXT REFERENCES meetings (id) ON DELETE SET NULL,
  outcome      TEXT NOT NULL
               CHECK (outcome IN ('accepted', 'declined', 'completed', 'met', 'connected')),
  score        REAL,
  rating       INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
  feedback     TEXT CHECK (feedback IS NULL OR json_valid(feedback)),
  features     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(features)),
  weights      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(weights)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

INSERT INTO matching_analytics_0013
SELECT id, match_id, user_id, peer_user_id, meeting_id, outcome, score, rating, feedback, features,
       weights, created_at, updated_at
FROM matching_analytics;

DROP TABLE matching_analytics;
ALTER TABLE matching_analytics_0013 RENAME TO matching_analytics;

CREATE UNIQUE INDEX matching_analytics_natural ON matching_analytics (match_id, user_id, outcome);
CREATE INDEX matching_analytics_user_peer ON matching_analytics (user_id, peer_user_id, created_at);
CREATE INDEX matching_analytics_peer ON matching_analytics (peer_user_id);
CREATE INDEX matching_analytics_meeting ON matching_analytics (meeting_id);
CREATE INDEX matching_analytics_outcome ON matching_analytics (outcome, created_at, id);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0013', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
