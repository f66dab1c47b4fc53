//! Why a webhook's signature was refused, with the stable reason codes the
//! 401 carries in `details.reason` (the same for every vendor).

use crate::error::{ApiError, ErrorCode};

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Our side has no (or an empty) secret/API key: verifying against an
    /// empty key would accept anyone's signature.
    #[error("webhook secret not configured")]
    SecretNotConfigured,
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed signature header: {0}")]
    MalformedHeader(&'static str),
    #[error("signature mismatch")]
    Mismatch,
    #[error("API key mismatch")]
    ApiKeyMismatch,
    /// The body still starts with the gzip magic: the signature covers the
    /// uncompressed JSON, so the caller must decompress first.
    #[error("body is still gzip-compressed")]
    CompressedBody,
    #[error("signature timestamp outside tolerance")]
    TimestampOutOfTolerance,
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::SecretNotConfigured => "WEBHOOK_SECRET_NOT_CONFIGURED",
            SignatureError::MissingHeader(_) => "SIGNATURE_MISSING",
            SignatureError::MalformedHeader(_) => "SIGNATURE_MALFORMED",
            SignatureError::Mismatch => "SIGNATURE_MISMATCH",
            SignatureError::ApiKeyMismatch => "API_KEY_MISMATCH",
            SignatureError::CompressedBody => "BODY_COMPRESSED",
            SignatureError::TimestampOutOfTolerance => "SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE",
        }
    }
}

impl From<SignatureError> for ApiError {
    fn from(err: SignatureError) -> Self {
        let code = match err {
            SignatureError::SecretNotConfigured => ErrorCode::Internal,
            SignatureError::CompressedBody => ErrorCode::ValidationError,
            SignatureError::MissingHeader(_)
            | SignatureError::MalformedHeader(_)
            | SignatureError::Mismatch
            | SignatureError::ApiKeyMismatch
            | SignatureError::TimestampOutOfTolerance => ErrorCode::Unauthorized,
        };
        ApiError::new(code, err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}
