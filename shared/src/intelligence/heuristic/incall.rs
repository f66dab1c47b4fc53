//! In-call prompts (rule I22) for a lull or a topic shift. The topics are
//! the detector's current topics (or the recent transcript's keywords when
//! it gave none). For each topic the heuristic looks for the participant
//! whose profile knows it (skills, headline, experience, bio) and for the
//! quietest participant (lowest speaking share, under 60 % of an even
//! share); it then writes:
//!
//! - lull: ask the expert about the topic; invite the quiet participant
//!   in; go deeper on the topic with the second one; tie the topic to a
//!   shared interest or a complementary pair from the profiles;
//! - topic shift: bridge from the previous topics to the new one; ask the
//!   expert on the new topic; invite the quiet participant on it.
//!
//! Prompts already shown (`recent_prompts`) are never repeated. Relevance:
//! a base per template, the feedback rule (I12), a seeded ±0.02 jitter.
//!
//! [`pick_cached`] is the in-call fallback of I18: the best stored pre-call
//! prompt for the current topics.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::seed::Seed;
use super::text::{join_names, lower_first, round3, tags};
use crate::intelligence::feedback::RelevanceWeights;
use crate::intelligence::generator::{
    GenerationParams, IdeaKind, IncallInput, IncallOutput, PromptIdea, Trigger, MAX_CONTENT_CHARS,
};
use crate::intelligence::keywords::{self, TermCounts};
use crate::intelligence::profile::{features, truncate_words, ParticipantProfile};

/// The profile item of `p` that matches `topic`: a skill containing it, or
/// the topic itself when it is in their headline, experience or bio.
fn expertise_for(p: &ParticipantProfile, topic: &str) -> Option<String> {
    let t = keywords::stem_set(topic);
    if t.is_empty() {
        return None;
    }
    for s in &p.skills {
        let ss = keywords::stem_set(s);
        if t.iter().all(|x| ss.binary_search(x).is_ok()) {
            return Some(s.clone());
        }
    }
    p.knows(topic).then(|| topic.to_owned())
}

fn same_topic(a: &str, b: &str) -> bool {
    keywords::stem_set(a) == keywords::stem_set(b)
}

pub fn generate(input: &IncallInput, params: &GenerationParams, seed: &Seed) -> IncallOutput {
    let ps = &input.participants;
    let mut topics: Vec<String> = input
        .current_topics
        .iter()
        .filter(|t| !t.trim().is_empty())
        .cloned()
        .collect();
    if topics.is_empty() {
        let mut c = TermCounts::new();
        for l in &input.recent {
            c.add_text(&l.text);
        }
        topics = c.top(3).into_iter().map(|k| k.term).collect();
    }
    let share = |id: &str| input.speaking_ratios.get(id).copied().unwrap_or(0.0);
    let even = if ps.is_empty() {
        1.0
    } else {
        1.0 / ps.len() as f64
    };
    let quiet: Option<&ParticipantProfile> = ps
        .iter()
        .filter(|p| share(&p.user_id) < 0.6 * even)
        .min_by(|a, b| {
            share(&a.user_id)
                .total_cmp(&share(&b.user_id))
                .then_with(|| a.user_id.cmp(&b.user_id))
        });
    // Expert per topic: the quietest of those whose profile knows it.
    let expert = |topic: &str| -> Option<(&ParticipantProfile, String)> {
        ps.iter()
            .filter_map(|p| expertise_for(p, topic).map(|e| (p, e)))
            .min_by(|a, b| {
                share(&a.0.user_id)
                    .total_cmp(&share(&b.0.user_id))
                    .then_with(|| a.0.user_id.cmp(&b.0.user_id))
            })
    };
    let f = features(ps);
    let reason = input.trigger.reason();
    let mut out: Vec<(IdeaKind, String, Vec<String>, f64)> = Vec::new();
    let mut push = |kind: IdeaKind, salt: &str, variants: &[String], tg: Vec<String>, base: f64| {
        let i = seed.pick(salt, variants.len());
        if let Some(text) = variants.get(i) {
            let jitter = (seed.unit(&format!("jitter:{salt}")) - 0.5) * 0.04;
            let mut all = vec![reason.to_owned()];
            all.extend(tg);
            out.push((
                kind,
                truncate_words(text, MAX_CONTENT_CHARS - 20),
                tags(&all, 5),
                base + jitter,
            ));
        }
    };

    match &input.trigger {
        Trigger::Lull { .. } => {
            for (i, t) in topics.iter().take(2).enumerate() {
                // The first topic is the most current.
                let later = 0.05 * i as f64;
                if let Some((p, skill)) = expert(t) {
                    let a = p.first_name();
                    let variants = if same_topic(&skill, t) {
                        vec![
                            format!("{a}, {skill} is in your background: how would you approach it here?"),
                            format!("{a}, what has your experience with {skill} taught you that applies here?"),
                            format!("{a}, what is the part of {skill} people usually get wrong?"),
                        ]
                    } else {
                        vec![
                            format!("{a}, you have worked with {skill}: how would you approach {t}?"),
                            format!("{a}, from your {skill} experience, what is the part of {t} people usually get wrong?"),
                            format!("{a}, what has {skill} taught you that applies to {t}?"),
                        ]
                    };
                    push(
                        IdeaKind::Question,
                        &format!("lull-expert:{i}"),
                        &variants,
                        vec![t.clone(), "expertise".into()],
                        0.8 - later,
                    );
                }
                if let Some(q) = quiet {
                    let a = q.first_name();
                    push(
                        IdeaKind::Question,
                        &format!("lull-quiet:{i}"),
                        &[
                            format!("{a}, we have not heard your take on {t} yet: what is your experience?"),
                            format!("{a}, how does {t} look from where you sit?"),
                        ],
                        vec![t.clone(), "inclusion".into()],
                        0.7 - later + if expertise_for(q, t).is_some() { 0.1 } else { 0.0 },
                    );
                }
            }
            if let [t1, t2, ..] = topics.as_slice() {
                push(
                    IdeaKind::Question,
                    "lull-deepen",
                    &[
                        format!("How do {t1} and {t2} connect for each of you?"),
                        format!("Going deeper on {t1}: what would change if {t2} were solved?"),
                    ],
                    vec![t1.clone(), t2.clone()],
                    0.6,
                );
            } else if let Some(t) = topics.first() {
                push(
                    IdeaKind::Question,
                    "lull-deepen",
                    &[
                        format!("What is one concrete example of {t} from your own work?"),
                        format!("What would you do differently about {t} if you started again?"),
                    ],
                    vec![t.clone()],
                    0.55,
                );
            }
            if let Some(s) = f.shared_interests.first() {
                let names: Vec<&str> = s
                    .user_ids
                    .iter()
                    .filter_map(|id| ps.iter().find(|p| &p.user_id == id))
                    .map(|p| p.first_name())
                    .collect();
                let names = join_names(&names);
                let label = lower_first(&s.label);
                let text = match topics.first() {
                    Some(t) => vec![
                        format!("{names}, you both follow {label}: how does {t} play out there?"),
                        format!("Link it to {label}, an interest {names} share: where does {t} fit?"),
                    ],
                    None => vec![
                        format!("{names}, you both follow {label}: what is the latest thing you learned about it?"),
                    ],
                };
                push(
                    IdeaKind::Starter,
                    "lull-shared",
                    &text,
                    vec![s.key.clone(), "shared-interest".into()],
                    0.65,
                );
            }
            if let Some(m) = f.complements.first() {
                let name = |id: &str| {
                    ps.iter()
                        .find(|p| p.user_id == id)
                        .map_or(id.to_owned(), |p| p.first_name().to_owned())
                };
                let (s, e) = (name(&m.seeker_id), name(&m.expert_id));
                push(
                    IdeaKind::Starter,
                    "lull-complement",
                    &[
                        format!("{s} is working towards “{}”. {e}, what is one thing you would suggest from your {} experience?", lower_first(&m.because), m.topic),
                        format!("{e}, {s} is after “{}”: what worked for you with {}?", lower_first(&m.because), m.topic),
                    ],
                    vec![m.topic.clone(), "complementary".into()],
                    0.7,
                );
            }
        }
        Trigger::TopicShift { previous_topics } => {
            let prev: Vec<&String> = previous_topics.iter().take(2).collect();
            if let Some(cur) = topics.first() {
                if !prev.is_empty() {
                    let p = join_names(&prev);
                    push(
                        IdeaKind::Question,
                        "shift-bridge",
                        &[
                            format!("The talk moved from {p} to {cur}: anything to settle on {p} before going on?"),
                            format!("Before going further on {cur}: is there a next step to agree on {p}?"),
                        ],
                        vec![cur.clone()],
                        0.7,
                    );
                }
                if let Some((x, skill)) = expert(cur) {
                    let a = x.first_name();
                    let variants = if same_topic(&skill, cur) {
                        vec![
                            format!("{a}, you know {skill} well: what has worked for you?"),
                            format!("{a}, {skill} is in your background: what should everyone know about it?"),
                        ]
                    } else {
                        vec![
                            format!("{a}, {cur} is close to your {skill} background: what has worked for you?"),
                            format!("{a}, you know {skill}: what should everyone know about {cur}?"),
                        ]
                    };
                    push(
                        IdeaKind::Question,
                        "shift-expert",
                        &variants,
                        vec![cur.clone(), "expertise".into()],
                        0.85,
                    );
                }
                if let Some(q) = quiet {
                    let a = q.first_name();
                    push(
                        IdeaKind::Question,
                        "shift-quiet",
                        &[
                            format!(
                                "{a}, now that we are on {cur}: how does it look from your side?"
                            ),
                            format!("{a}, what is your experience with {cur}?"),
                        ],
                        vec![cur.clone(), "inclusion".into()],
                        0.65,
                    );
                }
                let rest: Vec<&String> = topics.iter().skip(1).take(2).collect();
                if !rest.is_empty() {
                    push(
                        IdeaKind::Question,
                        "shift-scope",
                        &[format!(
                            "On {cur}: which matters most right now, {}?",
                            join_names(&rest)
                        )],
                        vec![cur.clone()],
                        0.55,
                    );
                }
            }
        }
    }

    let shown: BTreeSet<String> = input
        .recent_prompts
        .iter()
        .map(|p| {
            p.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .collect();
    let mut prompts: Vec<PromptIdea> = Vec::new();
    for (kind, content, tags, base) in out {
        let norm = content
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if shown.contains(&norm) {
            continue;
        }
        let idea = PromptIdea {
            kind,
            relevance: round3(input.weights.adjust(base, &tags)),
            content,
            tags,
        };
        if !prompts.iter().any(|p| p.dedupe_key() == idea.dedupe_key()) {
            prompts.push(idea);
        }
    }
    super::precall::rank(&mut prompts);
    prompts.truncate(params.max_items as usize);
    IncallOutput { prompts }
}

/// A stored pre-call prompt, a candidate for promotion when generation
/// fails in-call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedPrompt {
    pub id: String,
    pub content: String,
    pub tags: Vec<String>,
    pub relevance: f64,
}

/// The best cached prompt for the current topics (I18): relevance adjusted
/// by feedback (I12), plus 0.1 per current topic its text or tags mention;
/// prompts in `exclude_ids` (already promoted or shown) are skipped; ties by
/// id.
pub fn pick_cached<'a>(
    candidates: &'a [CachedPrompt],
    topics: &[String],
    weights: &RelevanceWeights,
    exclude_ids: &[String],
) -> Option<&'a CachedPrompt> {
    let topic_stems: Vec<Vec<String>> = topics.iter().map(|t| keywords::stem_set(t)).collect();
    let score = |c: &CachedPrompt| {
        let mut text = keywords::stem_set(&c.content);
        text.extend(
            c.tags
                .iter()
                .flat_map(|t| keywords::stem_set(&t.replace('-', " "))),
        );
        text.sort();
        text.dedup();
        let hits = topic_stems
            .iter()
            .filter(|t| !t.is_empty() && t.iter().all(|s| text.binary_search(s).is_ok()))
            .count();
        weights.adjust(c.relevance, &c.tags) + 0.1 * hits as f64
    };
    candidates
        .iter()
        .filter(|c| !exclude_ids.contains(&c.id))
        .max_by(|a, b| score(a).total_cmp(&score(b)).then_with(|| b.id.cmp(&a.id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::generator::{Generator, Task, TranscriptLine};
    use crate::intelligence::heuristic::Heuristic;
    use crate::intelligence::lull::LullKind;
    use crate::intelligence::profile::fixtures::{alice, bob};
    use std::collections::BTreeMap;

    fn line(i: u32, who: &str, text: &str) -> TranscriptLine {
        TranscriptLine {
            id: i.to_string(),
            speaker_id: who.into(),
            text: text.into(),
            start_ms: u64::from(i) * 5_000,
            end_ms: u64::from(i) * 5_000 + 4_000,
        }
    }

    fn input(meeting: &str, trigger: Trigger, topics: &[&str]) -> IncallInput {
        IncallInput {
            meeting_id: meeting.into(),
            trigger,
            recent: vec![
                line(1, "u_alice", "Our pipelines keep breaking when Kafka lags."),
                line(2, "u_alice", "The data engineering backlog is huge."),
            ],
            current_topics: topics.iter().map(|s| s.to_string()).collect(),
            participants: vec![alice(), bob()],
            speaking_ratios: BTreeMap::from([("u_alice".into(), 0.9), ("u_bob".into(), 0.1)]),
            recent_prompts: vec![],
            weights: RelevanceWeights::new(),
        }
    }

    fn run(i: &IncallInput) -> IncallOutput {
        let h = Heuristic::new(GenerationParams::default());
        let hash = h.request_hash(Task::Incall, i).unwrap();
        h.incall_now(i, &hash)
    }

    #[test]
    fn i22_lull_prompt_names_the_expert_and_the_topic() {
        let i = input(
            "m1",
            Trigger::Lull {
                kind: LullKind::Silence,
            },
            &["kafka", "pipelines"],
        );
        let out = run(&i);
        assert!(out.validate().is_ok());
        assert!(!out.prompts.is_empty());
        let top = &out.prompts[0];
        // Bob knows Kafka and is the quiet one.
        assert!(top.content.contains("Bob"), "{out:#?}");
        assert!(
            top.content.contains("Kafka") || top.content.contains("kafka"),
            "{out:#?}"
        );
        assert!(top.tags.contains(&"lull".to_owned()));
        assert!(out.prompts.iter().all(|p| p.tags[0] == "lull"));
        assert_eq!(run(&i), out);
    }

    #[test]
    fn i22_topic_shift_bridges_previous_and_current_topics() {
        let i = input(
            "m1",
            Trigger::TopicShift {
                previous_topics: vec!["pricing".into()],
            },
            &["hiring", "engineers"],
        );
        let out = run(&i);
        assert!(
            out.prompts
                .iter()
                .any(|p| p.content.contains("pricing") && p.content.contains("hiring")),
            "{out:#?}"
        );
        // Bob lists Hiring as a skill.
        assert!(out
            .prompts
            .iter()
            .any(|p| p.content.starts_with("Bob") && p.tags.contains(&"expertise".to_owned())));
        assert!(out.prompts.iter().all(|p| p.tags[0] == "topic-shift"));
    }

    #[test]
    fn i22_never_repeats_a_shown_prompt_and_differs_by_meeting() {
        let i = input(
            "m1",
            Trigger::Lull {
                kind: LullKind::SlowTalk,
            },
            &["kafka"],
        );
        let first = run(&i);
        let mut again = i.clone();
        again.recent_prompts = vec![first.prompts[0].content.clone()];
        let second = run(&again);
        assert!(second
            .prompts
            .iter()
            .all(|p| p.content != first.prompts[0].content));
        let other = (2..20)
            .map(|n| {
                run(&input(
                    &format!("m{n}"),
                    Trigger::Lull {
                        kind: LullKind::SlowTalk,
                    },
                    &["kafka"],
                ))
            })
            .any(|o| o != first);
        assert!(other);
    }

    #[test]
    fn i22_topics_fall_back_to_transcript_keywords() {
        let out = run(&input(
            "m1",
            Trigger::Lull {
                kind: LullKind::Silence,
            },
            &[],
        ));
        let words = [
            "backlog",
            "breaking",
            "data",
            "kafka",
            "pipelines",
            "engineering",
            "lags",
        ];
        assert!(!out.prompts.is_empty());
        assert!(
            out.prompts.iter().all(
                |p| words.iter().any(|w| p.content.to_lowercase().contains(w))
                    || p.tags.contains(&"shared-interest".to_owned())
                    || p.tags.contains(&"complementary".to_owned())
            ),
            "{out:#?}"
        );
    }

    #[test]
    fn i18_pick_cached_prefers_the_current_topic() {
        let c = |id: &str, content: &str, tags: &[&str], r: f64| CachedPrompt {
            id: id.into(),
            content: content.into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            relevance: r,
        };
        let cands = vec![
            c(
                "p1",
                "Compare notes on climate tech",
                &["climate-tech"],
                0.8,
            ),
            c(
                "p2",
                "Bob on data engineering for Alice",
                &["data-engineering"],
                0.75,
            ),
        ];
        let w = RelevanceWeights::new();
        assert_eq!(
            pick_cached(&cands, &[], &w, &[]).map(|p| p.id.as_str()),
            Some("p1")
        );
        let topics = vec!["engineering".to_owned()];
        assert_eq!(
            pick_cached(&cands, &topics, &w, &[]).map(|p| p.id.as_str()),
            Some("p2")
        );
        assert_eq!(
            pick_cached(&cands, &topics, &w, &["p2".into()]).map(|p| p.id.as_str()),
            Some("p1")
        );
        assert!(pick_cached(&[], &topics, &w, &[]).is_none());
    }
}
