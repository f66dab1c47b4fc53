//! Flushing the room's live copy to D1: the batch of rows the room hands
//! the shell, and the registry statements (typed, `crate::sql`) that
//! write them.
//!
//! Every row carries its natural key — `(meeting_id, seq)` for transcript
//! chunks and chat messages, `(meeting_id, version)` for note ops, and a
//! version or event-time guard for the `meeting_notes` and `meeting_state`
//! upserts — so writing the same batch twice (a retry after a timeout, or a
//! re-flush after the object was evicted before `flush_done`) writes
//! nothing twice.

use std::collections::BTreeMap;

use crate::intelligence::feedback::Reaction;
use crate::intelligence::live::MeetingStateColumns;
use crate::ot::CommittedOp;
use crate::sql::{meeting_state, messages, notes, prompts, transcripts, Statement};

use super::chat::ChatMessage;
use super::meta::FlushWatermarks;
use super::store::{NotesSnapshot, SqlValue, StoreError};
use super::transcript::TranscriptChunk;

/// The meeting's lifecycle and engagement, for the `meeting_state` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    pub active: bool,
    pub started_at_ms: Option<u64>,
    pub ended_at_ms: Option<u64>,
    /// The event time guarding the upsert: the last lifecycle change.
    pub event_at_ms: u64,
    pub last_activity_ms: Option<u64>,
    pub speaking_ms: BTreeMap<String, u64>,
    /// The in-call detectors' columns (`speaking_stats`, `lull_state`,
    /// `topics`), once the meeting started; without them `speaking_stats`
    /// is the speaking time per speaker.
    pub engagement: Option<MeetingStateColumns>,
}

/// A participant's reaction to a prompt (I10), for `prompt_feedback` and
/// the prompt's shared state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptReactionRow {
    pub prompt_id: String,
    pub user_id: String,
    pub reaction: Reaction,
    /// When the room took it: the row's time (a retried row is identical).
    pub at_ms: u64,
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
    /// Reactions on the prompts stream, in seq order.
    pub reactions: Vec<PromptReactionRow>,
    /// What to pass to `flush_done` once D1 has these rows.
    pub upto: FlushWatermarks,
}

/// A non-negative integer for D1, checked against 2^53 − 1 (JavaScript
/// numbers carry the value to D1): refused, never truncated.
fn safe(value: u64, what: &'static str) -> Result<i64, StoreError> {
    match SqlValue::uint(value, what)? {
        SqlValue::Integer(i) => Ok(i),
        _ => Err(StoreError::OutOfRange(what)),
    }
}

fn opt_safe(value: Option<u64>, what: &'static str) -> Result<Option<i64>, StoreError> {
    value.map(|v| safe(v, what)).transpose()
}

impl FlushBatch {
    pub fn is_empty(&self) -> bool {
        self.transcripts.is_empty()
            && self.note_ops.is_empty()
            && self.notes.is_none()
            && self.messages.is_empty()
            && self.activity.is_none()
            && self.reactions.is_empty()
    }

    pub fn row_count(&self) -> usize {
        self.transcripts.len()
            + self.note_ops.len()
            + self.messages.len()
            + usize::from(self.notes.is_some())
            + 2 * usize::from(self.activity.is_some())
            + 2 * self.reactions.len()
    }

    /// The statements to run as one D1 `batch` (one transaction), in order.
    /// `now_ms` fills the `updated_at` columns.
    pub fn statements(&self, now_ms: u64) -> Result<Vec<Statement>, StoreError> {
        let meeting_id = self.meeting_id.as_str();
        let now_ms = safe(now_ms, "now_ms")?;
        let mut out = Vec::with_capacity(self.row_count());
        for c in &self.transcripts {
            out.push(
                transcripts::TranscriptInsert {
                    meeting_id,
                    seq: safe(c.seq, "seq")?,
                    bucket_ms: safe(c.bucket_ms(), "bucket_ms")?,
                    kind: c.kind(),
                    source: c.source.d1_source(),
                    speaker_id: c.speaker_id.as_deref(),
                    text: &c.text,
                    confidence: Some(c.confidence),
                    language: c.language.as_deref(),
                    start_ms: safe(c.start_ms, "start_ms")?,
                    end_ms: safe(c.end_ms, "end_ms")?,
                    // The commit time, not the flush time: a retried row is identical.
                    now_ms: safe(c.created_at_ms, "created_at")?,
                }
                .statement(),
            );
        }
        for op in &self.note_ops {
            let text = op.op.to_string();
            out.push(
                notes::NoteOpInsert {
                    meeting_id,
                    version: safe(op.version, "version")?,
                    base_version: safe(op.base_version, "base_version")?,
                    author_id: &op.author_id,
                    client_id: &op.client_id,
                    client_seq: safe(op.client_seq, "client_seq")?,
                    op_kind: op.op.kind().as_str(),
                    op: &text,
                    // The author's own clock is not part of the protocol.
                    authored_at: None,
                    now_ms: safe(op.committed_at_ms, "created_at")?,
                }
                .statement(),
            );
        }
        if let Some(doc) = &self.notes {
            out.push(
                notes::NotesUpsert {
                    meeting_id,
                    content: &doc.content,
                    version: safe(doc.version, "version")?,
                    last_rebased_at: opt_safe(doc.last_rebased_at, "last_rebased_at")?,
                    last_author_id: doc.last_author_id.as_deref(),
                    now_ms,
                }
                .statement(),
            );
        }
        for m in &self.messages {
            out.push(
                messages::MessageInsert {
                    meeting_id,
                    seq: safe(m.seq, "seq")?,
                    id: &m.client_ref,
                    user_id: &m.user_id,
                    content: &m.text,
                    attachments: None,
                    created_at_ms: safe(m.created_at_ms, "created_at")?,
                }
                .statement(),
            );
        }
        if let Some(a) = &self.activity {
            let encode = |v: &serde_json::Value| {
                serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
            };
            let (speaking, lull_state, topics) = match &a.engagement {
                Some(cols) => (
                    encode(&cols.speaking_stats)?,
                    Some(encode(&cols.lull_state)?),
                    encode(&cols.topics)?,
                ),
                None => (
                    serde_json::to_string(&a.speaking_ms)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    None,
                    "[]".to_owned(),
                ),
            };
            out.push(
                meeting_state::MeetingStateUpsertActivity {
                    meeting_id,
                    active: a.active,
                    started_at: opt_safe(a.started_at_ms, "started_at")?,
                    ended_at: opt_safe(a.ended_at_ms, "ended_at")?,
                    stream_session_id: None,
                    event_time_ms: safe(a.event_at_ms, "event_at")?,
                    now_ms,
                }
                .statement(),
            );
            out.push(
                meeting_state::MeetingStateUpsertEngagement {
                    meeting_id,
                    speaking_stats: &speaking,
                    lull_state: lull_state.as_deref(),
                    topics: &topics,
                    now_ms,
                }
                .statement(),
            );
        }
        for r in &self.reactions {
            let at = safe(r.at_ms, "reaction at")?;
            let feedback = Some(r.reaction.as_str());
            out.push(
                prompts::PromptFeedbackUpsert {
                    prompt_id: &r.prompt_id,
                    user_id: &r.user_id,
                    feedback,
                    now_ms: at,
                }
                .statement(),
            );
            out.push(
                prompts::PromptSetFeedback {
                    id: &r.prompt_id,
                    feedback,
                    now_ms: at,
                }
                .statement(),
            );
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
                engagement: None,
            }),
            reactions: vec![PromptReactionRow {
                prompt_id: "prm_1".into(),
                user_id: "u".into(),
                reaction: Reaction::Used,
                at_ms: 9,
            }],
            upto: FlushWatermarks::default(),
        }
    }

    #[test]
    fn one_registered_statement_per_row_with_its_natural_key() {
        let batch = batch();
        assert!(!batch.is_empty());
        let statements = batch.statements(99).unwrap();
        let names: Vec<&str> = statements.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "TRANSCRIPT_INSERT",
                "NOTE_OP_INSERT",
                "NOTES_UPSERT",
                "MEETING_STATE_UPSERT_ACTIVITY",
                "MEETING_STATE_UPSERT_ENGAGEMENT",
                "PROMPT_FEEDBACK_UPSERT",
                "PROMPT_SET_FEEDBACK"
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
            batch.statements(0),
            Err(StoreError::OutOfRange("end_ms"))
        ));
    }
}
