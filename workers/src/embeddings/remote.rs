//! The remote embedders' HTTP side (M3): an OpenAI-compatible
//! `POST {base}/embeddings`, or Workers AI's REST `…/ai/run/{model}`. The
//! bodies are built and the answers validated by
//! `connvo_shared::matching::remote_embedder`; this module only sends and
//! reads, in batches of the provider's `max_batch`, each exchange racing
//! one timeout (a stalled body is a timeout like no answer).
//!
//! Named gap: the Workers AI *binding* (`env.AI.run`) is not used; the REST
//! API serves the same models and wire format, and is what a test fake can
//! stand in for.

use std::time::Duration;

use connvo_shared::matching::embedder::EmbedError;
use connvo_shared::matching::remote_embedder::{
    openai_embeddings_url, workers_ai_rest_url, RemoteEmbedderConfig,
};
use futures::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

/// A configured remote provider.
pub struct Remote {
    pub config: RemoteEmbedderConfig,
    url: String,
    api_key: Option<String>,
    timeout_ms: u64,
}

impl Remote {
    pub fn openai(
        config: RemoteEmbedderConfig,
        base_url: String,
        api_key: Option<String>,
        timeout_ms: u64,
    ) -> Remote {
        Remote {
            url: openai_embeddings_url(&base_url),
            config,
            api_key,
            timeout_ms,
        }
    }

    /// Workers AI through the REST API of `account`, or at `base_url`
    /// (`{base}/{model}`) when given.
    pub fn workers_ai(
        config: RemoteEmbedderConfig,
        base_url: Option<String>,
        account: Option<String>,
        api_key: Option<String>,
        timeout_ms: u64,
    ) -> Option<Remote> {
        let url = match (base_url, account) {
            (Some(base), _) => format!("{}/{}", base.trim_end_matches('/'), config.model),
            (None, Some(account)) => workers_ai_rest_url(&account, &config.model),
            (None, None) => return None,
        };
        Some(Remote {
            config,
            url,
            api_key,
            timeout_ms,
        })
    }

    /// Every text's vector, in order, over as many requests as needed.
    pub async fn embed_all(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.config.max_batch.max(1)) {
            out.extend(self.embed_batch(chunk).await?);
        }
        Ok(out)
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let body = self.config.request_body(texts)?;
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json".to_owned()),
        ];
        if let Some(key) = &self.api_key {
            headers.push(("authorization", format!("Bearer {key}")));
        }
        let (status, bytes) = post(&self.url, &headers, body.to_string(), self.timeout_ms)
            .await
            .map_err(EmbedError::Unavailable)?;
        Ok(self.config.parse_response(status, &bytes, texts.len())?)
    }
}

/// One POST racing `timeout_ms` (a stalled body is a timeout like no
/// answer): the status and the whole body, or why there is none. The
/// body is read to the end whatever the status (an unread body keeps a
/// queue batch open). Shared by the embedders and the Vectorize index.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: String,
    timeout_ms: u64,
) -> Result<(u16, Vec<u8>), String> {
    let set = Headers::new();
    for (name, value) in headers {
        set.set(name, value).map_err(|e| e.to_string())?;
    }
    let request = Request::new_with_init(
        url,
        RequestInit::new()
            .with_method(Method::Post)
            .with_headers(set)
            .with_body(Some(body.into())),
    )
    .map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = Box::pin(async move {
        let mut resp = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status_code();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("reading the body: {e}"))?;
        Ok::<_, String>((status, bytes))
    });
    let timeout = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
    match select(exchange, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => {
            controller.abort();
            Err("timed out".to_owned())
        }
    }
}
