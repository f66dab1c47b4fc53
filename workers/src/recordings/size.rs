//! A recording file's size (F25): Stream's webhooks do not carry it, so
//! once a new file is recorded the worker asks the file store with a `HEAD`
//! of the file's URL and keeps its `Content-Length`. Best effort, bounded
//! by a short timeout: the size stays unknown (`null`) when the store does
//! not answer or does not say, and nothing else waits on it.

use std::time::Duration;

use connvo_rooms::d1::D1;
use connvo_shared::log::{Level, LogLine};
use connvo_shared::recordings::tracks::size_from_content_length;
use connvo_shared::sql::recordings::RecordingSetSize;
use futures::future::{select, Either};
use worker::{AbortController, Delay, Env, Fetch, Method, Request, RequestInit};

use crate::clock::now_ms;
use crate::logging;

/// How long the `HEAD` may take (the webhook answers within Stream's 6 s).
const PROBE_TIMEOUT_MS: u64 = 2000;

async fn content_length(url: &str) -> Result<Option<i64>, String> {
    let request = Request::new_with_init(url, RequestInit::new().with_method(Method::Head))
        .map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(Duration::from_millis(PROBE_TIMEOUT_MS)));
    let outcome = match select(send, timeout).await {
        Either::Left((Ok(resp), _)) if (200..300).contains(&resp.status_code()) => {
            let header = resp.headers().get("content-length").ok().flatten();
            Ok(size_from_content_length(header.as_deref()))
        }
        Either::Left((Ok(resp), _)) => Err(format!("status {}", resp.status_code())),
        Either::Left((Err(e), _)) => Err(e.to_string()),
        Either::Right(_) => {
            controller.abort();
            Err(format!("no answer within {PROBE_TIMEOUT_MS} ms"))
        }
    };
    outcome
}

/// Probes and stores the size of the file `recording_id` at `url`.
pub async fn probe(env: &Env, recording_id: &str, url: &str, request_id: &str) {
    let outcome = match content_length(url).await {
        Ok(Some(size_bytes)) => match D1::from_env(env) {
            Ok(db) => db
                .run(RecordingSetSize {
                    id: recording_id,
                    size_bytes,
                    now_ms: now_ms(),
                })
                .await
                .map(|_| ())
                .map_err(|e| e.message),
            Err(e) => Err(e.message),
        },
        Ok(None) => Err("no usable content-length".to_owned()),
        Err(e) => Err(e),
    };
    if let Err(error) = outcome {
        logging::emit(
            &LogLine::new(Level::Info, "recording size unknown", request_id)
                .field("recording_id", recording_id)
                .field("error", error),
            Level::Info,
        );
    }
}
