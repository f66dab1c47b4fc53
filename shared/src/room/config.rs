//! Every tunable of a room in one place, with the defaults the protocol
//! document promises. Tests shrink them to hit edge cases quickly.

use crate::intelligence::live::LiveConfig;
use crate::ot::NotesLimits;

/// Limits and timings of one meeting room.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomConfig {
    /// Coalescing window for the hot streams (notes ops, transcript chunks,
    /// speaking stats): items are delivered at most this long after they
    /// were committed. Requirement 5.3 asks for 100–250 ms. Only a busy
    /// room holds items that long (R26, `coalesce.rs`).
    pub coalesce_ms: u64,
    /// At or above this many hot items in the last second the room is busy
    /// and batches items over `coalesce_ms`; below it, and with no delivery
    /// waiting, an item goes out at once (R26).
    pub coalesce_idle_per_sec: u64,
    /// …or as soon as this many items are waiting, whichever comes first.
    /// Also the most items one live `notes.ops` / `transcript.chunks` frame carries.
    pub coalesce_max: usize,
    /// The room sheds load (R27, `load.rs`) while its timer fires more than
    /// this late, or while its queue is past `prompt_overload_frames`.
    pub shed_lag_ms: u64,
    /// While shedding, the speaking stats go out at most this often.
    pub shed_state_every_ms: u64,
    /// The largest frame a client may send, in bytes. Larger ones close the
    /// connection with 1009 (the sender only).
    pub max_frame_bytes: usize,
    /// The longest chat message, in Unicode scalar values.
    pub chat_max_chars: usize,
    /// The longest transcript chunk text, in Unicode scalar values.
    pub transcript_max_chars: usize,
    /// The longest span (`end_ms - start_ms`) of one transcript chunk.
    pub transcript_max_span_ms: u64,
    /// The most items a resume sends for one stream; further behind gets a
    /// snapshot (notes) or the latest window with `truncated: true`.
    pub resume_max_items: usize,
    /// The most items in one catch-up frame.
    pub resume_frame_items: usize,
    /// Per-session outbound queue caps, counting frames produced but not yet
    /// taken by `poll_output`. Past either, the session's queued stream
    /// frames are dropped and it is told to `resync`. The byte cap must
    /// exceed the largest notes snapshot frame.
    pub queue_max_frames: usize,
    pub queue_max_bytes: usize,
    /// How long after the first unflushed write a flush to D1 is emitted
    /// (a debounce with a maximum wait: later writes do not push it back).
    pub flush_interval_ms: u64,
    /// The most rows of each kind in one flush batch (D1 runs a batch as one
    /// transaction with a 30 s limit).
    pub flush_max_rows: usize,
    /// How long a flush may stay unanswered before it is emitted again
    /// (flushes are idempotent, so a retry is always safe). Longer than
    /// D1's 30 s batch limit, so a re-emitted flush never runs alongside
    /// the original: batches reach D1 in order.
    pub flush_retry_ms: u64,
    pub notes: NotesLimits,
    /// Ops kept in the notes log after compaction: the resume window.
    pub notes_log_keep: usize,
    /// A notes snapshot is stored every this many commits, bounding the
    /// replay needed to rebuild the document after eviction.
    pub notes_snapshot_every: u64,
    /// Token bucket per session: sustained frames per second and burst.
    pub rate_per_sec: u32,
    pub rate_burst: u32,
    /// Frames dropped for rate limiting before the connection is closed (4008).
    pub max_rate_violations: u32,
    /// Malformed frames tolerated before the connection is closed (4400).
    pub max_bad_frames: u32,
    /// A connection that has not said hello by then is closed (4400).
    pub hello_timeout_ms: u64,
    /// Connections per user; a newer one closes the oldest (4008).
    pub max_sessions_per_user: usize,
    /// Distinct speakers tracked in the speaking stats; later ones are
    /// summed under `"other"` so the state frame stays small.
    pub max_speakers: usize,
    /// Users whose video-call presence the room keeps. Past it, the entry of
    /// the user who left the call longest ago makes way; when everyone
    /// recorded is in the call, a newcomer's join is refused.
    pub max_call_users: usize,
    /// Denied writes are audited at most once per session, action and window.
    pub audit_denial_window_ms: u64,
    /// The in-call detectors and the prompt gate (docs/intelligence.md);
    /// set per environment from the `INCALL_*` vars ([`RoomConfig::with_vars`]).
    pub live: LiveConfig,
    /// The room counts as overloaded for in-call prompts (detections are
    /// shed, I9) while more than this many frames wait in its outbox, or
    /// while any connection is being paced.
    pub prompt_overload_frames: usize,
    /// How many of the latest transcript chunks a generation request carries.
    pub prompt_recent_lines: usize,
    /// `false`: the room runs no in-call detectors at all — nothing is
    /// observed, polled or queued, and `meeting_state` keeps only the
    /// speaking time (`INCALL_DETECTORS=off`; the benchmark's baseline).
    pub detectors: bool,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            coalesce_ms: 100,
            coalesce_idle_per_sec: 30,
            coalesce_max: 20,
            shed_lag_ms: 200,
            shed_state_every_ms: 1_000,
            max_frame_bytes: 64 * 1024,
            chat_max_chars: 2_000,
            transcript_max_chars: 4_000,
            transcript_max_span_ms: 3_600_000,
            resume_max_items: 500,
            resume_frame_items: 100,
            queue_max_frames: 512,
            queue_max_bytes: 2 * 1024 * 1024,
            flush_interval_ms: 5_000,
            flush_max_rows: 200,
            flush_retry_ms: 60_000,
            notes: NotesLimits::default(),
            notes_log_keep: 500,
            notes_snapshot_every: 100,
            rate_per_sec: 40,
            rate_burst: 80,
            max_rate_violations: 200,
            max_bad_frames: 50,
            hello_timeout_ms: 15_000,
            max_sessions_per_user: 8,
            max_speakers: 64,
            max_call_users: 256,
            audit_denial_window_ms: 60_000,
            live: LiveConfig::default(),
            prompt_overload_frames: 2_000,
            prompt_recent_lines: 20,
            detectors: true,
        }
    }
}

/// The environment vars that tune the in-call detectors (README,
/// "Configuration"), each with the [`LiveConfig`] field it sets.
pub const INCALL_VARS: [&str; 9] = [
    "INCALL_DETECTORS",
    "INCALL_SILENCE_MS",
    "INCALL_LULL_WINDOW_MS",
    "INCALL_LULL_MIN_WPM",
    "INCALL_TOPIC_WINDOW_MS",
    "INCALL_TOPIC_MIN_WORDS",
    "INCALL_TOPIC_THRESHOLD",
    "INCALL_MIN_INTERVAL_MS",
    "INCALL_OVERLOAD_FRAMES",
];

impl RoomConfig {
    /// The defaults with the `INCALL_*` vars and `ROOM_FLUSH_INTERVAL_MS`
    /// that `var` returns applied. A var
    /// that does not parse (or is out of range) keeps its default and is
    /// named in the second value, for the shell to log.
    pub fn with_vars(var: impl Fn(&str) -> Option<String>) -> (RoomConfig, Vec<&'static str>) {
        let mut c = RoomConfig::default();
        let mut bad = Vec::new();
        let mut ms = |name: &'static str, slot: &mut u64| {
            if let Some(v) = var(name) {
                match v.trim().parse::<u64>() {
                    Ok(n) if (1..=86_400_000).contains(&n) => *slot = n,
                    _ => bad.push(name),
                }
            }
        };
        ms("INCALL_SILENCE_MS", &mut c.live.lull.silence_ms);
        ms("INCALL_LULL_WINDOW_MS", &mut c.live.lull.window_ms);
        ms("INCALL_TOPIC_WINDOW_MS", &mut c.live.topic.window_ms);
        ms("INCALL_MIN_INTERVAL_MS", &mut c.live.gate.min_interval_ms);
        // How long the room's D1 mirror lags at most while a call runs
        // (R17); the end of the meeting still flushes at once.
        ms("ROOM_FLUSH_INTERVAL_MS", &mut c.flush_interval_ms);
        let mut words = 0u64;
        ms("INCALL_TOPIC_MIN_WORDS", &mut words);
        if words > 0 {
            c.live.topic.min_words = u32::try_from(words).unwrap_or(u32::MAX);
        }
        let mut frames = 0u64;
        ms("INCALL_OVERLOAD_FRAMES", &mut frames);
        if frames > 0 {
            c.prompt_overload_frames = usize::try_from(frames).unwrap_or(usize::MAX);
        }
        let mut real = |name: &'static str, slot: &mut f64, max: f64| {
            if let Some(v) = var(name) {
                match v.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.0..=max).contains(&x) => *slot = x,
                    _ => bad.push(name),
                }
            }
        };
        real(
            "INCALL_LULL_MIN_WPM",
            &mut c.live.lull.min_words_per_min,
            1_000.0,
        );
        real("INCALL_TOPIC_THRESHOLD", &mut c.live.topic.threshold, 1.0);
        match var("INCALL_DETECTORS").as_deref().map(str::trim) {
            None | Some("on") => {}
            Some("off") => c.detectors = false,
            Some(_) => bad.push("INCALL_DETECTORS"),
        }
        (c, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incall_vars_override_the_defaults_and_bad_ones_are_named() {
        let vars = |name: &str| match name {
            "INCALL_SILENCE_MS" => Some("3000".to_owned()),
            "INCALL_TOPIC_THRESHOLD" => Some("0.3".to_owned()),
            "INCALL_TOPIC_MIN_WORDS" => Some("6".to_owned()),
            "INCALL_MIN_INTERVAL_MS" => Some("soon".to_owned()),
            "INCALL_LULL_MIN_WPM" => Some("-1".to_owned()),
            "ROOM_FLUSH_INTERVAL_MS" => Some("15000".to_owned()),
            _ => None,
        };
        let (c, bad) = RoomConfig::with_vars(vars);
        assert_eq!(c.live.lull.silence_ms, 3_000);
        assert_eq!(c.live.topic.threshold, 0.3);
        assert_eq!(c.live.topic.min_words, 6);
        assert_eq!(c.live.gate.min_interval_ms, 60_000);
        assert_eq!(c.live.lull.min_words_per_min, 40.0);
        assert_eq!(c.flush_interval_ms, 15_000);
        assert_eq!(bad, ["INCALL_MIN_INTERVAL_MS", "INCALL_LULL_MIN_WPM"]);
        let (d, none) = RoomConfig::with_vars(|_| None);
        assert_eq!(d, RoomConfig::default());
        assert!(none.is_empty());
        assert_eq!(INCALL_VARS.len(), 9);
        let (off, _) = RoomConfig::with_vars(|n| (n == "INCALL_DETECTORS").then(|| "off".into()));
        assert!(!off.detectors);
    }
}
