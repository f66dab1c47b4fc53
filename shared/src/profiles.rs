//! Profiles, the inputs of pre-call ideas and insights (requirement 9.1):
//! `GET/PUT /v1/me/profile`, `GET /v1/users/{id}/profile` and
//! `GET /v1/interests` as pure plans.
//!
//! **I31 — profile bodies.** `PUT /v1/me/profile` replaces the whole
//! profile (an absent optional field clears it): `display_name` (required,
//! 1–100 characters), `headline` (≤ 160), `bio` (≤ 2000), `goals` (≤ 1000),
//! `experience` (≤ 2000), `languages` (≤ 10 distinct strings of ≤ 40),
//! `skills` (≤ 30 distinct strings of ≤ 60), `interests` (≤ 30 distinct
//! keys of the catalogue). An interest key the catalogue does not hold is
//! refused with `reason: "unknown_interest"`; every refusal is a
//! `VALIDATION_ERROR` naming the field, and nothing is written.
//!
//! **I32 — who sees a profile.** A user always sees their own. Another
//! member sees it when both are in the same organisation or share a
//! meeting (any state, while both are members); everyone else gets 404,
//! exactly as for a user who does not exist, so existence is not revealed.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::intelligence::profile::{InterestRef, ParticipantProfile};
use crate::sql::profiles::{ProfileUpsert, UserInterestAdd, UserInterestClear};
use crate::sql::Statement;
use crate::validation::{invalid, parse_object, reason, FieldReader};

pub const MAX_DISPLAY_NAME: usize = 100;
pub const MAX_HEADLINE: usize = 160;
pub const MAX_BIO: usize = 2000;
pub const MAX_GOALS: usize = 1000;
pub const MAX_EXPERIENCE: usize = 2000;
pub const MAX_LANGUAGES: usize = 10;
pub const MAX_LANGUAGE_CHARS: usize = 40;
pub const MAX_SKILLS: usize = 30;
pub const MAX_SKILL_CHARS: usize = 60;
pub const MAX_INTERESTS: usize = 30;
/// The catalogue is read whole (it is small and seeded); this bounds it.
pub const MAX_CATALOGUE: i64 = 1000;

/// The stable reason for an interest key outside the catalogue.
pub const UNKNOWN_INTEREST: &str = "unknown_interest";

/// A parsed `PUT /v1/me/profile` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileInput {
    pub display_name: String,
    pub headline: Option<String>,
    pub bio: Option<String>,
    pub goals: Option<String>,
    pub experience: Option<String>,
    pub languages: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
}

/// A row of `INTEREST_LIST` / `USER_INTEREST_LIST_*`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InterestRow {
    /// Only in `USER_INTEREST_LIST_FOR_MEETING`.
    #[serde(default)]
    pub user_id: Option<String>,
    pub key: String,
    pub label: String,
    pub category: String,
}

impl InterestRow {
    pub fn to_ref(&self) -> InterestRef {
        InterestRef {
            key: self.key.clone(),
            label: self.label.clone(),
            category: self.category.clone(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"key": self.key, "label": self.label, "category": self.category})
    }
}

/// A row of `PROFILE_GET` / `PROFILE_LIST_FOR_MEETING` (JSON arrays as text).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProfileRow {
    pub user_id: String,
    pub display_name: String,
    pub headline: Option<String>,
    pub bio: Option<String>,
    pub goals: Option<String>,
    pub experience: Option<String>,
    pub languages: String,
    pub skills: String,
    pub roles: String,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

fn strings(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl ProfileRow {
    /// The generator's view of this person, with their interests.
    pub fn to_participant(&self, interests: &[InterestRow]) -> ParticipantProfile {
        ParticipantProfile {
            user_id: self.user_id.clone(),
            display_name: self.display_name.clone(),
            headline: self.headline.clone(),
            bio: self.bio.clone(),
            goals: self.goals.clone(),
            experience: self.experience.clone(),
            languages: strings(&self.languages),
            skills: strings(&self.skills),
            interests: interests.iter().map(InterestRow::to_ref).collect(),
        }
    }

    /// The profile as the API shows it.
    pub fn to_json(&self, interests: &[InterestRow]) -> Value {
        json!({
            "user_id": self.user_id,
            "display_name": self.display_name,
            "headline": self.headline,
            "bio": self.bio,
            "goals": self.goals,
            "experience": self.experience,
            "languages": strings(&self.languages),
            "skills": strings(&self.skills),
            "interests": interests.iter().map(InterestRow::to_json).collect::<Vec<_>>(),
            "updated_at": self.updated_at,
        })
    }
}

/// Every member as the generator sees them, each with their own interests
/// (rows of `PROFILE_LIST_FOR_MEETING` and `USER_INTEREST_LIST_FOR_MEETING`).
pub fn participants(profiles: &[ProfileRow], interests: &[InterestRow]) -> Vec<ParticipantProfile> {
    profiles
        .iter()
        .map(|p| {
            let mine: Vec<InterestRow> = interests
                .iter()
                .filter(|i| i.user_id.as_deref() == Some(p.user_id.as_str()))
                .cloned()
                .collect();
            p.to_participant(&mine)
        })
        .collect()
}

/// `GET /v1/me/profile` before the caller wrote one: an empty profile
/// (404 would make every client special-case a new user).
pub fn empty_json(user_id: &str, display_name: Option<&str>) -> Value {
    json!({
        "user_id": user_id, "display_name": display_name, "headline": null, "bio": null,
        "goals": null, "experience": null, "languages": [], "skills": [], "interests": [],
        "updated_at": null,
    })
}

/// Reads a list of distinct short strings.
fn string_list(
    r: &mut FieldReader<'_>,
    name: &str,
    max_items: usize,
    max_chars: usize,
) -> Result<Vec<String>, ApiError> {
    let Some(items) = r.opt_array(name, max_items)? else {
        return Ok(Vec::new());
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", r.path(name));
        let Value::String(s) = item else {
            return Err(invalid(
                &path,
                reason::WRONG_TYPE,
                format!("{path} must be a string"),
            ));
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(invalid(&path, reason::EMPTY, format!("{path} is empty")));
        }
        if t.chars().count() > max_chars {
            return Err(invalid(
                &path,
                reason::TOO_LONG,
                format!("{path} is longer than {max_chars} characters"),
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(invalid(
                &path,
                reason::INVALID_VALUE,
                format!("{path} contains control characters"),
            ));
        }
        if out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            return Err(invalid(
                &path,
                reason::DUPLICATE,
                format!("{path} is listed twice"),
            ));
        }
        out.push(t.to_owned());
    }
    Ok(out)
}

/// Parses a `PUT /v1/me/profile` body against the interest catalogue (I31).
pub fn parse_put(body: &[u8], catalogue: &[InterestRow]) -> Result<ProfileInput, ApiError> {
    let map = parse_object(body)?;
    let mut r = FieldReader::new(&map, "");
    let display_name = r.text("display_name", MAX_DISPLAY_NAME, false)?;
    let headline = r.opt_text("headline", MAX_HEADLINE, false)?;
    let bio = r.opt_text("bio", MAX_BIO, true)?;
    let goals = r.opt_text("goals", MAX_GOALS, true)?;
    let experience = r.opt_text("experience", MAX_EXPERIENCE, true)?;
    let languages = string_list(&mut r, "languages", MAX_LANGUAGES, MAX_LANGUAGE_CHARS)?;
    let skills = string_list(&mut r, "skills", MAX_SKILLS, MAX_SKILL_CHARS)?;
    let interests = string_list(&mut r, "interests", MAX_INTERESTS, 100)?;
    r.finish()?;
    for (i, key) in interests.iter().enumerate() {
        if !catalogue.iter().any(|c| &c.key == key) {
            let path = format!("interests[{i}]");
            return Err(invalid(
                &path,
                UNKNOWN_INTEREST,
                format!("{path}: {key} is not in the interest catalogue (GET /v1/interests)"),
            ));
        }
    }
    Ok(ProfileInput {
        display_name,
        headline,
        bio,
        goals,
        experience,
        languages,
        skills,
        interests,
    })
}

/// The batch that replaces `user_id`'s profile and interests; `roles` (not
/// part of the body) are kept as stored.
pub fn plan_put(
    user_id: &str,
    input: &ProfileInput,
    stored_roles: Option<&str>,
    now_ms: i64,
) -> Vec<Statement> {
    let languages = json!(input.languages).to_string();
    let skills = json!(input.skills).to_string();
    let mut statements = vec![
        ProfileUpsert {
            user_id,
            display_name: Some(&input.display_name),
            headline: input.headline.as_deref(),
            bio: input.bio.as_deref(),
            goals: input.goals.as_deref(),
            experience: input.experience.as_deref(),
            languages: Some(&languages),
            skills: Some(&skills),
            roles: Some(stored_roles.unwrap_or("[]")),
            now_ms,
        }
        .statement(),
        UserInterestClear { user_id }.statement(),
    ];
    statements.extend(input.interests.iter().map(|key| {
        UserInterestAdd {
            user_id,
            interest_key: key,
            now_ms,
        }
        .statement()
    }));
    statements
}

/// Whether `viewer` may see `target`'s profile (I32).
pub fn may_view(
    viewer_id: &str,
    viewer_org: Option<&str>,
    target_id: &str,
    target_org: Option<&str>,
    share_a_meeting: bool,
) -> bool {
    viewer_id == target_id
        || matches!((viewer_org, target_org), (Some(a), Some(b)) if a == b)
        || share_a_meeting
}

/// The 404 for a profile the caller may not see, or that does not exist.
pub fn not_found() -> ApiError {
    ApiError::not_found("no such profile")
}

/// `GET /v1/interests`: the catalogue, grouped by nothing, sorted by key.
pub fn catalogue_json(rows: &[InterestRow]) -> Value {
    json!({ "items": rows.iter().map(InterestRow::to_json).collect::<Vec<_>>() })
}

/// A profile row for tests of the jobs that read profiles.
#[cfg(test)]
pub(crate) fn fixture(id: &str, name: &str, skills: &str, goals: Option<&str>) -> ProfileRow {
    ProfileRow {
        user_id: id.into(),
        display_name: name.into(),
        headline: None,
        bio: None,
        goals: goals.map(Into::into),
        experience: None,
        languages: r#"["en"]"#.into(),
        skills: skills.into(),
        roles: "[]".into(),
        updated_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Vec<InterestRow> {
        ["realtime", "rust", "pricing"]
            .iter()
            .map(|k| InterestRow {
                user_id: None,
                key: (*k).into(),
                label: k.to_uppercase(),
                category: "c".into(),
            })
            .collect()
    }

    fn put(v: Value) -> Result<ProfileInput, ApiError> {
        parse_put(v.to_string().as_bytes(), &catalogue())
    }

    fn reason_of(e: ApiError) -> (String, String) {
        let d = e.details.unwrap();
        (
            d["field"].as_str().unwrap().to_owned(),
            d["reason"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn i31_a_full_profile_parses_and_plans_one_batch() {
        let input = put(
            json!({"display_name": " Ada ", "headline": "CTO", "bio": "Line 1\nLine 2",
            "skills": ["Rust", "pricing"], "languages": ["en"], "interests": ["rust", "realtime"]}),
        )
        .unwrap();
        assert_eq!(input.display_name, "Ada");
        let batch = plan_put("user_a", &input, Some(r#"["eng"]"#), 7);
        let names: Vec<&str> = batch.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "PROFILE_UPSERT",
                "USER_INTEREST_CLEAR",
                "USER_INTEREST_ADD",
                "USER_INTEREST_ADD"
            ]
        );
        assert_eq!(
            batch[0].params[8],
            crate::sql::SqlValue::Text(r#"["eng"]"#.into())
        );
    }

    #[test]
    fn i31_bad_bodies_name_the_field_and_a_stable_reason() {
        let cases = [
            (json!({}), ("display_name", "required")),
            (json!({"display_name": ""}), ("display_name", "empty")),
            (
                json!({"display_name": "x".repeat(101)}),
                ("display_name", "too_long"),
            ),
            (
                json!({"display_name": "a\nb"}),
                ("display_name", "invalid_value"),
            ),
            (
                json!({"display_name": "a", "bio": 3}),
                ("bio", "wrong_type"),
            ),
            (
                json!({"display_name": "a", "skills": ["x", "X"]}),
                ("skills[1]", "duplicate"),
            ),
            (
                json!({"display_name": "a", "skills": vec!["s"; 31]}),
                ("skills", "too_many"),
            ),
            (
                json!({"display_name": "a", "skills": [1]}),
                ("skills[0]", "wrong_type"),
            ),
            (
                json!({"display_name": "a", "interests": ["rust", "cooking"]}),
                ("interests[1]", UNKNOWN_INTEREST),
            ),
            (
                json!({"display_name": "a", "avatar": "x"}),
                ("avatar", "unknown_field"),
            ),
        ];
        for (body, (field, why)) in cases {
            let got = reason_of(put(body.clone()).unwrap_err());
            assert_eq!(got, (field.to_owned(), why.to_owned()), "{body}");
        }
    }

    #[test]
    fn i32_own_same_org_or_shared_meeting_sees_a_profile() {
        assert!(may_view("u1", None, "u1", None, false));
        assert!(may_view("u1", Some("o"), "u2", Some("o"), false));
        assert!(!may_view("u1", Some("o"), "u2", Some("p"), false));
        assert!(!may_view("u1", None, "u2", None, false));
        assert!(may_view("u1", Some("o"), "u2", Some("p"), true));
    }

    #[test]
    fn rows_become_generator_profiles() {
        let row = ProfileRow {
            user_id: "u".into(),
            display_name: "Ada".into(),
            headline: None,
            bio: None,
            goals: Some("find pricing help".into()),
            experience: None,
            languages: r#"["en"]"#.into(),
            skills: r#"["rust"]"#.into(),
            roles: "[]".into(),
            updated_at: Some(1),
        };
        let p = row.to_participant(&catalogue()[..1]);
        assert_eq!(p.skills, ["rust"]);
        assert_eq!(p.interests[0].key, "realtime");
        assert_eq!(row.to_json(&[])["languages"], json!(["en"]));
    }
}
