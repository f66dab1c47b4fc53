//! Every statement [`super::SqlRoomStore`] issues, named, with its
//! parameters documented. [`ALL`] lists them for the query-plan check.
//!
//! Sequenced appends are `INSERT … SELECT … WHERE <seq is head + 1>
//! RETURNING`: an append out of order inserts nothing and returns no row,
//! which the store reports as a conflict, without a second round trip and
//! without relying on the driver to tell constraint errors apart.

/// Params: ?1 schema_version, ?2 meeting_id, ?3 state, ?4 started_at, ?5 ended_at,
/// ?6 last_activity_at, ?7 speaking_ms (JSON), ?8 members (JSON), ?9 activity_rev,
/// ?10 flushed_transcript_seq, ?11 flushed_notes_version, ?12 flushed_chat_seq,
/// ?13 flushed_activity_rev.
pub const META_UPSERT: &str = "\
INSERT INTO room_meta (id, schema_version, meeting_id, state, started_at, ended_at, last_activity_at,
                       speaking_ms, members, activity_rev, flushed_transcript_seq, flushed_notes_version,
                       flushed_chat_seq, flushed_activity_rev)
VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (id) DO UPDATE SET
  schema_version = excluded.schema_version, meeting_id = excluded.meeting_id, state = excluded.state,
  started_at = excluded.started_at, ended_at = excluded.ended_at,
  last_activity_at = excluded.last_activity_at, speaking_ms = excluded.speaking_ms,
  members = excluded.members, activity_rev = excluded.activity_rev,
  flushed_transcript_seq = excluded.flushed_transcript_seq,
  flushed_notes_version = excluded.flushed_notes_version,
  flushed_chat_seq = excluded.flushed_chat_seq, flushed_activity_rev = excluded.flushed_activity_rev";

/// The meta row with the call presence (`'{}'` while that row does not exist).
pub const META_GET: &str = "\
SELECT m.meeting_id, m.state, m.started_at, m.ended_at, m.last_activity_at, m.speaking_ms, m.members,
       m.activity_rev, m.flushed_transcript_seq, m.flushed_notes_version, m.flushed_chat_seq,
       m.flushed_activity_rev, coalesce(c.users, '{}')
FROM room_meta AS m LEFT JOIN room_call_presence AS c ON c.id = 1
WHERE m.id = 1";

/// Params: ?1 users (JSON). Writes nothing when the JSON is unchanged (most
/// meta writes do not touch it).
pub const CALL_PRESENCE_UPSERT: &str = "\
INSERT INTO room_call_presence (id, users) VALUES (1, ?1)
ON CONFLICT (id) DO UPDATE SET users = excluded.users WHERE users IS NOT excluded.users";

pub const NOTES_SNAPSHOT_GET: &str = "\
SELECT content, version, log_base, last_rebased_at, last_author_id, updated_at FROM room_notes WHERE id = 1";

pub const NOTES_OPS_MAX: &str = "SELECT max(version) FROM room_note_ops";

/// The whole clock table: one row per client id that ever committed.
pub const NOTES_CLIENTS_ALL: &str = "\
SELECT client_id, author_id, last_seq, last_version FROM room_note_clients ORDER BY client_id";

/// Params: ?1 version, ?2 base_version, ?3 author_id, ?4 client_id, ?5 client_seq,
/// ?6 transformed_over, ?7 op (JSON), ?8 committed_at.
pub const NOTES_OP_APPEND: &str = "\
INSERT INTO room_note_ops (version, base_version, author_id, client_id, client_seq, transformed_over, op,
                           committed_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
WHERE ?1 = max(coalesce((SELECT max(version) FROM room_note_ops), 0),
               coalesce((SELECT version FROM room_notes WHERE id = 1), 0)) + 1
RETURNING version";

/// Params: ?1 client_id, ?2 author_id, ?3 last_seq, ?4 last_version.
pub const NOTES_CLIENT_UPSERT: &str = "\
INSERT INTO room_note_clients (client_id, author_id, last_seq, last_version) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (client_id) DO UPDATE SET last_seq = excluded.last_seq, last_version = excluded.last_version
WHERE excluded.last_seq >= room_note_clients.last_seq";

/// Params: ?1 after version, ?2 limit.
pub const NOTES_OPS_SINCE: &str = "\
SELECT version, base_version, author_id, client_id, client_seq, transformed_over, op, committed_at
FROM room_note_ops WHERE version > ?1 ORDER BY version LIMIT ?2";

/// Moves forward only. Params: ?1 content, ?2 version, ?3 last_rebased_at,
/// ?4 last_author_id, ?5 updated_at.
pub const NOTES_SNAPSHOT_UPSERT: &str = "\
INSERT INTO room_notes (id, content, version, log_base, last_rebased_at, last_author_id, updated_at)
VALUES (1, ?1, ?2, 0, ?3, ?4, ?5)
ON CONFLICT (id) DO UPDATE SET
  content = excluded.content, version = excluded.version, last_rebased_at = excluded.last_rebased_at,
  last_author_id = excluded.last_author_id, updated_at = excluded.updated_at
WHERE excluded.version > room_notes.version";

/// Params: ?1 up to version (already capped at the snapshot's).
pub const NOTES_OPS_DELETE_UPTO: &str =
    "DELETE FROM room_note_ops WHERE version <= ?1 RETURNING version";

/// Params: ?1 new log base.
pub const NOTES_SET_LOG_BASE: &str = "\
UPDATE room_notes SET log_base = ?1 WHERE id = 1 AND log_base < ?1 AND ?1 <= version";

pub const TRANSCRIPT_MAX: &str = "SELECT max(seq) FROM room_transcript";

/// Params: ?1 seq, ?2 speaker_id, ?3 text, ?4 confidence, ?5 start_ms, ?6 end_ms,
/// ?7 is_final, ?8 language, ?9 source, ?10 created_at.
pub const TRANSCRIPT_APPEND: &str = "\
INSERT INTO room_transcript (seq, speaker_id, text, confidence, start_ms, end_ms, is_final, language, source,
                             created_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
WHERE ?1 = coalesce((SELECT max(seq) FROM room_transcript), 0) + 1
RETURNING seq";

/// Params: ?1 after seq, ?2 limit.
pub const TRANSCRIPT_AFTER: &str = "\
SELECT seq, speaker_id, text, confidence, start_ms, end_ms, is_final, language, source, created_at
FROM room_transcript WHERE seq > ?1 ORDER BY seq LIMIT ?2";

/// Params: ?1 from_ms (inclusive), ?2 to_ms (exclusive), ?3 limit.
pub const TRANSCRIPT_BY_TIME: &str = "\
SELECT seq, speaker_id, text, confidence, start_ms, end_ms, is_final, language, source, created_at
FROM room_transcript WHERE start_ms >= ?1 AND start_ms < ?2 ORDER BY start_ms, seq LIMIT ?3";

pub const CHAT_MAX: &str = "SELECT max(seq) FROM room_chat";

/// Params: ?1 seq, ?2 user_id, ?3 client_ref, ?4 text, ?5 created_at.
pub const CHAT_APPEND: &str = "\
INSERT INTO room_chat (seq, user_id, client_ref, text, created_at)
SELECT ?1, ?2, ?3, ?4, ?5
WHERE ?1 = coalesce((SELECT max(seq) FROM room_chat), 0) + 1
  AND NOT EXISTS (SELECT 1 FROM room_chat WHERE user_id = ?2 AND client_ref = ?3)
RETURNING seq";

/// Params: ?1 after seq, ?2 limit.
pub const CHAT_AFTER: &str = "\
SELECT seq, user_id, client_ref, text, created_at FROM room_chat WHERE seq > ?1 ORDER BY seq LIMIT ?2";

/// Params: ?1 user_id, ?2 client_ref.
pub const CHAT_BY_CLIENT_REF: &str = "\
SELECT seq, user_id, client_ref, text, created_at FROM room_chat WHERE user_id = ?1 AND client_ref = ?2";

/// Params: ?1 nonce (hex), ?2 expires_at.
pub const NONCE_INSERT: &str = "\
INSERT INTO room_nonces (nonce, expires_at) VALUES (?1, ?2) ON CONFLICT (nonce) DO NOTHING RETURNING nonce";

/// Params: ?1 now_ms.
pub const NONCE_PRUNE: &str = "DELETE FROM room_nonces WHERE expires_at <= ?1 RETURNING nonce";

pub const NONCE_NEXT_EXPIRY: &str = "SELECT min(expires_at) FROM room_nonces";

pub const PROMPTS_MAX: &str = "SELECT max(seq) FROM room_prompts";

/// Params: ?1 seq, ?2 body (the event as JSON), ?3 created_at.
pub const PROMPTS_APPEND: &str = "\
INSERT INTO room_prompts (seq, body, created_at)
SELECT ?1, ?2, ?3
WHERE ?1 = coalesce((SELECT max(seq) FROM room_prompts), 0) + 1
RETURNING seq";

/// Params: ?1 after seq, ?2 limit.
pub const PROMPTS_AFTER: &str = "\
SELECT body FROM room_prompts WHERE seq > ?1 ORDER BY seq LIMIT ?2";

pub const INTEL_GET: &str = "SELECT state FROM room_intel WHERE id = 1";

/// Params: ?1 state (JSON).
pub const INTEL_UPSERT: &str = "\
INSERT INTO room_intel (id, state) VALUES (1, ?1)
ON CONFLICT (id) DO UPDATE SET state = excluded.state";

/// Every statement, by name.
pub const ALL: &[(&str, &str)] = &[
    ("META_UPSERT", META_UPSERT),
    ("META_GET", META_GET),
    ("CALL_PRESENCE_UPSERT", CALL_PRESENCE_UPSERT),
    ("NOTES_SNAPSHOT_GET", NOTES_SNAPSHOT_GET),
    ("NOTES_OPS_MAX", NOTES_OPS_MAX),
    ("NOTES_CLIENTS_ALL", NOTES_CLIENTS_ALL),
    ("NOTES_OP_APPEND", NOTES_OP_APPEND),
    ("NOTES_CLIENT_UPSERT", NOTES_CLIENT_UPSERT),
    ("NOTES_OPS_SINCE", NOTES_OPS_SINCE),
    ("NOTES_SNAPSHOT_UPSERT", NOTES_SNAPSHOT_UPSERT),
    ("NOTES_OPS_DELETE_UPTO", NOTES_OPS_DELETE_UPTO),
    ("NOTES_SET_LOG_BASE", NOTES_SET_LOG_BASE),
    ("TRANSCRIPT_MAX", TRANSCRIPT_MAX),
    ("TRANSCRIPT_APPEND", TRANSCRIPT_APPEND),
    ("TRANSCRIPT_AFTER", TRANSCRIPT_AFTER),
    ("TRANSCRIPT_BY_TIME", TRANSCRIPT_BY_TIME),
    ("CHAT_MAX", CHAT_MAX),
    ("CHAT_APPEND", CHAT_APPEND),
    ("CHAT_AFTER", CHAT_AFTER),
    ("CHAT_BY_CLIENT_REF", CHAT_BY_CLIENT_REF),
    ("NONCE_INSERT", NONCE_INSERT),
    ("NONCE_PRUNE", NONCE_PRUNE),
    ("NONCE_NEXT_EXPIRY", NONCE_NEXT_EXPIRY),
    ("PROMPTS_MAX", PROMPTS_MAX),
    ("PROMPTS_APPEND", PROMPTS_APPEND),
    ("PROMPTS_AFTER", PROMPTS_AFTER),
    ("INTEL_GET", INTEL_GET),
    ("INTEL_UPSERT", INTEL_UPSERT),
];
