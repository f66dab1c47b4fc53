//! Flushing the room's live copy to D1: the batch of rows the room hands
//! the shell, and the exact D1 statements (from the `sql` registry) that
//! write them.
//!
//! Every row carries its natural key — `(meeting_id, seq)` for transcript
//! chunks and chat messages, `(meeting_id, version)` for note ops, and a
//! version or event-time guard for the `meeting_notes` and `meeting_state`
//! upserts — so writing the same batch twice (a retry after a timeout, or a
//! re-flush after the object was evicted before `flush_done`) writes
//! nothing twice.

use std::collections::BTreeMap;

use crate::ot::CommittedOp;
use crate::sql::{meeting_state, messages, notes, transcripts};

use super::chat::ChatMessage;
use super::meta::FlushWatermarks;
use super::store::{NotesSnapshot, SqlValue, StoreError};
use super::transcript::TranscriptChunk;

/// The meeting's lifecycle and engagement, for the `meeting_state` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub active: bool,
    pub started_at_ms: Option<u64>,
    pub ended_at_ms: Option<u64>,
    /// The event time guarding the upsert: the last lifecycle change.
    pub event_at_ms: u64,
    pub last_activity_ms: Option<u64>,
    pub speaking_ms: BTreeMap<String, u64>,
}

/// Rows for D1, and how far they reach.
#[derive(Debug, Clone, PartialEq)]
pub struct FlushBatch {
    pub meeting_id: String,
    /// New transcript chunks, by seq (each row's `bucket_ms` is
    /// [`TranscriptChunk::bucket_ms`]).
    pub transcripts: Vec<TranscriptChunk>,
    /// Committed note ops, by version.
    pub note_ops: Vec<CommittedOp>,
    /// The materialised document (written only if newer than D1's).
    pub notes: Option<NotesSnapshot>,
    /// Chat messages, by seq.
    pub messages: Vec<ChatMessage>,
    pub activity: Option<ActivityRow>,
    /// What to pass to `flush_done` once D1 has these rows.
    pub upto: FlushWatermarks,
}

/// One D1 statement: a registered SQL constant and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct D1Statement {
    /// The constant's name in `crate::sql`, for logs.
    pub name: &'static str,
    pub sql: &'static str,
    pub params: Vec<SqlValue>,
}

impl FlushBatch {
    pub fn is_empty(&self) -> bool {
        self.transcripts.is_empty()
            && self.note_ops.is_empty()
            && self.notes.is_none()
            && self.messages.is_empty()
            && self.activity.is_none()
    }

    pub fn row_count(&self) -> usize {
        self.transcripts.len()
            + self.note_ops.len()
            + self.messages.len()
            + usize::from(self.notes.is_some())
            + 2 * usize::from(self.activity.is_some())
    }

    /// The statements to run as one D1 `batch` (one transaction), in order.
    /// `now_ms` fills the `updated_at` columns.
    pub fn d1_statements(&self, now_ms: u64) -> Result<Vec<D1Statement>, StoreError> {
        let meeting = || SqlValue::text(self.meeting_id.as_str());
        let now = SqlValue::uint(now_ms, "now_ms")?;
        let mut out = Vec::with_capacity(self.row_count());
        for c in &self.transcripts {
            out.push(D1Statement {
                name: "TRANSCRIPT_INSERT",
                sql: transcripts::TRANSCRIPT_INSERT,
                params: vec![
                    meeting(),
                    SqlValue::uint(c.seq, "seq")?,
                    SqlValue::uint(c.bucket_ms(), "bucket_ms")?,
                    SqlValue::text(c.kind()),
                    SqlValue::text(c.source.d1_source()),
                    SqlValue::opt_text(c.speaker_id.as_deref()),
                    SqlValue::text(c.text.as_str()),
                    SqlValue::Real(c.confidence),
                    SqlValue::opt_text(c.language.as_deref()),
                    SqlValue::uint(c.start_ms, "start_ms")?,
                    SqlValue::uint(c.end_ms, "end_ms")?,
                    // The commit time, not the flush time: a retried row is identical.
                    SqlValue::uint(c.created_at_ms, "created_at")?,
                ],
            });
        }
        for op in &self.note_ops {
            out.push(D1Statement {
                name: "NOTE_OP_INSERT",
                sql: notes::NOTE_OP_INSERT,
                params: vec![
                    meeting(),
                    SqlValue::uint(op.version, "version")?,
                    SqlValue::uint(op.base_version, "base_version")?,
                    SqlValue::text(op.author_id.as_str()),
                    SqlValue::text(op.client_id.as_str()),
                    SqlValue::uint(op.client_seq, "client_seq")?,
                    SqlValue::text(op.op.kind().as_str()),
                    SqlValue::Text(op.op.to_string()),
                    // The author's own clock is not part of the protocol.
                    SqlValue::Null,
                    SqlValue::uint(op.committed_at_ms, "created_at")?,
                ],
            });
        }
        if let Some(doc) = &self.notes {
            out.push(D1Statement {
                name: "NOTES_UPSERT",
                sql: notes::NOTES_UPSERT,
                params: vec![
                    meeting(),
                    SqlValue::text(doc.content.as_str()),
                    SqlValue::uint(doc.version, "version")?,
                    SqlValue::opt_uint(doc.last_rebased_at, "last_rebased_at")?,
                    SqlValue::opt_text(doc.last_author_id.as_deref()),
                    now.clone(),
                ],
            });
        }
        for m in &self.messages {
            out.push(D1Statement {
                name: "MESSAGE_INSERT",
                sql: messages::MESSAGE_INSERT,
                params: vec![
                    meeting(),
                    SqlValue::uint(m.seq, "seq")?,
                    SqlValue::text(m.client_ref.as_str()),
                    SqlValue::text(m.user_id.as_str()),
                    SqlValue::text(m.text.as_str()),
                    SqlValue::Null,
                    SqlValue::uint(m.created_at_ms, "created_at")?,
                ],
            });
        }
        if let Some(a) = &self.activity {
            let speaking = serde_json::to_string(&a.speaking_ms)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push(D1Statement {
                name: "MEETING_STATE_UPSERT_ACTIVITY",
                sql: meeting_state::MEETING_STATE_UPSERT_ACTIVITY,
                params: vec![
                    meeting(),
                    SqlValue::bool(a.active),
                    SqlValue::opt_uint(a.started_at_ms, "started_at")?,
                    SqlValue::opt_uint(a.ended_at_ms, "ended_at")?,
                    SqlValue::Null,
                    SqlValue::uint(a.event_at_ms, "event_at")?,
                    now.clone(),
                ],
            });
            out.push(D1Statement {
                name: "MEETING_STATE_UPSERT_ENGAGEMENT",
                sql: meeting_state::MEETING_STATE_UPSERT_ENGAGEMENT,
                params: vec![
                    meeting(),
                    SqlValue::Text(speaking),
                    SqlValue::Null,
                    SqlValue::text("[]"),
                    now.clone(),
                ],
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ot::Op;
    use crate::room::transcript::TranscriptSource;

    fn batch() -> FlushBatch {
        FlushBatch {
            meeting_id: "m".into(),
            transcripts: vec![TranscriptChunk {
                seq: 1,
                speaker_id: None,
                text: "t".into(),
                confidence: 0.5,
                start_ms: 600_001,
                end_ms: 600_002,
                is_final: false,
                language: None,
                source: TranscriptSource::Participant,
                created_at_ms: 7,
            }],
            note_ops: vec![CommittedOp {
                version: 1,
                op: Op::insert_at(0, "x"),
                author_id: "u".into(),
                client_id: "c".into(),
                client_seq: 1,
                base_version: 0,
                transformed_over: 0,
                committed_at_ms: 8,
            }],
            notes: Some(NotesSnapshot::default()),
            messages: vec![],
            activity: Some(ActivityRow {
                active: true,
                started_at_ms: Some(1),
                ended_at_ms: None,
                event_at_ms: 1,
                last_activity_ms: None,
                speaking_ms: BTreeMap::new(),
            }),
            upto: FlushWatermarks::default(),
        }
    }

    #[test]
    fn one_registered_statement_per_row_with_its_natural_key() {
        let batch = batch();
        assert!(!batch.is_empty());
        let statements = batch.d1_statements(99).unwrap();
        let names: Vec<&str> = statements.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "TRANSCRIPT_INSERT",
                "NOTE_OP_INSERT",
                "NOTES_UPSERT",
                "MEETING_STATE_UPSERT_ACTIVITY",
                "MEETING_STATE_UPSERT_ENGAGEMENT"
            ]
        );
        assert_eq!(statements.len(), batch.row_count());
        let transcript = &statements[0].params;
        assert_eq!(transcript[2], SqlValue::Integer(600_000), "bucket_ms");
        assert_eq!(transcript[3], SqlValue::text("interim"));
        assert_eq!(transcript[4], SqlValue::text("client"));
        assert_eq!(
            transcript[11],
            SqlValue::Integer(7),
            "the commit time, not now"
        );
        assert_eq!(statements[1].params[6], SqlValue::text("insert"));
        assert_eq!(statements[1].params[7], SqlValue::text(r#"["x"]"#));
        for statement in &statements {
            let placeholders = (1..=100)
                .filter(|i| statement.sql.contains(&format!("?{i}")))
                .max()
                .unwrap_or(0);
            assert_eq!(placeholders, statement.params.len(), "{}", statement.name);
        }
    }

    #[test]
    fn out_of_range_values_are_refused_not_truncated() {
        let mut batch = batch();
        batch.transcripts[0].end_ms = u64::MAX;
        assert!(matches!(
            batch.d1_statements(0),
            Err(StoreError::OutOfRange("end_ms"))
        ));
    }
}
