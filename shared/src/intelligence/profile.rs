//! Participant profiles as generation inputs (`profiles`, `interests`,
//! `user_interests`) and the features computed across a meeting's
//! participants (rule I15): shared interests (same interest key), shared
//! interest categories, shared skills and languages, profile keywords that
//! recur across people, and complementary pairs — one person's skill or
//! experience matches another's goals or interests, which they do not have
//! as a skill themselves.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::keywords::{self, TermCounts};

/// One row of `interests` a participant holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InterestRef {
    pub key: String,
    pub label: String,
    pub category: String,
}

/// A participant's profile as read from D1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantProfile {
    pub user_id: String,
    pub display_name: String,
    #[serde(default)]
    pub headline: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub goals: Option<String>,
    #[serde(default)]
    pub experience: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub interests: Vec<InterestRef>,
}

impl ParticipantProfile {
    /// The name to address them by: the first word of the display name.
    pub fn first_name(&self) -> &str {
        self.display_name
            .split_whitespace()
            .next()
            .unwrap_or(self.user_id.as_str())
    }

    fn text(parts: &[Option<&str>]) -> String {
        parts
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Stems of what they know: skills, headline, experience and bio.
    pub fn expertise_stems(&self) -> Vec<String> {
        let skills = self.skills.join(" ");
        keywords::stem_set(&Self::text(&[
            Some(skills.as_str()),
            self.headline.as_deref(),
            self.experience.as_deref(),
            self.bio.as_deref(),
        ]))
    }

    /// Stems of what they want: goals and interest labels.
    pub fn wants_stems(&self) -> Vec<String> {
        let labels: Vec<&str> = self.interests.iter().map(|i| i.label.as_str()).collect();
        let labels = labels.join(" ");
        keywords::stem_set(&Self::text(&[self.goals.as_deref(), Some(labels.as_str())]))
    }

    /// Term counts of the free-text fields.
    pub fn profile_terms(&self) -> TermCounts {
        TermCounts::from_text(&Self::text(&[
            self.headline.as_deref(),
            self.bio.as_deref(),
            self.goals.as_deref(),
            self.experience.as_deref(),
        ]))
    }

    /// Whether `topic` (a phrase) is among what they know.
    pub fn knows(&self, topic: &str) -> bool {
        keywords::phrase_in(topic, &self.expertise_stems())
    }

    /// The first sentence of their goals, at most `max` characters.
    pub fn goal_snippet(&self, max: usize) -> Option<String> {
        let g = self.goals.as_deref()?.trim();
        let first = g.split(['.', '\n', ';']).next().unwrap_or(g).trim();
        (!first.is_empty()).then(|| truncate_words(first, max))
    }
}

/// `s` cut at a word boundary to at most `max` characters (with "…" when cut).
pub fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    for w in s.split_whitespace() {
        if out.chars().count() + w.chars().count() + 1 > max.saturating_sub(1) {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.push('…');
    out
}

/// Something several participants have in common.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shared {
    /// Stable tag: the interest key, or the lowercased skill/language/term.
    pub key: String,
    /// What to show.
    pub label: String,
    pub user_ids: Vec<String>,
}

/// One participant can help another with `topic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complement {
    pub seeker_id: String,
    pub expert_id: String,
    /// The expert's skill or experience term (as written in their profile).
    pub topic: String,
    /// What the seeker wants (goal snippet or interest label).
    pub because: String,
}

/// The features of a group of participants (I15).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFeatures {
    pub shared_interests: Vec<Shared>,
    pub shared_categories: Vec<Shared>,
    pub shared_skills: Vec<Shared>,
    pub shared_languages: Vec<Shared>,
    pub shared_keywords: Vec<Shared>,
    pub complements: Vec<Complement>,
}

impl GroupFeatures {
    /// Whether anything connects the participants.
    pub fn is_empty(&self) -> bool {
        self.shared_interests.is_empty()
            && self.shared_categories.is_empty()
            && self.shared_skills.is_empty()
            && self.shared_keywords.is_empty()
            && self.complements.is_empty()
    }
}

/// Items held by at least two participants, most widely held first.
fn shared_by<F>(participants: &[ParticipantProfile], items: F) -> Vec<Shared>
where
    F: Fn(&ParticipantProfile) -> Vec<(String, String)>,
{
    let mut map: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for p in participants {
        for (key, label) in items(p) {
            map.entry(key)
                .or_insert_with(|| (label, BTreeSet::new()))
                .1
                .insert(p.user_id.clone());
        }
    }
    let mut out: Vec<Shared> = map
        .into_iter()
        .filter(|(_, (_, users))| users.len() >= 2)
        .map(|(key, (label, users))| Shared {
            key,
            label,
            user_ids: users.into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.user_ids
            .len()
            .cmp(&a.user_ids.len())
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Computes the group's features (I15). Deterministic in its input.
pub fn features(participants: &[ParticipantProfile]) -> GroupFeatures {
    let shared_interests = shared_by(participants, |p| {
        p.interests
            .iter()
            .map(|i| (i.key.clone(), i.label.clone()))
            .collect()
    });
    let shared_keys: BTreeSet<&str> = shared_interests.iter().map(|s| s.key.as_str()).collect();
    let shared_categories: Vec<Shared> = shared_by(participants, |p| {
        p.interests
            .iter()
            .filter(|i| !shared_keys.contains(i.key.as_str()) && !i.category.is_empty())
            .map(|i| {
                (
                    format!("category:{}", norm(&i.category)),
                    i.category.clone(),
                )
            })
            .collect()
    });
    let shared_skills = shared_by(participants, |p| {
        p.skills.iter().map(|s| (norm(s), s.clone())).collect()
    });
    let shared_languages = shared_by(participants, |p| {
        p.languages.iter().map(|s| (norm(s), s.clone())).collect()
    });
    // Profile words several people use, beyond interests and skills.
    let covered: BTreeSet<String> = shared_interests
        .iter()
        .map(|s| s.label.as_str())
        .chain(shared_skills.iter().map(|s| s.label.as_str()))
        .flat_map(keywords::stem_set)
        .collect();
    let mut all = TermCounts::new();
    for p in participants {
        all.merge(&p.profile_terms());
    }
    let mut shared_keywords = shared_by(participants, |p| {
        p.profile_terms()
            .top(usize::MAX)
            .into_iter()
            .filter(|k| !covered.contains(&k.stem))
            .map(|k| {
                let label = all.surface(&k.stem).unwrap_or(&k.term).to_owned();
                (k.stem, label)
            })
            .collect()
    });
    shared_keywords.truncate(8);

    let mut complements = Vec::new();
    let mut seen = BTreeSet::new();
    for seeker in participants {
        let wants = seeker.wants_stems();
        if wants.is_empty() {
            continue;
        }
        let own_skills: BTreeSet<String> = seeker.skills.iter().map(|s| norm(s)).collect();
        for expert in participants.iter().filter(|e| e.user_id != seeker.user_id) {
            // Skills first; headline/experience keywords (at most 2) only
            // when no skill matched.
            let skill_hit = expert
                .skills
                .iter()
                .any(|s| !own_skills.contains(&norm(s)) && keywords::phrase_in(s, &wants));
            let topics: Vec<String> = if skill_hit {
                expert.skills.clone()
            } else {
                let exp = ParticipantProfile::text(&[
                    expert.headline.as_deref(),
                    expert.experience.as_deref(),
                ]);
                keywords::extract(&exp, 8)
                    .into_iter()
                    .map(|k| k.term)
                    .filter(|t| keywords::phrase_in(t, &wants))
                    .take(2)
                    .collect()
            };
            for topic in topics {
                if own_skills.contains(&norm(&topic)) || !keywords::phrase_in(&topic, &wants) {
                    continue;
                }
                let topic_stems = keywords::stem_set(&topic);
                if !seen.insert((
                    seeker.user_id.clone(),
                    expert.user_id.clone(),
                    topic_stems.clone(),
                )) {
                    continue;
                }
                let because = seeker
                    .interests
                    .iter()
                    .find(|i| {
                        let l = keywords::stem_set(&i.label);
                        topic_stems.iter().all(|s| l.binary_search(s).is_ok())
                    })
                    .map(|i| i.label.clone())
                    .or_else(|| seeker.goal_snippet(80))
                    .unwrap_or_else(|| topic.clone());
                complements.push(Complement {
                    seeker_id: seeker.user_id.clone(),
                    expert_id: expert.user_id.clone(),
                    topic,
                    because,
                });
            }
        }
    }
    GroupFeatures {
        shared_interests,
        shared_categories,
        shared_skills,
        shared_languages,
        shared_keywords,
        complements,
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    fn interest(key: &str, label: &str, category: &str) -> InterestRef {
        InterestRef {
            key: key.into(),
            label: label.into(),
            category: category.into(),
        }
    }

    pub fn alice() -> ParticipantProfile {
        ParticipantProfile {
            user_id: "u_alice".into(),
            display_name: "Alice Martin".into(),
            headline: Some("Product lead at a fintech startup".into()),
            bio: Some("I build payments products and love climate tech.".into()),
            goals: Some(
                "Learn how to scale a data engineering team. Hire first ML engineer.".into(),
            ),
            experience: Some("Ten years in product management for payments".into()),
            languages: vec!["English".into(), "French".into()],
            skills: vec!["Product management".into(), "Payments".into()],
            interests: vec![
                interest("climate-tech", "Climate tech", "Industry"),
                interest("fintech", "Fintech", "Industry"),
                interest("data-engineering", "Data engineering", "Engineering"),
            ],
        }
    }

    pub fn bob() -> ParticipantProfile {
        ParticipantProfile {
            user_id: "u_bob".into(),
            display_name: "Bob Okafor".into(),
            headline: Some("Staff data engineer".into()),
            bio: Some(
                "Data platforms for payments companies; weekend climate tech volunteer.".into(),
            ),
            goals: Some("Move into product management.".into()),
            experience: Some(
                "Built streaming pipelines and hired a team of twelve engineers".into(),
            ),
            languages: vec!["English".into(), "Yoruba".into()],
            skills: vec!["Data engineering".into(), "Kafka".into(), "Hiring".into()],
            interests: vec![
                interest("climate-tech", "Climate tech", "Industry"),
                interest("mlops", "MLOps", "Engineering"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{alice, bob};
    use super::*;

    #[test]
    fn i15_shared_and_complementary_features() {
        let f = features(&[alice(), bob()]);
        assert_eq!(f.shared_interests.len(), 1);
        assert_eq!(f.shared_interests[0].key, "climate-tech");
        assert_eq!(f.shared_interests[0].user_ids, vec!["u_alice", "u_bob"]);
        assert!(f.shared_categories.iter().any(|c| c.label == "Engineering"));
        assert!(f.shared_languages.iter().any(|l| l.label == "English"));
        assert!(
            f.shared_keywords.iter().any(|k| k.label == "payments"),
            "{f:?}"
        );
        // Bob knows data engineering, which Alice wants to learn.
        assert!(f.complements.iter().any(|c| c.seeker_id == "u_alice"
            && c.expert_id == "u_bob"
            && c.topic == "Data engineering"));
        // Alice knows product management, which Bob wants to move into.
        assert!(f.complements.iter().any(|c| c.seeker_id == "u_bob"
            && c.expert_id == "u_alice"
            && c.topic == "Product management"));
        assert_eq!(features(&[alice(), bob()]), f);
    }

    #[test]
    fn i15_no_features_for_strangers() {
        let mut a = ParticipantProfile {
            user_id: "a".into(),
            display_name: "A".into(),
            ..Default::default()
        };
        let f = features(&[a.clone()]);
        assert!(f.is_empty());
        a.user_id = "b".into();
        assert!(features(&[a.clone(), ParticipantProfile::default()]).is_empty());
        assert_eq!(truncate_words("one two three four", 10), "one two…");
    }
}
