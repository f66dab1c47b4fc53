//! Why an op, a submission or a notes document was refused, as one typed
//! error with a stable machine code (`OT_*`) per variant. The code travels in
//! `details.reason` of the API error body, next to the coarse [`ErrorCode`],
//! so clients can tell "resync from a snapshot" from "your op is malformed".

use crate::error::{ApiError, ErrorCode};

/// Every way the OT core refuses input. No variant is ever produced by a
/// panic: bad input always comes back as one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtError {
    /// The op is not a list of positive retains, non-empty inserts and
    /// positive deletes, or its lengths do not fit in memory.
    #[error("invalid op: {0}")]
    InvalidOp(String),
    /// The op has more components or inserts more text than the limits allow.
    #[error(
        "op too long: {components} components inserting {inserted_chars} chars \
         (limits: {max_components} components, {max_inserted_chars} chars)"
    )]
    OpTooLong {
        components: usize,
        inserted_chars: usize,
        max_components: usize,
        max_inserted_chars: usize,
    },
    /// The op retains or deletes past the end of the document it is applied to.
    #[error("op spans {op_len} chars but the document has {doc_len}")]
    BaseLengthMismatch { op_len: usize, doc_len: usize },
    /// The submission (or catch-up request) names a version the server has
    /// not reached, e.g. after the server restarted from older storage.
    #[error("base version {base_version} is ahead of the document (version {version})")]
    VersionAhead { base_version: u64, version: u64 },
    /// The ops between the named version and now were compacted away; the
    /// client must reload the snapshot.
    #[error(
        "base version {base_version} is older than the retained op log \
         (oldest usable base is {oldest_base}); reload the snapshot"
    )]
    VersionTooOld { base_version: u64, oldest_base: u64 },
    /// Committing the op would grow the document past its size cap.
    #[error("the document would have {chars} chars; the limit is {max_chars}")]
    DocTooLarge { chars: usize, max_chars: usize },
    /// A client received an op or an ack that does not follow its version:
    /// a message was lost, so it must catch up or reload.
    #[error("expected version {expected}, got {got}")]
    VersionGap { expected: u64, got: u64 },
    /// The client id is already used by another author. Client ids are
    /// random per page load, so this only happens on purpose.
    #[error("client id {client_id} belongs to another author")]
    ClientIdTaken { client_id: String },
    /// Stored state (snapshot + op log) does not hang together.
    #[error("corrupt notes state: {0}")]
    CorruptState(String),
}

impl OtError {
    /// Every wire code, for exhaustive tests and docs.
    pub const ALL_CODES: [&'static str; 9] = [
        "OT_INVALID_OP",
        "OT_OP_TOO_LONG",
        "OT_BASE_LENGTH_MISMATCH",
        "OT_VERSION_AHEAD",
        "OT_VERSION_TOO_OLD",
        "OT_DOC_TOO_LARGE",
        "OT_VERSION_GAP",
        "OT_CLIENT_ID_TAKEN",
        "OT_CORRUPT_STATE",
    ];

    /// The stable machine code, for error `details.reason`, close reasons and logs.
    pub fn code(&self) -> &'static str {
        match self {
            OtError::InvalidOp(_) => "OT_INVALID_OP",
            OtError::OpTooLong { .. } => "OT_OP_TOO_LONG",
            OtError::BaseLengthMismatch { .. } => "OT_BASE_LENGTH_MISMATCH",
            OtError::VersionAhead { .. } => "OT_VERSION_AHEAD",
            OtError::VersionTooOld { .. } => "OT_VERSION_TOO_OLD",
            OtError::DocTooLarge { .. } => "OT_DOC_TOO_LARGE",
            OtError::VersionGap { .. } => "OT_VERSION_GAP",
            OtError::ClientIdTaken { .. } => "OT_CLIENT_ID_TAKEN",
            OtError::CorruptState(_) => "OT_CORRUPT_STATE",
        }
    }

    /// The API-wide code. Version problems are conflicts because the cure is
    /// the same for all of them: fetch the current state and retry.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            OtError::InvalidOp(_) | OtError::BaseLengthMismatch { .. } => {
                ErrorCode::ValidationError
            }
            OtError::OpTooLong { .. } | OtError::DocTooLarge { .. } => ErrorCode::PayloadTooLarge,
            OtError::VersionAhead { .. }
            | OtError::VersionTooOld { .. }
            | OtError::VersionGap { .. } => ErrorCode::Conflict,
            OtError::ClientIdTaken { .. } => ErrorCode::Forbidden,
            OtError::CorruptState(_) => ErrorCode::Internal,
        }
    }

    /// True when the client cannot recover by catching up op by op and has to
    /// reload the whole document.
    pub fn needs_snapshot(&self) -> bool {
        matches!(
            self,
            OtError::VersionTooOld { .. } | OtError::VersionAhead { .. }
        )
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        OtError::InvalidOp(reason.into())
    }
}

impl From<OtError> for ApiError {
    fn from(err: OtError) -> Self {
        ApiError::new(err.error_code(), err.to_string())
            .with_details(serde_json::json!({ "reason": err.code() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<OtError> {
        vec![
            OtError::InvalidOp("x".into()),
            OtError::OpTooLong {
                components: 2,
                inserted_chars: 3,
                max_components: 1,
                max_inserted_chars: 1,
            },
            OtError::BaseLengthMismatch {
                op_len: 5,
                doc_len: 4,
            },
            OtError::VersionAhead {
                base_version: 9,
                version: 3,
            },
            OtError::VersionTooOld {
                base_version: 1,
                oldest_base: 5,
            },
            OtError::DocTooLarge {
                chars: 11,
                max_chars: 10,
            },
            OtError::VersionGap {
                expected: 4,
                got: 6,
            },
            OtError::ClientIdTaken {
                client_id: "c".into(),
            },
            OtError::CorruptState("x".into()),
        ]
    }

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: Vec<_> = one_of_each().iter().map(OtError::code).collect();
        assert_eq!(codes, OtError::ALL_CODES);
    }

    #[test]
    fn api_errors_carry_the_code_as_reason() {
        let api: ApiError = OtError::VersionTooOld {
            base_version: 1,
            oldest_base: 5,
        }
        .into();
        assert_eq!(api.code, ErrorCode::Conflict);
        assert_eq!(
            api.body()["error"]["details"]["reason"],
            "OT_VERSION_TOO_OLD"
        );
        let too_big: ApiError = OtError::DocTooLarge {
            chars: 11,
            max_chars: 10,
        }
        .into();
        assert_eq!(too_big.status(), 413);
    }
}
