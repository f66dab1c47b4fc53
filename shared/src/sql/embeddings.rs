//! `embeddings` (vectors behind the provider trait) and `vector_index_meta`
//! (which backend serves which model). Vectors are little-endian f32 BLOBs of
//! `dim * 4` bytes.

use crate::params;

/// Store or refresh a source's embedding for a model. Skips the write when
/// neither the content hash, the model version nor the metadata (a
/// fallback mark, M28) changed.
///
/// Params: ?1 id, ?2 source_type, ?3 source_id, ?4 org_id, ?5 language, ?6 model, ?7 dim,
/// ?8 version, ?9 vector (BLOB), ?10 content_hash, ?11 metadata (JSON object), ?12 now_ms.
pub const EMBEDDING_UPSERT: &str = "\
INSERT INTO embeddings (id, source_type, source_id, org_id, language, model, dim, version, vector,
                        content_hash, metadata, last_computed_at, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?12)
ON CONFLICT (source_type, source_id, model) DO UPDATE SET
  org_id = excluded.org_id,
  language = excluded.language,
  dim = excluded.dim,
  version = excluded.version,
  vector = excluded.vector,
  content_hash = excluded.content_hash,
  metadata = excluded.metadata,
  last_computed_at = excluded.last_computed_at,
  updated_at = excluded.updated_at
WHERE embeddings.content_hash IS NOT excluded.content_hash OR embeddings.version IS NOT excluded.version
   OR embeddings.metadata IS NOT excluded.metadata";
params! {
    /// Parameters of [`EMBEDDING_UPSERT`], `?1..?12` in order.
    EMBEDDING_UPSERT => EmbeddingUpsert<'a> { id: &'a str, source_type: &'a str, source_id: &'a str, org_id: Option<&'a str>, language: Option<&'a str>, model: &'a str, dim: i64, version: &'a str, vector: &'a [u8], content_hash: &'a str, metadata: Option<&'a str>, now_ms: i64 }
}

/// Params: ?1 source_type, ?2 source_id, ?3 model.
pub const EMBEDDING_GET_FOR_SOURCE: &str = "\
SELECT id, source_type, source_id, org_id, language, model, dim, version, vector, content_hash,
       metadata, last_computed_at
FROM embeddings
WHERE source_type = ?1 AND source_id = ?2 AND model = ?3";
params! {
    /// Parameters of [`EMBEDDING_GET_FOR_SOURCE`], `?1..?3` in order.
    EMBEDDING_GET_FOR_SOURCE => EmbeddingGetForSource<'a> { source_type: &'a str, source_id: &'a str, model: &'a str }
}

/// A batch of similarity candidates for the in-D1 (brute-force cosine)
/// provider, filtered by model, data type and org (NULL = no org), keyset on
/// id. First page: ?4 = ''. Optional language filter ?5 (NULL = any).
///
/// Params: ?1 model, ?2 source_type, ?3 org_id, ?4 after id, ?5 language, ?6 limit.
pub const EMBEDDING_CANDIDATES: &str = "\
SELECT id, source_type, source_id, language, dim, vector
FROM embeddings
WHERE model = ?1 AND source_type = ?2 AND org_id IS ?3 AND id > ?4
  AND (?5 IS NULL OR language = ?5)
ORDER BY id
LIMIT ?6";
params! {
    /// Parameters of [`EMBEDDING_CANDIDATES`], `?1..?6` in order.
    EMBEDDING_CANDIDATES => EmbeddingCandidates<'a> { model: &'a str, source_type: &'a str, org_id: Option<&'a str>, after_id: &'a str, language: Option<&'a str>, limit: i64 }
}

/// Embeddings of a model not at the current version (re-embedding after a
/// model version change), keyset on id: the job walks the model's rows once
/// in id order, so a page may read past many current rows to find stale ones.
///
/// Params: ?1 model, ?2 current version, ?3 after id, ?4 limit.
pub const EMBEDDING_LIST_STALE: &str = "\
SELECT id, source_type, source_id, version, last_computed_at
FROM embeddings
WHERE model = ?1 AND version <> ?2 AND id > ?3
ORDER BY id
LIMIT ?4";
params! {
    /// Parameters of [`EMBEDDING_LIST_STALE`], `?1..?4` in order.
    EMBEDDING_LIST_STALE => EmbeddingListStale<'a> { model: &'a str, current_version: &'a str, after_id: &'a str, limit: i64 }
}

/// Delete a source's embeddings (all models). Deleting a user, profile,
/// meeting, note or segment row already does this through triggers.
///
/// Params: ?1 source_type, ?2 source_id.
pub const EMBEDDING_DELETE_FOR_SOURCE: &str = "\
DELETE FROM embeddings WHERE source_type = ?1 AND source_id = ?2";
params! {
    /// Parameters of [`EMBEDDING_DELETE_FOR_SOURCE`], `?1..?2` in order.
    EMBEDDING_DELETE_FOR_SOURCE => EmbeddingDeleteForSource<'a> { source_type: &'a str, source_id: &'a str }
}

/// The active backend for a model.
///
/// Params: ?1 model.
pub const VECTOR_INDEX_GET_ACTIVE: &str = "\
SELECT id, provider, index_name, model, dim, metric, config, status, updated_at
FROM vector_index_meta WHERE model = ?1 AND status = 'active'";
params! {
    /// Parameters of [`VECTOR_INDEX_GET_ACTIVE`], `?1..?1` in order.
    VECTOR_INDEX_GET_ACTIVE => VectorIndexGetActive<'a> { model: &'a str }
}

/// Params: ?1 status.
pub const VECTOR_INDEX_LIST_BY_STATUS: &str = "\
SELECT id, provider, index_name, model, dim, metric, config, status, updated_at
FROM vector_index_meta WHERE status = ?1
ORDER BY model
LIMIT 100";
params! {
    /// Parameters of [`VECTOR_INDEX_LIST_BY_STATUS`], `?1..?1` in order.
    VECTOR_INDEX_LIST_BY_STATUS => VectorIndexListByStatus<'a> { status: &'a str }
}

/// Register or reconfigure a backend (status unchanged on update).
///
/// Params: ?1 id, ?2 provider, ?3 index_name, ?4 model, ?5 dim, ?6 metric, ?7 config (JSON object),
/// ?8 now_ms.
pub const VECTOR_INDEX_UPSERT: &str = "\
INSERT INTO vector_index_meta (id, provider, index_name, model, dim, metric, config, status, created_at,
                               updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'inactive', ?8, ?8)
ON CONFLICT (provider, index_name) DO UPDATE SET
  model = excluded.model,
  dim = excluded.dim,
  metric = excluded.metric,
  config = excluded.config,
  updated_at = excluded.updated_at";
params! {
    /// Parameters of [`VECTOR_INDEX_UPSERT`], `?1..?8` in order.
    VECTOR_INDEX_UPSERT => VectorIndexUpsert<'a> { id: &'a str, provider: &'a str, index_name: &'a str, model: &'a str, dim: i64, metric: &'a str, config: &'a str, now_ms: i64 }
}

/// Move a backend between states, guarded by the state the caller saw. To
/// switch providers, batch: old active -> migrating/inactive, then new -> active
/// (the partial unique index allows one active backend per model).
///
/// Params: ?1 id, ?2 expected status, ?3 new status, ?4 now_ms.
pub const VECTOR_INDEX_SET_STATUS: &str = "\
UPDATE vector_index_meta SET status = ?3, updated_at = ?4 WHERE id = ?1 AND status = ?2";
params! {
    /// Parameters of [`VECTOR_INDEX_SET_STATUS`], `?1..?4` in order.
    VECTOR_INDEX_SET_STATUS => VectorIndexSetStatus<'a> { id: &'a str, expected_status: &'a str, new_status: &'a str, now_ms: i64 }
}

/// The stored vectors of a model and source type for a set of sources (the
/// matcher's profile similarity, M26), the vector as hex (portable across
/// the D1 and SQLite drivers).
///
/// Params: ?1 model, ?2 source_type, ?3 source ids (JSON array).
pub const EMBEDDING_LIST_FOR_SOURCES: &str = "\
SELECT source_id, dim, version, hex(vector) AS vector_hex
FROM embeddings
WHERE source_type = ?2 AND source_id IN (SELECT value FROM json_each(?3)) AND model = ?1";
params! {
    /// Parameters of [`EMBEDDING_LIST_FOR_SOURCES`], `?1..?3` in order.
    EMBEDDING_LIST_FOR_SOURCES => EmbeddingListForSources<'a> { model: &'a str, source_type: &'a str, source_ids: &'a str }
}

/// What the embed job compares before embedding a source again (M5, M28):
/// the stored row's version, dimension, content hash and fallback mark.
///
/// Params: ?1 source_type, ?2 source_id, ?3 model.
pub const EMBEDDING_STATE_FOR_SOURCE: &str = "\
SELECT version, dim, content_hash,
       coalesce(json_extract(metadata, '$.reembed'), 0) AS reembed
FROM embeddings
WHERE source_type = ?1 AND source_id = ?2 AND model = ?3";
params! {
    /// Parameters of [`EMBEDDING_STATE_FOR_SOURCE`], `?1..?3` in order.
    EMBEDDING_STATE_FOR_SOURCE => EmbeddingStateForSource<'a> { source_type: &'a str, source_id: &'a str, model: &'a str }
}

/// Delete one model's embedding of a source (a fallback row once the
/// configured provider has re-embedded it, M28).
///
/// Params: ?1 source_type, ?2 source_id, ?3 model.
pub const EMBEDDING_DELETE_FOR_SOURCE_MODEL: &str = "\
DELETE FROM embeddings WHERE source_type = ?1 AND source_id = ?2 AND model = ?3";
params! {
    /// Parameters of [`EMBEDDING_DELETE_FOR_SOURCE_MODEL`], `?1..?3` in order.
    EMBEDDING_DELETE_FOR_SOURCE_MODEL => EmbeddingDeleteForSourceModel<'a> { source_type: &'a str, source_id: &'a str, model: &'a str }
}

/// The data-processing consent events of a set of users, oldest first
/// (M27: a withdrawn user is neither embedded nor matched). A user has a
/// handful; the limit bounds a pathological history.
///
/// Params: ?1 user ids (JSON array), ?2 limit.
pub const CONSENT_PROCESSING_AMONG: &str = "\
SELECT user_id, consent_type, version, consented, created_at
FROM user_consents
WHERE user_id IN (SELECT value FROM json_each(?1)) AND consent_type = 'data_processing'
ORDER BY user_id, created_at, id
LIMIT ?2";
params! {
    /// Parameters of [`CONSENT_PROCESSING_AMONG`], `?1..?2` in order.
    CONSENT_PROCESSING_AMONG => ConsentProcessingAmong<'a> { user_ids: &'a str, limit: i64 }
}

/// The sweep's progress for a model (M31).
///
/// Params: ?1 model.
pub const EMBEDDING_PROGRESS_GET: &str = "\
SELECT model, cursor, passes, scanned, embedded, deleted, current, fallback, last_pass_at, updated_at
FROM embedding_progress WHERE model = ?1";
params! {
    /// Parameters of [`EMBEDDING_PROGRESS_GET`], `?1..?1` in order.
    EMBEDDING_PROGRESS_GET => EmbeddingProgressGet<'a> { model: &'a str }
}

/// The models' sweep progress (the admin route), keyset on the model.
///
/// Params: ?1 after model ('' for the first page), ?2 limit.
pub const EMBEDDING_PROGRESS_LIST: &str = "\
SELECT model, cursor, passes, scanned, embedded, deleted, current, fallback, last_pass_at, updated_at
FROM embedding_progress WHERE model > ?1 ORDER BY model LIMIT ?2";
params! {
    /// Parameters of [`EMBEDDING_PROGRESS_LIST`], `?1..?2` in order.
    EMBEDDING_PROGRESS_LIST => EmbeddingProgressList<'a> { after_model: &'a str, limit: i64 }
}

/// Records one page of the sweep (M31): moves the cursor from the value
/// read (a concurrent sweep that moved it first wins; this one changes
/// nothing), adds the page's counters, counts a finished pass.
///
/// Params: ?1 model, ?2 cursor read, ?3 new cursor, ?4 pass done (0/1), ?5 scanned,
/// ?6 embedded, ?7 deleted, ?8 current, ?9 fallback, ?10 now_ms.
pub const EMBEDDING_PROGRESS_ADVANCE: &str = "\
INSERT INTO embedding_progress (model, cursor, passes, scanned, embedded, deleted, current, fallback,
                                last_pass_at, updated_at)
SELECT ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ?4 = 1 THEN ?10 END, ?10
WHERE 1
ON CONFLICT (model) DO UPDATE SET
  cursor = excluded.cursor,
  passes = embedding_progress.passes + excluded.passes,
  scanned = embedding_progress.scanned + excluded.scanned,
  embedded = embedding_progress.embedded + excluded.embedded,
  deleted = embedding_progress.deleted + excluded.deleted,
  current = embedding_progress.current + excluded.current,
  fallback = embedding_progress.fallback + excluded.fallback,
  last_pass_at = coalesce(excluded.last_pass_at, embedding_progress.last_pass_at),
  updated_at = excluded.updated_at
WHERE embedding_progress.cursor = ?2";
params! {
    /// Parameters of [`EMBEDDING_PROGRESS_ADVANCE`], `?1..?10` in order.
    EMBEDDING_PROGRESS_ADVANCE => EmbeddingProgressAdvance<'a> { model: &'a str, read_cursor: &'a str, cursor: &'a str, pass_done: bool, scanned: i64, embedded: i64, deleted: i64, current: i64, fallback: i64, now_ms: i64 }
}

/// The next page of profiles for the sweep, keyset on the user id.
///
/// Params: ?1 after user id, ?2 limit.
pub const EMBEDDING_SWEEP_PROFILES: &str = "\
SELECT user_id FROM profiles WHERE user_id > ?1 ORDER BY user_id LIMIT ?2";
params! {
    /// Parameters of [`EMBEDDING_SWEEP_PROFILES`], `?1..?2` in order.
    EMBEDDING_SWEEP_PROFILES => EmbeddingSweepProfiles<'a> { after_user_id: &'a str, limit: i64 }
}

/// The exact index's candidates (M32): the newest-computed vectors of one
/// model and source type, any org, optionally of one language, at most
/// `?4` (index `embeddings_recent`, migration 0013; the language is a
/// residual filter on that walk).
///
/// Params: ?1 model, ?2 source_type, ?3 language (NULL = any), ?4 limit.
pub const EMBEDDING_INDEX_CANDIDATES: &str = "\
SELECT source_type, source_id, org_id, language, dim, hex(vector) AS vector_hex, last_computed_at
FROM embeddings
WHERE model = ?1 AND source_type = ?2 AND (?3 IS NULL OR language = ?3)
ORDER BY last_computed_at DESC
LIMIT ?4";
params! {
    /// Parameters of [`EMBEDDING_INDEX_CANDIDATES`], `?1..?4` in order.
    EMBEDDING_INDEX_CANDIDATES => EmbeddingIndexCandidates<'a> { model: &'a str, source_type: &'a str, language: Option<&'a str>, limit: i64 }
}

/// The exact index's candidates within one org (M32), newest-computed
/// first (index `embeddings_org_recent`, migration 0013).
///
/// Params: ?1 model, ?2 source_type, ?3 org_id, ?4 language (NULL = any), ?5 limit.
pub const EMBEDDING_INDEX_CANDIDATES_IN_ORG: &str = "\
SELECT source_type, source_id, org_id, language, dim, hex(vector) AS vector_hex, last_computed_at
FROM embeddings
WHERE model = ?1 AND source_type = ?2 AND org_id = ?3 AND (?4 IS NULL OR language = ?4)
ORDER BY last_computed_at DESC
LIMIT ?5";
params! {
    /// Parameters of [`EMBEDDING_INDEX_CANDIDATES_IN_ORG`], `?1..?5` in order.
    EMBEDDING_INDEX_CANDIDATES_IN_ORG => EmbeddingIndexCandidatesInOrg<'a> { model: &'a str, source_type: &'a str, org_id: &'a str, language: Option<&'a str>, limit: i64 }
}

/// The exact index's upsert (M32): a vector under its key for a model.
/// The embed job's `EMBEDDING_UPSERT` already wrote the row with its
/// provenance, so for it this changes nothing; a vector upserted without
/// a text (no content hash) is inserted with `content_hash = ''`, which
/// the drift rule (M5) reads as changed text: the sweep re-embeds it.
/// Only the vector and its filter attributes are replaced.
///
/// Params: ?1 id (new rows), ?2 source_type, ?3 source_id, ?4 org_id, ?5 language, ?6 model,
/// ?7 dim, ?8 version (new rows), ?9 vector (BLOB), ?10 now_ms.
pub const EMBEDDING_INDEX_UPSERT: &str = "\
INSERT INTO embeddings (id, source_type, source_id, org_id, language, model, dim, version, vector,
                        content_hash, metadata, last_computed_at, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '', '{}', ?10, ?10, ?10)
ON CONFLICT (source_type, source_id, model) DO UPDATE SET
  org_id = excluded.org_id,
  language = excluded.language,
  dim = excluded.dim,
  vector = excluded.vector,
  updated_at = excluded.updated_at
WHERE embeddings.vector IS NOT excluded.vector OR embeddings.org_id IS NOT excluded.org_id
   OR embeddings.language IS NOT excluded.language";
params! {
    /// Parameters of [`EMBEDDING_INDEX_UPSERT`], `?1..?10` in order.
    EMBEDDING_INDEX_UPSERT => EmbeddingIndexUpsert<'a> { id: &'a str, source_type: &'a str, source_id: &'a str, org_id: Option<&'a str>, language: Option<&'a str>, model: &'a str, dim: i64, version: &'a str, vector: &'a [u8], now_ms: i64 }
}
