//! The Durable Object's own SQLite schema: the live copy of one meeting.
//! [`super::SqlRoomStore::open`] runs it (idempotently) every time the
//! object loads, so there is no separate migration step; a later schema
//! version adds statements here and bumps [`ROOM_SCHEMA_VERSION`]. A
//! statement is never changed once shipped: an object created by an older
//! version already has that table, and `IF NOT EXISTS` would leave it as it
//! was. New data goes into new tables (SQLite has no `ADD COLUMN IF NOT
//! EXISTS`).
//!
//! Every read the store issues is a primary-key or index range, so none
//! scans a table (`shared/tests/room_store_contract.rs` checks the plans).

/// Stored in `room_meta.schema_version`. 2 added `room_call_presence`; 3
/// added `room_prompts` and `room_intel` (in-call prompts).
pub const ROOM_SCHEMA_VERSION: u64 = 3;

/// `CREATE … IF NOT EXISTS` statements, run in order.
pub const ROOM_SCHEMA: &[&str] = &[
    // One row: the room's lifecycle, engagement and flush marks.
    "CREATE TABLE IF NOT EXISTS room_meta (
      id                     INTEGER PRIMARY KEY CHECK (id = 1),
      schema_version         INTEGER NOT NULL,
      meeting_id             TEXT NOT NULL,
      state                  TEXT NOT NULL CHECK (state IN ('scheduled', 'active', 'concluded', 'cancelled')),
      started_at             INTEGER,
      ended_at               INTEGER,
      last_activity_at       INTEGER,
      speaking_ms            TEXT NOT NULL DEFAULT '{}',
      members                TEXT NOT NULL DEFAULT '{}',
      activity_rev           INTEGER NOT NULL DEFAULT 0,
      flushed_transcript_seq INTEGER NOT NULL DEFAULT 0,
      flushed_notes_version  INTEGER NOT NULL DEFAULT 0,
      flushed_chat_seq       INTEGER NOT NULL DEFAULT 0,
      flushed_activity_rev   INTEGER NOT NULL DEFAULT 0
    ) STRICT",
    // One row: `RoomMeta::call_presence` as JSON ({user: {in_call, at_ms,
    // role?}}), read with room_meta. Its own table because room_meta
    // predates it (schema version 2).
    "CREATE TABLE IF NOT EXISTS room_call_presence (
      id    INTEGER PRIMARY KEY CHECK (id = 1),
      users TEXT NOT NULL DEFAULT '{}'
    ) STRICT",
    // One row: the newest notes snapshot and where the op log starts.
    "CREATE TABLE IF NOT EXISTS room_notes (
      id              INTEGER PRIMARY KEY CHECK (id = 1),
      content         TEXT NOT NULL,
      version         INTEGER NOT NULL CHECK (version >= 0),
      log_base        INTEGER NOT NULL CHECK (log_base >= 0 AND log_base <= version),
      last_rebased_at INTEGER,
      last_author_id  TEXT,
      updated_at      INTEGER
    ) STRICT",
    // The op log since `log_base`; `version` is the rowid, so max() and
    // ranges are B-tree seeks.
    "CREATE TABLE IF NOT EXISTS room_note_ops (
      version          INTEGER PRIMARY KEY CHECK (version > 0),
      base_version     INTEGER NOT NULL,
      author_id        TEXT NOT NULL,
      client_id        TEXT NOT NULL,
      client_seq       INTEGER NOT NULL,
      transformed_over INTEGER NOT NULL,
      op               TEXT NOT NULL,
      committed_at     INTEGER NOT NULL
    ) STRICT",
    // Per-client dedup clocks, kept after their ops are compacted away.
    "CREATE TABLE IF NOT EXISTS room_note_clients (
      client_id    TEXT PRIMARY KEY,
      author_id    TEXT NOT NULL,
      last_seq     INTEGER NOT NULL,
      last_version INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS room_transcript (
      seq        INTEGER PRIMARY KEY CHECK (seq > 0),
      speaker_id TEXT,
      text       TEXT NOT NULL,
      confidence REAL NOT NULL,
      start_ms   INTEGER NOT NULL,
      end_ms     INTEGER NOT NULL,
      is_final   INTEGER NOT NULL CHECK (is_final IN (0, 1)),
      language   TEXT,
      source     TEXT NOT NULL CHECK (source IN ('participant', 'stream')),
      created_at INTEGER NOT NULL
    ) STRICT",
    "CREATE INDEX IF NOT EXISTS room_transcript_start ON room_transcript (start_ms, seq)",
    // (user_id, client_ref) is the idempotency key of a send.
    "CREATE TABLE IF NOT EXISTS room_chat (
      seq        INTEGER PRIMARY KEY CHECK (seq > 0),
      user_id    TEXT NOT NULL,
      client_ref TEXT NOT NULL,
      text       TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (user_id, client_ref)
    ) STRICT",
    // Nonces of accepted tickets (hex), until the ticket expires.
    "CREATE TABLE IF NOT EXISTS room_nonces (
      nonce      TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS room_nonces_expiry ON room_nonces (expires_at)",
    // The prompts stream: prompts and reactions, each event as JSON
    // (`PromptEvent`). Schema version 3.
    "CREATE TABLE IF NOT EXISTS room_prompts (
      seq        INTEGER PRIMARY KEY CHECK (seq > 0),
      body       TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT",
    // One row: the in-call state (`RoomIntel`) as JSON: the detectors, the
    // reactions, the flag, the prompts watermark. Schema version 3.
    "CREATE TABLE IF NOT EXISTS room_intel (
      id    INTEGER PRIMARY KEY CHECK (id = 1),
      state TEXT NOT NULL
    ) STRICT",
];
