//! Live transcript chunks: what a participant (or the Stream captions
//! webhook) submits, the rules a chunk must meet, and the chunk as the room
//! sequences, stores, sends and flushes it.
//!
//! Chunks are append-only. The room gives each one the next per-meeting
//! `seq` (from 1); that seq is the resume cursor on the wire and the
//! idempotency key of the D1 row. Times are unix milliseconds, so the D1
//! time bucket (`bucket_ms`, see [`crate::sql::transcripts::BUCKET_MS`]) is
//! a real 5-minute window.

use serde::{Deserialize, Serialize};

use super::config::RoomConfig;
use super::error::RoomError;
use super::MAX_SAFE_INT;
use crate::sql::transcripts::BUCKET_MS;

/// Where a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TranscriptSource {
    /// Sent by a participant's client over the socket.
    Participant,
    /// Closed captions forwarded from the Stream webhook.
    Stream,
}

impl TranscriptSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptSource::Participant => "participant",
            TranscriptSource::Stream => "stream",
        }
    }

    /// The value of D1's `transcripts.source` column, which predates the
    /// wire name and calls participant chunks `'client'`.
    pub fn d1_source(self) -> &'static str {
        match self {
            TranscriptSource::Participant => "client",
            TranscriptSource::Stream => "stream",
        }
    }

    pub fn parse(s: &str) -> Option<TranscriptSource> {
        match s {
            "participant" | "client" => Some(TranscriptSource::Participant),
            "stream" => Some(TranscriptSource::Stream),
            _ => None,
        }
    }
}

/// A chunk as submitted: the `chunk` of a `transcript.append` frame, or
/// what the shell builds from a Stream caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TranscriptInput {
    /// A user id, or a provisional label for captions. Participants may
    /// only name themselves (or leave it out).
    #[serde(default)]
    pub speaker_id: Option<String>,
    pub text: String,
    /// The recogniser's confidence, 0 to 1.
    pub confidence: f64,
    pub start_ms: u64,
    pub end_ms: u64,
    /// `true` for a final result, `false` for an interim one that a later
    /// chunk will supersede.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// A BCP 47 tag such as `en-US`.
    #[serde(default)]
    pub language: Option<String>,
}

/// A [`TranscriptInput`] that met every rule: the only kind the room appends.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedChunk(TranscriptInput);

impl CheckedChunk {
    pub fn input(&self) -> &TranscriptInput {
        &self.0
    }

    /// Attributes the chunk to `speaker` (a participant's own user id).
    pub(crate) fn spoken_by(mut self, speaker: String) -> CheckedChunk {
        self.0.speaker_id = Some(speaker);
        self
    }
}

impl TranscriptInput {
    /// Applies the chunk rules (see `docs/protocol.md`, `transcript.append`).
    pub fn check(self, config: &RoomConfig) -> Result<CheckedChunk, RoomError> {
        let invalid = |field, reason| Err(RoomError::InvalidField { field, reason });
        if self.text.trim().is_empty() {
            return invalid("chunk.text", "must not be blank");
        }
        if self.text.chars().count() > config.transcript_max_chars {
            return invalid("chunk.text", "too long");
        }
        if self.text.contains('\0') {
            return invalid("chunk.text", "must not contain NUL");
        }
        if !self.confidence.is_finite() || !(0.0..=1.0).contains(&self.confidence) {
            return invalid("chunk.confidence", "must be between 0 and 1");
        }
        if self.end_ms < self.start_ms {
            return invalid("chunk.end_ms", "must not be before start_ms");
        }
        if self.end_ms > MAX_SAFE_INT {
            return invalid("chunk.end_ms", "too large");
        }
        if self.end_ms - self.start_ms > config.transcript_max_span_ms {
            return invalid("chunk.end_ms", "chunk spans too long");
        }
        if let Some(speaker) = &self.speaker_id {
            let ok = !speaker.trim().is_empty()
                && speaker.len() <= 255
                && !speaker.chars().any(char::is_control);
            if !ok {
                return invalid("chunk.speaker_id", "1 to 255 bytes, no control characters");
            }
        }
        if let Some(language) = &self.language {
            let ok = !language.is_empty()
                && language.len() <= 35
                && language
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return invalid("chunk.language", "a BCP 47 tag");
            }
        }
        Ok(CheckedChunk(self))
    }
}

/// A sequenced chunk: what is stored, sent and flushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TranscriptChunk {
    pub seq: u64,
    pub speaker_id: Option<String>,
    pub text: String,
    pub confidence: f64,
    pub start_ms: u64,
    pub end_ms: u64,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub language: Option<String>,
    pub source: TranscriptSource,
    /// When the room committed it.
    pub created_at_ms: u64,
}

impl TranscriptChunk {
    pub(crate) fn new(
        seq: u64,
        chunk: CheckedChunk,
        source: TranscriptSource,
        now_ms: u64,
    ) -> Self {
        let input = chunk.0;
        TranscriptChunk {
            seq,
            speaker_id: input.speaker_id,
            text: input.text,
            confidence: input.confidence,
            start_ms: input.start_ms,
            end_ms: input.end_ms,
            is_final: input.is_final,
            language: input.language,
            source,
            created_at_ms: now_ms,
        }
    }

    /// The D1 partition: the start of the 5-minute window the chunk starts in.
    pub fn bucket_ms(&self) -> u64 {
        bucket_of(self.start_ms)
    }

    /// D1's `transcripts.kind`.
    pub fn kind(&self) -> &'static str {
        if self.is_final {
            "final"
        } else {
            "interim"
        }
    }

    /// How long the speaker spoke, for the speaking stats (final chunks only).
    pub fn spoken_ms(&self) -> u64 {
        if self.is_final {
            self.end_ms.saturating_sub(self.start_ms)
        } else {
            0
        }
    }
}

/// The bucket a time falls in.
pub fn bucket_of(ms: u64) -> u64 {
    let width = BUCKET_MS.unsigned_abs();
    ms - ms % width
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TranscriptInput {
        TranscriptInput {
            speaker_id: None,
            text: "hello".into(),
            confidence: 0.9,
            start_ms: 1_700_000_123_456,
            end_ms: 1_700_000_124_000,
            is_final: true,
            language: Some("en-US".into()),
        }
    }

    #[test]
    fn good_chunks_pass_and_bucket_into_five_minutes() {
        let checked = input().check(&RoomConfig::default()).unwrap();
        let chunk = TranscriptChunk::new(7, checked, TranscriptSource::Stream, 5);
        assert_eq!(chunk.bucket_ms() % 300_000, 0);
        assert!(chunk.start_ms - chunk.bucket_ms() < 300_000);
        assert_eq!(chunk.kind(), "final");
        assert_eq!(chunk.spoken_ms(), 544);
        assert_eq!(chunk.source.d1_source(), "stream");
        assert_eq!(TranscriptSource::Participant.d1_source(), "client");
        let json = serde_json::to_value(&chunk).unwrap();
        assert_eq!(json["final"], true);
        assert_eq!(json["source"], "stream");
        assert_eq!(bucket_of(299_999), 0);
        assert_eq!(bucket_of(300_000), 300_000);
    }

    #[test]
    fn bad_fields_are_named() {
        let config = RoomConfig {
            transcript_max_chars: 5,
            transcript_max_span_ms: 1000,
            ..RoomConfig::default()
        };
        let cases: Vec<(TranscriptInput, &str)> = vec![
            (
                TranscriptInput {
                    text: "  ".into(),
                    ..input()
                },
                "chunk.text",
            ),
            (
                TranscriptInput {
                    text: "toolong".into(),
                    ..input()
                },
                "chunk.text",
            ),
            (
                TranscriptInput {
                    text: "a\0".into(),
                    ..input()
                },
                "chunk.text",
            ),
            (
                TranscriptInput {
                    confidence: 1.5,
                    ..input()
                },
                "chunk.confidence",
            ),
            (
                TranscriptInput {
                    confidence: f64::NAN,
                    ..input()
                },
                "chunk.confidence",
            ),
            (
                TranscriptInput {
                    confidence: -0.1,
                    ..input()
                },
                "chunk.confidence",
            ),
            (
                TranscriptInput {
                    end_ms: 1,
                    start_ms: 2,
                    ..input()
                },
                "chunk.end_ms",
            ),
            (
                TranscriptInput {
                    start_ms: 0,
                    end_ms: 2000,
                    ..input()
                },
                "chunk.end_ms",
            ),
            (
                TranscriptInput {
                    start_ms: 0,
                    end_ms: u64::MAX,
                    ..input()
                },
                "chunk.end_ms",
            ),
            (
                TranscriptInput {
                    speaker_id: Some("".into()),
                    ..input()
                },
                "chunk.speaker_id",
            ),
            (
                TranscriptInput {
                    speaker_id: Some("a\nb".into()),
                    ..input()
                },
                "chunk.speaker_id",
            ),
            (
                TranscriptInput {
                    language: Some("en US".into()),
                    ..input()
                },
                "chunk.language",
            ),
        ];
        for (bad, field) in cases {
            match bad.clone().check(&config) {
                Err(RoomError::InvalidField { field: f, .. }) => assert_eq!(f, field, "{bad:?}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }
}
