//! Post-call insights (rules I23–I24), one per participant, from the
//! transcript segments, the notes and the profiles.
//!
//! - I23, extraction (shared by everyone's insights): sentences of the
//!   segments and lines of the notes. A **decision** is a sentence with a
//!   decision cue ("decided", "agreed", "settled on", "let's go with", …)
//!   or a notes line starting "Decision:". An **action item** is a
//!   statement (not a question, unless "can/could you") with a commitment
//!   cue ("will", "'ll", "going to", "need to", "todo", "follow up", …) or a
//!   notes line that is a checkbox or starts "TODO:"/"Action:" (a decision
//!   is also an action item only when it has an owner). Its
//!   **owner** is the participant named right before a commitment ("Alice
//!   will…", "Bob to…", "Carol: …") or at the start of the sentence;
//!   otherwise the speaker of a first-person commitment ("I'll…"); otherwise
//!   the other participant of a two-person call for "can you…"/"you'll…";
//!   otherwise none. A due phrase ("by Friday", "next week") is kept as
//!   said. **Topics** are the top keywords of everything said and noted,
//!   participants' names and cue/logistics words excluded. Each item keeps the ids of the segments
//!   it came from.
//! - I24, per participant: a summary naming the others, the main topics,
//!   the decisions and how many action items are theirs, and their share of
//!   the speaking time; their own topics; every decision and action item
//!   (theirs first); follow-ups (check in with another owner, settle
//!   unowned items, write to recommended people); connection
//!   recommendations for each other participant with a basis — shared
//!   interests and skills, complementary skills for their goals, topics
//!   both spoke about — with rationale and confidence
//!   `min(0.95, 0.3 + 0.15·shared interests(≤2) + 0.2·they-can-help(≤2) +
//!   0.1·you-can-help(≤1) + 0.05·shared skill(≤1) + 0.05·common topics(≤3))`;
//!   and links to the segments and profiles used.

use std::collections::{BTreeMap, BTreeSet};

use super::seed::Seed;
use super::text::{find_words, has_words, join_names, lower_first, round3, sentences};
use crate::intelligence::generator::{
    ActionItem, Decision, FollowUp, InsightsInput, InsightsOutput, Link, LinkKind,
    ParticipantInsights, Recommendation,
};
use crate::intelligence::keywords::{self, TermCounts};
use crate::intelligence::profile::{features, truncate_words, ParticipantProfile};

const DECISION_CUES: &[&str] = &[
    "decided",
    "decide to",
    "agreed",
    "agree to",
    "agree that",
    "we'll go with",
    "let's go with",
    "going with",
    "settled on",
    "decision",
    "approved",
    "the plan is",
    "signed off",
];

const ACTION_CUES: &[&str] = &[
    "will",
    "i'll",
    "we'll",
    "you'll",
    "he'll",
    "she'll",
    "they'll",
    "going to",
    "need to",
    "needs to",
    "todo",
    "to-do",
    "action item",
    "follow up",
    "follow-up",
    "take care of",
    "can you",
    "could you",
    "please",
    "assign",
    "by friday",
    "next step",
];

const FIRST_PERSON: &[&str] = &[
    "i'll",
    "i will",
    "i'm going to",
    "i am going to",
    "i can",
    "let me",
    "i need to",
];
const SECOND_PERSON: &[&str] = &["can you", "could you", "you'll", "you will", "you need to"];
const AFTER_OWNER: &[&str] = &[
    "will ",
    "'ll ",
    "to ",
    "can ",
    "is going to",
    "should ",
    "needs to",
    "must ",
    "shall ",
    ":",
    "- ",
    "— ",
    "agreed to",
    "offered to",
    "is on ",
    "owns ",
];

/// Words of the cues and of meeting logistics, never topics.
const TOPIC_NOISE: &[&str] = &[
    "agreed", "decided", "decision", "approved", "settled", "plan", "call", "meeting", "meet",
    "time", "week", "weeks", "today", "tomorrow", "friday", "follow", "todo", "action", "item",
    "thanks", "someone", "book",
];

const DUE: &[&str] = &[
    "by end of day",
    "by end of week",
    "by end of month",
    "by next week",
    "by tomorrow",
    "by monday",
    "by tuesday",
    "by wednesday",
    "by thursday",
    "by friday",
    "by saturday",
    "by sunday",
    "by eod",
    "end of day",
    "end of week",
    "end of month",
    "next week",
    "next month",
    "this week",
    "tomorrow",
    "tonight",
    "today",
];

/// One sentence with where it came from.
struct Said {
    text: String,
    speaker_id: Option<String>,
    segment_id: Option<String>,
    /// A notes line flagged as a task or a decision by its prefix.
    marked_action: bool,
    marked_decision: bool,
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn any_cue(lower: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| has_words(lower, c))
}

/// Strips list bullets and checkboxes; returns the line and whether it was
/// marked as a task / a decision.
fn notes_line(line: &str) -> (String, bool, bool) {
    let mut t = line.trim();
    let mut action = false;
    loop {
        let before = t;
        for p in ["- ", "* ", "• ", "+ "] {
            t = t.strip_prefix(p).unwrap_or(t).trim_start();
        }
        for p in ["[ ]", "[x]", "[X]"] {
            if let Some(rest) = t.strip_prefix(p) {
                t = rest.trim_start();
                action = true;
            }
        }
        if t == before {
            break;
        }
    }
    let lower = t.to_lowercase();
    let mut decision = false;
    for (p, is_action) in [
        ("todo:", true),
        ("todo ", true),
        ("action:", true),
        ("action item:", true),
        ("ai:", true),
        ("decision:", false),
        ("decided:", false),
    ] {
        if lower.starts_with(p) {
            t = t.get(p.len()..).unwrap_or("").trim_start();
            if is_action {
                action = true;
            } else {
                decision = true;
            }
            break;
        }
    }
    (t.to_owned(), action, decision)
}

fn owner_of(s: &Said, ps: &[ParticipantProfile]) -> Option<String> {
    let lower = s.text.to_lowercase();
    // A participant named right before a commitment, or opening the sentence.
    let mut best: Option<(usize, &str)> = None;
    for p in ps {
        for n in [p.display_name.as_str(), p.first_name()] {
            let Some(pos) = find_words(&lower, n) else {
                continue;
            };
            let after = lower.get(pos + n.to_lowercase().len()..).unwrap_or("");
            let after = after.trim_start_matches(['’', '\'']).trim_start();
            let committed = pos == 0
                || AFTER_OWNER.iter().any(|a| after.starts_with(a))
                || lower
                    .get(pos + n.to_lowercase().len()..)
                    .is_some_and(|a| a.starts_with("'ll ") || a.starts_with("’ll "));
            if committed && best.is_none_or(|(b, _)| pos < b) {
                best = Some((pos, p.user_id.as_str()));
            }
            break;
        }
    }
    if let Some((_, id)) = best {
        return Some(id.to_owned());
    }
    let speaker = s.speaker_id.as_deref();
    if FIRST_PERSON
        .iter()
        .any(|c| lower.starts_with(c) || has_words(&lower, c))
    {
        if let Some(sp) = speaker.filter(|sp| ps.iter().any(|p| p.user_id == *sp)) {
            return Some(sp.to_owned());
        }
    }
    if SECOND_PERSON.iter().any(|c| has_words(&lower, c)) && ps.len() == 2 {
        if let Some(sp) = speaker {
            return ps
                .iter()
                .find(|p| p.user_id != sp)
                .map(|p| p.user_id.clone());
        }
    }
    None
}

fn due_of(lower: &str) -> Option<String> {
    DUE.iter()
        .find(|d| has_words(lower, d))
        .map(|d| (*d).to_owned())
}

pub fn generate(input: &InsightsInput, seed: &Seed) -> InsightsOutput {
    let ps = &input.participants;
    let name = |id: &str| {
        ps.iter()
            .find(|p| p.user_id == id)
            .map_or(id.to_owned(), |p| p.first_name().to_owned())
    };

    // Everything said and noted, sentence by sentence.
    let mut said: Vec<Said> = Vec::new();
    for seg in &input.segments {
        for t in sentences(&seg.text) {
            said.push(Said {
                text: t,
                speaker_id: (!seg.speaker_id.is_empty()).then(|| seg.speaker_id.clone()),
                segment_id: Some(seg.id.clone()),
                marked_action: false,
                marked_decision: false,
            });
        }
    }
    for line in input.notes.lines() {
        let (t, a, d) = notes_line(line);
        if t.chars().any(char::is_alphanumeric) {
            said.push(Said {
                text: t,
                speaker_id: None,
                segment_id: None,
                marked_action: a,
                marked_decision: d,
            });
        }
    }

    // I23: decisions and action items.
    let mut decisions: Vec<Decision> = Vec::new();
    let mut actions: Vec<ActionItem> = Vec::new();
    let mut used_notes = false;
    for s in &said {
        let lower = s.text.to_lowercase();
        let words = s.text.split_whitespace().count();
        let segs: Vec<String> = s.segment_id.iter().cloned().collect();
        let text = truncate_words(&s.text, 300);
        if (s.marked_decision || any_cue(&lower, DECISION_CUES)) && words >= 3 {
            let n = decisions.len();
            match decisions.iter_mut().find(|d| norm(&d.text) == norm(&text)) {
                Some(d) => d.segment_ids.extend(segs.clone()),
                None if n < 20 => decisions.push(Decision {
                    text: text.clone(),
                    segment_ids: segs.clone(),
                }),
                None => {}
            }
            used_notes |= s.segment_id.is_none();
        }
        let question =
            s.text.trim_end().ends_with('?') && !SECOND_PERSON.iter().any(|c| lower.starts_with(c));
        let is_decision = s.marked_decision || any_cue(&lower, DECISION_CUES);
        let owner = owner_of(s, ps);
        // A decision is also an action item only when someone owns it.
        if (s.marked_action || (any_cue(&lower, ACTION_CUES) && !question))
            && words >= 3
            && (owner.is_some() || !is_decision || s.marked_action)
        {
            let n = actions.len();
            match actions.iter_mut().find(|a| norm(&a.text) == norm(&text)) {
                Some(a) => a.segment_ids.extend(segs),
                None if n < 30 => actions.push(ActionItem {
                    text,
                    owner_id: owner,
                    due: due_of(&lower),
                    segment_ids: segs,
                }),
                None => {}
            }
            used_notes |= s.segment_id.is_none();
        }
    }
    for d in &mut decisions {
        d.segment_ids.sort();
        d.segment_ids.dedup();
    }
    for a in &mut actions {
        a.segment_ids.sort();
        a.segment_ids.dedup();
    }

    // Topics, without people's names.
    // Names and cue words are not topics.
    let name_stems: BTreeSet<String> = ps
        .iter()
        .flat_map(|p| keywords::stem_set(&p.display_name))
        .chain(TOPIC_NOISE.iter().flat_map(|w| keywords::stem_set(w)))
        .collect();
    let top_topics = |c: &TermCounts, k: usize| -> Vec<String> {
        c.top(k + name_stems.len())
            .into_iter()
            .filter(|kw| !name_stems.contains(&kw.stem))
            .take(k)
            .map(|kw| kw.term)
            .collect()
    };
    let mut all = TermCounts::new();
    let mut by_speaker: BTreeMap<&str, TermCounts> = BTreeMap::new();
    let mut speaking: BTreeMap<&str, u64> = BTreeMap::new();
    for seg in &input.segments {
        all.add_text(&seg.text);
        by_speaker
            .entry(seg.speaker_id.as_str())
            .or_default()
            .add_text(&seg.text);
        *speaking.entry(seg.speaker_id.as_str()).or_default() +=
            seg.end_ms.saturating_sub(seg.start_ms);
    }
    all.add_text(&input.notes);
    let topics = top_topics(&all, 6);
    let total_ms: u64 = speaking.values().sum();
    let f = features(ps);

    let mut out = Vec::new();
    for p in ps {
        let me = p.user_id.as_str();
        let others: Vec<&ParticipantProfile> = ps.iter().filter(|o| o.user_id != me).collect();
        let other_names: Vec<&str> = others.iter().map(|o| o.first_name()).collect();
        let my_topics = by_speaker
            .get(me)
            .map(|c| top_topics(c, 5))
            .unwrap_or_default();

        // Action items: mine first.
        let mut my_actions: Vec<ActionItem> = actions
            .iter()
            .filter(|a| a.owner_id.as_deref() == Some(me))
            .cloned()
            .collect();
        let mine = my_actions.len();
        my_actions.extend(
            actions
                .iter()
                .filter(|a| a.owner_id.as_deref() != Some(me))
                .cloned(),
        );

        // Recommendations.
        let mut recs: Vec<Recommendation> = Vec::new();
        for o in &others {
            let oid = o.user_id.as_str();
            let both = |ids: &[String]| ids.iter().any(|i| i == me) && ids.iter().any(|i| i == oid);
            let shared: Vec<String> = f
                .shared_interests
                .iter()
                .filter(|s| both(&s.user_ids))
                .map(|s| lower_first(&s.label))
                .collect();
            let skills: Vec<String> = f
                .shared_skills
                .iter()
                .filter(|s| both(&s.user_ids))
                .map(|s| s.label.clone())
                .collect();
            let helps_me: Vec<&crate::intelligence::profile::Complement> = f
                .complements
                .iter()
                .filter(|c| c.seeker_id == me && c.expert_id == oid)
                .collect();
            let i_help: Vec<&crate::intelligence::profile::Complement> = f
                .complements
                .iter()
                .filter(|c| c.seeker_id == oid && c.expert_id == me)
                .collect();
            let their_topics = by_speaker
                .get(oid)
                .map(|c| top_topics(c, 5))
                .unwrap_or_default();
            let common: Vec<String> = my_topics
                .iter()
                .filter(|t| {
                    let st = keywords::stem(t);
                    their_topics.iter().any(|x| keywords::stem(x) == st)
                })
                .take(3)
                .cloned()
                .collect();
            let on = o.first_name();
            let mut parts: Vec<String> = Vec::new();
            let mut basis: Vec<String> = Vec::new();
            if !shared.is_empty() {
                parts.push(format!(
                    "{on} shares your interest in {}",
                    join_names(&shared)
                ));
                basis.extend(shared.iter().cloned());
            }
            for c in helps_me.iter().take(2) {
                parts.push(format!(
                    "{on} knows {}, which fits your “{}”",
                    c.topic,
                    lower_first(&c.because)
                ));
                basis.push(c.topic.clone());
            }
            if let Some(c) = i_help.first() {
                parts.push(format!(
                    "your {} experience fits {on}'s “{}”",
                    c.topic,
                    lower_first(&c.because)
                ));
                basis.push(c.topic.clone());
            }
            if let Some(s) = skills.first() {
                parts.push(format!("you both work with {s}"));
                basis.push(s.clone());
            }
            if !common.is_empty() {
                parts.push(format!("you both talked about {}", join_names(&common)));
                basis.extend(common.iter().cloned());
            }
            if parts.is_empty() {
                continue;
            }
            let confidence = 0.3
                + 0.15 * shared.len().min(2) as f64
                + 0.2 * helps_me.len().min(2) as f64
                + 0.1 * i_help.len().min(1) as f64
                + 0.05 * skills.len().min(1) as f64
                + 0.05 * common.len().min(3) as f64;
            let mut rationale = parts.join("; ");
            rationale = format!("{}.", upper_first(&rationale));
            basis.dedup();
            basis.truncate(8);
            recs.push(Recommendation {
                user_id: oid.to_owned(),
                rationale: truncate_words(&rationale, 450),
                confidence: round3(confidence.min(0.95)),
                basis,
            });
        }
        recs.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.user_id.cmp(&b.user_id))
        });

        // Follow-ups.
        let mut follow: Vec<FollowUp> = Vec::new();
        for o in &others {
            let on = o.first_name();
            for a in actions
                .iter()
                .filter(|a| a.owner_id.as_deref() == Some(o.user_id.as_str()))
                .take(2)
            {
                let said = third_person(&a.text, on);
                let v = [
                    format!("Check in with {on} on: {said}"),
                    format!("{on} owns this; ask how it went: {said}"),
                ];
                let i = seed.pick(&format!("follow:{me}:{}", a.text), v.len());
                follow.push(FollowUp {
                    text: truncate_words(v.get(i).map_or(&v[0], |s| s), 450),
                    with_user_id: Some(o.user_id.clone()),
                });
            }
        }
        for a in actions.iter().filter(|a| a.owner_id.is_none()).take(2) {
            follow.push(FollowUp {
                text: truncate_words(&format!("Agree who owns: {}", a.text), 450),
                with_user_id: None,
            });
        }
        for r in &recs {
            if follow
                .iter()
                .any(|f| f.with_user_id.as_deref() == Some(r.user_id.as_str()))
            {
                continue;
            }
            if let Some(b) = r.basis.first() {
                let on = name(&r.user_id);
                let v = [
                    format!("Send {on} a note about {b}"),
                    format!("Write to {on} while it is fresh: {b}"),
                ];
                let i = seed.pick(&format!("note:{me}:{}", r.user_id), v.len());
                follow.push(FollowUp {
                    text: v.get(i).map_or(v[0].clone(), |s| s.clone()),
                    with_user_id: Some(r.user_id.clone()),
                });
            }
        }

        // Summary.
        let head = match (
            input.title.as_deref().map(str::trim),
            other_names.is_empty(),
        ) {
            (Some(t), false) if !t.is_empty() => format!("“{t}” with {}", join_names(&other_names)),
            (Some(t), true) if !t.is_empty() => format!("“{t}”"),
            (_, false) => format!("Your call with {}", join_names(&other_names)),
            (_, true) => "Your call".to_owned(),
        };
        let topic_list: Vec<&String> = topics.iter().take(3).collect();
        let mut summary = if topic_list.is_empty() {
            format!("{head}.")
        } else {
            let t = join_names(&topic_list);
            let v = [
                format!("{head}: you discussed {t}."),
                format!("{head} covered {t}."),
                format!("{head}, mostly about {t}."),
            ];
            let i = seed.pick(&format!("summary:{me}"), v.len());
            v.get(i).cloned().unwrap_or_default()
        };
        match decisions.as_slice() {
            [] => {}
            [d] => summary.push_str(&format!(
                " One decision: {}",
                ensure_period(&truncate_words(&d.text, 100))
            )),
            ds => summary.push_str(&format!(
                " {} decisions, including: {}",
                ds.len(),
                ensure_period(&truncate_words(&ds[0].text, 100))
            )),
        }
        if !actions.is_empty() {
            let n = actions.len();
            summary.push_str(&format!(
                " {n} action item{}, {mine} of them yours.",
                if n == 1 { "" } else { "s" }
            ));
        }
        match speaking.get(me) {
            Some(ms) if total_ms > 0 && *ms > 0 => {
                let pct = (*ms as f64 * 100.0 / total_ms as f64).round() as u64;
                summary.push_str(&format!(" You spoke for about {pct}% of the time."));
            }
            _ if total_ms > 0 => summary.push_str(" You mostly listened."),
            _ => {}
        }

        // Topics: the meeting's, then mine.
        let mut my_all_topics: Vec<String> = topics.clone();
        for t in &my_topics {
            if my_all_topics.len() >= 8 {
                break;
            }
            if !my_all_topics.contains(t) {
                my_all_topics.push(t.clone());
            }
        }
        my_all_topics.retain(|t| t.chars().count() <= 64);

        // Links.
        let mut links: BTreeSet<Link> = BTreeSet::new();
        let seg_link = |id: &String| Link {
            kind: LinkKind::Segment,
            id: id.clone(),
        };
        for d in &decisions {
            links.extend(d.segment_ids.iter().map(seg_link));
        }
        for a in &my_actions {
            links.extend(a.segment_ids.iter().map(seg_link));
        }
        for seg in input
            .segments
            .iter()
            .filter(|s| s.speaker_id == me)
            .take(20)
        {
            links.insert(seg_link(&seg.id));
        }
        for r in &recs {
            links.insert(Link {
                kind: LinkKind::Profile,
                id: r.user_id.clone(),
            });
        }
        if used_notes {
            links.insert(Link {
                kind: LinkKind::Notes,
                id: input.meeting_id.clone(),
            });
        }

        out.push(ParticipantInsights {
            user_id: me.to_owned(),
            summary: truncate_words(&summary, 480),
            topics: my_all_topics,
            decisions: decisions.clone(),
            action_items: my_actions,
            follow_ups: follow,
            recommendations: recs,
            links: links.into_iter().take(200).collect(),
        });
    }
    InsightsOutput { participants: out }
}

/// "I'll share the runbook" said by Bob -> "Bob will share the runbook".
fn third_person(text: &str, name: &str) -> String {
    for p in ["I'll ", "I’ll ", "I will ", "I can "] {
        if let Some(rest) = text.strip_prefix(p) {
            let verb = if p == "I can " { "can" } else { "will" };
            return format!("{name} {verb} {rest}");
        }
    }
    text.to_owned()
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn ensure_period(s: &str) -> String {
    if s.ends_with(['.', '!', '?', '…']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::generator::{GenerationParams, Generator, Task, TranscriptLine};
    use crate::intelligence::heuristic::Heuristic;
    use crate::intelligence::profile::fixtures::{alice, bob};

    fn seg(n: u32, who: &str, text: &str) -> TranscriptLine {
        TranscriptLine {
            id: format!("seg_m1_{n}"),
            speaker_id: who.into(),
            text: text.into(),
            start_ms: u64::from(n) * 10_000,
            end_ms: u64::from(n) * 10_000 + if who == "u_alice" { 8_000 } else { 4_000 },
        }
    }

    fn input(meeting: &str) -> InsightsInput {
        InsightsInput {
            meeting_id: meeting.into(),
            title: Some("Data team intro".into()),
            segments: vec![
                seg(1, "u_alice", "Thanks for making time. Our payments data pipelines keep failing at night."),
                seg(2, "u_bob", "We had the same with Kafka consumers. Batching the writes fixed most of it."),
                seg(3, "u_alice", "We agreed to move the nightly jobs to streaming. Alice will send the pipeline diagram by Friday."),
                seg(4, "u_bob", "I'll share our Kafka runbook tomorrow. Should we meet again?"),
                seg(5, "u_alice", "Let's go with a follow-up call in two weeks. Someone needs to book the room."),
            ],
            notes: "- [ ] Bob: intro Alice to the platform team\nDecision: pilot streaming on the payments pipeline".into(),
            participants: vec![alice(), bob()],
        }
    }

    fn run(i: &InsightsInput) -> InsightsOutput {
        let h = Heuristic::new(GenerationParams::default());
        let hash = h.request_hash(Task::Insights, i).unwrap();
        h.insights_now(i, &hash)
    }

    #[test]
    fn i23_decisions_and_action_items_with_owners() {
        let i = input("m1");
        let out = run(&i);
        assert!(out.validate(&i).is_ok(), "{:?}", out.validate(&i));
        let a = &out.participants[0];
        assert_eq!(a.user_id, "u_alice");
        let texts: Vec<&str> = a.decisions.iter().map(|d| d.text.as_str()).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("move the nightly jobs to streaming")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.contains("follow-up call")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.contains("pilot streaming")),
            "{texts:?}"
        );
        let item = |needle: &str| {
            a.action_items
                .iter()
                .find(|x| x.text.contains(needle))
                .unwrap_or_else(|| panic!("{needle}: {:#?}", a.action_items))
        };
        let deck = item("send the pipeline diagram");
        assert_eq!(deck.owner_id.as_deref(), Some("u_alice"));
        assert_eq!(deck.due.as_deref(), Some("by friday"));
        assert_eq!(deck.segment_ids, vec!["seg_m1_3"]);
        let runbook = item("Kafka runbook");
        assert_eq!(runbook.owner_id.as_deref(), Some("u_bob"));
        assert_eq!(runbook.due.as_deref(), Some("tomorrow"));
        assert_eq!(item("intro Alice").owner_id.as_deref(), Some("u_bob"));
        assert_eq!(item("book the room").owner_id, None);
        // An unowned decision is not also an action item.
        assert!(a
            .action_items
            .iter()
            .all(|x| !x.text.contains("follow-up call")));
        assert!(
            a.topics.iter().all(|t| t != "agreed" && t != "call"),
            "{:?}",
            a.topics
        );
        // Questions are not action items.
        assert!(a
            .action_items
            .iter()
            .all(|x| !x.text.contains("meet again")));
        // Alice's own items come first.
        assert_eq!(a.action_items[0].owner_id.as_deref(), Some("u_alice"));
    }

    #[test]
    fn i24_per_participant_summary_recommendations_and_links() {
        let i = input("m1");
        let out = run(&i);
        assert_eq!(out.participants.len(), 2);
        let (a, b) = (&out.participants[0], &out.participants[1]);
        assert!(
            a.summary.contains("Bob") && a.summary.contains("Data team intro"),
            "{}",
            a.summary
        );
        assert!(b.summary.contains("Alice"));
        assert!(a.summary.contains("of them yours"));
        assert!(
            a.summary.contains("You spoke for about 75%"),
            "{}",
            a.summary
        );
        assert!(
            a.topics
                .iter()
                .any(|t| t == "pipelines" || t == "kafka" || t == "streaming"),
            "{:?}",
            a.topics
        );
        assert!(a.topics.iter().all(|t| t != "alice" && t != "bob"));
        // Alice should meet Bob: shared climate tech, and he knows data engineering.
        let r = &a.recommendations[0];
        assert_eq!(r.user_id, "u_bob");
        assert!(
            r.rationale.contains("climate tech") && r.rationale.contains("Data engineering"),
            "{}",
            r.rationale
        );
        assert!(r.confidence > 0.6 && r.confidence <= 0.95);
        assert!(b.recommendations.iter().all(|r| r.user_id == "u_alice"));
        // Follow-ups: Alice checks in with Bob on his items.
        assert!(
            a.follow_ups
                .iter()
                .any(|f| f.with_user_id.as_deref() == Some("u_bob")
                    && f.text.contains("Bob will share our Kafka runbook")),
            "{:#?}",
            a.follow_ups
        );
        assert!(a
            .follow_ups
            .iter()
            .any(|f| f.with_user_id.is_none() && f.text.contains("book the room")));
        // Links: the decision and action segments, Bob's profile, the notes.
        for id in ["seg_m1_3", "seg_m1_5"] {
            assert!(
                a.links.contains(&Link {
                    kind: LinkKind::Segment,
                    id: id.into()
                }),
                "{id}"
            );
        }
        assert!(a.links.contains(&Link {
            kind: LinkKind::Profile,
            id: "u_bob".into()
        }));
        assert!(a.links.contains(&Link {
            kind: LinkKind::Notes,
            id: "m1".into()
        }));
        let cols = a.columns();
        let kinds: Vec<&str> = cols
            .recommendations
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"connection") && kinds.contains(&"follow_up"));
        assert_eq!(cols.action_items[0]["owner_id"], "u_alice");
    }

    #[test]
    fn i24_deterministic_and_seeded_by_meeting() {
        let i = input("m1");
        assert_eq!(run(&i), run(&i));
        let differs = (2..30).any(|n| {
            let mut j = input(&format!("m{n}"));
            j.meeting_id = format!("m{n}");
            let a = run(&j);
            let b = run(&i);
            a.participants[0].summary != b.participants[0].summary
                || a.participants[0].follow_ups != b.participants[0].follow_ups
        });
        assert!(differs);
    }

    #[test]
    fn i24_empty_meeting_still_valid() {
        let i = InsightsInput {
            meeting_id: "m".into(),
            title: None,
            segments: vec![],
            notes: String::new(),
            participants: vec![alice()],
        };
        let out = run(&i);
        assert!(out.validate(&i).is_ok());
        assert_eq!(out.participants[0].summary, "Your call.");
    }
}
