//! [`RoomStore`] over any SQLite reachable through [`SqlExec`]: the
//! Durable Object's `ctx.storage.sql` in production, rusqlite in tests.

use std::collections::BTreeMap;

use crate::acl::{MeetingRole, MeetingState};
use crate::ot::{ClientClock, CommittedOp, Op};
use crate::room::chat::ChatMessage;
use crate::room::meta::{CallPresence, FlushWatermarks, RoomMeta};
use crate::room::prompts::{PromptEvent, RoomIntel};
use crate::room::transcript::{TranscriptChunk, TranscriptSource};

use super::queries as q;
use super::schema::{ROOM_SCHEMA, ROOM_SCHEMA_VERSION};
use super::sql_codec::{Cols, Row, SqlValue};
use super::{NotesHead, NotesSnapshot, RoomStore, StoreError};

/// The one thing a host must provide to run the room's SQL store.
///
/// In the Durable Object shell, `exec` is `ctx.storage.sql.exec(sql,
/// …params).raw()` with each value converted, and the default `atomically`
/// is right: a Durable Object commits every write made in one synchronous
/// stretch (no `await` in between) as one implicit transaction, and the
/// store never awaits. (DO SQL refuses `BEGIN`/`SAVEPOINT` statements, so
/// an explicit transaction is not even possible there without
/// `transactionSync`.) Hosts without that guarantee override `atomically`.
pub trait SqlExec {
    /// Runs one statement with positional parameters (`?1`, `?2`, …) and
    /// returns its rows, columns in `SELECT` (or `RETURNING`) order.
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;

    /// Runs `body` so that its writes land together or not at all.
    fn atomically(
        &self,
        body: &mut dyn FnMut() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        body()
    }
}

/// The room's store in SQLite. Create it with [`SqlRoomStore::open`].
#[derive(Debug, Clone)]
pub struct SqlRoomStore<E: SqlExec> {
    exec: E,
    /// The call presence this store last wrote: `save_meta` runs for every
    /// transcript chunk (the speaking stats), the call presence changes
    /// only with Stream's call events, so an unchanged one is not rewritten.
    call_presence_written: Written,
}

/// A value this store instance wrote. Forgotten by a clone, which may not
/// be the only writer afterwards (so it never skips a write wrongly).
#[derive(Debug, Default)]
struct Written(Option<String>);

impl Clone for Written {
    fn clone(&self) -> Self {
        Written::default()
    }
}

impl<E: SqlExec> SqlRoomStore<E> {
    /// Creates the schema if needed (every statement is `IF NOT EXISTS`).
    pub fn open(exec: E) -> Result<Self, StoreError> {
        for statement in ROOM_SCHEMA {
            exec.exec(statement, &[])?;
        }
        Ok(SqlRoomStore {
            exec,
            call_presence_written: Written::default(),
        })
    }

    pub fn executor(&self) -> &E {
        &self.exec
    }

    pub fn into_executor(self) -> E {
        self.exec
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.exec.exec(sql, params)
    }

    /// The single integer of a `SELECT max(…)`-style query (0 for NULL).
    fn scalar(&self, sql: &str) -> Result<u64, StoreError> {
        let rows = self.query(sql, &[])?;
        match rows.first() {
            Some(row) => Ok(Cols::new(row).opt_u64(0, "scalar")?.unwrap_or(0)),
            None => Ok(0),
        }
    }

    fn snapshot_row(&self) -> Result<Option<(NotesSnapshot, u64)>, StoreError> {
        let rows = self.query(q::NOTES_SNAPSHOT_GET, &[])?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let c = Cols::new(row);
        let snapshot = NotesSnapshot {
            content: c.text(0, "content")?,
            version: c.u64(1, "version")?,
            last_rebased_at: c.opt_u64(3, "last_rebased_at")?,
            last_author_id: c.opt_text(4, "last_author_id")?,
            updated_at: c.opt_u64(5, "updated_at")?,
        };
        Ok(Some((snapshot, c.u64(2, "log_base")?)))
    }

    fn notes_version(&self) -> Result<u64, StoreError> {
        let ops = self.scalar(q::NOTES_OPS_MAX)?;
        let snapshot = self.snapshot_row()?.map_or(0, |(s, _)| s.version);
        Ok(ops.max(snapshot))
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<SqlValue, StoreError> {
    serde_json::to_string(value)
        .map(SqlValue::Text)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn parse_state(s: &str) -> Result<MeetingState, StoreError> {
    crate::meeting::lifecycle::parse_state(s)
        .ok_or_else(|| StoreError::Corrupt(format!("meeting state {s:?}")))
}

fn op_from_row(row: &[SqlValue]) -> Result<CommittedOp, StoreError> {
    let c = Cols::new(row);
    let op_json = c.text(6, "op")?;
    Ok(CommittedOp {
        version: c.u64(0, "version")?,
        base_version: c.u64(1, "base_version")?,
        author_id: c.text(2, "author_id")?,
        client_id: c.text(3, "client_id")?,
        client_seq: c.u64(4, "client_seq")?,
        transformed_over: c.u64(5, "transformed_over")?,
        op: Op::from_json(&op_json).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        committed_at_ms: c.u64(7, "committed_at")?,
    })
}

fn chunk_from_row(row: &[SqlValue]) -> Result<TranscriptChunk, StoreError> {
    let c = Cols::new(row);
    let source = c.text(8, "source")?;
    Ok(TranscriptChunk {
        seq: c.u64(0, "seq")?,
        speaker_id: c.opt_text(1, "speaker_id")?,
        text: c.text(2, "text")?,
        confidence: c.f64(3, "confidence")?,
        start_ms: c.u64(4, "start_ms")?,
        end_ms: c.u64(5, "end_ms")?,
        is_final: c.bool(6, "is_final")?,
        language: c.opt_text(7, "language")?,
        source: TranscriptSource::parse(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("source {source:?}")))?,
        created_at_ms: c.u64(9, "created_at")?,
    })
}

fn chat_from_row(row: &[SqlValue]) -> Result<ChatMessage, StoreError> {
    let c = Cols::new(row);
    Ok(ChatMessage {
        seq: c.u64(0, "seq")?,
        user_id: c.text(1, "user_id")?,
        client_ref: c.text(2, "client_ref")?,
        text: c.text(3, "text")?,
        created_at_ms: c.u64(4, "created_at")?,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn conflict_unless_returned(rows: Vec<Row>, what: &str) -> Result<(), StoreError> {
    if rows.is_empty() {
        Err(StoreError::Conflict(format!(
            "{what} is not the next in sequence, or a duplicate"
        )))
    } else {
        Ok(())
    }
}

impl<E: SqlExec> RoomStore for SqlRoomStore<E> {
    fn load_meta(&self) -> Result<Option<RoomMeta>, StoreError> {
        let rows = self.query(q::META_GET, &[])?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let c = Cols::new(row);
        let speaking_ms: BTreeMap<String, u64> =
            from_json(&c.text(5, "speaking_ms")?, "speaking_ms")?;
        let members: BTreeMap<String, Option<MeetingRole>> =
            from_json(&c.text(6, "members")?, "members")?;
        let call_presence: BTreeMap<String, CallPresence> =
            from_json(&c.text(12, "call_presence")?, "call_presence")?;
        Ok(Some(RoomMeta {
            meeting_id: c.text(0, "meeting_id")?,
            state: parse_state(&c.text(1, "state")?)?,
            started_at_ms: c.opt_u64(2, "started_at")?,
            ended_at_ms: c.opt_u64(3, "ended_at")?,
            last_activity_ms: c.opt_u64(4, "last_activity_at")?,
            speaking_ms,
            members,
            call_presence,
            activity_rev: c.u64(7, "activity_rev")?,
            flushed: FlushWatermarks {
                transcript_seq: c.u64(8, "flushed_transcript_seq")?,
                notes_version: c.u64(9, "flushed_notes_version")?,
                chat_seq: c.u64(10, "flushed_chat_seq")?,
                activity_rev: c.u64(11, "flushed_activity_rev")?,
                // Kept with the in-call state (`load_intel`).
                prompt_seq: 0,
            },
        }))
    }

    fn save_meta(&mut self, meta: &RoomMeta) -> Result<(), StoreError> {
        let params = [
            SqlValue::uint(ROOM_SCHEMA_VERSION, "schema_version")?,
            SqlValue::text(meta.meeting_id.as_str()),
            SqlValue::text(meta.state.as_str()),
            SqlValue::opt_uint(meta.started_at_ms, "started_at")?,
            SqlValue::opt_uint(meta.ended_at_ms, "ended_at")?,
            SqlValue::opt_uint(meta.last_activity_ms, "last_activity_at")?,
            json(&meta.speaking_ms)?,
            json(&meta.members)?,
            SqlValue::uint(meta.activity_rev, "activity_rev")?,
            SqlValue::uint(meta.flushed.transcript_seq, "flushed_transcript_seq")?,
            SqlValue::uint(meta.flushed.notes_version, "flushed_notes_version")?,
            SqlValue::uint(meta.flushed.chat_seq, "flushed_chat_seq")?,
            SqlValue::uint(meta.flushed.activity_rev, "flushed_activity_rev")?,
        ];
        // speaking_ms values are checked too: they are JSON numbers inside text.
        if meta
            .speaking_ms
            .values()
            .any(|ms| *ms > crate::room::MAX_SAFE_INT)
        {
            return Err(StoreError::OutOfRange("speaking_ms"));
        }
        if meta
            .call_presence
            .values()
            .any(|c| c.at_ms > crate::room::MAX_SAFE_INT)
        {
            return Err(StoreError::OutOfRange("call_presence"));
        }
        let call_params = [json(&meta.call_presence)?];
        let unchanged = matches!(
            (&self.call_presence_written.0, &call_params[0]),
            (Some(old), SqlValue::Text(new)) if old == new
        );
        let exec = &self.exec;
        exec.atomically(&mut || {
            exec.exec(q::META_UPSERT, &params)?;
            if unchanged {
                return Ok(());
            }
            exec.exec(q::CALL_PRESENCE_UPSERT, &call_params).map(drop)
        })?;
        if let SqlValue::Text(new) = &call_params[0] {
            self.call_presence_written.0 = Some(new.clone());
        }
        Ok(())
    }

    fn notes_head(&self) -> Result<NotesHead, StoreError> {
        let (snapshot, log_base) = self.snapshot_row()?.unwrap_or_default();
        let ops_max = self.scalar(q::NOTES_OPS_MAX)?;
        let clients = self
            .query(q::NOTES_CLIENTS_ALL, &[])?
            .iter()
            .map(|row| {
                let c = Cols::new(row);
                Ok(ClientClock {
                    client_id: c.text(0, "client_id")?,
                    author_id: c.text(1, "author_id")?,
                    last_seq: c.u64(2, "last_seq")?,
                    last_version: c.u64(3, "last_version")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(NotesHead {
            version: ops_max.max(snapshot.version),
            snapshot,
            log_base,
            clients,
        })
    }

    fn append_note_op(&mut self, op: &CommittedOp) -> Result<(), StoreError> {
        let op_params = [
            SqlValue::uint(op.version, "version")?,
            SqlValue::uint(op.base_version, "base_version")?,
            SqlValue::text(op.author_id.as_str()),
            SqlValue::text(op.client_id.as_str()),
            SqlValue::uint(op.client_seq, "client_seq")?,
            SqlValue::uint(op.transformed_over, "transformed_over")?,
            json(&op.op)?,
            SqlValue::uint(op.committed_at_ms, "committed_at")?,
        ];
        let clock_params = [
            SqlValue::text(op.client_id.as_str()),
            SqlValue::text(op.author_id.as_str()),
            SqlValue::uint(op.client_seq, "client_seq")?,
            SqlValue::uint(op.version, "version")?,
        ];
        let exec = &self.exec;
        exec.atomically(&mut || {
            conflict_unless_returned(exec.exec(q::NOTES_OP_APPEND, &op_params)?, "note op")?;
            exec.exec(q::NOTES_CLIENT_UPSERT, &clock_params).map(drop)
        })
    }

    fn note_ops_since(&self, version: u64, limit: usize) -> Result<Vec<CommittedOp>, StoreError> {
        let params = [SqlValue::uint(version, "version")?, SqlValue::count(limit)];
        self.query(q::NOTES_OPS_SINCE, &params)?
            .iter()
            .map(|row| op_from_row(row))
            .collect()
    }

    fn save_notes_snapshot(&mut self, snapshot: &NotesSnapshot) -> Result<(), StoreError> {
        if snapshot.version > self.notes_version()? {
            return Err(StoreError::Conflict(format!(
                "snapshot version {} is ahead of the log",
                snapshot.version
            )));
        }
        let params = [
            SqlValue::text(snapshot.content.as_str()),
            SqlValue::uint(snapshot.version, "version")?,
            SqlValue::opt_uint(snapshot.last_rebased_at, "last_rebased_at")?,
            SqlValue::opt_text(snapshot.last_author_id.as_deref()),
            SqlValue::opt_uint(snapshot.updated_at, "updated_at")?,
        ];
        self.query(q::NOTES_SNAPSHOT_UPSERT, &params).map(drop)
    }

    fn compact_note_ops(&mut self, up_to_version: u64) -> Result<usize, StoreError> {
        let Some((snapshot, log_base)) = self.snapshot_row()? else {
            return Ok(0);
        };
        let target = up_to_version.min(snapshot.version);
        if target <= log_base {
            return Ok(0);
        }
        let param = [SqlValue::uint(target, "version")?];
        let exec = &self.exec;
        let mut dropped = 0;
        exec.atomically(&mut || {
            dropped = exec.exec(q::NOTES_OPS_DELETE_UPTO, &param)?.len();
            exec.exec(q::NOTES_SET_LOG_BASE, &param).map(drop)
        })?;
        Ok(dropped)
    }

    fn transcript_head(&self) -> Result<u64, StoreError> {
        self.scalar(q::TRANSCRIPT_MAX)
    }

    fn append_transcript(&mut self, chunk: &TranscriptChunk) -> Result<(), StoreError> {
        let params = [
            SqlValue::uint(chunk.seq, "seq")?,
            SqlValue::opt_text(chunk.speaker_id.as_deref()),
            SqlValue::text(chunk.text.as_str()),
            SqlValue::Real(chunk.confidence),
            SqlValue::uint(chunk.start_ms, "start_ms")?,
            SqlValue::uint(chunk.end_ms, "end_ms")?,
            SqlValue::bool(chunk.is_final),
            SqlValue::opt_text(chunk.language.as_deref()),
            SqlValue::text(chunk.source.as_str()),
            SqlValue::uint(chunk.created_at_ms, "created_at")?,
        ];
        conflict_unless_returned(
            self.query(q::TRANSCRIPT_APPEND, &params)?,
            "transcript chunk",
        )?;
        Ok(())
    }

    fn transcript_after(&self, seq: u64, limit: usize) -> Result<Vec<TranscriptChunk>, StoreError> {
        let params = [SqlValue::uint(seq, "seq")?, SqlValue::count(limit)];
        self.query(q::TRANSCRIPT_AFTER, &params)?
            .iter()
            .map(|row| chunk_from_row(row))
            .collect()
    }

    fn transcript_by_time(
        &self,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
    ) -> Result<Vec<TranscriptChunk>, StoreError> {
        let params = [
            SqlValue::uint(from_ms, "from_ms")?,
            SqlValue::uint(to_ms, "to_ms")?,
            SqlValue::count(limit),
        ];
        self.query(q::TRANSCRIPT_BY_TIME, &params)?
            .iter()
            .map(|row| chunk_from_row(row))
            .collect()
    }

    fn chat_head(&self) -> Result<u64, StoreError> {
        self.scalar(q::CHAT_MAX)
    }

    fn append_chat(&mut self, message: &ChatMessage) -> Result<(), StoreError> {
        let params = [
            SqlValue::uint(message.seq, "seq")?,
            SqlValue::text(message.user_id.as_str()),
            SqlValue::text(message.client_ref.as_str()),
            SqlValue::text(message.text.as_str()),
            SqlValue::uint(message.created_at_ms, "created_at")?,
        ];
        conflict_unless_returned(self.query(q::CHAT_APPEND, &params)?, "chat message")
    }

    fn chat_after(&self, seq: u64, limit: usize) -> Result<Vec<ChatMessage>, StoreError> {
        let params = [SqlValue::uint(seq, "seq")?, SqlValue::count(limit)];
        self.query(q::CHAT_AFTER, &params)?
            .iter()
            .map(|row| chat_from_row(row))
            .collect()
    }

    fn chat_by_client_ref(
        &self,
        user_id: &str,
        client_ref: &str,
    ) -> Result<Option<ChatMessage>, StoreError> {
        let params = [SqlValue::text(user_id), SqlValue::text(client_ref)];
        self.query(q::CHAT_BY_CLIENT_REF, &params)?
            .first()
            .map(|row| chat_from_row(row))
            .transpose()
    }

    fn nonce_insert(&mut self, nonce: &[u8; 16], expires_at_ms: u64) -> Result<bool, StoreError> {
        let params = [
            SqlValue::Text(hex(nonce)),
            SqlValue::uint(expires_at_ms, "expires_at")?,
        ];
        Ok(!self.query(q::NONCE_INSERT, &params)?.is_empty())
    }

    fn nonce_prune(&mut self, now_ms: u64) -> Result<usize, StoreError> {
        let params = [SqlValue::uint(now_ms, "now_ms")?];
        Ok(self.query(q::NONCE_PRUNE, &params)?.len())
    }

    fn nonce_next_expiry(&self) -> Result<Option<u64>, StoreError> {
        let rows = self.query(q::NONCE_NEXT_EXPIRY, &[])?;
        match rows.first() {
            Some(row) => Cols::new(row).opt_u64(0, "expires_at"),
            None => Ok(None),
        }
    }

    fn prompt_head(&self) -> Result<u64, StoreError> {
        self.scalar(q::PROMPTS_MAX)
    }

    fn append_prompt_event(&mut self, event: &PromptEvent) -> Result<(), StoreError> {
        let params = [
            SqlValue::uint(event.seq, "seq")?,
            json(event)?,
            SqlValue::uint(event.at_ms, "at_ms")?,
        ];
        conflict_unless_returned(self.query(q::PROMPTS_APPEND, &params)?, "prompt event")
    }

    fn prompt_events_after(&self, seq: u64, limit: usize) -> Result<Vec<PromptEvent>, StoreError> {
        let params = [SqlValue::uint(seq, "seq")?, SqlValue::count(limit)];
        self.query(q::PROMPTS_AFTER, &params)?
            .iter()
            .map(|row| from_json(&Cols::new(row).text(0, "body")?, "prompt event"))
            .collect()
    }

    fn load_intel(&self) -> Result<Option<RoomIntel>, StoreError> {
        self.query(q::INTEL_GET, &[])?
            .first()
            .map(|row| from_json(&Cols::new(row).text(0, "state")?, "intel"))
            .transpose()
    }

    fn save_intel(&mut self, intel: &RoomIntel) -> Result<(), StoreError> {
        self.query(q::INTEL_UPSERT, &[json(intel)?]).map(drop)
    }
}
