//! The search routes' input and typo candidates (S7–S10): query-string
//! parsing with bounded pagination, and which vocabulary terms to fetch
//! for a word's one-typo rewrite.

use super::query::{parse, Group, QueryError, MIN_TYPO_CHARS};
use crate::error::ApiError;
use crate::route::is_valid_id;
use crate::validation::{invalid, reason};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;
/// Offset pagination stops here (S7): ranked results have no stable
/// keyset, and deep pages of a full-text search are never read.
pub const MAX_OFFSET: i64 = 200;

/// A parsed search query string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchParams {
    pub q: String,
    pub limit: i64,
    pub offset: i64,
    pub meeting_id: Option<String>,
    pub speaker_id: Option<String>,
    pub host_id: Option<String>,
    pub state: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Suggest: `meetings` or `users` (both when absent).
    pub kind: Option<String>,
    /// `language=`: a BCP 47 tag, lowercased (S13); `en` also matches `en-us`.
    pub language: Option<String>,
    /// `scope=org`: an org admin's view of their whole organisation (S14).
    pub org_scope: bool,
}

fn int(name: &str, v: &str, min: i64, max: i64) -> Result<i64, ApiError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            invalid(
                name,
                reason::OUT_OF_RANGE,
                format!("{name} must be {min} to {max}"),
            )
        })
}

fn id(name: &str, v: &str) -> Result<String, ApiError> {
    if is_valid_id(v) {
        Ok(v.to_owned())
    } else {
        Err(invalid(
            name,
            reason::INVALID_VALUE,
            format!("{name} is not an id"),
        ))
    }
}

/// A language filter (S13): a BCP 47 tag such as `en` or `pt-BR` (a 2–3
/// letter language, then up to three subtags of 1–8 letters or digits),
/// lowercased as the meetings' language is stored.
fn language(v: &str) -> Result<String, ApiError> {
    let mut parts = v.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.clone().count() <= 3
        && parts
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(invalid(
            "language",
            reason::INVALID_VALUE,
            "language must be a language tag such as en or pt-BR",
        ))
    }
}

/// Maps a query error to its 400 (S6).
pub fn query_error(err: &QueryError) -> ApiError {
    let why = match err {
        QueryError::TooLong => reason::TOO_LONG,
        QueryError::Empty => reason::EMPTY,
    };
    invalid("q", why, err.to_string())
}

/// Parses the query string; `allowed` names the filters this route takes
/// (`q`, `limit` and `offset` are always allowed).
pub fn parse_params(
    pairs: &[(String, String)],
    allowed: &[&str],
) -> Result<SearchParams, ApiError> {
    let mut p = SearchParams {
        limit: DEFAULT_LIMIT,
        ..SearchParams::default()
    };
    let mut has_q = false;
    for (k, v) in pairs {
        let k = k.as_str();
        if !["q", "limit", "offset"].contains(&k) && !allowed.contains(&k) {
            return Err(crate::page::unknown(k));
        }
        match k {
            "q" => {
                has_q = true;
                p.q = v.clone();
            }
            "limit" => p.limit = int("limit", v, 1, MAX_LIMIT)?,
            "offset" => p.offset = int("offset", v, 0, MAX_OFFSET)?,
            "meeting_id" => p.meeting_id = Some(id(k, v)?),
            "speaker_id" => p.speaker_id = Some(id(k, v)?),
            "host_id" => p.host_id = Some(id(k, v)?),
            "state" => {
                if !["scheduled", "active", "concluded", "cancelled"].contains(&v.as_str()) {
                    return Err(invalid(
                        "state",
                        reason::INVALID_VALUE,
                        "state must be scheduled, active, concluded or cancelled",
                    ));
                }
                p.state = Some(v.clone());
            }
            "language" => p.language = Some(language(v)?),
            "scope" => {
                p.org_scope = match v.as_str() {
                    "mine" => false,
                    "org" => true,
                    _ => {
                        return Err(invalid(
                            "scope",
                            reason::INVALID_VALUE,
                            "scope must be mine or org",
                        ))
                    }
                }
            }
            "from" => p.from_ms = Some(int("from", v, 0, i64::MAX)?),
            "to" => p.to_ms = Some(int("to", v, 0, i64::MAX)?),
            "type" => {
                if !["meetings", "users"].contains(&v.as_str()) {
                    return Err(invalid(
                        "type",
                        reason::INVALID_VALUE,
                        "type must be meetings or users",
                    ));
                }
                p.kind = Some(v.clone());
            }
            _ => {}
        }
    }
    if !has_q {
        return Err(invalid("q", reason::REQUIRED, "q is required"));
    }
    // Validate the text now, so every route answers the same 400 (S6).
    parse(&p.q).map_err(|e| query_error(&e))?;
    Ok(p)
}

/// The vocabulary lookup of one word (S4): terms from its first letter up
/// to (not including) the next letter, one character shorter to one longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabRange {
    pub from: String,
    pub to: String,
    pub min_len: i64,
    pub max_len: i64,
}

/// The words of `input` that may be corrected, with their lookups (S4,
/// S5): by first letter, which fts5vocab answers without a scan. A typo in
/// the first letter is found by [`first_letter_candidates`].
pub fn vocab_ranges(input: &str) -> Vec<VocabRange> {
    let Ok(groups) = parse(input) else {
        return Vec::new();
    };
    groups
        .iter()
        .filter_map(|g| match g {
            Group::Word(w) if w.chars().count() >= MIN_TYPO_CHARS => Some(w),
            _ => None,
        })
        .filter_map(|w| {
            let first = w.chars().next()?;
            let next = char::from_u32(u32::from(first) + 1)?;
            let len = i64::try_from(w.chars().count()).ok()?;
            Some(VocabRange {
                from: first.to_string(),
                to: next.to_string(),
                min_len: len - 1,
                max_len: len + 1,
            })
        })
        .collect()
}

/// The rowid ranges `(after, last]` covering `1..=max` in steps of
/// `size` (S9: the meetings index is rebuilt range by range).
pub fn rowid_ranges(max: i64, size: i64) -> Vec<(i64, i64)> {
    let size = size.max(1);
    (0..max.max(0))
        .step_by(usize::try_from(size).unwrap_or(1))
        .map(|after| (after, (after + size).min(max)))
        .collect()
}

/// The first characters tried when the first letter itself is the typo
/// (S15): what `unicode61 remove_diacritics` leaves of Latin text.
const FIRST_LETTERS: &str = "abcdefghijklmnopqrstuvwxyz0123456789";

/// Every term within one edit of a word whose edit touches its first
/// character (S15): the first letter replaced, dropped, swapped with the
/// second, or a letter added before it. [`vocab_ranges`] cannot reach
/// these (they start with another letter); looked up by exact term
/// (`term = ?`, a seek in fts5vocab), they cost one statement for every
/// word of the query. Words of at least [`MIN_TYPO_CHARS`] characters
/// outside phrases, as S5.
pub fn first_letter_candidates(input: &str) -> Vec<String> {
    let Ok(groups) = parse(input) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for g in &groups {
        let Group::Word(w) = g else { continue };
        let chars: Vec<char> = w.chars().collect();
        if chars.len() < MIN_TYPO_CHARS {
            continue;
        }
        let rest: String = chars[1..].iter().collect();
        for c in FIRST_LETTERS.chars() {
            if c != chars[0] {
                out.push(format!("{c}{rest}"));
            }
            out.push(format!("{c}{w}"));
        }
        out.push(rest);
        if chars[0] != chars[1] {
            let mut swapped = chars.clone();
            swapped.swap(0, 1);
            out.push(swapped.into_iter().collect());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
    }

    #[test]
    fn s7_params_are_bounded_and_filters_checked() {
        let p = parse_params(
            &pairs(&[
                ("q", "budget"),
                ("limit", "5"),
                ("offset", "10"),
                ("state", "concluded"),
            ]),
            &["state"],
        )
        .unwrap();
        assert_eq!(
            (p.limit, p.offset, p.state.as_deref()),
            (5, 10, Some("concluded"))
        );
        let reason = |v: &[(&str, &str)], allowed: &[&str]| {
            parse_params(&pairs(v), allowed)
                .unwrap_err()
                .details
                .unwrap()["reason"]
                .clone()
        };
        assert_eq!(
            reason(&[("q", "a"), ("offset", "201")], &[]),
            "out_of_range"
        );
        assert_eq!(reason(&[("q", "a"), ("limit", "0")], &[]), "out_of_range");
        assert_eq!(
            reason(&[("q", "a"), ("state", "x")], &["state"]),
            "invalid_value"
        );
        assert_eq!(
            reason(&[("q", "a"), ("state", "active")], &[]),
            "unknown_field"
        );
        assert_eq!(reason(&[("limit", "2")], &[]), "required");
        assert_eq!(reason(&[("q", "(*)")], &[]), "empty");
        assert_eq!(reason(&[("q", &"a".repeat(300))], &[]), "too_long");
    }

    #[test]
    fn s4_vocabulary_lookups_by_first_letter_and_length() {
        let r = vocab_ranges("the bugdet \"exact phrase\" now");
        assert_eq!(
            r,
            vec![VocabRange {
                from: "b".into(),
                to: "c".into(),
                min_len: 5,
                max_len: 7
            }]
        );
        assert!(vocab_ranges("").is_empty());
    }

    #[test]
    fn s15_first_letter_typos_have_exact_candidates() {
        let c = first_letter_candidates("the xudget \"exact phrase\"");
        // replaced, added before, dropped, swapped
        for want in ["budget", "bxudget", "udget", "uxdget"] {
            assert!(c.contains(&want.to_owned()), "{want} missing");
        }
        assert!(!c.contains(&"xudget".to_owned()), "not the word itself");
        assert!(!c.iter().any(|t| t.contains("phrase")), "phrases as typed");
        assert!(first_letter_candidates("the a").is_empty());
        // Every candidate is one edit away, so S4 accepts it.
        assert!(c
            .iter()
            .all(|t| super::super::query::within_one_edit("xudget", t)));
        let q = super::super::query::typo_tolerant_query("xudget", &["budget"]).unwrap();
        assert_eq!(q, r#"("xudget" OR "budget")"#);
    }

    #[test]
    fn s9_rowid_ranges_cover_every_row_once() {
        assert_eq!(rowid_ranges(0, 10), vec![]);
        assert_eq!(rowid_ranges(25, 10), vec![(0, 10), (10, 20), (20, 25)]);
        assert_eq!(rowid_ranges(10, 10), vec![(0, 10)]);
    }

    #[test]
    fn s13_s14_language_and_scope() {
        let p = parse_params(
            &pairs(&[("q", "a"), ("language", "pt-BR"), ("scope", "org")]),
            &["language", "scope"],
        )
        .unwrap();
        assert_eq!((p.language.as_deref(), p.org_scope), (Some("pt-br"), true));
        for bad in ["e", "english", "en-", "en_US", "en-%", "en-a-b-c-d"] {
            let e =
                parse_params(&pairs(&[("q", "a"), ("language", bad)]), &["language"]).unwrap_err();
            assert_eq!(e.details.unwrap()["reason"], "invalid_value", "{bad}");
        }
        let e = parse_params(&pairs(&[("q", "a"), ("scope", "all")]), &["scope"]).unwrap_err();
        assert_eq!(e.details.unwrap()["field"], "scope");
    }
}
