//! Who a verified WorkOS access token says the caller is. Build one only with
//! [`verify_access_token`](super::verify_access_token), or read back one we
//! stored ourselves after verifying (a socket attachment); never deserialise
//! one from a client.

use serde::{Deserialize, Serialize};

/// The caller, as of the token's issue time. Roles and permissions can be
/// stale by up to the token's lifetime; the WorkOS webhooks close that gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// WorkOS user id (`sub`), e.g. `user_01HBEQKA6K4QJAS93VPE39W1JT`.
    pub user_id: String,
    /// Organisation the session is scoped to (`org_id`), if any.
    pub org_id: Option<String>,
    /// The membership's role slug in that organisation (`role`).
    pub role: Option<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub entitlements: Vec<String>,
    /// WorkOS session id (`sid`); `session.revoked` webhooks name it.
    pub session_id: Option<String>,
    /// Present only when a JWT template adds it.
    pub email: Option<String>,
    /// The admin impersonating this user (`act.sub`), if any. Audit logs
    /// must record it next to `user_id`.
    pub impersonator: Option<String>,
    /// Expiry, unix seconds. Sessions built on this identity end here.
    pub exp: i64,
}

impl Identity {
    /// True when the org role (or any of the roles) is the `admin` slug,
    /// WorkOS's default administrator role.
    pub fn is_org_admin(&self) -> bool {
        self.role.as_deref() == Some("admin") || self.roles.iter().any(|r| r == "admin")
    }
}
