//! How a vector is stored (rule M4): `embeddings.vector` is a BLOB of `dim`
//! little-endian IEEE-754 f32 values (the SQL `CHECK (length(vector) = dim * 4)`),
//! and where a text form is needed (JSON, logs, a D1 binding that cannot
//! pass bytes) the same bytes in unpadded base64url.
//!
//! Decoding is strict: a length that is not `4 * dim`, or a NaN or infinite
//! component, is an error rather than a silently wrong vector.

use crate::auth::base64url;

/// Why stored bytes are not a vector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorCodecError {
    #[error("vector blob of {bytes} bytes is not {dim} f32 values")]
    WrongLength { bytes: usize, dim: usize },
    #[error("vector component {index} is not finite")]
    NonFinite { index: usize },
    #[error("vector text is not base64url")]
    NotBase64,
}

impl VectorCodecError {
    pub fn code(&self) -> &'static str {
        match self {
            VectorCodecError::WrongLength { .. } => "VECTOR_WRONG_LENGTH",
            VectorCodecError::NonFinite { .. } => "VECTOR_NON_FINITE",
            VectorCodecError::NotBase64 => "VECTOR_NOT_BASE64",
        }
    }
}

/// The BLOB form: `4 * v.len()` bytes.
pub fn encode_blob(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 4);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// The vector in a BLOB that must hold exactly `dim` components.
pub fn decode_blob(bytes: &[u8], dim: usize) -> Result<Vec<f32>, VectorCodecError> {
    if bytes.len() != dim.saturating_mul(4) {
        return Err(VectorCodecError::WrongLength {
            bytes: bytes.len(),
            dim,
        });
    }
    bytes
        .chunks_exact(4)
        .enumerate()
        .map(|(index, c)| {
            let x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            if x.is_finite() {
                Ok(x)
            } else {
                Err(VectorCodecError::NonFinite { index })
            }
        })
        .collect()
}

/// The text form: the BLOB in unpadded base64url.
pub fn encode_text(v: &[f32]) -> String {
    base64url::encode(&encode_blob(v))
}

/// The vector in a text form that must hold exactly `dim` components.
pub fn decode_text(text: &str, dim: usize) -> Result<Vec<f32>, VectorCodecError> {
    let bytes = base64url::decode(text).map_err(|_| VectorCodecError::NotBase64)?;
    decode_blob(&bytes, dim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_blob_is_little_endian_f32() {
        assert_eq!(
            encode_blob(&[1.0, -2.5]),
            vec![0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]
        );
        let v = vec![0.25, -1.0, 3.5e-8, 1e30];
        assert_eq!(decode_blob(&encode_blob(&v), 4).unwrap(), v);
        assert_eq!(decode_blob(&[], 0).unwrap(), Vec::<f32>::new());
    }

    #[test]
    fn m4_decoding_refuses_wrong_length_and_non_finite() {
        let blob = encode_blob(&[1.0, 2.0]);
        assert_eq!(
            decode_blob(&blob, 3),
            Err(VectorCodecError::WrongLength { bytes: 8, dim: 3 })
        );
        assert_eq!(
            decode_blob(&blob[..7], 2).unwrap_err().code(),
            "VECTOR_WRONG_LENGTH"
        );
        let nan = encode_blob(&[1.0, f32::NAN]);
        assert_eq!(
            decode_blob(&nan, 2),
            Err(VectorCodecError::NonFinite { index: 1 })
        );
    }

    #[test]
    fn m4_text_form_round_trips() {
        let v = vec![0.1, 0.2, -0.3];
        let text = encode_text(&v);
        assert_eq!(decode_text(&text, 3).unwrap(), v);
        assert_eq!(decode_text("!!", 3), Err(VectorCodecError::NotBase64));
        assert_eq!(
            decode_text(&text, 2).unwrap_err().code(),
            "VECTOR_WRONG_LENGTH"
        );
    }
}
