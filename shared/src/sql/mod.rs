//! Every SQL statement the application issues against D1, in one registry.
//!
//! Each statement is a named `pub const &str` in the module of its concept,
//! with positional parameters (`?1`, `?2`, …) documented on the constant.
//! [`ALL`] lists every one of them by name. `shared/tests/query_plan.rs`
//! applies `d1-migrations/` to a fresh SQLite, prepares every entry of [`ALL`],
//! and fails if any needs a full table scan, so an access pattern and its
//! index are added together (see docs/data-model.md, "How to add a table").
//!
//! Conventions the statements rely on:
//! - times are unix milliseconds (`i64`), booleans are `0`/`1`, JSON columns
//!   take and return text;
//! - lists are bounded (`LIMIT`) and paginate with keyset cursors, never OFFSET;
//!   each list's doc says what to pass for the first page;
//! - idempotent writes collide on a natural key (`ON CONFLICT … DO NOTHING` or a
//!   guarded `DO UPDATE … WHERE`), so callers read D1's `meta.changes` to learn
//!   whether anything was written;
//! - state changes are guarded by the expected state or version
//!   (`… WHERE id = ?1 AND state = ?2`): `changes() == 0` means CONFLICT or not found;
//! - multi-row writes (flushes from the room) are one statement per row inside
//!   one D1 `batch`, which D1 runs as a single transaction. No statement binds
//!   more than D1's 100 parameters.
//!
//! This module is plain data: it builds natively and for wasm32, and nothing
//! in it touches a database.

mod statement;
pub use statement::{SqlValue, Statement, ToSql};

pub mod audit;
pub mod connections;
pub mod embeddings;
pub mod flags;
pub mod health;
pub mod idempotency;
pub mod insights;
pub mod jobs;
pub mod legal_holds;
pub mod matching;
pub mod meeting_state;
pub mod meetings;
pub mod messages;
pub mod notes;
pub mod notifications;
pub mod operations;
pub mod participants;
pub mod privacy;
pub mod profiles;
pub mod prompts;
pub mod rate_limits;
pub mod recordings;
pub mod retention;
pub mod search;
pub mod segments;
pub mod storage_policies;
pub mod transcripts;
pub mod users;

/// Builds `&[(name, sql)]` from `module::CONST` paths, so a name can never
/// drift from its constant.
macro_rules! registry {
    ($($module:ident :: $name:ident),* $(,)?) => {
        &[$((stringify!($name), $module::$name)),*]
    };
}

/// Every registered statement as `(constant name, SQL)`. The query-plan test
/// checks that each constant in this module's files appears here exactly once.
pub const ALL: &[(&str, &str)] = registry![
    // users
    users::USER_UPSERT,
    users::USER_GET,
    users::USER_APPLY_WORKOS_EVENT,
    users::USER_APPLY_MEMBERSHIP_EVENT,
    users::USER_TOUCH_LAST_SEEN,
    users::USER_SET_ACTIVE,
    users::USER_SOFT_DELETE,
    users::USER_DELETE,
    users::USER_LIST_BY_ORG,
    users::USER_FIND_BY_EMAIL,
    users::USER_UPSERT_FROM_TOKEN,
    users::USER_GET_FOR_AUTH,
    users::USER_CLEAR_MEMBERSHIP_EVENT,
    // profiles, interests
    profiles::PROFILE_GET,
    profiles::PROFILE_UPSERT,
    profiles::PROFILE_LIST_FOR_MEETING,
    profiles::PROFILE_SHARES_MEETING,
    profiles::PROFILE_LIST_UPDATED_SINCE,
    profiles::INTEREST_UPSERT,
    profiles::INTEREST_LIST,
    profiles::INTEREST_LIST_BY_CATEGORY,
    profiles::USER_INTEREST_ADD,
    profiles::USER_INTEREST_REMOVE,
    profiles::USER_INTEREST_CLEAR,
    profiles::USER_INTEREST_LIST_FOR_USER,
    profiles::USER_INTEREST_LIST_USERS,
    profiles::USER_INTEREST_LIST_FOR_MEETING,
    // connections
    connections::CONNECTION_INSERT,
    connections::CONNECTION_GET,
    connections::CONNECTION_GET_BETWEEN,
    connections::CONNECTION_SET_STATUS,
    connections::CONNECTION_LIST_INCOMING,
    connections::CONNECTION_LIST_OUTGOING,
    connections::CONNECTION_LIST_ACCEPTED,
    connections::CONNECTION_DELETE,
    connections::CONNECTION_CREATE,
    connections::CONNECTION_REWRITE,
    connections::CONNECTION_DELETE_GUARDED,
    connections::CONNECTION_LIST_FOR_USER,
    connections::CONNECTION_BLOCKS_AMONG,
    // meetings
    meetings::MEETING_INSERT,
    meetings::MEETING_GET,
    meetings::MEETING_GET_BY_STREAM_CID,
    meetings::MEETING_LIST_FOR_USER_ASC,
    meetings::MEETING_LIST_FOR_USER_DESC,
    meetings::MEETING_LIST_BY_ORG,
    meetings::MEETING_LIST_BY_STATE_SCHEDULED,
    meetings::MEETING_UPDATE_DETAILS,
    meetings::MEETING_TRANSITION_STATE,
    meetings::MEETING_PROVISIONING_CLAIM,
    meetings::MEETING_PROVISIONING_READY,
    meetings::MEETING_PROVISIONING_FAILED,
    meetings::MEETING_PROVISIONING_RETRY,
    meetings::MEETING_PROVISIONING_STALE,
    meetings::MEETING_REFRESH_PARTICIPANT_COUNT,
    meetings::MEETING_DELETE,
    // participants
    participants::PARTICIPANT_INSERT,
    participants::PARTICIPANT_GET,
    participants::PARTICIPANT_LIST_BY_MEETING,
    participants::PARTICIPANT_REMOVE,
    participants::PARTICIPANT_REMOVE_WITH_ROLE,
    participants::PARTICIPANT_SET_ROLE,
    participants::PARTICIPANT_TRANSFER_HOST,
    participants::PARTICIPANT_COUNT,
    participants::PARTICIPANT_COUNT_BY_ROLE,
    participants::PARTICIPANT_SET_PRESENCE,
    participants::PARTICIPANT_MARK_ALL_LEFT,
    // meeting state
    meeting_state::MEETING_STATE_GET,
    meeting_state::MEETING_STATE_UPSERT_ACTIVITY,
    meeting_state::MEETING_STATE_UPSERT_RECORDING,
    meeting_state::MEETING_STATE_UPSERT_ENGAGEMENT,
    meeting_state::MEETING_STATE_LIST_STALE_ACTIVE,
    // recordings
    recordings::RECORDING_INSERT,
    recordings::RECORDING_GET,
    recordings::RECORDING_LIST_BY_MEETING,
    recordings::RECORDING_JOB_CREATE,
    recordings::RECORDING_JOB_MOVE,
    recordings::RECORDING_JOB_LIST,
    recordings::RECORDING_JOB_FILES_READY,
    recordings::RECORDING_LIST_BY_JOB,
    recordings::RECORDING_SET_SIZE,
    recordings::RECORDING_JOB_GET,
    recordings::RECORDING_JOB_REFUSED,
    recordings::RECORDING_JOB_PROVIDER_FAILED,
    // notes
    notes::NOTES_GET,
    notes::NOTES_UPSERT,
    notes::NOTE_OP_INSERT,
    notes::NOTE_OP_LIST_AFTER,
    notes::NOTE_OP_MAX_VERSION,
    notes::NOTE_OP_COMPACT,
    // transcripts
    transcripts::TRANSCRIPT_INSERT,
    transcripts::TRANSCRIPT_LIST_AFTER_SEQ,
    transcripts::TRANSCRIPT_LIST_SEQ_RANGE,
    transcripts::TRANSCRIPT_LIST_BY_TIME,
    transcripts::TRANSCRIPT_LIST_BUCKET,
    transcripts::TRANSCRIPT_MAX_SEQ,
    // segments
    segments::SEGMENT_UPSERT,
    segments::SEGMENT_GET,
    segments::SEGMENT_LIST_BY_MEETING,
    segments::SEGMENT_LIST_BY_TIME,
    segments::SEGMENT_LIST_BY_SPEAKER,
    segments::SEGMENT_DELETE_FOR_MEETING,
    // search
    search::SEARCH_SEGMENTS_IN_MEETING,
    search::SEARCH_SEGMENTS_FOR_USER,
    search::SEARCH_NOTES_FOR_USER,
    search::SEARCH_TRANSCRIPTS,
    search::SEARCH_TRANSCRIPTS_COUNT,
    search::SEARCH_MEETINGS,
    search::SEARCH_MEETINGS_FACETS,
    search::SEARCH_USERS,
    search::SEARCH_USERS_COUNT,
    search::SEARCH_NOTES_COUNT,
    search::SEARCH_TRANSCRIPT_VOCAB,
    search::SEARCH_MEETINGS_VOCAB,
    search::SEARCH_PROFILES_VOCAB,
    search::SEARCH_REBUILD_TRANSCRIPTS,
    search::SEARCH_REBUILD_MEETINGS_CLEAR,
    search::SEARCH_REBUILD_MEETINGS_FILL,
    search::SEARCH_MEETINGS_MAX_ROWID,
    search::SEARCH_REBUILD_TRANSCRIPT_CHUNKS,
    search::SEARCH_USERS_BY_EMAIL,
    search::SEARCH_TRANSCRIPT_TERMS,
    search::SEARCH_MEETINGS_TERMS,
    search::SEARCH_PROFILES_TERMS,
    search::SEARCH_REBUILD_NOTES,
    search::SEARCH_REBUILD_USERS,
    search::SEARCH_INDEX_JOB_INSERT,
    notifications::ANNOUNCEMENT_INSERT,
    notifications::ANNOUNCEMENT_BATCH_INSERT,
    notifications::ANNOUNCEMENT_BOUNDS,
    notifications::ANNOUNCEMENT_BATCH_GET,
    notifications::ANNOUNCEMENT_BATCH_MEMBERS,
    notifications::ANNOUNCEMENT_BATCH_DONE,
    notifications::ANNOUNCEMENT_PROGRESS,
    // messages
    messages::MESSAGE_INSERT,
    messages::MESSAGE_LIST_AFTER_SEQ,
    messages::MESSAGE_LIST_BEFORE_SEQ,
    messages::MESSAGE_MAX_SEQ,
    messages::MESSAGE_PURGE_FOR_MEETING,
    // prompts
    prompts::PROMPT_INSERT,
    prompts::PROMPT_PROMOTE,
    prompts::PROMPT_PROMOTE_ON_START,
    prompts::PROMPT_COUNT_FOR_REQUEST,
    prompts::PROMPT_DELETE_STALE_PRECALL,
    prompts::PROMPT_GET,
    prompts::PROMPT_LIST_BY_MEETING,
    prompts::PROMPT_TOP_BY_RELEVANCE,
    prompts::PROMPT_SET_FEEDBACK,
    prompts::PROMPT_FEEDBACK_UPSERT,
    prompts::PROMPT_FEEDBACK_COUNTS,
    prompts::PROMPT_FEEDBACK_LIST_FOR_USER,
    // insights
    insights::INSIGHT_UPSERT,
    insights::INSIGHT_GET,
    insights::INSIGHT_GET_FOR_MEETING,
    insights::INSIGHT_LIST_FOR_USER,
    insights::INSIGHT_LIST_SHARED_FOR_MEETING,
    insights::INSIGHT_DELETE_FOR_MEETING,
    insights::INSIGHT_SET_VISIBILITY,
    insights::INSIGHT_DELETE,
    // matching
    matching::MATCHING_QUEUE_INSERT,
    matching::MATCHING_QUEUE_GET,
    matching::MATCHING_QUEUE_GET_WAITING,
    matching::MATCHING_QUEUE_LIST_FOR_USER,
    matching::MATCHING_QUEUE_CANCEL,
    matching::MATCHING_QUEUE_MARK_MATCHED,
    matching::MATCHING_QUEUE_LIST_WAITING,
    matching::MATCHING_QUEUE_EXPIRE,
    matching::MATCHING_QUEUE_LIST_BY_MATCH,
    matching::MATCH_OUTCOME_RECORD,
    matching::MATCH_RECENTLY_DECLINED,
    matching::MATCH_OUTCOME_LIST_FOR_USER,
    matching::MATCH_OUTCOME_LIST_BY_KIND,
    matching::MATCHING_QUEUE_GET_ACTIVE,
    matching::MATCHING_QUEUE_MOVE,
    matching::MATCHING_QUEUE_CLAIM_PAIR,
    matching::MATCHING_PROPOSAL_INSERT_CLAIMED,
    matching::MATCHING_PROPOSAL_GET,
    matching::MATCHING_PROPOSAL_SETTLE,
    matching::MATCHING_PROPOSAL_LIST_DUE,
    matching::MATCHING_CANDIDATES_BY_INTEREST,
    matching::MATCHING_PEOPLE,
    matching::MATCH_HISTORY_FOR_USERS,
    matching::MATCH_DECLINES_AMONG,
    matching::MATCHING_WEIGHTS_GET,
    matching::MATCHING_WEIGHTS_PUT,
    matching::MATCH_ANSWER_RECORD,
    matching::MATCHING_PROPOSAL_SET_MEETING,
    matching::MATCHING_PROPOSAL_LIST_UNSCHEDULED,
    matching::MATCHING_PROPOSAL_LEASE_SCHEDULE,
    matching::MATCHING_QUEUE_WAITING_AMONG,
    matching::MATCHING_PROPOSAL_BY_MEETING,
    matching::MATCHING_PROPOSAL_MATCHED_BETWEEN,
    matching::MATCH_INSIGHT_SIGNALS_FOR_PAIR,
    matching::MATCH_SIGNAL_RECORD,
    matching::MATCHING_WEIGHTS_PUT_FOR_SIGNAL,
    embeddings::EMBEDDING_LIST_FOR_SOURCES,
    // embeddings, vector backends
    embeddings::EMBEDDING_UPSERT,
    embeddings::EMBEDDING_GET_FOR_SOURCE,
    embeddings::EMBEDDING_CANDIDATES,
    embeddings::EMBEDDING_LIST_STALE,
    embeddings::EMBEDDING_DELETE_FOR_SOURCE,
    embeddings::VECTOR_INDEX_GET_ACTIVE,
    embeddings::VECTOR_INDEX_LIST_BY_STATUS,
    embeddings::VECTOR_INDEX_UPSERT,
    embeddings::VECTOR_INDEX_SET_STATUS,
    embeddings::EMBEDDING_STATE_FOR_SOURCE,
    embeddings::EMBEDDING_DELETE_FOR_SOURCE_MODEL,
    embeddings::CONSENT_PROCESSING_AMONG,
    embeddings::EMBEDDING_PROGRESS_GET,
    embeddings::EMBEDDING_PROGRESS_LIST,
    embeddings::EMBEDDING_PROGRESS_ADVANCE,
    embeddings::EMBEDDING_SWEEP_PROFILES,
    embeddings::EMBEDDING_INDEX_CANDIDATES,
    embeddings::EMBEDDING_INDEX_CANDIDATES_IN_ORG,
    embeddings::EMBEDDING_INDEX_UPSERT,
    // audit
    audit::AUDIT_INSERT,
    audit::AUDIT_GET,
    audit::AUDIT_LIST_BY_ACTOR,
    audit::AUDIT_LIST_BY_RESOURCE,
    audit::AUDIT_LIST_BY_MEETING,
    audit::AUDIT_LIST_BY_ACTION,
    audit::AUDIT_LIST_BY_ORG,
    audit::AUDIT_LIST_BY_TIME,
    audit::AUDIT_REDACT_ACTOR,
    audit::AUDIT_ORG_LIST_BY_MEETING,
    audit::AUDIT_ORG_LIST_BY_ACTOR,
    audit::AUDIT_ORG_LIST,
    // feature flags
    flags::FLAG_GET,
    flags::FLAG_LIST_FOR_ENV,
    flags::FLAG_UPSERT,
    flags::FLAG_LIVE_MEETINGS,
    flags::FLAG_DELETE,
    // idempotency
    idempotency::IDEMPOTENCY_CLAIM,
    idempotency::IDEMPOTENCY_GET,
    idempotency::IDEMPOTENCY_COMPLETE,
    idempotency::IDEMPOTENCY_RELEASE,
    idempotency::IDEMPOTENCY_PURGE_EXPIRED,
    // queue jobs
    jobs::JOB_ATTEMPT_NEXT,
    // rate limits
    rate_limits::RATE_LIMIT_HIT,
    rate_limits::RATE_LIMIT_WINDOWS,
    rate_limits::RATE_LIMIT_PURGE,
    // notifications
    notifications::NOTIFICATION_INSERT,
    notifications::NOTIFICATION_LIST_FOR_USER,
    notifications::NOTIFICATION_UNREAD_COUNT,
    notifications::NOTIFICATION_MARK_READ,
    notifications::NOTIFICATION_MARK_ALL_READ,
    notifications::NOTIFICATION_DELETE,
    notifications::NOTIFICATION_INBOX,
    notifications::NOTIFICATION_COUNT_SINCE,
    notifications::NOTIFICATION_SIMILAR,
    notifications::NOTIFICATION_GROUP_BUMP,
    notifications::NOTIFICATION_GET,
    notifications::NOTIFICATION_COUNTER_SYNC,
    notifications::NOTIFICATION_COUNTER_GET,
    notifications::NOTIFICATION_PREFS_GET,
    notifications::NOTIFICATION_PREFS_PUT,
    notifications::EMAIL_OUTBOX_INSERT,
    notifications::EMAIL_OUTBOX_GET,
    notifications::EMAIL_OUTBOX_FAILED,
    notifications::EMAIL_OUTBOX_SENT,
    notifications::EMAIL_OUTBOX_DEAD,
    notifications::EMAIL_OUTBOX_LIST_SENT,
    notifications::NOTIFICATION_MEETINGS_STARTING,
    // health
    health::HEALTH_PING,
    health::HEALTH_SCHEMA_VERSION,
    // retention
    retention::RETENTION_PURGE_MESSAGES,
    retention::RETENTION_PURGE_TRANSCRIPTS,
    retention::RETENTION_PURGE_TRANSCRIPT_SEGMENTS,
    retention::RETENTION_PURGE_NOTE_OPS,
    retention::RETENTION_PURGE_MEETING_NOTES,
    retention::RETENTION_PURGE_PROMPTS,
    retention::RETENTION_PURGE_INSIGHTS,
    retention::RETENTION_PURGE_AUDIT_LOGS,
    retention::RETENTION_PURGE_NOTIFICATIONS,
    retention::RETENTION_PURGE_MATCHING_QUEUE,
    // legal_holds
    legal_holds::LEGAL_HOLD_PLACE,
    legal_holds::LEGAL_HOLD_RELEASE,
    legal_holds::LEGAL_HOLD_ACTIVE_FOR,
    legal_holds::LEGAL_HOLD_LIST,
    legal_holds::LEGAL_HOLD_GET,
    legal_holds::RETENTION_HELD_PURGE_MESSAGES,
    legal_holds::RETENTION_HELD_PURGE_MESSAGES_FOR_ORG,
    legal_holds::RETENTION_HELD_PURGE_TRANSCRIPTS,
    legal_holds::RETENTION_HELD_PURGE_TRANSCRIPT_SEGMENTS,
    legal_holds::RETENTION_HELD_PURGE_NOTE_OPS,
    legal_holds::RETENTION_HELD_PURGE_MEETING_NOTES,
    legal_holds::RETENTION_HELD_PURGE_PROMPTS,
    legal_holds::RETENTION_HELD_PURGE_INSIGHTS,
    legal_holds::RETENTION_HELD_PURGE_NOTIFICATIONS,
    legal_holds::RETENTION_HELD_PURGE_AUDIT_LOGS,
    legal_holds::RETENTION_HELD_PURGE_RECORDINGS,
    legal_holds::RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG,
    // storage policies and retention runs
    storage_policies::STORAGE_POLICY_CREATE,
    storage_policies::STORAGE_POLICY_GET,
    storage_policies::STORAGE_POLICY_LIST_FOR_ORG,
    storage_policies::STORAGE_POLICY_LIST_FOR_SCOPE,
    storage_policies::STORAGE_POLICY_UPDATE,
    storage_policies::STORAGE_POLICY_DELETE,
    storage_policies::RETENTION_RUN_INSERT,
    storage_policies::RETENTION_RUN_LIST,
    storage_policies::RETENTION_RUN_PURGE,
    // privacy
    privacy::CONSENT_RECORD,
    privacy::CONSENT_LIST_FOR_USER,
    privacy::CONSENT_LIST_FOR_MEETING,
    privacy::DELETION_REQUEST_CREATE,
    privacy::DELETION_REQUEST_OPEN_FOR_USER,
    privacy::DELETION_REQUEST_SET_STATUS,
    privacy::DELETION_REQUEST_COMPLETE,
    privacy::EXPORT_REQUEST_CREATE,
    privacy::EXPORT_REQUEST_GET,
    privacy::EXPORT_REQUEST_READY,
    privacy::ERASURE_TOMBSTONE_INSERT,
    privacy::ERASURE_RENAME_PARTICIPANTS,
    privacy::ERASURE_RENAME_INVITED_BY,
    privacy::ERASURE_RENAME_MESSAGES,
    privacy::ERASURE_RENAME_NOTE_OPS,
    privacy::ERASURE_RENAME_ORGANIZER,
    privacy::ERASURE_RENAME_TRANSCRIPT_SPEAKER,
    privacy::ERASURE_RENAME_SEGMENT_SPEAKER,
    privacy::ERASURE_RENAME_NOTES_AUTHOR,
    privacy::ERASURE_DELETE_INSIGHTS,
    privacy::ERASURE_DELETE_NOTIFICATIONS,
    privacy::ERASURE_DELETE_QUEUE_ENTRIES,
    privacy::ERASURE_DELETE_PROMPT_FEEDBACK,
    privacy::EXPORT_MESSAGES_BY_USER,
    privacy::EXPORT_NOTE_OPS_BY_AUTHOR,
    privacy::EXPORT_TRANSCRIPT_BY_SPEAKER,
    privacy::EXPORT_MEMBERSHIPS,
    // operations
    operations::USERS_ORG_ADMINS,
    operations::OPERATOR_LIMITS_GET,
    operations::OPERATOR_LIMITS_PUT,
    privacy::EXPORT_REQUEST_OPEN_FOR_USER,
    privacy::EXPORT_REQUEST_LOAD,
    privacy::EXPORT_REQUEST_ADVANCE,
    privacy::EXPORT_REQUEST_FAIL,
    privacy::EXPORT_REQUEST_IDS_FOR_USER,
    privacy::EXPORT_REQUEST_STALE,
    privacy::DELETION_REQUEST_GET,
    privacy::DELETION_REQUEST_ADVANCE,
    privacy::DELETION_REQUEST_WAIT,
    privacy::DELETION_REQUEST_STALE,
    privacy::EXPORT_PROMPT_FEEDBACK_BY_USER,
    privacy::EXPORT_MATCH_OUTCOMES_BY_USER,
    privacy::ERASURE_RENAME_RELEASED_HOLDS,
    privacy::EXPORT_REQUEST_EXPIRED,
    privacy::EXPORT_REQUEST_EXPIRE,
];

/// The registered SQL for a constant name, if any.
pub fn by_name(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, sql)| *sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = ALL.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate names in sql::ALL");
    }

    /// The `?N` parameter numbers a statement uses.
    fn parameter_numbers(sql: &str) -> Vec<usize> {
        let bytes = sql.as_bytes();
        let mut found = Vec::new();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'?' {
                let digits: String = sql[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                assert!(!digits.is_empty(), "anonymous `?` parameter in: {sql}");
                found.push(digits.parse().unwrap());
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn statements_fit_d1_limits() {
        for (name, sql) in ALL {
            // D1: at most 100 bound parameters and 100 KB per statement.
            assert!(sql.len() < 100_000, "{name} is too long");
            let numbers = parameter_numbers(sql);
            let expected: Vec<usize> = (1..=numbers.len()).collect();
            assert_eq!(
                numbers, expected,
                "{name}: parameters must be ?1..?N without gaps"
            );
            assert!(
                numbers.len() <= 100,
                "{name} binds more than 100 parameters"
            );
            assert!(!sql.trim_end().ends_with(';'), "{name} ends with ';'");
        }
    }

    #[test]
    fn by_name_finds_a_statement() {
        assert_eq!(by_name("HEALTH_PING"), Some(health::HEALTH_PING));
        assert_eq!(by_name("NO_SUCH_QUERY"), None);
    }

    /// Every registry entry has a typed parameter struct with exactly one
    /// field per `?N` it uses, so no caller binds by position.
    #[test]
    fn every_statement_has_typed_parameters() {
        let typed: &[(&str, &[&str])] = &[
            (audit::AUDIT_INSERT, audit::AuditInsert::FIELDS),
            (audit::AUDIT_GET, audit::AuditGet::FIELDS),
            (audit::AUDIT_LIST_BY_ACTOR, audit::AuditListByActor::FIELDS),
            (
                audit::AUDIT_LIST_BY_RESOURCE,
                audit::AuditListByResource::FIELDS,
            ),
            (
                audit::AUDIT_LIST_BY_MEETING,
                audit::AuditListByMeeting::FIELDS,
            ),
            (
                audit::AUDIT_LIST_BY_ACTION,
                audit::AuditListByAction::FIELDS,
            ),
            (audit::AUDIT_LIST_BY_ORG, audit::AuditListByOrg::FIELDS),
            (audit::AUDIT_LIST_BY_TIME, audit::AuditListByTime::FIELDS),
            (audit::AUDIT_REDACT_ACTOR, audit::AuditRedactActor::FIELDS),
            (
                audit::AUDIT_ORG_LIST_BY_MEETING,
                audit::AuditOrgListByMeeting::FIELDS,
            ),
            (
                audit::AUDIT_ORG_LIST_BY_ACTOR,
                audit::AuditOrgListByActor::FIELDS,
            ),
            (audit::AUDIT_ORG_LIST, audit::AuditOrgList::FIELDS),
            (
                connections::CONNECTION_INSERT,
                connections::ConnectionInsert::FIELDS,
            ),
            (
                connections::CONNECTION_GET,
                connections::ConnectionGet::FIELDS,
            ),
            (
                connections::CONNECTION_GET_BETWEEN,
                connections::ConnectionGetBetween::FIELDS,
            ),
            (
                connections::CONNECTION_SET_STATUS,
                connections::ConnectionSetStatus::FIELDS,
            ),
            (
                connections::CONNECTION_LIST_INCOMING,
                connections::ConnectionListIncoming::FIELDS,
            ),
            (
                connections::CONNECTION_LIST_OUTGOING,
                connections::ConnectionListOutgoing::FIELDS,
            ),
            (
                connections::CONNECTION_LIST_ACCEPTED,
                connections::ConnectionListAccepted::FIELDS,
            ),
            (
                connections::CONNECTION_DELETE,
                connections::ConnectionDelete::FIELDS,
            ),
            (
                connections::CONNECTION_CREATE,
                connections::ConnectionCreate::FIELDS,
            ),
            (
                connections::CONNECTION_REWRITE,
                connections::ConnectionRewrite::FIELDS,
            ),
            (
                connections::CONNECTION_DELETE_GUARDED,
                connections::ConnectionDeleteGuarded::FIELDS,
            ),
            (
                connections::CONNECTION_LIST_FOR_USER,
                connections::ConnectionListForUser::FIELDS,
            ),
            (
                connections::CONNECTION_BLOCKS_AMONG,
                connections::ConnectionBlocksAmong::FIELDS,
            ),
            (
                embeddings::EMBEDDING_UPSERT,
                embeddings::EmbeddingUpsert::FIELDS,
            ),
            (
                embeddings::EMBEDDING_GET_FOR_SOURCE,
                embeddings::EmbeddingGetForSource::FIELDS,
            ),
            (
                embeddings::EMBEDDING_CANDIDATES,
                embeddings::EmbeddingCandidates::FIELDS,
            ),
            (
                embeddings::EMBEDDING_LIST_STALE,
                embeddings::EmbeddingListStale::FIELDS,
            ),
            (
                embeddings::EMBEDDING_DELETE_FOR_SOURCE,
                embeddings::EmbeddingDeleteForSource::FIELDS,
            ),
            (
                embeddings::VECTOR_INDEX_GET_ACTIVE,
                embeddings::VectorIndexGetActive::FIELDS,
            ),
            (
                embeddings::VECTOR_INDEX_LIST_BY_STATUS,
                embeddings::VectorIndexListByStatus::FIELDS,
            ),
            (
                embeddings::VECTOR_INDEX_UPSERT,
                embeddings::VectorIndexUpsert::FIELDS,
            ),
            (
                embeddings::VECTOR_INDEX_SET_STATUS,
                embeddings::VectorIndexSetStatus::FIELDS,
            ),
            (
                embeddings::EMBEDDING_STATE_FOR_SOURCE,
                embeddings::EmbeddingStateForSource::FIELDS,
            ),
            (
                embeddings::EMBEDDING_DELETE_FOR_SOURCE_MODEL,
                embeddings::EmbeddingDeleteForSourceModel::FIELDS,
            ),
            (
                embeddings::CONSENT_PROCESSING_AMONG,
                embeddings::ConsentProcessingAmong::FIELDS,
            ),
            (
                embeddings::EMBEDDING_PROGRESS_GET,
                embeddings::EmbeddingProgressGet::FIELDS,
            ),
            (
                embeddings::EMBEDDING_PROGRESS_LIST,
                embeddings::EmbeddingProgressList::FIELDS,
            ),
            (
                embeddings::EMBEDDING_PROGRESS_ADVANCE,
                embeddings::EmbeddingProgressAdvance::FIELDS,
            ),
            (
                embeddings::EMBEDDING_SWEEP_PROFILES,
                embeddings::EmbeddingSweepProfiles::FIELDS,
            ),
            (
                embeddings::EMBEDDING_INDEX_CANDIDATES,
                embeddings::EmbeddingIndexCandidates::FIELDS,
            ),
            (
                embeddings::EMBEDDING_INDEX_CANDIDATES_IN_ORG,
                embeddings::EmbeddingIndexCandidatesInOrg::FIELDS,
            ),
            (
                embeddings::EMBEDDING_INDEX_UPSERT,
                embeddings::EmbeddingIndexUpsert::FIELDS,
            ),
            (flags::FLAG_GET, flags::FlagGet::FIELDS),
            (flags::FLAG_LIST_FOR_ENV, flags::FlagListForEnv::FIELDS),
            (flags::FLAG_UPSERT, flags::FlagUpsert::FIELDS),
            (flags::FLAG_DELETE, flags::FlagDelete::FIELDS),
            (health::HEALTH_PING, health::HealthPing::FIELDS),
            (
                health::HEALTH_SCHEMA_VERSION,
                health::HealthSchemaVersion::FIELDS,
            ),
            (
                idempotency::IDEMPOTENCY_CLAIM,
                idempotency::IdempotencyClaim::FIELDS,
            ),
            (
                idempotency::IDEMPOTENCY_GET,
                idempotency::IdempotencyGet::FIELDS,
            ),
            (
                idempotency::IDEMPOTENCY_COMPLETE,
                idempotency::IdempotencyComplete::FIELDS,
            ),
            (
                idempotency::IDEMPOTENCY_RELEASE,
                idempotency::IdempotencyRelease::FIELDS,
            ),
            (
                idempotency::IDEMPOTENCY_PURGE_EXPIRED,
                idempotency::IdempotencyPurgeExpired::FIELDS,
            ),
            (insights::INSIGHT_UPSERT, insights::InsightUpsert::FIELDS),
            (insights::INSIGHT_GET, insights::InsightGet::FIELDS),
            (
                insights::INSIGHT_GET_FOR_MEETING,
                insights::InsightGetForMeeting::FIELDS,
            ),
            (
                insights::INSIGHT_LIST_FOR_USER,
                insights::InsightListForUser::FIELDS,
            ),
            (
                insights::INSIGHT_LIST_SHARED_FOR_MEETING,
                insights::InsightListSharedForMeeting::FIELDS,
            ),
            (
                insights::INSIGHT_SET_VISIBILITY,
                insights::InsightSetVisibility::FIELDS,
            ),
            (insights::INSIGHT_DELETE, insights::InsightDelete::FIELDS),
            (jobs::JOB_ATTEMPT_NEXT, jobs::JobAttemptNext::FIELDS),
            (
                matching::MATCHING_QUEUE_INSERT,
                matching::MatchingQueueInsert::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_GET,
                matching::MatchingQueueGet::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_GET_WAITING,
                matching::MatchingQueueGetWaiting::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_LIST_FOR_USER,
                matching::MatchingQueueListForUser::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_CANCEL,
                matching::MatchingQueueCancel::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_MARK_MATCHED,
                matching::MatchingQueueMarkMatched::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_LIST_WAITING,
                matching::MatchingQueueListWaiting::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_EXPIRE,
                matching::MatchingQueueExpire::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_LIST_BY_MATCH,
                matching::MatchingQueueListByMatch::FIELDS,
            ),
            (
                matching::MATCH_OUTCOME_RECORD,
                matching::MatchOutcomeRecord::FIELDS,
            ),
            (
                matching::MATCH_RECENTLY_DECLINED,
                matching::MatchRecentlyDeclined::FIELDS,
            ),
            (
                matching::MATCH_OUTCOME_LIST_FOR_USER,
                matching::MatchOutcomeListForUser::FIELDS,
            ),
            (
                matching::MATCH_OUTCOME_LIST_BY_KIND,
                matching::MatchOutcomeListByKind::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_GET_ACTIVE,
                matching::MatchingQueueGetActive::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_MOVE,
                matching::MatchingQueueMove::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_CLAIM_PAIR,
                matching::MatchingQueueClaimPair::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_INSERT_CLAIMED,
                matching::MatchingProposalInsertClaimed::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_GET,
                matching::MatchingProposalGet::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_SETTLE,
                matching::MatchingProposalSettle::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_LIST_DUE,
                matching::MatchingProposalListDue::FIELDS,
            ),
            (
                matching::MATCHING_CANDIDATES_BY_INTEREST,
                matching::MatchingCandidatesByInterest::FIELDS,
            ),
            (matching::MATCHING_PEOPLE, matching::MatchingPeople::FIELDS),
            (
                matching::MATCH_HISTORY_FOR_USERS,
                matching::MatchHistoryForUsers::FIELDS,
            ),
            (
                matching::MATCH_DECLINES_AMONG,
                matching::MatchDeclinesAmong::FIELDS,
            ),
            (
                matching::MATCHING_WEIGHTS_GET,
                matching::MatchingWeightsGet::FIELDS,
            ),
            (
                matching::MATCHING_WEIGHTS_PUT,
                matching::MatchingWeightsPut::FIELDS,
            ),
            (
                matching::MATCH_ANSWER_RECORD,
                matching::MatchAnswerRecord::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_SET_MEETING,
                matching::MatchingProposalSetMeeting::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_LIST_UNSCHEDULED,
                matching::MatchingProposalListUnscheduled::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_LEASE_SCHEDULE,
                matching::MatchingProposalLeaseSchedule::FIELDS,
            ),
            (
                matching::MATCHING_QUEUE_WAITING_AMONG,
                matching::MatchingQueueWaitingAmong::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_BY_MEETING,
                matching::MatchingProposalByMeeting::FIELDS,
            ),
            (
                matching::MATCHING_PROPOSAL_MATCHED_BETWEEN,
                matching::MatchingProposalMatchedBetween::FIELDS,
            ),
            (
                matching::MATCH_INSIGHT_SIGNALS_FOR_PAIR,
                matching::MatchInsightSignalsForPair::FIELDS,
            ),
            (
                matching::MATCH_SIGNAL_RECORD,
                matching::MatchSignalRecord::FIELDS,
            ),
            (
                matching::MATCHING_WEIGHTS_PUT_FOR_SIGNAL,
                matching::MatchingWeightsPutForSignal::FIELDS,
            ),
            (
                embeddings::EMBEDDING_LIST_FOR_SOURCES,
                embeddings::EmbeddingListForSources::FIELDS,
            ),
            (
                meeting_state::MEETING_STATE_GET,
                meeting_state::MeetingStateGet::FIELDS,
            ),
            (
                meeting_state::MEETING_STATE_UPSERT_ACTIVITY,
                meeting_state::MeetingStateUpsertActivity::FIELDS,
            ),
            (
                meeting_state::MEETING_STATE_UPSERT_RECORDING,
                meeting_state::MeetingStateUpsertRecording::FIELDS,
            ),
            (
                meeting_state::MEETING_STATE_UPSERT_ENGAGEMENT,
                meeting_state::MeetingStateUpsertEngagement::FIELDS,
            ),
            (
                meeting_state::MEETING_STATE_LIST_STALE_ACTIVE,
                meeting_state::MeetingStateListStaleActive::FIELDS,
            ),
            (meetings::MEETING_INSERT, meetings::MeetingInsert::FIELDS),
            (meetings::MEETING_GET, meetings::MeetingGet::FIELDS),
            (
                meetings::MEETING_GET_BY_STREAM_CID,
                meetings::MeetingGetByStreamCid::FIELDS,
            ),
            (
                meetings::MEETING_LIST_FOR_USER_ASC,
                meetings::MeetingListForUserAsc::FIELDS,
            ),
            (
                meetings::MEETING_LIST_FOR_USER_DESC,
                meetings::MeetingListForUserDesc::FIELDS,
            ),
            (
                meetings::MEETING_LIST_BY_ORG,
                meetings::MeetingListByOrg::FIELDS,
            ),
            (
                meetings::MEETING_LIST_BY_STATE_SCHEDULED,
                meetings::MeetingListByStateScheduled::FIELDS,
            ),
            (
                meetings::MEETING_UPDATE_DETAILS,
                meetings::MeetingUpdateDetails::FIELDS,
            ),
            (
                meetings::MEETING_TRANSITION_STATE,
                meetings::MeetingTransitionState::FIELDS,
            ),
            (
                meetings::MEETING_PROVISIONING_CLAIM,
                meetings::MeetingProvisioningClaim::FIELDS,
            ),
            (
                meetings::MEETING_PROVISIONING_READY,
                meetings::MeetingProvisioningReady::FIELDS,
            ),
            (
                meetings::MEETING_PROVISIONING_FAILED,
                meetings::MeetingProvisioningFailed::FIELDS,
            ),
            (
                meetings::MEETING_PROVISIONING_RETRY,
                meetings::MeetingProvisioningRetry::FIELDS,
            ),
            (
                meetings::MEETING_PROVISIONING_STALE,
                meetings::MeetingProvisioningStale::FIELDS,
            ),
            (
                meetings::MEETING_REFRESH_PARTICIPANT_COUNT,
                meetings::MeetingRefreshParticipantCount::FIELDS,
            ),
            (meetings::MEETING_DELETE, meetings::MeetingDelete::FIELDS),
            (messages::MESSAGE_INSERT, messages::MessageInsert::FIELDS),
            (
                messages::MESSAGE_LIST_AFTER_SEQ,
                messages::MessageListAfterSeq::FIELDS,
            ),
            (
                messages::MESSAGE_LIST_BEFORE_SEQ,
                messages::MessageListBeforeSeq::FIELDS,
            ),
            (messages::MESSAGE_MAX_SEQ, messages::MessageMaxSeq::FIELDS),
            (
                messages::MESSAGE_PURGE_FOR_MEETING,
                messages::MessagePurgeForMeeting::FIELDS,
            ),
            (notes::NOTES_GET, notes::NotesGet::FIELDS),
            (notes::NOTES_UPSERT, notes::NotesUpsert::FIELDS),
            (notes::NOTE_OP_INSERT, notes::NoteOpInsert::FIELDS),
            (notes::NOTE_OP_LIST_AFTER, notes::NoteOpListAfter::FIELDS),
            (notes::NOTE_OP_MAX_VERSION, notes::NoteOpMaxVersion::FIELDS),
            (notes::NOTE_OP_COMPACT, notes::NoteOpCompact::FIELDS),
            (
                notifications::NOTIFICATION_INSERT,
                notifications::NotificationInsert::FIELDS,
            ),
            (
                notifications::NOTIFICATION_LIST_FOR_USER,
                notifications::NotificationListForUser::FIELDS,
            ),
            (
                notifications::NOTIFICATION_UNREAD_COUNT,
                notifications::NotificationUnreadCount::FIELDS,
            ),
            (
                notifications::NOTIFICATION_MARK_READ,
                notifications::NotificationMarkRead::FIELDS,
            ),
            (
                notifications::NOTIFICATION_MARK_ALL_READ,
                notifications::NotificationMarkAllRead::FIELDS,
            ),
            (
                notifications::NOTIFICATION_DELETE,
                notifications::NotificationDelete::FIELDS,
            ),
            (
                notifications::NOTIFICATION_INBOX,
                notifications::NotificationInbox::FIELDS,
            ),
            (
                notifications::NOTIFICATION_COUNT_SINCE,
                notifications::NotificationCountSince::FIELDS,
            ),
            (
                notifications::NOTIFICATION_SIMILAR,
                notifications::NotificationSimilar::FIELDS,
            ),
            (
                notifications::NOTIFICATION_GROUP_BUMP,
                notifications::NotificationGroupBump::FIELDS,
            ),
            (
                notifications::NOTIFICATION_GET,
                notifications::NotificationGet::FIELDS,
            ),
            (
                notifications::NOTIFICATION_COUNTER_SYNC,
                notifications::NotificationCounterSync::FIELDS,
            ),
            (
                notifications::NOTIFICATION_COUNTER_GET,
                notifications::NotificationCounterGet::FIELDS,
            ),
            (
                notifications::NOTIFICATION_PREFS_GET,
                notifications::NotificationPrefsGet::FIELDS,
            ),
            (
                notifications::NOTIFICATION_PREFS_PUT,
                notifications::NotificationPrefsPut::FIELDS,
            ),
            (
                notifications::EMAIL_OUTBOX_INSERT,
                notifications::EmailOutboxInsert::FIELDS,
            ),
            (
                notifications::EMAIL_OUTBOX_GET,
                notifications::EmailOutboxGet::FIELDS,
            ),
            (
                notifications::EMAIL_OUTBOX_FAILED,
                notifications::EmailOutboxFailed::FIELDS,
            ),
            (
                notifications::EMAIL_OUTBOX_SENT,
                notifications::EmailOutboxSent::FIELDS,
            ),
            (
                notifications::EMAIL_OUTBOX_DEAD,
                notifications::EmailOutboxDead::FIELDS,
            ),
            (
                notifications::NOTIFICATION_MEETINGS_STARTING,
                notifications::NotificationMeetingsStarting::FIELDS,
            ),
            (
                notifications::EMAIL_OUTBOX_LIST_SENT,
                notifications::EmailOutboxListSent::FIELDS,
            ),
            (
                participants::PARTICIPANT_INSERT,
                participants::ParticipantInsert::FIELDS,
            ),
            (
                participants::PARTICIPANT_GET,
                participants::ParticipantGet::FIELDS,
            ),
            (
                participants::PARTICIPANT_LIST_BY_MEETING,
                participants::ParticipantListByMeeting::FIELDS,
            ),
            (
                participants::PARTICIPANT_REMOVE,
                participants::ParticipantRemove::FIELDS,
            ),
            (
                participants::PARTICIPANT_REMOVE_WITH_ROLE,
                participants::ParticipantRemoveWithRole::FIELDS,
            ),
            (
                participants::PARTICIPANT_SET_ROLE,
                participants::ParticipantSetRole::FIELDS,
            ),
            (
                participants::PARTICIPANT_TRANSFER_HOST,
                participants::ParticipantTransferHost::FIELDS,
            ),
            (
                participants::PARTICIPANT_COUNT,
                participants::ParticipantCount::FIELDS,
            ),
            (
                participants::PARTICIPANT_COUNT_BY_ROLE,
                participants::ParticipantCountByRole::FIELDS,
            ),
            (
                participants::PARTICIPANT_SET_PRESENCE,
                participants::ParticipantSetPresence::FIELDS,
            ),
            (
                participants::PARTICIPANT_MARK_ALL_LEFT,
                participants::ParticipantMarkAllLeft::FIELDS,
            ),
            (profiles::PROFILE_GET, profiles::ProfileGet::FIELDS),
            (profiles::PROFILE_UPSERT, profiles::ProfileUpsert::FIELDS),
            (
                profiles::PROFILE_LIST_FOR_MEETING,
                profiles::ProfileListForMeeting::FIELDS,
            ),
            (
                profiles::PROFILE_LIST_UPDATED_SINCE,
                profiles::ProfileListUpdatedSince::FIELDS,
            ),
            (profiles::INTEREST_UPSERT, profiles::InterestUpsert::FIELDS),
            (profiles::INTEREST_LIST, profiles::InterestList::FIELDS),
            (
                profiles::INTEREST_LIST_BY_CATEGORY,
                profiles::InterestListByCategory::FIELDS,
            ),
            (
                profiles::USER_INTEREST_ADD,
                profiles::UserInterestAdd::FIELDS,
            ),
            (
                profiles::USER_INTEREST_REMOVE,
                profiles::UserInterestRemove::FIELDS,
            ),
            (
                profiles::USER_INTEREST_CLEAR,
                profiles::UserInterestClear::FIELDS,
            ),
            (
                profiles::USER_INTEREST_LIST_FOR_USER,
                profiles::UserInterestListForUser::FIELDS,
            ),
            (
                profiles::USER_INTEREST_LIST_USERS,
                profiles::UserInterestListUsers::FIELDS,
            ),
            (prompts::PROMPT_INSERT, prompts::PromptInsert::FIELDS),
            (prompts::PROMPT_PROMOTE, prompts::PromptPromote::FIELDS),
            (flags::FLAG_LIVE_MEETINGS, flags::FlagLiveMeetings::FIELDS),
            (
                prompts::PROMPT_PROMOTE_ON_START,
                prompts::PromptPromoteOnStart::FIELDS,
            ),
            (
                prompts::PROMPT_COUNT_FOR_REQUEST,
                prompts::PromptCountForRequest::FIELDS,
            ),
            (
                prompts::PROMPT_DELETE_STALE_PRECALL,
                prompts::PromptDeleteStalePrecall::FIELDS,
            ),
            (
                profiles::PROFILE_SHARES_MEETING,
                profiles::ProfileSharesMeeting::FIELDS,
            ),
            (
                profiles::USER_INTEREST_LIST_FOR_MEETING,
                profiles::UserInterestListForMeeting::FIELDS,
            ),
            (
                insights::INSIGHT_DELETE_FOR_MEETING,
                insights::InsightDeleteForMeeting::FIELDS,
            ),
            (prompts::PROMPT_GET, prompts::PromptGet::FIELDS),
            (
                prompts::PROMPT_LIST_BY_MEETING,
                prompts::PromptListByMeeting::FIELDS,
            ),
            (
                prompts::PROMPT_TOP_BY_RELEVANCE,
                prompts::PromptTopByRelevance::FIELDS,
            ),
            (
                prompts::PROMPT_SET_FEEDBACK,
                prompts::PromptSetFeedback::FIELDS,
            ),
            (
                prompts::PROMPT_FEEDBACK_UPSERT,
                prompts::PromptFeedbackUpsert::FIELDS,
            ),
            (
                prompts::PROMPT_FEEDBACK_COUNTS,
                prompts::PromptFeedbackCounts::FIELDS,
            ),
            (
                prompts::PROMPT_FEEDBACK_LIST_FOR_USER,
                prompts::PromptFeedbackListForUser::FIELDS,
            ),
            (
                rate_limits::RATE_LIMIT_HIT,
                rate_limits::RateLimitHit::FIELDS,
            ),
            (
                rate_limits::RATE_LIMIT_WINDOWS,
                rate_limits::RateLimitWindows::FIELDS,
            ),
            (
                rate_limits::RATE_LIMIT_PURGE,
                rate_limits::RateLimitPurge::FIELDS,
            ),
            (
                recordings::RECORDING_INSERT,
                recordings::RecordingInsert::FIELDS,
            ),
            (recordings::RECORDING_GET, recordings::RecordingGet::FIELDS),
            (
                recordings::RECORDING_LIST_BY_MEETING,
                recordings::RecordingListByMeeting::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_CREATE,
                recordings::RecordingJobCreate::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_MOVE,
                recordings::RecordingJobMove::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_LIST,
                recordings::RecordingJobList::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_FILES_READY,
                recordings::RecordingJobFilesReady::FIELDS,
            ),
            (
                recordings::RECORDING_LIST_BY_JOB,
                recordings::RecordingListByJob::FIELDS,
            ),
            (
                recordings::RECORDING_SET_SIZE,
                recordings::RecordingSetSize::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_GET,
                recordings::RecordingJobGet::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_REFUSED,
                recordings::RecordingJobRefused::FIELDS,
            ),
            (
                recordings::RECORDING_JOB_PROVIDER_FAILED,
                recordings::RecordingJobProviderFailed::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_RECORDINGS,
                legal_holds::RetentionHeldPurgeRecordings::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_RECORDINGS_FOR_ORG,
                legal_holds::RetentionHeldPurgeRecordingsForOrg::FIELDS,
            ),
            (
                storage_policies::STORAGE_POLICY_CREATE,
                storage_policies::StoragePolicyCreate::FIELDS,
            ),
            (
                storage_policies::STORAGE_POLICY_GET,
                storage_policies::StoragePolicyGet::FIELDS,
            ),
            (
                storage_policies::STORAGE_POLICY_LIST_FOR_ORG,
                storage_policies::StoragePolicyListForOrg::FIELDS,
            ),
            (
                storage_policies::STORAGE_POLICY_LIST_FOR_SCOPE,
                storage_policies::StoragePolicyListForScope::FIELDS,
            ),
            (
                storage_policies::STORAGE_POLICY_UPDATE,
                storage_policies::StoragePolicyUpdate::FIELDS,
            ),
            (
                storage_policies::STORAGE_POLICY_DELETE,
                storage_policies::StoragePolicyDelete::FIELDS,
            ),
            (
                storage_policies::RETENTION_RUN_INSERT,
                storage_policies::RetentionRunInsert::FIELDS,
            ),
            (
                storage_policies::RETENTION_RUN_LIST,
                storage_policies::RetentionRunList::FIELDS,
            ),
            (
                storage_policies::RETENTION_RUN_PURGE,
                storage_policies::RetentionRunPurge::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_MESSAGES,
                retention::RetentionPurgeMessages::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_TRANSCRIPTS,
                retention::RetentionPurgeTranscripts::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_TRANSCRIPT_SEGMENTS,
                retention::RetentionPurgeTranscriptSegments::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_NOTE_OPS,
                retention::RetentionPurgeNoteOps::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_MEETING_NOTES,
                retention::RetentionPurgeMeetingNotes::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_PROMPTS,
                retention::RetentionPurgePrompts::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_INSIGHTS,
                retention::RetentionPurgeInsights::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_AUDIT_LOGS,
                retention::RetentionPurgeAuditLogs::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_NOTIFICATIONS,
                retention::RetentionPurgeNotifications::FIELDS,
            ),
            (
                retention::RETENTION_PURGE_MATCHING_QUEUE,
                retention::RetentionPurgeMatchingQueue::FIELDS,
            ),
            (
                search::SEARCH_SEGMENTS_IN_MEETING,
                search::SearchSegmentsInMeeting::FIELDS,
            ),
            (
                search::SEARCH_SEGMENTS_FOR_USER,
                search::SearchSegmentsForUser::FIELDS,
            ),
            (
                search::SEARCH_NOTES_FOR_USER,
                search::SearchNotesForUser::FIELDS,
            ),
            (
                search::SEARCH_TRANSCRIPTS,
                search::SearchTranscripts::FIELDS,
            ),
            (
                search::SEARCH_TRANSCRIPTS_COUNT,
                search::SearchTranscriptsCount::FIELDS,
            ),
            (search::SEARCH_MEETINGS, search::SearchMeetings::FIELDS),
            (
                search::SEARCH_MEETINGS_FACETS,
                search::SearchMeetingsFacets::FIELDS,
            ),
            (search::SEARCH_USERS, search::SearchUsers::FIELDS),
            (search::SEARCH_USERS_COUNT, search::SearchUsersCount::FIELDS),
            (search::SEARCH_NOTES_COUNT, search::SearchNotesCount::FIELDS),
            (
                search::SEARCH_TRANSCRIPT_VOCAB,
                search::SearchTranscriptVocab::FIELDS,
            ),
            (
                search::SEARCH_MEETINGS_VOCAB,
                search::SearchMeetingsVocab::FIELDS,
            ),
            (
                search::SEARCH_PROFILES_VOCAB,
                search::SearchProfilesVocab::FIELDS,
            ),
            (
                search::SEARCH_REBUILD_TRANSCRIPTS,
                search::SearchRebuildTranscripts::FIELDS,
            ),
            (
                search::SEARCH_REBUILD_MEETINGS_CLEAR,
                search::SearchRebuildMeetingsClear::FIELDS,
            ),
            (
                search::SEARCH_REBUILD_MEETINGS_FILL,
                search::SearchRebuildMeetingsFill::FIELDS,
            ),
            (
                search::SEARCH_MEETINGS_MAX_ROWID,
                search::SearchMeetingsMaxRowid::FIELDS,
            ),
            (
                search::SEARCH_REBUILD_TRANSCRIPT_CHUNKS,
                search::SearchRebuildTranscriptChunks::FIELDS,
            ),
            (
                search::SEARCH_USERS_BY_EMAIL,
                search::SearchUsersByEmail::FIELDS,
            ),
            (
                search::SEARCH_TRANSCRIPT_TERMS,
                search::SearchTranscriptTerms::FIELDS,
            ),
            (
                search::SEARCH_MEETINGS_TERMS,
                search::SearchMeetingsTerms::FIELDS,
            ),
            (
                search::SEARCH_PROFILES_TERMS,
                search::SearchProfilesTerms::FIELDS,
            ),
            (
                search::SEARCH_REBUILD_NOTES,
                search::SearchRebuildNotes::FIELDS,
            ),
            (
                search::SEARCH_REBUILD_USERS,
                search::SearchRebuildUsers::FIELDS,
            ),
            (
                search::SEARCH_INDEX_JOB_INSERT,
                search::SearchIndexJobInsert::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_INSERT,
                notifications::AnnouncementInsert::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_BATCH_INSERT,
                notifications::AnnouncementBatchInsert::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_BOUNDS,
                notifications::AnnouncementBounds::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_BATCH_GET,
                notifications::AnnouncementBatchGet::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_BATCH_MEMBERS,
                notifications::AnnouncementBatchMembers::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_BATCH_DONE,
                notifications::AnnouncementBatchDone::FIELDS,
            ),
            (
                notifications::ANNOUNCEMENT_PROGRESS,
                notifications::AnnouncementProgress::FIELDS,
            ),
            (segments::SEGMENT_UPSERT, segments::SegmentUpsert::FIELDS),
            (segments::SEGMENT_GET, segments::SegmentGet::FIELDS),
            (
                segments::SEGMENT_LIST_BY_MEETING,
                segments::SegmentListByMeeting::FIELDS,
            ),
            (
                segments::SEGMENT_LIST_BY_TIME,
                segments::SegmentListByTime::FIELDS,
            ),
            (
                segments::SEGMENT_LIST_BY_SPEAKER,
                segments::SegmentListBySpeaker::FIELDS,
            ),
            (
                segments::SEGMENT_DELETE_FOR_MEETING,
                segments::SegmentDeleteForMeeting::FIELDS,
            ),
            (
                transcripts::TRANSCRIPT_INSERT,
                transcripts::TranscriptInsert::FIELDS,
            ),
            (
                transcripts::TRANSCRIPT_LIST_AFTER_SEQ,
                transcripts::TranscriptListAfterSeq::FIELDS,
            ),
            (
                transcripts::TRANSCRIPT_LIST_SEQ_RANGE,
                transcripts::TranscriptListSeqRange::FIELDS,
            ),
            (
                transcripts::TRANSCRIPT_LIST_BY_TIME,
                transcripts::TranscriptListByTime::FIELDS,
            ),
            (
                transcripts::TRANSCRIPT_LIST_BUCKET,
                transcripts::TranscriptListBucket::FIELDS,
            ),
            (
                transcripts::TRANSCRIPT_MAX_SEQ,
                transcripts::TranscriptMaxSeq::FIELDS,
            ),
            (users::USER_UPSERT, users::UserUpsert::FIELDS),
            (users::USER_GET, users::UserGet::FIELDS),
            (
                users::USER_APPLY_WORKOS_EVENT,
                users::UserApplyWorkosEvent::FIELDS,
            ),
            (
                users::USER_APPLY_MEMBERSHIP_EVENT,
                users::UserApplyMembershipEvent::FIELDS,
            ),
            (
                users::USER_TOUCH_LAST_SEEN,
                users::UserTouchLastSeen::FIELDS,
            ),
            (users::USER_SET_ACTIVE, users::UserSetActive::FIELDS),
            (users::USER_SOFT_DELETE, users::UserSoftDelete::FIELDS),
            (users::USER_DELETE, users::UserDelete::FIELDS),
            (users::USER_LIST_BY_ORG, users::UserListByOrg::FIELDS),
            (users::USER_FIND_BY_EMAIL, users::UserFindByEmail::FIELDS),
            (
                users::USER_UPSERT_FROM_TOKEN,
                users::UserUpsertFromToken::FIELDS,
            ),
            (users::USER_GET_FOR_AUTH, users::UserGetForAuth::FIELDS),
            (
                users::USER_CLEAR_MEMBERSHIP_EVENT,
                users::UserClearMembershipEvent::FIELDS,
            ),
            (
                legal_holds::LEGAL_HOLD_PLACE,
                legal_holds::LegalHoldPlace::FIELDS,
            ),
            (
                legal_holds::LEGAL_HOLD_RELEASE,
                legal_holds::LegalHoldRelease::FIELDS,
            ),
            (
                legal_holds::LEGAL_HOLD_ACTIVE_FOR,
                legal_holds::LegalHoldActiveFor::FIELDS,
            ),
            (
                legal_holds::LEGAL_HOLD_LIST,
                legal_holds::LegalHoldList::FIELDS,
            ),
            (
                legal_holds::LEGAL_HOLD_GET,
                legal_holds::LegalHoldGet::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_MESSAGES,
                legal_holds::RetentionHeldPurgeMessages::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_MESSAGES_FOR_ORG,
                legal_holds::RetentionHeldPurgeMessagesForOrg::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_TRANSCRIPTS,
                legal_holds::RetentionHeldPurgeTranscripts::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_TRANSCRIPT_SEGMENTS,
                legal_holds::RetentionHeldPurgeTranscriptSegments::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_NOTE_OPS,
                legal_holds::RetentionHeldPurgeNoteOps::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_MEETING_NOTES,
                legal_holds::RetentionHeldPurgeMeetingNotes::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_PROMPTS,
                legal_holds::RetentionHeldPurgePrompts::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_INSIGHTS,
                legal_holds::RetentionHeldPurgeInsights::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_NOTIFICATIONS,
                legal_holds::RetentionHeldPurgeNotifications::FIELDS,
            ),
            (
                legal_holds::RETENTION_HELD_PURGE_AUDIT_LOGS,
                legal_holds::RetentionHeldPurgeAuditLogs::FIELDS,
            ),
            (privacy::CONSENT_RECORD, privacy::ConsentRecord::FIELDS),
            (
                privacy::CONSENT_LIST_FOR_USER,
                privacy::ConsentListForUser::FIELDS,
            ),
            (
                privacy::CONSENT_LIST_FOR_MEETING,
                privacy::ConsentListForMeeting::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_CREATE,
                privacy::DeletionRequestCreate::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_OPEN_FOR_USER,
                privacy::DeletionRequestOpenForUser::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_SET_STATUS,
                privacy::DeletionRequestSetStatus::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_COMPLETE,
                privacy::DeletionRequestComplete::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_CREATE,
                privacy::ExportRequestCreate::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_GET,
                privacy::ExportRequestGet::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_READY,
                privacy::ExportRequestReady::FIELDS,
            ),
            (
                privacy::ERASURE_TOMBSTONE_INSERT,
                privacy::ErasureTombstoneInsert::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_PARTICIPANTS,
                privacy::ErasureRenameParticipants::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_INVITED_BY,
                privacy::ErasureRenameInvitedBy::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_MESSAGES,
                privacy::ErasureRenameMessages::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_NOTE_OPS,
                privacy::ErasureRenameNoteOps::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_ORGANIZER,
                privacy::ErasureRenameOrganizer::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_TRANSCRIPT_SPEAKER,
                privacy::ErasureRenameTranscriptSpeaker::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_SEGMENT_SPEAKER,
                privacy::ErasureRenameSegmentSpeaker::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_NOTES_AUTHOR,
                privacy::ErasureRenameNotesAuthor::FIELDS,
            ),
            (
                privacy::ERASURE_DELETE_INSIGHTS,
                privacy::ErasureDeleteInsights::FIELDS,
            ),
            (
                privacy::ERASURE_DELETE_NOTIFICATIONS,
                privacy::ErasureDeleteNotifications::FIELDS,
            ),
            (
                privacy::ERASURE_DELETE_QUEUE_ENTRIES,
                privacy::ErasureDeleteQueueEntries::FIELDS,
            ),
            (
                privacy::ERASURE_DELETE_PROMPT_FEEDBACK,
                privacy::ErasureDeletePromptFeedback::FIELDS,
            ),
            (
                privacy::EXPORT_MESSAGES_BY_USER,
                privacy::ExportMessagesByUser::FIELDS,
            ),
            (
                privacy::EXPORT_NOTE_OPS_BY_AUTHOR,
                privacy::ExportNoteOpsByAuthor::FIELDS,
            ),
            (
                privacy::EXPORT_TRANSCRIPT_BY_SPEAKER,
                privacy::ExportTranscriptBySpeaker::FIELDS,
            ),
            (
                privacy::EXPORT_MEMBERSHIPS,
                privacy::ExportMemberships::FIELDS,
            ),
            (
                operations::USERS_ORG_ADMINS,
                operations::UsersOrgAdmins::FIELDS,
            ),
            (
                operations::OPERATOR_LIMITS_GET,
                operations::OperatorLimitsGet::FIELDS,
            ),
            (
                operations::OPERATOR_LIMITS_PUT,
                operations::OperatorLimitsPut::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_OPEN_FOR_USER,
                privacy::ExportRequestOpenForUser::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_LOAD,
                privacy::ExportRequestLoad::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_ADVANCE,
                privacy::ExportRequestAdvance::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_FAIL,
                privacy::ExportRequestFail::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_IDS_FOR_USER,
                privacy::ExportRequestIdsForUser::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_STALE,
                privacy::ExportRequestStale::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_GET,
                privacy::DeletionRequestGet::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_ADVANCE,
                privacy::DeletionRequestAdvance::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_WAIT,
                privacy::DeletionRequestWait::FIELDS,
            ),
            (
                privacy::DELETION_REQUEST_STALE,
                privacy::DeletionRequestStale::FIELDS,
            ),
            (
                privacy::EXPORT_PROMPT_FEEDBACK_BY_USER,
                privacy::ExportPromptFeedbackByUser::FIELDS,
            ),
            (
                privacy::EXPORT_MATCH_OUTCOMES_BY_USER,
                privacy::ExportMatchOutcomesByUser::FIELDS,
            ),
            (
                privacy::ERASURE_RENAME_RELEASED_HOLDS,
                privacy::ErasureRenameReleasedHolds::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_EXPIRED,
                privacy::ExportRequestExpired::FIELDS,
            ),
            (
                privacy::EXPORT_REQUEST_EXPIRE,
                privacy::ExportRequestExpire::FIELDS,
            ),
        ];
        assert_eq!(
            typed.len(),
            ALL.len(),
            "a registry entry lacks its params! struct"
        );
        for (sql, fields) in typed {
            assert_eq!(
                parameter_numbers(sql).len(),
                fields.len(),
                "{sql}: its params! struct must have one field per ?N"
            );
        }
    }
}
