-- 0002: meetings, their membership (the source of every meeting ACL), the
-- derived meeting state, and the Stream recording/transcription files.

-- Meeting metadata and lifecycle. The Stream call is provisioned by a queue job;
-- its id/type/cid and the provisioning status live here (one call per meeting).
CREATE TABLE meetings (
  id                    TEXT PRIMARY KEY,
  -- Set NULL if the organizer's account is erased; the meeting stays with the others.
  organizer_id          TEXT REFERENCES users (id) ON DELETE SET NULL,
  org_id                TEXT,
  title                 TEXT NOT NULL CHECK (length(title) > 0),
  description           TEXT,
  -- Planned start; an instant meeting uses its creation time. NOT NULL so the
  -- (scheduled_at, id) keyset cursor is total.
  scheduled_at          INTEGER NOT NULL,
  duration_ms           INTEGER CHECK (duration_ms IS NULL OR duration_ms > 0),
  state                 TEXT NOT NULL DEFAULT 'scheduled'
                        CHECK (state IN ('scheduled', 'active', 'concluded', 'cancelled')),
  started_at            INTEGER,
  concluded_at          INTEGER,
  cancelled_at          INTEGER,
  -- Denormalised count of meeting_participants rows, kept by the triggers below.
  participant_count     INTEGER NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
  recording_enabled     INTEGER NOT NULL DEFAULT 0 CHECK (recording_enabled IN (0, 1)),
  transcription_enabled INTEGER NOT NULL DEFAULT 1 CHECK (transcription_enabled IN (0, 1)),
  stream_call_type      TEXT,
  stream_call_id        TEXT,
  -- "<type>:<id>", the `call_cid` of every Stream webhook.
  stream_call_cid       TEXT,
  provisioning_status   TEXT NOT NULL DEFAULT 'pending'
                        CHECK (provisioning_status IN ('pending', 'provisioning', 'ready', 'failed')),
  -- The provider's last error ({code, message} from Stream, or a transport error).
  provisioning_error    TEXT,
  provisioning_attempts INTEGER NOT NULL DEFAULT 0 CHECK (provisioning_attempts >= 0),
  provisioned_at        INTEGER,
  -- Optimistic-concurrency counter, bumped by every update of the row's own fields.
  version               INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL,
  CHECK (state <> 'active' OR started_at IS NOT NULL),
  CHECK (state <> 'concluded' OR concluded_at IS NOT NULL),
  CHECK (state <> 'cancelled' OR cancelled_at IS NOT NULL),
  CHECK (stream_call_cid IS NULL OR stream_call_cid = stream_call_type || ':' || stream_call_id),
  CHECK (provisioning_status <> 'ready' OR stream_call_cid IS NOT NULL)
) STRICT;

CREATE INDEX meetings_organizer_time ON meetings (organizer_id, scheduled_at, id);
-- Cron sweeps: scheduled meetings starting soon, active meetings left open.
CREATE INDEX meetings_state_time ON meetings (state, scheduled_at, id);
CREATE INDEX meetings_org_time ON meetings (org_id, scheduled_at, id) WHERE org_id IS NOT NULL;
-- Webhook routing: call_cid -> meeting.
CREATE UNIQUE INDEX meetings_stream_cid ON meetings (stream_call_cid) WHERE stream_call_cid IS NOT NULL;
-- The provisioning retry sweep.
CREATE INDEX meetings_provisioning ON meetings (provisioning_status, updated_at);

-- Membership, role and presence per meeting. Every meeting ACL is derived from here.
CREATE TABLE meeting_participants (
  meeting_id          TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role                TEXT NOT NULL DEFAULT 'participant'
                      CHECK (role IN ('host', 'cohost', 'participant', 'observer')),
  presence            TEXT NOT NULL DEFAULT 'invited' CHECK (presence IN ('invited', 'joined', 'left')),
  -- Who added this member; no FK, it is provenance only.
  invited_by          TEXT,
  joined_at           INTEGER,
  left_at             INTEGER,
  -- Event time of the newest presence change applied. Stream may deliver
  -- joined/left out of order; an older event is ignored.
  presence_changed_at INTEGER,
  -- Stream's user_session_id of the current or last join.
  stream_session_id   TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, user_id),
  CHECK (presence <> 'joined' OR joined_at IS NOT NULL)
) STRICT;

-- "My meetings", and the FK on user_id.
CREATE INDEX meeting_participants_user ON meeting_participants (user_id, meeting_id);

CREATE TRIGGER meeting_participants_count_insert AFTER INSERT ON meeting_participants
BEGIN
  UPDATE meetings SET participant_count = participant_count + 1 WHERE id = NEW.meeting_id;
END;

CREATE TRIGGER meeting_participants_count_delete AFTER DELETE ON meeting_participants
BEGIN
  UPDATE meetings SET participant_count = participant_count - 1 WHERE id = OLD.meeting_id;
END;

-- Derived, ephemeral state of a live meeting. Three writers own disjoint columns:
-- Stream session events (active/started/ended/session), recording events
-- (recording/transcription flags) and the room's engagement tracker
-- (speaking stats, lull, topics).
CREATE TABLE meeting_state (
  meeting_id           TEXT PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
  active               INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  started_at           INTEGER,
  ended_at             INTEGER,
  stream_session_id    TEXT,
  recording_active     INTEGER NOT NULL DEFAULT 0 CHECK (recording_active IN (0, 1)),
  transcription_active INTEGER NOT NULL DEFAULT 0 CHECK (transcription_active IN (0, 1)),
  speaking_stats       TEXT NOT NULL DEFAULT '{}'
                       CHECK (json_valid(speaking_stats) AND json_type(speaking_stats) = 'object'),
  lull_state           TEXT CHECK (lull_state IS NULL OR json_valid(lull_state)),
  topics               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics) AND json_type(topics) = 'array'),
  -- Event time of the newest provider event applied (ordering guard).
  last_event_at        INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) STRICT;

-- The sweep that closes meetings whose room went quiet.
CREATE INDEX meeting_state_active ON meeting_state (active, updated_at);

-- Files announced by Stream's call.recording_ready / call.transcription_ready.
CREATE TABLE meeting_recordings (
  id             TEXT PRIMARY KEY,
  meeting_id     TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  kind           TEXT NOT NULL CHECK (kind IN ('recording', 'transcription')),
  -- Stream's recording_type (e.g. composite); NULL for transcriptions and old senders.
  recording_type TEXT,
  call_cid       TEXT NOT NULL,
  session_id     TEXT,
  egress_id      TEXT,
  filename       TEXT NOT NULL,
  url            TEXT NOT NULL,
  start_time     INTEGER,
  end_time       INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- The natural key a redelivered webhook collides on, and "files of a meeting".
CREATE UNIQUE INDEX meeting_recordings_file ON meeting_recordings (meeting_id, kind, filename);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0002', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
