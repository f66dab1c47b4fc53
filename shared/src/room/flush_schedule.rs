//! When and what to flush to D1. A flush is due `flush_interval_ms` after
//! the first unflushed write (later writes do not push it back: a debounce
//! with a maximum wait), at once when a kind of row reaches
//! `flush_max_rows`, and at once when the meeting ends. One flush is out at
//! a time; one unanswered for `flush_retry_ms` is emitted again, which is
//! safe because every row is idempotent.

use super::core::RoomCore;
use super::error::RoomError;
use super::flush_batch::{ActivityRow, FlushBatch, PromptReactionRow};
use super::meta::FlushWatermarks;
use super::output::Output;
use super::prompts::PromptEventBody;
use super::store::RoomStore;

use crate::acl::MeetingState;

/// The longest a flush waits to save the in-call detectors' state.
const INTEL_SAVE_EVERY_MS: u64 = 30_000;

impl<S: RoomStore> RoomCore<S> {
    /// The newest position of everything a flush writes.
    fn heads_as_watermarks(&self) -> FlushWatermarks {
        FlushWatermarks {
            transcript_seq: self.transcript_head,
            notes_version: self.notes.version(),
            chat_seq: self.chat_head,
            activity_rev: self.meta.activity_rev,
            prompt_seq: self.prompt_head,
        }
    }

    /// Whether D1 is missing anything.
    pub fn has_unflushed(&self) -> bool {
        self.heads_as_watermarks() != self.meta.flushed
    }

    pub(super) fn schedule_flush(&mut self, now_ms: u64) {
        if let Some(until) = self.flush.in_flight_until {
            if now_ms < until {
                return;
            }
            // Unanswered: send it again (idempotent).
            self.flush.in_flight_until = None;
            self.flush.due_at = Some(now_ms);
        }
        if !self.has_unflushed() {
            self.flush.due_at = None;
            return;
        }
        let max = u64::try_from(self.config.flush_max_rows).unwrap_or(u64::MAX);
        let flushed = self.meta.flushed;
        let full = self.transcript_head.saturating_sub(flushed.transcript_seq) >= max
            || self.chat_head.saturating_sub(flushed.chat_seq) >= max
            || self.notes.version().saturating_sub(flushed.notes_version) >= max;
        let due = *self
            .flush
            .due_at
            .get_or_insert(now_ms.saturating_add(self.config.flush_interval_ms));
        if full || due <= now_ms {
            self.emit_flush(now_ms);
        }
    }

    fn emit_flush(&mut self, now_ms: u64) {
        match self.build_flush(now_ms) {
            Ok(batch) if batch.is_empty() => {
                // Only an activity change for a meeting that never started.
                self.meta.flushed = self.meta.flushed.max(batch.upto);
                self.flush.due_at = None;
            }
            Ok(batch) => {
                self.outbox.push(Output::Flush(batch));
                self.flush.in_flight_until =
                    Some(now_ms.saturating_add(self.config.flush_retry_ms));
                self.flush.due_at = None;
            }
            Err(_) => {
                self.flush.due_at = Some(now_ms.saturating_add(self.config.flush_retry_ms));
            }
        }
    }

    /// The rows after the stored watermarks, at most `flush_max_rows` of each kind.
    pub(super) fn build_flush(&self, now_ms: u64) -> Result<FlushBatch, RoomError> {
        let from = self.meta.flushed;
        let max = self.config.flush_max_rows.max(1);
        let transcripts = if self.transcript_head > from.transcript_seq {
            self.store.transcript_after(from.transcript_seq, max)?
        } else {
            Vec::new()
        };
        let version = self.notes.version();
        let (note_ops, notes, notes_upto) = if version > from.notes_version {
            let ops = self.store.note_ops_since(from.notes_version, max)?;
            // Fewer than asked for means all of them: the snapshot covers
            // the rest (ops are only compacted once flushed).
            let upto = if ops.len() < max {
                version
            } else {
                ops.last().map_or(from.notes_version, |op| op.version)
            };
            (ops, Some(self.notes_snapshot()), upto)
        } else {
            (Vec::new(), None, from.notes_version)
        };
        let messages = if self.chat_head > from.chat_seq {
            self.store.chat_after(from.chat_seq, max)?
        } else {
            Vec::new()
        };
        let prompt_events = if self.prompt_head > from.prompt_seq {
            self.store.prompt_events_after(from.prompt_seq, max)?
        } else {
            Vec::new()
        };
        let reactions: Vec<PromptReactionRow> = prompt_events
            .iter()
            .filter_map(|e| match &e.body {
                PromptEventBody::Reaction(r) => Some(PromptReactionRow {
                    prompt_id: r.prompt_id.clone(),
                    user_id: r.user_id.clone(),
                    reaction: r.reaction,
                    at_ms: e.at_ms,
                }),
                PromptEventBody::Prompt(_) => None,
            })
            .collect();
        let meta = &self.meta;
        let started = meta.started_at_ms.is_some() || meta.state != MeetingState::Scheduled;
        let anything = !transcripts.is_empty()
            || !note_ops.is_empty()
            || !messages.is_empty()
            || !prompt_events.is_empty();
        let activity =
            (started && (anything || meta.activity_rev > from.activity_rev)).then(|| ActivityRow {
                active: meta.state == MeetingState::Active,
                started_at_ms: meta.started_at_ms,
                ended_at_ms: meta.ended_at_ms,
                event_at_ms: meta.ended_at_ms.or(meta.started_at_ms).unwrap_or(0),
                last_activity_ms: meta.last_activity_ms,
                speaking_ms: meta.speaking_ms.clone(),
                engagement: self.meeting_state_columns(now_ms),
            });
        let upto = FlushWatermarks {
            transcript_seq: transcripts.last().map_or(from.transcript_seq, |c| c.seq),
            notes_version: notes_upto,
            chat_seq: messages.last().map_or(from.chat_seq, |m| m.seq),
            activity_rev: meta.activity_rev,
            prompt_seq: prompt_events.last().map_or(from.prompt_seq, |e| e.seq),
        };
        Ok(FlushBatch {
            meeting_id: meta.meeting_id.clone(),
            transcripts,
            note_ops,
            notes,
            messages,
            activity,
            reactions,
            upto,
        })
    }

    /// D1 has the rows of the flush that reported `upto`. Moves the
    /// watermarks (never backwards, never past what exists), compacts the
    /// stored notes log, and schedules the next flush if more is waiting.
    pub fn flush_done(&mut self, now_ms: u64, upto: FlushWatermarks) -> Result<(), RoomError> {
        self.flush.in_flight_until = None;
        let before = self.meta.flushed;
        self.meta.flushed = before.max(upto.min(self.heads_as_watermarks()));
        let saved = if self.meta.flushed == before {
            Ok(())
        } else {
            self.store.save_meta(&self.meta)
        };
        // The in-call state goes with a flush: at once when its prompts
        // watermark moved, else at most every INTEL_SAVE_EVERY_MS (the
        // detectors' JSON is the costly part; chunks after the save are
        // observed again on load, so nothing is lost by waiting).
        let moved = self.intel.flushed_prompt_seq != self.meta.flushed.prompt_seq;
        self.intel.flushed_prompt_seq = self.meta.flushed.prompt_seq;
        let stale = self
            .intel_saved_at
            .is_none_or(|at| now_ms.saturating_sub(at) >= INTEL_SAVE_EVERY_MS);
        if moved || stale {
            self.save_intel();
            self.intel_saved_at = Some(now_ms);
        }
        // Compaction is housekeeping: if it fails it runs after the next flush.
        let _ = self.compact_stored_notes();
        if self.has_unflushed() {
            self.flush.due_at = Some(now_ms);
        }
        self.after_input(now_ms);
        saved.map_err(RoomError::from)
    }

    /// The flush failed (D1 unreachable or refused): retry after `flush_retry_ms`.
    pub fn flush_failed(&mut self, now_ms: u64) {
        self.flush.in_flight_until = None;
        self.flush.due_at = Some(now_ms.saturating_add(self.config.flush_retry_ms));
        self.after_input(now_ms);
    }
}
