//! `generate_insights`, pure (requirement 11; rules I34–I35): what the
//! post-call insights job does once the shell has loaded what it needs.
//!
//! **I34 — insights after aggregation.** The job waits (with backoff) until
//! the meeting is finalized (its room flushed) *and* its transcript is
//! aggregated into segments — both jobs are queued together at the end, so
//! the order comes from their records, not the queue; on its last attempt it
//! goes ahead on what D1 has. With `intelligence.insights` off for the
//! meeting it records `{"status": "disabled"}` and calls no provider.
//! Otherwise it builds the [`InsightsInput`] (segments with their ids, the
//! notes text, every member's profile), generates, and writes one
//! `insights` row per participant (`ParticipantInsights::columns()`, the
//! provenance as JSON), then records the job. The row id is derived from
//! (meeting, user), and a rerun upserts the same rows, so a retried job
//! converges; a recorded job does nothing.
//!
//! **I35 — the matching signal** (requirement 11.5). For each participant
//! and each other participant, one `matching_analytics` row, outcome
//! `completed`, `match_id = "meeting:<meeting>:<peer>"`, `score` = the
//! confidence of the participant's connection recommendation of that peer
//! (0 without one), `features = {"source": "insights", "recommended",
//! "basis"}`: what the matching weight tuner will read. At most
//! [`MAX_SIGNALS`] per meeting (recommended pairs first).

use serde::Deserialize;
use serde_json::{json, Value};

use super::records;
use super::{wait_for_finalize, Backoff, JobResult};
use crate::intelligence::generator::{Generated, InsightsInput, InsightsOutput, TranscriptLine};
use crate::profiles::{participants, InterestRow, ProfileRow};
use crate::signature::hmac::sha256_hex;
use crate::sql::insights::InsightUpsert;
use crate::sql::matching::MatchOutcomeRecord;
use crate::sql::Statement;

/// Segments read into one generation (about a long day of talk).
pub const MAX_SEGMENTS: usize = 2_000;
/// Notes characters read into one generation.
pub const MAX_NOTES_CHARS: usize = 20_000;
/// Matching signals written per meeting.
pub const MAX_SIGNALS: usize = 200;
/// Statements per D1 batch.
const BATCH: usize = 50;

/// What one delivery does before loading anything more.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Not finalized or not aggregated yet: come back later.
    Wait(JobResult),
    /// Already recorded: nothing to do.
    Done,
    /// The flag is off: record it (this batch) and stop.
    Disabled(Vec<Statement>),
    /// Load the inputs and generate.
    Generate,
}

/// What the job records say about a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// This job's own record (done before).
    pub recorded: bool,
    /// `finalize_meeting`'s record (the room flushed).
    pub finalized: bool,
    /// `aggregate_transcript`'s record (segments written).
    pub aggregated: bool,
}

/// The first decision of a delivery (I34).
pub fn step(
    key: &str,
    seen: Seen,
    flag_on: bool,
    backoff: &Backoff,
    attempt: u32,
    random: u32,
    now_ms: i64,
) -> Step {
    let Seen {
        recorded,
        finalized,
        aggregated,
    } = seen;
    if recorded {
        return Step::Done;
    }
    if let Some(wait) = wait_for_finalize(finalized && aggregated, backoff, attempt, random) {
        return Step::Wait(wait);
    }
    if !flag_on {
        let result = json!({"status": "disabled", "reason": "flag_off"});
        return Step::Disabled(records::write(key, &result, now_ms));
    }
    Step::Generate
}

/// A row of `SEGMENT_LIST_BY_MEETING` (the columns insights read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SegmentRow {
    pub id: String,
    pub speaker_id: String,
    pub text: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The generation input.
pub fn input(
    meeting_id: &str,
    title: &str,
    segments: &[SegmentRow],
    notes: Option<&str>,
    profiles: &[ProfileRow],
    interests: &[InterestRow],
) -> InsightsInput {
    let to_u64 = |v: i64| u64::try_from(v).unwrap_or(0);
    InsightsInput {
        meeting_id: meeting_id.to_owned(),
        title: Some(title.to_owned()).filter(|t| !t.trim().is_empty()),
        segments: segments
            .iter()
            .take(MAX_SEGMENTS)
            .map(|s| TranscriptLine {
                id: s.id.clone(),
                speaker_id: s.speaker_id.clone(),
                text: s.text.clone(),
                start_ms: to_u64(s.start_ms),
                end_ms: to_u64(s.end_ms),
            })
            .collect(),
        notes: notes
            .unwrap_or_default()
            .chars()
            .take(MAX_NOTES_CHARS)
            .collect(),
        participants: participants(profiles, interests),
    }
}

/// The stable id of a (meeting, user) row.
pub fn insight_id(meeting_id: &str, user_id: &str) -> String {
    let h = sha256_hex(format!("insight:{meeting_id}:{user_id}").as_bytes());
    format!("ins_{}", h.get(..24).unwrap_or(&h))
}

fn signal_id(meeting_id: &str, user_id: &str, peer_id: &str) -> String {
    let h = sha256_hex(format!("signal:{meeting_id}:{user_id}:{peer_id}").as_bytes());
    format!("mas_{}", h.get(..24).unwrap_or(&h))
}

/// The batches that store `generated` and record the job (last, so a crash
/// before it reruns everything). Each batch is atomic.
pub fn store(
    key: &str,
    meeting_id: &str,
    generated: &Generated<InsightsOutput>,
    now_ms: i64,
) -> Vec<Vec<Statement>> {
    let provenance =
        serde_json::to_string(&generated.provenance).unwrap_or_else(|_| "{}".to_owned());
    let mut statements = Vec::new();
    for p in &generated.output.participants {
        let c = p.columns();
        let text = |v: &Value| v.to_string();
        let (topics, decisions, actions, recs, links) = (
            text(&c.topics),
            text(&c.decisions),
            text(&c.action_items),
            text(&c.recommendations),
            text(&c.links),
        );
        let id = insight_id(meeting_id, &p.user_id);
        statements.push(
            InsightUpsert {
                id: &id,
                user_id: &p.user_id,
                meeting_id,
                summary: &c.summary,
                topics: &topics,
                decisions: &decisions,
                action_items: &actions,
                recommendations: &recs,
                links: &links,
                provenance: &provenance,
                now_ms,
            }
            .statement(),
        );
    }
    statements.extend(signals(meeting_id, &generated.output, now_ms));
    let result = json!({
        "status": "generated",
        "participants": generated.output.participants.len(),
        "source": generated.provenance.source.as_str(),
        "provider": generated.provenance.provider,
        "fallback": generated.provenance.fallback,
        "request_hash": generated.provenance.request_hash,
    });
    statements.extend(records::write(key, &result, now_ms));
    statements
        .chunks(BATCH)
        .map(<[Statement]>::to_vec)
        .collect()
}

/// The matching signal rows (I35).
fn signals(meeting_id: &str, output: &InsightsOutput, now_ms: i64) -> Vec<Statement> {
    let ids: Vec<&str> = output
        .participants
        .iter()
        .map(|p| p.user_id.as_str())
        .collect();
    let mut pairs: Vec<(bool, &str, &str, f64, Vec<String>)> = Vec::new();
    for p in &output.participants {
        for peer in ids.iter().copied().filter(|q| *q != p.user_id) {
            let rec = p.recommendations.iter().find(|r| r.user_id == peer);
            pairs.push((
                rec.is_some(),
                p.user_id.as_str(),
                peer,
                rec.map_or(0.0, |r| r.confidence.clamp(0.0, 1.0)),
                rec.map(|r| r.basis.clone()).unwrap_or_default(),
            ));
        }
    }
    // Recommended pairs first, so the bound drops the weakest signal.
    pairs.sort_by_key(|p| std::cmp::Reverse(p.0));
    pairs
        .into_iter()
        .take(MAX_SIGNALS)
        .map(|(recommended, user, peer, score, basis)| {
            let id = signal_id(meeting_id, user, peer);
            let match_id = format!("meeting:{meeting_id}:{peer}");
            let features =
                json!({"source": "insights", "recommended": recommended, "basis": basis})
                    .to_string();
            MatchOutcomeRecord {
                id: &id,
                match_id: &match_id,
                user_id: user,
                peer_user_id: peer,
                meeting_id,
                outcome: "completed",
                score,
                rating: None,
                feedback: None,
                features: Some(&features),
                // The weights a match was scored with: none, this is not a match.
                weights: Some("{}"),
                now_ms,
            }
            .statement()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::generator::{Generator, Provenance, Task};
    use crate::intelligence::heuristic::Heuristic;
    use crate::sql::SqlValue;

    const B: Backoff = Backoff {
        base_secs: 2,
        max_delay_secs: 300,
        max_attempts: 3,
    };

    #[test]
    fn i34_waits_for_finalize_and_aggregation_until_the_last_attempt() {
        let s = |recorded, finalized, aggregated, flag, attempt| {
            let seen = Seen {
                recorded,
                finalized,
                aggregated,
            };
            step("k", seen, flag, &B, attempt, 0, 1)
        };
        assert_eq!(s(true, false, false, true, 1), Step::Done);
        assert!(matches!(s(false, true, false, true, 1), Step::Wait(_)));
        assert!(matches!(s(false, false, true, true, 1), Step::Wait(_)));
        assert_eq!(s(false, true, true, true, 1), Step::Generate);
        assert_eq!(s(false, false, false, true, 3), Step::Generate);
        let Step::Disabled(batch) = s(false, true, true, false, 1) else {
            panic!("flag off records and stops")
        };
        let SqlValue::Text(result) = &batch[1].params[2] else {
            panic!()
        };
        assert!(result.contains("disabled"));
    }

    use crate::profiles::fixture as profile;

    #[test]
    fn i34_one_row_per_participant_with_provenance_then_the_record() {
        let segs = [
            SegmentRow {
                id: "seg_1".into(),
                speaker_id: "u_a".into(),
                text: "We agreed to ship the pricing page. I'll write the launch post by Friday."
                    .into(),
                start_ms: 0,
                end_ms: 5000,
            },
            SegmentRow {
                id: "seg_2".into(),
                speaker_id: "u_b".into(),
                text: "Great, I will review the pricing experiments tomorrow.".into(),
                start_ms: 5000,
                end_ms: 9000,
            },
        ];
        let profiles = [
            profile("u_a", "Ada", r#"["rust"]"#, Some("learn about pricing")),
            profile("u_b", "Ben", r#"["pricing"]"#, Some("hire rust engineers")),
        ];
        let input = input(
            "m1",
            "Pricing sync",
            &segs,
            Some("- [ ] Ben: send numbers"),
            &profiles,
            &[],
        );
        assert_eq!(input.segments.len(), 2);
        let h = Heuristic::default();
        let hash = h.request_hash(Task::Insights, &input).unwrap();
        let output = h.insights_now(&input, &hash);
        output.validate(&input).unwrap();
        let generated = Generated {
            provenance: Provenance::answered(&h, Task::Insights, &hash, json!({}), 3),
            output,
        };
        let batches = store("generate_insights:m1", "m1", &generated, 10);
        let all: Vec<&Statement> = batches.iter().flatten().collect();
        let upserts: Vec<_> = all.iter().filter(|s| s.name == "INSIGHT_UPSERT").collect();
        assert_eq!(upserts.len(), 2);
        assert_eq!(
            upserts[0].params[0],
            SqlValue::Text(insight_id("m1", "u_a"))
        );
        let SqlValue::Text(prov) = &upserts[0].params[9] else {
            panic!()
        };
        assert!(prov.contains(&hash) && prov.contains("\"source\":\"heuristic\""));
        let signals = all
            .iter()
            .filter(|s| s.name == "MATCH_OUTCOME_RECORD")
            .count();
        assert_eq!(signals, 2, "each participant about the other");
        assert_eq!(all.last().unwrap().name, "IDEMPOTENCY_COMPLETE");
        assert_eq!(insight_id("m1", "u_a"), insight_id("m1", "u_a"));
        assert_ne!(insight_id("m1", "u_a"), insight_id("m1", "u_b"));
    }
}
