//! Transcript files from our own transcript rows (rules F10–F16 of
//! `docs/recordings.md`): `txt`, `srt`, `vtt` and `json`.
//!
//! Input is one [`Line`] per transcript segment (or final chunk): a speaker
//! label the caller resolved (display name, or a stable "Speaker N"), the
//! offsets from the meeting's start in milliseconds, and the text.
//!
//! Timing rules, the same for every format:
//! - lines are ordered by (start, end), stably (F10);
//! - a negative offset is clamped to 0 (F11);
//! - a zero-length or inverted line lasts [`MIN_CUE_MS`] (F11): SRT and
//!   WebVTT require a cue to end after it starts;
//! - overlapping lines (two people talking at once) stay overlapping: both
//!   formats allow it, and moving times would lie about when things were said (F12);
//! - hours are not wrapped: 100 hours prints as `100:00:00,000` (F13).
//!
//! Lines whose text is blank are dropped (an empty cue ends a SRT block).
//! [`lines_from_chunks`] turns the room's chunks into lines with speaker
//! labels (F17).

use serde::Serialize;

/// The shortest cue written for a zero-length or inverted line.
pub const MIN_CUE_MS: i64 = 1000;

/// One transcript line to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Who spoke, already resolved to a label; `None` when unknown.
    pub speaker: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Txt,
    Srt,
    Vtt,
    Json,
}

impl Format {
    /// From `?format=`; `None` is a 400.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "txt" => Some(Format::Txt),
            "srt" => Some(Format::Srt),
            "vtt" => Some(Format::Vtt),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Txt => "text/plain; charset=utf-8",
            Format::Srt => "application/x-subrip; charset=utf-8",
            Format::Vtt => "text/vtt; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Srt => "srt",
            Format::Vtt => "vtt",
            Format::Json => "json",
        }
    }
}

/// A line after the timing rules.
struct Cue<'a> {
    speaker: Option<&'a str>,
    start_ms: i64,
    end_ms: i64,
    text: String,
}

/// Collapses every run of whitespace (newlines included) into one space:
/// a cue's text must not contain a blank line, and labels must stay on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies F10–F11 and drops blank lines.
fn cues(lines: &[Line]) -> Vec<Cue<'_>> {
    let mut out: Vec<Cue<'_>> = lines
        .iter()
        .filter_map(|line| {
            let text = one_line(&line.text);
            if text.is_empty() {
                return None;
            }
            let start_ms = line.start_ms.max(0);
            let mut end_ms = line.end_ms.max(0);
            if end_ms <= start_ms {
                end_ms = start_ms.saturating_add(MIN_CUE_MS);
            }
            let speaker = line
                .speaker
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            Some(Cue {
                speaker,
                start_ms,
                end_ms,
                text,
            })
        })
        .collect();
    out.sort_by_key(|cue| (cue.start_ms, cue.end_ms));
    out
}

/// `HH:MM:SS<sep>mmm`, hours at least two digits and never wrapped (F13).
pub fn timestamp(ms: i64, separator: char) -> String {
    let ms = ms.max(0);
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    format!("{h:02}:{m:02}:{s:02}{separator}{milli:03}")
}

/// SRT has no escaping: an arrow in the text would read as a timing line,
/// so `-->` becomes `->` until none is left (F14).
fn srt_text(text: &str) -> String {
    let mut text = text.to_owned();
    while text.contains("-->") {
        text = text.replace("-->", "->");
    }
    text
}

/// WebVTT cue text escapes `&`, `<` and `>` (which also defuses `-->`) (F14).
fn vtt_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn labelled(speaker: Option<&str>, text: &str) -> String {
    match speaker {
        Some(name) => format!("{}: {text}", one_line(name)),
        None => text.to_owned(),
    }
}

/// Plain text: `[HH:MM:SS] Speaker: text`, one line each.
pub fn to_txt(lines: &[Line]) -> String {
    let mut out = String::new();
    for cue in cues(lines) {
        let stamp = timestamp(cue.start_ms, '.');
        let stamp = stamp.split('.').next().unwrap_or_default();
        out.push_str(&format!("[{stamp}] {}\n", labelled(cue.speaker, &cue.text)));
    }
    out
}

/// SubRip: 1-based cue numbers, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, the text
/// prefixed with the speaker label, a blank line after each cue (F15).
pub fn to_srt(lines: &[Line]) -> String {
    let mut out = String::new();
    for (i, cue) in cues(lines).iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(cue.start_ms, ','),
            timestamp(cue.end_ms, ','),
            srt_text(&labelled(cue.speaker, &cue.text))
        ));
    }
    out
}

/// WebVTT: the `WEBVTT` header, `HH:MM:SS.mmm --> HH:MM:SS.mmm`, the speaker
/// as a voice span `<v Name>` (F16).
pub fn to_vtt(lines: &[Line]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, cue) in cues(lines).iter().enumerate() {
        let text = vtt_escape(&cue.text);
        let body = match cue.speaker {
            Some(name) => format!("<v {}>{text}", vtt_escape(&one_line(name))),
            None => text,
        };
        out.push_str(&format!(
            "{}\n{} --> {}\n{body}\n\n",
            i + 1,
            timestamp(cue.start_ms, '.'),
            timestamp(cue.end_ms, '.'),
        ));
    }
    out
}

#[derive(Serialize)]
struct JsonLine<'a> {
    speaker: Option<&'a str>,
    start_ms: i64,
    end_ms: i64,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    format: &'static str,
    version: u32,
    meeting_id: &'a str,
    lines: Vec<JsonLine<'a>>,
}

/// JSON: `{"format":"connvo-transcript","version":1,"meeting_id":…,"lines":[…]}`,
/// with the same timing rules.
pub fn to_json(meeting_id: &str, lines: &[Line]) -> String {
    let cues = cues(lines);
    let doc = JsonDoc {
        format: "connvo-transcript",
        version: 1,
        meeting_id,
        lines: cues
            .iter()
            .map(|c| JsonLine {
                speaker: c.speaker,
                start_ms: c.start_ms,
                end_ms: c.end_ms,
                text: &c.text,
            })
            .collect(),
    };
    serde_json::to_string(&doc).unwrap_or_else(|_| String::from("{}"))
}

/// The file in `format`.
pub fn render(format: Format, meeting_id: &str, lines: &[Line]) -> String {
    match format {
        Format::Txt => to_txt(lines),
        Format::Srt => to_srt(lines),
        Format::Vtt => to_vtt(lines),
        Format::Json => to_json(meeting_id, lines),
    }
}

/// One chunk as the room returns it (`GET …/transcript`), the fields an
/// export needs; interim chunks are skipped.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RoomChunk {
    pub seq: u64,
    #[serde(default)]
    pub speaker_id: Option<String>,
    pub text: String,
    pub start_ms: i64,
    pub end_ms: i64,
    #[serde(rename = "final", default = "yes")]
    pub is_final: bool,
}

fn yes() -> bool {
    true
}

/// The room's page size when reading a transcript for export.
pub const EXPORT_PAGE: u64 = 500;

/// The most lines one export carries (F17): 200 pages; a longer meeting's
/// file stops there and says so in `truncated`.
pub const MAX_EXPORT_LINES: usize = 100_000;

/// Speaker labels (F17): a member's display name; anyone else (a speaker
/// who left, an erased user's pseudonym, a provisional label) is
/// "Speaker N", numbered by first appearance, so an export never prints a
/// raw user id.
pub fn lines_from_chunks(chunks: &[RoomChunk], names: &[(String, Option<String>)]) -> Vec<Line> {
    let mut unknown: Vec<String> = Vec::new();
    chunks
        .iter()
        .filter(|c| c.is_final)
        .map(|c| {
            let speaker = c.speaker_id.as_deref().filter(|s| !s.is_empty()).map(|id| {
                let named = names
                    .iter()
                    .find(|(user_id, _)| user_id == id)
                    .and_then(|(_, name)| name.as_deref())
                    .map(str::trim)
                    .filter(|n| !n.is_empty());
                match named {
                    Some(name) => name.to_owned(),
                    None => {
                        let n = match unknown.iter().position(|u| u == id) {
                            Some(i) => i + 1,
                            None => {
                                unknown.push(id.to_owned());
                                unknown.len()
                            }
                        };
                        format!("Speaker {n}")
                    }
                }
            });
            Line {
                speaker,
                start_ms: c.start_ms,
                end_ms: c.end_ms,
                text: c.text.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(speaker: Option<&str>, start_ms: i64, end_ms: i64, text: &str) -> Line {
        Line {
            speaker: speaker.map(str::to_owned),
            start_ms,
            end_ms,
            text: text.to_owned(),
        }
    }

    #[test]
    fn f13_timestamps_cover_hours_without_wrapping() {
        assert_eq!(timestamp(0, ','), "00:00:00,000");
        assert_eq!(timestamp(3_723_004, ','), "01:02:03,004");
        assert_eq!(timestamp(360_000_000, '.'), "100:00:00.000");
        assert_eq!(timestamp(-5, '.'), "00:00:00.000");
    }

    #[test]
    fn f15_srt_numbers_cues_from_one_with_comma_millis() {
        let srt = to_srt(&[
            line(Some("Ada"), 1500, 4000, "Hello there"),
            line(Some("Bob"), 4200, 7_261_001, "Hi\n\nAda"),
        ]);
        assert_eq!(
            srt,
            "1\n00:00:01,500 --> 00:00:04,000\nAda: Hello there\n\n\
             2\n00:00:04,200 --> 02:01:01,001\nBob: Hi Ada\n\n"
        );
    }

    #[test]
    fn f16_vtt_has_the_header_dot_millis_and_voice_spans() {
        let vtt = to_vtt(&[line(Some("Ada <CEO>"), 0, 999, "a < b & c")]);
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.999\n<v Ada &lt;CEO&gt;>a &lt; b &amp; c\n\n"
        );
        assert_eq!(to_vtt(&[]), "WEBVTT\n\n");
    }

    #[test]
    fn f14_arrows_in_text_never_read_as_timings() {
        let lines = [line(None, 0, 1000, "a --> b ---> c ----> d")];
        let srt = to_srt(&lines);
        assert_eq!(srt.matches("-->").count(), 1, "{srt}");
        assert!(srt.contains("a -> b -> c -> d"));
        let vtt = to_vtt(&lines);
        assert_eq!(vtt.matches("-->").count(), 1, "{vtt}");
        assert!(vtt.contains("a --&gt; b"));
    }

    #[test]
    fn f11_zero_length_and_inverted_lines_get_a_minimum_duration() {
        let srt = to_srt(&[
            line(None, 5000, 5000, "x"),
            line(None, 9000, 8000, "y"),
            line(None, -20, -10, "z"),
        ]);
        assert!(srt.contains("00:00:00,000 --> 00:00:01,000\nz"));
        assert!(srt.contains("00:00:05,000 --> 00:00:06,000\nx"));
        assert!(srt.contains("00:00:09,000 --> 00:00:10,000\ny"));
    }

    #[test]
    fn f10_r12_lines_are_sorted_and_overlaps_are_kept() {
        let lines = [
            line(Some("Bob"), 2000, 5000, "second"),
            line(Some("Ada"), 1000, 6000, "first"),
            line(Some("Cy"), 2000, 3000, "third"),
        ];
        let srt = to_srt(&lines);
        let first = srt.find("Ada: first").unwrap();
        let second = srt.find("Cy: third").unwrap();
        let third = srt.find("Bob: second").unwrap();
        assert!(first < second && second < third, "{srt}");
        assert!(srt.contains("00:00:01,000 --> 00:00:06,000"));
        assert!(srt.contains("3\n00:00:02,000 --> 00:00:05,000\nBob: second"));
    }

    #[test]
    fn f10_blank_lines_are_dropped_and_numbering_stays_dense() {
        let srt = to_srt(&[line(None, 0, 1, "  \n "), line(None, 5, 10, "kept")]);
        assert!(srt.starts_with("1\n00:00:00,005 --> 00:00:00,010\nkept\n\n"));
        assert!(!srt.contains("2\n"));
    }

    #[test]
    fn f15_txt_and_json_use_the_same_timing() {
        let lines = [
            line(Some("Ada"), 3_600_000, 3_600_000, "late"),
            line(None, 0, 10, "early"),
        ];
        assert_eq!(to_txt(&lines), "[00:00:00] early\n[01:00:00] Ada: late\n");
        let json: serde_json::Value = serde_json::from_str(&to_json("mtg_1", &lines)).unwrap();
        assert_eq!(json["format"], "connvo-transcript");
        assert_eq!(json["meeting_id"], "mtg_1");
        assert_eq!(json["lines"][0]["speaker"], serde_json::Value::Null);
        assert_eq!(json["lines"][1]["end_ms"], 3_601_000);
        assert_eq!(json["lines"][1]["text"], "late");
    }

    #[test]
    fn f15_formats_parse_from_query_values() {
        for f in [Format::Txt, Format::Srt, Format::Vtt, Format::Json] {
            assert_eq!(Format::parse(f.extension()), Some(f));
            assert!(!f.content_type().is_empty());
        }
        assert_eq!(Format::parse("docx"), None);
        assert!(render(Format::Vtt, "m", &[]).starts_with("WEBVTT"));
    }

    fn chunk(seq: u64, speaker: Option<&str>, is_final: bool) -> RoomChunk {
        RoomChunk {
            seq,
            speaker_id: speaker.map(str::to_owned),
            text: format!("line {seq}"),
            start_ms: seq as i64 * 1000,
            end_ms: seq as i64 * 1000 + 500,
            is_final,
        }
    }

    #[test]
    fn f17_speakers_are_named_or_numbered_and_never_raw_ids() {
        let names = vec![
            ("user_ada".to_owned(), Some("Ada".to_owned())),
            ("user_blank".to_owned(), Some("  ".to_owned())),
        ];
        let lines = lines_from_chunks(
            &[
                chunk(1, Some("user_ada"), true),
                chunk(2, Some("erased_abc"), true),
                chunk(3, Some("user_blank"), true),
                chunk(4, Some("erased_abc"), true),
                chunk(5, Some("user_ada"), false),
                chunk(6, None, true),
            ],
            &names,
        );
        let speakers: Vec<Option<&str>> = lines.iter().map(|l| l.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            vec![
                Some("Ada"),
                Some("Speaker 1"),
                Some("Speaker 2"),
                Some("Speaker 1"),
                None
            ]
        );
        let srt = to_srt(&lines);
        assert!(!srt.contains("erased_") && !srt.contains("user_"), "{srt}");
        let parsed: RoomChunk = serde_json::from_str(
            r#"{"seq":3,"speaker_id":null,"text":"x","start_ms":1,"end_ms":2,"confidence":0.9}"#,
        )
        .unwrap();
        assert!(parsed.is_final);
    }
}
