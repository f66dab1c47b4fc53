//! What a deployment accepts as a valid WorkOS access token: which issuers,
//! which audience, how much clock skew. Built once from configuration and
//! passed to [`verify_access_token`](super::verify_access_token).

/// Token acceptance rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyConfig {
    issuers: Vec<String>,
    audience: Option<String>,
    leeway_secs: i64,
}

impl VerifyConfig {
    /// The widest clock skew we tolerate. AuthKit tokens live about five
    /// minutes; more than a minute of leeway would stretch that noticeably.
    pub const MAX_LEEWAY_SECS: u32 = 60;

    /// The WorkOS defaults for a client: the three issuer spellings WorkOS
    /// uses (docs/vendors.md "Access tokens"), no audience check, 60 s leeway.
    pub fn workos(client_id: &str) -> Self {
        VerifyConfig {
            issuers: vec![
                "https://api.workos.com".to_owned(),
                "https://api.workos.com/".to_owned(),
                format!("https://api.workos.com/user_management/{client_id}"),
            ],
            audience: None,
            leeway_secs: i64::from(Self::MAX_LEEWAY_SECS),
        }
    }

    /// Accepts exactly one issuer and no WorkOS default: the local-development
    /// identity provider's, so its tokens never pass as WorkOS ones and
    /// WorkOS tokens never pass the dev key's check.
    pub fn for_issuer(issuer: impl Into<String>) -> Self {
        VerifyConfig {
            issuers: vec![issuer.into()],
            audience: None,
            leeway_secs: i64::from(Self::MAX_LEEWAY_SECS),
        }
    }

    /// Also accepts `issuer`, for a deployment with a custom auth domain or
    /// the local-development identity provider. Matched exactly.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        if !issuer.is_empty() && !self.issuers.contains(&issuer) {
            self.issuers.push(issuer);
        }
        self
    }

    /// Requires `aud` to be (or contain) `audience`. AuthKit tokens usually
    /// carry no `aud`, so this is off unless configured.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the clock-skew leeway. Values above [`Self::MAX_LEEWAY_SECS`] are
    /// capped rather than refused, so a typo in configuration cannot widen
    /// the window.
    pub fn with_leeway_secs(mut self, secs: u32) -> Self {
        self.leeway_secs = i64::from(secs.min(Self::MAX_LEEWAY_SECS));
        self
    }

    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    pub fn leeway_secs(&self) -> i64 {
        self.leeway_secs
    }
}
