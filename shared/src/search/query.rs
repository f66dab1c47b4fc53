//! User text to FTS5 queries (rules S1–S7 of `docs/search.md`).
//!
//! Nothing the user types reaches FTS5 as syntax (S1): the input is cut
//! into words the way the `unicode61` tokenizer cuts them (runs of letters
//! and digits), and every word is written as a quoted string, so `AND`,
//! `NEAR`, `*`, `^`, `:`, parentheses and quotes are just text. A pair of
//! double quotes in the input keeps its words together as a phrase (S2);
//! an unbalanced quote is ignored. Groups are joined with an explicit `AND`
//! (FTS5 rejects implicit AND next to a parenthesised group).

use std::fmt;

/// The longest query accepted, in characters (S6).
pub const MAX_QUERY_CHARS: usize = 256;
/// The most words a query keeps (S6); more are dropped.
pub const MAX_TERMS: usize = 12;
/// Prefix searches need at least this many characters (S3), so `a*` never
/// expands to half the index.
pub const MIN_PREFIX_CHARS: usize = 2;

/// Why no query was built (a 400, or an empty result for suggest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    TooLong,
    /// Nothing searchable (only punctuation or spaces).
    Empty,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::TooLong => write!(f, "query longer than {MAX_QUERY_CHARS} characters"),
            QueryError::Empty => f.write_str("query has no searchable words"),
        }
    }
}

impl std::error::Error for QueryError {}

/// One group of the parsed input: a single word or a quoted phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Group {
    Word(String),
    Phrase(Vec<String>),
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Splits input into words and phrases (S1, S2), at most [`MAX_TERMS`] words.
pub fn parse(input: &str) -> Result<Vec<Group>, QueryError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let mut groups = Vec::new();
    let quotes = input.matches('"').count();
    // With an odd number of quotes, the last one is ignored (S2).
    let usable = quotes - quotes % 2;
    let mut seen = 0;
    let mut rest = input;
    let mut in_phrase = false;
    let mut budget = MAX_TERMS;
    while !rest.is_empty() && budget > 0 {
        let (piece, tail) = match rest.find('"') {
            Some(i) if seen < usable => {
                seen += 1;
                (&rest[..i], &rest[i + 1..])
            }
            _ => (rest, ""),
        };
        let mut ws = words(piece);
        ws.truncate(budget);
        budget -= ws.len();
        if in_phrase && ws.len() > 1 {
            groups.push(Group::Phrase(ws));
        } else {
            groups.extend(ws.into_iter().map(Group::Word));
        }
        // A piece that ended at a quote toggles the phrase state.
        if !tail.is_empty() || rest.ends_with('"') {
            in_phrase = !in_phrase;
        }
        rest = tail;
    }
    if groups.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(groups)
}

/// A word as an FTS5 string. Words hold only letters and digits, but the
/// quote is doubled anyway, so the function is safe on any input.
fn quoted(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

fn render(group: &Group) -> String {
    match group {
        Group::Word(w) => quoted(w),
        Group::Phrase(ws) => quoted(&ws.join(" ")),
    }
}

/// The `MATCH` string for a search (S1, S2).
pub fn fts_query(input: &str) -> Result<String, QueryError> {
    Ok(parse(input)?
        .iter()
        .map(render)
        .collect::<Vec<_>>()
        .join(" AND "))
}

/// The `MATCH` string for autocomplete (S3): the last word becomes a prefix
/// (`"wor"*`) when it has at least [`MIN_PREFIX_CHARS`] characters.
pub fn prefix_query(input: &str) -> Result<String, QueryError> {
    let groups = parse(input)?;
    let last = groups.len() - 1;
    Ok(groups
        .iter()
        .enumerate()
        .map(|(i, g)| match g {
            Group::Word(w) if i == last && w.chars().count() >= MIN_PREFIX_CHARS => {
                format!("{}*", quoted(w))
            }
            g => render(g),
        })
        .collect::<Vec<_>>()
        .join(" AND "))
}

/// Levenshtein distance at most one (S4): one insertion, deletion or
/// substitution, or a swap of two adjacent letters.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diffs.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let mut i = 0;
            while i < short.len() && short[i] == long[i] {
                i += 1;
            }
            short[i..] == long[i + 1..]
        }
        _ => false,
    }
}

/// Words shorter than this are never corrected (S5): "at" → "it" is noise.
pub const MIN_TYPO_CHARS: usize = 4;

/// The `MATCH` string with one-typo tolerance (S4, S5): every word that is
/// not in `vocabulary` (indexed terms, most frequent first, lowercase) and
/// has a term within one edit becomes `("word" OR "term")`, with the first
/// such term. Phrases are left as typed.
pub fn typo_tolerant_query(input: &str, vocabulary: &[&str]) -> Result<String, QueryError> {
    let groups = parse(input)?;
    Ok(groups
        .iter()
        .map(|g| match g {
            Group::Word(w)
                if w.chars().count() >= MIN_TYPO_CHARS && !vocabulary.contains(&w.as_str()) =>
            {
                match vocabulary.iter().find(|t| within_one_edit(w, t)) {
                    Some(term) => format!("({} OR {})", quoted(w), quoted(term)),
                    None => quoted(w),
                }
            }
            g => render(g),
        })
        .collect::<Vec<_>>()
        .join(" AND "))
}

/// Clamps a requested page size to 1..=`max` (S7); `None` gives `default`.
pub fn page_size(requested: Option<i64>, default: i64, max: i64) -> i64 {
    requested.unwrap_or(default).clamp(1, max.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    const NASTY: &[&str] = &[
        "\"",
        "\"\"",
        "\"unbalanced",
        "a\"b\"c\"",
        "NEAR(a b)",
        "NEAR",
        "a NEAR/2 b",
        "*",
        "a*",
        "*a",
        "(",
        ")",
        "((a)",
        "a OR",
        "OR",
        "AND NOT",
        "NOT a",
        "a AND (b OR",
        "^a",
        "col:a",
        "{a b}:c",
        "a + b",
        "-a",
        "'",
        "'; DROP TABLE t; --",
        "\\",
        "a\u{0}b",
        "é\u{301}",
        "🙂 emoji",
        "日本語",
        "a  \t\n b",
        "\"NEAR(\" OR \")\"",
    ];

    fn fts() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
             INSERT INTO t (text) VALUES ('we will receive the budget tomorrow'),
               ('near the river'), ('or and not'), ('日本語 text'), ('emoji 🙂 here');",
        )
        .unwrap();
        conn
    }

    fn matches(conn: &Connection, q: &str) -> rusqlite::Result<Vec<String>> {
        let mut s = conn.prepare("SELECT text FROM t WHERE t MATCH ?1 ORDER BY rowid")?;
        let rows = s.query_map([q], |r| r.get(0))?;
        rows.collect()
    }

    #[test]
    fn s1_no_input_is_an_fts5_syntax_error() {
        let conn = fts();
        let vocabulary = ["receive", "budget", "river", "near"];
        for input in NASTY {
            for built in [
                fts_query(input),
                prefix_query(input),
                typo_tolerant_query(input, &vocabulary),
            ] {
                match built {
                    Ok(q) => {
                        matches(&conn, &q).unwrap_or_else(|e| panic!("{input:?} -> {q:?}: {e}"));
                    }
                    Err(e) => assert_eq!(e, QueryError::Empty, "{input:?}"),
                }
            }
        }
        assert_eq!(
            matches(&conn, &fts_query("NEAR").unwrap()).unwrap(),
            ["near the river"]
        );
        assert_eq!(
            matches(&conn, &fts_query("or AND not").unwrap()).unwrap(),
            ["or and not"]
        );
    }

    #[test]
    fn s2_quoted_phrases_stay_together_and_stray_quotes_are_ignored() {
        assert_eq!(
            parse("\"the budget\" tomorrow").unwrap(),
            vec![
                Group::Phrase(vec!["the".into(), "budget".into()]),
                Group::Word("tomorrow".into())
            ]
        );
        assert_eq!(
            fts_query("\"the budget\" x\"").unwrap(),
            "\"the budget\" AND \"x\""
        );
        let conn = fts();
        assert_eq!(
            matches(&conn, &fts_query("\"receive the\"").unwrap())
                .unwrap()
                .len(),
            1
        );
        assert!(matches(&conn, &fts_query("\"the receive\"").unwrap())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn s3_prefix_autocomplete_on_the_last_word() {
        assert_eq!(prefix_query("will rece").unwrap(), "\"will\" AND \"rece\"*");
        assert_eq!(prefix_query("r").unwrap(), "\"r\"");
        let conn = fts();
        assert_eq!(
            matches(&conn, &prefix_query("bud").unwrap()).unwrap().len(),
            1
        );
        assert_eq!(
            matches(&conn, &prefix_query("ri").unwrap()).unwrap(),
            ["near the river"]
        );
    }

    #[test]
    fn s4_one_typo_still_finds_the_row() {
        let vocabulary = ["receive", "budget", "river", "tomorrow"];
        let conn = fts();
        assert!(matches(&conn, &fts_query("recieve").unwrap())
            .unwrap()
            .is_empty());
        let q = typo_tolerant_query("recieve budgte", &vocabulary).unwrap();
        assert_eq!(
            q,
            "(\"recieve\" OR \"receive\") AND (\"budgte\" OR \"budget\")"
        );
        assert_eq!(
            matches(&conn, &q).unwrap(),
            ["we will receive the budget tomorrow"]
        );
        assert_eq!(
            typo_tolerant_query("budget", &vocabulary).unwrap(),
            "\"budget\""
        );
    }

    #[test]
    fn s4_edit_distance_is_at_most_one() {
        assert!(within_one_edit("river", "river"));
        assert!(within_one_edit("rivr", "river"));
        assert!(within_one_edit("rivers", "river"));
        assert!(within_one_edit("ruver", "river"));
        assert!(within_one_edit("irver", "river"));
        assert!(within_one_edit("rvier", "river"));
        assert!(!within_one_edit("rvr", "river"));
        assert!(!within_one_edit("abcd", "badc"));
        assert!(within_one_edit("", "a"));
        assert!(within_one_edit("café", "cafe"));
    }

    #[test]
    fn s5_short_words_and_unknown_words_are_left_alone() {
        assert_eq!(
            typo_tolerant_query("rivr at", &["river", "it"]).unwrap(),
            "(\"rivr\" OR \"river\") AND \"at\""
        );
        assert_eq!(
            typo_tolerant_query("zzzzzz", &["river"]).unwrap(),
            "\"zzzzzz\""
        );
    }

    #[test]
    fn s6_queries_are_bounded() {
        assert_eq!(
            fts_query(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong)
        );
        assert!(fts_query(&"a".repeat(MAX_QUERY_CHARS)).is_ok());
        let many = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(parse(&many).unwrap().len(), MAX_TERMS);
        assert_eq!(fts_query("  ()*\" "), Err(QueryError::Empty));
    }

    #[test]
    fn s7_page_sizes_are_clamped() {
        assert_eq!(page_size(None, 20, 100), 20);
        assert_eq!(page_size(Some(0), 20, 100), 1);
        assert_eq!(page_size(Some(10_000), 20, 100), 100);
    }
}
