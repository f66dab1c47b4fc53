//! Small text helpers of the heuristic: name lists, tag slugs, sentence
//! splitting and whole-word matching.

/// "Alice", "Alice and Bob", "Alice, Bob and Carol".
pub fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(|s| s.as_ref())
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// A tag: lowercase, runs of other characters as one '-', at most 64 chars.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.chars().take(64).collect()
}

/// Slugged, deduplicated, non-empty tags, at most `max`, in order.
pub fn tags<S: AsRef<str>>(raw: &[S], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let s = slug(t.as_ref());
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
        if out.len() == max {
            break;
        }
    }
    out
}

/// Lowercases the first letter ("Learn Rust" -> "learn Rust"), for goals
/// quoted mid-sentence.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Sentences of `text`: split after '.', '!', '?' and at newlines, trimmed,
/// non-empty.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let t = cur.trim();
        if t.chars().any(char::is_alphanumeric) {
            out.push(t.to_owned());
        }
        cur.clear();
    };
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' {
            flush(&mut cur, &mut out);
            continue;
        }
        cur.push(c);
        let next_is_space = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if matches!(c, '.' | '!' | '?') && next_is_space {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Whether `needle` occurs in `hay` as whole words (case-insensitive).
pub fn has_words(hay: &str, needle: &str) -> bool {
    find_words(hay, needle).is_some()
}

/// The char-boundary byte offset of `needle`'s first whole-word occurrence
/// in `hay` (case-insensitive; both compared lowercased).
pub fn find_words(hay: &str, needle: &str) -> Option<usize> {
    let hay = hay.to_lowercase();
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(pos) = hay.get(from..)?.find(&needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay.get(end..).and_then(|s| s.chars().next());
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return Some(start);
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Rounds to 3 decimals (stable, readable relevance values).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i21_text_helpers() {
        assert_eq!(join_names(&["A", "B", "C"]), "A, B and C");
        assert_eq!(join_names(&["A", "B"]), "A and B");
        assert_eq!(slug("Climate Tech / ML!"), "climate-tech-ml");
        assert_eq!(tags(&["A b", "a-b", "", "c"], 5), vec!["a-b", "c"]);
        assert_eq!(
            sentences("We agreed. Alice will send v1.2 by Friday!\nNext: hiring?"),
            vec![
                "We agreed.",
                "Alice will send v1.2 by Friday!",
                "Next: hiring?"
            ]
        );
        assert!(has_words("Then Alice will send it", "alice"));
        assert!(!has_words("Alicent will", "alice"));
        assert_eq!(find_words("Bob and bob", "BOB"), Some(0));
        assert_eq!(lower_first("Learn Rust"), "learn Rust");
    }
}
