//! Transcript aggregation: turns a meeting's flushed transcript chunks into
//! `transcript_segments`, one per speaker turn, split further by time
//! windows so no segment grows without bound. Deterministic: the same
//! chunks always give the same segments (and segment ids), so the job that
//! writes them can run again and change nothing.
//!
//! Topics are a deterministic keyword heuristic (the most frequent
//! non-stopword terms of the segment), standing where a provider-backed
//! topic extractor will plug in; sentiment is left empty.

use std::collections::BTreeMap;

/// One flushed chunk, as read back from D1 (`TRANSCRIPT_LIST_AFTER_SEQ`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRow {
    pub seq: u64,
    pub speaker_id: Option<String>,
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Interim chunks are superseded by a later final one and are skipped.
    pub is_final: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentConfig {
    /// A segment never spans more than this (a long monologue is split).
    pub max_window_ms: u64,
    /// A silence longer than this ends the segment even for the same speaker.
    pub max_gap_ms: u64,
    /// At most this many topic keywords per segment.
    pub max_topics: usize,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            max_window_ms: 60_000,
            max_gap_ms: 10_000,
            max_topics: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// `seg_<meeting>_<first_seq>`: stable across runs.
    pub id: String,
    /// The turn's speaker; empty when the chunks carried none.
    pub speaker_id: String,
    pub speakers: Vec<String>,
    pub text: String,
    pub topics: Vec<String>,
    pub start_ms: u64,
    pub end_ms: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

const STOPWORDS: &[&str] = &[
    "a", "about", "all", "also", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her", "here", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let", "like", "me", "more",
    "my", "no", "not", "of", "on", "one", "or", "our", "out", "so", "some", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "to", "up", "us", "was", "we", "well",
    "were", "what", "when", "which", "who", "will", "with", "would", "yeah", "yes", "you", "your",
];

/// The segment's most frequent content words, ties broken alphabetically.
pub fn topics(text: &str, max: usize) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
    {
        *counts.entry(word).or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.into_iter().take(max).map(|(w, _)| w).collect()
}

/// Groups `chunks` (any order; sorted by seq here) into segments.
pub fn build(meeting_id: &str, chunks: &[ChunkRow], cfg: &SegmentConfig) -> Vec<Segment> {
    let mut finals: Vec<&ChunkRow> = chunks.iter().filter(|c| c.is_final).collect();
    finals.sort_by_key(|c| c.seq);
    let mut out: Vec<Segment> = Vec::new();
    for chunk in finals {
        let speaker = chunk.speaker_id.clone().unwrap_or_default();
        let extend = out.last().is_some_and(|seg| {
            seg.speaker_id == speaker
                && chunk.start_ms.saturating_sub(seg.end_ms) <= cfg.max_gap_ms
                && chunk.end_ms.saturating_sub(seg.start_ms) <= cfg.max_window_ms
        });
        match out.last_mut() {
            Some(seg) if extend => {
                if !chunk.text.trim().is_empty() {
                    if !seg.text.is_empty() {
                        seg.text.push(' ');
                    }
                    seg.text.push_str(chunk.text.trim());
                }
                seg.end_ms = seg.end_ms.max(chunk.end_ms);
                seg.last_seq = chunk.seq;
            }
            _ => out.push(Segment {
                id: format!("seg_{meeting_id}_{}", chunk.seq),
                speakers: if speaker.is_empty() {
                    vec![]
                } else {
                    vec![speaker.clone()]
                },
                speaker_id: speaker,
                text: chunk.text.trim().to_owned(),
                topics: Vec::new(),
                start_ms: chunk.start_ms,
                end_ms: chunk.end_ms.max(chunk.start_ms),
                first_seq: chunk.seq,
                last_seq: chunk.seq,
            }),
        }
    }
    for seg in &mut out {
        seg.topics = topics(&seg.text, cfg.max_topics);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(seq: u64, speaker: &str, text: &str, start: u64, end: u64) -> ChunkRow {
        ChunkRow {
            seq,
            speaker_id: (!speaker.is_empty()).then(|| speaker.to_owned()),
            text: text.into(),
            start_ms: start,
            end_ms: end,
            is_final: true,
        }
    }

    #[test]
    fn groups_by_speaker_turn() {
        let chunks = vec![
            c(1, "a", "hello there", 0, 1000),
            c(2, "a", "how are you", 1000, 2000),
            c(3, "b", "fine thanks", 2500, 3000),
            c(4, "a", "great", 3500, 4000),
        ];
        let segs = build("m1", &chunks, &SegmentConfig::default());
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[0].text, "hello there how are you");
        assert_eq!((segs[0].first_seq, segs[0].last_seq), (1, 2));
        assert_eq!((segs[0].start_ms, segs[0].end_ms), (0, 2000));
        assert_eq!(segs[1].speaker_id, "b");
        assert_eq!(segs[2].id, "seg_m1_4");
    }

    #[test]
    fn splits_long_turns_and_long_silences() {
        let cfg = SegmentConfig {
            max_window_ms: 10_000,
            max_gap_ms: 2_000,
            max_topics: 3,
        };
        let chunks: Vec<ChunkRow> = (0..8)
            .map(|i| c(i + 1, "a", "word", i * 3000, i * 3000 + 2500))
            .collect();
        let segs = build("m", &chunks, &cfg);
        assert!(segs.len() >= 2, "a 24 s monologue splits at 10 s windows");
        assert!(segs.iter().all(|s| s.end_ms - s.start_ms <= 10_000));
        let gap = vec![c(1, "a", "x", 0, 100), c(2, "a", "y", 5000, 5100)];
        assert_eq!(
            build("m", &gap, &cfg).len(),
            2,
            "a 5 s silence ends the segment"
        );
    }

    #[test]
    fn interim_chunks_are_skipped_and_order_is_by_seq() {
        let mut interim = c(2, "a", "helo", 0, 500);
        interim.is_final = false;
        let chunks = vec![
            c(3, "a", "world", 600, 900),
            interim,
            c(1, "a", "hello", 0, 500),
        ];
        let segs = build("m", &chunks, &SegmentConfig::default());
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].text, "hello world");
    }

    #[test]
    fn same_input_same_output() {
        let chunks = vec![c(1, "a", "Rust databases and Rust tooling", 0, 100)];
        let a = build("m", &chunks, &SegmentConfig::default());
        assert_eq!(a, build("m", &chunks, &SegmentConfig::default()));
        assert_eq!(a[0].topics[0], "rust");
    }

    #[test]
    fn topics_skip_stopwords_and_short_words() {
        assert_eq!(topics("the the the and of ok", 3), Vec::<String>::new());
        assert_eq!(
            topics("Pricing pricing roadmap", 2),
            vec!["pricing", "roadmap"]
        );
    }
}
