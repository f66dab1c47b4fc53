//! Meeting chat: what a `chat.send` carries, the rules it must meet, and the
//! message as sequenced by the room.
//!
//! A message is identified twice: by the room's per-meeting `seq` (the
//! resume cursor and the D1 key) and by the sender's `(user_id,
//! client_ref)`, which makes a resend after a reconnect idempotent: the
//! second send gets the first one's seq back instead of a copy.

use serde::{Deserialize, Serialize};

use super::config::RoomConfig;
use super::error::RoomError;
use super::identity::is_token;

/// The longest `client_ref`.
pub const MAX_CLIENT_REF_LEN: usize = 64;

/// A `chat.send` as received.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ChatInput {
    pub client_ref: String,
    pub text: String,
}

/// A [`ChatInput`] that met every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedChat(ChatInput);

impl CheckedChat {
    pub fn client_ref(&self) -> &str {
        &self.0.client_ref
    }

    pub fn text(&self) -> &str {
        &self.0.text
    }
}

impl ChatInput {
    pub fn check(self, config: &RoomConfig) -> Result<CheckedChat, RoomError> {
        if !is_token(&self.client_ref, MAX_CLIENT_REF_LEN) {
            return Err(RoomError::InvalidField {
                field: "client_ref",
                reason: "1 to 64 printable ASCII characters",
            });
        }
        if self.text.trim().is_empty() {
            return Err(RoomError::InvalidField {
                field: "text",
                reason: "must not be blank",
            });
        }
        if self.text.contains('\0') {
            return Err(RoomError::InvalidField {
                field: "text",
                reason: "must not contain NUL",
            });
        }
        let chars = self.text.chars().count();
        if chars > config.chat_max_chars {
            return Err(RoomError::ChatTooLong {
                chars,
                max: config.chat_max_chars,
            });
        }
        Ok(CheckedChat(self))
    }
}

/// A sequenced chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ChatMessage {
    pub seq: u64,
    pub user_id: String,
    pub client_ref: String,
    pub text: String,
    pub created_at_ms: u64,
}

impl ChatMessage {
    pub(crate) fn new(seq: u64, user_id: &str, chat: CheckedChat, now_ms: u64) -> Self {
        ChatMessage {
            seq,
            user_id: user_id.to_owned(),
            client_ref: chat.0.client_ref,
            text: chat.0.text,
            created_at_ms: now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(client_ref: &str, text: &str) -> ChatInput {
        ChatInput {
            client_ref: client_ref.into(),
            text: text.into(),
        }
    }

    #[test]
    fn rules() {
        let config = RoomConfig {
            chat_max_chars: 3,
            ..RoomConfig::default()
        };
        assert!(send("r1", "😀😀😀").check(&config).is_ok());
        assert_eq!(
            send("r1", "abcd").check(&config).unwrap_err(),
            RoomError::ChatTooLong { chars: 4, max: 3 }
        );
        assert_eq!(
            send("r1", " \n").check(&config).unwrap_err().code(),
            "INVALID_FIELD"
        );
        assert_eq!(
            send("", "a").check(&config).unwrap_err().code(),
            "INVALID_FIELD"
        );
        assert_eq!(
            send("a b", "a").check(&config).unwrap_err().code(),
            "INVALID_FIELD"
        );
        assert_eq!(
            send("r", "a\0").check(&config).unwrap_err().code(),
            "INVALID_FIELD"
        );
        let msg = ChatMessage::new(3, "u", send("r", "hi").check(&config).unwrap(), 9);
        assert_eq!(
            (msg.seq, msg.client_ref.as_str(), msg.created_at_ms),
            (3, "r", 9)
        );
    }
}
