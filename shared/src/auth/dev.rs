//! The local-development identity provider: a committed, dev-only RSA key
//! pair that mints tokens shaped like WorkOS AuthKit access tokens, so the
//! whole system runs and is tried out without a WorkOS account.
//!
//! It exists only where `ENVIRONMENT` is `local` **and** `DEV_AUTH` is `on`.
//! [`dev_auth_mode`] decides; anything but a clean "off" outside local is a
//! configuration error, and the Worker then refuses to serve at all (see
//! docs/threat-model.md, "Auth bypass"). Dev tokens carry their own issuer
//! ([`DEV_ISSUER`]) and key id ([`DEV_KID`]), which are accepted only in that
//! mode, so a dev token can never verify as a WorkOS one.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::route::is_valid_id;
use crate::validation::{invalid, reason, FlatObject};

/// The `iss` of dev tokens. `.invalid` (RFC 2606) can never be a real host.
pub const DEV_ISSUER: &str = "https://connvo-dev-auth.invalid/local-dev-only";
/// The `kid` of the committed dev key.
pub const DEV_KID: &str = "connvo-local-dev-only-1";
/// Default and largest dev-token lifetimes. AuthKit tokens live ~5 minutes;
/// dev tokens may live an hour so a developer is not re-minting constantly.
pub const DEV_DEFAULT_TTL_SECS: u64 = 300;
pub const DEV_MAX_TTL_SECS: u64 = 3600;

/// Whether the dev identity provider is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevAuth {
    Off,
    On,
}

/// Why the dev-auth configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevAuthConfigError {
    /// `DEV_AUTH` is set (to anything but "off") outside `ENVIRONMENT=local`.
    #[error("DEV_AUTH is set but ENVIRONMENT is not local: refusing to serve")]
    OutsideLocal,
    /// `DEV_AUTH` is neither "on" nor "off".
    #[error("DEV_AUTH must be \"on\" or \"off\"")]
    InvalidValue,
}

impl DevAuthConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            DevAuthConfigError::OutsideLocal => "CONFIG_DEV_AUTH_OUTSIDE_LOCAL",
            DevAuthConfigError::InvalidValue => "CONFIG_DEV_AUTH_INVALID",
        }
    }
}

impl From<DevAuthConfigError> for ApiError {
    fn from(err: DevAuthConfigError) -> Self {
        ApiError::internal(format!("server misconfigured: {err}"))
            .with_details(json!({ "reason": err.code() }))
    }
}

/// Decides the dev mode from `ENVIRONMENT == "local"` and the raw `DEV_AUTH`.
///
/// Absent, empty or "off" is off everywhere. "on" is on in local and an
/// error elsewhere; any other value is an error everywhere (a typo must not
/// silently mean either).
pub fn dev_auth_mode(
    is_local: bool,
    dev_auth: Option<&str>,
) -> Result<DevAuth, DevAuthConfigError> {
    match dev_auth.map(str::trim) {
        None | Some("") | Some("off") => Ok(DevAuth::Off),
        Some(_) if !is_local => Err(DevAuthConfigError::OutsideLocal),
        Some("on") => Ok(DevAuth::On),
        Some(_) => Err(DevAuthConfigError::InvalidValue),
    }
}

/// `POST /v1/dev/token`'s body, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevTokenRequest {
    pub user_id: String,
    pub org_id: Option<String>,
    pub role: Option<String>,
    pub email: Option<String>,
    pub ttl_secs: u64,
}

/// A WorkOS role slug: 1 to 64 of `[a-z0-9_-]`.
pub fn is_valid_role_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A plausible email: one `@` with text either side, no spaces or controls,
/// at most 254 bytes (RFC 5321). Deliverability is not our concern here.
pub fn is_plausible_email(s: &str) -> bool {
    s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl DevTokenRequest {
    pub fn parse(body: &[u8]) -> Result<DevTokenRequest, ApiError> {
        let f = FlatObject::parse(body, &["user_id", "org_id", "role", "email", "ttl_secs"])?;
        let id_rule = "1 to 64 characters of [A-Za-z0-9_-]";
        Ok(DevTokenRequest {
            user_id: f.str("user_id", is_valid_id, id_rule)?,
            org_id: f.opt_str("org_id", is_valid_id, id_rule)?,
            role: f.opt_str(
                "role",
                is_valid_role_slug,
                "1 to 64 characters of [a-z0-9_-]",
            )?,
            email: f.opt_str("email", is_plausible_email, "an email address")?,
            ttl_secs: f
                .opt_u64_in("ttl_secs", 1, DEV_MAX_TTL_SECS)?
                .unwrap_or(DEV_DEFAULT_TTL_SECS),
        })
    }

    /// The claims of the token, shaped like a WorkOS access token
    /// (docs/vendors.md) with [`DEV_ISSUER`]. A role is given only with an org,
    /// as in WorkOS (a role is a membership's); `member` is the default.
    pub fn claims(&self, now_secs: i64, session_id: &str, jti: &str) -> Value {
        let mut claims = json!({
            "iss": DEV_ISSUER,
            "sub": self.user_id,
            "sid": session_id,
            "jti": jti,
            "iat": now_secs,
            "exp": now_secs.saturating_add(i64::try_from(self.ttl_secs).unwrap_or(i64::MAX)),
            "permissions": [],
            "entitlements": [],
        });
        if let Some(org) = &self.org_id {
            let role = self.role.as_deref().unwrap_or("member");
            claims["org_id"] = json!(org);
            claims["role"] = json!(role);
            claims["roles"] = json!([role]);
        }
        if let Some(email) = &self.email {
            claims["email"] = json!(email);
        }
        claims
    }
}

/// A dev-token request for a role without an org is refused: WorkOS has no
/// such token, and accepting it would let `role: admin` float free of any org.
pub fn check_role_has_org(req: &DevTokenRequest) -> Result<(), ApiError> {
    if req.role.is_some() && req.org_id.is_none() {
        return Err(invalid("role", reason::REQUIRED, "`role` needs `org_id`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_auth_is_on_only_in_local_with_on() {
        assert_eq!(dev_auth_mode(true, Some("on")), Ok(DevAuth::On));
        assert_eq!(dev_auth_mode(true, Some(" on ")), Ok(DevAuth::On));
        assert_eq!(dev_auth_mode(true, None), Ok(DevAuth::Off));
        assert_eq!(dev_auth_mode(true, Some("off")), Ok(DevAuth::Off));
        assert_eq!(dev_auth_mode(false, None), Ok(DevAuth::Off));
        assert_eq!(dev_auth_mode(false, Some("")), Ok(DevAuth::Off));
        assert_eq!(dev_auth_mode(false, Some("off")), Ok(DevAuth::Off));
        assert_eq!(
            dev_auth_mode(false, Some("on")),
            Err(DevAuthConfigError::OutsideLocal)
        );
        assert_eq!(
            dev_auth_mode(false, Some("yes")),
            Err(DevAuthConfigError::OutsideLocal)
        );
        assert_eq!(
            dev_auth_mode(true, Some("yes")),
            Err(DevAuthConfigError::InvalidValue)
        );
    }

    #[test]
    fn parses_and_validates_requests() {
        let r = DevTokenRequest::parse(br#"{"user_id":"user_a","org_id":"org_1","role":"admin"}"#)
            .unwrap();
        assert_eq!(r.ttl_secs, DEV_DEFAULT_TTL_SECS);
        assert_eq!(r.role.as_deref(), Some("admin"));
        for (body, field) in [
            (r#"{}"#, "user_id"),
            (r#"{"user_id":"a b"}"#, "user_id"),
            (r#"{"user_id":"u","org_id":7}"#, "org_id"),
            (r#"{"user_id":"u","role":"Admin!"}"#, "role"),
            (r#"{"user_id":"u","email":"nope"}"#, "email"),
            (r#"{"user_id":"u","ttl_secs":0}"#, "ttl_secs"),
            (r#"{"user_id":"u","ttl_secs":3601}"#, "ttl_secs"),
            (r#"{"user_id":"u","admin":true}"#, "admin"),
        ] {
            let err = DevTokenRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(err.details.unwrap()["field"], field, "{body}");
        }
        let r = DevTokenRequest::parse(br#"{"user_id":"u","role":"admin"}"#).unwrap();
        assert!(check_role_has_org(&r).is_err());
    }

    #[test]
    fn claims_have_the_workos_shape() {
        let r = DevTokenRequest::parse(
            br#"{"user_id":"user_a","org_id":"org_1","email":"a@b.test","ttl_secs":60}"#,
        )
        .unwrap();
        let c = r.claims(1_000, "session_x", "jti_y");
        assert_eq!(c["iss"], DEV_ISSUER);
        assert_eq!(c["sub"], "user_a");
        assert_eq!(c["org_id"], "org_1");
        assert_eq!(c["role"], "member");
        assert_eq!(c["roles"], json!(["member"]));
        assert_eq!(c["exp"], 1_060);
        assert_eq!(c["iat"], 1_000);
        assert_eq!(c["sid"], "session_x");
        assert_eq!(c["email"], "a@b.test");
        let bare = DevTokenRequest::parse(br#"{"user_id":"u"}"#)
            .unwrap()
            .claims(0, "s", "j");
        assert!(bare.get("org_id").is_none() && bare.get("role").is_none());
    }

    #[test]
    fn emails_and_slugs() {
        assert!(is_plausible_email("a@b.co"));
        assert!(!is_plausible_email("a@b"));
        assert!(!is_plausible_email("@b.co"));
        assert!(!is_plausible_email("a b@c.co"));
        assert!(!is_plausible_email("a@b@c.co"));
        assert!(is_valid_role_slug("org-admin_2"));
        assert!(!is_valid_role_slug(""));
        assert!(!is_valid_role_slug("Admin"));
    }
}
