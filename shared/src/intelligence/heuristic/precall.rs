//! Pre-call ideas (rule I21): agenda items, questions and conversation
//! starters from the participants' shared and complementary features
//! (I15), the meeting title and description, and each person's goals.
//! Every candidate names the people and the interests, skills or words it
//! comes from, and is tagged with them; relevance is a base per kind of
//! evidence (complementary > shared interest > goals > shared skill >
//! profile overlap > intro), a ±0.02 seeded jitter, then the feedback rule
//! (I12). The best of each kind is kept first, then the most relevant, up
//! to `max_items`.

use std::collections::BTreeMap;

use super::seed::Seed;
use super::text::{join_names, lower_first, round3, tags};
use crate::intelligence::generator::{
    GenerationParams, IdeaKind, PrecallInput, PrecallOutput, PromptIdea, MAX_CONTENT_CHARS,
};
use crate::intelligence::keywords;
use crate::intelligence::profile::{features, truncate_words, ParticipantProfile};

struct Candidates<'a> {
    seed: &'a Seed,
    out: Vec<(IdeaKind, String, Vec<String>, f64)>,
    /// How many candidates each family (the salt before ':') has produced.
    families: BTreeMap<String, u32>,
}

impl Candidates<'_> {
    /// Adds one of `variants`, chosen by the seed under `salt`.
    fn push<T: AsRef<str>>(
        &mut self,
        kind: IdeaKind,
        salt: &str,
        variants: &[String],
        raw_tags: &[T],
        base: f64,
    ) {
        let i = self.seed.pick(salt, variants.len());
        if let Some(text) = variants.get(i) {
            let jitter = (self.seed.unit(&format!("jitter:{salt}")) - 0.5) * 0.04;
            // Variety: each further candidate of a family ranks 0.08 lower.
            let family = salt.split(':').next().unwrap_or(salt).to_owned();
            let n = self.families.entry(family).or_insert(0);
            let repeat = 0.08 * f64::from(*n);
            *n += 1;
            self.out.push((
                kind,
                truncate_words(text, MAX_CONTENT_CHARS - 20),
                tags(raw_tags, 5),
                base + jitter - repeat,
            ));
        }
    }
}

fn names_of(by_id: &BTreeMap<&str, &ParticipantProfile>, ids: &[String]) -> String {
    let names: Vec<&str> = ids
        .iter()
        .map(|id| {
            by_id
                .get(id.as_str())
                .map_or(id.as_str(), |p| p.first_name())
        })
        .collect();
    join_names(&names)
}

pub fn generate(input: &PrecallInput, params: &GenerationParams, seed: &Seed) -> PrecallOutput {
    let ps = &input.participants;
    let by_id: BTreeMap<&str, &ParticipantProfile> =
        ps.iter().map(|p| (p.user_id.as_str(), p)).collect();
    let name = |id: &str| by_id.get(id).map_or(id, |p| p.first_name()).to_owned();
    let everyone: Vec<&str> = ps.iter().map(|p| p.first_name()).collect();
    let everyone = join_names(&everyone);
    let f = features(ps);
    let mut c = Candidates {
        seed,
        out: Vec::new(),
        families: BTreeMap::new(),
    };

    // Introductions, with headlines.
    if !ps.is_empty() {
        let who: Vec<String> = ps
            .iter()
            .map(|p| match p.headline.as_deref().map(str::trim) {
                Some(h) if !h.is_empty() => {
                    format!("{} ({})", p.first_name(), truncate_words(h, 60))
                }
                _ => p.first_name().to_owned(),
            })
            .collect();
        let who = join_names(&who);
        c.push(
            IdeaKind::Agenda,
            "intro",
            &[
                format!("Introductions: {who}, two minutes each on what you are focused on right now"),
                format!("Open with a quick round from {who}: current role, and one thing you hope to get from this call"),
                format!("Start with introductions from {who}: what you work on and why you accepted this call"),
            ],
            &["intro"],
            0.55,
        );
    }

    // The meeting's own title and description.
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(t) = title {
        let kws: Vec<String> = keywords::extract(t, 2)
            .into_iter()
            .map(|k| k.term)
            .collect();
        let mut tg = vec!["goal".to_owned()];
        tg.extend(kws);
        c.push(
            IdeaKind::Agenda,
            "title",
            &[
                format!("Agree on what “{t}” should produce for {everyone}"),
                format!(
                    "Set the goal for “{t}”: what would make this call a success for {everyone}?"
                ),
            ],
            &tg,
            0.72,
        );
    }
    if let Some(d) = input
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        let kws: Vec<String> = keywords::extract(d, 3)
            .into_iter()
            .map(|k| k.term)
            .collect();
        if !kws.is_empty() {
            let list = join_names(&kws);
            c.push(
                IdeaKind::Agenda,
                "description",
                &[
                    format!("Cover the points from the invite: {list}"),
                    format!("Walk through {list}, as the invite describes"),
                ],
                &kws,
                0.7,
            );
        }
    }

    // Complementary pairs: one knows what the other wants.
    for (i, m) in f.complements.iter().take(4).enumerate() {
        let (s, e, topic) = (name(&m.seeker_id), name(&m.expert_id), &m.topic);
        let because = lower_first(&m.because);
        let same = keywords::stem_set(&because) == keywords::stem_set(topic);
        let tg = [topic.as_str(), "complementary"];
        c.push(
            IdeaKind::Agenda,
            &format!("complement-agenda:{i}"),
            &[
                if same {
                    format!("{e} shares what they know about {topic}, an interest of {s}'s")
                } else {
                    format!("{e} shares what they know about {topic}, which fits {s}'s “{because}”")
                },
                if same {
                    format!("Trade expertise: {e} on {topic}, which {s} is interested in")
                } else {
                    format!("Trade expertise: {e} on {topic}, for {s}'s “{because}”")
                },
            ],
            &tg,
            0.8,
        );
        let first = if same {
            format!("{s}, what would you most like to learn about {because}? {e} works with it.")
        } else {
            format!("{s}, what is the hardest part of “{because}” right now? {e} has worked on {topic}.")
        };
        c.push(
            IdeaKind::Question,
            &format!("complement-question:{i}"),
            &[
                first,
                format!("{e}, if you were in {s}'s place, where would you start with {topic}?"),
                format!("{e}, what do you wish you had known earlier about {topic}? {s} is working towards “{because}”."),
            ],
            &tg,
            0.85,
        );
    }

    // Shared interests.
    for s in f.shared_interests.iter().take(3) {
        let names = names_of(&by_id, &s.user_ids);
        let label = &s.label;
        let lower = lower_first(label);
        let bonus = 0.05 * (s.user_ids.len().saturating_sub(2) as f64);
        let tg = [s.key.as_str(), "shared-interest"];
        c.push(
            IdeaKind::Agenda,
            &format!("interest-agenda:{}", s.key),
            &[
                format!("Compare notes on {lower}: what {names} are each doing in it today"),
                format!("{label}, an interest {names} share: trade one recent lesson each"),
                format!("Spend five minutes on {lower}, which {names} all list as an interest"),
            ],
            &tg,
            0.8 + bonus,
        );
        c.push(
            IdeaKind::Question,
            &format!("interest-question:{}", s.key),
            &[
                format!("{names}, what first drew you to {lower}, and where do you see it heading this year?"),
                format!("What is the most interesting thing happening in {lower} right now, for {names}?"),
                format!("{names}: which {lower} project or company would you point each other to?"),
            ],
            &tg,
            0.75 + bonus,
        );
    }

    // Interests in the same category.
    for s in f.shared_categories.iter().take(2) {
        let parts: Vec<String> = s
            .user_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()))
            .map(|p| {
                let labels: Vec<&str> = p
                    .interests
                    .iter()
                    .filter(|i| i.category == s.label)
                    .map(|i| i.label.as_str())
                    .collect();
                format!("{} follows {}", p.first_name(), join_names(&labels))
            })
            .collect();
        let parts = join_names(&parts);
        let cat = lower_first(&s.label);
        c.push(
            IdeaKind::Starter,
            &format!("category:{}", s.key),
            &[
                format!("{parts}: all {cat}. Where do they overlap?"),
                format!("{parts}. What does each of you see from your corner of {cat}?"),
            ],
            &[s.label.as_str(), "shared-category"],
            0.6,
        );
    }

    // Shared skills.
    for s in f.shared_skills.iter().take(2) {
        let names = names_of(&by_id, &s.user_ids);
        let skill = &s.label;
        c.push(
            IdeaKind::Starter,
            &format!("skill:{}", s.key),
            &[
                format!("You both work with {skill}, {names}: compare the tools and habits that work for you"),
                format!("{names} all list {skill}: what is one {skill} practice you would recommend to each other?"),
            ],
            &[skill.as_str(), "shared-skill"],
            0.65,
        );
    }

    // Words several profiles use.
    for s in f.shared_keywords.iter().take(3) {
        let names = names_of(&by_id, &s.user_ids);
        let kw = &s.label;
        c.push(
            IdeaKind::Starter,
            &format!("keyword:{}", s.key),
            &[
                format!(
                    "Your profiles both mention {kw}: {names}, how does {kw} show up in your work?"
                ),
                format!(
                    "{names}, your profiles both talk about {kw}; swap a recent story about it"
                ),
            ],
            &[kw.as_str(), "profile-overlap"],
            0.6,
        );
    }

    // Each person's goals.
    for p in ps {
        if let Some(g) = p.goal_snippet(120) {
            let a = p.first_name();
            let lg = lower_first(&g);
            let mut tg = vec!["goals".to_owned()];
            tg.extend(keywords::extract(&g, 2).into_iter().map(|k| k.term));
            c.push(
                IdeaKind::Question,
                &format!("goal:{}", p.user_id),
                &[
                    format!("{a}, your profile says you want to {lg}: what would make this call useful for that?"),
                    format!("{a}, on “{g}”: what is the next step, and who could help?"),
                ],
                &tg,
                0.7,
            );
        }
    }

    // A shared language other than English.
    if let Some(s) = f
        .shared_languages
        .iter()
        .find(|l| l.key != "english" && l.key != "en")
    {
        let names = names_of(&by_id, &s.user_ids);
        c.push(
            IdeaKind::Starter,
            &format!("language:{}", s.key),
            &[format!(
                "{names} all speak {}: any community or event in that language worth sharing?",
                s.label
            )],
            &["language", s.label.as_str()],
            0.35,
        );
    }

    // Nothing connects them yet: start from each profile's own words.
    if f.is_empty() {
        for p in ps {
            let a = p.first_name();
            let kws: Vec<String> = p
                .profile_terms()
                .top(2)
                .into_iter()
                .map(|k| k.term)
                .collect();
            if kws.is_empty() {
                let others: Vec<&str> = ps
                    .iter()
                    .filter(|o| o.user_id != p.user_id)
                    .map(|o| o.first_name())
                    .collect();
                if !others.is_empty() {
                    c.push(
                        IdeaKind::Question,
                        &format!("open:{}", p.user_id),
                        &[format!(
                            "{a}, what are you hoping to get out of meeting {}?",
                            join_names(&others)
                        )],
                        &["intro"],
                        0.4,
                    );
                }
            } else {
                let list = join_names(&kws);
                c.push(
                    IdeaKind::Starter,
                    &format!("profile:{}", p.user_id),
                    &[
                        format!(
                            "{a}, your profile mentions {list}: what are you working on there?"
                        ),
                        format!("Ask {a} about {list}, from their profile"),
                    ],
                    &kws,
                    0.5,
                );
            }
        }
    }

    // Close.
    let focus = f
        .complements
        .first()
        .map(|m| m.topic.clone())
        .or_else(|| f.shared_interests.first().map(|s| lower_first(&s.label)))
        .or_else(|| title.map(|t| format!("“{t}”")));
    if let Some(focus) = focus {
        c.push(
            IdeaKind::Agenda,
            "close",
            &[
                format!("Close with next steps on {focus}: who follows up with whom, and when"),
                format!("Before you hang up, {everyone}: one concrete next step each on {focus}"),
            ],
            &["next-steps"],
            0.5,
        );
    }

    select(c.out, input, params)
}

/// Applies the feedback rule, removes duplicates, keeps the best of each
/// kind first and fills up to `max_items` by relevance.
fn select(
    raw: Vec<(IdeaKind, String, Vec<String>, f64)>,
    input: &PrecallInput,
    params: &GenerationParams,
) -> PrecallOutput {
    let mut ideas: Vec<PromptIdea> = Vec::new();
    for (kind, content, tags, base) in raw {
        let idea = PromptIdea {
            kind,
            relevance: round3(input.weights.adjust(base, &tags)),
            content,
            tags,
        };
        if !ideas.iter().any(|i| i.dedupe_key() == idea.dedupe_key()) {
            ideas.push(idea);
        }
    }
    rank(&mut ideas);
    let max = params.max_items as usize;
    let mut chosen: Vec<PromptIdea> = Vec::new();
    for kind in [IdeaKind::Agenda, IdeaKind::Question, IdeaKind::Starter] {
        if chosen.len() < max {
            if let Some(pos) = ideas.iter().position(|i| i.kind == kind) {
                chosen.push(ideas.remove(pos));
            }
        }
    }
    let room = max.saturating_sub(chosen.len());
    chosen.extend(ideas.into_iter().take(room));
    rank(&mut chosen);
    PrecallOutput { ideas: chosen }
}

/// Most relevant first; ties by content (deterministic).
pub fn rank(ideas: &mut [PromptIdea]) {
    ideas.sort_by(|a, b| {
        b.relevance
            .total_cmp(&a.relevance)
            .then_with(|| a.content.cmp(&b.content))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::feedback::{Reaction, RelevanceWeights};
    use crate::intelligence::generator::{Generator, Task};
    use crate::intelligence::heuristic::Heuristic;
    use crate::intelligence::profile::fixtures::{alice, bob};

    fn input(meeting_id: &str) -> PrecallInput {
        PrecallInput {
            meeting_id: meeting_id.into(),
            title: Some("Scaling data teams".into()),
            description: None,
            participants: vec![alice(), bob()],
            weights: RelevanceWeights::new(),
        }
    }

    fn run(input: &PrecallInput) -> PrecallOutput {
        let h = Heuristic::new(GenerationParams::default());
        let hash = h.request_hash(Task::Precall, input).unwrap();
        h.precall_now(input, &hash)
    }

    #[test]
    fn i21_shared_interests_are_visible_in_text_and_tags() {
        let out = run(&input("mtg_1"));
        assert!(out.validate().is_ok());
        assert_eq!(out.ideas.len(), 8);
        assert!(
            out.ideas
                .iter()
                .any(|i| i.tags.contains(&"climate-tech".to_owned())
                    && i.content.to_lowercase().contains("climate tech")),
            "{out:#?}"
        );
        // The complementary pair is named, with the skill.
        assert!(out
            .ideas
            .iter()
            .any(|i| i.tags.contains(&"complementary".to_owned())
                && i.content.contains("Data engineering")
                && (i.content.contains("Bob") || i.content.contains("Alice"))));
        for kind in [IdeaKind::Agenda, IdeaKind::Question, IdeaKind::Starter] {
            assert!(out.ideas.iter().any(|i| i.kind == kind), "{kind:?}");
        }
        assert!(out
            .ideas
            .windows(2)
            .all(|w| w[0].relevance >= w[1].relevance));
        // Every idea carries a term from the inputs: a name, interest, skill or title word.
        for i in &out.ideas {
            let t = i.content.to_lowercase();
            assert!(
                [
                    "alice", "bob", "climate", "data", "product", "payments", "scaling",
                    "engineer", "hire", "kafka"
                ]
                .iter()
                .any(|w| t.contains(w)),
                "{}",
                i.content
            );
        }
    }

    #[test]
    fn i21_deterministic_for_the_same_inputs() {
        assert_eq!(run(&input("mtg_1")), run(&input("mtg_1")));
    }

    #[test]
    fn i21_different_meetings_get_different_outputs() {
        let a = run(&input("mtg_1"));
        let b = run(&input("mtg_2"));
        assert_ne!(a, b);
    }

    #[test]
    fn i21_feedback_demotes_a_dismissed_tag() {
        let base = run(&input("mtg_1"));
        let pos = |o: &PrecallOutput| {
            o.ideas
                .iter()
                .position(|i| i.tags.contains(&"shared-interest".to_owned()))
        };
        let tags = ["shared-interest".to_owned()];
        let mut inp = input("mtg_1");
        inp.weights = RelevanceWeights::from_reactions(std::iter::repeat_n(
            (&tags[..], Reaction::Dismissed),
            6,
        ));
        let after = run(&inp);
        let before_rank = pos(&base).unwrap();
        let after_rank = pos(&after).map_or(usize::MAX, |p| p);
        assert!(after_rank > before_rank, "{before_rank} -> {after_rank}");
    }

    #[test]
    fn i21_strangers_still_get_ideas_from_their_own_profiles() {
        let mut a = alice();
        a.interests.clear();
        a.skills = vec!["Sailing".into()];
        a.goals = None;
        a.bio = Some("Sailing instructor".into());
        a.headline = None;
        a.experience = None;
        a.languages.clear();
        let b = crate::intelligence::profile::ParticipantProfile {
            user_id: "u_zed".into(),
            display_name: "Zed".into(),
            ..Default::default()
        };
        let inp = PrecallInput {
            meeting_id: "m".into(),
            title: None,
            description: None,
            participants: vec![a, b],
            weights: RelevanceWeights::new(),
        };
        let out = run(&inp);
        assert!(
            out.ideas.iter().any(|i| i.content.contains("sailing")),
            "{out:#?}"
        );
        assert!(out.ideas.iter().any(|i| i.content.contains("Zed")));
        assert!(out.validate().is_ok());
    }
}
