//! A fake Slack incoming webhook (docs/operations.md, "Alerts"): accepts
//! `POST /services/…` with a JSON body that has Slack's required `text`
//! (and, if present, `blocks` as an array), answers `ok` as Slack does, and
//! records every accepted message. Anything else gets Slack's
//! `400 invalid_payload`.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::http::{FakeRequest, FakeResponse, FakeServer};

pub struct FakeSlack {
    server: FakeServer,
    received: Arc<Mutex<Vec<Value>>>,
}

fn handle(received: &Mutex<Vec<Value>>, req: &FakeRequest) -> FakeResponse {
    let text = |status, body: &str| FakeResponse {
        status,
        content_type: "text/plain",
        body: body.as_bytes().to_vec(),
    };
    if req.method != "POST" || !req.path.starts_with("/services/") {
        return text(404, "no_service");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return text(400, "invalid_payload");
    };
    let blocks_ok = body.get("blocks").is_none_or(Value::is_array);
    if !body["text"].is_string() || !blocks_ok {
        return text(400, "invalid_payload");
    }
    received.lock().unwrap().push(body);
    text(200, "ok")
}

impl FakeSlack {
    pub async fn start() -> FakeSlack {
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = received.clone();
        let server = FakeServer::start(move |req| {
            let received = shared.clone();
            async move { handle(&received, &req) }
        })
        .await;
        FakeSlack { server, received }
    }

    /// The webhook URL to configure (`ALERT_WEBHOOK_URL`).
    pub fn url(&self) -> String {
        format!("{}/services/T000/B000/XXXX", self.server.base_url)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }
}
