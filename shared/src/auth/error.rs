//! Why a request's credentials were refused, as typed errors with stable
//! machine codes. Every [`AuthError`] is a 401 for the client; the code tells
//! operators (and audit logs) which check failed. A [`JwksError`] is WorkOS's
//! fault, not the client's, so it maps to `PROVIDER_ERROR`.

use crate::error::{ApiError, ErrorCode};

/// Why an `Authorization` header or a WorkOS access token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header, or `Bearer` with nothing after it.
    #[error("missing credentials")]
    MissingCredentials,
    /// A scheme other than `Bearer` (`Basic`, `Token`, ...).
    #[error("unsupported authorization scheme")]
    UnsupportedScheme,
    /// The header has the right scheme but is not `Bearer <token>`.
    #[error("malformed authorization header")]
    MalformedAuthorization,
    /// The token is not a well-formed compact JWS with JSON header and claims.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// Any `alg` but `RS256`, notably `none` and `HS256` (the key-confusion attack).
    #[error("unsupported token algorithm")]
    UnsupportedAlgorithm,
    /// The header has no `kid`, so no key can be chosen.
    #[error("token has no key id")]
    MissingKeyId,
    /// The `kid` is not in the key set. WorkOS may have rotated keys: the
    /// caller should refetch the JWKS once and retry before giving up.
    #[error("unknown signing key")]
    UnknownKeyId { kid: String },
    #[error("bad token signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    /// `nbf` is further in the future than the allowed clock skew.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is further in the future than the allowed clock skew.
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token issuer not allowed")]
    WrongIssuer,
    #[error("token audience not accepted")]
    WrongAudience,
    /// A claim we rely on (`sub`, `exp`, `iss`; `aud` when configured) is absent or empty.
    #[error("token lacks required claim {0}")]
    MissingClaim(&'static str),
}

impl AuthError {
    /// The stable machine code, for logs, audit rows and error `details`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingCredentials => "AUTH_MISSING",
            AuthError::UnsupportedScheme => "AUTH_UNSUPPORTED_SCHEME",
            AuthError::MalformedAuthorization => "AUTH_MALFORMED",
            AuthError::Malformed(_) => "TOKEN_MALFORMED",
            AuthError::UnsupportedAlgorithm => "TOKEN_UNSUPPORTED_ALG",
            AuthError::MissingKeyId => "TOKEN_MISSING_KID",
            AuthError::UnknownKeyId { .. } => "TOKEN_UNKNOWN_KID",
            AuthError::BadSignature => "TOKEN_BAD_SIGNATURE",
            AuthError::Expired => "TOKEN_EXPIRED",
            AuthError::NotYetValid => "TOKEN_NOT_YET_VALID",
            AuthError::IssuedInFuture => "TOKEN_IAT_IN_FUTURE",
            AuthError::WrongIssuer => "TOKEN_WRONG_ISSUER",
            AuthError::WrongAudience => "TOKEN_WRONG_AUDIENCE",
            AuthError::MissingClaim(_) => "TOKEN_MISSING_CLAIM",
        }
    }

    /// True when refreshing the JWKS could make the token verify.
    pub fn is_unknown_key(&self) -> bool {
        matches!(self, AuthError::UnknownKeyId { .. })
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        // The message stays generic on purpose: detail about *which* check
        // failed goes in `details.reason`, never the token itself.
        ApiError::new(ErrorCode::Unauthorized, err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}

/// Why a JWKS document (or a key in one) could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS is not valid JSON of the expected shape")]
    Malformed,
    /// The document parsed but held no RSA signing key we can use.
    #[error("JWKS has no usable RSA signing key")]
    NoUsableKeys,
    /// A single key (private-key loading) was unusable.
    #[error("unusable RSA key: {0}")]
    BadKey(&'static str),
}

impl JwksError {
    pub fn code(&self) -> &'static str {
        match self {
            JwksError::Malformed => "JWKS_MALFORMED",
            JwksError::NoUsableKeys => "JWKS_NO_USABLE_KEYS",
            JwksError::BadKey(_) => "JWKS_BAD_KEY",
        }
    }
}

impl From<JwksError> for ApiError {
    fn from(err: JwksError) -> Self {
        ApiError::new(ErrorCode::ProviderError, err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}
