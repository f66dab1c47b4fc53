//! In-call prompts in the room (docs/intelligence.md "The room's pipeline",
//! rule I25; docs/protocol.md R23–R26): the meeting's [`LiveDetectors`] fed
//! every final transcript chunk in order, polled after each chunk and when
//! its wake-up comes; a detection that passes the gate becomes a
//! `generate_incall` job ([`Output::Job`]); the generated prompt comes back
//! as a notice ([`RoomCore::deliver_prompt`]) and goes out on the `prompts`
//! stream, sequenced and resumable like chat; participants' reactions
//! (`prompts.react`, rule I10) go on the same stream and to D1 with the
//! next flush, and feed the relevance weights of the next generation
//! (I11–I12).
//!
//! What survives hibernation is [`RoomIntel`] (saved after every prompt,
//! reaction, queued generation and flag change, and with a flush at most
//! every 30 s otherwise) plus
//! the stream's events themselves. Chunks committed after the last save are
//! folded in again on load (`observed_seq`), so the detectors never miss
//! one and never see one twice.
//!
//! **Overloaded** (requirement 15.4, I9) means: some connection is being
//! paced because its queue is full, or more than
//! `RoomConfig::prompt_overload_frames` frames wait in the room's outbox.
//! A detection then is shed before anything else and counted
//! ([`RoomCore::prompt_counters`], `meeting_state.lull_state.gate.shed`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::acl::{Action, Denial, MeetingState};
use crate::intelligence::feedback::{
    FeedbackLedger, Reaction, ReactionEvent, RelevanceWeights, Tally,
};
use crate::intelligence::gate::GateCounters;
use crate::intelligence::generator::{
    IdeaKind, TranscriptLine, MAX_CONTENT_CHARS, MAX_TAGS, MAX_TAG_CHARS,
};
use crate::intelligence::live::{Detection, LiveDetectors, MeetingStateColumns, PollOutcome};
use crate::intelligence::Utterance;
use crate::jobs::incall::IncallRequest;
use crate::jobs::{Job, JobMessage};
use crate::room_internal::PromptNotice;

use super::core::RoomCore;
use super::error::RoomError;
use super::identity::{is_token, SessionId};
use super::output::Output;
use super::store::RoomStore;
use super::stream::Stream;
use super::transcript::TranscriptChunk;

/// The most prompts one meeting streams; later notices are refused.
pub const MAX_PROMPTS_PER_MEETING: usize = 500;
/// How many of the latest prompts a generation is told not to repeat.
const SHOWN_IN_REQUEST: usize = 20;
/// The longest transcript line a generation request carries.
const LINE_MAX_CHARS: usize = 500;

/// A prompt the room has streamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownPrompt {
    pub prompt_id: String,
    /// Its seq on the prompts stream.
    pub seq: u64,
    pub content: String,
    pub tags: Vec<String>,
}

fn on() -> bool {
    true
}

/// The room's in-call state that survives hibernation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomIntel {
    /// `intelligence.incall` as last pushed (`POST /internal/flags`); on
    /// until told otherwise (the flag's default). Off: no polls, no jobs.
    #[serde(default = "on")]
    pub incall_enabled: bool,
    /// Created when the meeting goes active.
    #[serde(default)]
    pub live: Option<LiveDetectors>,
    /// The last transcript seq folded into `live`.
    #[serde(default)]
    pub observed_seq: u64,
    #[serde(default)]
    pub ledger: FeedbackLedger,
    /// Every prompt streamed, oldest first.
    #[serde(default)]
    pub prompts: Vec<KnownPrompt>,
    /// Generations queued so far: the next job's `detection`.
    #[serde(default)]
    pub detections: u64,
    /// The prompts stream's flush watermark.
    #[serde(default)]
    pub flushed_prompt_seq: u64,
}

impl Default for RoomIntel {
    fn default() -> Self {
        RoomIntel {
            incall_enabled: true,
            live: None,
            observed_seq: 0,
            ledger: FeedbackLedger::new(),
            prompts: Vec::new(),
            detections: 0,
            flushed_prompt_seq: 0,
        }
    }
}

/// A prompt as streamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LivePrompt {
    pub prompt_id: String,
    pub idea_kind: IdeaKind,
    pub content: String,
    pub tags: Vec<String>,
    pub relevance: f64,
    /// `lull` or `topic_shift`.
    pub trigger: String,
    /// `ai`, `heuristic` or `fallback`.
    pub source: String,
}

/// A reaction as streamed (and flushed to `prompt_feedback`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PromptReaction {
    pub prompt_id: String,
    pub user_id: String,
    pub reaction: Reaction,
    /// The user's reaction it replaced.
    #[serde(default)]
    pub previous: Option<Reaction>,
    /// Everyone's current reactions to the prompt.
    pub tally: Tally,
    /// Where the meeting stood when it was given: the newest transcript
    /// seq and notes version. For `used`, this is the link from the prompt
    /// into the transcript and the notes (docs/intelligence.md).
    pub transcript_seq: u64,
    pub notes_version: u64,
}

/// What a prompts-stream item carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum PromptEventBody {
    Prompt(LivePrompt),
    Reaction(PromptReaction),
}

/// One item of the prompts stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PromptEvent {
    pub seq: u64,
    /// When the room committed it.
    pub at_ms: u64,
    #[serde(flatten)]
    pub body: PromptEventBody,
}

fn invalid(field: &'static str, reason: &'static str) -> RoomError {
    RoomError::InvalidField { field, reason }
}

/// Checks a prompt notice and turns it into the streamed prompt.
fn checked_prompt(n: PromptNotice) -> Result<LivePrompt, RoomError> {
    if !is_token(&n.prompt_id, 64) {
        return Err(invalid("prompt_id", "1 to 64 printable ASCII characters"));
    }
    let idea_kind: IdeaKind = serde_json::from_value(serde_json::Value::String(n.kind))
        .map_err(|_| invalid("kind", "agenda, question or starter"))?;
    let chars = n.content.trim().chars().count();
    if chars == 0 || chars > MAX_CONTENT_CHARS {
        return Err(invalid("content", "1 to 500 characters"));
    }
    let tags_ok = n.tags.len() <= MAX_TAGS
        && n.tags
            .iter()
            .all(|t| !t.trim().is_empty() && t.chars().count() <= MAX_TAG_CHARS);
    if !tags_ok {
        return Err(invalid("tags", "at most 8 tags of 1 to 64 characters"));
    }
    if !(0.0..=1.0).contains(&n.relevance) {
        return Err(invalid("relevance", "between 0 and 1"));
    }
    if !matches!(n.trigger.as_str(), "lull" | "topic_shift") {
        return Err(invalid("trigger", "lull or topic_shift"));
    }
    if !matches!(
        n.source.as_str(),
        "ai" | "heuristic" | "fallback" | "promoted"
    ) {
        return Err(invalid("source", "ai, heuristic, fallback or promoted"));
    }
    Ok(LivePrompt {
        prompt_id: n.prompt_id,
        idea_kind,
        content: n.content,
        tags: n.tags,
        relevance: n.relevance,
        trigger: n.trigger,
        source: n.source,
    })
}

impl<S: RoomStore> RoomCore<S> {
    /// The prompt gate's counters: prompts allowed, detections rate-limited
    /// and detections shed under overload.
    pub fn prompt_counters(&self) -> GateCounters {
        self.intel
            .live
            .as_ref()
            .map(LiveDetectors::gate_counters)
            .unwrap_or_default()
    }

    /// The room's in-call state (for tests and the shell's logs).
    pub fn intel(&self) -> &RoomIntel {
        &self.intel
    }

    /// The three `meeting_state` columns as of `now_ms`, once the meeting started.
    pub fn meeting_state_columns(&self, now_ms: u64) -> Option<MeetingStateColumns> {
        self.intel.live.as_ref().map(|l| l.meeting_state(now_ms))
    }

    pub(super) fn save_intel(&mut self) {
        // If this fails, the next save carries it; chunks are replayed on load.
        let _ = self.store.save_intel(&self.intel);
    }

    /// Starts the detectors when the meeting goes active (once).
    pub(super) fn start_live(&mut self, now_ms: u64) {
        if self.config.detectors && self.intel.live.is_none() {
            self.intel.live = Some(LiveDetectors::new(self.config.live, now_ms));
            self.intel.observed_seq = self.transcript_head;
            self.live_polled_at = None;
            self.refresh_live_deadline();
            self.save_intel();
        }
    }

    /// Recomputes the detectors' wake-up after they changed (observed
    /// chunks, a poll).
    fn refresh_live_deadline(&mut self) {
        self.live_deadline = self
            .intel
            .live
            .as_ref()
            .and_then(LiveDetectors::poll_timeout);
    }

    /// After a load: applies this environment's detector settings, and
    /// folds in the chunks committed after the last save.
    pub(super) fn restore_live(&mut self) -> Result<(), RoomError> {
        if !self.config.detectors {
            self.intel.live = None;
            return Ok(());
        }
        if self.meta.state == MeetingState::Active && self.intel.live.is_none() {
            let at = self.meta.started_at_ms.unwrap_or(0);
            self.intel.live = Some(LiveDetectors::new(self.config.live, at));
            self.intel.observed_seq = 0;
        }
        let config = self.config.live;
        if let Some(live) = self.intel.live.as_mut() {
            live.set_config(config);
        }
        while self.intel.live.is_some() && self.intel.observed_seq < self.transcript_head {
            let chunks = self.store.transcript_after(self.intel.observed_seq, 500)?;
            if chunks.is_empty() {
                break;
            }
            for chunk in &chunks {
                self.observe_chunk(chunk);
            }
        }
        self.refresh_live_deadline();
        Ok(())
    }

    /// Folds a committed chunk into the detectors. Times are the room's:
    /// the chunk counts as spoken up to its commit, for its own duration,
    /// so a client's clock skew cannot fake a silence.
    pub(super) fn observe_chunk(&mut self, chunk: &TranscriptChunk) {
        if chunk.seq <= self.intel.observed_seq {
            return;
        }
        self.intel.observed_seq = chunk.seq;
        let Some(live) = self.intel.live.as_mut() else {
            return;
        };
        if !chunk.is_final {
            return;
        }
        let end = chunk.created_at_ms;
        let start = end.saturating_sub(chunk.end_ms.saturating_sub(chunk.start_ms));
        let speaker = chunk.speaker_id.as_deref().unwrap_or("unknown");
        live.observe(&Utterance::new(speaker, &chunk.text, start, end));
    }

    /// The room's backpressure signal for the prompt gate (see the module
    /// docs): its queue is deep, or it is shedding load (R27).
    fn overloaded(&self) -> bool {
        self.shedding()
    }

    /// Whether the room sheds load now (R27): its timer runs late, or its
    /// queue is deep.
    pub(super) fn shedding(&self) -> bool {
        self.load.shedding() || self.queue_over()
    }

    /// Frames pile up in the outbox, or a connection is being paced.
    pub(super) fn queue_over(&self) -> bool {
        !self.behind.is_empty() || self.outbox.len() > self.config.prompt_overload_frames
    }

    /// When the detectors next want a poll, if in-call prompts are on and
    /// the meeting is active. A wake-up at or before the last poll is not
    /// one (it would spin).
    pub(super) fn live_timeout(&self) -> Option<u64> {
        if !self.intel.incall_enabled || self.meta.state != MeetingState::Active {
            return None;
        }
        self.live_deadline
            .filter(|t| self.live_polled_at.is_none_or(|p| *t > p))
    }

    /// Polls the detectors at `now_ms`: a detection that passes the gate
    /// queues a generation.
    pub(super) fn poll_live(&mut self, now_ms: u64) {
        if !self.intel.incall_enabled || self.meta.state != MeetingState::Active {
            return;
        }
        let overloaded = self.overloaded();
        let Some(live) = self.intel.live.as_mut() else {
            return;
        };
        self.live_polled_at = Some(now_ms);
        let outcome = live.poll(now_ms, overloaded);
        self.refresh_live_deadline();
        match outcome {
            PollOutcome::Generate(d) => self.queue_generation(d),
            PollOutcome::Shed { .. } => self.save_intel(),
            PollOutcome::RateLimited { .. } | PollOutcome::Idle => {}
        }
    }

    fn queue_generation(&mut self, d: Detection) {
        let n = self.config.prompt_recent_lines;
        let recent = self
            .store
            .transcript_after(self.transcript_head.saturating_sub(n as u64), n)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.is_final)
            .map(|c| TranscriptLine {
                id: c.seq.to_string(),
                speaker_id: c.speaker_id.unwrap_or_default(),
                text: c.text.chars().take(LINE_MAX_CHARS).collect(),
                start_ms: c.start_ms,
                end_ms: c.end_ms,
            })
            .collect();
        let tags: BTreeMap<String, Vec<String>> = self
            .intel
            .prompts
            .iter()
            .map(|p| (p.prompt_id.clone(), p.tags.clone()))
            .collect();
        let shown = self
            .intel
            .prompts
            .iter()
            .rev()
            .take(SHOWN_IN_REQUEST)
            .map(|p| p.content.clone())
            .collect();
        let request = IncallRequest {
            at_ms: d.at_ms,
            trigger: d.trigger,
            topics: d.topics,
            recent,
            speaking_ratios: d.speaking_ratios,
            shown,
            weights: RelevanceWeights::from_ledger(&self.intel.ledger, &tags),
        };
        self.intel.detections += 1;
        let job = Job::GenerateIncall {
            meeting_id: self.meta.meeting_id.clone(),
            detection: self.intel.detections,
            request: Box::new(request),
        };
        self.outbox.push(Output::Job(JobMessage::new(job)));
        self.save_intel();
    }

    /// The flag pushed by the worker (`POST /internal/flags`): off stops
    /// detection and generation at once; on resumes them.
    pub fn set_incall_enabled(&mut self, now_ms: u64, enabled: bool) -> Result<(), RoomError> {
        if self.intel.incall_enabled != enabled {
            self.intel.incall_enabled = enabled;
            self.live_polled_at = None;
            self.refresh_live_deadline();
            self.store.save_intel(&self.intel)?;
        }
        self.after_input(now_ms);
        Ok(())
    }

    /// A generated prompt from the `generate_incall` job: sequenced on the
    /// prompts stream and sent to every reader. Idempotent by prompt id
    /// (returns the seq it got the first time).
    pub fn deliver_prompt(&mut self, now_ms: u64, notice: PromptNotice) -> Result<u64, RoomError> {
        if self.meta.state != MeetingState::Active {
            return Err(RoomError::Denied(Denial::MeetingState(self.meta.state)));
        }
        let prompt = checked_prompt(notice)?;
        if let Some(known) = self
            .intel
            .prompts
            .iter()
            .find(|p| p.prompt_id == prompt.prompt_id)
        {
            return Ok(known.seq);
        }
        if !self.intel.incall_enabled {
            return Err(invalid("prompt_id", "in-call prompts are switched off"));
        }
        if self.intel.prompts.len() >= MAX_PROMPTS_PER_MEETING {
            return Err(invalid("prompt_id", "too many prompts in this meeting"));
        }
        let known = KnownPrompt {
            prompt_id: prompt.prompt_id.clone(),
            seq: self.prompt_head + 1,
            content: prompt.content.clone(),
            tags: prompt.tags.clone(),
        };
        let seq = self.append_prompt_event(now_ms, PromptEventBody::Prompt(prompt))?;
        self.intel.prompts.push(known);
        self.save_intel();
        self.after_input(now_ms);
        Ok(seq)
    }

    /// Stores the next event of the prompts stream and sends it out.
    fn append_prompt_event(
        &mut self,
        now_ms: u64,
        body: PromptEventBody,
    ) -> Result<u64, RoomError> {
        let event = PromptEvent {
            seq: self.prompt_head + 1,
            at_ms: now_ms,
            body,
        };
        self.store.append_prompt_event(&event)?;
        self.prompt_head = event.seq;
        // Prompts are rare and people wait for them: not coalesced.
        self.deliver_feed_all(Stream::Prompts);
        Ok(event.seq)
    }

    /// `prompts.react` (R24, rule I10): one reaction per user per prompt,
    /// changeable. A reaction that changes nothing is not streamed.
    pub(super) fn on_prompt_react(
        &mut self,
        now_ms: u64,
        sid: &SessionId,
        prompt_id: String,
        reaction: Reaction,
    ) -> Result<(), RoomError> {
        self.authorize(now_ms, sid, Action::InteractPrompts)?;
        let user_id = self.session_user(sid)?;
        if !self.intel.prompts.iter().any(|p| p.prompt_id == prompt_id) {
            return Err(invalid("prompt_id", "no such prompt in this meeting"));
        }
        let before = self.intel.ledger.clone();
        let change = self.intel.ledger.apply(&ReactionEvent {
            prompt_id: prompt_id.clone(),
            user_id: user_id.clone(),
            reaction,
            at_ms: now_ms,
        });
        if !change.is_write() {
            return Ok(());
        }
        let previous = match change {
            crate::intelligence::feedback::ReactionChange::Changed { from } => Some(from),
            _ => None,
        };
        let body = PromptEventBody::Reaction(PromptReaction {
            tally: self.intel.ledger.tally(&prompt_id),
            prompt_id,
            user_id,
            reaction,
            previous,
            transcript_seq: self.transcript_head,
            notes_version: self.notes.version(),
        });
        if let Err(err) = self.append_prompt_event(now_ms, body) {
            self.intel.ledger = before;
            return Err(err);
        }
        self.save_intel();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_by_kind_and_round_trip() {
        let e = PromptEvent {
            seq: 3,
            at_ms: 9,
            body: PromptEventBody::Reaction(PromptReaction {
                prompt_id: "p".into(),
                user_id: "u".into(),
                reaction: Reaction::Used,
                previous: None,
                tally: Tally {
                    used: 1,
                    upvoted: 0,
                    dismissed: 0,
                },
                transcript_seq: 4,
                notes_version: 2,
            }),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "reaction");
        assert_eq!(v["seq"], 3);
        assert_eq!(v["reaction"], "used");
        assert_eq!(serde_json::from_value::<PromptEvent>(v).unwrap(), e);
    }

    #[test]
    fn notices_are_checked() {
        let good = PromptNotice {
            prompt_id: "prm_1".into(),
            kind: "question".into(),
            content: "Ask Bob?".into(),
            tags: vec!["lull".into()],
            relevance: 0.5,
            trigger: "lull".into(),
            source: "heuristic".into(),
        };
        assert!(checked_prompt(good.clone()).is_ok());
        let bad = [
            PromptNotice {
                prompt_id: "".into(),
                ..good.clone()
            },
            PromptNotice {
                kind: "poem".into(),
                ..good.clone()
            },
            PromptNotice {
                content: " ".into(),
                ..good.clone()
            },
            PromptNotice {
                relevance: 2.0,
                ..good.clone()
            },
            PromptNotice {
                trigger: "boredom".into(),
                ..good.clone()
            },
            PromptNotice {
                tags: vec!["".into()],
                ..good.clone()
            },
        ];
        for n in bad {
            assert_eq!(checked_prompt(n).unwrap_err().code(), "INVALID_FIELD");
        }
    }
}
