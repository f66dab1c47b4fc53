//! The named streams a session can subscribe to, and the small set type
//! that holds a subscription list.
//!
//! Four streams are sequenced and resumable (`notes` by document version,
//! `transcript`, `chat` and `prompts` by a per-meeting seq); the other two
//! are ephemeral views re-sent whole on every subscribe (`presence`,
//! `state`).

use serde::{Deserialize, Serialize};

use crate::acl::Action;

/// One stream of the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Stream {
    State,
    Presence,
    Notes,
    Transcript,
    Chat,
    Prompts,
}

impl Stream {
    /// Every stream, in the order a hello's catch-up is sent: the meeting's
    /// state and who is here first, then content.
    pub const ALL: [Stream; 6] = [
        Stream::State,
        Stream::Presence,
        Stream::Notes,
        Stream::Transcript,
        Stream::Chat,
        Stream::Prompts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stream::State => "state",
            Stream::Presence => "presence",
            Stream::Notes => "notes",
            Stream::Transcript => "transcript",
            Stream::Chat => "chat",
            Stream::Prompts => "prompts",
        }
    }

    pub fn parse(s: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|stream| stream.as_str() == s)
    }

    /// The ACL action that reading this stream needs.
    pub fn read_action(self) -> Action {
        match self {
            Stream::State => Action::ReadState,
            Stream::Presence => Action::ReadPresence,
            Stream::Notes => Action::ReadNotes,
            Stream::Transcript => Action::ReadTranscript,
            Stream::Chat => Action::ReadChat,
            Stream::Prompts => Action::ReadPrompts,
        }
    }

    /// Whether the stream carries a sequence a client resumes from.
    pub fn is_sequenced(self) -> bool {
        match self {
            Stream::Notes | Stream::Transcript | Stream::Chat | Stream::Prompts => true,
            Stream::State | Stream::Presence => false,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Stream::State => 1,
            Stream::Presence => 2,
            Stream::Notes => 4,
            Stream::Transcript => 8,
            Stream::Chat => 16,
            Stream::Prompts => 32,
        }
    }
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of streams. Serialises as a list of names in [`Stream::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, as = "Vec<Stream>"))]
pub struct StreamSet(u8);

impl StreamSet {
    pub fn empty() -> Self {
        StreamSet(0)
    }

    pub fn all() -> Self {
        Stream::ALL.into_iter().collect()
    }

    pub fn insert(&mut self, stream: Stream) {
        self.0 |= stream.bit();
    }

    pub fn remove(&mut self, stream: Stream) {
        self.0 &= !stream.bit();
    }

    pub fn contains(self, stream: Stream) -> bool {
        self.0 & stream.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Stream> {
        Stream::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Stream> for StreamSet {
    fn from_iter<I: IntoIterator<Item = Stream>>(iter: I) -> Self {
        let mut set = StreamSet::empty();
        for stream in iter {
            set.insert(stream);
        }
        set
    }
}

impl Serialize for StreamSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for StreamSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let streams = Vec::<Stream>::deserialize(deserializer)?;
        Ok(streams.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sets_keep_canonical_order() {
        for stream in Stream::ALL {
            assert_eq!(Stream::parse(stream.as_str()), Some(stream));
            assert_eq!(
                serde_json::to_value(stream).unwrap(),
                serde_json::json!(stream.as_str())
            );
        }
        assert_eq!(Stream::parse("Notes"), None);
        let set: StreamSet = [Stream::Chat, Stream::Notes, Stream::Chat]
            .into_iter()
            .collect();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["notes","chat"]"#);
        let mut back: StreamSet = serde_json::from_str(r#"["chat","notes"]"#).unwrap();
        assert_eq!(back, set);
        back.remove(Stream::Notes);
        assert!(back.contains(Stream::Chat) && !back.contains(Stream::Notes));
        assert_eq!(StreamSet::all().iter().count(), 6);
        assert!(StreamSet::empty().is_empty());
    }
}
