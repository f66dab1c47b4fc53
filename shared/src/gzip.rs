//! Bounded gzip decompression for webhook bodies. Stream compresses webhook
//! bodies when asked and signs the *uncompressed* JSON (docs/api.md, "Webhooks"), so the
//! body must be inflated before its signature can be checked, and before we
//! know whether it is genuine. A cap on the inflated size keeps a tiny
//! "gzip bomb" from costing more memory than an honest body could.
//!
//! `flate2` with its pure-Rust `miniz_oxide` backend: no C, builds for wasm32.

use std::io::Read;

use serde_json::json;

use crate::error::{ApiError, ErrorCode};

/// Why a gzip body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GunzipError {
    #[error("the gzip body could not be decompressed")]
    Corrupt,
    #[error("the decompressed body is over {0} bytes")]
    TooLarge(usize),
}

/// Inflates a gzip stream (a single member, or several concatenated, as
/// RFC 1952 allows), refusing output larger than `max_out` bytes.
pub fn gunzip_capped(body: &[u8], max_out: usize) -> Result<Vec<u8>, GunzipError> {
    let decoder = flate2::read::MultiGzDecoder::new(body);
    let mut out = Vec::new();
    // Read at most one byte past the cap, so "exactly the cap" is accepted
    // and anything larger is detected without inflating the rest.
    let limit = u64::try_from(max_out).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| GunzipError::Corrupt)?;
    if out.len() > max_out {
        return Err(GunzipError::TooLarge(max_out));
    }
    Ok(out)
}

/// A webhook body as it must be verified: inflated (to at most `limit`
/// bytes) when it starts with the gzip magic, else as sent. A bomb is
/// `413 PAYLOAD_TOO_LARGE`, a corrupt stream `400` (`BAD_GZIP`).
pub fn inflate_if_gzip(raw: Vec<u8>, limit: usize) -> Result<Vec<u8>, ApiError> {
    if !crate::signature::is_gzip(&raw) {
        return Ok(raw);
    }
    gunzip_capped(&raw, limit).map_err(|e| match e {
        GunzipError::TooLarge(_) => ApiError::new(ErrorCode::PayloadTooLarge, e.to_string())
            .with_details(json!({ "limit_bytes": limit })),
        GunzipError::Corrupt => ApiError::validation(e.to_string())
            .with_details(json!({ "field": "body", "reason": "BAD_GZIP" })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn round_trips() {
        let body = br#"{"type":"call.ended","created_at":"2024-10-16T04:15:01Z"}"#;
        let packed = gzip(body);
        assert!(crate::signature::is_gzip(&packed));
        assert_eq!(gunzip_capped(&packed, 1024).unwrap(), body);
        assert_eq!(gunzip_capped(&packed, body.len()).unwrap(), body);
    }

    #[test]
    fn refuses_bombs_and_garbage() {
        let bomb = gzip(&vec![b'a'; 1_000_000]);
        assert!(bomb.len() < 10_000);
        assert_eq!(
            gunzip_capped(&bomb, 64 * 1024),
            Err(GunzipError::TooLarge(64 * 1024))
        );
        assert_eq!(
            gunzip_capped(&[0x1f, 0x8b, 0, 1, 2, 3], 1024),
            Err(GunzipError::Corrupt)
        );
        let mut truncated = gzip(b"hello world, hello world");
        truncated.truncate(truncated.len() - 6);
        assert_eq!(gunzip_capped(&truncated, 1024), Err(GunzipError::Corrupt));
    }

    #[test]
    fn webhook_bodies_are_inflated_only_when_gzipped() {
        let plain = br#"{"a":1}"#.to_vec();
        assert_eq!(inflate_if_gzip(plain.clone(), 16).unwrap(), plain);
        assert_eq!(inflate_if_gzip(gzip(&plain), 16).unwrap(), plain);
        let bomb = inflate_if_gzip(gzip(&[b' '; 64]), 16).unwrap_err();
        assert_eq!(bomb.status(), 413);
        let junk = inflate_if_gzip(vec![0x1f, 0x8b, 8, 0, 1, 2, 3], 16).unwrap_err();
        assert_eq!(junk.status(), 400);
        assert_eq!(junk.details.unwrap()["reason"], "BAD_GZIP");
    }
}
