//! The tracks of a recording (rules F23–F24 of `docs/recordings.md`): each
//! file Stream announces is one track of the job it belongs to, with its
//! duration.
//!
//! What Stream reports (`@stream-io/node-sdk` 0.7.64, `CallRecordingReadyEvent`
//! and `CallTranscriptionReadyEvent`): the `recording_type` (`composite`,
//! `individual` or `raw`) and, per file, `filename`, `url`, `start_time`,
//! `end_time` and `session_id`. No size, no language and no output type per
//! file. So the track is read from what there is: a composite recording is
//! the `composite` track; an individual or raw one is `screen_share` when
//! its file name says so, `audio_only` when it is an audio file, `video_only`
//! when its name says so, else `audio_video`; a transcription file is the
//! `transcript` track. The size is learnt separately (the file's
//! `Content-Length`, F25).

use serde::{Deserialize, Serialize};

use crate::stream::webhook::FileKind;

/// One track of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// Every participant mixed into one video (Stream's `composite`).
    Composite,
    AudioOnly,
    VideoOnly,
    AudioVideo,
    ScreenShare,
    /// Stream's transcription file.
    Transcript,
}

impl Track {
    /// `meeting_recordings.track`.
    pub fn as_str(self) -> &'static str {
        match self {
            Track::Composite => "composite",
            Track::AudioOnly => "audio_only",
            Track::VideoOnly => "video_only",
            Track::AudioVideo => "audio_video",
            Track::ScreenShare => "screen_share",
            Track::Transcript => "transcript",
        }
    }
}

/// Audio container extensions (lower case, without the dot).
const AUDIO_EXTENSIONS: [&str; 8] = ["mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "flac"];

/// The track a file is (F23).
pub fn classify(kind: FileKind, recording_type: Option<&str>, filename: &str) -> Track {
    if kind == FileKind::Transcription {
        return Track::Transcript;
    }
    // Old senders omit the type; their files are the composite.
    if matches!(recording_type, None | Some("composite")) {
        return Track::Composite;
    }
    let name = filename.to_ascii_lowercase();
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name.contains("screenshare") || name.contains("screen_share") {
        Track::ScreenShare
    } else if AUDIO_EXTENSIONS.contains(&extension) || name.contains("audio_only") {
        Track::AudioOnly
    } else if name.contains("video_only") {
        Track::VideoOnly
    } else {
        Track::AudioVideo
    }
}

/// The file's duration (F24): `end - start` when Stream sent both and they
/// are in order; otherwise unknown rather than a guess.
pub fn duration_ms(start_ms: Option<i64>, end_ms: Option<i64>) -> Option<i64> {
    match (start_ms, end_ms) {
        (Some(s), Some(e)) if e >= s => Some(e - s),
        _ => None,
    }
}

/// The largest size we store (1 TiB): a `Content-Length` beyond it is not
/// a recording's and is ignored (F25).
pub const MAX_SIZE_BYTES: i64 = 1 << 40;

/// A file's size from the `Content-Length` the file store answered (F25).
pub fn size_from_content_length(header: Option<&str>) -> Option<i64> {
    header?
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=MAX_SIZE_BYTES).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f23_tracks_come_from_the_recording_type_and_the_file() {
        let rec = FileKind::Recording;
        assert_eq!(
            classify(rec, Some("composite"), "call.mp4"),
            Track::Composite
        );
        assert_eq!(classify(rec, None, "call.mp4"), Track::Composite);
        assert_eq!(
            classify(FileKind::Transcription, None, "t.jsonl"),
            Track::Transcript
        );
        assert_eq!(
            classify(rec, Some("individual"), "u1_screenshare_audio_video.mp4"),
            Track::ScreenShare
        );
        assert_eq!(
            classify(rec, Some("raw"), "u1_track.OPUS"),
            Track::AudioOnly
        );
        assert_eq!(
            classify(rec, Some("individual"), "u1_audio_only.webm"),
            Track::AudioOnly
        );
        assert_eq!(
            classify(rec, Some("individual"), "u1_video_only.webm"),
            Track::VideoOnly
        );
        assert_eq!(
            classify(rec, Some("individual"), "u1.mp4"),
            Track::AudioVideo
        );
        assert_eq!(Track::ScreenShare.as_str(), "screen_share");
    }

    #[test]
    fn f24_duration_is_end_minus_start_or_unknown() {
        assert_eq!(duration_ms(Some(1_000), Some(601_000)), Some(600_000));
        assert_eq!(duration_ms(Some(5), Some(5)), Some(0));
        assert_eq!(duration_ms(Some(10), Some(5)), None, "inverted");
        assert_eq!(duration_ms(None, Some(5)), None);
    }

    #[test]
    fn f25_sizes_come_from_a_sane_content_length() {
        assert_eq!(size_from_content_length(Some("2048")), Some(2048));
        assert_eq!(size_from_content_length(Some(" 0 ")), Some(0));
        for bad in [
            None,
            Some(""),
            Some("-1"),
            Some("12ab"),
            Some("99999999999999999"),
        ] {
            assert_eq!(size_from_content_length(bad), None, "{bad:?}");
        }
    }
}
