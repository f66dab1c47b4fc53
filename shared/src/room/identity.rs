//! Who is on the other end of a connection: the session id the shell picked
//! for the socket, and the identity the Worker verified before handing the
//! socket to the room. Both travel in the socket's hibernation attachment,
//! so their sizes are capped here.

use serde::{Deserialize, Serialize};

use crate::acl::{MeetingRole, OrgRole};

use super::error::RoomError;

/// The longest session id: the shell uses it as the socket's tag too.
pub const MAX_SESSION_ID_LEN: usize = 64;
/// The longest user or organisation id (the ticket's own limit).
pub const MAX_USER_ID_LEN: usize = 255;
/// Client details longer than this are cut (they are informational).
pub const MAX_CLIENT_FIELD_CHARS: usize = 200;

/// The shell's name for one socket, unique within the room. The shell picks
/// it (from random bytes it owns) and tags the socket with it so it can find
/// the socket again after hibernation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

impl SessionId {
    /// 1 to 64 printable ASCII characters.
    pub fn new(id: impl Into<String>) -> Result<SessionId, RoomError> {
        let id = id.into();
        if is_token(&id, MAX_SESSION_ID_LEN) {
            Ok(SessionId(id))
        } else {
            Err(RoomError::InvalidIdentity("session id"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SessionId {
    type Error = RoomError;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        SessionId::new(id)
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> String {
        id.0
    }
}

/// Informational details about the client, for logs and audit rows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// What the Worker verified about the connecting user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionIdentity {
    pub user_id: String,
    /// The meeting role at connect time; `None` (not a participant) is
    /// always refused.
    pub role: Option<MeetingRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default = "member")]
    pub org_role: OrgRole,
    #[serde(default)]
    pub client: ClientInfo,
}

fn member() -> OrgRole {
    OrgRole::Member
}

impl SessionIdentity {
    /// A participant identity with no organisation and no client details.
    pub fn new(user_id: impl Into<String>, role: Option<MeetingRole>) -> Self {
        SessionIdentity {
            user_id: user_id.into(),
            role,
            org_id: None,
            org_role: OrgRole::Member,
            client: ClientInfo::default(),
        }
    }

    /// Checks the ids and cuts the client details to size, so the identity
    /// always fits the attachment.
    pub(crate) fn sanitised(mut self) -> Result<Self, RoomError> {
        if !is_token(&self.user_id, MAX_USER_ID_LEN) {
            return Err(RoomError::InvalidIdentity("user id"));
        }
        if self
            .org_id
            .as_deref()
            .is_some_and(|org| !is_token(org, MAX_USER_ID_LEN))
        {
            return Err(RoomError::InvalidIdentity("org id"));
        }
        self.client.user_agent = self.client.user_agent.map(|s| cut(&s));
        self.client.ip = self.client.ip.map(|s| cut(&s));
        Ok(self)
    }
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_CLIENT_FIELD_CHARS).collect()
}

/// 1..=`max` bytes of printable ASCII (no spaces, no control characters).
pub(crate) fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_short_printable_ascii() {
        assert!(SessionId::new("s-1").is_ok());
        assert!(SessionId::new("").is_err());
        assert!(SessionId::new("a b").is_err());
        assert!(SessionId::new("x".repeat(65)).is_err());
        assert!(serde_json::from_str::<SessionId>("\"\"").is_err());
        let id: SessionId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(id.as_str(), "abc");
    }

    #[test]
    fn identities_are_checked_and_trimmed() {
        let mut id = SessionIdentity::new("u1", Some(MeetingRole::Host));
        id.client.user_agent = Some("é".repeat(1000));
        let id = id.sanitised().unwrap();
        assert_eq!(id.client.user_agent.unwrap().chars().count(), 200);
        assert!(SessionIdentity::new("", None).sanitised().is_err());
        let mut bad_org = SessionIdentity::new("u", None);
        bad_org.org_id = Some("has space".into());
        assert!(bad_org.sanitised().is_err());
        let parsed: SessionIdentity =
            serde_json::from_str(r#"{"user_id":"u","role":"observer"}"#).unwrap();
        assert_eq!(parsed.org_role, OrgRole::Member);
        assert_eq!(parsed.role, Some(MeetingRole::Observer));
    }
}
