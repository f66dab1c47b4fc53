//! The tag every generated message carries, so a receipt can be matched to
//! its send: which stream, which meeting and participant sent it, that
//! sender's sequence number on the stream, and the send time on the run's
//! clock. It travels inside the payload itself (a line of notes text, the
//! first word of a transcript chunk), so it needs nothing from either wire
//! protocol and survives OT transformation: an insert is never split.
//!
//! Text form: `n.12.3.45.1234567` (stream, meeting, participant, seq, µs).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    Notes,
    Transcript,
}

impl Stream {
    pub const ALL: [Stream; 2] = [Stream::Notes, Stream::Transcript];

    pub fn index(self) -> usize {
        match self {
            Stream::Notes => 0,
            Stream::Transcript => 1,
        }
    }

    fn letter(self) -> char {
        match self {
            Stream::Notes => 'n',
            Stream::Transcript => 't',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub stream: Stream,
    pub meeting: u32,
    pub participant: u32,
    pub seq: u64,
    pub sent_us: u64,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}.{}",
            self.stream.letter(),
            self.meeting,
            self.participant,
            self.seq,
            self.sent_us
        )
    }
}

impl Tag {
    /// Parses a tag at the start of `text` (up to the first space or end).
    /// `None` for anything else: the generator only ever sees its own
    /// payloads, so a failure is counted by the caller as a foreign message.
    pub fn parse(text: &str) -> Option<Tag> {
        let word = text.split(' ').next()?;
        let mut parts = word.split('.');
        let stream = match parts.next()? {
            "n" => Stream::Notes,
            "t" => Stream::Transcript,
            _ => return None,
        };
        let tag = Tag {
            stream,
            meeting: parts.next()?.parse().ok()?,
            participant: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
            sent_us: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_text() {
        let tag = Tag {
            stream: Stream::Transcript,
            meeting: 12,
            participant: 3,
            seq: 45,
            sent_us: 1_234_567,
        };
        assert_eq!(tag.to_string(), "t.12.3.45.1234567");
        assert_eq!(Tag::parse(&format!("{tag} and some words")), Some(tag));
        assert_eq!(Tag::parse("t.12.3.45"), None);
        assert_eq!(Tag::parse("t.12.3.45.1.9"), None);
        assert_eq!(Tag::parse("hello"), None);
    }
}
