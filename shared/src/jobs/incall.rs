//! `generate_incall`: one in-call prompt for a detection the room made
//! (docs/intelligence.md, "The room's pipeline"). The room queues the job
//! with what it saw ([`IncallRequest`]: the trigger, the current topics,
//! the recent transcript, speaking shares, the prompts already shown and
//! the relevance weights its reactions produced); the consumer checks the
//! in-call flag and the meeting, adds the participants' profiles, generates
//! through the configured provider, stores the best prompt and hands it
//! back to the room (`POST /internal/prompt`).
//!
//! This module is the pure part: the checks, the generation input, and the
//! row and notice to write. A prompt's id is derived from the meeting and
//! its dedupe key, so a retried job writes the same row (the insert does
//! nothing the second time) and the room, which knows the id, sequences it
//! once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::intelligence::feedback::RelevanceWeights;
use crate::intelligence::generator::{
    Generated, IncallInput, IncallOutput, TranscriptLine, Trigger,
};
use crate::intelligence::profile::ParticipantProfile;
use crate::room_internal::PromptNotice;
use crate::sql::prompts::PromptInsert;
use crate::sql::Statement;

/// What the room saw when it decided a prompt was wanted: everything the
/// generation input needs except the profiles, which the job reads from D1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncallRequest {
    /// When the room detected it (unix ms).
    pub at_ms: u64,
    pub trigger: Trigger,
    pub topics: Vec<String>,
    /// The recent final transcript, oldest first (id = the chunk's seq).
    pub recent: Vec<TranscriptLine>,
    /// Speaking-time shares by user id.
    #[serde(default)]
    pub speaking_ratios: BTreeMap<String, f64>,
    /// The text of the prompts already shown in this meeting (not repeated).
    #[serde(default)]
    pub shown: Vec<String>,
    /// Relevance weights from this meeting's reactions (I11).
    #[serde(default)]
    pub weights: RelevanceWeights,
}

/// Why a job produced nothing (logged, then acked: no retry changes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The `intelligence.incall` flag is off for this meeting: no provider call.
    FlagOff,
    /// The meeting is gone or no longer active.
    NotActive,
    /// The generation produced no prompt (every idea was shown already).
    NothingNew,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::FlagOff => "flag_off",
            Skip::NotActive => "not_active",
            Skip::NothingNew => "nothing_new",
        }
    }
}

/// The checks before any provider call: the meeting must still be active
/// and the flag on.
pub fn admit(meeting_state: Option<&str>, flag_on: bool) -> Result<(), Skip> {
    if meeting_state != Some("active") {
        return Err(Skip::NotActive);
    }
    if !flag_on {
        return Err(Skip::FlagOff);
    }
    Ok(())
}

/// The generation input.
pub fn input(
    meeting_id: &str,
    req: &IncallRequest,
    participants: Vec<ParticipantProfile>,
) -> IncallInput {
    IncallInput {
        meeting_id: meeting_id.to_owned(),
        trigger: req.trigger.clone(),
        recent: req.recent.clone(),
        current_topics: req.topics.clone(),
        participants,
        speaking_ratios: req.speaking_ratios.clone(),
        recent_prompts: req.shown.clone(),
        weights: req.weights.clone(),
    }
}

/// The stable id of a meeting's prompt with this dedupe key.
pub fn prompt_id(meeting_id: &str, dedupe_key: &str) -> String {
    let d = Sha256::digest(format!("{meeting_id}\n{dedupe_key}").as_bytes());
    let hex: String = d.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("prm_{hex}")
}

/// What to write and send for one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// `PROMPT_INSERT` (type `incall`); does nothing when the row exists.
    pub insert: Statement,
    /// The body of `POST /internal/prompt`.
    pub notice: PromptNotice,
}

/// One prompt per detection: the generator's best (they come ranked by
/// adjusted relevance, I12) that was not shown already. Its dedupe key is
/// prefixed `incall:` so it never collides with a pre-call prompt of the
/// same text.
pub fn plan(
    meeting_id: &str,
    req: &IncallRequest,
    generated: &Generated<IncallOutput>,
    now_ms: i64,
) -> Result<Planned, Skip> {
    let idea = generated
        .output
        .prompts
        .iter()
        .find(|p| !req.shown.iter().any(|s| s == &p.content))
        .ok_or(Skip::NothingNew)?;
    let dedupe_key = format!("incall:{}", idea.dedupe_key());
    let id = prompt_id(meeting_id, &dedupe_key);
    let tags = serde_json::to_string(&idea.tags).unwrap_or_else(|_| "[]".into());
    let source = generated.provenance.source.as_str();
    let trigger = req.trigger.reason();
    let insert = PromptInsert {
        id: &id,
        meeting_id,
        kind: "incall",
        content: &idea.content,
        tags: &tags,
        relevance: idea.relevance,
        source,
        trigger_reason: Some(trigger),
        dedupe_key: Some(&dedupe_key),
        request_hash: Some(&generated.provenance.request_hash),
        now_ms,
    }
    .statement();
    let notice = PromptNotice {
        prompt_id: id.clone(),
        kind: idea.kind.as_str().to_owned(),
        content: idea.content.clone(),
        tags: idea.tags.clone(),
        relevance: idea.relevance,
        trigger: trigger.to_owned(),
        source: source.to_owned(),
    };
    Ok(Planned { insert, notice })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::generator::{GenerationParams, Provenance, Source, Task};
    use crate::intelligence::generator::{IdeaKind, PromptIdea};
    use crate::intelligence::lull::LullKind;

    fn req(shown: &[&str]) -> IncallRequest {
        IncallRequest {
            at_ms: 1,
            trigger: Trigger::Lull {
                kind: LullKind::Silence,
            },
            topics: vec!["pricing".into()],
            recent: vec![],
            speaking_ratios: BTreeMap::new(),
            shown: shown.iter().map(|s| s.to_string()).collect(),
            weights: RelevanceWeights::new(),
        }
    }

    fn generated(texts: &[&str]) -> Generated<IncallOutput> {
        Generated {
            output: IncallOutput {
                prompts: texts
                    .iter()
                    .map(|t| PromptIdea {
                        kind: IdeaKind::Question,
                        content: t.to_string(),
                        tags: vec!["lull".into(), "pricing".into()],
                        relevance: 0.8,
                    })
                    .collect(),
            },
            provenance: Provenance {
                request_hash: "h".repeat(64),
                task: Task::Incall,
                provider: "heuristic".into(),
                model: "heuristic-v1".into(),
                parameters: GenerationParams::default(),
                input_features: serde_json::json!({}),
                latency_ms: 0,
                source: Source::Heuristic,
                fallback: None,
                failed_provider: None,
            },
        }
    }

    #[test]
    fn i26_only_an_active_meeting_with_the_flag_on_generates() {
        assert_eq!(admit(Some("active"), true), Ok(()));
        assert_eq!(admit(Some("active"), false), Err(Skip::FlagOff));
        assert_eq!(admit(Some("concluded"), true), Err(Skip::NotActive));
        assert_eq!(admit(None, true), Err(Skip::NotActive));
    }

    #[test]
    fn i26_one_prompt_per_detection_with_a_stable_id() {
        let g = generated(&["Ask Bob about pricing?", "Invite Carol in"]);
        let a = plan("m1", &req(&[]), &g, 5).unwrap();
        let b = plan("m1", &req(&[]), &g, 9).unwrap();
        assert_eq!(
            a.notice.prompt_id, b.notice.prompt_id,
            "a retry is the same row"
        );
        assert!(a.notice.prompt_id.starts_with("prm_"));
        assert_eq!(a.notice.trigger, "lull");
        assert_eq!(a.notice.source, "heuristic");
        assert_eq!(a.insert.name, "PROMPT_INSERT");
        // Already shown: the next one.
        let c = plan("m1", &req(&["Ask Bob about pricing?"]), &g, 5).unwrap();
        assert_eq!(c.notice.content, "Invite Carol in");
        assert_ne!(c.notice.prompt_id, a.notice.prompt_id);
        assert_eq!(
            plan(
                "m1",
                &req(&["Ask Bob about pricing?", "Invite Carol in"]),
                &g,
                5
            ),
            Err(Skip::NothingNew)
        );
        // Another meeting, another id.
        assert_ne!(
            plan("m2", &req(&[]), &g, 5).unwrap().notice.prompt_id,
            a.notice.prompt_id
        );
    }

    #[test]
    fn the_input_carries_the_request() {
        let i = input("m", &req(&["x"]), Vec::new());
        assert_eq!(i.recent_prompts, ["x"]);
        assert_eq!(i.current_topics, ["pricing"]);
    }
}
