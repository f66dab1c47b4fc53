//! `generate_precall`, pure (requirement 9; rule I33): what the pre-call
//! job does once the shell has loaded the meeting, its members' profiles
//! and interests, and read the `intelligence.precall` flag.
//!
//! **I33 — pre-call ideas.** Scheduling a meeting and every change of its
//! members queue the job. It generates nothing when the flag is off for the
//! meeting (no provider call), or when the meeting is over (concluded or
//! cancelled). Otherwise it builds the [`PrecallInput`] from the members'
//! profiles (a member without one counts by name), asks the provider, and
//! stores the ideas as `prompts` (`type = precall`, relevance, tags,
//! `source` from the provenance, `request_hash`), replacing the ideas of an
//! earlier generation (other members, changed profiles) in the same batch.
//! Idempotent by the request hash: a repeated job whose hash already has
//! prompts stores nothing, and a prompt's `(meeting_id, dedupe_key)` is
//! unique.

use crate::intelligence::feedback::RelevanceWeights;
use crate::intelligence::generator::{Generated, PrecallInput, PrecallOutput};
use crate::profiles::{participants, InterestRow, ProfileRow};
use crate::sql::prompts::{PromptDeleteStalePrecall, PromptInsert};
use crate::sql::Statement;

/// Why the job generated nothing (logged; the job is done).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `intelligence.precall` is off for this meeting.
    FlagOff,
    /// Concluded or cancelled: ideas would come too late.
    MeetingOver,
    /// The meeting is gone.
    NoMeeting,
    /// This exact generation is already stored.
    AlreadyStored,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::FlagOff => "flag_off",
            Skip::MeetingOver => "meeting_over",
            Skip::NoMeeting => "no_meeting",
            Skip::AlreadyStored => "already_stored",
        }
    }
}

/// Whether to generate at all, before any provider call.
pub fn gate(meeting_state: Option<&str>, flag_on: bool) -> Result<(), Skip> {
    match meeting_state {
        None => Err(Skip::NoMeeting),
        Some("concluded" | "cancelled") => Err(Skip::MeetingOver),
        Some(_) if !flag_on => Err(Skip::FlagOff),
        Some(_) => Ok(()),
    }
}

/// The generation input: the meeting and every member with their interests.
pub fn input(
    meeting_id: &str,
    title: &str,
    description: Option<&str>,
    profiles: &[ProfileRow],
    interests: &[InterestRow],
) -> PrecallInput {
    PrecallInput {
        meeting_id: meeting_id.to_owned(),
        title: Some(title.to_owned()).filter(|t| !t.trim().is_empty()),
        description: description.map(str::to_owned),
        participants: participants(profiles, interests),
        weights: RelevanceWeights::default(),
    }
}

/// The batch that stores `generated` (one id per idea, passed in) and drops
/// the ideas of earlier generations.
pub fn store(
    meeting_id: &str,
    generated: &Generated<PrecallOutput>,
    ids: &[String],
    now_ms: i64,
) -> Vec<Statement> {
    let hash = generated.provenance.request_hash.as_str();
    let source = generated.provenance.source.as_str();
    let mut batch = vec![PromptDeleteStalePrecall {
        meeting_id,
        request_hash: hash,
    }
    .statement()];
    for (idea, id) in generated.output.ideas.iter().zip(ids) {
        let tags = serde_json::to_string(&idea.tags).unwrap_or_else(|_| "[]".into());
        let dedupe = idea.dedupe_key();
        batch.push(
            PromptInsert {
                id,
                meeting_id,
                kind: "precall",
                content: &idea.content,
                tags: &tags,
                relevance: idea.relevance.clamp(0.0, 1.0),
                source,
                trigger_reason: None,
                dedupe_key: Some(&dedupe),
                request_hash: Some(hash),
                now_ms,
            }
            .statement(),
        );
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::generator::Generator;
    use crate::intelligence::heuristic::Heuristic;
    use crate::sql::SqlValue;

    use crate::profiles::fixture as profile;

    fn interest(user: &str, key: &str) -> InterestRow {
        InterestRow {
            user_id: Some(user.into()),
            key: key.into(),
            label: format!("{key} label"),
            category: "engineering".into(),
        }
    }

    #[test]
    fn i33_generates_only_for_a_live_meeting_with_the_flag_on() {
        assert_eq!(gate(Some("scheduled"), true), Ok(()));
        assert_eq!(gate(Some("active"), true), Ok(()));
        assert_eq!(gate(Some("scheduled"), false), Err(Skip::FlagOff));
        assert_eq!(gate(Some("concluded"), true), Err(Skip::MeetingOver));
        assert_eq!(gate(Some("cancelled"), false), Err(Skip::MeetingOver));
        assert_eq!(gate(None, true), Err(Skip::NoMeeting));
    }

    #[test]
    fn i33_the_input_gives_each_member_their_own_interests() {
        let profiles = [
            profile("u_a", "Ada", r#"["rust"]"#, Some("learn pricing")),
            profile("u_b", "Ben", r#"["pricing"]"#, None),
        ];
        let interests = [
            interest("u_a", "realtime"),
            interest("u_b", "realtime"),
            interest("u_b", "growth"),
        ];
        let input = input("m1", "Kickoff", None, &profiles, &interests);
        assert_eq!(input.participants[0].interests.len(), 1);
        assert_eq!(input.participants[1].interests.len(), 2);
        assert_eq!(input.title.as_deref(), Some("Kickoff"));
    }

    #[test]
    fn i33_stored_ideas_carry_hash_source_tags_and_replace_older_ones() {
        let profiles = [
            profile("u_a", "Ada", r#"["rust"]"#, Some("learn pricing")),
            profile("u_b", "Ben", r#"["pricing"]"#, None),
        ];
        let interests = [interest("u_a", "realtime"), interest("u_b", "realtime")];
        let input = input("m1", "Kickoff", None, &profiles, &interests);
        let h = Heuristic::default();
        let hash = h
            .request_hash(crate::intelligence::generator::Task::Precall, &input)
            .unwrap();
        let output = h.precall_now(&input, &hash);
        assert!(output
            .ideas
            .iter()
            .any(|i| i.content.contains("realtime label")
                || i.tags.iter().any(|t| t.contains("realtime"))));
        let generated = Generated {
            provenance: crate::intelligence::generator::Provenance::answered(
                &h,
                crate::intelligence::generator::Task::Precall,
                &hash,
                serde_json::json!({}),
                0,
            ),
            output,
        };
        let ids: Vec<String> = (0..generated.output.ideas.len())
            .map(|i| format!("prm_{i}"))
            .collect();
        let batch = store("m1", &generated, &ids, 5);
        assert_eq!(batch[0].name, "PROMPT_DELETE_STALE_PRECALL");
        assert_eq!(batch.len(), generated.output.ideas.len() + 1);
        let insert = &batch[1];
        assert_eq!(insert.params[2], SqlValue::Text("precall".into()));
        assert_eq!(insert.params[6], SqlValue::Text("heuristic".into()));
        assert_eq!(insert.params[9], SqlValue::Text(hash));
    }
}
