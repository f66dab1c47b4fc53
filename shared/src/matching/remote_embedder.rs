//! The pure halves of the remote embedders (rule M3): the
//! request body each provider expects and the validation of its answer. The
//! worker sends the body (over `fetch`, or the Workers AI binding) and
//! hands the answer back here; nothing in this module does I/O.
//!
//! Two wire formats, chosen by [`RemoteProvider`]:
//!
//! - **OpenAI-compatible** `POST {base}/embeddings`:
//!   `{"model", "input": [..], "encoding_format": "float"}` (plus
//!   `"dimensions"` for models that can shorten their output), answered by
//!   `{"data": [{"index", "embedding": [..]}], ...}` or
//!   `{"error": {"message"}}`.
//! - **Workers AI** text-embedding models (`@cf/baai/bge-*`):
//!   `{"text": [..]}`, answered by `{"shape": [n, dim], "data": [[..]]}`
//!   from the binding, or the same wrapped as
//!   `{"result": {..}, "success", "errors"}` by the REST API.
//!
//! An answer is accepted only whole: one vector per input, in input order
//! (OpenAI's `index` is honoured), each exactly the configured dimension,
//! every component finite. Anything else is a typed
//! [`RemoteEmbedError`] with a stable code, and the caller falls back to the
//! local embedder ([`RemoteEmbedError::should_fall_back`]).

use serde_json::{json, Value};

use super::embedder::{EmbedError, ModelInfo};
use super::text::truncate_chars;

/// Which wire format the remote endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteProvider {
    OpenAiCompatible,
    WorkersAi,
}

impl RemoteProvider {
    /// `ModelInfo::provider` / `vector_index_meta.config.provider`.
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteProvider::OpenAiCompatible => "openai-compatible",
            RemoteProvider::WorkersAi => "workers-ai",
        }
    }

    pub fn parse(text: &str) -> Option<RemoteProvider> {
        [RemoteProvider::OpenAiCompatible, RemoteProvider::WorkersAi]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// The output dimension of the Workers AI text-embedding models we know.
pub fn workers_ai_model_dim(model: &str) -> Option<usize> {
    match model {
        "@cf/baai/bge-small-en-v1.5" => Some(384),
        "@cf/baai/bge-base-en-v1.5" => Some(768),
        "@cf/baai/bge-large-en-v1.5" | "@cf/baai/bge-m3" => Some(1024),
        _ => None,
    }
}

/// A configured remote embedder (from configuration / `vector_index_meta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEmbedderConfig {
    pub provider: RemoteProvider,
    /// The provider's model name, stored as `embeddings.model`.
    pub model: String,
    /// Our version label for this model's vectors (bump to force re-embedding).
    pub version: String,
    /// The dimension every answer must have.
    pub dim: usize,
    /// OpenAI-compatible only: send `"dimensions": dim` (models that can shorten).
    pub request_dimensions: bool,
    /// Texts per request.
    pub max_batch: usize,
    /// Characters of each text sent; the rest is cut (providers cap tokens).
    pub max_chars: usize,
}

impl RemoteEmbedderConfig {
    /// Workers AI with one of the known `@cf/baai/bge-*` models.
    pub fn workers_ai(model: &str) -> Option<RemoteEmbedderConfig> {
        Some(RemoteEmbedderConfig {
            provider: RemoteProvider::WorkersAi,
            model: model.to_owned(),
            version: "1".to_owned(),
            dim: workers_ai_model_dim(model)?,
            request_dimensions: false,
            max_batch: 100,
            max_chars: 2_000,
        })
    }

    /// An OpenAI-compatible endpoint serving `model` at `dim` dimensions.
    pub fn openai_compatible(model: &str, dim: usize) -> RemoteEmbedderConfig {
        RemoteEmbedderConfig {
            provider: RemoteProvider::OpenAiCompatible,
            model: model.to_owned(),
            version: "1".to_owned(),
            dim,
            request_dimensions: false,
            max_batch: 256,
            max_chars: 8_000,
        }
    }

    pub fn model_info(&self) -> ModelInfo {
        ModelInfo {
            provider: self.provider.as_str().to_owned(),
            name: self.model.clone(),
            version: self.version.clone(),
            dim: self.dim,
        }
    }

    /// The JSON body for embedding `texts` (each cut to `max_chars`).
    pub fn request_body(&self, texts: &[String]) -> Result<Value, EmbedError> {
        if texts.len() > self.max_batch {
            return Err(EmbedError::BatchTooLarge {
                max: self.max_batch,
                got: texts.len(),
            });
        }
        let input: Vec<&str> = texts
            .iter()
            .map(|t| truncate_chars(t, self.max_chars))
            .collect();
        Ok(match self.provider {
            RemoteProvider::OpenAiCompatible => {
                let mut body = json!({
                    "model": self.model,
                    "input": input,
                    "encoding_format": "float",
                });
                if self.request_dimensions {
                    body["dimensions"] = json!(self.dim);
                }
                body
            }
            RemoteProvider::WorkersAi => json!({ "text": input }),
        })
    }

    /// Validates a provider's answer to a request for `expected` texts:
    /// the vectors in input order, or why not.
    pub fn parse_response(
        &self,
        status: u16,
        body: &[u8],
        expected: usize,
    ) -> Result<Vec<Vec<f32>>, RemoteEmbedError> {
        let value: Option<Value> = serde_json::from_slice(body).ok();
        if !(200..300).contains(&status) {
            let message = value
                .as_ref()
                .and_then(provider_message)
                .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
            return Err(RemoteEmbedError::Provider { status, message });
        }
        let value = value.ok_or_else(|| malformed("body is not JSON"))?;
        let vectors = match self.provider {
            RemoteProvider::OpenAiCompatible => parse_openai(&value)?,
            RemoteProvider::WorkersAi => parse_workers_ai(&value, self.dim)?,
        };
        if vectors.len() != expected {
            return Err(RemoteEmbedError::CountMismatch {
                expected,
                got: vectors.len(),
            });
        }
        for (index, v) in vectors.iter().enumerate() {
            if v.len() != self.dim {
                return Err(RemoteEmbedError::DimensionMismatch {
                    index,
                    expected: self.dim,
                    got: v.len(),
                });
            }
        }
        Ok(vectors)
    }
}

/// The appended `/embeddings` path of an OpenAI-compatible base URL
/// (`https://api.openai.com/v1` → `https://api.openai.com/v1/embeddings`).
pub fn openai_embeddings_url(base_url: &str) -> String {
    format!("{}/embeddings", base_url.trim_end_matches('/'))
}

/// The Workers AI REST endpoint of `model` (the binding needs no URL).
pub fn workers_ai_rest_url(account_id: &str, model: &str) -> String {
    format!("https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/run/{model}")
}

/// An answer we cannot use. `code()` is stable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteEmbedError {
    #[error("malformed embedding response: {0}")]
    Malformed(String),
    #[error("asked for {expected} embeddings, got {got}")]
    CountMismatch { expected: usize, got: usize },
    #[error("embedding {index} has {got} dimensions, expected {expected}")]
    DimensionMismatch {
        index: usize,
        expected: usize,
        got: usize,
    },
    #[error("embedding {index} has a non-finite component")]
    NonFinite { index: usize },
    #[error("embedding provider answered {status}: {message}")]
    Provider { status: u16, message: String },
}

impl RemoteEmbedError {
    pub fn code(&self) -> &'static str {
        match self {
            RemoteEmbedError::Malformed(_) => "EMBED_MALFORMED_RESPONSE",
            RemoteEmbedError::CountMismatch { .. } => "EMBED_COUNT_MISMATCH",
            RemoteEmbedError::DimensionMismatch { .. } => "EMBED_DIMENSION_MISMATCH",
            RemoteEmbedError::NonFinite { .. } => "EMBED_NON_FINITE",
            RemoteEmbedError::Provider { .. } => "EMBED_PROVIDER_ERROR",
        }
    }

    /// Rule M3: whether to embed locally instead (and mark for re-embedding).
    /// Everything but a 4xx other than 429 (our request was wrong: retrying
    /// elsewhere would hide a bug) falls back.
    pub fn should_fall_back(&self) -> bool {
        match self {
            RemoteEmbedError::Provider { status, .. } => {
                *status == 429 || !(400..500).contains(status)
            }
            _ => true,
        }
    }
}

fn malformed(what: &str) -> RemoteEmbedError {
    RemoteEmbedError::Malformed(what.to_owned())
}

/// The human message of an error body, in either provider's shape.
fn provider_message(value: &Value) -> Option<String> {
    value
        .pointer("/error/message")
        .or_else(|| value.pointer("/errors/0/message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn parse_vector(value: &Value, index: usize) -> Result<Vec<f32>, RemoteEmbedError> {
    let items = value
        .as_array()
        .ok_or_else(|| malformed("an embedding is not an array"))?;
    items
        .iter()
        .map(|x| {
            let x = x
                .as_f64()
                .ok_or_else(|| malformed("an embedding component is not a number"))?;
            let x = x as f32;
            if x.is_finite() {
                Ok(x)
            } else {
                Err(RemoteEmbedError::NonFinite { index })
            }
        })
        .collect()
}

fn parse_openai(value: &Value) -> Result<Vec<Vec<f32>>, RemoteEmbedError> {
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no `data` array"))?;
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; data.len()];
    for (position, item) in data.iter().enumerate() {
        let index = match item.get("index") {
            None => position,
            Some(i) => i
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| malformed("`index` is not a non-negative integer"))?,
        };
        let embedding = item
            .get("embedding")
            .ok_or_else(|| malformed("an item has no `embedding`"))?;
        let vector = parse_vector(embedding, index)?;
        let slot = slots
            .get_mut(index)
            .ok_or_else(|| malformed("`index` out of range"))?;
        if slot.replace(vector).is_some() {
            return Err(malformed("duplicate `index`"));
        }
    }
    slots
        .into_iter()
        .map(|s| s.ok_or_else(|| malformed("missing `index`")))
        .collect()
}

fn parse_workers_ai(value: &Value, dim: usize) -> Result<Vec<Vec<f32>>, RemoteEmbedError> {
    if value.get("success") == Some(&Value::Bool(false)) {
        return Err(RemoteEmbedError::Provider {
            status: 200,
            message: provider_message(value).unwrap_or_else(|| "success: false".to_owned()),
        });
    }
    let inner = value.get("result").unwrap_or(value);
    let data = inner
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no `data` array"))?;
    let vectors = data
        .iter()
        .enumerate()
        .map(|(i, v)| parse_vector(v, i))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(shape) = inner.get("shape") {
        let shape: Option<Vec<u64>> = shape
            .as_array()
            .and_then(|s| s.iter().map(Value::as_u64).collect());
        let expected = [vectors.len() as u64, dim as u64];
        if shape.as_deref() != Some(&expected[..]) {
            let got = shape
                .as_ref()
                .and_then(|s| s.get(1))
                .and_then(|d| usize::try_from(*d).ok());
            return Err(match got {
                Some(got) if got != dim => RemoteEmbedError::DimensionMismatch {
                    index: 0,
                    expected: dim,
                    got,
                },
                _ => malformed("`shape` does not describe `data`"),
            });
        }
    }
    Ok(vectors)
}

/// An OpenAI-compatible success body for `vectors`: for fakes in tests.
pub fn openai_response_body(model: &str, vectors: &[Vec<f32>]) -> Value {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(index, v)| json!({"object": "embedding", "index": index, "embedding": v}))
        .collect();
    json!({"object": "list", "model": model, "data": data, "usage": {"prompt_tokens": 0, "total_tokens": 0}})
}

/// A Workers AI binding answer for `vectors` (dimension taken from the
/// first): for fakes in tests.
pub fn workers_ai_response_body(vectors: &[Vec<f32>]) -> Value {
    let dim = vectors.first().map_or(0, Vec::len);
    json!({"shape": [vectors.len(), dim], "data": vectors, "pooling": "mean"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }

    #[test]
    fn m3_openai_request_has_the_wire_shape() {
        let mut cfg = RemoteEmbedderConfig::openai_compatible("text-embedding-3-small", 512);
        let body = cfg.request_body(&texts(&["a", "b"])).unwrap();
        assert_eq!(
            body,
            json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float"})
        );
        cfg.request_dimensions = true;
        assert_eq!(cfg.request_body(&texts(&["a"])).unwrap()["dimensions"], 512);
        assert_eq!(
            openai_embeddings_url("https://api.openai.com/v1/"),
            "https://api.openai.com/v1/embeddings"
        );
    }

    #[test]
    fn m3_workers_ai_request_has_the_wire_shape_and_truncates() {
        let cfg = RemoteEmbedderConfig::workers_ai("@cf/baai/bge-small-en-v1.5").unwrap();
        assert_eq!(cfg.dim, 384);
        let long = "x".repeat(cfg.max_chars + 10);
        let body = cfg.request_body(&[long]).unwrap();
        assert_eq!(body["text"][0].as_str().unwrap().len(), cfg.max_chars);
        assert!(RemoteEmbedderConfig::workers_ai("@cf/unknown").is_none());
        let too_many = vec![String::new(); cfg.max_batch + 1];
        assert!(matches!(
            cfg.request_body(&too_many),
            Err(EmbedError::BatchTooLarge { .. })
        ));
    }

    #[test]
    fn m3_openai_response_is_reordered_by_index() {
        let cfg = RemoteEmbedderConfig::openai_compatible("m", 2);
        let body = json!({"data": [
            {"index": 1, "embedding": [3.0, 4.0]},
            {"index": 0, "embedding": [1.0, 2.0]},
        ]});
        let out = cfg.parse_response(200, &bytes(&body), 2).unwrap();
        assert_eq!(out, vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        let fake = openai_response_body("m", &out);
        assert_eq!(cfg.parse_response(200, &bytes(&fake), 2).unwrap(), out);
    }

    #[test]
    fn m3_workers_ai_response_parses_binding_and_rest_shapes() {
        let cfg = RemoteEmbedderConfig {
            dim: 2,
            ..RemoteEmbedderConfig::workers_ai("@cf/baai/bge-small-en-v1.5").unwrap()
        };
        let vectors = vec![vec![0.5, 0.5], vec![1.0, 0.0]];
        let binding = workers_ai_response_body(&vectors);
        assert_eq!(
            cfg.parse_response(200, &bytes(&binding), 2).unwrap(),
            vectors
        );
        let rest = json!({"result": binding, "success": true, "errors": [], "messages": []});
        assert_eq!(cfg.parse_response(200, &bytes(&rest), 2).unwrap(), vectors);
        let failed = json!({"result": null, "success": false, "errors": [{"code": 3040, "message": "capacity"}]});
        let err = cfg.parse_response(200, &bytes(&failed), 2).unwrap_err();
        assert_eq!(err.code(), "EMBED_PROVIDER_ERROR");
        assert!(err.should_fall_back());
    }

    #[test]
    fn m3_malformed_answers_are_typed_errors() {
        let cfg = RemoteEmbedderConfig::openai_compatible("m", 2);
        let cases: Vec<(u16, Vec<u8>, &str)> = vec![
            (200, b"not json".to_vec(), "EMBED_MALFORMED_RESPONSE"),
            (200, bytes(&json!({"nope": 1})), "EMBED_MALFORMED_RESPONSE"),
            (
                200,
                bytes(&json!({"data": [{"index": 0, "embedding": [1.0, "x"]}]})),
                "EMBED_MALFORMED_RESPONSE",
            ),
            (
                200,
                bytes(
                    &json!({"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 0, "embedding": [1.0, 2.0]}]}),
                ),
                "EMBED_MALFORMED_RESPONSE",
            ),
            (
                200,
                bytes(&json!({"data": [{"index": 5, "embedding": [1.0, 2.0]}]})),
                "EMBED_MALFORMED_RESPONSE",
            ),
            (
                200,
                bytes(&json!({"data": [{"index": 0, "embedding": [1.0, 2.0]}]})),
                "EMBED_COUNT_MISMATCH",
            ),
            (
                200,
                bytes(&json!({"data": [{"embedding": [1.0]}, {"embedding": [1.0, 2.0]}]})),
                "EMBED_DIMENSION_MISMATCH",
            ),
            (
                200,
                bytes(&json!({"data": [{"embedding": [1.0, 1e300]}, {"embedding": [1.0, 2.0]}]})),
                "EMBED_NON_FINITE",
            ),
            (500, b"upstream down".to_vec(), "EMBED_PROVIDER_ERROR"),
        ];
        for (status, body, code) in cases {
            let err = cfg.parse_response(status, &body, 2).unwrap_err();
            assert_eq!(err.code(), code, "{}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn m3_workers_ai_shape_must_match_the_dimension() {
        let cfg = RemoteEmbedderConfig::workers_ai("@cf/baai/bge-base-en-v1.5").unwrap();
        let body = json!({"shape": [1, 384], "data": [vec![0.0_f32; 384]]});
        let err = cfg.parse_response(200, &bytes(&body), 1).unwrap_err();
        assert_eq!(
            err,
            RemoteEmbedError::DimensionMismatch {
                index: 0,
                expected: 768,
                got: 384
            }
        );
    }

    #[test]
    fn m3_provider_errors_carry_the_message_and_fallback_policy() {
        let cfg = RemoteEmbedderConfig::openai_compatible("m", 2);
        let body = bytes(
            &json!({"error": {"message": "Invalid API key", "type": "invalid_request_error"}}),
        );
        let err = cfg.parse_response(401, &body, 1).unwrap_err();
        assert_eq!(
            err,
            RemoteEmbedError::Provider {
                status: 401,
                message: "Invalid API key".into()
            }
        );
        assert!(!err.should_fall_back());
        let busy = RemoteEmbedError::Provider {
            status: 429,
            message: String::new(),
        };
        assert!(busy.should_fall_back());
        assert!(RemoteEmbedError::Malformed(String::new()).should_fall_back());
        assert_eq!(
            RemoteProvider::parse(RemoteProvider::WorkersAi.as_str()),
            Some(RemoteProvider::WorkersAi)
        );
    }
}
