//! The stable error vocabulary of the whole API. Every HTTP error body and
//! every WebSocket error frame carries one of these codes; clients switch on
//! the code, never on the message.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code. The wire form is the
/// SCREAMING_SNAKE_CASE name (`"VALIDATION_ERROR"`); the OpenAPI document's
/// `ErrorCode` schema is derived from this enum, so the two never drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    /// The path exists, but not with this method (405, with an `Allow` header).
    MethodNotAllowed,
    ValidationError,
    PayloadTooLarge,
    Conflict,
    MeetingNotActive,
    RateLimited,
    /// An outside provider (WorkOS, Stream, an AI provider) failed or is unreachable.
    ProviderError,
    /// During a legacy cutover, this module's reads are still served by the
    /// old backend for this caller (rule L2, docs/migration.md).
    ReadsOnLegacy,
    Internal,
}

impl ErrorCode {
    /// Every code, for exhaustive tests and docs.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::ValidationError,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Conflict,
        ErrorCode::MeetingNotActive,
        ErrorCode::RateLimited,
        ErrorCode::ProviderError,
        ErrorCode::ReadsOnLegacy,
        ErrorCode::Internal,
    ];

    /// The wire name, as it appears in `{"error":{"code":...}}`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::MeetingNotActive => "MEETING_NOT_ACTIVE",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ProviderError => "PROVIDER_ERROR",
            ErrorCode::ReadsOnLegacy => "READS_ON_LEGACY",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The default HTTP status. `ProviderError` is 502 by default; an
    /// [`ApiError`] can carry 503 instead (provider unavailable, retry later).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ValidationError => 400,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Conflict => 409,
            ErrorCode::MeetingNotActive => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::ProviderError => 502,
            ErrorCode::ReadsOnLegacy => 409,
            ErrorCode::Internal => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as the API reports it: `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
    /// Overrides [`ErrorCode::http_status`] (only 502 vs 503 for providers).
    pub status: Option<u16>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: None,
            status: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
    /// The provider is down or refused: 503, so callers know to retry later.
    pub fn provider_unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ProviderError, message).with_status(503)
    }

    pub fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.http_status())
    }

    /// The JSON body every route answers with on error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code.as_str(),
                "message": self.message,
                "details": self.details.clone().unwrap_or(serde_json::Value::Null),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
        }
    }

    #[test]
    fn statuses_are_the_documented_ones() {
        let table = [
            ("UNAUTHORIZED", 401),
            ("FORBIDDEN", 403),
            ("NOT_FOUND", 404),
            ("METHOD_NOT_ALLOWED", 405),
            ("VALIDATION_ERROR", 400),
            ("PAYLOAD_TOO_LARGE", 413),
            ("CONFLICT", 409),
            ("MEETING_NOT_ACTIVE", 409),
            ("RATE_LIMITED", 429),
            ("PROVIDER_ERROR", 502),
            ("READS_ON_LEGACY", 409),
            ("INTERNAL", 500),
        ];
        for (code, (name, status)) in ErrorCode::ALL.iter().zip(table) {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.http_status(), status);
        }
        assert_eq!(ApiError::provider_unavailable("x").status(), 503);
    }

    #[test]
    fn body_has_the_one_shape() {
        let body = ApiError::validation("bad title")
            .with_details(serde_json::json!({"field": "title"}))
            .body();
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(body["error"]["message"], "bad title");
        assert_eq!(body["error"]["details"]["field"], "title");
        assert!(ApiError::internal("x").body()["error"]["details"].is_null());
    }
}
