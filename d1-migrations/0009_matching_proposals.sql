-- 0009: the matching queue's states of rule M13 (proposed, accepted,
-- declined), proposals, and the learned scoring weights (issue 12).
--
-- SQLite cannot change a CHECK in place, so `matching_queue` is rebuilt:
-- copy, drop, rename, recreate the indexes. Nothing references it by
-- foreign key. 'matched' stays allowed for rows written before this.

CREATE TABLE matching_queue_0009 (
  id                   TEXT PRIMARY KEY,
  user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id               TEXT,
  shard                INTEGER NOT NULL CHECK (shard >= 0),
  available_from       INTEGER NOT NULL,
  available_to         INTEGER NOT NULL,
  constraints          TEXT NOT NULL DEFAULT '{}'
                       CHECK (json_valid(constraints) AND json_type(constraints) = 'object'),
  status               TEXT NOT NULL DEFAULT 'waiting'
                       CHECK (status IN ('waiting', 'proposed', 'accepted', 'declined', 'matched',
                                         'expired', 'cancelled')),
  matched_with_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  match_id             TEXT,
  version              INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  CHECK (available_to > available_from),
  CHECK (status NOT IN ('proposed', 'accepted', 'declined', 'matched') OR match_id IS NOT NULL)
) STRICT;

INSERT INTO matching_queue_0009
SELECT id, user_id, org_id, shard, available_from, available_to, constraints, status,
       matched_with_user_id, match_id, version, created_at, updated_at
FROM matching_queue;

DROP TABLE matching_queue;
ALTER TABLE matching_queue_0009 RENAME TO matching_queue;

-- A user is in the queue at most once at a time, waiting or in an
-- unanswered proposal (M21). An `accepted` entry stays `accepted` after the
-- match (M13 has no later state), so it is not in this index; the enter
-- plan refuses while an accepted entry's proposal is still pending.
CREATE UNIQUE INDEX matching_queue_one_active ON matching_queue (user_id)
  WHERE status IN ('waiting', 'proposed');
CREATE INDEX matching_queue_user ON matching_queue (user_id, created_at);
-- A matching cycle reads the waiting entries of one shard, by availability (M14).
CREATE INDEX matching_queue_shard ON matching_queue (status, shard, available_from);
CREATE INDEX matching_queue_expiry ON matching_queue (status, available_to);
CREATE INDEX matching_queue_matched_with ON matching_queue (matched_with_user_id);
CREATE INDEX matching_queue_match ON matching_queue (match_id) WHERE match_id IS NOT NULL;

-- One row per proposal (M15, M16: `id` is `proposal_id` of the two entries
-- at the versions the cycle read). `detail` is the score's JSON: factors in
-- words, features and weights (M7, M9).
CREATE TABLE matching_proposals (
  id          TEXT PRIMARY KEY,
  a_entry_id  TEXT NOT NULL,
  a_user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  b_entry_id  TEXT NOT NULL,
  b_user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  score       REAL NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
  starts_at   INTEGER NOT NULL,
  respond_by  INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'matched', 'declined', 'cancelled', 'expired')),
  meeting_id  TEXT REFERENCES meetings (id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  CHECK (a_user_id <> b_user_id)
) STRICT;

CREATE INDEX matching_proposals_a ON matching_proposals (a_user_id, created_at);
CREATE INDEX matching_proposals_b ON matching_proposals (b_user_id, created_at);
-- The expiry sweep: pending proposals past their deadline.
CREATE INDEX matching_proposals_due ON matching_proposals (status, respond_by);
CREATE INDEX matching_proposals_meeting ON matching_proposals (meeting_id);

-- The current scoring weights (M10): one row, moved by each outcome with
-- an optimistic guard on `updates`. Absent = the configured defaults.
CREATE TABLE matching_weights (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  weights     TEXT NOT NULL CHECK (json_valid(weights)),
  updates     INTEGER NOT NULL DEFAULT 0 CHECK (updates >= 0),
  updated_at  INTEGER NOT NULL
) STRICT;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0009', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
